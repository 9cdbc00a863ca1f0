using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NetGen.Kernels;

/// <summary>
/// 2-D average pooling with PyTorch <c>nn.AvgPool2d</c> semantics (<c>count_include_pad=True</c>, <c>ceil_mode=False</c>,
/// no <c>divisor_override</c>): <c>x</c> is <c>[B, C, H, W]</c>, <c>y</c> is <c>[B, C, Ho, Wo]</c>, row-major (NCHW).
/// </summary>
/// <remarks>
/// <para>Each output is the sum of its window's real elements, taken in row-major order in <c>T</c>, divided by
/// <c>Kh·Kw</c>: the zero padding counts in the divisor, as PyTorch's default does. With a window the size of the
/// plane this is global average pooling (<c>nn.AdaptiveAvgPool2d(1)</c>).</para>
/// <para>The backward spreads <c>dy/(Kh·Kw)</c> over each window's real elements, adding where windows overlap, in
/// output order within a plane. The (sample, channel) planes are split over the cores and each is computed the same way
/// whichever thread runs it, so the bits never depend on the split. Nothing is allocated.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class AvgPool2D
{
    /// <summary>Window elements below which a call stays on one thread.</summary>
    private const long MinParallelWork = 1L << 16;

    /// <summary>y[B,C,Ho,Wo] = (Σ of the window's real elements) / (Kh·Kw)</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C, Ho, Wo] (overwritten).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        if (batch == 0)
        {
            return;
        }

        fixed (T* px = x)
        fixed (T* py = y)
        {
            var a = new Arguments<T> { G = g, Planes = batch * g.Channels, X = px, Y = py };
            Run(a, (long)a.Planes * g.OutHeight * g.OutWidth * g.KernelHeight * g.KernelWidth);
        }
    }

    /// <summary>dx[B,C,H,W] = 0, then dx[window] += dy[b, c, ho, wo]/(Kh·Kw) for every output in row-major order</summary>
    /// <param name="dy">Gradient of the output, [batch, C, Ho, Wo].</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten; must not overlap <paramref name="dy"/>).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        if (batch == 0)
        {
            return;
        }
        if (dy.Slice(0, batch * g.OutputLength).Overlaps(dx.Slice(0, batch * g.InputLength)))
        {
            throw new ArgumentException("Average pooling's backward clears dx before it reads dy: they must not overlap.", nameof(dx));
        }

        fixed (T* pdy = dy)
        fixed (T* pdx = dx)
        {
            var a = new Arguments<T> { G = g, Planes = batch * g.Channels, Dy = pdy, Dx = pdx, Backward = true };
            Run(a, (long)a.Planes * g.OutHeight * g.OutWidth * g.KernelHeight * g.KernelWidth);
        }
    }

    private static void RequireGeometry(in Pool2DGeometry g)
    {
        if (g.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
    }

    private static void Run<T>(in Arguments<T> a, long work)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int parts = work >= MinParallelWork ? Workers.PartsFor(work, MinParallelWork / 2, a.Planes) : 1;
        if (parts > 1 && Workers.TryAcquire(out Job<T> job))
        {
            job.A = a;
            Workers.RunAndRelease(job, parts);
            return;
        }
        Planes(a, 0, a.Planes);
    }

    /// <summary>Pinned operands of one call, handed to the parts.</summary>
    private unsafe struct Arguments<T>
        where T : unmanaged
    {
        public Pool2DGeometry G;
        public int Planes;
        public T* X, Y, Dy, Dx;
        public bool Backward;
    }

    /// <summary>A parallel run: each part takes whole (sample, channel) planes.</summary>
    private sealed class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Arguments<T> A;

        public override void Run(int part, int parts)
        {
            int start = (int)((long)A.Planes * part / parts), end = (int)((long)A.Planes * (part + 1) / parts);
            Planes(A, start, end);
        }
    }

    private static unsafe void Planes<T>(in Arguments<T> a, int start, int end)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref readonly Pool2DGeometry g = ref a.G;
        nint inPlane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        for (int p = start; p < end; p++)
        {
            if (a.Backward)
            {
                BackwardPlane(a.Dy + (p * outPlane), a.Dx + (p * inPlane), g);
            }
            else
            {
                ForwardPlane(a.X + (p * inPlane), a.Y + (p * outPlane), g);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops, called once per plane: skip tier 0 / OSR
    private static unsafe void ForwardPlane<T>(T* x, T* y, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Sizes in locals: the stores through y could alias g as far as the JIT knows.
        int h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int ph = g.PaddingHeight, pw = g.PaddingWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        T divisor = T.CreateTruncating(kh * kw);
        for (int oh = 0; oh < outHeight; oh++)
        {
            int h0 = (oh * sh) - ph;
            int h1 = Math.Min(h0 + kh, h);
            h0 = Math.Max(h0, 0);
            for (int ow = 0; ow < outWidth; ow++)
            {
                int w0 = (ow * sw) - pw;
                int w1 = Math.Min(w0 + kw, w);
                w0 = Math.Max(w0, 0);
                T sum = T.Zero;
                for (int ih = h0; ih < h1; ih++)
                {
                    T* row = x + ((nint)ih * w);
                    for (int iw = w0; iw < w1; iw++)
                    {
                        sum += row[iw];
                    }
                }
                y[(oh * outWidth) + ow] = sum / divisor;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops, called once per plane: skip tier 0 / OSR
    private static unsafe void BackwardPlane<T>(T* dy, T* dx, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int ph = g.PaddingHeight, pw = g.PaddingWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        T divisor = T.CreateTruncating(kh * kw);
        new Span<T>(dx, h * w).Clear();
        for (int oh = 0; oh < outHeight; oh++)
        {
            int h0 = (oh * sh) - ph;
            int h1 = Math.Min(h0 + kh, h);
            h0 = Math.Max(h0, 0);
            for (int ow = 0; ow < outWidth; ow++)
            {
                int w0 = (ow * sw) - pw;
                int w1 = Math.Min(w0 + kw, w);
                w0 = Math.Max(w0, 0);
                T share = dy[(oh * outWidth) + ow] / divisor;
                for (int ih = h0; ih < h1; ih++)
                {
                    T* row = dx + ((nint)ih * w);
                    for (int iw = w0; iw < w1; iw++)
                    {
                        row[iw] += share;
                    }
                }
            }
        }
    }
}
