using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The training backward of <see cref="MaxPool2D"/> for 2×2 windows at stride 2 without padding (the pool of every small
/// CNN): each input element is written once, instead of clearing the plane and then scattering into it.
/// </summary>
/// <remarks>
/// <para>The windows tile the input (each element lies in exactly one window), so dx[2·oh + u, 2·ow + v] is
/// 0 + dy[oh, ow] where (2·oh + u)·W + 2·ow + v is the window's argmax, and 0 elsewhere; an odd last row (H = 2·Ho + 1)
/// lies in no window and is 0. Eight windows per step: the argmax relative to each window's corner picks which of the
/// four positions takes dy (a compare and a select each), and the four results are interleaved into the two input rows.
/// The last block of a row overlaps the one before (written again with the same values). "0 + dy" keeps the bits of the
/// general kernel's clear-then-add (a −0 gradient becomes +0).</para>
/// <para>It reads only argmax entries that the forward wrote inside their own window; <see cref="MaxPool2D.Backward"/>
/// checks first that every argmax lies inside its plane, so a foreign one can only misplace a gradient within its
/// plane, never write outside it.</para>
/// </remarks>
internal static class MaxPool2DBackward
{
    /// <summary>Tests and the paired A/B only: <see langword="false"/> sends every backward through the clear-and-scatter plane.</summary>
    internal static bool PairsAllowed = true;

    /// <summary>Whether <see cref="PlanePairs"/> serves this geometry: 2×2 windows, stride 2, no padding, W = 2·Wo with
    /// at least 8 windows per row, H = 2·Ho or 2·Ho + 1, float with 256-bit vectors.</summary>
    internal static bool IsPairs<T>(in Pool2DGeometry g) =>
        PairsAllowed && typeof(T) == typeof(float) && Avx.IsSupported && g.KernelHeight == 2 && g.KernelWidth == 2
        && g.StrideHeight == 2 && g.StrideWidth == 2 && g.PaddingHeight == 0 && g.PaddingWidth == 0
        && g.OutWidth >= 8 && g.Width == 2 * g.OutWidth && (g.Height == 2 * g.OutHeight || g.Height == (2 * g.OutHeight) + 1);

    /// <summary>dx of one plane (overwritten) from dy and argmax of its windows; with <paramref name="pooled"/> (the
    /// windows' maxima, not null) a window whose maximum is not positive passes 0 instead of dy: the mask of a ReLU before
    /// the pool (<see cref="MaxPool2DReLU"/>). dx's rows lie <paramref name="stride"/> apart (0: <paramref name="w"/>, a
    /// plane of its own; <see cref="ConvPoolBackward"/> writes into wider staging rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PlanePairs(float* dy, int* argmax, float* dx, int h, int w, int outHeight, int outWidth, float* pooled = null, int stride = 0)
    {
        if (stride == 0)
        {
            stride = w;
        }
        Vector256<int> columns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        Vector256<int> right = Vector256.Create(1), below = Vector256.Create(w), belowRight = Vector256.Create(w + 1);
        for (int oh = 0; oh < outHeight; oh++)
        {
            float* r0 = dx + ((nint)2 * oh * stride);
            float* r1 = r0 + stride;
            float* dr = dy + ((nint)oh * outWidth);
            int* ar = argmax + ((nint)oh * outWidth);
            float* pr = pooled + ((nint)oh * outWidth);
            for (int ow = 0; ; ow += 8)
            {
                ow = Math.Min(ow, outWidth - 8);
                Vector256<float> d = Vector256.Load(dr + ow) + Vector256<float>.Zero;
                if (pooled != null)
                {
                    d = Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(pr + ow), Vector256<float>.Zero), d, Vector256<float>.Zero);
                }
                Vector256<int> at = Vector256.Load(ar + ow) - (Vector256.Create((2 * oh * w) + (2 * ow)) + columns);
                Vector256<float> a = Vector256.ConditionalSelect(Vector256.Equals(at, Vector256<int>.Zero).AsSingle(), d, Vector256<float>.Zero);
                Vector256<float> b = Vector256.ConditionalSelect(Vector256.Equals(at, right).AsSingle(), d, Vector256<float>.Zero);
                Vector256<float> c = Vector256.ConditionalSelect(Vector256.Equals(at, below).AsSingle(), d, Vector256<float>.Zero);
                Vector256<float> e = Vector256.ConditionalSelect(Vector256.Equals(at, belowRight).AsSingle(), d, Vector256<float>.Zero);
                // [a0 b0 a1 b1 | a4 b4 a5 b5] and [a2 b2 a3 b3 | a6 b6 a7 b7] → a0 b0 … a3 b3 and a4 b4 … a7 b7.
                Vector256<float> lo = Avx.UnpackLow(a, b), hi = Avx.UnpackHigh(a, b);
                Avx.Permute2x128(lo, hi, 0x20).Store(r0 + (2 * ow));
                Avx.Permute2x128(lo, hi, 0x31).Store(r0 + (2 * ow) + 8);
                lo = Avx.UnpackLow(c, e);
                hi = Avx.UnpackHigh(c, e);
                Avx.Permute2x128(lo, hi, 0x20).Store(r1 + (2 * ow));
                Avx.Permute2x128(lo, hi, 0x31).Store(r1 + (2 * ow) + 8);
                if (ow == outWidth - 8)
                {
                    break;
                }
            }
        }
        if (h > 2 * outHeight)
        {
            new Span<float>(dx + ((nint)2 * outHeight * stride), w).Clear();
        }
    }
}
