using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// PReLU with one learnable slope per channel, PyTorch's <c>nn.PReLU(num_parameters = C)</c>: the input is
/// <c>[rows, C, inner]</c> row-major (inner = H·W for images, 1 for vectors) and channel c uses the slope <c>a[c]</c>.
/// The single-slope PReLU is <see cref="Activations.PReLUForward{T}"/>.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ChannelPReLU
{
    /// <summary>y[r, c, i] = x &gt; 0 ? x : a[c]·x</summary>
    /// <param name="x">Input, [rows, channels, inner].</param>
    /// <param name="a">Slopes, [channels].</param>
    /// <param name="y">Output, like x (overwritten).</param>
    /// <param name="channels">C (≥ 1).</param>
    /// <param name="inner">Values per channel and row (≥ 1).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> a, Span<T> y, int channels, int inner)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int rows = Check(x.Length, a.Length, channels, inner);
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < channels; c++)
            {
                int start = ((r * channels) + c) * inner;
                Activations.PReLUForward(x.Slice(start, inner), y.Slice(start, inner), a[c]);
            }
        }
    }

    /// <summary>dx = dy ⊙ (x &gt; 0 ? 1 : a[c]); da[c] = Σ_{r,i} dy·x·1(x ≤ 0) (overwritten), summed in row order.</summary>
    /// <param name="dy">Gradient of the output, [rows, channels, inner].</param>
    /// <param name="x">Input of the forward pass.</param>
    /// <param name="a">Slopes, [channels].</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="da">Gradient of the slopes, [channels] (overwritten).</param>
    /// <param name="channels">C (≥ 1).</param>
    /// <param name="inner">Values per channel and row (≥ 1).</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> a, Span<T> dx, Span<T> da, int channels, int inner)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int rows = Check(x.Length, a.Length, channels, inner);
        ThrowHelper.RequireSameLength(dy.Length, x.Length, nameof(dy));
        ThrowHelper.RequireSameLength(dx.Length, x.Length, nameof(dx));
        ThrowHelper.RequireSameLength(da.Length, channels, nameof(da));
        da.Clear();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < channels; c++)
            {
                int start = ((r * channels) + c) * inner;
                da[c] += Activations.PReLUBackward(dy.Slice(start, inner), x.Slice(start, inner), dx.Slice(start, inner), a[c]);
            }
        }
    }

    private static int Check(int length, int slopes, int channels, int inner)
    {
        Geometry2D.RequirePositive(channels, nameof(channels));
        Geometry2D.RequirePositive(inner, nameof(inner));
        ThrowHelper.RequireSameLength(slopes, channels, "a");
        long plane = (long)channels * inner;
        if (length % plane != 0)
        {
            throw new ArgumentException($"The input holds {length} values, not a whole number of rows of {channels}×{inner}.", "x");
        }
        return (int)(length / plane);
    }
}
