using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
        // The kernels of ADR 0056 and ADR 0060 sum db per group too (beside dW), into O more elements per group after the dW partials.
        bool groupBias = !db.IsEmpty && (Conv2DTapGradient.Serves(g) || (DirectWeightGradient<T>(g) && Conv2DWeightGradient.Serves<T>(g)));
        T[] partials = Buffers<T>.Partials(((groups - 1) * (long)g.WeightLength) + (groupBias ? (long)groups * g.OutChannels : 0));
        fixed (T* pdy = dy)
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pdx = dx)
        fixed (T* pdw = dw)
        fixed (T* pp = partials)
        fixed (T* pwt = !dx.IsEmpty && Conv2DBackward.ColumnsWeightsOnce(g) ? Conv2DBackward.ColumnsWeightsBuffer<T>(g) : null)
        {
            var a = new Arguments<T> { G = g, Batch = batch, X = px, W = pw, Dy = pdy, Dx = pdx, Dw = pdw, Partials = pp, Groups = groups };
            if (pwt != null)
            {
                // The column dx's Wᵀ once for every group (ADR 0063), not once per group.
                Conv2DBackward.ColumnsWeights(pw, pwt, g);
                a.Wt = pwt;
            }
            a.DbPartials = groupBias ? pp + ((nint)(groups - 1) * g.WeightLength) : null;
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

        if (groupBias)
        {
            // db[o] = Σ over the groups, in group order, of the group's sum (Conv2DWeightGradient).
            ReadOnlySpan<T> dbPartials = partials.AsSpan((groups - 1) * g.WeightLength, groups * g.OutChannels);
            for (int o = 0; o < g.OutChannels; o++)
            {
                T sum = T.Zero;
                for (int group = 0; group < groups; group++)
                {
                    sum += dbPartials[(group * g.OutChannels) + o];
                }
                db[o] = sum;
            }
        }
        else if (!db.IsEmpty)
        {
            // db[o] = Σ_b (Σ_{ho,wo} dy[b, o]), in sample order.
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

        /// <summary>The column dx's Wᵀ, laid out once per call (ADR 0063), or null.</summary>
        public T* Wt;

        /// <summary>The groups' db sums, O per group, or null where db is summed after the groups.</summary>
        public T* DbPartials;
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

    /// <summary>Whether the forward lowers each sample straight into the packed GEMM's B panels (<see cref="Im2ColPacked"/>):
    /// the depth, with the bias row, fits one depth block and the output plane one column block, so the panels are one
    /// block's layout. Otherwise im2col writes the plain column matrix and the GEMM packs it.</summary>
    /// <summary>Tests only: <see langword="false"/> sends every forward through the column matrix, to compare the paths' bits.</summary>
    internal static bool PanelsAllowed = true;

    internal static bool LowersIntoPanels(in Conv2DGeometry g, bool bias) =>
        PanelsAllowed && !g.IsPointwise && g.ColumnRows + (bias ? 1 : 0) <= PackedGemm.KC && g.OutPlane <= PackedGemm.NC;

    /// <summary>Samples [start, end) of the forward: im2col, then y_b = W · col (+ bias, ReLU) in one GEMM.</summary>
    private static unsafe void ForwardSamples<T>(in Arguments<T> a, int start, int end, bool parallelGemm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, plane = g.OutPlane, o = g.OutChannels;
        bool pointwise = g.IsPointwise;
        if (RunsDirect<T>(g))
        {
            if (Conv2DForward.Enabled)
            {
                Conv2DForward.Samples(a.X, a.W, a.Bias, a.Y, a.Relu, g, start, end, null, null, default);
            }
            else
            {
                DirectSamples(a, start, end);
            }
            return;
        }
        if (LowersIntoPanels(g, a.Bias != null))
        {
            ForwardSamplesPacked(a, start, end, parallelGemm);
            return;
        }
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

    /// <summary>Most rows of the column matrix (C·Kh·Kw) for which the forward runs as <see cref="DirectSamples{T}"/>: each
    /// output channel's weights are broadcast once per 3 registers of outputs, so a deep kernel (LeNet's conv2, 500) is
    /// better served by the GEMM's 6 × 2-register tiles.</summary>
    internal const int DirectMaxDepth = 128;

    /// <summary>Tests only: <see langword="false"/> sends every forward through the GEMM, to compare the paths' bits.</summary>
    internal static bool DirectAllowed = true;

    /// <summary>Whether the forward runs as a direct convolution (<see cref="DirectSamples{T}"/>): stride 1, no padding, a
    /// depth of at most <see cref="DirectMaxDepth"/>, and a "wide" span of at least <see cref="DirectMinSpan"/>. The
    /// choice depends on the geometry alone: the same for every call of a layer, on every machine (the generator writes
    /// it into the layer's comment by the same rule).</summary>
    internal static bool RunsDirect<T>(in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        DirectAllowed && !g.IsPointwise && g.StrideHeight == 1 && g.StrideWidth == 1 && g.PaddingHeight == 0 && g.PaddingWidth == 0
        && g.ColumnRows <= DirectMaxDepth && WideSpan(g) >= DirectMinSpan;

    /// <summary>Fewest wide outputs (see <see cref="WideSpan"/>) for <see cref="DirectSamples{T}"/>: 3 registers of the
    /// widest vector (16 floats), so the rule, and with it the path a layer takes, is the same on every machine and can
    /// be written into the generated comment.</summary>
    internal const int DirectMinSpan = 48;

    /// <summary>(Ho − 1)·W + Wo: the outputs of a plane computed "wide", as if each output row were W long.</summary>
    private static int WideSpan(in Conv2DGeometry g) => ((g.OutHeight - 1) * g.Width) + g.OutWidth;

    /// <summary>
    /// The forward as a direct convolution, for stride 1 and no padding: no im2col, no packing.
    /// </summary>
    /// <remarks>
    /// <para>With stride 1 and no padding, output (ho, wo) reads x[c, ho + i, wo + j]. Numbering the outputs "wide",
    /// q = ho·W + wo as if each output row were W long, that is x[c·H·W + q + i·W + j]: for each tap (c, i, j) the
    /// inputs of consecutive q are consecutive. So a register of outputs is one plain load of x per tap, times a
    /// broadcast weight: y_wide[o, q..q+w) += w[o, c, i, j] · x[c·H·W + i·W + j + q..]. The q with wo ≥ Wo are
    /// computed and dropped; q stops at (Ho − 1)·W + Wo, so no read passes the plane.</para>
    /// <para>Register block: 4 output channels × 3 registers of q (12 accumulators, 3 loads and 4 broadcasts per tap).
    /// The last block of q overlaps the one before, the last block of channels repeats its last channel, and both
    /// recompute values they then store again unchanged.</para>
    /// <para>Every output is the FMA chain over the taps in the column-matrix order p = (c·Kh + i)·Kw + j, from zero, then
    /// + bias, then ReLU: the arithmetic of the GEMM path (<see cref="ForwardSamplesPacked"/> and the column matrix),
    /// so the bits do not depend on which path a layer takes, and samples are independent of the split.</para>
    /// </remarks>
    private static void DirectSamples<T>(in Arguments<T> a, int start, int end)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            DirectSamples<T, Simd512<T>, Vector512<T>>(a, start, end);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            DirectSamples<T, Simd256<T>, Vector256<T>>(a, start, end);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            DirectSamples<T, Simd128<T>, Vector128<T>>(a, start, end);
        }
        else
        {
            DirectSamples<T, Scalar<T>, T>(a, start, end);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectSamples<T, TS, TV>(in Arguments<T> a, int start, int end)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, o = g.OutChannels, h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth;
        int ho = g.OutHeight, wo = g.OutWidth, plane = g.OutPlane, span = WideSpan(g), n = TS.Count, channels = g.Channels;
        bool relu = a.Relu;
        fixed (T* wide = Buffers<T>.Col((long)o * span))
        {
            for (int b = start; b < end; b++)
            {
                T* xb = a.X + ((nint)b * g.InputLength);
                T* yb = a.Y + ((nint)b * g.OutputLength);
                for (int o0 = 0; o0 < o; o0 += 4)
                {
                    // Channels o0..o0+3; past O the last channel again (computed twice, stored twice, the same values).
                    T* w0 = a.W + ((nint)o0 * k);
                    T* w1 = a.W + ((nint)Math.Min(o0 + 1, o - 1) * k);
                    T* w2 = a.W + ((nint)Math.Min(o0 + 2, o - 1) * k);
                    T* w3 = a.W + ((nint)Math.Min(o0 + 3, o - 1) * k);
                    for (int q0 = 0; ; q0 += 3 * n)
                    {
                        q0 = Math.Min(q0, span - (3 * n));
                        TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero;
                        TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero, c32 = TS.Zero;
                        int p = 0;
                        for (int c = 0; c < channels; c++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                T* xr = xb + ((nint)c * h * w) + ((nint)i * w) + q0;
                                for (int j = 0; j < kw; j++, p++)
                                {
                                    TV x0 = TS.Load(ref Unsafe.AsRef<T>(xr + j));
                                    TV x1 = TS.Load(ref Unsafe.AsRef<T>(xr + j + n));
                                    TV x2 = TS.Load(ref Unsafe.AsRef<T>(xr + j + (2 * n)));
                                    TV v = TS.Broadcast(w0[p]);
                                    c00 = TS.MultiplyAdd(v, x0, c00); c01 = TS.MultiplyAdd(v, x1, c01); c02 = TS.MultiplyAdd(v, x2, c02);
                                    v = TS.Broadcast(w1[p]);
                                    c10 = TS.MultiplyAdd(v, x0, c10); c11 = TS.MultiplyAdd(v, x1, c11); c12 = TS.MultiplyAdd(v, x2, c12);
                                    v = TS.Broadcast(w2[p]);
                                    c20 = TS.MultiplyAdd(v, x0, c20); c21 = TS.MultiplyAdd(v, x1, c21); c22 = TS.MultiplyAdd(v, x2, c22);
                                    v = TS.Broadcast(w3[p]);
                                    c30 = TS.MultiplyAdd(v, x0, c30); c31 = TS.MultiplyAdd(v, x1, c31); c32 = TS.MultiplyAdd(v, x2, c32);
                                }
                            }
                        }
                        StoreWide<T, TS, TV>(wide + ((nint)o0 * span) + q0, n, c00, c01, c02, a.Bias, o0, relu);
                        StoreWide<T, TS, TV>(wide + ((nint)Math.Min(o0 + 1, o - 1) * span) + q0, n, c10, c11, c12, a.Bias, Math.Min(o0 + 1, o - 1), relu);
                        StoreWide<T, TS, TV>(wide + ((nint)Math.Min(o0 + 2, o - 1) * span) + q0, n, c20, c21, c22, a.Bias, Math.Min(o0 + 2, o - 1), relu);
                        StoreWide<T, TS, TV>(wide + ((nint)Math.Min(o0 + 3, o - 1) * span) + q0, n, c30, c31, c32, a.Bias, Math.Min(o0 + 3, o - 1), relu);
                        if (q0 == span - (3 * n))
                        {
                            break;
                        }
                    }
                }

                // Drop the wide columns: y[o, r, 0..Wo) = wide[o, r·W ..].
                for (int r = 0; r < o; r++)
                {
                    for (int row = 0; row < ho; row++)
                    {
                        new ReadOnlySpan<T>(wide + ((nint)r * span) + ((nint)row * w), wo).CopyTo(new Span<T>(yb + ((nint)r * plane) + ((nint)row * wo), wo));
                    }
                }
            }
        }
    }

    /// <summary>Three registers of one channel's wide outputs: + bias (when there is one), ReLU, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreWide<T, TS, TV>(T* dst, int n, TV v0, TV v1, TV v2, T* bias, int channel, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        if (bias != null)
        {
            TV bv = TS.Broadcast(bias[channel]);
            v0 = TS.Add(v0, bv);
            v1 = TS.Add(v1, bv);
            v2 = TS.Add(v2, bv);
        }
        if (relu)
        {
            v0 = TS.Max(v0, TS.Zero);
            v1 = TS.Max(v1, TS.Zero);
            v2 = TS.Max(v2, TS.Zero);
        }
        TS.Store(v0, ref Unsafe.AsRef<T>(dst));
        TS.Store(v1, ref Unsafe.AsRef<T>(dst + n));
        TS.Store(v2, ref Unsafe.AsRef<T>(dst + (2 * n)));
    }

    /// <summary>
    /// The forward lowered into the GEMM's panels: y_b[O, Ho·Wo] = [W | bias][O, K+1] · [col; 1][K+1, Ho·Wo], then ReLU.
    /// </summary>
    /// <remarks>
    /// <para>Each sample's im2col is written straight in the packed layout the micro-kernel reads (NR pixels by K+1 rows
    /// per panel), and handed to the GEMM as its persistent packed B: no column matrix, no packing pass. The bias rides
    /// as an extra depth step, a row of ones in B against a column of biases in A, so no output is pre-filled and the
    /// epilogue never reads C. Its step is the last of each element's FMA chain: fma(bias, 1, Σ) rounds Σ + bias once,
    /// the same bits as adding the bias to the finished sum.</para>
    /// <para>The ones row and the zero columns past the plane in the last panel are the same for every sample, so they are
    /// written once per call; each sample rewrites only its own K × Ho·Wo values.</para>
    /// </remarks>
    private static unsafe void ForwardSamplesPacked<T>(in Arguments<T> a, int start, int end, bool parallelGemm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, plane = g.OutPlane, o = g.OutChannels;
        bool bias = a.Bias != null;
        int depth = k + (bias ? 1 : 0), nr = PackedGemm.NR<T>(), panels = (plane + nr - 1) / nr;
        int panelLength = depth * nr;
        fixed (T* packed = Buffers<T>.Col((long)panels * panelLength))
        fixed (T* augmented = bias ? Buffers<T>.DCol((long)o * depth) : null)
        {
            // Columns past the plane (last panel): zero in every row; the ones row of the bias: one everywhere.
            new Span<T>(packed + ((nint)(panels - 1) * panelLength), panelLength).Clear();
            if (bias)
            {
                for (int q = 0; q < panels; q++)
                {
                    new Span<T>(packed + ((nint)q * panelLength) + ((nint)k * nr), nr).Fill(T.One);
                }
                // A = [W | bias]: row r is W[r, 0..K) then bias[r].
                for (int r = 0; r < o; r++)
                {
                    new ReadOnlySpan<T>(a.W + ((nint)r * k), k).CopyTo(new Span<T>(augmented + ((nint)r * depth), k));
                    augmented[((nint)r * depth) + k] = a.Bias[r];
                }
            }
            T* w = bias ? augmented : a.W;
            for (int b = start; b < end; b++)
            {
                Im2ColPacked(a.X + ((nint)b * g.InputLength), packed, g, nr, panelLength);
                var operands = new PackedGemm.Operands<T>
                {
                    A = w, Ars = depth, Acs = 1,
                    PackedB = packed,
                    C = a.Y + ((nint)b * g.OutputLength), Ldc = plane,
                    M = o, N = plane, K = depth,
                    Relu = a.Relu,
                };
                PackedGemm.Run(operands, parallelGemm);
            }
        }
    }

    /// <summary>im2col written in the packed GEMM's B layout: value (row, pixel) of <see cref="Im2Col"/>'s matrix at
    /// <c>packed[(pixel / nr)·panelLength + row·nr + pixel mod nr]</c>, for rows below K and pixels below Ho·Wo only
    /// (the rest of the panels is left as it is). Each output row's pixels are copied in runs that stay inside one
    /// panel; padding positions are written as zero.</summary>
    /// <summary>Tests and <c>NetGen.Bench --lenet-profile --panel-rows-ab</c>: <see langword="false"/> copies each run of
    /// <see cref="Im2ColPacked"/> with one <c>Span.CopyTo</c> call, as before ADR 0060 (the same values).</summary>
    internal static bool PanelRowsOnRegisters = true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Im2ColPacked<T>(T* x, T* packed, in Conv2DGeometry g, int nr, int panelLength)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        int ph = g.PaddingHeight, pw = g.PaddingWidth, kh = g.KernelHeight, kw = g.KernelWidth;
        if (PanelRowsOnRegisters && sh == 1 && sw == 1 && ph == 0 && pw == 0 && nr % wo == 0)
        {
            Im2ColPackedRuns(x, packed, g, nr, panelLength);
            return;
        }
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            T* xc = x + ((nint)c * h * w);
            for (int i = 0; i < kh; i++)
            {
                Geometry2D.ValidRange(ho, h, sh, ph, i, out int r0, out int r1);
                for (int j = 0; j < kw; j++, row++)
                {
                    Geometry2D.ValidRange(wo, w, sw, pw, j, out int c0, out int c1);
                    T* dstRow = packed + ((nint)row * nr);
                    int lane = 0; // of the current pixel in its panel
                    T* panel = dstRow;
                    for (int r = 0; r < ho; r++)
                    {
                        bool inside = r >= r0 && r < r1;
                        // Element q of this output row reads src[q·Sw] when q is in [c0, c1).
                        T* src = xc + ((nint)((r * sh) - ph + i) * w) - pw + j;
                        for (int q = 0; q < wo;)
                        {
                            // One run: the pixels of this output row that share a panel.
                            int run = Math.Min(wo - q, nr - lane);
                            T* dst = panel + lane;
                            int from = inside ? Math.Clamp(c0 - q, 0, run) : run, to = inside ? Math.Clamp(c1 - q, 0, run) : run;
                            for (int t = 0; t < from; t++)
                            {
                                dst[t] = T.Zero;
                            }
                            if (sw == 1 && PanelRowsOnRegisters)
                            {
                                Conv2DForward.CopyRow(src + q + from, dst + from, to - from);
                            }
                            else if (sw == 1)
                            {
                                new ReadOnlySpan<T>(src + q + from, to - from).CopyTo(new Span<T>(dst + from, to - from));
                            }
                            else
                            {
                                for (int t = from; t < to; t++)
                                {
                                    dst[t] = src[(nint)(q + t) * sw];
                                }
                            }
                            for (int t = to; t < run; t++)
                            {
                                dst[t] = T.Zero;
                            }
                            q += run;
                            lane += run;
                            if (lane == nr)
                            {
                                lane = 0;
                                panel += panelLength;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary><see cref="Im2ColPacked"/> for stride 1, no padding and output rows that tile a panel (NR a multiple of Wo,
    /// LeNet's conv2: four rows of 8 to a panel of 32): every output row of every tap is one run of Wo values, copied on
    /// registers, with no clamping and no zeros to write (ADR 0060; the same values as the general loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Im2ColPackedRuns<T>(T* x, T* packed, in Conv2DGeometry g, int nr, int panelLength)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth;
        int rowsPerPanel = nr / wo;
        T* dstRow = packed;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < kh; i++)
            {
                T* srcRow = x + ((nint)c * h * w) + ((nint)i * w);
                for (int j = 0; j < kw; j++, dstRow += nr)
                {
                    // Output row r of tap (c, i, j) reads x[c, r + i, j .. j + Wo) into panel r / rowsPerPanel, lanes
                    // (r mod rowsPerPanel)·Wo ...
                    T* src = srcRow + j;
                    T* panel = dstRow;
                    if (Vector512.IsHardwareAccelerated && wo == Vector256<T>.Count && (ho % rowsPerPanel) == 0)
                    {
                        // Rows of half a 512-bit register (LeNet's conv2: Wo = 8, 4 rows to a panel): two output rows
                        // per store, every panel filled in whole registers.
                        for (int r = 0; r < ho; r += rowsPerPanel, panel += panelLength)
                        {
                            T* from = src + ((nint)r * w);
                            for (int t = 0; t < rowsPerPanel; t += 2, from += 2 * w)
                            {
                                Vector512.Create(Vector256.Load(from), Vector256.Load(from + w)).Store(panel + ((nint)t * wo));
                            }
                        }
                        continue;
                    }
                    for (int r = 0; r < ho; r += rowsPerPanel, panel += panelLength)
                    {
                        int rows = Math.Min(rowsPerPanel, ho - r);
                        for (int t = 0; t < rows; t++)
                        {
                            Conv2DForward.CopyRow(src + ((nint)(r + t) * w), panel + ((nint)t * wo), wo);
                        }
                    }
                }
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
        bool tapDw = Conv2DTapGradient.Serves(g);
        if (tapDw || DirectWeightGradient<T>(g))
        {
            if (tapDw)
            {
                Conv2DTapGradient.Run(a.X, a.Dy, start, end, dwGroup, a.DbPartials == null ? null : a.DbPartials + ((nint)group * o), g);
            }
            else if (Conv2DWeightGradient.Serves<T>(g))
            {
                Conv2DWeightGradient.Run(a.X, a.Dy, a.Batch, start, end, dwGroup, a.DbPartials == null ? null : a.DbPartials + ((nint)group * o), g);
            }
            else
            {
                DirectWeightGradient(a, start, end, dwGroup);
            }
            if (a.Dx != null && Conv2DBackward.DirectInput(g))
            {
                Conv2DBackward.DirectInputGradient(a.Dy, a.W, a.Dx, start, end, g, a.Wt);
            }
            else if (a.Dx != null)
            {
                fixed (T* dcolBuffer = Buffers<T>.DCol(((long)k * plane) + (2 * Conv2DBackward.Col2ImMargin)))
                {
                    T* dcol = dcolBuffer + Conv2DBackward.Col2ImMargin;
                    for (int b = start; b < end; b++)
                    {
                        // dcol[K, Ho·Wo] = W[O, K]ᵀ · dy_b[O, Ho·Wo], then col2im.
                        T* dyb = a.Dy + ((nint)b * g.OutputLength);
                        Gemm(a.W, 1, k, dyb, plane, 1, dcol, k, plane, o, accumulate: false, relu: false, parallelGemm);
                        Col2ImRows(dcol, a.Dx + ((nint)b * g.InputLength), g);
                    }
                }
            }
            return;
        }
        // dx as a direct full convolution (Conv2DBackward) where it serves the geometry: this loop then computes dW only.
        bool directDx = a.Dx != null && Conv2DBackward.DirectInput(g);
        fixed (T* col = pointwise ? null : Buffers<T>.Col((long)k * plane))
        fixed (T* dcolBuffer = pointwise || a.Dx == null || directDx ? null : Buffers<T>.DCol(((long)k * plane) + (2 * Conv2DBackward.Col2ImMargin)))
        {
            T* dcol = dcolBuffer == null ? null : dcolBuffer + Conv2DBackward.Col2ImMargin;
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
                if (a.Dx != null && !directDx)
                {
                    // dcol[K, Ho·Wo] = W[O, K]ᵀ · dy_b[O, Ho·Wo]: A(i, p) = w[p·K + i]
                    T* dxb = a.Dx + ((nint)b * g.InputLength);
                    Gemm(a.W, 1, k, dyb, plane, 1, pointwise ? dxb : dcol, k, plane, o, accumulate: false, relu: false, parallelGemm);
                    if (!pointwise)
                    {
                        Col2ImRows(dcol, dxb, g);
                    }
                }
            }
        }
        if (directDx)
        {
            Conv2DBackward.DirectInputGradient(a.Dy, a.W, a.Dx, start, end, g, a.Wt);
        }
    }

    /// <summary>Whether the backward computes dW directly (<see cref="DirectWeightGradient{T}(in Arguments{T}, int, int, T*)"/>):
    /// the geometries of the direct forward, with at least 3 rows in the column matrix; and, where the 512-bit kernel
    /// <see cref="Conv2DWeightGradient"/> serves the geometry, a column matrix of any depth (ADR 0060: LeNet's conv2, 500
    /// rows, whose GEMM dW packed each sample's column matrix transposed for a depth of only Ho·Wo = 64).</summary>
    internal static bool DirectWeightGradient<T>(in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        DirectAllowed && !g.IsPointwise && g.StrideHeight == 1 && g.StrideWidth == 1 && g.PaddingHeight == 0 && g.PaddingWidth == 0
        && g.ColumnRows >= 3 && (g.ColumnRows <= DirectMaxDepth || (DeepDirectWeightGradient && Conv2DWeightGradient.Serves<T>(g)));

    /// <summary>Tests and <c>NetGen.Bench --lenet-profile --deep-dw-ab</c>: <see langword="false"/> sends a column matrix
    /// deeper than <see cref="DirectMaxDepth"/> back to the GEMM dW, as before ADR 0060.</summary>
    internal static bool DeepDirectWeightGradient = true;

    /// <summary>
    /// dW_group[O, K] = Σ over the group's samples and outputs of dy[b, o, ho, wo] · x[b, c, ho + i, wo + j], computed
    /// directly (stride 1, no padding): no im2col, no packing, no GEMM.
    /// </summary>
    /// <remarks>
    /// <para>With the outputs numbered wide (q = ho·W + wo, as in the direct forward), the input of tap (c, i, j) at q is
    /// x[c·H·W + i·W + j + q]: contiguous in q. Each sample's dy is copied into a wide buffer with zeros in the dropped
    /// columns (wo ≥ Wo) and past the span up to a whole register, and its x into a buffer with one register of zeros
    /// after it (the last registers read past the plane, against zero dy), so every product is a register FMA.</para>
    /// <para>Register block: 4 output channels × 3 taps, 12 accumulators, each a chain over the group's samples in order
    /// and, within a sample, over the registers of q; at the end each accumulator's lanes are added in lane order. The
    /// order is fixed by the group (a function of the batch and the geometry), so the bits do not depend on the thread
    /// count. The last channel block repeats its last channel and the last tap block overlaps the one before: those
    /// values are computed twice and stored twice, the same.</para>
    /// </remarks>
    private static unsafe void DirectWeightGradient<T>(in Arguments<T> a, int start, int end, T* dw)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            DirectWeightGradient<T, Simd512<T>, Vector512<T>>(a, start, end, dw);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            DirectWeightGradient<T, Simd256<T>, Vector256<T>>(a, start, end, dw);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            DirectWeightGradient<T, Simd128<T>, Vector128<T>>(a, start, end, dw);
        }
        else
        {
            DirectWeightGradient<T, Scalar<T>, T>(a, start, end, dw);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectWeightGradient<T, TS, TV>(in Arguments<T> a, int start, int end, T* dw)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, o = g.OutChannels, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth;
        int ho = g.OutHeight, wo = g.OutWidth, n = TS.Count, samples = end - start, plane = g.OutPlane;
        int span = WideSpan(g), spanPad = (span + n - 1) / n * n, xLength = g.InputLength + n;
        fixed (T* dyWide = Buffers<T>.Wide((long)samples * o * spanPad))
        fixed (T* xPad = Buffers<T>.Pad((long)samples * xLength))
        {
            for (int s = 0; s < samples; s++)
            {
                T* xs = xPad + ((nint)s * xLength);
                new ReadOnlySpan<T>(a.X + ((nint)(start + s) * g.InputLength), g.InputLength).CopyTo(new Span<T>(xs, g.InputLength));
                new Span<T>(xs + g.InputLength, n).Clear();
                for (int r = 0; r < o; r++)
                {
                    T* d = dyWide + (((nint)s * o) + r) * spanPad;
                    T* src = a.Dy + ((nint)(start + s) * g.OutputLength) + ((nint)r * plane);
                    new Span<T>(d, spanPad).Clear();
                    for (int row = 0; row < ho; row++)
                    {
                        Conv2DBackward.CopyRow(src + ((nint)row * wo), d + ((nint)row * w), wo);
                    }
                }
            }

            T* lanes = stackalloc T[12 * n];
            int taps = kh * kw;
            for (int o0 = 0; o0 < o; o0 += 4)
            {
                int o1 = Math.Min(o0 + 1, o - 1), o2 = Math.Min(o0 + 2, o - 1), o3 = Math.Min(o0 + 3, o - 1);
                for (int p0 = 0; ; p0 += 3)
                {
                    p0 = Math.Min(p0, k - 3);
                    // x offsets of taps p0..p0+2: c·H·W + i·W + j for p = (c·Kh + i)·Kw + j.
                    nint x0 = TapOffset(p0, taps, kw, g), x1 = TapOffset(p0 + 1, taps, kw, g), x2 = TapOffset(p0 + 2, taps, kw, g);
                    TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero;
                    TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero, c32 = TS.Zero;
                    for (int s = 0; s < samples; s++)
                    {
                        T* xs = xPad + ((nint)s * xLength);
                        T* d0 = dyWide + (((nint)s * o) + o0) * spanPad;
                        T* d1 = dyWide + (((nint)s * o) + o1) * spanPad;
                        T* d2 = dyWide + (((nint)s * o) + o2) * spanPad;
                        T* d3 = dyWide + (((nint)s * o) + o3) * spanPad;
                        for (int q = 0; q < spanPad; q += n)
                        {
                            TV v0 = TS.Load(ref Unsafe.AsRef<T>(xs + x0 + q));
                            TV v1 = TS.Load(ref Unsafe.AsRef<T>(xs + x1 + q));
                            TV v2 = TS.Load(ref Unsafe.AsRef<T>(xs + x2 + q));
                            TV d = TS.Load(ref Unsafe.AsRef<T>(d0 + q));
                            c00 = TS.MultiplyAdd(d, v0, c00); c01 = TS.MultiplyAdd(d, v1, c01); c02 = TS.MultiplyAdd(d, v2, c02);
                            d = TS.Load(ref Unsafe.AsRef<T>(d1 + q));
                            c10 = TS.MultiplyAdd(d, v0, c10); c11 = TS.MultiplyAdd(d, v1, c11); c12 = TS.MultiplyAdd(d, v2, c12);
                            d = TS.Load(ref Unsafe.AsRef<T>(d2 + q));
                            c20 = TS.MultiplyAdd(d, v0, c20); c21 = TS.MultiplyAdd(d, v1, c21); c22 = TS.MultiplyAdd(d, v2, c22);
                            d = TS.Load(ref Unsafe.AsRef<T>(d3 + q));
                            c30 = TS.MultiplyAdd(d, v0, c30); c31 = TS.MultiplyAdd(d, v1, c31); c32 = TS.MultiplyAdd(d, v2, c32);
                        }
                    }
                    T* r0 = dw + ((nint)o0 * k) + p0, r1 = dw + ((nint)o1 * k) + p0, r2 = dw + ((nint)o2 * k) + p0, r3 = dw + ((nint)o3 * k) + p0;
                    if (Conv2DBackward.LanesTogether)
                    {
                        // The 12 lane sums side by side: 12 independent chains instead of one after another (ADR 0052).
                        TS.Store(c00, ref Unsafe.AsRef<T>(lanes)); TS.Store(c01, ref Unsafe.AsRef<T>(lanes + n)); TS.Store(c02, ref Unsafe.AsRef<T>(lanes + (2 * n)));
                        TS.Store(c10, ref Unsafe.AsRef<T>(lanes + (3 * n))); TS.Store(c11, ref Unsafe.AsRef<T>(lanes + (4 * n))); TS.Store(c12, ref Unsafe.AsRef<T>(lanes + (5 * n)));
                        TS.Store(c20, ref Unsafe.AsRef<T>(lanes + (6 * n))); TS.Store(c21, ref Unsafe.AsRef<T>(lanes + (7 * n))); TS.Store(c22, ref Unsafe.AsRef<T>(lanes + (8 * n)));
                        TS.Store(c30, ref Unsafe.AsRef<T>(lanes + (9 * n))); TS.Store(c31, ref Unsafe.AsRef<T>(lanes + (10 * n))); TS.Store(c32, ref Unsafe.AsRef<T>(lanes + (11 * n)));
                        Conv2DBackward.LaneSums12(lanes, n, r0, r1, r2, r3);
                    }
                    else
                    {
                        r0[0] = Lanes<T, TS, TV>(c00, lanes, n); r0[1] = Lanes<T, TS, TV>(c01, lanes, n); r0[2] = Lanes<T, TS, TV>(c02, lanes, n);
                        r1[0] = Lanes<T, TS, TV>(c10, lanes, n); r1[1] = Lanes<T, TS, TV>(c11, lanes, n); r1[2] = Lanes<T, TS, TV>(c12, lanes, n);
                        r2[0] = Lanes<T, TS, TV>(c20, lanes, n); r2[1] = Lanes<T, TS, TV>(c21, lanes, n); r2[2] = Lanes<T, TS, TV>(c22, lanes, n);
                        r3[0] = Lanes<T, TS, TV>(c30, lanes, n); r3[1] = Lanes<T, TS, TV>(c31, lanes, n); r3[2] = Lanes<T, TS, TV>(c32, lanes, n);
                    }
                    if (p0 == k - 3)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Where tap p = (c·Kh + i)·Kw + j reads in a sample: c·H·W + i·W + j.</summary>
    private static nint TapOffset(int p, int taps, int kw, in Conv2DGeometry g)
    {
        int c = p / taps, ij = p - (c * taps), i = ij / kw, j = ij - (i * kw);
        return ((nint)c * g.Height * g.Width) + ((nint)i * g.Width) + j;
    }

    /// <summary>The sum of a register's lanes, in lane order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe T Lanes<T, TS, TV>(TV v, T* lanes, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TS.Store(v, ref Unsafe.AsRef<T>(lanes));
        T sum = lanes[0];
        for (int l = 1; l < n; l++)
        {
            sum += lanes[l];
        }
        return sum;
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

    /// <summary>col2im of the backward's dcol (a buffer with <see cref="Conv2DBackward.Col2ImMargin"/> elements of slack
    /// on both sides): the register gather where it serves the geometry (<see cref="Conv2DBackward.Col2ImGather{T}"/>),
    /// else the scatter; the same bits either way.</summary>
    internal static unsafe void Col2ImRows<T>(T* dcol, T* dx, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Conv2DBackward.GathersCol2Im<T>(g))
        {
            Conv2DBackward.Col2ImGather(dcol, dx, g);
        }
        else
        {
            Col2Im(dcol, dx, g);
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
                            Conv2DBackward.AddRow(dst + c0, src + c0, c1 - c0);
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

        [ThreadStatic]
        private static T[]? t_wide;

        [ThreadStatic]
        private static T[]? t_pad;

        /// <summary>The direct dW's wide copy of dy (zeros in the dropped columns).</summary>
        public static T[] Wide(long length) => ThreadBuffer.Ensure(ref t_wide, length);

        /// <summary>The direct dW's copy of x with a register of zeros after it.</summary>
        public static T[] Pad(long length) => ThreadBuffer.Ensure(ref t_pad, length);

        public static T[] Col(long length) => ThreadBuffer.Ensure(ref t_col, length);

        public static T[] DCol(long length) => ThreadBuffer.Ensure(ref t_dcol, length);

        public static T[] Partials(long length) => ThreadBuffer.Ensure(ref t_partials, length);
    }
}
