using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// Local response normalisation across channels (Krizhevsky et al., 2012), PyTorch's <c>nn.LocalResponseNorm(n, α, β,
/// k)</c>: <c>x</c> and <c>y</c> are <c>[B, C, plane]</c> row-major (plane = H·W) and at each position
/// <c>y_c = x_c·s_c^(−β)</c>, <c>s_c = k + (α/n)·Σ_{c' ∈ W(c)} x_{c'}²</c> with the window
/// <c>W(c) = [c − ⌊n/2⌋, c + ⌊(n − 1)/2⌋] ∩ [0, C)</c> (PyTorch pads the channels with ⌊n/2⌋ zeros in front and
/// ⌊(n − 1)/2⌋ behind and divides by n whatever the border).
/// </summary>
/// <remarks>Samples, channels and positions run in a fixed order on the calling thread. The backward recomputes
/// <c>s</c> from <c>x</c> (nothing is cached); its scratch is one per-thread buffer of a sample, grown once.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class LocalResponseNorm
{
    /// <summary>y_c = x_c·(k + (α/n)·Σ_{c' ∈ W(c)} x_{c'}²)^(−β)</summary>
    /// <param name="x">Input, [batch, channels, plane].</param>
    /// <param name="y">Output, like x (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C (≥ 1).</param>
    /// <param name="plane">H·W (≥ 1).</param>
    /// <param name="size">n (≥ 1).</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β.</param>
    /// <param name="k">k.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int plane, int size, T alpha, T beta, T k)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int sample = Check(batch, channels, plane, size);
        ThrowHelper.RequireSameLength(x.Length, batch * sample, nameof(x));
        ThrowHelper.RequireSameLength(y.Length, batch * sample, nameof(y));
        T scale = alpha / T.CreateTruncating(size);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> xb = x.Slice(b * sample, sample);
            Span<T> yb = y.Slice(b * sample, sample);
            Scales(xb, yb, channels, plane, size, scale, k); // yb = s
            for (int i = 0; i < sample; i++)
            {
                yb[i] = xb[i] * T.Pow(yb[i], -beta);
            }
        }
    }

    /// <summary>dx_j = dy_j·s_j^(−β) − (2αβ/n)·x_j·Σ_{c : j ∈ W(c)} dy_c·x_c·s_c^(−β−1)</summary>
    /// <param name="dy">Gradient of the output, [batch, channels, plane].</param>
    /// <param name="x">Input of the forward pass.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C (≥ 1).</param>
    /// <param name="plane">H·W (≥ 1).</param>
    /// <param name="size">n (≥ 1).</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β.</param>
    /// <param name="k">k.</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx, int batch, int channels, int plane, int size, T alpha, T beta, T k)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int sample = Check(batch, channels, plane, size);
        ThrowHelper.RequireSameLength(dy.Length, batch * sample, nameof(dy));
        ThrowHelper.RequireSameLength(x.Length, batch * sample, nameof(x));
        ThrowHelper.RequireSameLength(dx.Length, batch * sample, nameof(dx));
        T scale = alpha / T.CreateTruncating(size);
        T coefficient = -(T.CreateTruncating(2) * scale * beta);
        Span<T> t = Scratch<T>.Get(sample);
        int before = size / 2, after = (size - 1) / 2;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> xb = x.Slice(b * sample, sample), dyb = dy.Slice(b * sample, sample);
            Span<T> dxb = dx.Slice(b * sample, sample);
            Scales(xb, dxb, channels, plane, size, scale, k); // dxb = s
            for (int i = 0; i < sample; i++)
            {
                T powered = T.Pow(dxb[i], -beta);
                t[i] = dyb[i] * xb[i] * powered / dxb[i]; // dy·x·s^(−β−1)
                dxb[i] = dyb[i] * powered;
            }

            // Channel j is in W(c) for c ∈ [j − ⌊(n − 1)/2⌋, j + ⌊n/2⌋].
            for (int j = 0; j < channels; j++)
            {
                int first = Math.Max(0, j - after), last = Math.Min(channels - 1, j + before);
                for (int p = 0; p < plane; p++)
                {
                    T sum = T.Zero;
                    for (int c = first; c <= last; c++)
                    {
                        sum += t[(c * plane) + p];
                    }
                    int at = (j * plane) + p;
                    dxb[at] += coefficient * xb[at] * sum;
                }
            }
        }
    }

    /// <summary>s[c, p] = k + scale·Σ_{c' ∈ W(c)} x[c', p]², channels in order.</summary>
    private static void Scales<T>(ReadOnlySpan<T> x, Span<T> s, int channels, int plane, int size, T scale, T k)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int before = size / 2, after = (size - 1) / 2;
        for (int c = 0; c < channels; c++)
        {
            Span<T> sc = s.Slice(c * plane, plane);
            sc.Clear();
            for (int n = Math.Max(0, c - before); n <= Math.Min(channels - 1, c + after); n++)
            {
                ReadOnlySpan<T> xn = x.Slice(n * plane, plane);
                for (int p = 0; p < plane; p++)
                {
                    sc[p] += xn[p] * xn[p];
                }
            }
            for (int p = 0; p < plane; p++)
            {
                sc[p] = k + (scale * sc[p]);
            }
        }
    }

    private static int Check(int batch, int channels, int plane, int size)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        Geometry2D.RequirePositive(channels, nameof(channels));
        Geometry2D.RequirePositive(plane, nameof(plane));
        Geometry2D.RequirePositive(size, nameof(size));
        return Geometry2D.Product(channels, plane, 1, nameof(channels));
    }

    private static class Scratch<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static T[]? t_buffer;

        public static Span<T> Get(int length)
        {
            if (t_buffer is null || t_buffer.Length < length)
            {
                t_buffer = new T[Math.Max(length, 64)];
            }
            return t_buffer.AsSpan(0, length);
        }
    }
}
