using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The weight gradient of a deep, stride-1, unpadded <see cref="Conv2D"/> (LeNet's conv2: 20 → 50 channels, 5×5, a
/// column matrix of 500 rows over 8×8 outputs) as a GEMM whose A is read straight from x (ADR 0060):
/// dWᵀ_group[tap, o] = Σ over the group's samples s and outputs (ho, wo) of x[s, c, ho + i, wo + j] · dy[s, o, ho, wo],
/// tap = (c·Kh + i)·Kw + j.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> The GEMM dW multiplies dy_b[O, Ho·Wo] by each sample's column matrix transposed: a depth of only
/// Ho·Wo = 64, B packed from a transposed matrix every sample, C read and written back every sample. The direct dW of
/// ADR 0056 numbers the outputs wide (q = ho·W + wo), so a 12-wide row of 8 outputs wastes a third of its lanes. Here
/// the lanes run along the output channels instead, and the depth is the whole group: no im2col, no lane sums, no
/// wide waste.</para>
/// <para><b>Layout.</b> dyᵀ of the group is packed once per group into panels of NR = 2 registers of output channels:
/// for every depth step p = (s, ho, wo), NR consecutive channels (zero past O). The micro-kernel is the packed GEMM's:
/// 6 taps × NR channels in 12 accumulators; each step loads the panel's 2 registers and broadcasts 6 values of x, one
/// per tap, read in place at x[s] + tapOffset + ho·W + wo (the im2col value, never written out).</para>
/// <para><b>Bits.</b> Every dW element of a group is one FMA chain from zero over the group's samples in order and,
/// within a sample, over (ho, wo) in row-major order; the groups (<see cref="Conv2D.Groups"/>, a function of the
/// batch and the geometry) are then added in group order by <see cref="Conv2D.Backward{T}"/>. Nothing depends on the
/// thread count or the register width but the width itself, as for every other kernel. The last tap block overlaps
/// the one before: those values are computed twice, the same, and stored twice.</para>
/// </remarks>
internal static class Conv2DTapGradient
{
    /// <summary>Tests and <c>NetGen.Bench --lenet-profile --tap-dw-ab</c>: <see langword="false"/> leaves these geometries
    /// to the kernels of before (the direct dW of ADR 0056 on 512-bit registers, else the GEMM dW).</summary>
    internal static bool Enabled = true;

    /// <summary>Taps per register block (the packed GEMM's MR).</summary>
    private const int Taps = 6;

    /// <summary>Whether this kernel computes dW: stride 1, no padding, not pointwise, and a column matrix deeper than the
    /// direct kernels' <see cref="Conv2D.DirectMaxDepth"/> (those serve the shallow ones). A function of the geometry.</summary>
    internal static bool Serves(in Conv2DGeometry g) =>
        Enabled && !g.IsPointwise && g.StrideHeight == 1 && g.StrideWidth == 1 && g.PaddingHeight == 0 && g.PaddingWidth == 0
        && g.ColumnRows > Conv2D.DirectMaxDepth;

    /// <summary>dW_group[O, K] (overwritten) from samples [start, end) of x [B, C, H, W] and dy [B, O, Ho, Wo]; and, unless
    /// <paramref name="db"/> is null, db_group[o] = Σ over the group's samples and outputs of dy[s, o, ho, wo] (overwritten),
    /// one addition chain per channel over the packed steps in order.</summary>
    internal static unsafe void Run<T>(T* x, T* dy, int start, int end, T* dw, T* db, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            Run<T, Simd512<T>, Vector512<T>>(x, dy, start, end, dw, db, g);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            Run<T, Simd256<T>, Vector256<T>>(x, dy, start, end, dw, db, g);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Run<T, Simd128<T>, Vector128<T>>(x, dy, start, end, dw, db, g);
        }
        else
        {
            Run<T, Scalar<T>, T>(x, dy, start, end, dw, db, g);
        }
    }

    /// <summary>This thread's buffer for the packed dyᵀ, grown only (steady state never allocates).</summary>
    private static class Packed<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static T[]? t_buffer;

        public static T[] Get(long length)
        {
            if (t_buffer is null || t_buffer.Length < length)
            {
                t_buffer = new T[Math.Max(length, 64)];
            }
            return t_buffer;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Run<T, TS, TV>(T* x, T* dy, int start, int end, T* dw, T* db, in Conv2DGeometry g)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int o = g.OutChannels, k = g.ColumnRows, plane = g.OutPlane, n = TS.Count, nr = 2 * n;
        int w = g.Width, ho = g.OutHeight, wo = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth;
        int samples = end - start, depth = samples * plane, panels = (o + nr - 1) / nr;
        fixed (T* packed = Packed<T>.Get((long)panels * depth * nr))
        {
            // dyᵀ in panels: packed[(panel·depth + s·plane + q)·NR + lane] = dy[start + s, panel·NR + lane, q].
            for (int panel = 0; panel < panels; panel++)
            {
                T* dst = packed + ((nint)panel * depth * nr);
                if (typeof(T) == typeof(float) && Avx.IsSupported)
                {
                    // Each sample's [channels, Ho·Wo] block transposed through registers (8×8 blocks), the lanes past O zero.
                    int channels = Math.Min(nr, o - (panel * nr));
                    for (int s = 0; s < samples; s++)
                    {
                        float* src = (float*)dy + ((nint)(start + s) * g.OutputLength) + ((nint)panel * nr * plane);
                        PackedGemm.PackTransposedAvx(src, plane, plane, channels, nr, ref Unsafe.AsRef<float>((float*)dst + ((nint)s * plane * nr)));
                    }
                    continue;
                }
                for (int lane = 0; lane < nr; lane++)
                {
                    int channel = (panel * nr) + lane;
                    for (int s = 0; s < samples; s++)
                    {
                        T* d = dst + ((nint)s * plane * nr) + lane;
                        if (channel < o)
                        {
                            T* src = dy + ((nint)(start + s) * g.OutputLength) + ((nint)channel * plane);
                            for (int q = 0; q < plane; q++)
                            {
                                d[(nint)q * nr] = src[q];
                            }
                        }
                        else
                        {
                            for (int q = 0; q < plane; q++)
                            {
                                d[(nint)q * nr] = T.Zero;
                            }
                        }
                    }
                }
            }

            T* tile = stackalloc T[Taps * 32];
            if (db != null)
            {
                // db_group: per channel lane, one chain over the packed steps (s, ho, wo) in order.
                for (int panel = 0; panel < panels; panel++)
                {
                    T* b = packed + ((nint)panel * depth * nr);
                    TV s0 = TS.Zero, s1 = TS.Zero;
                    for (int p = 0; p < depth; p++, b += nr)
                    {
                        s0 = TS.Add(s0, TS.Load(ref Unsafe.AsRef<T>(b)));
                        s1 = TS.Add(s1, TS.Load(ref Unsafe.AsRef<T>(b + n)));
                    }
                    TS.Store(s0, ref Unsafe.AsRef<T>(tile));
                    TS.Store(s1, ref Unsafe.AsRef<T>(tile + n));
                    int channels = Math.Min(nr, o - (panel * nr));
                    for (int l = 0; l < channels; l++)
                    {
                        db[(panel * nr) + l] = tile[l];
                    }
                }
            }
            int taps = kh * kw;
            for (int t0 = 0; ; t0 += Taps)
            {
                t0 = Math.Min(t0, k - Taps);
                nint o0 = TapOffset(t0, taps, kw, g), o1 = TapOffset(t0 + 1, taps, kw, g), o2 = TapOffset(t0 + 2, taps, kw, g);
                nint o3 = TapOffset(t0 + 3, taps, kw, g), o4 = TapOffset(t0 + 4, taps, kw, g), o5 = TapOffset(t0 + 5, taps, kw, g);
                for (int panel = 0; panel < panels; panel++)
                {
                    TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero;
                    TV c30 = TS.Zero, c31 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero;
                    T* b = packed + ((nint)panel * depth * nr);
                    for (int s = 0; s < samples; s++)
                    {
                        T* xs = x + ((nint)(start + s) * g.InputLength);
                        for (int r = 0; r < ho; r++)
                        {
                            // One pointer per tap, indexed by q: the JIT keeps all six in registers (offsets added in
                            // the loop spilled them).
                            T* xr = xs + ((nint)r * w);
                            T* x0 = xr + o0, x1 = xr + o1, x2 = xr + o2, x3 = xr + o3, x4 = xr + o4, x5 = xr + o5;
                            for (nint q = 0; q < wo; q++, b += nr)
                            {
                                TV b0 = TS.Load(ref Unsafe.AsRef<T>(b));
                                TV b1 = TS.Load(ref Unsafe.AsRef<T>(b + n));
                                TV a = TS.Broadcast(x0[q]);
                                c00 = TS.MultiplyAdd(a, b0, c00); c01 = TS.MultiplyAdd(a, b1, c01);
                                a = TS.Broadcast(x1[q]);
                                c10 = TS.MultiplyAdd(a, b0, c10); c11 = TS.MultiplyAdd(a, b1, c11);
                                a = TS.Broadcast(x2[q]);
                                c20 = TS.MultiplyAdd(a, b0, c20); c21 = TS.MultiplyAdd(a, b1, c21);
                                a = TS.Broadcast(x3[q]);
                                c30 = TS.MultiplyAdd(a, b0, c30); c31 = TS.MultiplyAdd(a, b1, c31);
                                a = TS.Broadcast(x4[q]);
                                c40 = TS.MultiplyAdd(a, b0, c40); c41 = TS.MultiplyAdd(a, b1, c41);
                                a = TS.Broadcast(x5[q]);
                                c50 = TS.MultiplyAdd(a, b0, c50); c51 = TS.MultiplyAdd(a, b1, c51);
                            }
                        }
                    }

                    // The tile [6 taps × NR channels] into dW[o, tap], the channels past O dropped.
                    TS.Store(c00, ref Unsafe.AsRef<T>(tile)); TS.Store(c01, ref Unsafe.AsRef<T>(tile + n));
                    TS.Store(c10, ref Unsafe.AsRef<T>(tile + nr)); TS.Store(c11, ref Unsafe.AsRef<T>(tile + nr + n));
                    TS.Store(c20, ref Unsafe.AsRef<T>(tile + (2 * nr))); TS.Store(c21, ref Unsafe.AsRef<T>(tile + (2 * nr) + n));
                    TS.Store(c30, ref Unsafe.AsRef<T>(tile + (3 * nr))); TS.Store(c31, ref Unsafe.AsRef<T>(tile + (3 * nr) + n));
                    TS.Store(c40, ref Unsafe.AsRef<T>(tile + (4 * nr))); TS.Store(c41, ref Unsafe.AsRef<T>(tile + (4 * nr) + n));
                    TS.Store(c50, ref Unsafe.AsRef<T>(tile + (5 * nr))); TS.Store(c51, ref Unsafe.AsRef<T>(tile + (5 * nr) + n));
                    int channels = Math.Min(nr, o - (panel * nr));
                    for (int l = 0; l < channels; l++)
                    {
                        T* row = dw + ((nint)((panel * nr) + l) * k) + t0;
                        for (int t = 0; t < Taps; t++)
                        {
                            row[t] = tile[(t * nr) + l];
                        }
                    }
                }
                if (t0 == k - Taps)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Where tap p = (c·Kh + i)·Kw + j reads in a sample: c·H·W + i·W + j.</summary>
    private static nint TapOffset(int p, int taps, int kw, in Conv2DGeometry g)
    {
        int c = p / taps, ij = p - (c * taps), i = ij / kw, j = ij - (i * kw);
        return ((nint)c * g.Height * g.Width) + ((nint)i * g.Width) + j;
    }
}
