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
/// 24 FMAs, against 7 per 12), the three x loads one address apart;</item>
/// <item>dy staged <i>interleaved</i>: for each register of q, the 8·k channels' registers side by side, so a block's
/// 8 loads are one pointer plus constant offsets (no per-channel row pointers competing for the 16 general
/// registers), and the staged rows start on a 64-byte line, so the dy loads never straddle two lines;</item>
/// <item>the 24 lane sums run as 24 independent chains.</item>
/// </list>
/// </remarks>
internal static class Conv2DWeightGradient
{
    /// <summary>Tests and <c>NetGen.Bench --dw-ab</c>: <see langword="false"/> sends every direct dW to the kernel of before.</summary>
    internal static bool Enabled = true;

    /// <summary>Channels per register block.</summary>
    private const int Channels = 8;

    /// <summary>Taps per register block (consecutive taps of one kernel row).</summary>
    private const int Taps = 3;

    /// <summary>Whether this kernel serves a geometry that <c>Conv2D.DirectWeightGradient</c> takes: 512-bit registers
    /// (32 of them: 24 accumulators), at least 8 output channels and a kernel at least 3 wide. Either kernel gives the
    /// same bits, so the choice is the machine's, as the GEMM's panel width is.</summary>
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
        T[] buffer = Conv2D.Buffers<T>.Wide(dyLength + slack + (samples * xLength) + ((long)(o + perRow) * n) + (64 / Unsafe.SizeOf<T>()));
        fixed (T* pinned = buffer)
        {
            // A 64-byte line boundary (the array itself is only 8-byte aligned).
            T* rows = (T*)(((nint)pinned + 63) & ~(nint)63);
            T* xPad = rows + dyLength + slack, bias = xPad + (samples * xLength), masks = bias + ((nint)o * n);
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

            T* lanes = stackalloc T[Channels * Taps * Vector512<T>.Count];
            for (int o0 = 0; ; o0 += Channels)
            {
                o0 = Math.Min(o0, o - Channels);
                for (int c = 0; c < g.Channels; c++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j0 = 0; ; j0 += Taps)
                        {
                            j0 = Math.Min(j0, kw - Taps);
                            nint tap = ((nint)c * g.Height * w) + ((nint)i * w) + j0;
                            Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
                            Vector512<T> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
                            Vector512<T> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
                            Vector512<T> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
                            for (int s = 0; s < samples; s++)
                            {
                                T* d0 = rows + (((nint)s * o) + o0) * spanPad, d1 = d0 + spanPad, d2 = d1 + spanPad, d3 = d2 + spanPad;
                                T* d4 = d3 + spanPad, d5 = d4 + spanPad, d6 = d5 + spanPad, d7 = d6 + spanPad;
                                T* xp = xPad + (s * xLength) + tap;
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
                            c00.Store(lanes); c01.Store(lanes + n); c02.Store(lanes + (2 * n));
                            c10.Store(lanes + (3 * n)); c11.Store(lanes + (4 * n)); c12.Store(lanes + (5 * n));
                            c20.Store(lanes + (6 * n)); c21.Store(lanes + (7 * n)); c22.Store(lanes + (8 * n));
                            c30.Store(lanes + (9 * n)); c31.Store(lanes + (10 * n)); c32.Store(lanes + (11 * n));
                            c40.Store(lanes + (12 * n)); c41.Store(lanes + (13 * n)); c42.Store(lanes + (14 * n));
                            c50.Store(lanes + (15 * n)); c51.Store(lanes + (16 * n)); c52.Store(lanes + (17 * n));
                            c60.Store(lanes + (18 * n)); c61.Store(lanes + (19 * n)); c62.Store(lanes + (20 * n));
                            c70.Store(lanes + (21 * n)); c71.Store(lanes + (22 * n)); c72.Store(lanes + (23 * n));
                            // dW[o0 + r, tap p + t] with p = (c·Kh + i)·Kw + j0, each the sum of its lanes in lane order.
                            T* target = dw + ((nint)o0 * k) + (((c * kh) + i) * kw) + j0;
                            for (int r = 0; r < Channels; r++)
                            {
                                T* l = lanes + (r * Taps * n);
                                T s0 = l[0], s1 = l[n], s2 = l[2 * n];
                                for (int lane = 1; lane < n; lane++)
                                {
                                    s0 += l[lane]; s1 += l[n + lane]; s2 += l[(2 * n) + lane];
                                }
                                T* t = target + ((nint)r * k);
                                t[0] = s0; t[1] = s1; t[2] = s2;
                            }
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

    /// <summary>The lanes of p where <paramref name="mask"/> is set, +0 elsewhere; the others are not read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<T> MaskLoad<T>(T* p, Vector512<T> mask)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            return Avx512F.MaskLoad((float*)p, mask.AsSingle(), Vector512<float>.Zero).As<float, T>();
        }
        if (typeof(T) == typeof(double))
        {
            return Avx512F.MaskLoad((double*)p, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();
        }
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Simd512<T>.MultiplyAdd(a, b, c);
}
