using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels;

/// <summary>
/// 2-D max pooling with PyTorch <c>nn.MaxPool2d</c> semantics (dilation 1, <c>ceil_mode=False</c>): <c>x</c> is
/// <c>[B, C, H, W]</c>, <c>y</c> and <c>argmax</c> are <c>[B, C, Ho, Wo]</c>, row-major (NCHW).
/// </summary>
/// <remarks>
/// <para>Each window is scanned in row-major order from <c>−∞</c>, and a value replaces the running maximum when it is
/// larger or NaN, exactly as PyTorch's CPU kernel: the first of equal maxima wins, padding (−∞) never does, and a NaN in
/// the window is the result (the last NaN's position is the argmax). <c>argmax</c> holds <c>h·W + w</c> inside the
/// input plane, PyTorch's <c>return_indices</c> convention.</para>
/// <para>The (sample, channel) planes are split over the cores; each plane is computed the same way whichever thread
/// runs it, and the backward adds overlapping contributions in output order within a plane, so the bits never depend
/// on the split. Nothing is allocated.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class MaxPool2D
{
    /// <summary>Window elements below which a call stays on one thread.</summary>
    private const long MinParallelWork = 1L << 16;

    /// <summary>y[B,C,Ho,Wo] = max over each window (NaN wins); argmax = h·W + w of the winner in its input plane</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C, Ho, Wo] (overwritten).</param>
    /// <param name="argmax">Winner positions, [batch, C, Ho, Wo] (overwritten); empty = not stored (inference).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax, int batch, in Pool2DGeometry g)
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
        if (batch == 0)
        {
            return;
        }

        fixed (T* px = x)
        fixed (T* py = y)
        fixed (int* pi = argmax)
        {
            var a = new Arguments<T> { G = g, Planes = batch * g.Channels, X = px, Y = py, Argmax = pi };
            Run(a, (long)a.Planes * g.OutHeight * g.OutWidth * g.KernelHeight * g.KernelWidth);
        }
    }

    /// <summary>dx[B,C,H,W] = 0, then dx[b, c, argmax] += dy[b, c, ho, wo] for every output in row-major order</summary>
    /// <param name="dy">Gradient of the output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">Winner positions written by <see cref="Forward"/>, [batch, C, Ho, Wo]; each in [0, H·W).</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argmax outside its plane (checked before dx is touched).</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argmax, Span<T> dx, int batch, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(argmax.Length, (long)batch * g.OutputLength, nameof(argmax));
        ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        if (batch == 0)
        {
            return;
        }

        // The scatter writes through pointers: an index from anywhere but Forward must not reach outside its plane.
        uint plane = (uint)(g.Height * g.Width);
        ReadOnlySpan<int> indices = argmax.Slice(0, batch * g.OutputLength);
        if (System.Numerics.Tensors.TensorPrimitives.Min(indices) < 0 || System.Numerics.Tensors.TensorPrimitives.Max(indices) >= plane)
        {
            // Two vector passes above; the offender is looked for only when there is one.
            for (int i = 0; i < indices.Length; i++)
            {
                if ((uint)indices[i] >= plane)
                {
                    throw new ArgumentOutOfRangeException(nameof(argmax), indices[i], $"argmax[{i}] is {indices[i]}, outside the input plane [0, {plane}).");
                }
            }
        }

        fixed (T* pdy = dy)
        fixed (int* pi = argmax)
        fixed (T* pdx = dx)
        {
            var a = new Arguments<T> { G = g, Planes = batch * g.Channels, Dy = pdy, Argmax = pi, Dx = pdx, Backward = true };
            Run(a, (long)a.Planes * (g.OutHeight * g.OutWidth + g.Height * g.Width));
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
        public int* Argmax;
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
        if (!a.Backward && typeof(T) == typeof(float) && !IsVectorPair(g) && MaxPool2DPairs.Serves(g))
        {
            // Padding 1, odd widths, short rows: 2×2 windows on registers too (MaxPool2DPairs.cs).
            fixed (float* stage = MaxPool2DPairs.Stages(g) ? MaxPool2DPairs.Stage(MaxPool2DPairs.StageLength(g)) : null)
            {
                for (int p = start; p < end; p++)
                {
                    MaxPool2DPairs.Plane((float*)(a.X + (p * inPlane)), g.Width, (float*)(a.Y + (p * outPlane)), a.Argmax == null ? null : a.Argmax + (p * outPlane), g, stage);
                }
            }
            return;
        }
        for (int p = start; p < end; p++)
        {
            if (a.Backward && MaxPool2DBackward.IsPairs<T>(g))
            {
                MaxPool2DBackward.PlanePairs((float*)(a.Dy + (p * outPlane)), a.Argmax + (p * outPlane), (float*)(a.Dx + (p * inPlane)), g.Height, g.Width, g.OutHeight, g.OutWidth);
            }
            else if (a.Backward)
            {
                BackwardPlane(a.Dy + (p * outPlane), a.Argmax + (p * outPlane), a.Dx + (p * inPlane), g);
            }
            else if (typeof(T) == typeof(float) && IsVectorPair(g))
            {
                ForwardPlanePairs((float*)(a.X + (p * inPlane)), (float*)(a.Y + (p * outPlane)), a.Argmax == null ? null : a.Argmax + (p * outPlane), g.Width, g.OutHeight, g.OutWidth);
            }
            else
            {
                ForwardPlane(a.X + (p * inPlane), a.Y + (p * outPlane), a.Argmax == null ? null : a.Argmax + (p * outPlane), g);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops, called once per plane or sample: skip tier 0 / OSR
    private static unsafe void ForwardPlane<T>(T* x, T* y, int* argmax, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Sizes in locals: the stores through y and argmax could alias g as far as the JIT knows, so reading g's
        // properties inside the loops would reload them for every window.
        int h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int ph = g.PaddingHeight, pw = g.PaddingWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
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
                // PyTorch's scan: start from −∞ at the window's first real element; larger or NaN replaces. Branch-free,
                // in lane 0 of a register: on random data "larger" is a coin toss the branch predictor keeps losing
                // (a plain if ran 3.6× slower on the LeNet pool).
                Vector128<T> max = Vector128.Create(T.NegativeInfinity);
                int best = (h0 * w) + w0;
                for (int ih = h0; ih < h1; ih++)
                {
                    T* row = x + ((nint)ih * w);
                    for (int iw = w0; iw < w1; iw++)
                    {
                        Vector128<T> v = Vector128.CreateScalarUnsafe(row[iw]);
                        Vector128<T> take = Vector128.GreaterThan(v, max) | ~Vector128.Equals(v, v);
                        max = Vector128.ConditionalSelect(take, v, max);
                        best ^= (best ^ ((ih * w) + iw)) & take.As<T, int>().ToScalar(); // lane 0's mask: −1 or 0
                    }
                }
                int o = (oh * outWidth) + ow;
                y[o] = max.ToScalar();
                if (argmax != null)
                {
                    argmax[o] = best;
                }
            }
        }
    }

    /// <summary>Whether <see cref="ForwardPlanePairs"/> serves this geometry: 2×2 windows, stride 2, no padding (so W = 2·Wo),
    /// at least 8 outputs per row, and 256-bit vectors.</summary>
    private static bool IsVectorPair(in Pool2DGeometry g) =>
        Vector256.IsHardwareAccelerated && g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2
        && g.PaddingHeight == 0 && g.PaddingWidth == 0 && g.OutWidth >= 8 && g.Width == 2 * g.OutWidth;

    /// <summary>The 2×2, stride-2 forward of one float plane, 8 windows per step: the even and odd columns of the two input
    /// rows are split into four registers a, b (row 2·oh) and c, d (row 2·oh + 1), and the scan of <see cref="ForwardPlane"/>
    /// runs on them in its order, a, b, c, d: start from a (the first element replaces −∞, or leaves it with its own
    /// position), then "larger or NaN replaces" for b, c and d. The same values and positions as the scalar scan. A row
    /// whose width is not a multiple of 8 ends with a block that overlaps the one before (its windows recomputed, the
    /// same results).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardPlanePairs(float* x, float* y, int* argmax, int w, int outHeight, int outWidth)
    {
        Vector256<int> split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7); // evens to the lower half, odds to the upper
        Vector256<int> columns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        Vector256<int> right = Vector256.Create(1), below = Vector256.Create(w), belowRight = Vector256.Create(w + 1);
        for (int oh = 0; oh < outHeight; oh++)
        {
            float* r0 = x + ((nint)2 * oh * w);
            float* r1 = r0 + w;
            float* yr = y + ((nint)oh * outWidth);
            int* ar = argmax == null ? null : argmax + ((nint)oh * outWidth);
            for (int ow = 0; ; ow += 8)
            {
                ow = Math.Min(ow, outWidth - 8);
                Vector256<float> e0 = Vector256.Shuffle(Vector256.Load(r0 + (2 * ow)), split);
                Vector256<float> e1 = Vector256.Shuffle(Vector256.Load(r0 + (2 * ow) + 8), split);
                Vector256<float> f0 = Vector256.Shuffle(Vector256.Load(r1 + (2 * ow)), split);
                Vector256<float> f1 = Vector256.Shuffle(Vector256.Load(r1 + (2 * ow) + 8), split);
                Vector256<float> max = Vector256.Create(e0.GetLower(), e1.GetLower());
                Vector256<int> at = Vector256<int>.Zero;
                Vector256<float> v = Vector256.Create(e0.GetUpper(), e1.GetUpper());
                Vector256<float> take = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
                max = Vector256.ConditionalSelect(take, v, max);
                at = Vector256.ConditionalSelect(take.AsInt32(), right, at);
                v = Vector256.Create(f0.GetLower(), f1.GetLower());
                take = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
                max = Vector256.ConditionalSelect(take, v, max);
                at = Vector256.ConditionalSelect(take.AsInt32(), below, at);
                v = Vector256.Create(f0.GetUpper(), f1.GetUpper());
                take = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
                max = Vector256.ConditionalSelect(take, v, max);
                at = Vector256.ConditionalSelect(take.AsInt32(), belowRight, at);
                max.Store(yr + ow);
                if (ar != null)
                {
                    (Vector256.Create((2 * oh * w) + (2 * ow)) + columns + at).Store(ar + ow);
                }
                if (ow == outWidth - 8)
                {
                    break;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops, called once per plane or sample: skip tier 0 / OSR
    private static unsafe void BackwardPlane<T>(T* dy, int* argmax, T* dx, in Pool2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int outPlane = g.OutHeight * g.OutWidth;
        new Span<T>(dx, g.Height * g.Width).Clear();
        for (int o = 0; o < outPlane; o++)
        {
            dx[argmax[o]] += dy[o];
        }
    }
}
