using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// A convolution on the GEMM path whose output plane is 8 × 8 (LeNet's second: 20 × 12 × 12 → 50 × 8 × 8), its fused
/// ReLU and the following 2×2, stride-2 max pool in one pass per sample (ADR 0065): the product of 5 output channels ×
/// the whole plane stays on 20 registers until its pool is taken, so the pool never reads the convolution's output back.
/// </summary>
/// <remarks>
/// <para><b>Product.</b> The column matrix <c>col[C·kh·kw, 64]</c> (row = tap, the 64 output positions in row-major
/// order: one output row of 8 is half a 512-bit register) is never written: register t of tap (c, i, j) is loaded from x
/// as two 256-bit rows, x[c, 2t + i, j .. j + 8) and x[c, 2t + 1 + i, j .. j + 8) (<see cref="FromInput"/>; switched
/// off, im2col writes the matrix and the kernel reads it). The micro-kernel takes 5 output channels (rows of W,
/// broadcast) × the 64 positions (4 registers of 16): 20 accumulators, per tap 4 registers of x, 5 broadcasts and 20
/// FMAs. 50 channels are 10 such panels, none of them partial (the packed GEMM's 8-row
/// panels took 6 × 8 rows and a 4-row edge kernel with 2 rows of zeros). A channel count that 5 does not divide repeats
/// the last channel in the last panel's missing rows and stores only the real ones.</para>
/// <para><b>Bits.</b> Each output is the packed GEMM's of <see cref="Conv2D.Forward{T}"/> on this geometry (the depth,
/// with the bias row, is one depth block): an FMA chain from zero over the taps in order, then the bias as one more step
/// <c>fma(bias, 1, ·)</c> (the GEMM's ones row), then <c>max(·, 0)</c>. The pool is <see cref="MaxPool2DPositions"/>'
/// associative scan (a ∘ b) ∘ (c ∘ d) on the same values, so y, the pooled output and the argmax are those of
/// <see cref="Conv2D.Forward{T}"/> followed by <see cref="MaxPool2D.Forward{T}"/>, bit for bit (tested).</para>
/// <para><b>Pool on registers.</b> Register t of a channel holds output rows 2t (lanes 0–7) and 2t + 1 (lanes 8–15), so
/// window (t, j) has its a, b in lanes 2j, 2j + 1 and its c, d in lanes 8 + 2j, 9 + 2j of register t. One two-register
/// permute per pair of registers and one blend gather each of a, b, c, d for the channel's 16 windows into one register
/// (the pooled 4 × 4 plane is exactly 16 floats), and three steps of the scan give the values and positions.</para>
/// <para>The batch is split over the cores in whole samples, as <see cref="Conv2D.Forward{T}"/> splits it; each sample
/// is computed the same way on whichever thread, so the bits do not depend on the split. Float on AVX-512 only;
/// <see cref="ConvPool.Forward{T}"/> runs the two kernels in turn elsewhere.</para>
/// </remarks>
internal static class ConvGemmPool
{
    /// <summary>Tests and <c>NetGen.Bench --c2fwd-ab</c>: <see langword="false"/> sends these pairs back to
    /// <see cref="Conv2D.Forward{T}"/> followed by <see cref="MaxPool2D.Forward{T}"/>.</summary>
    internal static bool Enabled = true;

    /// <summary>Each tap's 4 registers of the product are built straight from x (two 256-bit loads of output rows per
    /// register; the sample's 11.5 KB of x stay in L1) instead of im2col writing the 128 KB column matrix that every panel
    /// then streams from L2. The same values in the same order: the same bits. Paired on one thread (loaded host, CPU
    /// clock) 1.05–1.06× faster (ADR 0065). A switch for the tests and <c>NetGen.Bench --c2fwd-ab --alone --variant</c>
    /// (<see langword="false"/>: through the column matrix).</summary>
    internal static bool FromInput = true;

    /// <summary>Output channels per micro-kernel panel.</summary>
    internal const int Rows = 5;

    /// <summary>Output positions per sample: the 8 × 8 plane, 4 registers of 16.</summary>
    private const int Plane = 64;

    /// <summary>Multiply-adds below which a call stays on one thread (as <see cref="Conv2D"/>).</summary>
    private const long MinParallelWork = 1L << 17;

    /// <summary>The geometry rule, the generator's too (<c>Conv2DEntry.GemmPool</c>): stride 1, no padding, not 1×1, an
    /// 8 × 8 output plane, a column matrix deeper than the direct path's 128 rows whose depth with the bias row fits one
    /// depth block of the packed GEMM (so that GEMM's chain is one chain and the bits can be its), and a 2×2 pool with
    /// stride 2 and no padding.</summary>
    internal static bool Geometry(in Conv2DGeometry g, in Pool2DGeometry p, bool bias) =>
        g.StrideHeight == 1 && g.StrideWidth == 1 && g.PaddingHeight == 0 && g.PaddingWidth == 0 && !g.IsPointwise &&
        g.OutHeight == 8 && g.OutWidth == 8 && g.ColumnRows > Conv2D.DirectMaxDepth && g.ColumnRows + (bias ? 1 : 0) <= PackedGemm.KC &&
        p.KernelHeight == 2 && p.KernelWidth == 2 && p.StrideHeight == 2 && p.StrideWidth == 2 && p.PaddingHeight == 0 && p.PaddingWidth == 0 &&
        p.Channels == g.OutChannels && p.Height == 8 && p.Width == 8;

    /// <summary>Whether this kernel runs the pair: <see cref="Geometry"/>, float, AVX-512, and the convolution on the GEMM
    /// path (not <see cref="Conv2D.RunsDirect{T}"/>, whose pairs <see cref="ConvPool"/> fuses its own way).</summary>
    internal static bool Serves<T>(in Conv2DGeometry g, in Pool2DGeometry p, bool bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) && Enabled && Avx512F.IsSupported && Conv2D.PanelsAllowed && Geometry(g, p, bias) && !Conv2D.RunsDirect<T>(g);

    /// <summary>The pair on pinned operands (lengths checked by <see cref="ConvPool.Forward{T}"/>): y = max(0, conv(x) +
    /// bias) when <paramref name="relu"/> (written when <paramref name="storeY"/>), pooled and argmax (null = not
    /// stored) its 2×2 max pool.</summary>
    internal static unsafe void Forward(float* x, float* w, float* bias, float* y, float* pooled, int* argmax, int batch, in Conv2DGeometry g, bool relu, bool storeY)
    {
        var a = new Arguments { G = g, X = x, W = w, Bias = bias, Y = storeY ? y : null, Pooled = pooled, Argmax = argmax, Relu = relu, Batch = batch };
        long work = (long)batch * g.WeightLength * g.OutPlane;
        int parts = batch >= Workers.MaxParts && work >= MinParallelWork ? Workers.PartsFor(work, MinParallelWork / 2, batch) : 1;
        if (parts > 1 && Workers.TryAcquire(out Job job))
        {
            job.A = a;
            Workers.RunAndRelease(job, parts);
            return;
        }
        Samples(a, 0, batch);
    }

    /// <summary>Pinned operands of one call, handed to the parts.</summary>
    private unsafe struct Arguments
    {
        public Conv2DGeometry G;
        public float* X, W, Bias, Y, Pooled;
        public int* Argmax;
        public bool Relu;
        public int Batch;
    }

    /// <summary>A parallel run: each part takes whole samples.</summary>
    private sealed unsafe class Job : ParallelJob
    {
        public Arguments A;

        public override void Run(int part, int parts)
        {
            int start = (int)((long)A.Batch * part / parts), end = (int)((long)A.Batch * (part + 1) / parts);
            Samples(A, start, end);
        }
    }

    /// <summary>Samples [start, end): im2col, then per panel of 5 channels the product, bias, ReLU, y and the pool.</summary>
    private static unsafe void Samples(in Arguments a, int start, int end)
    {
        ref readonly Conv2DGeometry g = ref a.G;
        int k = g.ColumnRows, o = g.OutChannels;
        fixed (float* col = Conv2D.Buffers<float>.Col((long)k * Plane))
        {
            for (int b = start; b < end; b++)
            {
                float* xb = a.X + ((nint)b * g.InputLength);
                if (!FromInput)
                {
                    Im2Col(xb, col, g);
                }
                float* yb = a.Y == null ? null : a.Y + ((nint)b * g.OutputLength);
                float* pb = a.Pooled + ((nint)b * o * 16);
                int* ib = a.Argmax == null ? null : a.Argmax + ((nint)b * o * 16);
                for (int r = 0; r < o; r += Rows)
                {
                    if (FromInput)
                    {
                        PanelFromInput(a.W, k, r, Math.Min(Rows, o - r), xb, g, a.Bias, a.Relu, yb, pb, ib);
                    }
                    else
                    {
                        Panel(a.W, k, r, Math.Min(Rows, o - r), col, a.Bias, a.Relu, yb, pb, ib);
                    }
                }
            }
        }
    }

    /// <summary>col[(c·kh + i)·kw + j, ho·8 + wo] = x[c, ho + i, wo + j]: per tap, two output rows of 8 per 512-bit store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Im2Col(float* x, float* col, in Conv2DGeometry g)
    {
        int h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth;
        float* dst = col;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < kh; i++)
            {
                float* src = x + ((nint)c * h * w) + ((nint)i * w);
                for (int j = 0; j < kw; j++, dst += Plane)
                {
                    float* s = src + j;
                    Vector512.Create(Vector256.Load(s), Vector256.Load(s + w)).Store(dst);
                    Vector512.Create(Vector256.Load(s + (2 * w)), Vector256.Load(s + (3 * w))).Store(dst + 16);
                    Vector512.Create(Vector256.Load(s + (4 * w)), Vector256.Load(s + (5 * w))).Store(dst + 32);
                    Vector512.Create(Vector256.Load(s + (6 * w)), Vector256.Load(s + (7 * w))).Store(dst + 48);
                }
            }
        }
    }

    /// <summary>Channels [r0, r0 + rows) of one sample: Σ over the taps, bias, ReLU; y's planes (when
    /// <paramref name="y"/> is not null), the pooled planes and the positions (when <paramref name="argmax"/> is not null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Panel(float* w, int k, int r0, int rows, float* col, float* bias, bool relu, float* y, float* pooled, int* argmax)
    {
        // Rows past the last channel repeat it (computed, never stored).
        float* a0 = w + ((nint)r0 * k);
        nint rs = rows > 1 ? k : 0, rs2 = rows > 2 ? 2 * k : rs, rs3 = rows > 3 ? 3 * k : rs2, rs4 = rows > 4 ? 4 * k : rs3;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        float* bp = col, end = col + ((nint)k * Plane);
        float* ap = a0;
        while (bp < end)
        {
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16), b2 = Vector512.Load(bp + 32), b3 = Vector512.Load(bp + 48);
            Vector512<float> v = Vector512.Create(*ap);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(v, b2, c02); c03 = Vector512.FusedMultiplyAdd(v, b3, c03);
            v = Vector512.Create(ap[rs]);
            c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(v, b2, c12); c13 = Vector512.FusedMultiplyAdd(v, b3, c13);
            v = Vector512.Create(ap[rs2]);
            c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(v, b2, c22); c23 = Vector512.FusedMultiplyAdd(v, b3, c23);
            v = Vector512.Create(ap[rs3]);
            c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(v, b2, c32); c33 = Vector512.FusedMultiplyAdd(v, b3, c33);
            v = Vector512.Create(ap[rs4]);
            c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(v, b2, c42); c43 = Vector512.FusedMultiplyAdd(v, b3, c43);
            bp += Plane;
            ap++;
        }

        Channel(r0, c00, c01, c02, c03, bias, relu, y, pooled, argmax);
        if (rows > 1)
        {
            Channel(r0 + 1, c10, c11, c12, c13, bias, relu, y, pooled, argmax);
        }
        if (rows > 2)
        {
            Channel(r0 + 2, c20, c21, c22, c23, bias, relu, y, pooled, argmax);
        }
        if (rows > 3)
        {
            Channel(r0 + 3, c30, c31, c32, c33, bias, relu, y, pooled, argmax);
        }
        if (rows > 4)
        {
            Channel(r0 + 4, c40, c41, c42, c43, bias, relu, y, pooled, argmax);
        }
    }

    /// <summary><see cref="Panel"/> with each tap's registers loaded from x: register t of tap (c, i, j) is
    /// x[c, 2t + i, j .. j + 8) then x[c, 2t + 1 + i, j .. j + 8), the values <see cref="Im2Col"/> writes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PanelFromInput(float* w, int k, int r0, int rows, float* x, in Conv2DGeometry g, float* bias, bool relu, float* y, float* pooled, int* argmax)
    {
        float* a0 = w + ((nint)r0 * k);
        nint rs = rows > 1 ? k : 0, rs2 = rows > 2 ? 2 * k : rs, rs3 = rows > 3 ? 3 * k : rs2, rs4 = rows > 4 ? 4 * k : rs3;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        int h = g.Height, wd = g.Width, kh = g.KernelHeight, kw = g.KernelWidth;
        nint w1 = wd, w2 = 2 * wd, w3 = 3 * wd, w4 = 4 * wd, w5 = 5 * wd, w6 = 6 * wd, w7 = 7 * wd;
        float* ap = a0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < kh; i++)
            {
                float* s = x + ((nint)c * h * wd) + ((nint)i * wd);
                float* sEnd = s + kw;
                for (; s < sEnd; s++, ap++)
                {
                    Vector512<float> b0 = Vector512.Create(Vector256.Load(s), Vector256.Load(s + w1));
                    Vector512<float> b1 = Vector512.Create(Vector256.Load(s + w2), Vector256.Load(s + w3));
                    Vector512<float> b2 = Vector512.Create(Vector256.Load(s + w4), Vector256.Load(s + w5));
                    Vector512<float> b3 = Vector512.Create(Vector256.Load(s + w6), Vector256.Load(s + w7));
                    Vector512<float> v = Vector512.Create(*ap);
                    c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
                    c02 = Vector512.FusedMultiplyAdd(v, b2, c02); c03 = Vector512.FusedMultiplyAdd(v, b3, c03);
                    v = Vector512.Create(ap[rs]);
                    c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
                    c12 = Vector512.FusedMultiplyAdd(v, b2, c12); c13 = Vector512.FusedMultiplyAdd(v, b3, c13);
                    v = Vector512.Create(ap[rs2]);
                    c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
                    c22 = Vector512.FusedMultiplyAdd(v, b2, c22); c23 = Vector512.FusedMultiplyAdd(v, b3, c23);
                    v = Vector512.Create(ap[rs3]);
                    c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
                    c32 = Vector512.FusedMultiplyAdd(v, b2, c32); c33 = Vector512.FusedMultiplyAdd(v, b3, c33);
                    v = Vector512.Create(ap[rs4]);
                    c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
                    c42 = Vector512.FusedMultiplyAdd(v, b2, c42); c43 = Vector512.FusedMultiplyAdd(v, b3, c43);
                }
            }
        }

        Channel(r0, c00, c01, c02, c03, bias, relu, y, pooled, argmax);
        if (rows > 1)
        {
            Channel(r0 + 1, c10, c11, c12, c13, bias, relu, y, pooled, argmax);
        }
        if (rows > 2)
        {
            Channel(r0 + 2, c20, c21, c22, c23, bias, relu, y, pooled, argmax);
        }
        if (rows > 3)
        {
            Channel(r0 + 3, c30, c31, c32, c33, bias, relu, y, pooled, argmax);
        }
        if (rows > 4)
        {
            Channel(r0 + 4, c40, c41, c42, c43, bias, relu, y, pooled, argmax);
        }
    }

    /// <summary>One channel's epilogue: + bias as the GEMM's ones row adds it (<c>fma(bias, 1, ·)</c>), ReLU as its
    /// epilogue (<c>Vector512.Max(·, 0)</c>), y's plane, then the pool of the four registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Channel(int channel, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, float* bias, bool relu, float* y, float* pooled, int* argmax)
    {
        if (bias != null)
        {
            Vector512<float> bv = Vector512.Create(bias[channel]), one = Vector512<float>.One;
            v0 = Vector512.FusedMultiplyAdd(bv, one, v0);
            v1 = Vector512.FusedMultiplyAdd(bv, one, v1);
            v2 = Vector512.FusedMultiplyAdd(bv, one, v2);
            v3 = Vector512.FusedMultiplyAdd(bv, one, v3);
        }
        if (relu)
        {
            v0 = Vector512.Max(v0, Vector512<float>.Zero);
            v1 = Vector512.Max(v1, Vector512<float>.Zero);
            v2 = Vector512.Max(v2, Vector512<float>.Zero);
            v3 = Vector512.Max(v3, Vector512<float>.Zero);
        }
        if (y != null)
        {
            float* yc = y + ((nint)channel * Plane);
            v0.Store(yc);
            v1.Store(yc + 16);
            v2.Store(yc + 32);
            v3.Store(yc + 48);
        }

        // Window l = 4·t + j (t = output row, j = column): a at lane 2j of register t, from the pair (v0, v1) for t < 2
        // and (v2, v3) for t ≥ 2 (index 16 + … picks the pair's second register); b, c, d at +1, +8, +9.
        Vector512<int> ia = Vector512.Create(0, 2, 4, 6, 16, 18, 20, 22, 0, 2, 4, 6, 16, 18, 20, 22);
        Vector512<int> one1 = Vector512.Create(1), eight = Vector512.Create(8), nine = Vector512.Create(9);
        Vector512<float> low = Vector512.Create(-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle();
        Vector512<float> a = Vector512.ConditionalSelect(low, Avx512F.PermuteVar16x32x2(v0, ia, v1), Avx512F.PermuteVar16x32x2(v2, ia, v3));
        Vector512<float> b = Vector512.ConditionalSelect(low, Avx512F.PermuteVar16x32x2(v0, ia + one1, v1), Avx512F.PermuteVar16x32x2(v2, ia + one1, v3));
        Vector512<float> c = Vector512.ConditionalSelect(low, Avx512F.PermuteVar16x32x2(v0, ia + eight, v1), Avx512F.PermuteVar16x32x2(v2, ia + eight, v3));
        Vector512<float> d = Vector512.ConditionalSelect(low, Avx512F.PermuteVar16x32x2(v0, ia + nine, v1), Avx512F.PermuteVar16x32x2(v2, ia + nine, v3));
        // Positions in the 8 × 8 plane: a of window (t, j) is 16t + 2j.
        Vector512<int> atA = Vector512.Create(0, 2, 4, 6, 16, 18, 20, 22, 32, 34, 36, 38, 48, 50, 52, 54);
        Vector512<float> top = Later(a, atA, b, atA + one1, out Vector512<int> topAt);
        Vector512<float> bottom = Later(c, atA + eight, d, atA + nine, out Vector512<int> bottomAt);
        Vector512<float> max = Later(top, topAt, bottom, bottomAt, out Vector512<int> at);
        max.Store(pooled + ((nint)channel * 16));
        if (argmax != null)
        {
            at.Store(argmax + ((nint)channel * 16));
        }
    }

    /// <summary>The scan's step of <see cref="MaxPool2DPositions"/> without padding: the later element wins when it is
    /// larger or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Later(Vector512<float> earlier, Vector512<int> earlierAt, Vector512<float> later, Vector512<int> laterAt, out Vector512<int> at)
    {
        Vector512<float> take = Vector512.GreaterThan(later, earlier) | ~Vector512.Equals(later, later);
        at = Vector512.ConditionalSelect(take.AsInt32(), laterAt, earlierAt);
        return Vector512.ConditionalSelect(take, later, earlier);
    }
}
