using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// 2-D convolution, PyTorch <c>nn.Conv2d</c> layout (dilation 1, groups 1, zero padding): <c>x</c> is <c>[B, C, H, W]</c>,
/// <c>W</c> is <c>[O, C, Kh, Kw]</c>, <c>y</c> is <c>[B, O, Ho, Wo]</c>, all row-major (NCHW).
/// </summary>
/// <remarks>
/// <para><b>Lowering</b> (im2col): a sample's input is copied into the matrix <c>col[C·Kh·Kw, Ho·Wo]</c>, row
/// <c>(c·Kh + i)·Kw + j</c>, column <c>ho·Wo + wo</c> holding <c>x[c, ho·Sh − Ph + i, wo·Sw − Pw + j]</c> (0 in the
/// padding). Then <c>y_b[O, Ho·Wo] = W[O, C·Kh·Kw] · col</c> is one packed GEMM written straight into the NCHW output,
/// and the backward is <c>dW += dy_b · colᵀ</c> and <c>dcol = Wᵀ · dy_b</c> followed by col2im (the scatter-add that
/// is im2col's transpose). A 1×1 kernel with stride 1 and no padding skips the copy: <c>col</c> is the sample itself.</para>
/// <para><b>Parallel split</b>: the forward splits the batch (each part whole samples, one-thread GEMMs); with fewer
/// samples than cores it runs the samples in turn, each GEMM split over the cores instead. The backward cuts the
/// batch into <see cref="Groups"/> groups (a number fixed by the batch and the geometry alone, never by the core
/// count); each group sums its samples' <c>dW</c> in sample order into its own partial, and the partials are added in
/// group order at the end. <c>dx</c> is per sample and <c>db</c> is summed on the calling thread in sample order.
/// So the result bits do not depend on how many threads ran, nor which ran what: packed GEMMs give the same bits split
/// or not (<see cref="PackedGemm"/>).</para>
/// <para><b>Scratch</b>: the im2col and dcol matrices live in per-thread buffers and the group partials in a buffer of
/// the calling thread, all grown on first use and reused: no allocation in steady state.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Conv2D
{
    /// <summary>Most groups the backward sums <c>dW</c> in: enough parts to keep 8 cores busy.</summary>
    private const int MaxGroups = 8;

    /// <summary>Most elements the partial weight gradients of groups 1.. may take together (16 MiB of float); a larger
    /// weight gets fewer groups.</summary>
    private const int MaxPartialElements = 1 << 22;

    /// <summary>Multiply-adds below which a call stays on one thread.</summary>
    private const long MinParallelWork = 1L << 17;

    /// <summary>y[B,O,Ho,Wo] = Σ_{c,i,j} W[o,c,i,j]·x[b, c, ho·Sh − Ph + i, wo·Sw − Pw + j] + bias[o] (zero padding), then
    /// max(0, ·) when <paramref name="fuseReLU"/></summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C, Kh, Kw].</param>
    /// <param name="bias">Bias, [O]; empty = no bias.</param>
    /// <param name="y">Output, [batch, O, Ho, Wo] (overwritten).</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="fuseReLU">Apply ReLU as y is stored.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, in Conv2DGeometry g, bool fuseReLU = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, g.OutChannels, nameof(bias));
        }
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        if (batch == 0)
        {
            return;
        }

        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pb = bias)
        fixed (T* py = y)
        {
            var a = new Arguments<T> { G = g, Batch = batch, X = px, W = pw, Bias = pb, Y = py, Relu = fuseReLU };
            long work = (long)batch * g.WeightLength * g.OutPlane;
            int parts = batch >= Workers.MaxParts && work >= MinParallelWork ? Workers.PartsFor(work, MinParallelWork / 2, batch) : 1;
            if (parts > 1 && Workers.TryAcquire(out Job<T> job))
            {
                job.Set(a, backward: false);
                Workers.RunAndRelease(job, parts);
                return;
            }

            // Fewer samples than cores (or the workers busy elsewhere): sample after sample, each GEMM free to split.
            ForwardSamples(a, 0, batch, parallelGemm: true);
        }
    }

    /// <summary>dx[B,C,H,W] = col2im(Wᵀ · dy_b) (overwritten); dW[O,C,Kh,Kw] = Σ_b dy_b · col_bᵀ (overwritten);
    /// db[O] = Σ_{b,ho,wo} dy (overwritten)</summary>
    /// <param name="dy">Gradient of the output, [batch, O, Ho, Wo].</param>
    /// <param name="x">Input saved by the forward pass, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C, Kh, Kw].</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten); empty = not needed (first layer), skipped.</param>
    /// <param name="dw">Gradient of the weight, [O, C, Kh, Kw] (overwritten).</param>
    /// <param name="db">Gradient of the bias, [O] (overwritten); empty = no bias.</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The shape of one sample.</param>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dx, Span<T> dw, Span<T> db, int batch, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RequireGeometry(g);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        if (!dx.IsEmpty)
        {
            ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        }
        ThrowHelper.RequireLength(dw.Length, g.WeightLength, nameof(dw));
        if (!db.IsEmpty)
        {
            ThrowHelper.RequireSameLength(db.Length, g.OutChannels, nameof(db));
        }
        if (batch == 0)
        {
            return;
        }

        int groups = Groups(batch, g);
        T[] partials = Buffers<T>.Partials((groups - 1) * g.WeightLength);
        fixed (T* pdy = dy)
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pdx = dx)
        fixed (T* pdw = dw)
        fixed (T* pp = partials)
        {
            var a = new Arguments<T> { G = g, Batch = batch, X = px, W = pw, Dy = pdy, Dx = pdx, Dw = pdw, Partials = pp, Groups = groups };
            long work = (long)batch * g.WeightLength * g.OutPlane * (dx.IsEmpty ? 1 : 2);
            if (groups > 1 && groups >= Workers.MaxParts && work >= MinParallelWork && Workers.TryAcquire(out Job<T> job))
            {
                job.Set(a, backward: true);
                Workers.RunAndRelease(job, groups);
            }
            else
            {
                // The same groups in turn, each GEMM free to split: the same bits.
                for (int group = 0; group < groups; group++)
                {
                    BackwardGroup(a, group, parallelGemm: true);
                }
            }
        }

        // dW = partial of group 0 (written in place) + partial 1 + … in group order.
        Span<T> dW = dw.Slice(0, g.WeightLength);
        for (int group = 1; group < groups; group++)
        {
            TensorPrimitives.Add(dW, partials.AsSpan((group - 1) * g.WeightLength, g.WeightLength), dW);
        }

        // db[o] = Σ_b (Σ_{ho,wo} dy[b, o]), in sample order.
        if (!db.IsEmpty)
        {
            int plane = g.OutPlane;
            for (int o = 0; o < g.OutChannels; o++)
            {
                T sum = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    sum += TensorPrimitives.Sum(dy.Slice((b * g.OutputLength) + (o * plane), plane));
                }
                db[o] = sum;
            }
        }
    }

    /// <summary>How many groups the backward sums <c>dW</c> in: up to <see cref="MaxGroups"/>, at most one per sample, and
    /// fewer for a weight so large that the partials would pass <see cref="MaxPartialElements"/>. It depends on nothing
    /// but the batch and the geometry, so the order of the sums is the same on every machine.</summary>
    internal static int Groups(int batch, in Conv2DGeometry g)
    {
        int groups = Math.Min(batch, MaxGroups);
        return Math.Max(1, Math.Min(groups, 1 + (MaxPartialElements / g.WeightLength)));
    }

    private static void RequireGeometry(in Conv2DGeometry g)
    {
        if (g.OutChannels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
    }

    /// <summary>Pinned operands of one call, handed to the parts.</summary>
    private unsafe struct Arguments<T>
        where T : unmanaged
    {
        public Conv2DGeometry G;
        public int Batch, Groups;
        public T* X, W, Bias, Y, Dy, Dx, Dw, Partials;
        public bool Relu;
    }

    /// <summary>A parallel run: forward parts take whole samples, backward parts whole groups (part = group).</summary>
    private sealed unsafe class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private Arguments<T> _a;
        private bool _backward;

        public void Set(in Arguments<T> a, bool backward)
        {
            _a = a;
            _backward = backward;
        }

        public override void Run(int part, int parts)
        {
            if (_backward)
            {
                BackwardGroup(_a, part, parallelGemm: false);
                return;
            }
            (int start, int end) = Share(_a.Batch, part, parts);
            ForwardSamples(_a, start, end, parallelGemm: false);
        }
    }

    private static (int Start, int End) Share(int units, int part, int parts) =>
        ((int)((long)units * part / parts), (int)((long)units * (part + 1) / parts));

    /// <summary>Samples [start, end) of the forward: im2col, then y_b = W · col (+ bias, ReLU) in one GEMM.</summary>
    private static unsafe void ForwardSamples<T>(in Arguments<T> a, int start, int end, bool parallelGemm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, plane = g.OutPlane, o = g.OutChannels;
        bool pointwise = g.IsPointwise;
        fixed (T* col = pointwise ? null : Buffers<T>.Col((long)k * plane))
        {
            for (int b = start; b < end; b++)
            {
                T* xb = a.X + ((nint)b * g.InputLength);
                T* yb = a.Y + ((nint)b * g.OutputLength);
                T* colb = pointwise ? xb : col;
                if (!pointwise)
                {
                    Im2Col(xb, col, g);
                }
                if (a.Bias != null)
                {
                    // Each output row starts at its bias and the GEMM adds W·col on top (its bias epilogue is per column).
                    for (int r = 0; r < o; r++)
                    {
                        new Span<T>(yb + ((nint)r * plane), plane).Fill(a.Bias[r]);
                    }
                }
                // y_b[O, Ho·Wo] (+)= W[O, K] · col[K, Ho·Wo]
                Gemm(a.W, k, 1, colb, plane, 1, yb, o, plane, k, accumulate: a.Bias != null, a.Relu, parallelGemm);
            }
        }
    }

    /// <summary>One group of the backward: for each of its samples in order, dW_group (+)= dy_b · col_bᵀ, and, when dx is
    /// wanted, dx_b = col2im(Wᵀ · dy_b).</summary>
    private static unsafe void BackwardGroup<T>(in Arguments<T> a, int group, bool parallelGemm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, plane = g.OutPlane, o = g.OutChannels;
        bool pointwise = g.IsPointwise;
        (int start, int end) = Share(a.Batch, group, a.Groups);
        T* dwGroup = group == 0 ? a.Dw : a.Partials + ((nint)(group - 1) * g.WeightLength);
        fixed (T* col = pointwise ? null : Buffers<T>.Col((long)k * plane))
        fixed (T* dcol = pointwise || a.Dx == null ? null : Buffers<T>.DCol((long)k * plane))
        {
            for (int b = start; b < end; b++)
            {
                T* xb = a.X + ((nint)b * g.InputLength);
                T* dyb = a.Dy + ((nint)b * g.OutputLength);
                T* colb = pointwise ? xb : col;
                if (!pointwise)
                {
                    Im2Col(xb, col, g);
                }
                // dW[O, K] (+)= dy_b[O, Ho·Wo] · col[K, Ho·Wo]ᵀ: B(p, j) = col[j·plane + p]. The group's first sample overwrites.
                Gemm(dyb, plane, 1, colb, 1, plane, dwGroup, o, k, plane, accumulate: b > start, relu: false, parallelGemm);
                if (a.Dx != null)
                {
                    // dcol[K, Ho·Wo] = W[O, K]ᵀ · dy_b[O, Ho·Wo]: A(i, p) = w[p·K + i]
                    T* dxb = a.Dx + ((nint)b * g.InputLength);
                    Gemm(a.W, 1, k, dyb, plane, 1, pointwise ? dxb : dcol, k, plane, o, accumulate: false, relu: false, parallelGemm);
                    if (!pointwise)
                    {
                        Col2Im(dcol, dxb, g);
                    }
                }
            }
        }
    }

    /// <summary>C[m,n] (+)= A·B with A(i, p) = a[i·ars + p·acs], B(p, j) = b[p·brs + j·bcs], on the packed kernel (the same
    /// bits on one thread or split).</summary>
    private static unsafe void Gemm<T>(T* a, nint ars, nint acs, T* b, nint brs, nint bcs, T* c, int m, int n, int k, bool accumulate, bool relu, bool parallel)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var operands = new PackedGemm.Operands<T>
        {
            A = a, Ars = ars, Acs = acs,
            B = b, Brs = brs, Bcs = bcs,
            C = c, Ldc = n,
            M = m, N = n, K = k,
            Accumulate = accumulate, Relu = relu,
        };
        PackedGemm.Run(operands, parallel);
    }

    /// <summary>col[(c·Kh + i)·Kw + j, ho·Wo + wo] = x[c, ho·Sh − Ph + i, wo·Sw − Pw + j], 0 where that is padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops, called once per plane or sample: skip tier 0 / OSR
    internal static unsafe void Im2Col<T>(T* x, T* col, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int plane = ho * wo;
        T* row = col;
        for (int c = 0; c < g.Channels; c++)
        {
            T* xc = x + ((nint)c * h * w);
            for (int i = 0; i < g.KernelHeight; i++)
            {
                Geometry2D.ValidRange(ho, h, sh, g.PaddingHeight, i, out int r0, out int r1);
                for (int j = 0; j < g.KernelWidth; j++, row += plane)
                {
                    Geometry2D.ValidRange(wo, w, sw, g.PaddingWidth, j, out int c0, out int c1);
                    new Span<T>(row, r0 * wo).Clear();
                    for (int r = r0; r < r1; r++)
                    {
                        T* dst = row + ((nint)r * wo);
                        // Element wo of this output row reads src[wo·Sw]; only [c0, c1) lands inside the input.
                        T* src = xc + ((nint)((r * sh) - g.PaddingHeight + i) * w) - g.PaddingWidth + j;
                        new Span<T>(dst, c0).Clear();
                        if (sw == 1)
                        {
                            new ReadOnlySpan<T>(src + c0, c1 - c0).CopyTo(new Span<T>(dst + c0, c1 - c0));
                        }
                        else
                        {
                            for (int q = c0; q < c1; q++)
                            {
                                dst[q] = src[(nint)q * sw];
                            }
                        }
                        new Span<T>(dst + c1, wo - c1).Clear();
                    }
                    new Span<T>(row + ((nint)r1 * wo), (ho - r1) * wo).Clear();
                }
            }
        }
    }

    /// <summary>The transpose of <see cref="Im2Col"/>: dx = 0, then dx[c, ho·Sh − Ph + i, wo·Sw − Pw + j] += dcol[row, col]
    /// for every element inside the input, rows in order (a fixed order of the sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops, called once per plane or sample: skip tier 0 / OSR
    internal static unsafe void Col2Im<T>(T* dcol, T* dx, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int plane = ho * wo;
        new Span<T>(dx, g.InputLength).Clear();
        T* row = dcol;
        for (int c = 0; c < g.Channels; c++)
        {
            T* dxc = dx + ((nint)c * h * w);
            for (int i = 0; i < g.KernelHeight; i++)
            {
                Geometry2D.ValidRange(ho, h, sh, g.PaddingHeight, i, out int r0, out int r1);
                for (int j = 0; j < g.KernelWidth; j++, row += plane)
                {
                    Geometry2D.ValidRange(wo, w, sw, g.PaddingWidth, j, out int c0, out int c1);
                    for (int r = r0; r < r1; r++)
                    {
                        T* src = row + ((nint)r * wo);
                        T* dst = dxc + ((nint)((r * sh) - g.PaddingHeight + i) * w) - g.PaddingWidth + j;
                        if (sw == 1)
                        {
                            var d = new Span<T>(dst + c0, c1 - c0);
                            TensorPrimitives.Add(d, new ReadOnlySpan<T>(src + c0, c1 - c0), d);
                        }
                        else
                        {
                            for (int q = c0; q < c1; q++)
                            {
                                dst[(nint)q * sw] += src[q];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Scratch grown on first use and then reused: im2col and dcol matrices per thread (each part needs its own),
    /// the group partials of <see cref="Backward"/> per calling thread (two networks trained on two threads each have
    /// theirs). <see cref="Conv2DGeneral"/> takes its per-group im2col and dcol matrices from here too: a thread runs one
    /// convolution at a time, so the two kernels never hold the same buffer at once.</summary>
    internal static class Buffers<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static T[]? t_col;

        [ThreadStatic]
        private static T[]? t_dcol;

        [ThreadStatic]
        private static T[]? t_partials;

        public static T[] Col(long length) => Ensure(ref t_col, length);

        public static T[] DCol(long length) => Ensure(ref t_dcol, length);

        public static T[] Partials(long length) => Ensure(ref t_partials, length);

        private static T[] Ensure(ref T[]? buffer, long length)
        {
            if (buffer is null || buffer.Length < length)
            {
                buffer = new T[Math.Max(length, 64)];
            }
            return buffer;
        }
    }
}
