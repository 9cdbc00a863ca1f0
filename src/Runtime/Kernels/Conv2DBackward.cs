using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The training backward of <see cref="Conv2D"/> without the column matrix: dx as a direct "full" convolution of dy with
/// the flipped, transposed kernel (no <c>Wᵀ·dy</c> GEMM, no col2im), or, without padding, as <c>Wᵀ·dy</c> on registers
/// followed by col2im (<see cref="ColumnsGradient{T, TS, TV}"/>, ADR 0057).
/// </summary>
/// <remarks>
/// <para><b>Formula.</b> For stride 1, dx[c, h, w] = Σ_{o,i,j} W[o, c, i, j] · dy[o, h + Ph − i, w + Pw − j] (terms
/// outside dy are zero). With dy copied into a zero-bordered plane dyp of (Ho + 2(Kh − 1)) × (Wo + 2(Kw − 1)) = Hp × Wp,
/// dy at offset (Kh − 1, Kw − 1), and the flipped kernel i′ = Kh − 1 − i, j′ = Kw − 1 − j, that is
/// dx[c, h, w] = Σ_{o,i′,j′} W[o, c, Kh − 1 − i′, Kw − 1 − j′] · dyp[o, h + Ph + i′, w + Pw + j′]: a stride-1, unpadded
/// correlation of dyp (O channels) with the kernel Wᵀ flipped ([C, O, Kh, Kw]), which is the shape the direct forward
/// computes (Dumoulin &amp; Visin, "A guide to convolution arithmetic for deep learning", 2016, §4: the transpose of a
/// convolution is a "full" convolution).</para>
/// <para>The bordered plane below is ADR 0046's kernel, kept for the paired A/B (<see cref="WrapBorder"/> off); the full
/// convolution now runs on <see cref="WrappedInputGradient{T, TS, TV}"/>, which shares the border between rows (the
/// same bits).</para>
/// <para><b>Register block.</b> The outputs are numbered wide, q = h·Wp + w, so each tap (o, i′, j′) reads dyp at
/// q + Ph·Wp + Pw + o·Hp·Wp + i′·Wp + j′: contiguous in q. 4 input channels × 3 registers of q (12 accumulators, 3 loads
/// and 4 broadcasts per tap) while 3 registers fit, then 4 channels × 1 register, the last block overlapping the one
/// before; the last channel block repeats its last channel. The wide results are copied into dx dropping the columns
/// w ≥ W. Every read stays inside dyp (the last wide output plus the farthest tap is dyp's last element less Ph·Wp + Pw).</para>
/// <para><b>Bits.</b> Each dx element is one FMA chain from zero over the taps in (o, i′, j′) order: a function of the
/// geometry alone, per sample, so the result does not depend on the thread count or the split.</para>
/// <para><b>When.</b> Stride 1, not pointwise, and either the rule of <see cref="Columns"/> (no padding, Ho·Wo ≥ 64,
/// O ≤ 512: the column kernel, any depth) or, for the full convolution, an output depth O·Kh·Kw of at most
/// <see cref="MaxDepth"/> (a deep one does the zero border's wasted products on the GEMM cheaper) and a wide span
/// (H − 1)·Wp + W of at least <see cref="Conv2D.DirectMinSpan"/>: the same rule on every machine, written into the
/// layer's generated comment.</para>
/// </remarks>
internal static class Conv2DBackward
{
    /// <summary>Most taps O·Kh·Kw per dx element for the direct dx.</summary>
    internal const int MaxDepth = 256;

    /// <summary>Tests and the paired A/B only: <see langword="false"/> sends dx back to the GEMM and col2im.</summary>
    internal static bool DirectInputAllowed = true;

    /// <summary>Whether <see cref="DirectInputGradient{T}"/> computes dx for this geometry (see the class remarks).</summary>
    internal static bool DirectInput(in Conv2DGeometry g) =>
        DirectInputAllowed && !g.IsPointwise && g.StrideHeight == 1 && g.StrideWidth == 1
        && (Columns(g) || (g.OutChannels * g.KernelHeight * g.KernelWidth <= MaxDepth && Span(g) >= Conv2D.DirectMinSpan));

    /// <summary>Tests and the paired A/B only: <see langword="false"/> copies the staged rows with one <c>Span.CopyTo</c> call
    /// per row, as before ADR 0052.</summary>
    internal static bool RowsOnRegisters = true;

    /// <summary>One row of the backward's staging (dy into its wide or bordered buffer, the wide dx into dx): on registers
    /// (<see cref="Conv2DForward.CopyRow{T}"/>), where a <c>CopyTo</c> call per row of 11 to 26 floats cost as much as
    /// the copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyRow<T>(T* src, T* dst, int length)
        where T : unmanaged
    {
        if (RowsOnRegisters)
        {
            Conv2DForward.CopyRow(src, dst, length);
        }
        else
        {
            new ReadOnlySpan<T>(src, length).CopyTo(new Span<T>(dst, length));
        }
    }

    /// <summary>dst[0..length) += src[0..length): col2im's row, on the widest registers that fit, then a scalar tail (no
    /// overlapping last register: an element added twice would be wrong). Each element is one IEEE addition, the bits of
    /// the <c>TensorPrimitives.Add</c> call per row that it replaces (a call per row of 8 floats: LeNet's conv2 adds
    /// 4,000 such rows per sample).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void AddRow<T>(T* dst, T* src, int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!RowsOnRegisters)
        {
            var d = new Span<T>(dst, length);
            System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<T>(src, length), d);
            return;
        }
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + Vector512<T>.Count <= length; j += Vector512<T>.Count)
            {
                (Vector512.Load(dst + j) + Vector512.Load(src + j)).Store(dst + j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + Vector256<T>.Count <= length; j += Vector256<T>.Count)
            {
                (Vector256.Load(dst + j) + Vector256.Load(src + j)).Store(dst + j);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; j + Vector128<T>.Count <= length; j += Vector128<T>.Count)
            {
                (Vector128.Load(dst + j) + Vector128.Load(src + j)).Store(dst + j);
            }
        }
        for (; j < length; j++)
        {
            dst[j] += src[j];
        }
    }

    /// <summary>Tests and the paired A/B only: <see langword="false"/> adds the direct dW's 12 accumulators' lanes one
    /// accumulator after another, as before ADR 0052.</summary>
    internal static bool LanesTogether = true;

    /// <summary>The direct dW's block of 4 channels × 3 taps: <paramref name="lanes"/> holds the 12 accumulators one after
    /// another (n lanes each, channel-major); each sum runs over its lanes in lane order, as <c>Conv2D.Lanes</c> does, but
    /// the 12 chains side by side, so they overlap instead of waiting on each other's additions. Row r gets sums
    /// 3r .. 3r + 2 at its columns 0..2 (a repeated channel gets the same values twice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void LaneSums12<T>(T* lanes, int n, T* r0, T* r1, T* r2, T* r3)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T s0 = lanes[0], s1 = lanes[n], s2 = lanes[2 * n], s3 = lanes[3 * n], s4 = lanes[4 * n], s5 = lanes[5 * n];
        T s6 = lanes[6 * n], s7 = lanes[7 * n], s8 = lanes[8 * n], s9 = lanes[9 * n], s10 = lanes[10 * n], s11 = lanes[11 * n];
        for (int l = 1; l < n; l++)
        {
            s0 += lanes[l]; s1 += lanes[n + l]; s2 += lanes[(2 * n) + l]; s3 += lanes[(3 * n) + l];
            s4 += lanes[(4 * n) + l]; s5 += lanes[(5 * n) + l]; s6 += lanes[(6 * n) + l]; s7 += lanes[(7 * n) + l];
            s8 += lanes[(8 * n) + l]; s9 += lanes[(9 * n) + l]; s10 += lanes[(10 * n) + l]; s11 += lanes[(11 * n) + l];
        }
        r0[0] = s0; r0[1] = s1; r0[2] = s2;
        r1[0] = s3; r1[1] = s4; r1[2] = s5;
        r2[0] = s6; r2[1] = s7; r2[2] = s8;
        r3[0] = s9; r3[1] = s10; r3[2] = s11;
    }

    /// <summary>Elements of slack before and after the dcol buffer of <see cref="Conv2D"/>'s GEMM-path dx, so that
    /// <see cref="Col2ImGather{T}"/> may load whole registers around each row (the lanes outside it are masked off).</summary>
    internal const int Col2ImMargin = 64;

    /// <summary>Whether <see cref="Col2ImGather{T}"/> serves this geometry: stride 1, an input row that fits one 512-bit
    /// register (W ≤ 16 floats: LeNet's conv2 has 12), and a kernel width and padding inside the margin.</summary>
    internal static bool GathersCol2Im<T>(in Conv2DGeometry g)
        where T : unmanaged =>
        RowsOnRegisters && Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && g.StrideHeight == 1 && g.StrideWidth == 1
        && g.Width <= Vector512<T>.Count && g.KernelWidth - 1 <= Col2ImMargin && g.PaddingWidth + Vector512<T>.Count <= Col2ImMargin;

    /// <summary>
    /// dx = col2im(dcol) (overwritten) as a gather: each input row is one register, the sum of its taps' dcol rows shifted
    /// into place, written once.
    /// </summary>
    /// <remarks>
    /// <para>dx[c, y, x] = Σ_{i,j} dcol[(c·Kh + i)·Kw + j, r, q] with r = y + Ph − i, q = x + Pw − j, over the (i, j)
    /// whose (r, q) lies in the output. The register of row y starts at 0 and adds, for i then j in ascending order, the
    /// dcol row (i, j) at r loaded from q = Pw − j on (lanes where q is outside [0, Wo) or x ≥ W masked to 0): each
    /// element takes its terms in the order the scatter of <see cref="Conv2D.Col2Im"/> adds them to the cleared dx, from
    /// 0, so the bits are the same (adding a masked +0 changes nothing: a sum that started at +0 is never −0).</para>
    /// <para>The scatter added rows of Wo floats into rows that the previous tap had just written one element to the
    /// left; each such load waits for the store it partly overlaps (no store forwarding), about 20 cycles per row of 8.
    /// The gather keeps the sum in a register. The loads reach up to Kw − 1 elements before a dcol row and a register past
    /// its end: the caller's buffer has <see cref="Col2ImMargin"/> elements of slack on both sides. Each row is stored
    /// as a whole register, its excess lanes landing in the next rows, which are written after it; the rows less than a
    /// register from the end of the sample go through a small buffer.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Col2ImGather<T>(T* dcol, T* dx, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (GatherRowsTogether && g.KernelHeight * g.KernelWidth <= MaxGatherTaps)
        {
            if (typeof(T) == typeof(float) && GathersPermuted(g))
            {
                GatherPermuted((float*)dcol, (float*)dx, g);
                return;
            }
            GatherByTaps(dcol, dx, g, 0, g.Channels);
            return;
        }
        int n = Vector512<T>.Count, c = g.Channels, h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth;
        int kh = g.KernelHeight, kw = g.KernelWidth, ph = g.PaddingHeight, pw = g.PaddingWidth, plane = ho * wo;
        Vector512<T>* masks = stackalloc Vector512<T>[kw];
        Vector512<T> lane = Vector512<T>.Indices, width = Vector512.Create(T.CreateTruncating(w)), outWidth = Vector512.Create(T.CreateTruncating(wo));
        for (int j = 0; j < kw; j++)
        {
            Vector512<T> q = lane + Vector512.Create(T.CreateTruncating(pw - j));
            masks[j] = Vector512.GreaterThanOrEqual(q, Vector512<T>.Zero) & Vector512.LessThan(q, outWidth) & Vector512.LessThan(lane, width);
        }
        T* whole = dx + ((nint)c * h * w) - n; // rows starting after this would spill past the sample: stored through a buffer
        T* spill = stackalloc T[n];
        for (int ch = 0; ch < c; ch++)
        {
            T* taps = dcol + ((nint)ch * kh * kw * plane) + pw;
            T* dxc = dx + ((nint)ch * h * w);
            int y = 0;
            for (; y < h; y++)
            {
                Vector512<T> sum = Vector512<T>.Zero;
                for (int i = 0; i < kh; i++)
                {
                    int r = y + ph - i;
                    if ((uint)r >= (uint)ho)
                    {
                        continue;
                    }
                    T* row = taps + ((nint)i * kw * plane) + ((nint)r * wo);
                    for (int j = 0; j < kw; j++)
                    {
                        sum += Vector512.ConditionalSelect(masks[j], Vector512.Load(row + ((nint)j * plane) - j), Vector512<T>.Zero);
                    }
                }
                GatherStore(sum, dxc + ((nint)y * w), whole, spill, w);
            }
        }
    }

    /// <summary>Tests and the paired A/B only: <see langword="false"/> gathers as ADR 0052 did (one row at a time, the
    /// taps in nested loops).</summary>
    internal static bool GatherRowsTogether = true;

    /// <summary>Most taps Kh·Kw for <see cref="GatherByTaps{T}"/> (its per-tap offsets and masks live on the stack).</summary>
    private const int MaxGatherTaps = 128;

    /// <summary>
    /// <see cref="Col2ImGather{T}"/> with the taps flattened: tap t = i·Kw + j reads dcol at a fixed offset from row y's
    /// base, under the mask of its j; row y takes the taps of the i whose dcol row r = y + Ph − i lies in the output, a
    /// contiguous range of t. Rows whose 4 take every tap are summed 4 at a time.
    /// </summary>
    /// <remarks>The nested loops of ADR 0052 kept so many indices live that the JIT reloaded them from the stack for every
    /// tap, and each row's sum was one chain of Kh·Kw dependent additions: the gather took as long as the Wᵀ·dy products
    /// of <see cref="ColumnsGradient{T, TS, TV}"/>. Each sum still takes its terms for i then j ascending, from +0: the
    /// bits of the scatter.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void GatherByTaps<T>(T* dcol, T* dx, in Conv2DGeometry g, int c0, int c1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = Vector512<T>.Count, c = g.Channels, h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth;
        int kh = g.KernelHeight, kw = g.KernelWidth, ph = g.PaddingHeight, pw = g.PaddingWidth, plane = ho * wo, taps = kh * kw;
        Vector512<T>* masks = stackalloc Vector512<T>[taps];
        nint* offsets = stackalloc nint[taps];
        Vector512<T> lane = Vector512<T>.Indices, width = Vector512.Create(T.CreateTruncating(w)), outWidth = Vector512.Create(T.CreateTruncating(wo));
        for (int i = 0; i < kh; i++)
        {
            for (int j = 0; j < kw; j++)
            {
                // dcol[(c·Kh + i)·Kw + j, r·Wo + x + Pw − j] with r = y + Ph − i: from row y's base (c's rows + (y + Ph)·Wo + Pw).
                int t = (i * kw) + j;
                Vector512<T> q = lane + Vector512.Create(T.CreateTruncating(pw - j));
                masks[t] = Vector512.GreaterThanOrEqual(q, Vector512<T>.Zero) & Vector512.LessThan(q, outWidth) & Vector512.LessThan(lane, width);
                offsets[t] = ((nint)t * plane) - ((nint)i * wo) - j;
            }
        }
        T* whole = dx + ((nint)c * h * w) - n; // rows starting after this would spill past the sample: stored through a buffer
        T* spill = stackalloc T[n];
        for (int ch = c0; ch < c1; ch++)
        {
            T* rows = dcol + ((nint)ch * taps * plane) + pw;
            T* dxc = dx + ((nint)ch * h * w);
            int y = 0;
            while (y < h)
            {
                T* at = rows + ((nint)(y + ph) * wo);
                if (y + 4 <= h && y + ph >= kh - 1 && y + 3 + ph < ho)
                {
                    Vector512<T> s0 = Vector512<T>.Zero, s1 = Vector512<T>.Zero, s2 = Vector512<T>.Zero, s3 = Vector512<T>.Zero;
                    for (int t = 0; t < taps; t++)
                    {
                        Vector512<T> m = masks[t];
                        T* p = at + offsets[t];
                        s0 += Vector512.ConditionalSelect(m, Vector512.Load(p), Vector512<T>.Zero);
                        s1 += Vector512.ConditionalSelect(m, Vector512.Load(p + wo), Vector512<T>.Zero);
                        s2 += Vector512.ConditionalSelect(m, Vector512.Load(p + (2 * wo)), Vector512<T>.Zero);
                        s3 += Vector512.ConditionalSelect(m, Vector512.Load(p + (3 * wo)), Vector512<T>.Zero);
                    }
                    T* dst = dxc + ((nint)y * w);
                    GatherStore(s0, dst, whole, spill, w);
                    GatherStore(s1, dst + w, whole, spill, w);
                    GatherStore(s2, dst + (2 * w), whole, spill, w);
                    GatherStore(s3, dst + (3 * w), whole, spill, w);
                    y += 4;
                    continue;
                }
                // i from max(0, y + Ph − Ho + 1) to min(Kh − 1, y + Ph): the rows r inside the output.
                int from = Math.Max(0, y + ph - ho + 1) * kw, to = (Math.Min(kh - 1, y + ph) + 1) * kw;
                Vector512<T> sum = Vector512<T>.Zero;
                for (int t = from; t < to; t++)
                {
                    sum += Vector512.ConditionalSelect(masks[t], Vector512.Load(at + offsets[t]), Vector512<T>.Zero);
                }
                GatherStore(sum, dxc + ((nint)y * w), whole, spill, w);
                y++;
            }
        }
    }

    /// <summary>Tests and the paired A/B only: <see langword="false"/> gathers float rows of at most 8 with the masked
    /// 512-bit loads of <see cref="GatherByTaps{T}"/>, as ADR 0057 did (ADR 0063).</summary>
    internal static bool PermutedGather = true;

    /// <summary>Whether <see cref="GatherPermuted"/> serves a float geometry the gather serves: no padding and dcol rows of
    /// at most 8 floats (one 256-bit load each: LeNet's conv2 has Wo = 8).</summary>
    internal static bool GathersPermuted(in Conv2DGeometry g) =>
        PermutedGather && Avx512F.IsSupported && g.PaddingHeight == 0 && g.PaddingWidth == 0 && g.OutWidth <= 8;

    /// <summary>
    /// <see cref="GatherByTaps{T}"/> for float dcol rows of at most 8: tap (i, j) loads its dcol row with one 256-bit load
    /// (Wo = 8: 32-byte aligned, never across a cache line, where the 512-bit load at x − j crossed one for every j ≠ 0) and
    /// moves it to lanes j … j + Wo − 1 with one two-table permute against zero (vpermt2ps), the other lanes +0 as under
    /// the mask. The same terms in the same order from +0: the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void GatherPermuted(float* dcol, float* dx, in Conv2DGeometry g)
    {
        int n = Vector512<float>.Count, c = g.Channels, h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth;
        int kh = g.KernelHeight, kw = g.KernelWidth, plane = ho * wo, taps = kh * kw;
        Vector512<int>* controls = stackalloc Vector512<int>[taps];
        nint* offsets = stackalloc nint[taps];
        int* lanes = stackalloc int[n];
        for (int i = 0; i < kh; i++)
        {
            for (int j = 0; j < kw; j++)
            {
                int t = (i * kw) + j;
                for (int x = 0; x < n; x++)
                {
                    // Lane x takes element q = x − j of the loaded row, or lane 0 of the zero table (index n).
                    lanes[x] = x - j >= 0 && x - j < wo ? x - j : n;
                }
                controls[t] = Vector512.Load(lanes);
                offsets[t] = ((nint)t * plane) - ((nint)i * wo);
            }
        }
        Vector512<float> zero = Vector512<float>.Zero;
        float* whole = dx + ((nint)c * h * w) - n;
        float* spill = stackalloc float[n];
        for (int ch = 0; ch < c; ch++)
        {
            float* rows = dcol + ((nint)ch * taps * plane);
            float* dxc = dx + ((nint)ch * h * w);
            int y = 0;
            while (y < h)
            {
                float* at = rows + ((nint)y * wo);
                if (y + 4 <= h && y >= kh - 1 && y + 3 < ho)
                {
                    Vector512<float> s0 = zero, s1 = zero, s2 = zero, s3 = zero;
                    for (int t = 0; t < taps; t++)
                    {
                        Vector512<int> m = controls[t];
                        float* p = at + offsets[t];
                        s0 += Avx512F.PermuteVar16x32x2(Vector256.Load(p).ToVector512Unsafe(), m, zero);
                        s1 += Avx512F.PermuteVar16x32x2(Vector256.Load(p + wo).ToVector512Unsafe(), m, zero);
                        s2 += Avx512F.PermuteVar16x32x2(Vector256.Load(p + (2 * wo)).ToVector512Unsafe(), m, zero);
                        s3 += Avx512F.PermuteVar16x32x2(Vector256.Load(p + (3 * wo)).ToVector512Unsafe(), m, zero);
                    }
                    float* dst = dxc + ((nint)y * w);
                    GatherStore(s0, dst, whole, spill, w);
                    GatherStore(s1, dst + w, whole, spill, w);
                    GatherStore(s2, dst + (2 * w), whole, spill, w);
                    GatherStore(s3, dst + (3 * w), whole, spill, w);
                    y += 4;
                    continue;
                }
                int from = Math.Max(0, y - ho + 1) * kw, to = (Math.Min(kh - 1, y) + 1) * kw;
                Vector512<float> sum = zero;
                for (int t = from; t < to; t++)
                {
                    sum += Avx512F.PermuteVar16x32x2(Vector256.Load(at + offsets[t]).ToVector512Unsafe(), controls[t], zero);
                }
                GatherStore(sum, dxc + ((nint)y * w), whole, spill, w);
                y++;
            }
        }
    }

    /// <summary>Stores a gathered row: as a whole register (its excess lanes land in the rows after it, written later), or
    /// through <paramref name="spill"/> when that register would pass the sample's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GatherStore<T>(Vector512<T> sum, T* dst, T* whole, T* spill, int w)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (dst <= whole)
        {
            sum.Store(dst);
        }
        else
        {
            // Element by element: a call here (CopyTo) made the JIT keep the gather's sums on the stack across its loop.
            sum.Store(spill);
            for (int x = 0; x < w; x++)
            {
                dst[x] = spill[x];
            }
        }
    }

    private static int PaddedHeight(in Conv2DGeometry g) => g.OutHeight + (2 * (g.KernelHeight - 1));

    private static int PaddedWidth(in Conv2DGeometry g) => g.OutWidth + (2 * (g.KernelWidth - 1));

    /// <summary>(H − 1)·Wp + W: the wide outputs of one input plane.</summary>
    private static int Span(in Conv2DGeometry g) => ((g.Height - 1) * PaddedWidth(g)) + g.Width;

    /// <summary>dx_b = full convolution of dy_b with the flipped kernel, for samples [start, end) (overwritten).
    /// <paramref name="wt"/>: the column kernel's Wᵀ panels laid out by the caller once per call
    /// (<see cref="ColumnsWeights{T}"/>), or null to lay them out here.</summary>
    internal static unsafe void DirectInputGradient<T>(T* dy, T* w, T* dx, int start, int end, in Conv2DGeometry g, T* wt = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Columns(g))
        {
            if (Simd512<T>.IsAccelerated)
            {
                ColumnsGradient<T, Simd512<T>, Vector512<T>>(dy, w, dx, start, end, g, wt);
            }
            else if (Simd256<T>.IsAccelerated)
            {
                ColumnsGradient<T, Simd256<T>, Vector256<T>>(dy, w, dx, start, end, g, wt);
            }
            else if (Simd128<T>.IsAccelerated)
            {
                ColumnsGradient<T, Simd128<T>, Vector128<T>>(dy, w, dx, start, end, g, wt);
            }
            else
            {
                ColumnsGradient<T, Scalar<T>, T>(dy, w, dx, start, end, g, wt);
            }
            return;
        }
        if (Simd512<T>.IsAccelerated)
        {
            if (Wraps(g, Vector512<T>.Count))
            {
                WrappedInputGradient<T, Simd512<T>, Vector512<T>>(dy, w, dx, start, end, g);
                return;
            }
            DirectInputGradient<T, Simd512<T>, Vector512<T>>(dy, w, dx, start, end, g);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            if (Wraps(g, Vector256<T>.Count))
            {
                WrappedInputGradient<T, Simd256<T>, Vector256<T>>(dy, w, dx, start, end, g);
                return;
            }
            DirectInputGradient<T, Simd256<T>, Vector256<T>>(dy, w, dx, start, end, g);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            DirectInputGradient<T, Simd128<T>, Vector128<T>>(dy, w, dx, start, end, g);
        }
        else
        {
            DirectInputGradient<T, Scalar<T>, T>(dy, w, dx, start, end, g);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectInputGradient<T, TS, TV>(T* dy, T* w, T* dx, int start, int end, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int c = g.Channels, o = g.OutChannels, kh = g.KernelHeight, kw = g.KernelWidth, h = g.Height, wd = g.Width;
        int ho = g.OutHeight, wo = g.OutWidth, hp = PaddedHeight(g), wp = PaddedWidth(g), n = TS.Count;
        int depth = o * kh * kw, k = g.ColumnRows, padPlane = hp * wp, span = Span(g);
        nint origin = ((nint)g.PaddingHeight * wp) + g.PaddingWidth;
        fixed (T* flipped = Buffers<T>.Flipped((long)c * depth))
        fixed (T* dyp = Buffers<T>.Padded((long)o * padPlane))
        fixed (T* wide = Buffers<T>.Wide((long)c * span))
        fixed (nint* taps = Buffers<nint>.Taps(depth))
        {
            // flipped[c, (o·Kh + i′)·Kw + j′] = W[o, c, Kh − 1 − i′, Kw − 1 − j′]; taps[p] = where tap p reads in dyp.
            for (int r = 0; r < c; r++)
            {
                for (int q = 0; q < o; q++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            int p = (((q * kh) + i) * kw) + j;
                            flipped[((nint)r * depth) + p] = w[((nint)q * k) + (((r * kh) + (kh - 1 - i)) * kw) + (kw - 1 - j)];
                            taps[p] = ((nint)q * padPlane) + ((nint)i * wp) + j;
                        }
                    }
                }
            }

            // The border of dyp is zero for every sample: cleared once, each sample then writes its interior.
            new Span<T>(dyp, o * padPlane).Clear();
            for (int b = start; b < end; b++)
            {
                T* dyb = dy + ((nint)b * g.OutputLength);
                for (int q = 0; q < o; q++)
                {
                    for (int row = 0; row < ho; row++)
                    {
                        CopyRow(dyb + ((nint)q * ho * wo) + ((nint)row * wo), dyp + ((nint)q * padPlane) + ((nint)(row + kh - 1) * wp) + kw - 1, wo);
                    }
                }

                T* src = dyp + origin;
                for (int c0 = 0; c0 < c; c0 += 4)
                {
                    int c1 = Math.Min(c0 + 1, c - 1), c2 = Math.Min(c0 + 2, c - 1), c3 = Math.Min(c0 + 3, c - 1);
                    T* w0 = flipped + ((nint)c0 * depth), w1 = flipped + ((nint)c1 * depth);
                    T* w2 = flipped + ((nint)c2 * depth), w3 = flipped + ((nint)c3 * depth);
                    T* y0 = wide + ((nint)c0 * span), y1 = wide + ((nint)c1 * span), y2 = wide + ((nint)c2 * span), y3 = wide + ((nint)c3 * span);
                    int q0 = 0;
                    for (; q0 + (3 * n) <= span; q0 += 3 * n)
                    {
                        TV a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero;
                        TV a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero;
                        T* s = src + q0;
                        for (int p = 0; p < depth; p++)
                        {
                            T* sp = s + taps[p];
                            TV x0 = TS.Load(ref Unsafe.AsRef<T>(sp));
                            TV x1 = TS.Load(ref Unsafe.AsRef<T>(sp + n));
                            TV x2 = TS.Load(ref Unsafe.AsRef<T>(sp + (2 * n)));
                            TV v = TS.Broadcast(w0[p]);
                            a00 = TS.MultiplyAdd(v, x0, a00); a01 = TS.MultiplyAdd(v, x1, a01); a02 = TS.MultiplyAdd(v, x2, a02);
                            v = TS.Broadcast(w1[p]);
                            a10 = TS.MultiplyAdd(v, x0, a10); a11 = TS.MultiplyAdd(v, x1, a11); a12 = TS.MultiplyAdd(v, x2, a12);
                            v = TS.Broadcast(w2[p]);
                            a20 = TS.MultiplyAdd(v, x0, a20); a21 = TS.MultiplyAdd(v, x1, a21); a22 = TS.MultiplyAdd(v, x2, a22);
                            v = TS.Broadcast(w3[p]);
                            a30 = TS.MultiplyAdd(v, x0, a30); a31 = TS.MultiplyAdd(v, x1, a31); a32 = TS.MultiplyAdd(v, x2, a32);
                        }
                        Store3<T, TS, TV>(y0 + q0, n, a00, a01, a02);
                        Store3<T, TS, TV>(y1 + q0, n, a10, a11, a12);
                        Store3<T, TS, TV>(y2 + q0, n, a20, a21, a22);
                        Store3<T, TS, TV>(y3 + q0, n, a30, a31, a32);
                    }
                    while (q0 < span)
                    {
                        // One register at a time; the last overlaps the one before (its values computed again, the same).
                        q0 = Math.Min(q0, span - n);
                        TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
                        T* s = src + q0;
                        for (int p = 0; p < depth; p++)
                        {
                            TV x0 = TS.Load(ref Unsafe.AsRef<T>(s + taps[p]));
                            a0 = TS.MultiplyAdd(TS.Broadcast(w0[p]), x0, a0);
                            a1 = TS.MultiplyAdd(TS.Broadcast(w1[p]), x0, a1);
                            a2 = TS.MultiplyAdd(TS.Broadcast(w2[p]), x0, a2);
                            a3 = TS.MultiplyAdd(TS.Broadcast(w3[p]), x0, a3);
                        }
                        TS.Store(a0, ref Unsafe.AsRef<T>(y0 + q0));
                        TS.Store(a1, ref Unsafe.AsRef<T>(y1 + q0));
                        TS.Store(a2, ref Unsafe.AsRef<T>(y2 + q0));
                        TS.Store(a3, ref Unsafe.AsRef<T>(y3 + q0));
                        q0 += n;
                    }
                }

                // Drop the wide columns: dx[c, h, 0..W) = wide[c, h·Wp ..].
                T* dxb = dx + ((nint)b * g.InputLength);
                for (int r = 0; r < c; r++)
                {
                    for (int row = 0; row < h; row++)
                    {
                        CopyRow(wide + ((nint)r * span) + ((nint)row * wp), dxb + ((nint)r * h * wd) + ((nint)row * wd), wd);
                    }
                }
            }
        }
    }

    /// <summary>Tests and the paired A/B only: <see langword="false"/> keeps unpadded geometries on the full convolution
    /// (<see cref="WrappedInputGradient{T, TS, TV}"/>) instead of <see cref="ColumnsGradient{T, TS, TV}"/>.</summary>
    internal static bool ColumnsOnRegisters = true;

    /// <summary>The lanes of the widest register: an output plane at least this long serves the column kernel on every
    /// machine, so the choice (and with it the bits) depends on the geometry alone.</summary>
    private const int ColumnsMinPlane = 16;

    /// <summary>Whether the direct dx of a stride-1 geometry runs as <see cref="ColumnsGradient{T, TS, TV}"/>: no padding
    /// (where the full convolution's border is widest), an output plane of at least 4 × <see cref="ColumnsMinPlane"/> and
    /// at most <see cref="PackedGemm.KC"/> output channels (the packed GEMM's one depth block, whose bits it gives). Its
    /// products are those of the GEMM, so unlike the full convolution it needs no limit on O·Kh·Kw: LeNet's conv2
    /// (1,250 taps) takes it too.</summary>
    internal static bool Columns(in Conv2DGeometry g) =>
        ColumnsOnRegisters && g.PaddingHeight == 0 && g.PaddingWidth == 0 && g.OutHeight * g.OutWidth >= 4 * ColumnsMinPlane
        && g.OutChannels <= PackedGemm.KC;

    /// <summary>
    /// dx_b for samples [start, end) of an unpadded geometry: dcol = Wᵀ·dy_b on registers, then col2im
    /// (<see cref="Conv2D.Col2ImRows{T}"/>: the register gather where it serves, else the scatter, the same bits).
    /// </summary>
    /// <remarks>
    /// <para><b>Why.</b> The full convolution multiplies every dx position by every tap, the zero border included: for the
    /// bench CNN's conv2 (8×13×13 from 16×11×11, 3×3) 11 registers × 144 taps per channel where 16·121·9 products are
    /// not zero, 1.45 times too many. The columns dcol[(c·Kh + i)·Kw + j, p] = Σ_o W[o, c, i, j] · dy[o, p] multiply
    /// only dy's own positions (72 rows × 8 registers × 16 here), and col2im adds Kh·Kw shifted rows per dx row.</para>
    /// <para><b>Not the packed GEMM.</b> That is what dx ran on before ADR 0046, per sample: its depth is only O, so packing
    /// Wᵀ for every sample cost as much as the products. Here Wᵀ is transposed once per call ([K, O], each row's O weights
    /// adjacent) and dy is read in place, its O rows the depth, with <see cref="Rows{T, TS, TV}"/>'s register blocks.</para>
    /// <para><b>Bits.</b> Each dcol element is an FMA chain from zero over o in order, as the packed GEMM's (one depth
    /// block), and col2im adds the rows in the scatter's order: the bits of the GEMM path (ADR 0057's tests compare them),
    /// which differ from the full convolution's by rounding (each dx element sums the same products, grouped by tap).</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ColumnsGradient<T, TS, TV>(T* dy, T* w, T* dx, int start, int end, in Conv2DGeometry g, T* given)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int k = g.ColumnRows, o = g.OutChannels, plane = g.OutHeight * g.OutWidth, per = g.KernelHeight * g.KernelWidth;
        bool interleave = InterleavedCol2Im && GathersCol2Im<T>(g) && GatherRowsTogether && per <= MaxGatherTaps;
        fixed (T* own = given == null ? Buffers<T>.Flipped(ColumnsWeightsLength(g)) : null)
        fixed (T* dcolBuffer = Buffers<T>.Wide(((long)k * plane) + (2 * Col2ImMargin)))
        fixed (nint* taps = Buffers<nint>.Taps(o))
        {
            T* wt = given;
            if (wt == null)
            {
                wt = own;
                ColumnsWeights(w, wt, g);
            }
            for (int q = 0; q < o; q++)
            {
                taps[q] = (nint)q * plane;
            }
            T* dcol = dcolBuffer + Col2ImMargin;
            for (int b = start; b < end; b++)
            {
                T* dyb = dy + ((nint)b * g.OutputLength), dxb = dx + ((nint)b * g.InputLength);
                if (!interleave)
                {
                    Rows6x4<T, TS, TV>(dyb, taps, o, wt, k, dcol, plane);
                    Conv2D.Col2ImRows(dcol, dxb, g);
                    continue;
                }
                // dcol in groups of InterleaveRows rows, each channel gathered as soon as its Kh·Kw rows are done, while
                // they are still in the level-1 cache (ADR 0063): the same chains, the same gather, the same bits.
                int done = 0;
                for (int r0 = 0; r0 < k; r0 += InterleaveRows)
                {
                    int rows = Math.Min(InterleaveRows, k - r0);
                    Rows6x4<T, TS, TV>(dyb, taps, o, wt + ((nint)r0 * o), rows, dcol + ((nint)r0 * plane), plane);
                    int upto = (r0 + rows) / per;
                    if (upto > done)
                    {
                        GatherByTaps(dcol, dxb, g, done, upto);
                        done = upto;
                    }
                }
            }
        }
    }

    /// <summary>Tests and the paired A/B only: <see langword="false"/> computes a sample's whole dcol before its col2im, as
    /// ADR 0057 did; <see langword="true"/> gathers each channel as soon as its rows are computed (ADR 0063).</summary>
    internal static bool InterleavedCol2Im;

    /// <summary>Rows of dcol computed between two gathers (a multiple of 6, the register block's rows): 72 rows of a plane
    /// of 64 floats are 18 KiB, so a channel's rows are still in the level-1 cache when it is gathered.</summary>
    private const int InterleaveRows = 72;

    /// <summary>Tests and the paired A/B only: <see langword="false"/> lays Wᵀ out in every group of
    /// <see cref="Conv2D.Backward"/> (8 times per call for a batch of 8 or more), as ADR 0057 did; <see langword="true"/>
    /// once per call, on the calling thread, shared by the groups (ADR 0063).</summary>
    internal static bool WeightsOncePerCall = true;

    /// <summary>Whether <see cref="Conv2D.Backward"/> lays out the column kernel's Wᵀ once per call for this geometry.</summary>
    internal static bool ColumnsWeightsOnce(in Conv2DGeometry g) => WeightsOncePerCall && DirectInput(g) && Columns(g);

    /// <summary>The length of <see cref="ColumnsWeights{T}"/>'s layout: ⌈K/6⌉ blocks of O × 6.</summary>
    internal static long ColumnsWeightsLength(in Conv2DGeometry g) => (long)((g.ColumnRows + 5) / 6) * g.OutChannels * 6;

    /// <summary>wt[block, o, t] = W[o, min(6·block + t, K − 1)]: the 6 weights of a step of <see cref="Rows6x4{T, TS, TV}"/>
    /// adjacent (a last block short of 6 rows repeats its last row); step o of a row reads dy's row o.</summary>
    internal static unsafe void ColumnsWeights<T>(T* w, T* wt, in Conv2DGeometry g)
        where T : unmanaged
    {
        int k = g.ColumnRows, o = g.OutChannels, blocks = (k + 5) / 6, full = k / 6;
        for (int blk = 0; blk < blocks; blk++)
        {
            T* dst = wt + ((nint)blk * o * 6);
            if (blk < full)
            {
                T* src = w + ((nint)blk * 6);
                for (int q = 0; q < o; q++, dst += 6, src += k)
                {
                    dst[0] = src[0];
                    dst[1] = src[1];
                    dst[2] = src[2];
                    dst[3] = src[3];
                    dst[4] = src[4];
                    dst[5] = src[5];
                }
                continue;
            }
            for (int q = 0; q < o; q++)
            {
                for (int t = 0; t < 6; t++)
                {
                    dst[(q * 6) + t] = w[((nint)q * k) + Math.Min((6 * blk) + t, k - 1)];
                }
            }
        }
    }

    /// <summary>The column kernel's Wᵀ laid out once per call by the calling thread (<see cref="ColumnsWeights{T}"/>).</summary>
    internal static T[] ColumnsWeightsBuffer<T>(in Conv2DGeometry g)
        where T : unmanaged => Buffers<T>.Columns(ColumnsWeightsLength(g));

    /// <summary>
    /// out[r, q] = Σ_p W(r, p) · src[q + taps[p]] for r &lt; <paramref name="rows"/> and q &lt; <paramref name="span"/>
    /// (≥ 4 registers), W(r, p) = weights[(⌊r/6⌋·depth + p)·6 + r mod 6], each an FMA chain from zero over p in order:
    /// 6 rows × 4 registers (24 accumulators, 4 loads and 6 broadcasts of adjacent weights per step), the last block of q
    /// overlapping the one before (its values computed again, the same), a last block of rows repeating its last row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows6x4<T, TS, TV>(T* src, nint* taps, int depth, T* weights, int rows, T* outb, int span)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int n = TS.Count;
        for (int r0 = 0; r0 < rows; r0 += 6)
        {
            T* wb = weights + ((nint)r0 * depth);
            T* y0 = outb + ((nint)r0 * span), y1 = outb + ((nint)Math.Min(r0 + 1, rows - 1) * span), y2 = outb + ((nint)Math.Min(r0 + 2, rows - 1) * span);
            T* y3 = outb + ((nint)Math.Min(r0 + 3, rows - 1) * span), y4 = outb + ((nint)Math.Min(r0 + 4, rows - 1) * span), y5 = outb + ((nint)Math.Min(r0 + 5, rows - 1) * span);
            for (int q = 0; q < span; q += 4 * n)
            {
                int q0 = Math.Min(q, span - (4 * n));
                TV a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero, a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero;
                TV a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero, a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero;
                TV a40 = TS.Zero, a41 = TS.Zero, a42 = TS.Zero, a43 = TS.Zero, a50 = TS.Zero, a51 = TS.Zero, a52 = TS.Zero, a53 = TS.Zero;
                T* s = src + q0;
                T* wp = wb;
                for (int p = 0; p < depth; p++, wp += 6)
                {
                    T* sp = s + taps[p];
                    TV x0 = TS.Load(ref Unsafe.AsRef<T>(sp));
                    TV x1 = TS.Load(ref Unsafe.AsRef<T>(sp + n));
                    TV x2 = TS.Load(ref Unsafe.AsRef<T>(sp + (2 * n)));
                    TV x3 = TS.Load(ref Unsafe.AsRef<T>(sp + (3 * n)));
                    TV v = TS.Broadcast(wp[0]);
                    a00 = TS.MultiplyAdd(v, x0, a00); a01 = TS.MultiplyAdd(v, x1, a01); a02 = TS.MultiplyAdd(v, x2, a02); a03 = TS.MultiplyAdd(v, x3, a03);
                    v = TS.Broadcast(wp[1]);
                    a10 = TS.MultiplyAdd(v, x0, a10); a11 = TS.MultiplyAdd(v, x1, a11); a12 = TS.MultiplyAdd(v, x2, a12); a13 = TS.MultiplyAdd(v, x3, a13);
                    v = TS.Broadcast(wp[2]);
                    a20 = TS.MultiplyAdd(v, x0, a20); a21 = TS.MultiplyAdd(v, x1, a21); a22 = TS.MultiplyAdd(v, x2, a22); a23 = TS.MultiplyAdd(v, x3, a23);
                    v = TS.Broadcast(wp[3]);
                    a30 = TS.MultiplyAdd(v, x0, a30); a31 = TS.MultiplyAdd(v, x1, a31); a32 = TS.MultiplyAdd(v, x2, a32); a33 = TS.MultiplyAdd(v, x3, a33);
                    v = TS.Broadcast(wp[4]);
                    a40 = TS.MultiplyAdd(v, x0, a40); a41 = TS.MultiplyAdd(v, x1, a41); a42 = TS.MultiplyAdd(v, x2, a42); a43 = TS.MultiplyAdd(v, x3, a43);
                    v = TS.Broadcast(wp[5]);
                    a50 = TS.MultiplyAdd(v, x0, a50); a51 = TS.MultiplyAdd(v, x1, a51); a52 = TS.MultiplyAdd(v, x2, a52); a53 = TS.MultiplyAdd(v, x3, a53);
                }
                Store4<T, TS, TV>(y0 + q0, n, a00, a01, a02, a03);
                Store4<T, TS, TV>(y1 + q0, n, a10, a11, a12, a13);
                Store4<T, TS, TV>(y2 + q0, n, a20, a21, a22, a23);
                Store4<T, TS, TV>(y3 + q0, n, a30, a31, a32, a33);
                Store4<T, TS, TV>(y4 + q0, n, a40, a41, a42, a43);
                Store4<T, TS, TV>(y5 + q0, n, a50, a51, a52, a53);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store4<T, TS, TV>(T* dst, int n, TV v0, TV v1, TV v2, TV v3)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TS.Store(v0, ref Unsafe.AsRef<T>(dst));
        TS.Store(v1, ref Unsafe.AsRef<T>(dst + n));
        TS.Store(v2, ref Unsafe.AsRef<T>(dst + (2 * n)));
        TS.Store(v3, ref Unsafe.AsRef<T>(dst + (3 * n)));
    }

    /// <summary>Tests and the paired A/B only: <see langword="false"/> runs the kernel of ADR 0046 (dy bordered on all four
    /// sides, the outputs numbered at the bordered width) instead of <see cref="WrappedInputGradient{T, TS, TV}"/>.</summary>
    internal static bool WrapBorder = true;

    /// <summary>Row stride S of the wrapped layout: max(W + Pw, Wo) (W when there is no padding).</summary>
    private static int WrapStride(in Conv2DGeometry g) => Math.Max(g.Width + g.PaddingWidth, g.OutWidth);

    /// <summary>Rows of one wrapped dy plane: Kh zero rows, the Ho rows of dy, Kh − 1 zero rows.</summary>
    private static int WrapRows(in Conv2DGeometry g) => g.OutHeight + (2 * g.KernelHeight) - 1;

    /// <summary>(H − 1)·S + W: the outputs of one input plane numbered at the row stride S (H·W without padding).</summary>
    private static int WrapSpan(in Conv2DGeometry g) => ((g.Height - 1) * WrapStride(g)) + g.Width;

    private static bool Wraps(in Conv2DGeometry g, int lanes) => WrapBorder && WrapSpan(g) >= lanes;

    /// <summary>
    /// dx_b for samples [start, end) with dy's zero border shared between rows: each dy row is stored at the row stride
    /// S = max(W + Pw, Wo) with S − Wo zeros after it, between Kh zero rows above and Kh − 1 below.
    /// </summary>
    /// <remarks>
    /// <para>A tap (o, i′, j′) of output q = h·S + w reads dy at row h + Ph − Kh + 1 + i′ and column c′ = w + Pw − Kw + 1 + j′.
    /// A column left of dy (c′ ≥ Pw − Kw + 1 ≥ −(S − Wo)) lands in the zero tail of the row before; one right of it
    /// (c′ ≤ W − 1 + Pw ≤ S − 1) in the zero tail of its own row; rows above and below dy are zero rows. So the border that
    /// ADR 0046's kernel gave each row on both sides (Wp = Wo + 2(Kw − 1)) is shared, and without padding S = W: the
    /// outputs are dx's own plane, written in place (no wide buffer, no copy), H·W outputs instead of (H − 1)·Wp + W.</para>
    /// <para><b>Bits.</b> Each dx element is the FMA chain from zero over the taps (o, i′, j′) in order that ADR 0046's
    /// kernel computes, the same products (the same zeros included) in the same order: the same bits.</para>
    /// <para><b>Register block.</b> 4 input channels × 5 registers of q (20 accumulators, 5 loads and 4 broadcasts per tap)
    /// while 5 fit, then the rest of the plane one register at a time for 8 channels (8 accumulators: with 4, as before,
    /// each tap waited on the FMA's latency), the last register overlapping the one before.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WrappedInputGradient<T, TS, TV>(T* dy, T* w, T* dx, int start, int end, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int c = g.Channels, o = g.OutChannels, kh = g.KernelHeight, kw = g.KernelWidth, h = g.Height, wd = g.Width;
        int ho = g.OutHeight, wo = g.OutWidth, st = WrapStride(g), n = TS.Count;
        int depth = o * kh * kw, k = g.ColumnRows, plane = WrapRows(g) * st, span = WrapSpan(g);
        bool dense = st == wd; // no padding: the outputs are dx's plane itself
        nint origin = ((nint)(g.PaddingHeight + 1) * st) + g.PaddingWidth - kw + 1, top = (nint)kh * st;
        fixed (T* flipped = Buffers<T>.Flipped((long)c * depth))
        fixed (T* dyp = Buffers<T>.Padded((long)o * plane))
        fixed (T* wide = dense ? null : Buffers<T>.Wide((long)c * span))
        fixed (nint* taps = Buffers<nint>.Taps(depth))
        {
            // flipped[c, (o·Kh + i′)·Kw + j′] = W[o, c, Kh − 1 − i′, Kw − 1 − j′]: (Kh − 1 − i′)·Kw + Kw − 1 − j′ is
            // Kh·Kw − 1 − (i′·Kw + j′), so each kernel is copied reversed. taps[p] = where tap p reads, from origin.
            int kk = kh * kw;
            for (int q = 0; q < o; q++)
            {
                for (int r = 0; r < c; r++)
                {
                    T* from = w + ((nint)q * k) + ((nint)r * kk) + kk - 1, to = flipped + ((nint)r * depth) + ((nint)q * kk);
                    for (int t = 0; t < kk; t++)
                    {
                        to[t] = from[-t];
                    }
                }
                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        taps[(((q * kh) + i) * kw) + j] = ((nint)q * plane) + ((nint)i * st) + j;
                    }
                }
            }

            // Zero rows and row tails are the same for every sample: cleared once, each sample then writes dy's rows.
            new Span<T>(dyp, o * plane).Clear();
            for (int b = start; b < end; b++)
            {
                T* dyb = dy + ((nint)b * g.OutputLength);
                for (int q = 0; q < o; q++)
                {
                    for (int row = 0; row < ho; row++)
                    {
                        CopyRow(dyb + ((nint)q * ho * wo) + ((nint)row * wo), dyp + ((nint)q * plane) + top + ((nint)row * st), wo);
                    }
                }

                T* outb = dense ? dx + ((nint)b * g.InputLength) : wide;
                Rows<T, TS, TV>(dyp + origin, taps, depth, flipped, c, outb, span);

                if (!dense)
                {
                    // Drop the columns past W: dx[c, h, 0..W) = wide[c, h·S ..].
                    T* dxb = dx + ((nint)b * g.InputLength);
                    for (int r = 0; r < c; r++)
                    {
                        for (int row = 0; row < h; row++)
                        {
                            CopyRow(wide + ((nint)r * span) + ((nint)row * st), dxb + ((nint)r * h * wd) + ((nint)row * wd), wd);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// out[r, q] = Σ_p weights[r·depth + p] · src[q + taps[p]] for rows r &lt; <paramref name="rows"/> and q &lt;
    /// <paramref name="span"/> (≥ one register), each an FMA chain from zero over p in order: 4 rows × 5 registers of q
    /// (20 accumulators, 5 loads and 4 broadcasts per step) while 5 fit, then the rest one register at a time for 8 rows
    /// (8 accumulators hide the FMA's latency; 4 did not), the last register overlapping the one before (its values
    /// computed again, the same). A block of rows past the last repeats the last row (the same values written twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Rows<T, TS, TV>(T* src, nint* taps, int depth, T* weights, int rows, T* outb, int span)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int n = TS.Count;
        int main = span / (5 * n) * (5 * n); // q below this: blocks of 4 rows × 5 registers
        for (int c0 = 0; c0 < rows; c0 += 4)
        {
            int c1 = Math.Min(c0 + 1, rows - 1), c2 = Math.Min(c0 + 2, rows - 1), c3 = Math.Min(c0 + 3, rows - 1);
            T* w0 = weights + ((nint)c0 * depth), w1 = weights + ((nint)c1 * depth);
            T* w2 = weights + ((nint)c2 * depth), w3 = weights + ((nint)c3 * depth);
            T* y0 = outb + ((nint)c0 * span), y1 = outb + ((nint)c1 * span), y2 = outb + ((nint)c2 * span), y3 = outb + ((nint)c3 * span);
            for (int q0 = 0; q0 < main; q0 += 5 * n)
            {
                TV a00 = TS.Zero, a01 = TS.Zero, a02 = TS.Zero, a03 = TS.Zero, a04 = TS.Zero;
                TV a10 = TS.Zero, a11 = TS.Zero, a12 = TS.Zero, a13 = TS.Zero, a14 = TS.Zero;
                TV a20 = TS.Zero, a21 = TS.Zero, a22 = TS.Zero, a23 = TS.Zero, a24 = TS.Zero;
                TV a30 = TS.Zero, a31 = TS.Zero, a32 = TS.Zero, a33 = TS.Zero, a34 = TS.Zero;
                T* s = src + q0;
                for (int p = 0; p < depth; p++)
                {
                    T* sp = s + taps[p];
                    TV x0 = TS.Load(ref Unsafe.AsRef<T>(sp));
                    TV x1 = TS.Load(ref Unsafe.AsRef<T>(sp + n));
                    TV x2 = TS.Load(ref Unsafe.AsRef<T>(sp + (2 * n)));
                    TV x3 = TS.Load(ref Unsafe.AsRef<T>(sp + (3 * n)));
                    TV x4 = TS.Load(ref Unsafe.AsRef<T>(sp + (4 * n)));
                    TV v = TS.Broadcast(w0[p]);
                    a00 = TS.MultiplyAdd(v, x0, a00); a01 = TS.MultiplyAdd(v, x1, a01); a02 = TS.MultiplyAdd(v, x2, a02);
                    a03 = TS.MultiplyAdd(v, x3, a03); a04 = TS.MultiplyAdd(v, x4, a04);
                    v = TS.Broadcast(w1[p]);
                    a10 = TS.MultiplyAdd(v, x0, a10); a11 = TS.MultiplyAdd(v, x1, a11); a12 = TS.MultiplyAdd(v, x2, a12);
                    a13 = TS.MultiplyAdd(v, x3, a13); a14 = TS.MultiplyAdd(v, x4, a14);
                    v = TS.Broadcast(w2[p]);
                    a20 = TS.MultiplyAdd(v, x0, a20); a21 = TS.MultiplyAdd(v, x1, a21); a22 = TS.MultiplyAdd(v, x2, a22);
                    a23 = TS.MultiplyAdd(v, x3, a23); a24 = TS.MultiplyAdd(v, x4, a24);
                    v = TS.Broadcast(w3[p]);
                    a30 = TS.MultiplyAdd(v, x0, a30); a31 = TS.MultiplyAdd(v, x1, a31); a32 = TS.MultiplyAdd(v, x2, a32);
                    a33 = TS.MultiplyAdd(v, x3, a33); a34 = TS.MultiplyAdd(v, x4, a34);
                }
                Store5<T, TS, TV>(y0 + q0, n, a00, a01, a02, a03, a04);
                Store5<T, TS, TV>(y1 + q0, n, a10, a11, a12, a13, a14);
                Store5<T, TS, TV>(y2 + q0, n, a20, a21, a22, a23, a24);
                Store5<T, TS, TV>(y3 + q0, n, a30, a31, a32, a33, a34);
            }
        }

        // The rest of each row: one register at a time (the last overlapping the one before: its values computed again,
        // the same) for 8 rows at once, so 8 independent chains hide the FMA's latency.
        for (int q0 = main; q0 < span; q0 += n)
        {
            int qr = Math.Min(q0, span - n);
            T* s = src + qr;
            for (int c0 = 0; c0 < rows; c0 += 8)
            {
                T* w0 = weights + ((nint)c0 * depth), w1 = weights + ((nint)Math.Min(c0 + 1, rows - 1) * depth);
                T* w2 = weights + ((nint)Math.Min(c0 + 2, rows - 1) * depth), w3 = weights + ((nint)Math.Min(c0 + 3, rows - 1) * depth);
                T* w4 = weights + ((nint)Math.Min(c0 + 4, rows - 1) * depth), w5 = weights + ((nint)Math.Min(c0 + 5, rows - 1) * depth);
                T* w6 = weights + ((nint)Math.Min(c0 + 6, rows - 1) * depth), w7 = weights + ((nint)Math.Min(c0 + 7, rows - 1) * depth);
                TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero, a4 = TS.Zero, a5 = TS.Zero, a6 = TS.Zero, a7 = TS.Zero;
                for (int p = 0; p < depth; p++)
                {
                    TV x0 = TS.Load(ref Unsafe.AsRef<T>(s + taps[p]));
                    a0 = TS.MultiplyAdd(TS.Broadcast(w0[p]), x0, a0);
                    a1 = TS.MultiplyAdd(TS.Broadcast(w1[p]), x0, a1);
                    a2 = TS.MultiplyAdd(TS.Broadcast(w2[p]), x0, a2);
                    a3 = TS.MultiplyAdd(TS.Broadcast(w3[p]), x0, a3);
                    a4 = TS.MultiplyAdd(TS.Broadcast(w4[p]), x0, a4);
                    a5 = TS.MultiplyAdd(TS.Broadcast(w5[p]), x0, a5);
                    a6 = TS.MultiplyAdd(TS.Broadcast(w6[p]), x0, a6);
                    a7 = TS.MultiplyAdd(TS.Broadcast(w7[p]), x0, a7);
                }
                T* y = outb + qr;
                TS.Store(a0, ref Unsafe.AsRef<T>(y + ((nint)c0 * span)));
                TS.Store(a1, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 1, rows - 1) * span)));
                TS.Store(a2, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 2, rows - 1) * span)));
                TS.Store(a3, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 3, rows - 1) * span)));
                TS.Store(a4, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 4, rows - 1) * span)));
                TS.Store(a5, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 5, rows - 1) * span)));
                TS.Store(a6, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 6, rows - 1) * span)));
                TS.Store(a7, ref Unsafe.AsRef<T>(y + ((nint)Math.Min(c0 + 7, rows - 1) * span)));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store5<T, TS, TV>(T* dst, int n, TV v0, TV v1, TV v2, TV v3, TV v4)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TS.Store(v0, ref Unsafe.AsRef<T>(dst));
        TS.Store(v1, ref Unsafe.AsRef<T>(dst + n));
        TS.Store(v2, ref Unsafe.AsRef<T>(dst + (2 * n)));
        TS.Store(v3, ref Unsafe.AsRef<T>(dst + (3 * n)));
        TS.Store(v4, ref Unsafe.AsRef<T>(dst + (4 * n)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store3<T, TS, TV>(T* dst, int n, TV v0, TV v1, TV v2)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TS.Store(v0, ref Unsafe.AsRef<T>(dst));
        TS.Store(v1, ref Unsafe.AsRef<T>(dst + n));
        TS.Store(v2, ref Unsafe.AsRef<T>(dst + (2 * n)));
    }

    /// <summary>Per-thread scratch of the direct backward, grown on first use and reused (no allocation in steady state):
    /// each group of <see cref="Conv2D.Backward"/> runs on one thread at a time.</summary>
    private static class Buffers<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static T[]? t_flipped;

        [ThreadStatic]
        private static T[]? t_padded;

        [ThreadStatic]
        private static T[]? t_wide;

        [ThreadStatic]
        private static T[]? t_taps;

        [ThreadStatic]
        private static T[]? t_columns;

        /// <summary>The column kernel's Wᵀ of one call, laid out by the calling thread for every group.</summary>
        public static T[] Columns(long length) => ThreadBuffer.Ensure(ref t_columns, length);

        /// <summary>The flipped, transposed kernel [C, O·Kh·Kw].</summary>
        public static T[] Flipped(long length) => ThreadBuffer.Ensure(ref t_flipped, length);

        /// <summary>dy with its zero border, [O, Hp, Wp].</summary>
        public static T[] Padded(long length) => ThreadBuffer.Ensure(ref t_padded, length);

        /// <summary>The wide dx of one sample, [C, (H − 1)·Wp + W].</summary>
        public static T[] Wide(long length) => ThreadBuffer.Ensure(ref t_wide, length);

        /// <summary>Where each tap reads in dyp.</summary>
        public static T[] Taps(long length) => ThreadBuffer.Ensure(ref t_taps, length);
    }
}
