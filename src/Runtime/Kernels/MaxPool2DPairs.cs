using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The float 2×2, stride-2 max pool on 256-bit registers for the windows <see cref="MaxPool2D"/>'s pair kernel does not
/// take: padding 1 (on either axis), odd input widths, and rows of fewer than 8 outputs. Also the pool that
/// <see cref="ConvPool"/> runs in a convolution's epilogue, on the convolution's own buffer.
/// </summary>
/// <remarks>
/// <para>Window (oh, ow) reads the four elements a = s(2·oh, 2·ow), b = s(2·oh, 2·ow + 1), c = s(2·oh + 1, 2·ow) and
/// d = s(2·oh + 1, 2·ow + 1) of a source s whose element (r, q) is input element (r − Ph, q − Pw), −∞ where that is
/// padding. A padded plane (or one whose rows are too short to read 16 columns from) is first copied into such a
/// source with a −∞ border; an unpadded plane with at least 8 outputs per row is read where it lies.</para>
/// <para>The scan is <see cref="MaxPool2D"/>'s, 8 windows per register: the maximum starts at −∞ and the position at the
/// window's first element inside the input (the first real element of a window on the top or left border is below or
/// right of the padding); then a, b, c, d in that order, each replacing when larger or NaN. Padding (−∞) never replaces,
/// so the values and positions are those of the scalar scan, ties, NaN, ±∞ and −0 included (tested against it).</para>
/// </remarks>
internal static class MaxPool2DPairs
{
    /// <summary>Tests and the bench's A/B only: <see langword="false"/> sends these windows back to the scalar scan.</summary>
    internal static bool Enabled = true;

    /// <summary>Whether this kernel serves the geometry: float on AVX2, 2×2 windows, stride 2, padding 0 or 1.</summary>
    internal static bool Serves(in Pool2DGeometry g) =>
        Enabled && Avx2.IsSupported && g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2
        && g.PaddingHeight <= 1 && g.PaddingWidth <= 1;

    /// <summary>Whether a plane is read in place (no padding, at least 8 outputs per row, so no block reads past the input's
    /// row 2·Ho − 1 or its column 2·Wo − 1 … + 16 beyond the plane) or copied into the −∞-bordered source first.</summary>
    internal static bool Stages(in Pool2DGeometry g) => g.PaddingHeight != 0 || g.PaddingWidth != 0 || g.OutWidth < 8;

    /// <summary>Row stride of the staged source: 2·Wo rounded up to 8.</summary>
    internal static int StageStride(in Pool2DGeometry g) => ((2 * g.OutWidth) + 7) & ~7;

    /// <summary>Floats of one staged plane: 2·Ho rows, plus 16 that the last row's block may read past its end.</summary>
    internal static int StageLength(in Pool2DGeometry g) => (2 * g.OutHeight * StageStride(g)) + 16;

    /// <summary>One plane: x with row stride <paramref name="xStride"/> (the plane's H × W elements, <c>W ≤ xStride</c>),
    /// y and argmax (h·W + w; null = not stored) with rows of Wo. <paramref name="stage"/>: <see cref="StageLength"/>
    /// floats when <see cref="Stages"/>, else unused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Plane(float* x, int xStride, float* y, int* argmax, in Pool2DGeometry g, float* stage)
    {
        if (MaxPool2DPositions.Serves(g))
        {
            // AVX-512: 16 windows per register, the same values and positions, no staged copy (ADR 0058).
            MaxPool2DPositions.Plane(x, xStride, y, argmax, g);
            return;
        }
        int ph = g.PaddingHeight, pw = g.PaddingWidth, ho = g.OutHeight, wo = g.OutWidth, h = g.Height, w = g.Width;
        if (!Stages(g))
        {
            Windows(x, xStride, y, argmax, w, 0, 0, ho, wo);
            return;
        }

        // The source with its −∞ border: rows r of 2·Ho, input row r − Ph; columns q of the stride, input column q − Pw.
        int stride = StageStride(g), copy = Math.Min(w, (2 * wo) - pw);
        var minus = Vector256.Create(float.NegativeInfinity);
        for (int r = 0; r < 2 * ho; r++)
        {
            float* row = stage + ((nint)r * stride);
            for (int q = 0; q < stride; q += 8)
            {
                minus.Store(row + q);
            }
            int ir = r - ph;
            if (ir >= 0 && ir < h)
            {
                Conv2DForward.CopyRow(x + ((nint)ir * xStride), row + pw, copy); // registers, not a call per row
            }
        }
        minus.Store(stage + ((nint)2 * ho * stride));
        minus.Store(stage + ((nint)2 * ho * stride) + 8);
        Windows(stage, stride, y, argmax, w, ph, pw, ho, wo);
    }

    /// <summary>Every window of a plane from the source s (row stride <paramref name="stride"/>; see the remarks), 8 at a
    /// time. Positions are (r − Ph)·<paramref name="argWidth"/> + (q − Pw). Rows of at least 8 outputs end with a block that
    /// overlaps the one before (recomputed, the same results); shorter rows store their first Wo lanes only.</summary>
    private static unsafe void Windows(float* s, int stride, float* y, int* argmax, int argWidth, int ph, int pw, int ho, int wo)
    {
        Vector256<int> split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7); // evens to the lower half, odds to the upper
        Vector256<int> columns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        Vector256<int> one = Vector256.Create(1), below = Vector256.Create(argWidth);
        Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var minus = Vector256.Create(float.NegativeInfinity);
        float* maxLanes = stackalloc float[8];
        int* atLanes = stackalloc int[8];
        for (int oh = 0; oh < ho; oh++)
        {
            float* r0 = s + ((nint)2 * oh * stride);
            float* r1 = r0 + stride;
            float* yr = y + ((nint)oh * wo);
            int* ar = argmax == null ? null : argmax + ((nint)oh * wo);
            // The first real element of a window on the top border is c (one input row down).
            Vector256<int> top = (2 * oh) - ph < 0 ? below : Vector256<int>.Zero;
            for (int ow = 0; ; ow += 8)
            {
                ow = Math.Max(0, Math.Min(ow, wo - 8));
                Vector256<float> e0 = Avx2.PermuteVar8x32(Avx.LoadVector256(r0 + (2 * ow)), split);
                Vector256<float> e1 = Avx2.PermuteVar8x32(Avx.LoadVector256(r0 + (2 * ow) + 8), split);
                Vector256<float> f0 = Avx2.PermuteVar8x32(Avx.LoadVector256(r1 + (2 * ow)), split);
                Vector256<float> f1 = Avx2.PermuteVar8x32(Avx.LoadVector256(r1 + (2 * ow) + 8), split);
                // Position of a: (2·oh − Ph)·W + 2·ow − Pw + 2·lane; the scan starts at the first real element.
                Vector256<int> a = Vector256.Create((((2 * oh) - ph) * argWidth) + (2 * ow) - pw) + columns;
                Vector256<float> max;
                Vector256<int> at;
                if (ph == 0 && pw == 0)
                {
                    // No padding: a is real, and taking it from −∞ leaves max = a, at = its position (−∞ or not).
                    max = Vector256.Create(e0.GetLower(), e1.GetLower());
                    at = a;
                }
                else
                {
                    Vector256<int> left = Vector256.Equals(lanes + Vector256.Create(ow), Vector256<int>.Zero) & Vector256.Create(pw);
                    at = a + top + left;
                    max = minus;
                    Take(Vector256.Create(e0.GetLower(), e1.GetLower()), a, ref max, ref at);
                }
                Take(Vector256.Create(e0.GetUpper(), e1.GetUpper()), a + one, ref max, ref at);
                Take(Vector256.Create(f0.GetLower(), f1.GetLower()), a + below, ref max, ref at);
                Take(Vector256.Create(f0.GetUpper(), f1.GetUpper()), a + below + one, ref max, ref at);
                if (wo >= 8)
                {
                    max.Store(yr + ow);
                    if (ar != null)
                    {
                        at.Store(ar + ow);
                    }
                    if (ow == wo - 8)
                    {
                        break;
                    }
                }
                else
                {
                    // Fewer than 8 windows: the first Wo lanes, through the stack (plain stores, no masked ones).
                    max.Store(maxLanes);
                    at.Store(atLanes);
                    for (int l = 0; l < wo; l++)
                    {
                        yr[l] = maxLanes[l];
                        if (ar != null)
                        {
                            ar[l] = atLanes[l];
                        }
                    }
                    break;
                }
            }
        }
    }

    /// <summary>One step of the scan: v replaces the running maximum (and its position) when larger or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector256<float> v, Vector256<int> position, ref Vector256<float> max, ref Vector256<int> at)
    {
        Vector256<float> take = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
        max = Vector256.ConditionalSelect(take, v, max);
        at = Vector256.ConditionalSelect(take.AsInt32(), position, at);
    }

    /// <summary>The staging buffer of the calling thread (grown on first use, then reused).</summary>
    internal static float[] Stage(int length)
    {
        float[]? buffer = t_stage;
        if (buffer is null || buffer.Length < length)
        {
            t_stage = buffer = new float[Math.Max(length, 64)];
        }
        return buffer;
    }

    [ThreadStatic]
    private static float[]? t_stage;
}
