using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
        int span = ((ho - 1) * w) + wo, registers = (span + n - 1) / n, spanPad = registers * n;
        // Per sample: registers × O × n of dy (interleaved), then the x copy with a register of zeros after it.
        long dyLength = (long)registers * o * n, xLength = ((g.InputLength + n + n - 1) / n) * n;
        long sampleLength = dyLength + xLength;
        T[] buffer = Conv2D.Buffers<T>.Wide((samples * sampleLength) + ((long)o * (n + spanPad)) + (64 / Unsafe.SizeOf<T>()));
        fixed (T* pinned = buffer)
        {
            // A 64-byte line boundary (the array itself is only 8-byte aligned).
            T* staged = (T*)(((nint)pinned + 63) & ~(nint)63);
            T* bias = staged + (samples * sampleLength); // db's register per channel
            T* rows = bias + ((nint)o * n); // the channels' wide rows, before they are interleaved
            for (int s = 0; s < samples; s++)
            {
                T* ds = staged + (s * sampleLength), xs = ds + dyLength;
                T* xb = x + ((nint)(start + s) * g.InputLength);
                Conv2DBackward.CopyRow(xb, xs, g.InputLength);
                new Span<T>(xs + g.InputLength, (int)(xLength - g.InputLength)).Clear();
                // First every channel's wide rows (zeros in the dropped columns and after the span), then the registers
                // interleaved: read back long after they were written, never from a store still in flight.
                T* src = dy + ((nint)(start + s) * g.OutputLength);
                for (int r = 0; r < o; r++)
                {
                    T* wide = rows + ((nint)r * spanPad);
                    for (int line = 0; line < ho; line++)
                    {
                        Conv2DBackward.CopyRow(src + ((nint)line * wo), wide + ((nint)line * w), wo);
                        for (int col = line == ho - 1 ? spanPad - ((ho - 1) * w) : w; col-- > wo;)
                        {
                            wide[((nint)line * w) + col] = T.Zero;
                        }
                    }
                    src += plane;
                }
                for (int r = 0; r < o; r++)
                {
                    T* wide = rows + ((nint)r * spanPad);
                    Vector512<T> sum = db == null || s == 0 ? Vector512<T>.Zero : Vector512.LoadAligned(bias + (r * n));
                    for (int q = 0; q < registers; q++)
                    {
                        Vector512<T> v = Vector512.LoadAligned(wide + (q * n));
                        v.StoreAligned(ds + ((((nint)q * o) + r) * n));
                        sum += v;
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
            nint stride = (nint)o * n;
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
                                T* d = staged + (s * sampleLength) + ((nint)o0 * n);
                                T* xp = d - ((nint)o0 * n) + dyLength + tap;
                                T* dEnd = d + (registers * stride);
                                for (; d < dEnd; d += stride, xp += n)
                                {
                                    Vector512<T> v0 = Vector512.LoadUnsafe(ref Unsafe.AsRef<T>(xp));
                                    Vector512<T> v1 = Vector512.LoadUnsafe(ref Unsafe.AsRef<T>(xp + 1));
                                    Vector512<T> v2 = Vector512.LoadUnsafe(ref Unsafe.AsRef<T>(xp + 2));
                                    Vector512<T> dv = Vector512.LoadAligned(d);
                                    c00 = Fma(dv, v0, c00); c01 = Fma(dv, v1, c01); c02 = Fma(dv, v2, c02);
                                    dv = Vector512.LoadAligned(d + n);
                                    c10 = Fma(dv, v0, c10); c11 = Fma(dv, v1, c11); c12 = Fma(dv, v2, c12);
                                    dv = Vector512.LoadAligned(d + (2 * n));
                                    c20 = Fma(dv, v0, c20); c21 = Fma(dv, v1, c21); c22 = Fma(dv, v2, c22);
                                    dv = Vector512.LoadAligned(d + (3 * n));
                                    c30 = Fma(dv, v0, c30); c31 = Fma(dv, v1, c31); c32 = Fma(dv, v2, c32);
                                    dv = Vector512.LoadAligned(d + (4 * n));
                                    c40 = Fma(dv, v0, c40); c41 = Fma(dv, v1, c41); c42 = Fma(dv, v2, c42);
                                    dv = Vector512.LoadAligned(d + (5 * n));
                                    c50 = Fma(dv, v0, c50); c51 = Fma(dv, v1, c51); c52 = Fma(dv, v2, c52);
                                    dv = Vector512.LoadAligned(d + (6 * n));
                                    c60 = Fma(dv, v0, c60); c61 = Fma(dv, v1, c61); c62 = Fma(dv, v2, c62);
                                    dv = Vector512.LoadAligned(d + (7 * n));
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Simd512<T>.MultiplyAdd(a, b, c);
}
