using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The float 2×2, stride-2 max pool with its positions (training: the backward reads them) on 512-bit registers, 16
/// windows per register: what <see cref="MaxPool2DPairs"/> computes 8 windows at a time, with the same values and
/// positions bit for bit.
/// </summary>
/// <remarks>
/// <para>The reads are those of the inference pool (<see cref="ConvPoolInference"/>, ADR 0053): for 16 windows, two
/// masked loads of an input row (never past the row's real columns, so no −∞-bordered copy of a padded plane is made)
/// and one two-register permute per phase give the windows' first (a) and second (b) elements of that row; planes of at
/// most 16 columns and 8 windows per row put two rows of windows in one register.</para>
/// <para><b>The scan with positions.</b> The scalar scan (<see cref="MaxPool2D"/>) starts at −∞ and the window's first
/// element inside the input, then takes a, b, c, d in that order, each replacing when it is larger or NaN; padding never
/// replaces. That is the fold over the window's real elements in order whose first element is taken unconditionally.
/// Here each element carries its position, −1 for padding, and the step "the later element wins when it is larger, is
/// NaN, or the earlier one is padding" is associative (it keeps the element that is largest under one total order: NaN
/// above every number and a later NaN above an earlier one, of equal numbers the earlier, padding below all), so the
/// window runs as (a ∘ b) ∘ (c ∘ d), two dependent steps, and gives the scalar scan's value and position, ties, NaN,
/// ±∞ and −0 included (tested against <see cref="MaxPool2DPairs"/> and the scalar scan). Every window has at least one
/// real element, so no position −1 is ever stored.</para>
/// </remarks>
internal static class MaxPool2DPositions
{
    /// <summary>Tests and the bench's A/B only: <see langword="false"/> sends these pools back to
    /// <see cref="MaxPool2DPairs"/>' 256-bit scan.</summary>
    internal static bool Enabled = true;

    /// <summary>Whether this kernel serves the geometry (already served by <see cref="MaxPool2DPairs.Serves"/>): on AVX-512.</summary>
    internal static bool Serves(in Pool2DGeometry p) =>
#if NET10_0_OR_GREATER
        Enabled && Avx512F.IsSupported;
#else
        false; // the masked loads and stores are .NET 10 APIs (ADR 0020): the net9.0 build keeps MaxPool2DPairs
#endif

#if NET10_0_OR_GREATER
    /// <summary>One plane: s with row stride <paramref name="stride"/> (the pool's input, H × W, <c>W ≤ stride</c>) pooled
    /// into y, and the positions h·W + w into argmax (null = not stored), both with rows of Wo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Plane(float* s, int stride, float* y, int* argmax, in Pool2DGeometry p)
    {
        int ph = p.PaddingHeight, pw = p.PaddingWidth, h = p.Height, w = p.Width, ho = p.OutHeight, wo = p.OutWidth;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        if (w <= 16 && wo <= 8)
        {
            TwoRows(s, stride, y, argmax, p, lanes);
            return;
        }
        for (int ow0 = 0; ow0 < wo; ow0 += 16)
        {
            // Columns read: [first, first + 32) ∩ [0, W); lane k's a is input column 2·(ow0 + k) − Pw, at index
            // colA − first of the 32 loaded; a column left of the plane (−1) points at column 0 and is padding.
            int first = Math.Max(0, (2 * ow0) - pw);
            Vector512<int> colA = lanes + lanes + Vector512.Create((2 * ow0) - pw);
            Vector512<int> ia = Vector512.Max(colA - Vector512.Create(first), Vector512<int>.Zero);
            Vector512<int> ib = colA - Vector512.Create(first) + Vector512<int>.One;
            Vector512<int> padA = Vector512.LessThan(colA, Vector512<int>.Zero);
            Vector512<int> padB = Vector512.GreaterThanOrEqual(colA + Vector512<int>.One, Vector512.Create(w));
            Vector512<float> load0 = Vector512.LessThan(lanes, Vector512.Create(w - first)).AsSingle();
            Vector512<float> load1 = Vector512.LessThan(lanes, Vector512.Create(w - first - 16)).AsSingle();
            Vector512<float> store = Vector512.LessThan(lanes, Vector512.Create(wo - ow0)).AsSingle();
            for (int oh = 0; oh < ho; oh++)
            {
                int r = (2 * oh) - ph;
                Vector512<float> top = Minus, bottom = Minus;
                Vector512<int> topAt = Padding, bottomAt = Padding;
                if (r >= 0)
                {
                    top = Row(s + ((nint)r * stride) + first, r * w, load0, load1, ia, ib, colA, padA, padB, out topAt);
                }
                if (r + 1 < h)
                {
                    bottom = Row(s + ((nint)(r + 1) * stride) + first, (r + 1) * w, load0, load1, ia, ib, colA, padA, padB, out bottomAt);
                }
                Vector512<float> max = Later(top, topAt, bottom, bottomAt, out Vector512<int> at);
                nint o = ((nint)oh * wo) + ow0;
                Avx512F.MaskStore(y + o, store, max);
                if (argmax != null)
                {
                    Avx512F.MaskStore(argmax + o, store.AsInt32(), at);
                }
            }
        }
    }

    private static Vector512<float> Minus => Vector512.Create(float.NegativeInfinity);

    /// <summary>The position of a padding element: below every real one in the scan.</summary>
    private static Vector512<int> Padding => Vector512.Create(-1);

    /// <summary>The two elements of each window in one input row (at <paramref name="base"/> = r·W in the plane), a then
    /// b, combined: the row's winner of the scan and its position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Row(float* row, int @base, Vector512<float> load0, Vector512<float> load1, Vector512<int> ia, Vector512<int> ib, Vector512<int> colA, Vector512<int> padA, Vector512<int> padB, out Vector512<int> at)
    {
        Vector512<float> x0 = Avx512F.MaskLoad(row, load0, Minus);
        Vector512<float> x1 = Avx512F.MaskLoad(row + 16, load1, Minus);
        Vector512<float> a = Vector512.ConditionalSelect(padA.AsSingle(), Minus, Avx512F.PermuteVar16x32x2(x0, ia, x1));
        Vector512<float> b = Avx512F.PermuteVar16x32x2(x0, ib, x1); // past W: the loads' −∞
        Vector512<int> atA = Vector512.ConditionalSelect(padA, Padding, colA + Vector512.Create(@base));
        Vector512<int> atB = Vector512.ConditionalSelect(padB, Padding, colA + Vector512.Create(@base + 1));
        return Later(a, atA, b, atB, out at);
    }

    /// <summary>A plane of at most 16 columns and 8 windows per row (the bench CNN's second pool: 11 columns, 6 windows):
    /// lanes [0, Wo) hold window row oh and [Wo, 2·Wo) row oh + 1, read from one masked load per input row and stored
    /// with one masked store (the two rows of y, and of argmax, are adjacent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TwoRows(float* s, int stride, float* y, int* argmax, in Pool2DGeometry p, Vector512<int> lanes)
    {
        int ph = p.PaddingHeight, pw = p.PaddingWidth, h = p.Height, w = p.Width, ho = p.OutHeight, wo = p.OutWidth;
        // Lane k < Wo: window (oh, k), input column 2k − Pw of the first register; lane Wo + k: window (oh + 1, k), the
        // same column of the second register (index 16 + …). A column −1 (left padding) points at column 0.
        Vector512<int> second = Vector512.GreaterThanOrEqual(lanes, Vector512.Create(wo));
        Vector512<int> k = lanes - (second & Vector512.Create(wo));
        Vector512<int> colA = k + k - Vector512.Create(pw);
        Vector512<int> ia = Vector512.Max(colA, Vector512<int>.Zero) + (second & Vector512.Create(16));
        Vector512<int> ib = colA + Vector512<int>.One + (second & Vector512.Create(16));
        Vector512<int> padA = Vector512.LessThan(colA, Vector512<int>.Zero);
        Vector512<int> padB = Vector512.GreaterThanOrEqual(colA + Vector512<int>.One, Vector512.Create(w));
        Vector512<float> load = Vector512.LessThan(lanes, Vector512.Create(w)).AsSingle();
        Vector512<float> both = Vector512.LessThan(lanes, Vector512.Create(2 * wo)).AsSingle();
        Vector512<float> one = Vector512.LessThan(lanes, Vector512.Create(wo)).AsSingle();
        for (int oh = 0; oh < ho; oh += 2)
        {
            int r = (2 * oh) - ph; // rows r, r + 1 for window row oh; r + 2, r + 3 for oh + 1
            Vector512<float> top = Pair(s, stride, h, w, r, r + 2, load, ia, ib, colA, padA, padB, second, out Vector512<int> topAt);
            Vector512<float> bottom = Pair(s, stride, h, w, r + 1, r + 3, load, ia, ib, colA, padA, padB, second, out Vector512<int> bottomAt);
            Vector512<float> max = Later(top, topAt, bottom, bottomAt, out Vector512<int> at);
            Vector512<float> store = oh + 1 < ho ? both : one;
            Avx512F.MaskStore(y + ((nint)oh * wo), store, max);
            if (argmax != null)
            {
                Avx512F.MaskStore(argmax + ((nint)oh * wo), store.AsInt32(), at);
            }
        }
    }

    /// <summary>Input rows <paramref name="r0"/> (into lanes [0, Wo)) and <paramref name="r1"/> (into [Wo, 2·Wo)), each
    /// window's two elements of its row combined; a row outside the plane is padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Pair(float* s, int stride, int h, int w, int r0, int r1, Vector512<float> load, Vector512<int> ia, Vector512<int> ib, Vector512<int> colA, Vector512<int> padA, Vector512<int> padB, Vector512<int> second, out Vector512<int> at)
    {
        bool in0 = r0 >= 0 && r0 < h, in1 = r1 >= 0 && r1 < h;
        Vector512<float> x0 = in0 ? Avx512F.MaskLoad(s + ((nint)r0 * stride), load, Minus) : Minus;
        Vector512<float> x1 = in1 ? Avx512F.MaskLoad(s + ((nint)r1 * stride), load, Minus) : Minus;
        // Lanes of a row outside the plane are padding as a whole.
        Vector512<int> outside = (in0 ? Vector512<int>.Zero : ~second) | (in1 ? Vector512<int>.Zero : second);
        Vector512<int> rowBase = Vector512.ConditionalSelect(second, Vector512.Create(r1 * w), Vector512.Create(r0 * w));
        Vector512<int> pa = padA | outside, pb = padB | outside;
        Vector512<float> a = Vector512.ConditionalSelect(pa.AsSingle(), Minus, Avx512F.PermuteVar16x32x2(x0, ia, x1));
        Vector512<float> b = Avx512F.PermuteVar16x32x2(x0, ib, x1);
        Vector512<int> atA = Vector512.ConditionalSelect(pa, Padding, rowBase + colA);
        Vector512<int> atB = Vector512.ConditionalSelect(pb, Padding, rowBase + colA + Vector512<int>.One);
        return Later(a, atA, b, atB, out at);
    }

    /// <summary>The scan's step on two groups of a window's elements, <paramref name="earlier"/> before
    /// <paramref name="later"/>: the later one wins when it is larger, is NaN, or the earlier one is padding (see the
    /// remarks: associative, so (a ∘ b) ∘ (c ∘ d) is the scan a, b, c, d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Later(Vector512<float> earlier, Vector512<int> earlierAt, Vector512<float> later, Vector512<int> laterAt, out Vector512<int> at)
    {
        Vector512<float> take = Vector512.GreaterThan(later, earlier) | ~Vector512.Equals(later, later)
            | Vector512.Equals(earlierAt, Padding).AsSingle();
        at = Vector512.ConditionalSelect(take.AsInt32(), laterAt, earlierAt);
        return Vector512.ConditionalSelect(take, later, earlier);
    }
#else
    /// <summary>Not served on net9.0 (<see cref="Serves"/> is false there).</summary>
    internal static unsafe void Plane(float* s, int stride, float* y, int* argmax, in Pool2DGeometry p) => throw new PlatformNotSupportedException();
#endif
}
