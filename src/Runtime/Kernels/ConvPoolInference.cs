using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The 2×2, stride-2 max pool in the direct convolution's epilogue at inference (no argmax kept), on 512-bit registers:
/// 16 windows per register, values only (ADR 0053).
/// </summary>
/// <remarks>
/// <para>Window (oh, ow) reads a = s(2·oh − Ph, 2·ow − Pw), b = s(2·oh − Ph, 2·ow − Pw + 1), c and d one row down, from
/// the convolution's wide buffer (rows of the input's width, so a conv output row is followed by the dropped wide
/// columns). For 16 windows, two masked loads of a row (32 columns, never past the row's real columns, so nothing
/// outside the plane is read and no padded copy is made) and one two-register permute per phase give the a's and the
/// b's; elements in the padding or past the plane's width are −∞.</para>
/// <para>The scan is PyTorch's and <see cref="MaxPool2DPairs"/>': the window's elements in the order a, b, c, d, each
/// replacing the maximum when it is larger or NaN. It keeps the largest element under one total order (NaN above every
/// number and a later NaN above an earlier one; of equal numbers, ±0 included, the earlier), so it is associative and
/// runs as (a ∘ b) ∘ (c ∘ d): two dependent steps instead of three. Padding (−∞) wins only against −∞, whose bits are
/// the same. So the values are the scalar scan's bit for bit, ties, NaN, ±∞ and −0 included (tested against it); the
/// positions are not kept, which is why training (whose backward reads them) keeps <see cref="MaxPool2DPairs"/>.</para>
/// <para>The old epilogue pool (8 windows per 256-bit register, the positions computed even when nothing stores them,
/// a padded plane first copied into a −∞-bordered buffer, rows of fewer than 8 windows stored lane by lane) took about
/// as long as the convolution itself at batch 1 on the bench CNN's second pair.</para>
/// </remarks>
internal static class ConvPoolInference
{
    /// <summary>Tests and the bench's A/B only: <see langword="false"/> sends the inference pool back to
    /// <see cref="MaxPool2DPairs"/> (the kernel of ADR 0047).</summary>
    internal static bool Enabled = true;

    /// <summary>Whether this kernel serves an inference pool of geometry <paramref name="p"/> (already served by
    /// <see cref="MaxPool2DPairs.Serves"/>): on AVX-512.</summary>
    internal static bool Serves(in Pool2DGeometry p) =>
#if NET10_0_OR_GREATER
        Enabled && Avx512F.IsSupported && MaxPool2DPairs.Serves(p);
#else
        false; // the masked loads and stores are .NET 10 APIs (ADR 0020): the net9.0 build keeps MaxPool2DPairs
#endif

#if NET10_0_OR_GREATER
    /// <summary>One plane: s with row stride <paramref name="stride"/> (the pool's input, H × W, <c>W ≤ stride</c>) pooled
    /// into y with rows of Wo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Plane(float* s, int stride, float* y, in Pool2DGeometry p)
    {
        int ph = p.PaddingHeight, pw = p.PaddingWidth, h = p.Height, w = p.Width, ho = p.OutHeight, wo = p.OutWidth;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var minus = Vector512.Create(float.NegativeInfinity);
        if (w <= 16 && wo <= 8)
        {
            TwoRows(s, stride, y, p, lanes, minus);
            return;
        }
        for (int ow0 = 0; ow0 < wo; ow0 += 16)
        {
            // Columns read: [first, first + 32) ∩ [0, W); lane k of phase v is column 2·(ow0 + k) − Pw + v. Columns past W
            // load as −∞ (the masked loads' fill); a column left of the plane (−1: the left padding) points at column 0
            // and is set to −∞ below.
            int first = Math.Max(0, (2 * ow0) - pw);
            Vector512<int> ca = lanes + lanes + Vector512.Create((2 * ow0) - pw - first);
            Vector512<int> ia = Vector512.Max(ca, Vector512<int>.Zero), ib = ca + Vector512<int>.One;
            bool leftPadding = ow0 == 0 && pw == 1;
            Vector512<float> left = Vector512.Equals(lanes, Vector512<int>.Zero).AsSingle();
            Vector512<float> load0 = Vector512.LessThan(lanes, Vector512.Create(w - first)).AsSingle();
            Vector512<float> load1 = Vector512.LessThan(lanes, Vector512.Create(w - first - 16)).AsSingle();
            Vector512<float> store = Vector512.LessThan(lanes, Vector512.Create(wo - ow0)).AsSingle();
            float* yr = y + ow0;
            for (int oh = 0; oh < ho; oh++, yr += wo)
            {
                int r = (2 * oh) - ph;
                Vector512<float> top = minus, bottom = minus;
                if (r >= 0)
                {
                    top = Row(s + ((nint)r * stride) + first, load0, load1, ia, ib, leftPadding, left, minus);
                }
                if (r + 1 < h)
                {
                    bottom = Row(s + ((nint)(r + 1) * stride) + first, load0, load1, ia, ib, leftPadding, left, minus);
                }
                Avx512F.MaskStore(yr, store, Later(top, bottom));
            }
        }
    }

    /// <summary>A plane of at most 16 columns and 8 windows per row (the bench CNN's second pool: 11 columns, 6 windows):
    /// two rows of windows per register, lanes [0, Wo) for row oh and [Wo, 2·Wo) for row oh + 1, read from one masked
    /// load per input row and stored with one masked store (the two rows of y are adjacent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TwoRows(float* s, int stride, float* y, in Pool2DGeometry p, Vector512<int> lanes, Vector512<float> minus)
    {
        int ph = p.PaddingHeight, pw = p.PaddingWidth, h = p.Height, w = p.Width, ho = p.OutHeight, wo = p.OutWidth;
        // Lane k < Wo: window (oh, k), column 2k − Pw of the first register; lane Wo + k: window (oh + 1, k), the same
        // column of the second register (index 16 + …). A column −1 (left padding) points at column 0 and is set to −∞.
        Vector512<int> second = Vector512.GreaterThanOrEqual(lanes, Vector512.Create(wo));
        Vector512<int> k = lanes - (second & Vector512.Create(wo));
        Vector512<int> ca = k + k - Vector512.Create(pw);
        Vector512<int> ia = Vector512.Max(ca, Vector512<int>.Zero) + (second & Vector512.Create(16));
        Vector512<int> ib = ca + Vector512<int>.One + (second & Vector512.Create(16));
        Vector512<float> left = (pw == 1 ? Vector512.Equals(k, Vector512<int>.Zero) : Vector512<int>.Zero).AsSingle();
        Vector512<float> load = Vector512.LessThan(lanes, Vector512.Create(w)).AsSingle();
        Vector512<float> both = Vector512.LessThan(lanes, Vector512.Create(2 * wo)).AsSingle();
        Vector512<float> one = Vector512.LessThan(lanes, Vector512.Create(wo)).AsSingle();
        for (int oh = 0; oh < ho; oh += 2)
        {
            int r = (2 * oh) - ph; // rows r, r + 1 for window row oh; r + 2, r + 3 for oh + 1
            Vector512<float> top = Pair(s, stride, h, r, r + 2, load, ia, ib, left, minus);
            Vector512<float> bottom = Pair(s, stride, h, r + 1, r + 3, load, ia, ib, left, minus);
            Avx512F.MaskStore(y + ((nint)oh * wo), oh + 1 < ho ? both : one, Later(top, bottom));
        }
    }

    /// <summary>Input rows <paramref name="r0"/> (into lanes [0, Wo)) and <paramref name="r1"/> (into [Wo, 2·Wo)), each
    /// window's two elements of its row combined; a row outside the plane is −∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Pair(float* s, int stride, int h, int r0, int r1, Vector512<float> load, Vector512<int> ia, Vector512<int> ib, Vector512<float> left, Vector512<float> minus)
    {
        Vector512<float> x0 = r0 >= 0 && r0 < h ? Avx512F.MaskLoad(s + ((nint)r0 * stride), load, minus) : minus;
        Vector512<float> x1 = r1 >= 0 && r1 < h ? Avx512F.MaskLoad(s + ((nint)r1 * stride), load, minus) : minus;
        Vector512<float> a = Vector512.ConditionalSelect(left, minus, Avx512F.PermuteVar16x32x2(x0, ia, x1));
        Vector512<float> b = Avx512F.PermuteVar16x32x2(x0, ib, x1);
        return Later(a, b);
    }

    /// <summary>The two windows' elements of one row, a then b, combined: the row's winner of the scan.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Row(float* row, Vector512<float> load0, Vector512<float> load1, Vector512<int> ia, Vector512<int> ib, bool leftPadding, Vector512<float> left, Vector512<float> minus)
    {
        Vector512<float> x0 = Avx512F.MaskLoad(row, load0, minus);
        Vector512<float> x1 = Avx512F.MaskLoad(row + 16, load1, minus);
        Vector512<float> a = Avx512F.PermuteVar16x32x2(x0, ia, x1);
        Vector512<float> b = Avx512F.PermuteVar16x32x2(x0, ib, x1);
        if (leftPadding)
        {
            a = Vector512.ConditionalSelect(left, minus, a);
        }
        return Later(a, b);
    }

    /// <summary>The scan's step as an operator on two groups of a window's elements, <paramref name="earlier"/> before
    /// <paramref name="later"/>: the later one wins when it is larger or NaN. The scan keeps the element that is largest
    /// under one total order (NaN above every number, a later NaN above an earlier one, of equal numbers the earlier:
    /// ±0 compare equal), so the operator is associative: (a ∘ b) ∘ (c ∘ d) is the scan a, b, c, d, two steps deep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Later(Vector512<float> earlier, Vector512<float> later)
    {
        Vector512<float> take = Vector512.GreaterThan(later, earlier) | ~Vector512.Equals(later, later);
        return Vector512.ConditionalSelect(take, later, earlier);
    }
#else
    /// <summary>Not served on net9.0 (<see cref="Serves"/> is false there).</summary>
    internal static unsafe void Plane(float* s, int stride, float* y, in Pool2DGeometry p) => throw new PlatformNotSupportedException();
#endif
}
