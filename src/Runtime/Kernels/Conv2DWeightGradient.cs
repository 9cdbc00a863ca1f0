using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The direct weight gradient of a stride-1, unpadded <see cref="Conv2D"/> on 512-bit registers (ADR 0056):
/// dW_group[O, C, Kh, Kw] = Σ over the group's samples and outputs of dy[b, o, ho, wo] · x[b, c, ho + i, wo + j].
/// </summary>
/// <remarks>
/// <para>The arithmetic is that of the kernel it replaces (<c>Conv2D.DirectWeightGradient</c>, ADR 0035): outputs
/// numbered wide (q = ho·W + wo), so the input of tap (c, i, j) at q is x[c·H·W + i·W + j + q], contiguous in q; one
/// accumulator register per (o, tap), an FMA chain over the group's samples in order and, within a sample, over the
/// registers of q in order, whose lanes are then added in lane order. So every dW element has the bits of before, on
/// any thread count. What changes is the schedule:</para>
/// <list type="bullet">
/// <item>a register block of 8 output channels × 3 taps of one kernel row (24 accumulators: 3 loads of x and 8 of dy per
/// 24 FMAs, against 7 per 12), the three x loads one element apart, the 8 channel rows through 8 pointers;</item>
/// <item>dy staged without row copies: each output row loaded in whole registers masked to its Wo values and stored
/// whole at q = ho·W (its zeros fill the dropped columns), the staged rows on 64-byte lines;</item>
/// <item>where a sample's wide rows are long (<see cref="SamplesOutside"/>), the samples loop outside the blocks, each
/// block's accumulators kept in memory between samples, so a sample's rows serve every block from L1.</item>
/// </list>
/// <para>db is summed per group from the staged registers (a new order: see <see cref="Run{T}"/>).</para>
/// </remarks>
internal static class Conv2DWeightGradient
{
    /// <summary>Tests and <c>NetGen.Bench --dw-ab</c>: <see langword="false"/> sends every direct dW to the kernel of before.</summary>
    internal static bool Enabled = true;

    /// <summary>Tests and <c>NetGen.Bench --dw-ab</c>: <see langword="false"/> runs the samples inside every block (the same
    /// bits).</summary>
    internal static bool OutsideAllowed = true;

    /// <summary>Tests and <c>NetGen.Bench --dw-ab</c>: <see langword="false"/> adds each accumulator's lanes on scalars (the
    /// same bits as on registers, float only).</summary>
    internal static bool LanesOnRegisters = true;

    /// <summary>Channels per register block.</summary>
    private const int Channels = 8;

    /// <summary>Taps per register block (consecutive taps of one kernel row).</summary>
    private const int Taps = 3;

    /// <summary>Whether this kernel serves a geometry that <c>Conv2D.DirectWeightGradient</c> takes: 512-bit registers
    /// (32 of them: 24 accumulators), at least 8 output channels and a kernel at least 3 wide. Either kernel gives the
    /// same dW bits (db's differ by rounding: it is summed in another order), so the choice is the machine's, as the
    /// register width of the old kernel's lane sums already was.</summary>
    internal static bool Serves<T>(in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Enabled && Simd512<T>.IsAccelerated && g.OutChannels >= Channels && g.KernelWidth >= Taps;

    /// <summary>dW_group (overwritten) from samples [start, end) of x [B, C, H, W] and dy [B, O, Ho, Wo]; and, unless
    /// <paramref name="db"/> is null, db_group[o] = Σ over the group's samples of Σ_{ho,wo} dy[b, o, ho, wo] (overwritten).</summary>
    /// <remarks>db_group[o] is one register chain over the samples in order and, within a sample, over the wide registers
    /// of q in order (the dropped columns are +0), then its lanes in lane order: a function of the group alone.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Run<T>(T* x, T* dy, int batch, int start, int end, T* dw, T* db, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int o = g.OutChannels, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, ho = g.OutHeight, wo = g.OutWidth;
        int n = Vector512<T>.Count, samples = end - start, plane = g.OutPlane, k = g.ColumnRows;
        int span = ((ho - 1) * w) + wo, registers = (span + n - 1) / n, spanPad = registers * n, perRow = (w + n - 1) / n;
        // dy: per sample, per channel, the wide row of spanPad (plus a row's overhang after the last); then per sample
        // the x copy with a register of zeros after it; then db's register per channel and the row masks.
        long dyLength = (long)samples * o * spanPad, slack = ((long)perRow + 1) * n, xLength = ((g.InputLength + n + n - 1) / n) * n;
        bool outside = SamplesOutside(g);
        long blockCount = (long)((o + Channels - 1) / Channels) * g.Channels * kh * ((kw + Taps - 1) / Taps);
        long accLength = (outside ? blockCount : 1) * Channels * Taps * n;
        T[] buffer = Conv2D.Buffers<T>.Wide(dyLength + slack + (samples * xLength) + ((long)(o + perRow) * n) + accLength + (64 / Unsafe.SizeOf<T>()));
        fixed (T* pinned = buffer)
        {
            // A 64-byte line boundary (the array itself is only 8-byte aligned).
            T* rows = (T*)(((nint)pinned + 63) & ~(nint)63);
            T* xPad = rows + dyLength + slack, bias = xPad + (samples * xLength), masks = bias + ((nint)o * n), acc = masks + ((nint)perRow * n);
            for (int m = 0; m < perRow; m++)
            {
                // Lanes of a row's register m that hold outputs: m·n + lane < Wo.
                Vector512.LessThan(Vector512<T>.Indices + Vector512.Create(T.CreateTruncating(m * n)), Vector512.Create(T.CreateTruncating(wo)))
                    .StoreAligned(masks + (m * n));
            }
            for (int s = 0; s < samples; s++)
            {
                T* xs = xPad + (s * xLength);
                Conv2DBackward.CopyRow(x + ((nint)(start + s) * g.InputLength), xs, g.InputLength);
                new Span<T>(xs + g.InputLength, (int)(xLength - g.InputLength)).Clear();
                T* src = dy + ((nint)(start + s) * g.OutputLength);
                for (int r = 0; r < o; r++, src += plane)
                {
                    // Each output row's registers loaded masked to Wo (+0 beyond) and stored whole at q = line·W: the zeros
                    // fill the dropped columns, and what spills into the next row is overwritten by it. The last
                    // register is cleared first for the q past the span.
                    T* wide = rows + (((nint)s * o) + r) * spanPad;
                    Vector512<T>.Zero.StoreAligned(wide + spanPad - n);
                    Vector512<T> sum = db == null || s == 0 ? Vector512<T>.Zero : Vector512.LoadAligned(bias + (r * n));
                    for (int line = 0; line < ho; line++)
                    {
                        for (int m = 0; m < perRow; m++)
                        {
                            Vector512<T> v = MaskLoad(src + ((nint)line * wo) + (m * n), Vector512.LoadAligned(masks + (m * n)));
                            v.Store(wide + ((nint)line * w) + (m * n));
                            sum += v;
                        }
                    }
                    if (db != null)
                    {
                        sum.StoreAligned(bias + (r * n));
                    }
                }
            }

            if (db != null)
            {
                for (int r = 0; r < o; r++)
                {
                    T* l = bias + (r * n);
                    T sum = l[0];
                    for (int lane = 1; lane < n; lane++)
                    {
                        sum += l[lane];
                    }
                    db[r] = sum;
                }
            }

            var blocks = new Blocks<T>
            {
                Rows = rows, XPad = xPad, Acc = acc, Dw = dw, SpanPad = spanPad, XLength = (nint)xLength, G = g, PerBlock = outside,
            };
            if (outside)
            {
                // Sample by sample, every block: the sample's staged rows stay in L1 while all blocks use them; each
                // block's accumulators wait in memory between samples (the same chains, so the same bits).
                for (int s = 0; s < samples; s++)
                {
                    blocks.Visit(s, s + 1, sum: false, resume: s > 0);
                }
                blocks.Visit(0, 0, sum: true, resume: true);
            }
            else
            {
                blocks.Visit(0, samples, sum: true, resume: false);
            }
        }
    }

    /// <summary>As <see cref="Run{T}"/>, but dy is never read: each sample's dy is made by the backward of ReLU → MaxPool2D
    /// (<see cref="ConvPoolBackward"/>) straight into the staged wide rows, from the pool's gradient, argmax and output
    /// (all [B, O, Ho', Wo'] of pool geometry <paramref name="p"/>, whose input is this convolution's output).</summary>
    /// <remarks>The staged rows hold the values <see cref="Run{T}"/> would stage from the dy that
    /// <see cref="MaxPool2DReLU.Backward{T}"/> writes (the same arithmetic, written at row stride W instead of Wo, the
    /// dropped columns and the tail set to +0), db adds the same registers in the same order (each row's registers
    /// loaded whole and masked to Wo: what the masked loads of <see cref="Run{T}"/> give), and the blocks run the same
    /// chains: dW and db have the bits of the unfused pair. Where the samples run outside the blocks
    /// (<see cref="SamplesOutside"/>), each sample is made and used at once, in one sample's rows that stay in L1; else the
    /// group's samples are all staged first, as <see cref="Run{T}"/> stages them.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void RunPooled<T>(T* x, T* dPooled, int* argmax, T* pooled, int start, int end, T* dw, T* db, in Conv2DGeometry g, in Pool2DGeometry p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int o = g.OutChannels, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, ho = g.OutHeight, wo = g.OutWidth;
        int n = Vector512<T>.Count, samples = end - start, outPlane = p.OutHeight * p.OutWidth;
        int span = ((ho - 1) * w) + wo, registers = (span + n - 1) / n, spanPad = registers * n, perRow = (w + n - 1) / n;
        bool outside = SamplesOutside(g);
        bool wideRows = typeof(T) == typeof(float) && ConvPoolBackward.ServesPairRows<T>(p, w);
        int staged = outside ? 1 : samples;
        long dyLength = (long)staged * o * spanPad, slack = ((long)perRow + 1) * n, xLength = ((g.InputLength + n + n - 1) / n) * n;
        long blockCount = (long)((o + Channels - 1) / Channels) * g.Channels * kh * ((kw + Taps - 1) / Taps);
        long accLength = (outside ? blockCount : 1) * Channels * Taps * n;
        T[] buffer = Conv2D.Buffers<T>.Wide(dyLength + slack + (staged * xLength) + ((long)(o + perRow) * n) + accLength + (64 / Unsafe.SizeOf<T>()));
        fixed (T* pinned = buffer)
        {
            T* rows = (T*)(((nint)pinned + 63) & ~(nint)63);
            T* xPad = rows + dyLength + slack, bias = xPad + (staged * xLength), masks = bias + ((nint)o * n), acc = masks + ((nint)perRow * n);
            for (int m = 0; m < perRow; m++)
            {
                Vector512.LessThan(Vector512<T>.Indices + Vector512.Create(T.CreateTruncating(m * n)), Vector512.Create(T.CreateTruncating(wo)))
                    .StoreAligned(masks + (m * n));
            }
            var blocks = new Blocks<T>
            {
                Rows = rows, XPad = xPad, Acc = acc, Dw = dw, SpanPad = spanPad, XLength = (nint)xLength, G = g, PerBlock = outside,
            };
            for (int s = 0; s < samples; s++)
            {
                int b = start + s;
                T* xs = xPad + (outside ? 0 : s * xLength);
                Conv2DBackward.CopyRow(x + ((nint)b * g.InputLength), xs, g.InputLength);
                new Span<T>(xs + g.InputLength, (int)(xLength - g.InputLength)).Clear();
                T* wide = rows + (outside ? 0 : (nint)s * o * spanPad);
                nint at = (nint)b * o * outPlane;
                for (int r = 0; r < o; r++, at += outPlane)
                {
                    // dy of channel r at q = line·W + column: the pool's backward through the ReLU, +0 in the dropped
                    // columns and up to the last whole register.
                    T* row = wide + ((nint)r * spanPad);
                    if (wideRows)
                    {
                        // Whole rows of 32 columns from each line's start, +0 past the pool's input (the dropped columns;
                        // what spills into the next line is written again by it, past the last line it is +0): the
                        // last register is cleared first for what lies beyond.
                        Vector512<T>.Zero.StoreAligned(row + spanPad - n);
                        ConvPoolBackward.PairRows((float*)(dPooled + at), argmax + at, (float*)(pooled + at), (float*)row, p.Height, p.Width, p.OutHeight, p.OutWidth, w);
                    }
                    else
                    {
                        ConvPoolBackward.PlaneInto(dPooled + at, argmax + at, pooled + at, row, w, p);
                        for (int line = 0; line < ho - 1; line++)
                        {
                            T* gap = row + ((nint)line * w);
                            for (int column = wo; column < w; column++)
                            {
                                gap[column] = T.Zero;
                            }
                        }
                        new Span<T>(row + span, spanPad - span).Clear();
                    }
                }
                if (db != null)
                {
                    BiasSums(wide, o, spanPad, ho, w, perRow, masks, bias, first: s == 0);
                }
                if (outside)
                {
                    // This sample's rows through every block now, while they are in L1 (the same chains as Run's).
                    blocks.Visit(0, 1, sum: false, resume: s > 0);
                }
            }

            if (db != null)
            {
                for (int r = 0; r < o; r++)
                {
                    T* l = bias + (r * n);
                    T sum = l[0];
                    for (int lane = 1; lane < n; lane++)
                    {
                        sum += l[lane];
                    }
                    db[r] = sum;
                }
            }

            if (outside)
            {
                blocks.Visit(0, 0, sum: true, resume: true);
            }
            else
            {
                blocks.Visit(0, samples, sum: true, resume: false);
            }
        }
    }

    /// <summary>bias[r·n ..] (+)= the registers of channel r's staged rows that <see cref="Run{T}"/> adds, in its order (row
    /// `line`'s register m, lanes m·n + lane &lt; Wo, +0 beyond): each channel's chain as Run's, eight channels' chains
    /// side by side (a chain of one add after another waits on each add: eight of them fill the adders).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BiasSums<T>(T* wide, int o, nint spanPad, int ho, int w, int perRow, T* masks, T* bias, bool first)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nint n = Vector512<T>.Count;
        int r = 0;
        for (; r + 8 <= o; r += 8)
        {
            T* c = wide + (r * spanPad);
            T* l = bias + (r * n);
            Vector512<T> s0 = first ? default : Vector512.LoadAligned(l), s1 = first ? default : Vector512.LoadAligned(l + n);
            Vector512<T> s2 = first ? default : Vector512.LoadAligned(l + (2 * n)), s3 = first ? default : Vector512.LoadAligned(l + (3 * n));
            Vector512<T> s4 = first ? default : Vector512.LoadAligned(l + (4 * n)), s5 = first ? default : Vector512.LoadAligned(l + (5 * n));
            Vector512<T> s6 = first ? default : Vector512.LoadAligned(l + (6 * n)), s7 = first ? default : Vector512.LoadAligned(l + (7 * n));
            for (int line = 0; line < ho; line++)
            {
                for (int m = 0; m < perRow; m++)
                {
                    Vector512<T> mask = Vector512.LoadAligned(masks + (m * n));
                    T* q = c + ((nint)line * w) + (m * n);
                    s0 += Vector512.Load(q) & mask;
                    s1 += Vector512.Load(q + spanPad) & mask;
                    s2 += Vector512.Load(q + (2 * spanPad)) & mask;
                    s3 += Vector512.Load(q + (3 * spanPad)) & mask;
                    s4 += Vector512.Load(q + (4 * spanPad)) & mask;
                    s5 += Vector512.Load(q + (5 * spanPad)) & mask;
                    s6 += Vector512.Load(q + (6 * spanPad)) & mask;
                    s7 += Vector512.Load(q + (7 * spanPad)) & mask;
                }
            }
            s0.StoreAligned(l); s1.StoreAligned(l + n); s2.StoreAligned(l + (2 * n)); s3.StoreAligned(l + (3 * n));
            s4.StoreAligned(l + (4 * n)); s5.StoreAligned(l + (5 * n)); s6.StoreAligned(l + (6 * n)); s7.StoreAligned(l + (7 * n));
        }
        for (; r < o; r++)
        {
            T* c = wide + (r * spanPad);
            Vector512<T> sum = first ? default : Vector512.LoadAligned(bias + (r * n));
            for (int line = 0; line < ho; line++)
            {
                for (int m = 0; m < perRow; m++)
                {
                    sum += Vector512.Load(c + ((nint)line * w) + (m * n)) & Vector512.LoadAligned(masks + (m * n));
                }
            }
            sum.StoreAligned(bias + (r * n));
        }
    }

    /// <summary>Whether <see cref="Run{T}"/> loops over the samples outside the blocks: where a sample's wide rows are long
    /// enough (at least 24 registers) that storing and reloading a block's 24 accumulators per sample costs little beside
    /// its loop, and the group's staged rows of all samples would not stay in L1 while each block streams them.</summary>
    internal static bool SamplesOutside(in Conv2DGeometry g)
    {
        if (!OutsideAllowed)
        {
            return false;
        }
        int n = 64 / 4;
        int span = ((g.OutHeight - 1) * g.Width) + g.OutWidth;
        return (span + n - 1) / n >= 24;
    }

    /// <summary>The register blocks of one call: 8 channels (from o0) × 3 taps of kernel row (c, i) from j0, in the order
    /// o0, c, i, j0; block b keeps its 24 accumulators at Acc + b·24·n between samples (or at Acc itself when the samples
    /// run inside the block).</summary>
    private unsafe struct Blocks<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public T* Rows, XPad, Acc, Dw;
        public nint SpanPad, XLength;
        public Conv2DGeometry G;
        public bool PerBlock;

        /// <summary>Every block over samples [from, to) (from 0, or with <paramref name="resume"/> from the stored
        /// accumulators); with <paramref name="sum"/>, each block's lanes then added into dW.</summary>
        public readonly void Visit(int from, int to, bool sum, bool resume)
        {
            int o = G.OutChannels, kh = G.KernelHeight, kw = G.KernelWidth, n = Vector512<T>.Count, k = G.ColumnRows;
            int b = 0;
            for (int o0 = 0; ; o0 += Channels)
            {
                o0 = Math.Min(o0, o - Channels);
                for (int c = 0; c < G.Channels; c++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j0 = 0; ; j0 += Taps)
                        {
                            j0 = Math.Min(j0, kw - Taps);
                            T* acc = PerBlock ? Acc + ((nint)b * Channels * Taps * n) : Acc;
                            if (to > from)
                            {
                                nint tap = ((nint)c * G.Height * G.Width) + ((nint)i * G.Width) + j0;
                                Block(Rows + ((nint)o0 * SpanPad), XPad + tap, SpanPad, XLength, (nint)o * SpanPad, from, to, acc, resume);
                            }
                            if (sum)
                            {
                                // dW[o0 + r, tap p + t] with p = (c·Kh + i)·Kw + j0, each the sum of its lanes in lane order.
                                T* target = Dw + ((nint)o0 * k) + (((c * kh) + i) * kw) + j0;
                                if (typeof(T) == typeof(float) && LanesOnRegisters && Avx512F.IsSupported)
                                {
                                    LaneSums24((float*)acc, (float*)target, k);
                                }
                                else
                                for (int r = 0; r < Channels; r++)
                                {
                                    T* l = acc + (r * Taps * n);
                                    T s0 = l[0], s1 = l[n], s2 = l[2 * n];
                                    for (int lane = 1; lane < n; lane++)
                                    {
                                        s0 += l[lane]; s1 += l[n + lane]; s2 += l[(2 * n) + lane];
                                    }
                                    T* t = target + ((nint)r * k);
                                    t[0] = s0; t[1] = s1; t[2] = s2;
                                }
                            }
                            b++;
                            if (j0 == kw - Taps)
                            {
                                break;
                            }
                        }
                    }
                }
                if (o0 == o - Channels)
                {
                    break;
                }
            }
        }
    }

    /// <summary>target[r·k + t] = the lanes of accumulator 3r + t (at acc + (3r + t)·16) added in lane order, r &lt; 8, t &lt; 3,
    /// on registers: the 16×16 transposes of accumulators 0–15 and of 16–23 (twice) turn each lane into a register, and
    /// those registers are added in lane order, so every sum is the scalar chain l[0] + l[1] + … + l[15] of before.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LaneSums24(float* acc, float* target, int k)
    {
        float* sums = stackalloc float[32];
        TransposedSum(acc, 8 * 16).Store(sums);
        TransposedSum(acc + (16 * 16), 0).Store(sums + 16);
        for (int r = 0; r < Channels; r++)
        {
            float* t = target + ((nint)r * k);
            t[0] = sums[r * Taps]; t[1] = sums[(r * Taps) + 1]; t[2] = sums[(r * Taps) + 2];
        }
    }

    /// <summary>Lane a (a &lt; 16) = the lanes of row a added in lane order, rows 0–7 at p + a·16 and rows 8–15 at
    /// p + <paramref name="upper"/> + (a − 8)·16: the 16 × 16 matrix transposed (unpack, shuffle within 128-bit blocks,
    /// then two block shuffles), its columns added in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> TransposedSum(float* p, int upper)
    {
        float* q = p + upper;
        Vector512<float> t0 = Avx512F.UnpackLow(Vector512.Load(p), Vector512.Load(p + 16)), t1 = Avx512F.UnpackHigh(Vector512.Load(p), Vector512.Load(p + 16));
        Vector512<float> t2 = Avx512F.UnpackLow(Vector512.Load(p + 32), Vector512.Load(p + 48)), t3 = Avx512F.UnpackHigh(Vector512.Load(p + 32), Vector512.Load(p + 48));
        Vector512<float> t4 = Avx512F.UnpackLow(Vector512.Load(p + 64), Vector512.Load(p + 80)), t5 = Avx512F.UnpackHigh(Vector512.Load(p + 64), Vector512.Load(p + 80));
        Vector512<float> t6 = Avx512F.UnpackLow(Vector512.Load(p + 96), Vector512.Load(p + 112)), t7 = Avx512F.UnpackHigh(Vector512.Load(p + 96), Vector512.Load(p + 112));
        Vector512<float> t8 = Avx512F.UnpackLow(Vector512.Load(q), Vector512.Load(q + 16)), t9 = Avx512F.UnpackHigh(Vector512.Load(q), Vector512.Load(q + 16));
        Vector512<float> t10 = Avx512F.UnpackLow(Vector512.Load(q + 32), Vector512.Load(q + 48)), t11 = Avx512F.UnpackHigh(Vector512.Load(q + 32), Vector512.Load(q + 48));
        Vector512<float> t12 = Avx512F.UnpackLow(Vector512.Load(q + 64), Vector512.Load(q + 80)), t13 = Avx512F.UnpackHigh(Vector512.Load(q + 64), Vector512.Load(q + 80));
        Vector512<float> t14 = Avx512F.UnpackLow(Vector512.Load(q + 96), Vector512.Load(q + 112)), t15 = Avx512F.UnpackHigh(Vector512.Load(q + 96), Vector512.Load(q + 112));
        // u[4g + e], block b: element 4b + e of rows 4g .. 4g + 3.
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE), u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE), u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE), u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        Vector512<float> u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE), u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);
        // Column 4b + e = blocks b of u[e], u[4 + e], u[8 + e], u[12 + e]: v holds blocks 0 and 2 of each pair (0x88), w
        // blocks 1 and 3 (0xDD); one more block shuffle of v (w) gives the columns of b = 0 and 2 (1 and 3).
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), v1 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        Vector512<float> v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), v3 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        Vector512<float> v8 = Avx512F.Shuffle4x128(u8, u12, 0x88), v9 = Avx512F.Shuffle4x128(u9, u13, 0x88);
        Vector512<float> v10 = Avx512F.Shuffle4x128(u10, u14, 0x88), v11 = Avx512F.Shuffle4x128(u11, u15, 0x88);
        Vector512<float> w0 = Avx512F.Shuffle4x128(u0, u4, 0xDD), w1 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        Vector512<float> w2 = Avx512F.Shuffle4x128(u2, u6, 0xDD), w3 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        Vector512<float> w8 = Avx512F.Shuffle4x128(u8, u12, 0xDD), w9 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Vector512<float> w10 = Avx512F.Shuffle4x128(u10, u14, 0xDD), w11 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
        Vector512<float> sum = Avx512F.Shuffle4x128(v0, v8, 0x88) + Avx512F.Shuffle4x128(v1, v9, 0x88); // columns 0, 1
        sum += Avx512F.Shuffle4x128(v2, v10, 0x88);
        sum += Avx512F.Shuffle4x128(v3, v11, 0x88);
        sum += Avx512F.Shuffle4x128(w0, w8, 0x88); // columns 4–7
        sum += Avx512F.Shuffle4x128(w1, w9, 0x88);
        sum += Avx512F.Shuffle4x128(w2, w10, 0x88);
        sum += Avx512F.Shuffle4x128(w3, w11, 0x88);
        sum += Avx512F.Shuffle4x128(v0, v8, 0xDD); // columns 8–11
        sum += Avx512F.Shuffle4x128(v1, v9, 0xDD);
        sum += Avx512F.Shuffle4x128(v2, v10, 0xDD);
        sum += Avx512F.Shuffle4x128(v3, v11, 0xDD);
        sum += Avx512F.Shuffle4x128(w0, w8, 0xDD); // columns 12–15
        sum += Avx512F.Shuffle4x128(w1, w9, 0xDD);
        sum += Avx512F.Shuffle4x128(w2, w10, 0xDD);
        sum += Avx512F.Shuffle4x128(w3, w11, 0xDD);
        return sum;
    }

    /// <summary>One block over samples [from, to): 24 accumulators, from 0, or with <paramref name="resume"/> loaded
    /// from <paramref name="acc"/>, stored back there at the end. <paramref name="rows"/> is the block's first channel row
    /// of sample 0, <paramref name="x"/> the tap's first input of sample 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block<T>(T* rows, T* x, nint spanPad, nint xLength, nint sampleRows, int from, int to, T* acc, bool resume)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nint n = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<T> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<T> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        if (resume)
        {
            c00 = Vector512.Load(acc); c01 = Vector512.Load(acc + n); c02 = Vector512.Load(acc + (2 * n));
            c10 = Vector512.Load(acc + (3 * n)); c11 = Vector512.Load(acc + (4 * n)); c12 = Vector512.Load(acc + (5 * n));
            c20 = Vector512.Load(acc + (6 * n)); c21 = Vector512.Load(acc + (7 * n)); c22 = Vector512.Load(acc + (8 * n));
            c30 = Vector512.Load(acc + (9 * n)); c31 = Vector512.Load(acc + (10 * n)); c32 = Vector512.Load(acc + (11 * n));
            c40 = Vector512.Load(acc + (12 * n)); c41 = Vector512.Load(acc + (13 * n)); c42 = Vector512.Load(acc + (14 * n));
            c50 = Vector512.Load(acc + (15 * n)); c51 = Vector512.Load(acc + (16 * n)); c52 = Vector512.Load(acc + (17 * n));
            c60 = Vector512.Load(acc + (18 * n)); c61 = Vector512.Load(acc + (19 * n)); c62 = Vector512.Load(acc + (20 * n));
            c70 = Vector512.Load(acc + (21 * n)); c71 = Vector512.Load(acc + (22 * n)); c72 = Vector512.Load(acc + (23 * n));
        }
        for (int s = from; s < to; s++)
        {
            T* d0 = rows + (s * sampleRows), d1 = d0 + spanPad, d2 = d1 + spanPad, d3 = d2 + spanPad;
            T* d4 = d3 + spanPad, d5 = d4 + spanPad, d6 = d5 + spanPad, d7 = d6 + spanPad;
            T* xp = x + (s * xLength);
            for (nint q = 0; q < spanPad; q += n)
            {
                Vector512<T> v0 = Vector512.Load(xp + q);
                Vector512<T> v1 = Vector512.Load(xp + q + 1);
                Vector512<T> v2 = Vector512.Load(xp + q + 2);
                Vector512<T> dv = Vector512.LoadAligned(d0 + q);
                c00 = Fma(dv, v0, c00); c01 = Fma(dv, v1, c01); c02 = Fma(dv, v2, c02);
                dv = Vector512.LoadAligned(d1 + q);
                c10 = Fma(dv, v0, c10); c11 = Fma(dv, v1, c11); c12 = Fma(dv, v2, c12);
                dv = Vector512.LoadAligned(d2 + q);
                c20 = Fma(dv, v0, c20); c21 = Fma(dv, v1, c21); c22 = Fma(dv, v2, c22);
                dv = Vector512.LoadAligned(d3 + q);
                c30 = Fma(dv, v0, c30); c31 = Fma(dv, v1, c31); c32 = Fma(dv, v2, c32);
                dv = Vector512.LoadAligned(d4 + q);
                c40 = Fma(dv, v0, c40); c41 = Fma(dv, v1, c41); c42 = Fma(dv, v2, c42);
                dv = Vector512.LoadAligned(d5 + q);
                c50 = Fma(dv, v0, c50); c51 = Fma(dv, v1, c51); c52 = Fma(dv, v2, c52);
                dv = Vector512.LoadAligned(d6 + q);
                c60 = Fma(dv, v0, c60); c61 = Fma(dv, v1, c61); c62 = Fma(dv, v2, c62);
                dv = Vector512.LoadAligned(d7 + q);
                c70 = Fma(dv, v0, c70); c71 = Fma(dv, v1, c71); c72 = Fma(dv, v2, c72);
            }
        }
        c00.Store(acc); c01.Store(acc + n); c02.Store(acc + (2 * n));
        c10.Store(acc + (3 * n)); c11.Store(acc + (4 * n)); c12.Store(acc + (5 * n));
        c20.Store(acc + (6 * n)); c21.Store(acc + (7 * n)); c22.Store(acc + (8 * n));
        c30.Store(acc + (9 * n)); c31.Store(acc + (10 * n)); c32.Store(acc + (11 * n));
        c40.Store(acc + (12 * n)); c41.Store(acc + (13 * n)); c42.Store(acc + (14 * n));
        c50.Store(acc + (15 * n)); c51.Store(acc + (16 * n)); c52.Store(acc + (17 * n));
        c60.Store(acc + (18 * n)); c61.Store(acc + (19 * n)); c62.Store(acc + (20 * n));
        c70.Store(acc + (21 * n)); c71.Store(acc + (22 * n)); c72.Store(acc + (23 * n));
    }

    /// <summary>The lanes of p where <paramref name="mask"/> is set, +0 elsewhere; the others are not read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<T> MaskLoad<T>(T* p, Vector512<T> mask)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
#if NET10_0_OR_GREATER
        if (typeof(T) == typeof(float))
        {
            return Avx512F.MaskLoad((float*)p, mask.AsSingle(), Vector512<float>.Zero).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Avx512F.MaskLoad((double*)p, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();
        }
#else
        // net9.0 has no 512-bit masked load: two 256-bit ones (VMASKMOV, which reads no masked-off lane either).
        if (typeof(T) == typeof(float))
        {
            float* f = (float*)p;
            return Vector512.Create(Avx.MaskLoad(f, mask.GetLower().AsSingle()), Avx.MaskLoad(f + 8, mask.GetUpper().AsSingle())).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            double* d = (double*)p;
            return Vector512.Create(Avx.MaskLoad(d, mask.GetLower().AsDouble()), Avx.MaskLoad(d + 4, mask.GetUpper().AsDouble())).As<double, T>();
        }
#endif
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Simd512<T>.MultiplyAdd(a, b, c);
}
