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
/// columns). For 16 windows two masked loads of a row (32 columns, never past the row's real columns, so nothing
/// outside the buffer is read and no padded copy is made) and one two-register permute per phase give the a's and the
/// b's; elements in the padding, or past the plane's width, are masked out.</para>
/// <para>The scan is PyTorch's and <see cref="MaxPool2DPairs"/>': from −∞, each real element of the window in the order
/// a, b, c, d replaces the maximum when it is larger or NaN. Padding never replaces, and starting from −∞ instead of the
/// window's first real element changes nothing (that element replaces −∞ unless it is −∞ itself). So the values are the
/// scalar scan's bit for bit, ties, NaN, ±∞ and −0 included (tested against it); the positions are not kept, which is
/// why training (whose backward reads them) keeps <see cref="MaxPool2DPairs"/>.</para>
/// <para>The old epilogue pool (8 windows per 256-bit register, the positions computed even when nothing stores them,
/// a padded plane first copied into a −∞-bordered buffer, rows of fewer than 8 windows stored lane by lane) took about
/// as long as the convolution itself at batch 1 on the bench CNN.</para>
/// </remarks>
internal static class ConvPoolInference
{
    /// <summary>Tests and the bench's A/B only: <see langword="false"/> sends the inference pool back to
    /// <see cref="MaxPool2DPairs"/> (the kernel of ADR 0047).</summary>
    internal static bool Enabled = true;

    /// <summary>Whether this kernel serves an inference pool of geometry <paramref name="p"/> (already served by
    /// <see cref="MaxPool2DPairs.Serves"/>): on AVX-512.</summary>
    internal static bool Serves(in Pool2DGeometry p) => Enabled && Avx512F.IsSupported && MaxPool2DPairs.Serves(p);

    /// <summary>One plane: s with row stride <paramref name="stride"/> (the pool's input, H × W, <c>W ≤ stride</c>) pooled
    /// into y with rows of Wo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Plane(float* s, int stride, float* y, in Pool2DGeometry p)
    {
        int ph = p.PaddingHeight, pw = p.PaddingWidth, h = p.Height, w = p.Width, ho = p.OutHeight, wo = p.OutWidth;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var minus = Vector512.Create(float.NegativeInfinity);
        for (int ow0 = 0; ow0 < wo; ow0 += 16)
        {
            // Columns read: [first, first + 32) ∩ [0, W); lane k of phase v is column 2·(ow0 + k) − Pw + v.
            int first = Math.Max(0, (2 * ow0) - pw);
            Vector512<int> ca = lanes + lanes + Vector512.Create((2 * ow0) - pw), cb = ca + Vector512<int>.One;
            Vector512<int> windows = Vector512.LessThan(lanes, Vector512.Create(wo - ow0));
            // A lane is real when its window exists and its column lies in the plane (not padding, not past W).
            Vector512<float> realA = (windows & Vector512.GreaterThanOrEqual(ca, Vector512<int>.Zero) & Vector512.LessThan(ca, Vector512.Create(w))).AsSingle();
            Vector512<float> realB = (windows & Vector512.GreaterThanOrEqual(cb, Vector512<int>.Zero) & Vector512.LessThan(cb, Vector512.Create(w))).AsSingle();
            // Index of each column in the 32 loaded (out-of-range lanes point at 0 and are masked out above).
            Vector512<int> ia = Vector512.Max(ca - Vector512.Create(first), Vector512<int>.Zero) & Vector512.Create(31);
            Vector512<int> ib = Vector512.Max(cb - Vector512.Create(first), Vector512<int>.Zero) & Vector512.Create(31);
            // The loads stop at the row's last real column: nothing past the plane (or the buffer) is read.
            Vector512<float> load0 = Vector512.LessThan(lanes, Vector512.Create(w - first)).AsSingle();
            Vector512<float> load1 = Vector512.LessThan(lanes, Vector512.Create(w - first - 16)).AsSingle();
            Vector512<float> store = windows.AsSingle();
            for (int oh = 0; oh < ho; oh++)
            {
                Vector512<float> max = minus;
                for (int u = 0; u < 2; u++)
                {
                    int r = (2 * oh) - ph + u;
                    if (r < 0 || r >= h)
                    {
                        continue; // a padding row: −∞, never replaces
                    }
                    float* row = s + ((nint)r * stride) + first;
                    Vector512<float> x0 = Avx512F.MaskLoad(row, load0, Vector512<float>.Zero);
                    Vector512<float> x1 = Avx512F.MaskLoad(row + 16, load1, Vector512<float>.Zero);
                    Vector512<float> a = Avx512F.PermuteVar16x32x2(x0, ia, x1);
                    Vector512<float> b = Avx512F.PermuteVar16x32x2(x0, ib, x1);
                    max = Take(a, realA, max);
                    max = Take(b, realB, max);
                }
                Avx512F.MaskStore(y + ((nint)oh * wo) + ow0, store, max);
            }
        }
    }

    /// <summary>One step of the scan on the real lanes: v replaces the running maximum when larger or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Take(Vector512<float> v, Vector512<float> real, Vector512<float> max)
    {
        Vector512<float> take = (Vector512.GreaterThan(v, max) | ~Vector512.Equals(v, v)) & real;
        return Vector512.ConditionalSelect(take, v, max);
    }
}
