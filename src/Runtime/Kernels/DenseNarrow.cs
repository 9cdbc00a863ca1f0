using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels;

/// <summary>
/// The forward product <c>y = x·Wᵀ + b</c> of a Dense layer with at most 16 outputs (a classifier head: the bench CNN's
/// 576 → 10) at a batch of several rows, on 512-bit registers from the pre-packed weights, its rows split over the cores
/// (ADR 0053).
/// </summary>
/// <remarks>
/// <para>The packed GEMM's micro-kernel is 6 rows × 2 registers of columns (NR = 32 on AVX-512): with 10 outputs,
/// 22 of its 32 columns are zeros it multiplies, three FMAs of every ten wasted on top of the partial register. This
/// kernel keeps one register of columns and 12 rows (12 accumulators: a load of the packed row of <c>Wᵀ</c> and 12
/// broadcasts of x per depth step) and reads the same packed panels (<see cref="PackedWeights{T}"/>), using their first
/// 16 columns.</para>
/// <para>Bits: each output is the packed GEMM's, operation for operation: per depth block of <see cref="PackedGemm.KC"/>
/// an FMA chain from zero over the block's depth in order (<c>fma(x, w, acc)</c>, the same operands), the blocks
/// combined as the GEMM's epilogue combines them (<c>block + previous</c>), then <c>+ bias</c>. The rows are split over
/// the cores in whole 12-row panels; every row is the same arithmetic on any thread (tests compare the bits with the
/// packed GEMM, on one and many threads).</para>
/// <para>Served: float on AVX-512 with the packed GEMM's NR = 32, 1 to 16 outputs, no fused ReLU, at least
/// <see cref="PackedGemm.MR"/> rows, and pre-packed weights that are current. Anything else (training, whose first
/// forward after each update repacks the weights; the first call after they change) takes the packed GEMM as before.</para>
/// </remarks>
internal static class DenseNarrow
{
    /// <summary>Tests and the bench's A/B only: <see langword="false"/> sends every call to the packed GEMM.</summary>
    internal static bool Enabled = true;

    /// <summary>Rows of a panel: 12 accumulators, and one register of x values broadcast for each.</summary>
    internal const int Rows = 12;

    /// <summary>Multiply-adds from which a call is split over the cores.</summary>
    private const long MinParallelWork = 1L << 17;

    /// <summary>Whether this kernel serves the call (see the remarks).</summary>
    internal static bool Serves<T>(int batch, int outputs, bool relu, PackedWeights<T>? packed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
#if !NET10_0_OR_GREATER
        false && // the masked loads and stores are .NET 10 APIs (ADR 0020): the net9.0 build keeps the packed GEMM
#endif
        Enabled && typeof(T) == typeof(float) && Avx512F.IsSupported && Vector512.IsHardwareAccelerated
        && PackedGemm.NR<T>() == 2 * Vector512<float>.Count && outputs is > 0 and <= 16 && !relu && batch >= PackedGemm.MR
        && packed is { IsCurrent: true };

#if NET10_0_OR_GREATER
    /// <summary>y[B, O] = x[B, I]·Wᵀ + b from the current packed weights (the caller checked the lengths).</summary>
    internal static unsafe void Forward(ReadOnlySpan<float> x, PackedWeights<float> packed, ReadOnlySpan<float> bias, Span<float> y, int batch, int inputs, int outputs)
    {
        fixed (float* px = x)
        fixed (float* pw = packed.Buffer)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            var a = new Arguments { X = px, W = pw, Bias = bias.IsEmpty ? null : pb, Y = py, Batch = batch, Inputs = inputs, Outputs = outputs };
            int panels = (batch + Rows - 1) / Rows;
            long work = (long)batch * inputs * outputs;
            int parts = panels >= 2 && work >= MinParallelWork ? Workers.PartsFor(work, MinParallelWork / 2, panels) : 1;
            if (parts > 1 && Workers.TryAcquire(out Job job))
            {
                job.A = a;
                Workers.RunAndRelease(job, parts);
                return;
            }
            Panels(a, 0, panels);
        }
    }

    /// <summary>Pinned operands of one call.</summary>
    private unsafe struct Arguments
    {
        public float* X, W, Bias, Y;
        public int Batch, Inputs, Outputs;
    }

    /// <summary>A parallel run: each part takes whole panels of rows.</summary>
    private sealed unsafe class Job : ParallelJob
    {
        public Arguments A;

        public override void Run(int part, int parts)
        {
            int panels = (A.Batch + Rows - 1) / Rows;
            Panels(A, (int)((long)panels * part / parts), (int)((long)panels * (part + 1) / parts));
        }
    }

    /// <summary>Row panels [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Panels(in Arguments a, int start, int end)
    {
        int k = a.Inputs, n = a.Outputs, nr = 2 * Vector512<float>.Count;
        // The packed layout: depth block pc starts at pc·NR (one column panel: N ≤ NR), step p of it at + p·NR.
        Vector512<float> columns = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(n)).AsSingle();
        Vector512<float> bias = a.Bias == null ? Vector512<float>.Zero : Avx512F.MaskLoad(a.Bias, columns, Vector512<float>.Zero);
        for (int panel = start; panel < end; panel++)
        {
            int r0 = panel * Rows, rows = Math.Min(Rows, a.Batch - r0);
            float* x = a.X + ((nint)r0 * k);
            if (rows == Rows)
            {
                Full(x, k, a.W, nr, bias, a.Bias != null, columns, a.Y + ((nint)r0 * n), n);
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    One(x + ((nint)r * k), k, a.W, nr, bias, a.Bias != null, columns, a.Y + ((nint)(r0 + r) * n));
                }
            }
        }
    }

    /// <summary>12 rows: 12 FMA chains per depth block, combined across blocks and stored with the bias as the GEMM's
    /// epilogue does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Full(float* x, int k, float* w, int nr, Vector512<float> bias, bool hasBias, Vector512<float> columns, float* y, int n)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default;
        Vector512<float> s6 = default, s7 = default, s8 = default, s9 = default, s10 = default, s11 = default;
        nint k2 = 2 * (nint)k, k3 = 3 * (nint)k;
        for (int pc = 0; pc < k; pc += PackedGemm.KC)
        {
            int kc = Math.Min(PackedGemm.KC, k - pc);
            Vector512<float> c0 = Vector512<float>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
            Vector512<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            float* bp = w + ((nint)pc * nr);
            float* x0 = x + pc, x3 = x0 + k3, x6 = x3 + k3, x9 = x6 + k3;
            for (int p = 0; p < kc; p++, bp += nr)
            {
                Vector512<float> b = Vector512.Load(bp);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(x0[p]), b, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(x0[p + k]), b, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(x0[p + k2]), b, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[p]), b, c3);
                c4 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[p + k]), b, c4);
                c5 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[p + k2]), b, c5);
                c6 = Vector512.FusedMultiplyAdd(Vector512.Create(x6[p]), b, c6);
                c7 = Vector512.FusedMultiplyAdd(Vector512.Create(x6[p + k]), b, c7);
                c8 = Vector512.FusedMultiplyAdd(Vector512.Create(x6[p + k2]), b, c8);
                c9 = Vector512.FusedMultiplyAdd(Vector512.Create(x9[p]), b, c9);
                c10 = Vector512.FusedMultiplyAdd(Vector512.Create(x9[p + k]), b, c10);
                c11 = Vector512.FusedMultiplyAdd(Vector512.Create(x9[p + k2]), b, c11);
            }
            if (pc == 0)
            {
                s0 = c0; s1 = c1; s2 = c2; s3 = c3; s4 = c4; s5 = c5; s6 = c6; s7 = c7; s8 = c8; s9 = c9; s10 = c10; s11 = c11;
            }
            else
            {
                // The GEMM's epilogue of a later depth block: this block's sum + what C holds.
                s0 = c0 + s0; s1 = c1 + s1; s2 = c2 + s2; s3 = c3 + s3; s4 = c4 + s4; s5 = c5 + s5;
                s6 = c6 + s6; s7 = c7 + s7; s8 = c8 + s8; s9 = c9 + s9; s10 = c10 + s10; s11 = c11 + s11;
            }
        }
        Store(y, s0, bias, hasBias, columns);
        Store(y + n, s1, bias, hasBias, columns);
        Store(y + (2 * n), s2, bias, hasBias, columns);
        Store(y + (3 * n), s3, bias, hasBias, columns);
        Store(y + (4 * n), s4, bias, hasBias, columns);
        Store(y + (5 * n), s5, bias, hasBias, columns);
        Store(y + (6 * n), s6, bias, hasBias, columns);
        Store(y + (7 * n), s7, bias, hasBias, columns);
        Store(y + (8 * n), s8, bias, hasBias, columns);
        Store(y + (9 * n), s9, bias, hasBias, columns);
        Store(y + (10 * n), s10, bias, hasBias, columns);
        Store(y + (11 * n), s11, bias, hasBias, columns);
    }

    /// <summary>One row (the last, partial panel): the same chain, combination and store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void One(float* x, int k, float* w, int nr, Vector512<float> bias, bool hasBias, Vector512<float> columns, float* y)
    {
        Vector512<float> s = default;
        for (int pc = 0; pc < k; pc += PackedGemm.KC)
        {
            int kc = Math.Min(PackedGemm.KC, k - pc);
            Vector512<float> c = Vector512<float>.Zero;
            float* bp = w + ((nint)pc * nr);
            for (int p = 0; p < kc; p++, bp += nr)
            {
                c = Vector512.FusedMultiplyAdd(Vector512.Create(x[pc + p]), Vector512.Load(bp), c);
            }
            s = pc == 0 ? c : c + s;
        }
        Store(y, s, bias, hasBias, columns);
    }

    /// <summary>y[0..O) = s + bias (the GEMM's epilogue on the last block), the first O lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(float* y, Vector512<float> s, Vector512<float> bias, bool hasBias, Vector512<float> columns)
    {
        if (hasBias)
        {
            s += bias;
        }
        Avx512F.MaskStore(y, columns, s);
    }
#else
    /// <summary>Not served on net9.0 (<see cref="Serves"/> is false there).</summary>
    internal static void Forward(ReadOnlySpan<float> x, PackedWeights<float> packed, ReadOnlySpan<float> bias, Span<float> y, int batch, int inputs, int outputs) => throw new PlatformNotSupportedException();
#endif
}
