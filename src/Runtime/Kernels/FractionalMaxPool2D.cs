using System;
using System.Buffers;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>The shape of a fractional max pooling: C×H×W in, C×Ho×Wo out, k×k windows (Ho + k − 1 ≤ H, Wo + k − 1 ≤ W).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct FractionalPool2DGeometry
{
    /// <summary>Checks and stores the shape.</summary>
    /// <param name="channels">C (≥ 1).</param>
    /// <param name="height">H (≥ 1).</param>
    /// <param name="width">W (≥ 1).</param>
    /// <param name="kernel">k (≥ 1): the window's height and width.</param>
    /// <param name="outHeight">Ho (≥ 1, Ho + k − 1 ≤ H).</param>
    /// <param name="outWidth">Wo (≥ 1, Wo + k − 1 ≤ W).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, windows that would read past the input, or a tensor
    /// of more than <see cref="int.MaxValue"/> elements; names the argument.</exception>
    public FractionalPool2DGeometry(int channels, int height, int width, int kernel, int outHeight, int outWidth)
    {
        RequirePositive(channels, nameof(channels));
        RequirePositive(height, nameof(height));
        RequirePositive(width, nameof(width));
        RequirePositive(kernel, nameof(kernel));
        RequirePositive(outHeight, nameof(outHeight));
        RequirePositive(outWidth, nameof(outWidth));
        if ((long)outHeight + kernel - 1 > height)
        {
            throw new ArgumentOutOfRangeException(nameof(outHeight), outHeight, $"Ho + k − 1 = {(long)outHeight + kernel - 1} exceeds the input height {height} (PyTorch: pool height too large relative to input height).");
        }

        if ((long)outWidth + kernel - 1 > width)
        {
            throw new ArgumentOutOfRangeException(nameof(outWidth), outWidth, $"Wo + k − 1 = {(long)outWidth + kernel - 1} exceeds the input width {width} (PyTorch: pool width too large relative to input width).");
        }

        if ((long)channels * height * width > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "C·H·W exceeds int.MaxValue.");
        }

        Channels = channels;
        Height = height;
        Width = width;
        Kernel = kernel;
        OutHeight = outHeight;
        OutWidth = outWidth;
    }

    /// <summary>C, channels (input and output).</summary>
    public int Channels { get; }

    /// <summary>H, input rows.</summary>
    public int Height { get; }

    /// <summary>W, input columns.</summary>
    public int Width { get; }

    /// <summary>k, the window's rows and columns.</summary>
    public int Kernel { get; }

    /// <summary>Ho, output rows.</summary>
    public int OutHeight { get; }

    /// <summary>Wo, output columns.</summary>
    public int OutWidth { get; }

    /// <summary>C·H·W, the values of one input sample.</summary>
    public int InputLength => Channels * Height * Width;

    /// <summary>C·Ho·Wo, the values of one output sample.</summary>
    public int OutputLength => Channels * OutHeight * OutWidth;

    private static void RequirePositive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ 1.");
        }
    }
}

/// <summary>
/// Fractional max pooling (Graham, 2014) with PyTorch's <c>F.fractional_max_pool2d(x, k, output_size, _random_samples)</c>
/// semantics: each (sample, channel) plane has two uniforms u_W, u_H in [0, 1), and its window starts along a dimension of
/// input size N, output size n and window k are
/// <c>start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋</c> for i &lt; n − 1 and <c>start_{n−1} = N − k</c>, with α = (N − k)/(n − 1),
/// computed in double whatever T is (as PyTorch's float64 kernel). Window (i, j) covers rows start_i … start_i + k − 1
/// and columns start_j … start_j + k − 1; the maximum is taken as <see cref="MaxPool2D"/> does (row-major scan, a larger
/// value or a NaN replaces the running maximum; the argmax is h·W + w in the plane).
/// </summary>
/// <remarks>
/// <para>The uniforms come from <see cref="CounterRng"/>: u_W of plane q is <c>Uniform(key, 2q)</c>, u_H is
/// <c>Uniform(key, 2q + 1)</c>, where q = b·C + c in training (a new region for every sample and channel, PyTorch's
/// layout of <c>_random_samples</c> [B, C, 2]) and q = c at inference, so that a row's output does not depend on its
/// place in the batch. The generated code passes <c>key = CounterRng.Key(seed, DropoutStream, node, step)</c> in training
/// and <c>CounterRng.Key(seed, DropoutStream, node, InferenceStep)</c> at inference: fixed regions derived from the seed
/// alone, where PyTorch's module would draw fresh ones on every call.</para>
/// <para>Nothing is allocated for outputs up to 1,024 rows or columns (the window starts live on the stack).</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class FractionalMaxPool2D
{
    /// <summary>The step coordinate of the inference key: no training step reaches it, so inference regions never repeat a
    /// training draw.</summary>
    public const ulong InferenceStep = ulong.MaxValue;

    private const int StackLimit = 1024;

    /// <summary>start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋ (i &lt; n − 1), start_{n−1} = N − k, α = (N − k)/(n − 1), in double</summary>
    /// <param name="u">The plane's uniform for this dimension, in [0, 1).</param>
    /// <param name="input">N, the input size along the dimension.</param>
    /// <param name="kernel">k.</param>
    /// <param name="starts">The n window starts (overwritten); n = its length.</param>
    public static void Intervals(double u, int input, int kernel, Span<int> starts)
    {
        int n = starts.Length;
        if (n > 1)
        {
            double alpha = (double)(input - kernel) / (n - 1);
            for (int i = 0; i < n - 1; i++)
            {
                starts[i] = (int)((i + u) * alpha) - (int)(u * alpha);
            }
        }

        if (n > 0)
        {
            starts[n - 1] = input - kernel;
        }
    }

    /// <summary>y[b, c, i, j] = max over rows starts_H[i] + (0…k−1), columns starts_W[j] + (0…k−1) of x[b, c]; argmax = h·W + w</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C, Ho, Wo] (overwritten).</param>
    /// <param name="argmax">Winner positions, [batch, C, Ho, Wo] (overwritten); empty = not stored (inference).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="key">The key of the uniforms.</param>
    /// <param name="samplePerRow">true: plane q = b·C + c draws its own uniforms (training); false: q = c, the same regions
    /// for every row (inference).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int batch, in FractionalPool2DGeometry g, ulong key, bool samplePerRow)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        if (!argmax.IsEmpty)
        {
            ThrowHelper.RequireLength(argmax.Length, (long)batch * g.OutputLength, nameof(argmax));
        }

        int oh = g.OutHeight, ow = g.OutWidth, k = g.Kernel, width = g.Width;
        int[]? rented = oh + ow > StackLimit ? ArrayPool<int>.Shared.Rent(oh + ow) : null;
        Span<int> starts = rented ?? stackalloc int[StackLimit];
        Span<int> rows = starts.Slice(0, oh), columns = starts.Slice(oh, ow);
        try
        {
            int inPlane = g.Height * width, outPlane = oh * ow;
            for (int b = 0; b < batch; b++)
            {
                for (int c = 0; c < g.Channels; c++)
                {
                    ulong q = (ulong)(samplePerRow ? ((long)b * g.Channels) + c : c);
                    Intervals(CounterRng.Uniform(key, 2 * q), width, k, columns);
                    Intervals(CounterRng.Uniform(key, (2 * q) + 1), g.Height, k, rows);
                    int plane = (b * g.Channels) + c;
                    ReadOnlySpan<T> xp = x.Slice(plane * inPlane, inPlane);
                    Span<T> yp = y.Slice(plane * outPlane, outPlane);
                    for (int i = 0; i < oh; i++)
                    {
                        for (int j = 0; j < ow; j++)
                        {
                            int best = (rows[i] * width) + columns[j];
                            T max = T.NegativeInfinity;
                            for (int h = rows[i]; h < rows[i] + k; h++)
                            {
                                for (int w = columns[j]; w < columns[j] + k; w++)
                                {
                                    T v = xp[(h * width) + w];
                                    if (v > max || T.IsNaN(v))
                                    {
                                        max = v;
                                        best = (h * width) + w;
                                    }
                                }
                            }

                            yp[(i * ow) + j] = max;
                            if (!argmax.IsEmpty)
                            {
                                argmax[(plane * outPlane) + (i * ow) + j] = best;
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>dx[B,C,H,W] = 0, then dx[b, c, argmax] += dy[b, c, i, j] for every output in row-major order (overlapping
    /// windows can share a winner)</summary>
    /// <param name="dy">Gradient of the output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">Winner positions written by <see cref="Forward"/>; each in [0, H·W).</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argmax outside its plane (checked before dx is touched).</exception>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx, int batch, in FractionalPool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(argmax.Length, (long)batch * g.OutputLength, nameof(argmax));
        ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        int inPlane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        ReadOnlySpan<int> indices = argmax.Slice(0, batch * g.OutputLength);
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)inPlane)
            {
                throw new ArgumentOutOfRangeException(nameof(argmax), indices[i], $"argmax[{i}] is {indices[i]}, outside the input plane [0, {inPlane}).");
            }
        }

        dx.Slice(0, batch * g.InputLength).Clear();
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            Span<T> dxp = dx.Slice(plane * inPlane, inPlane);
            for (int o = plane * outPlane; o < (plane + 1) * outPlane; o++)
            {
                dxp[indices[o]] += dy[o];
            }
        }
    }

    private static void RequireGeometry(in FractionalPool2DGeometry g)
    {
        if (g.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
    }
}
