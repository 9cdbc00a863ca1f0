using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// Conv2D (+ bias, + ReLU) followed by a 2×2, stride-2 max pool, as one kernel: the pool reads each sample's convolution
/// outputs from the convolution's own buffer while they are in L1, instead of a second pass over y (ADR 0047).
/// </summary>
/// <remarks>
/// <para>The results are those of <see cref="Conv2D.Forward{T}"/> followed by <see cref="MaxPool2D.Forward{T}"/>, bit
/// for bit: y (the activation's output, which an unfused ReLU backward reads and the activation views show; not written
/// when the caller says nothing will read it, ADR 0058), the pooled output and the argmax (the pool's backward reads it;
/// empty = not stored, inference). A test compares the two.</para>
/// <para>A convolution on the GEMM path with an 8 × 8 output plane and a 2×2 pool without padding (LeNet's second) runs
/// as <see cref="ConvGemmPool"/> instead: the product stays on registers until its pool is taken (ADR 0065).</para>
/// <para>It runs fused where the convolution takes the direct path (<see cref="Conv2D.RunsDirect{T}"/>: stride 1, no
/// padding, C·Kh·Kw ≤ 128) and the pool is 2×2 with stride 2 and padding 0 or 1, in float on AVX2; anywhere else
/// (double, other geometries, other machines) it calls the two kernels in turn. The generator names the choice in the
/// layer's comment by the same rule.</para>
/// <para>The batch is split over the cores in whole samples, as <see cref="Conv2D.Forward{T}"/> does; each sample is
/// computed the same way on whichever thread, so the bits do not depend on the split.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ConvPool
{
    /// <summary>Multiply-adds below which a call stays on one thread (as <see cref="Conv2D"/>).</summary>
    private const long MinParallelWork = 1L << 17;

    /// <summary>Whether the pair runs as one kernel (see the remarks); the geometries must already match.</summary>
    internal static bool Fuses<T>(in Conv2DGeometry g, in Pool2DGeometry p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) && Conv2DForward.Enabled && Conv2D.RunsDirect<T>(g) && MaxPool2DPairs.Serves(p);

    /// <summary>y = act(conv(x) + bias) as <see cref="Conv2D.Forward{T}"/>; pooled, argmax = the max pool of y as
    /// <see cref="MaxPool2D.Forward{T}"/></summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C, Kh, Kw].</param>
    /// <param name="bias">Bias, [O]; empty = no bias.</param>
    /// <param name="y">The convolution's output after the fused activation, [batch, O, Ho, Wo] (overwritten).</param>
    /// <param name="pooled">The pool's output, [batch, O, Ho', Wo'] (overwritten).</param>
    /// <param name="argmax">The pool's winner positions, [batch, O, Ho', Wo'] (overwritten); empty = not stored.</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The convolution's shape of one sample.</param>
    /// <param name="p">The pool's shape of one sample: its input is the convolution's output.</param>
    /// <param name="fuseReLU">Apply ReLU as y is stored.</param>
    /// <param name="storeY">Whether y is written where the pair runs fused (<see langword="false"/>: only pooled and argmax
    /// are, y is left as it was: the plan passes false when no kernel reads y and the activation views are not recorded,
    /// ADR 0058). Where the pair runs as two kernels y is the pool's input and is always written.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, Span<T> pooled, Span<int> argmax, int batch, in Conv2DGeometry g, in Pool2DGeometry p, bool fuseReLU = false, bool storeY = true)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (g.OutChannels == 0 || p.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", g.OutChannels == 0 ? nameof(g) : nameof(p));
        }
        if (p.Channels != g.OutChannels || p.Height != g.OutHeight || p.Width != g.OutWidth)
        {
            throw new ArgumentException($"The pool's input is {p.Channels}×{p.Height}×{p.Width} but the convolution's output is {g.OutChannels}×{g.OutHeight}×{g.OutWidth}.", nameof(p));
        }
        // A convolution on the GEMM path with an 8 × 8 output plane keeps its product on registers until its pool is
        // taken (ADR 0065); the direct convolution pools from its wide buffer (ADR 0047).
        bool gemm = ConvGemmPool.Serves<T>(g, p, !bias.IsEmpty);
        if (!gemm && !Fuses<T>(g, p))
        {
            Conv2D.Forward(x, w, bias, y, batch, g, fuseReLU);
            MaxPool2D.Forward<T>(y, pooled, argmax, batch, p);
            return;
        }

        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, g.OutChannels, nameof(bias));
        }
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        ThrowHelper.RequireLength(pooled.Length, (long)batch * p.OutputLength, nameof(pooled));
        if (!argmax.IsEmpty)
        {
            ThrowHelper.RequireLength(argmax.Length, (long)batch * p.OutputLength, nameof(argmax));
        }
        if (batch == 0)
        {
            return;
        }

        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        fixed (T* pp = pooled)
        fixed (int* pi = argmax)
        {
            // The pool's backward with the ReLU mask unfused (a switch of the tests and the bench) reads y.
            storeY |= !MaxPool2DReLU.Fused;
            if (gemm)
            {
                ConvGemmPool.Forward((float*)px, (float*)pw, (float*)pb, (float*)py, (float*)pp, pi, batch, g, fuseReLU, storeY);
                return;
            }
            var a = new Arguments { G = g, P = p, X = px, W = pw, Bias = pb, Y = py, Pooled = (float*)pp, Argmax = pi, Relu = fuseReLU, Batch = batch, StoreY = storeY };
            long work = (long)batch * g.WeightLength * g.OutPlane;
            int parts = batch >= Workers.MaxParts && work >= MinParallelWork ? Workers.PartsFor(work, MinParallelWork / 2, batch) : 1;
            if (parts > 1 && Workers.TryAcquire(out Job<T> job))
            {
                job.A = a;
                Workers.RunAndRelease(job, parts);
                return;
            }
            Conv2DForward.Samples(px, pw, pb, py, fuseReLU, g, 0, batch, (float*)pp, pi, p, storeY);
        }
    }

    /// <summary>Pinned operands of one call, handed to the parts.</summary>
    private unsafe struct Arguments
    {
        public Conv2DGeometry G;
        public Pool2DGeometry P;
        public void* X, W, Bias, Y;
        public float* Pooled;
        public int* Argmax;
        public bool Relu, StoreY;
        public int Batch;
    }

    /// <summary>A parallel run: each part takes whole samples.</summary>
    private sealed unsafe class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Arguments A;

        public override void Run(int part, int parts)
        {
            int start = (int)((long)A.Batch * part / parts), end = (int)((long)A.Batch * (part + 1) / parts);
            Conv2DForward.Samples((T*)A.X, (T*)A.W, (T*)A.Bias, (T*)A.Y, A.Relu, A.G, start, end, A.Pooled, A.Argmax, A.P, A.StoreY);
        }
    }
}
