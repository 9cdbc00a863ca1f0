using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels;

/// <summary>
/// The direct convolution's forward (stride 1, no padding, <c>C·Kh·Kw ≤ 128</c>: <see cref="Conv2D.RunsDirect{T}"/>) with
/// its epilogue: each sample's outputs are computed "wide" into a buffer of the thread (see <see cref="Conv2D"/>), then
/// copied into y row by row on registers and, when the plan fuses the pool that follows (<see cref="ConvPool"/>), pooled
/// from that same buffer while it is in L1.
/// </summary>
/// <remarks>
/// <para>The arithmetic is the direct kernel's of ADR 0035: every output is the FMA chain over the taps in the column
/// matrix's order from zero, then + bias, then the activation, so the bits are those of the GEMM paths and of the kernel
/// this one replaced (tests compare them). Register block: with 32 registers (AVX-512) and at least 8 output channels,
/// 8 channels × 3 registers of outputs (24 accumulators, 3 loads and 8 broadcasts per tap: half the loads of x per FMA
/// of the 4-channel block); otherwise 4 channels × 3 registers. The last block of q overlaps the one before and the
/// last channel block repeats its last channel: values recomputed and stored again, the same.</para>
/// <para>The copy into y was one <c>Span.CopyTo</c> call per output row (208 calls for the bench CNN's first layer at
/// batch 1); it is now one register load and store per 16 outputs, the last one overlapping.</para>
/// </remarks>
internal static class Conv2DForward
{
    /// <summary>Tests and the bench's A/B only: <see langword="false"/> sends the direct forward back to the kernel of
    /// ADR 0035 (Conv2D.DirectSamples) and the fused pool back to the two kernels in turn.</summary>
    internal static bool Enabled = true;

    /// <summary>The bench's A/B only: <see langword="false"/> keeps the 4-channel blocks on AVX-512 too.</summary>
    internal static bool EightChannels = true;

    /// <summary>Samples [start, end): y = act(conv(x) + bias); when <paramref name="pooled"/> is not null also the 2×2
    /// stride-2 max pool of y into pooled/argmax (float only, geometry <paramref name="p"/>: <see cref="MaxPool2DPairs.Serves"/>).</summary>
    /// <remarks>With <paramref name="storeY"/> false (only with a pool) y is not written: no kernel reads it (ADR 0058).</remarks>
    internal static unsafe void Samples<T>(T* x, T* w, T* bias, T* y, bool relu, in Conv2DGeometry g, int start, int end, float* pooled, int* argmax, in Pool2DGeometry p, bool storeY = true)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            if (g.OutChannels >= 8 && EightChannels)
            {
                Samples<T, Simd512<T>, Vector512<T>>(x, w, bias, y, relu, g, start, end, pooled, argmax, p, eight: true, storeY || pooled == null);
            }
            else
            {
                Samples<T, Simd512<T>, Vector512<T>>(x, w, bias, y, relu, g, start, end, pooled, argmax, p, eight: false, storeY || pooled == null);
            }
        }
        else if (Simd256<T>.IsAccelerated)
        {
            Samples<T, Simd256<T>, Vector256<T>>(x, w, bias, y, relu, g, start, end, pooled, argmax, p, eight: false, storeY || pooled == null);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Samples<T, Simd128<T>, Vector128<T>>(x, w, bias, y, relu, g, start, end, pooled, argmax, p, eight: false, storeY || pooled == null);
        }
        else
        {
            Samples<T, Scalar<T>, T>(x, w, bias, y, relu, g, start, end, pooled, argmax, p, eight: false, storeY || pooled == null);
        }
    }

    /// <summary>(Ho − 1)·W + Wo: the outputs of a plane computed "wide", as if each output row were W long.</summary>
    internal static int WideSpan(in Conv2DGeometry g) => ((g.OutHeight - 1) * g.Width) + g.OutWidth;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Samples<T, TS, TV>(T* x, T* weights, T* bias, T* y, bool relu, in Conv2DGeometry g, int start, int end, float* pooled, int* argmax, in Pool2DGeometry p, bool eight, bool storeY)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int o = g.OutChannels, w = g.Width, ho = g.OutHeight, wo = g.OutWidth, plane = g.OutPlane, span = WideSpan(g);
        int inputLength = g.InputLength, outputLength = g.OutputLength;
        int poolPlane = pooled == null ? 0 : p.OutHeight * p.OutWidth;
        // At inference (no argmax) on AVX-512 the pool runs 16 windows per register, values only (ADR 0053).
        bool values = pooled != null && argmax == null && ConvPoolInference.Serves(p);
        bool stages = pooled != null && !values && MaxPool2DPairs.Stages(p);
        fixed (T* wide = Conv2D.Buffers<T>.Col((long)o * span))
        fixed (float* stage = stages ? MaxPool2DPairs.Stage(MaxPool2DPairs.StageLength(p)) : null)
        {
            for (int b = start; b < end; b++)
            {
                T* xb = x + ((nint)b * inputLength);
                T* yb = y + ((nint)b * outputLength);
                int o0 = 0;
                if (eight)
                {
                    for (; o0 + 8 <= o; o0 += 8)
                    {
                        Block8<T, TS, TV>(xb, weights, bias, wide, relu, g, o0, span);
                    }
                }
                for (; o0 < o; o0 += 4)
                {
                    Block4<T, TS, TV>(xb, weights, bias, wide, relu, g, o0, span);
                }

                for (int r = 0; r < o; r++)
                {
                    // Drop the wide columns: y[r, row, 0..Wo) = wide[r, row·W ..].
                    T* src = wide + ((nint)r * span);
                    T* dst = yb + ((nint)r * plane);
                    for (int row = 0; storeY && row < ho; row++)
                    {
                        CopyRow(src + ((nint)row * w), dst + ((nint)row * wo), wo);
                    }
                    if (pooled != null)
                    {
                        nint at = (((nint)b * o) + r) * poolPlane;
                        if (values)
                        {
                            ConvPoolInference.Plane((float*)src, w, pooled + at, p);
                        }
                        else
                        {
                            MaxPool2DPairs.Plane((float*)src, w, pooled + at, argmax == null ? null : argmax + at, p, stage);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Channels o0..o0+3 (past O the last channel again) over the whole wide span, 3 registers of q at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Block4<T, TS, TV>(T* xb, T* weights, T* bias, T* wide, bool relu, in Conv2DGeometry g, int o0, int span)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int k = g.ColumnRows, o = g.OutChannels, h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, n = TS.Count, channels = g.Channels;
        int o1 = Math.Min(o0 + 1, o - 1), o2 = Math.Min(o0 + 2, o - 1), o3 = Math.Min(o0 + 3, o - 1);
        T* w0 = weights + ((nint)o0 * k), w1 = weights + ((nint)o1 * k), w2 = weights + ((nint)o2 * k), w3 = weights + ((nint)o3 * k);
        for (int q0 = 0; ; q0 += 3 * n)
        {
            q0 = Math.Min(q0, span - (3 * n));
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero;
            TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero, c32 = TS.Zero;
            int tap = 0;
            for (int c = 0; c < channels; c++)
            {
                for (int i = 0; i < kh; i++)
                {
                    T* xr = xb + ((nint)c * h * w) + ((nint)i * w) + q0;
                    for (int j = 0; j < kw; j++, tap++)
                    {
                        TV x0 = TS.Load(ref Unsafe.AsRef<T>(xr + j));
                        TV x1 = TS.Load(ref Unsafe.AsRef<T>(xr + j + n));
                        TV x2 = TS.Load(ref Unsafe.AsRef<T>(xr + j + (2 * n)));
                        TV v = TS.Broadcast(w0[tap]);
                        c00 = TS.MultiplyAdd(v, x0, c00); c01 = TS.MultiplyAdd(v, x1, c01); c02 = TS.MultiplyAdd(v, x2, c02);
                        v = TS.Broadcast(w1[tap]);
                        c10 = TS.MultiplyAdd(v, x0, c10); c11 = TS.MultiplyAdd(v, x1, c11); c12 = TS.MultiplyAdd(v, x2, c12);
                        v = TS.Broadcast(w2[tap]);
                        c20 = TS.MultiplyAdd(v, x0, c20); c21 = TS.MultiplyAdd(v, x1, c21); c22 = TS.MultiplyAdd(v, x2, c22);
                        v = TS.Broadcast(w3[tap]);
                        c30 = TS.MultiplyAdd(v, x0, c30); c31 = TS.MultiplyAdd(v, x1, c31); c32 = TS.MultiplyAdd(v, x2, c32);
                    }
                }
            }
            Store<T, TS, TV>(wide + ((nint)o0 * span) + q0, n, c00, c01, c02, bias, o0, relu);
            Store<T, TS, TV>(wide + ((nint)o1 * span) + q0, n, c10, c11, c12, bias, o1, relu);
            Store<T, TS, TV>(wide + ((nint)o2 * span) + q0, n, c20, c21, c22, bias, o2, relu);
            Store<T, TS, TV>(wide + ((nint)o3 * span) + q0, n, c30, c31, c32, bias, o3, relu);
            if (q0 == span - (3 * n))
            {
                break;
            }
        }
    }

    /// <summary>Channels o0..o0+7 (all below O) over the whole wide span, 3 registers of q at a time: 24 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Block8<T, TS, TV>(T* xb, T* weights, T* bias, T* wide, bool relu, in Conv2DGeometry g, int o0, int span)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int k = g.ColumnRows, h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, n = TS.Count, channels = g.Channels;
        T* w0 = weights + ((nint)o0 * k);
        for (int q0 = 0; ; q0 += 3 * n)
        {
            q0 = Math.Min(q0, span - (3 * n));
            TV c00 = TS.Zero, c01 = TS.Zero, c02 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c12 = TS.Zero;
            TV c20 = TS.Zero, c21 = TS.Zero, c22 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero, c32 = TS.Zero;
            TV c40 = TS.Zero, c41 = TS.Zero, c42 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c52 = TS.Zero;
            TV c60 = TS.Zero, c61 = TS.Zero, c62 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero, c72 = TS.Zero;
            int tap = 0;
            for (int c = 0; c < channels; c++)
            {
                for (int i = 0; i < kh; i++)
                {
                    T* xr = xb + ((nint)c * h * w) + ((nint)i * w) + q0;
                    for (int j = 0; j < kw; j++, tap++)
                    {
                        TV x0 = TS.Load(ref Unsafe.AsRef<T>(xr + j));
                        TV x1 = TS.Load(ref Unsafe.AsRef<T>(xr + j + n));
                        TV x2 = TS.Load(ref Unsafe.AsRef<T>(xr + j + (2 * n)));
                        T* wt = w0 + tap;
                        TV v = TS.Broadcast(wt[0]);
                        c00 = TS.MultiplyAdd(v, x0, c00); c01 = TS.MultiplyAdd(v, x1, c01); c02 = TS.MultiplyAdd(v, x2, c02);
                        v = TS.Broadcast(wt[k]);
                        c10 = TS.MultiplyAdd(v, x0, c10); c11 = TS.MultiplyAdd(v, x1, c11); c12 = TS.MultiplyAdd(v, x2, c12);
                        v = TS.Broadcast(wt[2 * k]);
                        c20 = TS.MultiplyAdd(v, x0, c20); c21 = TS.MultiplyAdd(v, x1, c21); c22 = TS.MultiplyAdd(v, x2, c22);
                        v = TS.Broadcast(wt[3 * k]);
                        c30 = TS.MultiplyAdd(v, x0, c30); c31 = TS.MultiplyAdd(v, x1, c31); c32 = TS.MultiplyAdd(v, x2, c32);
                        v = TS.Broadcast(wt[4 * k]);
                        c40 = TS.MultiplyAdd(v, x0, c40); c41 = TS.MultiplyAdd(v, x1, c41); c42 = TS.MultiplyAdd(v, x2, c42);
                        v = TS.Broadcast(wt[5 * k]);
                        c50 = TS.MultiplyAdd(v, x0, c50); c51 = TS.MultiplyAdd(v, x1, c51); c52 = TS.MultiplyAdd(v, x2, c52);
                        v = TS.Broadcast(wt[6 * k]);
                        c60 = TS.MultiplyAdd(v, x0, c60); c61 = TS.MultiplyAdd(v, x1, c61); c62 = TS.MultiplyAdd(v, x2, c62);
                        v = TS.Broadcast(wt[7 * k]);
                        c70 = TS.MultiplyAdd(v, x0, c70); c71 = TS.MultiplyAdd(v, x1, c71); c72 = TS.MultiplyAdd(v, x2, c72);
                    }
                }
            }
            T* dst = wide + ((nint)o0 * span) + q0;
            Store<T, TS, TV>(dst, n, c00, c01, c02, bias, o0, relu);
            Store<T, TS, TV>(dst + span, n, c10, c11, c12, bias, o0 + 1, relu);
            Store<T, TS, TV>(dst + (2 * span), n, c20, c21, c22, bias, o0 + 2, relu);
            Store<T, TS, TV>(dst + (3 * span), n, c30, c31, c32, bias, o0 + 3, relu);
            Store<T, TS, TV>(dst + (4 * span), n, c40, c41, c42, bias, o0 + 4, relu);
            Store<T, TS, TV>(dst + (5 * span), n, c50, c51, c52, bias, o0 + 5, relu);
            Store<T, TS, TV>(dst + (6 * span), n, c60, c61, c62, bias, o0 + 6, relu);
            Store<T, TS, TV>(dst + (7 * span), n, c70, c71, c72, bias, o0 + 7, relu);
            if (q0 == span - (3 * n))
            {
                break;
            }
        }
    }

    /// <summary>Three registers of one channel's wide outputs: + bias (when there is one), ReLU, stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store<T, TS, TV>(T* dst, int n, TV v0, TV v1, TV v2, T* bias, int channel, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        if (bias != null)
        {
            TV bv = TS.Broadcast(bias[channel]);
            v0 = TS.Add(v0, bv);
            v1 = TS.Add(v1, bv);
            v2 = TS.Add(v2, bv);
        }
        if (relu)
        {
            v0 = TS.Max(v0, TS.Zero);
            v1 = TS.Max(v1, TS.Zero);
            v2 = TS.Max(v2, TS.Zero);
        }
        TS.Store(v0, ref Unsafe.AsRef<T>(dst));
        TS.Store(v1, ref Unsafe.AsRef<T>(dst + n));
        TS.Store(v2, ref Unsafe.AsRef<T>(dst + (2 * n)));
    }

    /// <summary>dst[0..length) = src[0..length) on the widest register that fits, the last one overlapping; both ranges
    /// lie inside their buffers, so nothing is read or written outside them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyRow<T>(T* src, T* dst, int length)
        where T : unmanaged
    {
        if (Vector512.IsHardwareAccelerated && length >= Vector512<T>.Count)
        {
            int n = Vector512<T>.Count;
            for (int j = 0; j < length - n; j += n)
            {
                Vector512.Load(src + j).Store(dst + j);
            }
            Vector512.Load(src + length - n).Store(dst + length - n);
        }
        else if (Vector256.IsHardwareAccelerated && length >= Vector256<T>.Count)
        {
            int n = Vector256<T>.Count;
            for (int j = 0; j < length - n; j += n)
            {
                Vector256.Load(src + j).Store(dst + j);
            }
            Vector256.Load(src + length - n).Store(dst + length - n);
        }
        else if (Vector128.IsHardwareAccelerated && length >= Vector128<T>.Count)
        {
            int n = Vector128<T>.Count;
            for (int j = 0; j < length - n; j += n)
            {
                Vector128.Load(src + j).Store(dst + j);
            }
            Vector128.Load(src + length - n).Store(dst + length - n);
        }
        else
        {
            for (int j = 0; j < length; j++)
            {
                dst[j] = src[j];
            }
        }
    }
}
