using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The backward of a Conv2D that needs ∂L/∂x, followed by ReLU → MaxPool2D 2×2 stride 2, as one kernel over the pool's
/// gradient: the convolution's output gradient dy is at most one non-zero per 2×2 window (none where the ReLU was off),
/// so dx, dW and db are summed over those terms only, a quarter of the dense products (ADR 0064).
/// </summary>
/// <remarks>
/// <para><b>Formula.</b> dy = 0 except dy[o, argmax] = 0 + (pooled &gt; 0 ? dPooled : 0) (the backward of ReLU then
/// MaxPool2D, <see cref="MaxPool2DReLU"/>); dcol[(c, i, j), p] = Σ_o W[o, c, i, j] · dy[o, p], dx = col2im(dcol);
/// dW[o, c, i, j] = Σ_b Σ_p dy[b, o, p] · x[b, c, ho + i, wo + j]; db[o] = Σ_b Σ_p dy[b, o, p] (p = (ho, wo)).</para>
/// <para><b>Layout.</b> Per sample the non-zero terms are listed twice: by output position p (the channels o in
/// ascending order, for dx) and by channel o (the positions p in ascending order, for dW and db). The sample's x and
/// dx are held channels-last (HWC), so the (j, c) of one kernel row i are Kw·C contiguous floats (100 for LeNet's
/// conv2, 20 channels × 5 taps): a run of ⌈Kw·C/16⌉ registers per kernel row. W is laid out once per call as W'[o]
/// = these runs for i = 0 … Kh − 1, zero-padded. dW of a channel o then adds v · x_hwc[p + run] for each of its terms,
/// and dx's position p adds Σ_{o at p} v · W'[o] into dx_hwc[p + run]: 16-lane FMAs over (j, c) with no lane wasted but
/// the runs' padding.</para>
/// <para><b>Bits.</b> Skipping an exact zero term leaves a float sum unchanged (for finite x and W), so where the terms
/// are taken in the old kernels' order the bits are theirs: each dcol element is an FMA chain from +0 over o ascending
/// (<see cref="Conv2DBackward"/>'s column kernel), dx adds the dcol terms for (i, j) ascending from +0 (col2im's order:
/// the passes run over (i, j) ascending, the positions p descending within a pass), each dW element is an FMA chain from
/// +0 over the group's samples in order and p ascending (<see cref="Conv2DTapGradient"/>), db per group the same chain
/// of additions; the groups are <see cref="Conv2D.Groups"/> and their partials are added in group order. So dx, dW and
/// db are the bits of <see cref="MaxPool2DReLU.Backward{T}"/> followed by <see cref="Conv2D.Backward{T}"/> on any
/// thread count (tests compare them at 1, 2 and 8 threads). Non-finite values are the exception: the dense kernels
/// multiply a NaN or infinite weight or input by the zeros and get NaN where this kernel adds nothing, and a NaN pool
/// gradient reaches a few dx elements past its window here through the runs' zero padding.</para>
/// <para><b>Where.</b> Float on AVX-512; the convolution stride 1, unpadded, with the dW of <see cref="Conv2DTapGradient"/>
/// and the column dx of <see cref="Conv2DBackward.Columns"/>; the pool 2×2, stride 2, unpadded, every window inside
/// the convolution's output; the ReLU's mask folded into the pool (<see cref="MaxPool2DReLU.Fused"/>) and
/// <see cref="Enabled"/>. Anywhere else the two kernels run in turn through the caller's dy: bit for bit today's pair.</para>
/// <para><b>Scratch.</b> Per thread: the group's dW accumulators (O × the padded runs), the sample's x and dx in HWC,
/// the two term lists; per call the laid-out W' (the calling thread's). Grown on first use: no allocation in steady
/// state.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class PoolConvBackward
{
    /// <summary>Multiply-adds below which a call stays on one thread (as <see cref="Conv2D"/>).</summary>
    private const long MinParallelWork = 1L << 17;

    /// <summary>Registers of 16 floats in one pass (the accumulators held at once).</summary>
    private const int PassRegisters = 8;

    /// <summary>Floats of slack after the HWC buffers: a run's last register may reach past the sample's end.</summary>
    private const int Slack = 64;

    /// <summary>Tests and <c>NetGen.Bench --lenet-profile --pool-conv-ab</c>: <see langword="false"/> runs the two kernels
    /// of before in turn (the same bits). Per thread (read by the calling thread as a call starts), as
    /// <see cref="ConvPoolBackward.Enabled"/>.</summary>
    internal static bool Enabled
    {
        get => !t_disabled;
        set => t_disabled = !value;
    }

    [ThreadStatic]
    private static bool t_disabled;

    /// <summary>Registers of 16 floats per kernel row's run of Kw·C floats.</summary>
    private static int RunRegisters(in Conv2DGeometry g) => ((g.KernelWidth * g.Channels) + 15) / 16;

    /// <summary>Whether the geometries take this kernel (see the remarks), the switches aside: a function of the
    /// geometries and the machine's AVX-512.</summary>
    internal static bool Serves<T>(in Conv2DGeometry g, in Pool2DGeometry p)
        where T : unmanaged =>
        typeof(T) == typeof(float) && Avx512F.IsSupported
        && Conv2DTapGradient.Serves(g) && Conv2DBackward.DirectInput(g) && Conv2DBackward.Columns(g)
        && p.KernelHeight == 2 && p.KernelWidth == 2 && p.StrideHeight == 2 && p.StrideWidth == 2
        && p.PaddingHeight == 0 && p.PaddingWidth == 0 && p.Channels == g.OutChannels
        && p.Height == g.OutHeight && p.Width == g.OutWidth && 2 * p.OutHeight <= p.Height && 2 * p.OutWidth <= p.Width
        && RunRegisters(g) * 16 <= g.Width * g.Channels;

    /// <summary>Whether the call runs fused (see the remarks).</summary>
    internal static bool Fuses<T>(in Conv2DGeometry g, in Pool2DGeometry p)
        where T : unmanaged =>
        Enabled && MaxPool2DReLU.Fused && Serves<T>(g, p);

    /// <summary>dx[B,C,H,W], dW[O,C,Kh,Kw] and db[O] (all overwritten) of Conv2D → ReLU → MaxPool2D from the pool's
    /// gradient: dy = 0 except dy[argmax] += (pooled &gt; 0 ? dPooled : 0), dx = col2im(Wᵀ·dy), dW = Σ_b dy_b ·
    /// im2col(x_b)ᵀ, db = Σ dy</summary>
    /// <param name="dPooled">Gradient of the pool's output, [batch, O, Ho', Wo']. It may share memory with
    /// <paramref name="dx"/> (the generated step's two gradient slots): it is then copied into <paramref name="dy"/>
    /// first.</param>
    /// <param name="argmax">The pool's winner positions, [batch, O, Ho', Wo']; each in its window.</param>
    /// <param name="pooled">The pool's output, [batch, O, Ho', Wo'] (the ReLU's output at each argmax).</param>
    /// <param name="y">The ReLU's output, [batch, O, Ho, Wo]: read only where the two kernels run with the ReLU's mask
    /// unfused (<see cref="MaxPool2DReLU.Fused"/> off, a switch of the tests).</param>
    /// <param name="x">The convolution's input, [batch, C, H, W].</param>
    /// <param name="w">The convolution's weight, [O, C, Kh, Kw].</param>
    /// <param name="dy">The convolution's output gradient, [batch, O, Ho, Wo]: scratch (written by the two kernels where
    /// they run; where the call runs fused, a copy of <paramref name="dPooled"/> if that shares memory with dx).</param>
    /// <param name="dx">Gradient of the convolution's input, [batch, C, H, W] (overwritten).</param>
    /// <param name="dw">Gradient of the weight, [O, C, Kh, Kw] (overwritten).</param>
    /// <param name="db">Gradient of the bias, [O] (overwritten); empty = no bias.</param>
    /// <param name="batch">B (0 = nothing to do).</param>
    /// <param name="g">The convolution's shape of one sample.</param>
    /// <param name="p">The pool's shape of one sample: its input is the convolution's output.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argmax outside its window (fused) or its plane: the group that
    /// finds it stops before it writes through it, so dx, dW and db may be partly written; the parameters are not.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> dPooled, ReadOnlySpan<int> argmax, ReadOnlySpan<T> pooled, ReadOnlySpan<T> y, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dy, Span<T> dx, Span<T> dw, Span<T> db, int batch, in Conv2DGeometry g, in Pool2DGeometry p)
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
        if (!Fuses<T>(g, p))
        {
            MaxPool2DReLU.Backward(dPooled, argmax, pooled, y, dy, batch, p);
            Conv2D.Backward<T>(dy, x, w, dx, dw, db, batch, g);
            return;
        }

        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireLength(dPooled.Length, (long)batch * p.OutputLength, nameof(dPooled));
        ThrowHelper.RequireLength(argmax.Length, (long)batch * p.OutputLength, nameof(argmax));
        ThrowHelper.RequireLength(pooled.Length, (long)batch * p.OutputLength, nameof(pooled));
        ThrowHelper.RequireLength(y.Length, (long)batch * g.OutputLength, nameof(y));
        ThrowHelper.RequireLength(x.Length, (long)batch * g.InputLength, nameof(x));
        ThrowHelper.RequireLength(w.Length, g.WeightLength, nameof(w));
        ThrowHelper.RequireLength(dy.Length, (long)batch * g.OutputLength, nameof(dy));
        ThrowHelper.RequireLength(dx.Length, (long)batch * g.InputLength, nameof(dx));
        ThrowHelper.RequireLength(dw.Length, g.WeightLength, nameof(dw));
        if (!db.IsEmpty)
        {
            ThrowHelper.RequireSameLength(db.Length, g.OutChannels, nameof(db));
        }
        if (batch == 0)
        {
            return;
        }

        // The generated step reads the pool's gradient from the slot the convolution's dx goes to: copied out first
        // into the convolution's dy slot, which the fused path does not otherwise use.
        ReadOnlySpan<T> gradient = dPooled.Slice(0, batch * p.OutputLength);
        if (gradient.Overlaps(dx.Slice(0, batch * g.InputLength)))
        {
            gradient.CopyTo(dy);
            gradient = dy.Slice(0, gradient.Length);
        }

        int groups = Conv2D.Groups(batch, g);
        bool bias = !db.IsEmpty;
        int o = g.OutChannels, nr = RunRegisters(g), regs = (g.KernelHeight * nr + PassRegisters - 1) / PassRegisters * PassRegisters, row = regs * 16;
        int windows = p.OutHeight * p.OutWidth, plane = g.OutPlane;
        float[] laid = Scratch.Weights(((long)o * row) + 16);
        float[] partials = Scratch.Partials(((long)groups * o * row) + (bias ? (long)groups * o : 0) + 16);
        int[] tables = Scratch.Tables(windows + (2 * plane));
        int outside = 0;
        fixed (T* pg = gradient)
        fixed (int* pi = argmax)
        fixed (T* pp = pooled)
        fixed (T* px = x)
        fixed (T* pw = w)
        fixed (T* pdx = dx)
        fixed (float* ppartArray = partials)
        fixed (float* plArray = laid)
        fixed (int* pt = tables)
        {
            float* ppart = Aligned(ppartArray), pl = Aligned(plArray);
            LayWeights((float*)pw, pl, g, nr, row);
            for (int t = 0; t < windows; t++)
            {
                // Window t's top-left position in the convolution's output plane.
                pt[t] = (2 * (t / p.OutWidth) * g.OutWidth) + (2 * (t % p.OutWidth));
            }
            int copy = CopyStride(g);
            for (int at = 0; at < plane; at++)
            {
                // Where output position (ho, wo)'s im2col column starts in an HWC sample: (ho·W + wo)·C; and in the copy of
                // the sample whose shift puts it on a 64-byte boundary (see AlignedCopies).
                int column = (((at / g.OutWidth) * g.Width) + (at % g.OutWidth)) * g.Channels;
                int shift = (16 - (column & 15)) & 15, k = AlignedCopies == 1 ? 0 : shift / (16 / AlignedCopies);
                pt[windows + at] = column;
                pt[windows + plane + at] = (k * copy) + (k * (16 / AlignedCopies)) + column;
            }
            var a = new Arguments
            {
                G = g, P = p, Batch = batch, Groups = groups, Runs = nr, Registers = regs, Row = row,
                DPooled = (float*)pg, Argmax = pi, Pooled = (float*)pp, X = (float*)px, Dx = (float*)pdx,
                Partials = ppart, DbPartials = bias ? ppart + ((nint)groups * o * row) : null,
                Weights = pl, Origins = pt, Columns = pt + windows, XColumns = pt + windows + plane, Outside = &outside,
            };
            long work = (long)batch * g.WeightLength * g.OutPlane / 2;
            if (groups > 1 && groups >= Workers.MaxParts && work >= MinParallelWork && Workers.TryAcquire(out Job job))
            {
                job.A = a;
                Workers.RunAndRelease(job, groups);
            }
            else
            {
                for (int group = 0; group < groups; group++)
                {
                    Group(a, group);
                }
            }
            if (outside != 0)
            {
                ThrowOutside(argmax.Slice(0, batch * p.OutputLength), p);
            }

            // dW = partial of group 0 + partial 1 + … in group order (as Conv2D.Backward adds them), in W''s layout, then
            // laid out as the weight; db the same over the groups' sums.
            var sum = new Span<float>(ppart, o * row);
            for (int group = 1; group < groups; group++)
            {
                TensorPrimitives.Add(sum, new ReadOnlySpan<float>(ppart + ((nint)group * o * row), o * row), sum);
            }
            fixed (T* pdw = dw)
            {
                FromLaid(ppart, (float*)pdw, g, nr, row);
            }
            if (bias)
            {
                float* dbPartials = a.DbPartials;
                for (int q = 0; q < o; q++)
                {
                    float total = 0f;
                    for (int group = 0; group < groups; group++)
                    {
                        total += dbPartials[((nint)group * o) + q];
                    }
                    db[q] = T.CreateTruncating(total);
                }
            }
        }
    }

    /// <summary>dW[o, c, i, j] = laid[o, i·Runs·16 + j·C + c]: the inverse of <see cref="LayWeights"/>.</summary>
    private static unsafe void FromLaid(float* laid, float* dw, in Conv2DGeometry g, int nr, int row)
    {
        int c = g.Channels, kh = g.KernelHeight, kw = g.KernelWidth, k = g.ColumnRows, run = nr * 16, taps = kh * kw;
        for (int o = 0; o < g.OutChannels; o++)
        {
            float* src = laid + ((nint)o * row), dst = dw + ((nint)o * k);
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++)
                {
                    float* s = src + (i * run) + (j * c);
                    float* d = dst + (i * kw) + j;
                    for (int ch = 0; ch < c; ch++)
                    {
                        d[ch * taps] = s[ch];
                    }
                }
            }
        }
    }

    /// <summary>Copies of each sample's x in HWC, the n-th shifted by n·16/AlignedCopies floats: a position's column starts
    /// (ho·W + wo)·C floats in, on a 64-byte boundary in one of them for C a multiple of 16/AlignedCopies (LeNet's 20:
    /// every fourth wo), so dW's 512-bit loads of x never cross a cache line.</summary>
    internal static int AlignedCopies = 4;

    /// <summary>Floats between two copies of a sample's x: its H·W·C floats and the slack, in whole registers.</summary>
    private static int CopyStride(in Conv2DGeometry g) => ((g.Height * g.Width * g.Channels) + Slack + 15) / 16 * 16;

    /// <summary>The first 64-byte boundary at or after <paramref name="p"/> (the buffers hold 16 floats more).</summary>
    private static unsafe float* Aligned(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>W'[o, i·Runs·16 + j·C + c] = W[o, c, i, j]: kernel row i's (j, c) as one run of Kw·C floats, each run
    /// padded with zeros to whole registers, the row to whole passes.</summary>
    private static unsafe void LayWeights(float* w, float* laid, in Conv2DGeometry g, int nr, int row)
    {
        int c = g.Channels, kh = g.KernelHeight, kw = g.KernelWidth, k = g.ColumnRows, run = nr * 16, taps = kh * kw;
        new Span<float>(laid, g.OutChannels * row).Clear();
        for (int o = 0; o < g.OutChannels; o++)
        {
            float* src = w + ((nint)o * k), dst = laid + ((nint)o * row);
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++)
                {
                    float* s = src + (i * kw) + j;
                    float* d = dst + (i * run) + (j * c);
                    for (int ch = 0; ch < c; ch++)
                    {
                        d[ch] = s[ch * taps];
                    }
                }
            }
        }
    }

    /// <summary>Pinned operands of one call, handed to the groups.</summary>
    private unsafe struct Arguments
    {
        public Conv2DGeometry G;
        public Pool2DGeometry P;
        public int Batch, Groups, Runs, Registers, Row;
        public float* DPooled, Pooled, X, Dx, Partials, DbPartials, Weights;
        public int* Argmax;

        /// <summary>Per window, its top-left position in the convolution's output plane; per output position, where its
        /// im2col column starts in an HWC sample.</summary>
        public int* Origins, Columns;

        /// <summary>Per output position, where its im2col column starts in the aligned copy of an HWC sample's x.</summary>
        public int* XColumns;

        /// <summary>Set to 1 once a group finds an index outside its window.</summary>
        public int* Outside;
    }

    /// <summary>A parallel run: part = group, as in <see cref="Conv2D.Backward{T}"/>.</summary>
    private sealed class Job : ParallelJob
    {
        public Arguments A;

        public override void Run(int part, int parts) => Group(A, part);
    }

    /// <summary>One group: for each of its samples in order, its terms listed, then dW and db accumulated (two samples
    /// at a time) and dx written, into the group's partials.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Group(in Arguments a, int group)
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int start = (int)((long)a.Batch * group / a.Groups), end = (int)((long)a.Batch * (group + 1) / a.Groups);
        int o = g.OutChannels, c = g.Channels, hw = g.Height * g.Width, plane = g.OutPlane, row = a.Row, regs = a.Registers;
        int windows = a.P.OutHeight * a.P.OutWidth, hwc = (hw * c) + Slack, listP = plane * (o + 1), listO = o * (windows + 1);
        int copy = CopyStride(g), sampleX = AlignedCopies * copy;
        float* acc = a.Partials + ((nint)group * o * row);
        float* dbAcc = a.DbPartials == null ? null : a.DbPartials + ((nint)group * o);
        fixed (float* xhArray = Scratch.Input((2L * sampleX) + 16))
        fixed (float* dxhArray = Scratch.Output(hwc + 16L))
        fixed (int* atP = Scratch.ByPosition(2L * listP))
        fixed (float* vP = Scratch.ByPositionValues(2L * plane * o))
        fixed (int* atO = Scratch.ByChannel(2L * listO))
        fixed (float* vO = Scratch.ByChannelValues(2L * o * windows))
        {
            float* xh = Aligned(xhArray), dxh = Aligned(dxhArray);
            new Span<float>(acc, o * row).Clear();
            if (dbAcc != null)
            {
                new Span<float>(dbAcc, o).Clear();
            }
            new Span<float>(xh, 2 * sampleX).Clear(); // the slack around every copy: read, never written
            nint* offsets = stackalloc nint[regs];
            for (int r = 0; r < regs; r++)
            {
                // Register r covers kernel row i = r / Runs, floats (r mod Runs)·16 … of its run; past the last row it
                // repeats the last register (its weights are zero: it adds +0, its dW lanes are never read).
                int q = Math.Min(r, (g.KernelHeight * a.Runs) - 1);
                offsets[r] = ((nint)(q / a.Runs) * g.Width * c) + ((q % a.Runs) * 16);
            }
            for (int b = start; b < end; b += 2)
            {
                int k = Math.Min(2, end - b);
                for (int s = 0; s < k; s++)
                {
                    int* countP = atP + ((nint)s * listP) + ((nint)plane * o);
                    int* countO = atO + ((nint)s * listO) + ((nint)o * windows);
                    if (!List(a, b + s, atP + ((nint)s * listP), vP + ((nint)s * plane * o), countP, atO + ((nint)s * listO), vO + ((nint)s * o * windows), countO))
                    {
                        System.Threading.Volatile.Write(ref *a.Outside, 1);
                        return;
                    }
                    float* xs = xh + ((nint)s * sampleX);
                    ToChannelsLast(a.X + ((nint)(b + s) * g.InputLength), xs, c, hw);
                    for (int n = 1; n < AlignedCopies; n++)
                    {
                        Buffer.MemoryCopy(xs, xs + ((nint)n * copy) + (n * (16 / AlignedCopies)), (long)hw * c * sizeof(float), (long)hw * c * sizeof(float));
                    }
                }
                WeightGradient(xh, sampleX, acc, dbAcc, atO, vO, listO, k, offsets, o, windows, row, regs);
                for (int s = 0; s < k; s++)
                {
                    int* countP = atP + ((nint)s * listP) + ((nint)plane * o);
                    new Span<float>(dxh, hwc).Clear();
                    InputGradient(dxh, a.Weights, atP + ((nint)s * listP), vP + ((nint)s * plane * o), countP, a.Columns, offsets, o, plane, row, regs);
                    FromChannelsLast(dxh, a.Dx + ((nint)(b + s) * g.InputLength), c, hw);
                }
            }
        }
    }

    /// <summary>Sample b's non-zero terms v = 0 + dPooled where pooled &gt; 0, at p = argmax: by position (channels
    /// ascending; entry = o) and by channel (positions ascending; entry = where p's im2col column starts in x_hwc).
    /// False (nothing listed) if an argmax lies outside its window.</summary>
    private static unsafe bool List(in Arguments a, int b, int* atP, float* vP, int* countP, int* atO, float* vO, int* countO)
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int o = g.OutChannels, plane = g.OutPlane, wo = g.OutWidth, windows = a.P.OutHeight * a.P.OutWidth;
        int length = a.P.OutputLength;
        float* gb = a.DPooled + ((nint)b * length), pb = a.Pooled + ((nint)b * length);
        int* ib = a.Argmax + ((nint)b * length), origins = a.Origins, columns = a.XColumns;
        new Span<int>(countP, plane).Clear();
        for (int q = 0; q < o; q++, ib += windows, pb += windows, gb += windows)
        {
            for (int t = 0; t < windows; t++)
            {
                int at = ib[t], d = at - origins[t];
                if ((uint)d > (uint)(wo + 1) || ((uint)d > 1 && d < wo))
                {
                    return false;
                }
                if (pb[t] > 0f)
                {
                    int n = countP[at]++;
                    atP[((nint)at * o) + n] = q;
                    vP[((nint)at * o) + n] = gb[t] + 0f;
                }
            }
        }
        new Span<int>(countO, o).Clear();
        for (int at = 0; at < plane; at++)
        {
            int n = countP[at], column = columns[at];
            int* qs = atP + ((nint)at * o);
            float* vs = vP + ((nint)at * o);
            for (int e = 0; e < n; e++)
            {
                int q = qs[e];
                int m = countO[q]++;
                atO[((nint)q * windows) + m] = column;
                vO[((nint)q * windows) + m] = vs[e];
            }
        }
        return true;
    }

    /// <summary>dst[p·C + c] = src[c·HW + p] (one sample): the packed GEMM's 8×8 register transpose
    /// (<see cref="PackedGemm.PackTransposedAvx"/>), the channels past a multiple of 8 one by one.</summary>
    private static unsafe void ToChannelsLast(float* src, float* dst, int c, int hw) =>
        PackedGemm.PackTransposedAvx(src, hw, hw, c, c, ref *dst);

    /// <summary>dst[c·HW + p] = src[p·C + c] (one sample), the same way.</summary>
    private static unsafe void FromChannelsLast(float* src, float* dst, int c, int hw) =>
        PackedGemm.PackTransposedAvx(src, c, c, hw, hw, ref *dst);

    /// <summary>acc[o] += v · x_hwc[column + run] for each of channel o's terms in order (the <paramref name="k"/> samples
    /// in order, each one's positions ascending), in passes of 8 registers; db[o] += v in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradient(float* xh, int hwc, float* acc, float* dbAcc, int* atO, float* vO, int listO, int k, nint* offsets, int o, int windows, int row, int regs)
    {
        int* count0 = atO + ((nint)o * windows), count1 = count0 + listO;
        for (int q = 0; q < o; q++)
        {
            int n0 = count0[q], n1 = k > 1 ? count1[q] : 0;
            if (n0 + n1 == 0)
            {
                continue;
            }
            int* at0 = atO + ((nint)q * windows), at1 = at0 + listO;
            float* v0 = vO + ((nint)q * windows), v1 = v0 + ((nint)o * windows);
            if (dbAcc != null)
            {
                float sum = dbAcc[q];
                for (int e = 0; e < n0; e++)
                {
                    sum += v0[e];
                }
                for (int e = 0; e < n1; e++)
                {
                    sum += v1[e];
                }
                dbAcc[q] = sum;
            }
            for (int r0 = 0; r0 < regs; r0 += PassRegisters)
            {
                float* dst = acc + ((nint)q * row) + (r0 * 16);
                nint f0 = offsets[r0], f1 = offsets[r0 + 1], f2 = offsets[r0 + 2], f3 = offsets[r0 + 3];
                nint f4 = offsets[r0 + 4], f5 = offsets[r0 + 5], f6 = offsets[r0 + 6], f7 = offsets[r0 + 7];
                Vector512<float> a0 = Vector512.Load(dst), a1 = Vector512.Load(dst + 16), a2 = Vector512.Load(dst + 32), a3 = Vector512.Load(dst + 48);
                Vector512<float> a4 = Vector512.Load(dst + 64), a5 = Vector512.Load(dst + 80), a6 = Vector512.Load(dst + 96), a7 = Vector512.Load(dst + 112);
                int* at = at0;
                float* v = v0;
                float* x = xh;
                int n = n0;
                for (int s = 0; s < 2; s++)
                {
                    for (int e = 0; e < n; e++)
                    {
                        float* p = x + at[e];
                        Vector512<float> bv = Vector512.Create(v[e]);
                        a0 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f0), a0);
                        a1 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f1), a1);
                        a2 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f2), a2);
                        a3 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f3), a3);
                        a4 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f4), a4);
                        a5 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f5), a5);
                        a6 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f6), a6);
                        a7 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(p + f7), a7);
                    }
                    at = at1;
                    v = v1;
                    x = xh + hwc;
                    n = n1;
                }
                a0.Store(dst); a1.Store(dst + 16); a2.Store(dst + 32); a3.Store(dst + 48);
                a4.Store(dst + 64); a5.Store(dst + 80); a6.Store(dst + 96); a7.Store(dst + 112);
            }
        }
    }

    /// <summary>dx_hwc[column(p) + run] += Σ_{o at p} v · W'[o] (each sum an FMA chain from +0 over o ascending: a dcol
    /// column), in passes of 8 registers, the positions descending within a pass: every dx element takes its terms
    /// for (i, j) ascending, col2im's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InputGradient(float* dxh, float* weights, int* atP, float* vP, int* countP, int* columns, nint* offsets, int o, int plane, int row, int regs)
    {
        for (int r0 = 0; r0 < regs; r0 += PassRegisters)
        {
            nint f0 = offsets[r0], f1 = offsets[r0 + 1], f2 = offsets[r0 + 2], f3 = offsets[r0 + 3];
            nint f4 = offsets[r0 + 4], f5 = offsets[r0 + 5], f6 = offsets[r0 + 6], f7 = offsets[r0 + 7];
            float* wp = weights + (r0 * 16);
            for (int at = plane - 1; at >= 0; at--)
            {
                int n = countP[at];
                if (n == 0)
                {
                    continue;
                }
                int* ws = atP + ((nint)at * o);
                float* v = vP + ((nint)at * o);
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                for (int e = 0; e < n; e++)
                {
                    float* s = wp + ((nint)ws[e] * row);
                    Vector512<float> bv = Vector512.Create(v[e]);
                    a0 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s), a0);
                    a1 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 16), a1);
                    a2 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 32), a2);
                    a3 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 48), a3);
                    a4 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 64), a4);
                    a5 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 80), a5);
                    a6 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 96), a6);
                    a7 = Avx512F.FusedMultiplyAdd(bv, Vector512.Load(s + 112), a7);
                }
                float* d = dxh + columns[at];
                (Vector512.Load(d + f0) + a0).Store(d + f0);
                (Vector512.Load(d + f1) + a1).Store(d + f1);
                (Vector512.Load(d + f2) + a2).Store(d + f2);
                (Vector512.Load(d + f3) + a3).Store(d + f3);
                (Vector512.Load(d + f4) + a4).Store(d + f4);
                (Vector512.Load(d + f5) + a5).Store(d + f5);
                (Vector512.Load(d + f6) + a6).Store(d + f6);
                (Vector512.Load(d + f7) + a7).Store(d + f7);
            }
        }
    }

    /// <summary>Names the first index outside its window.</summary>
    private static void ThrowOutside(ReadOnlySpan<int> indices, in Pool2DGeometry p)
    {
        int windows = p.OutHeight * p.OutWidth;
        for (int i = 0; i < indices.Length; i++)
        {
            int t = i % windows, row = 2 * (t / p.OutWidth), column = 2 * (t % p.OutWidth);
            int at = indices[i], r = at / p.Width, q = at % p.Width;
            if (at < 0 || r < row || r > row + 1 || q < column || q > column + 1)
            {
                throw new ArgumentOutOfRangeException("argmax", at, $"argmax[{i}] is {at}, outside its 2×2 window at row {row}, column {column} of the {p.Height}×{p.Width} input plane.");
            }
        }
    }

    /// <summary>Per-thread scratch, grown on first use and reused (no allocation in steady state).</summary>
    private static class Scratch
    {
        [ThreadStatic]
        private static float[]? t_weights;

        [ThreadStatic]
        private static float[]? t_partials;

        [ThreadStatic]
        private static int[]? t_tables;

        [ThreadStatic]
        private static float[]? t_input;

        [ThreadStatic]
        private static float[]? t_output;

        [ThreadStatic]
        private static int[]? t_byPosition;

        [ThreadStatic]
        private static float[]? t_byPositionValues;

        [ThreadStatic]
        private static int[]? t_byChannel;

        [ThreadStatic]
        private static float[]? t_byChannelValues;

        /// <summary>W' of one call, laid out by the calling thread for every group.</summary>
        public static float[] Weights(long length) => ThreadBuffer.Ensure(ref t_weights, length);

        /// <summary>The groups' dW in W''s layout, then their db: one call's, the calling thread's.</summary>
        public static float[] Partials(long length) => ThreadBuffer.Ensure(ref t_partials, length);

        /// <summary>The windows' origins and the positions' columns of one call.</summary>
        public static int[] Tables(long length) => ThreadBuffer.Ensure(ref t_tables, length);

        /// <summary>The sample's x in HWC.</summary>
        public static float[] Input(long length) => ThreadBuffer.Ensure(ref t_input, length);

        /// <summary>The sample's dx in HWC.</summary>
        public static float[] Output(long length) => ThreadBuffer.Ensure(ref t_output, length);

        /// <summary>The terms by position: channels, then the counts.</summary>
        public static int[] ByPosition(long length) => ThreadBuffer.Ensure(ref t_byPosition, length);

        /// <summary>The terms' values by position.</summary>
        public static float[] ByPositionValues(long length) => ThreadBuffer.Ensure(ref t_byPositionValues, length);

        /// <summary>The terms by channel: column offsets, then the counts.</summary>
        public static int[] ByChannel(long length) => ThreadBuffer.Ensure(ref t_byChannel, length);

        /// <summary>The terms' values by channel.</summary>
        public static float[] ByChannelValues(long length) => ThreadBuffer.Ensure(ref t_byChannelValues, length);
    }
}
