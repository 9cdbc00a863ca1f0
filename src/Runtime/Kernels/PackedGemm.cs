using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>
/// The cache-blocked, packed GEMM: <c>C[m,n] (+)= A[m,k] · B[k,n]</c> (+ bias, ReLU) for any strides of A and B.
/// </summary>
/// <remarks>
/// <para><b>Blocking</b> (the BLIS loop nest): columns in blocks of <see cref="NC"/>, depth in blocks of <see cref="KC"/>,
/// rows in blocks of <see cref="MC"/>. Each KC×NC block of B is <i>packed</i> into micro-panels of NR = 2 registers of
/// columns (for every p, NR consecutive values), so the micro-kernel reads B with plain vector loads; a KC×NR panel
/// (32 KiB for float on AVX2) stays in L1 while the rows of A stream past it. A is read in place when its rows are
/// contiguous (x·Wᵀ and dy·W), and packed into MR-row panels otherwise (dyᵀ·x) and for the last, partial panel.</para>
/// <para><b>Micro-kernel</b>: MR = 6 rows × NR = 2 registers of C in 12 accumulators (+2 B registers +1 broadcast: 15 of
/// AVX2's 16). Each step of p is 2 loads, 6 broadcasts and 12 FMAs. The epilogue adds the C already there, the bias
/// (after the last depth block) and applies ReLU, then stores: the fused forward of Dense + ReLU.</para>
/// <para><b>Bit-identical at any thread count</b>: every element of C is the sum over depth blocks in order, each block's
/// partial sum accumulated over p in order by one FMA chain, whatever tile the element lands in. A parallel run splits
/// C into column (or row) ranges and runs this same loop nest on each, so 1, 2 or 8 threads give the same bits.</para>
/// </remarks>
internal static class PackedGemm
{
    /// <summary>Rows of the micro-kernel.</summary>
    public const int MR = 6;

    /// <summary>Depth block. A KC×NR panel of packed B is 32 KiB for float on AVX2 (L1 on Zen 3). Measured against 256, 384
    /// and 768 on the Zen 3 VM (in-process, interleaved, OpenBLAS alongside): 512 was 5–15 % faster than 256 at 512³ and
    /// 1024³ and never slower; fewer depth blocks also mean fewer passes of the C tile through the epilogue.</summary>
    public const int KC = 512;

    /// <summary>Row block: an MC×KC block of A stays in L2 (float: 144 KiB of 512), with room left for B streaming
    /// through; 48–96 measured alike, 144 (with KC 256) slower.</summary>
    public const int MC = 72;

    /// <summary>Column block of packed B (float: up to 4 MiB, in L3).</summary>
    public const int NC = 4096;

    /// <summary>Largest edge tile (6 rows × 2 Vector512 of float).</summary>
    private const int MaxTile = MR * 32;

    /// <summary>Rows of the AVX-512 micro-kernel over A in place (<see cref="Kernel8"/>, ADR 0062).</summary>
    internal const int MR8 = 8;

    /// <summary>With 512-bit registers (32 of them), rows of A read in place go through an 8-row × 2-register kernel (16
    /// accumulators) before the 6-row one takes the rest: B is loaded once per 16 FMAs instead of 12, a 64-row product
    /// is 8 panels with no edge (64 = 10·6 + 4 otherwise), and each packed B panel is swept 8 times, not 11. Every
    /// element is the same FMA chain over p and the same epilogue: the same bits either way (ADR 0062). A switch so the
    /// benchmarks (<c>--mlp-b64-profile</c>) and the tests can run both in one process.</summary>
    internal static bool EightRowPanels { get; set; } = true;

    /// <summary>Rows of the wider AVX-512 micro-kernel (<see cref="Kernel12"/>, ADR 0062).</summary>
    internal const int MR12 = 12;

    /// <summary>With <see cref="EightRowPanels"/>: a row block first takes 12-row × 2-register panels (24 accumulators, B
    /// loaded once per 24 FMAs) as many as leave a multiple of 8 rows (64 = 4·12 + 2·8), then the 8-row panels. The same
    /// bits. Off: paired on one thread it gained nothing over the 8-row panels alone (ADR 0062); kept for a quiet
    /// two-core measurement (<c>--mlp-b64-profile --twelve</c>).</summary>
    internal static bool TwelveRowPanels { get; set; }

    /// <summary>Rows of an <paramref name="mc"/>-row block that go to 12-row panels: the most whose rest is a multiple of
    /// 8, or 0.</summary>
    private static int TwelveRowPanelRows(int mc)
    {
        for (int n = mc / MR12; n > 0; n--)
        {
            if ((mc - (n * MR12)) % MR8 == 0)
            {
                return n * MR12;
            }
        }
        return 0;
    }

    /// <summary>The operands of one GEMM: element (i, p) of A is <c>a[i·Ars + p·Acs]</c>, (p, j) of B is <c>b[p·Brs + j·Bcs]</c>.</summary>
    internal unsafe struct Operands<T>
        where T : unmanaged
    {
        public T* A;
        public nint Ars, Acs;
        public T* B;
        public nint Brs, Bcs;
        public T* C;
        public nint Ldc;
        public T* Bias; // null = none; one value per column of C
        public int M, N, K;
        public bool Accumulate, Relu;

        /// <summary>Persistent packed copy of the whole of B (<see cref="PackedLength"/> elements), or null to pack into
        /// per-thread buffers. With <see cref="PackNow"/> the run writes it (each thread its own columns) as it goes;
        /// without, it is read as it is.</summary>
        public T* PackedB;
        public bool PackNow;

        /// <summary>Null, or a flag set to 1 when a value stored into C by the last depth block is NaN or ±∞ (the
        /// non-finite check of a parameter gradient, <see cref="FiniteCheck"/>): each stored register adds c·0 (0 when c
        /// is finite, NaN otherwise) into a running sum that is read once per part.</summary>
        public int* NonFinite;
    }

    /// <summary>Elements of a persistent packed copy of a K×N matrix B: every depth block's panels, N rounded up to NR.</summary>
    public static int PackedLength<T>(int k, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        checked(RoundUp(n, NR<T>()) * k);

    /// <summary>Packs all of B into <see cref="Operands{T}.PackedB"/> on this thread: depth block pc starts at
    /// pc·RoundUp(N, NR), and within it column block jc at jc·kc, the layout <see cref="Range{T, TS, TV}"/> reads.</summary>
    internal static unsafe void PackAll<T>(in Operands<T> o)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            PackAll<T, Simd512<T>, Vector512<T>>(o);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            PackAll<T, Simd256<T>, Vector256<T>>(o);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            PackAll<T, Simd128<T>, Vector128<T>>(o);
        }
        else
        {
            PackAll<T, Scalar<T>, T>(o);
        }
    }

    private static unsafe void PackAll<T, TS, TV>(in Operands<T> o)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint npad = RoundUp(o.N, 2 * TS.Count);
        for (int jc = 0; jc < o.N; jc += NC)
        {
            for (int pc = 0; pc < o.K; pc += KC)
            {
                int kc = Math.Min(KC, o.K - pc);
                PackB<T, TS, TV>(o, pc, kc, jc, Math.Min(NC, o.N - jc), ref Unsafe.AsRef<T>(o.PackedB + (pc * npad) + ((nint)jc * kc)));
            }
        }
    }

    /// <summary>Runs the GEMM on this thread, or on every core when <paramref name="parallel"/> (same bits either way).</summary>
    public static unsafe void Run<T>(in Operands<T> o, bool parallel)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int parts = parallel ? Parts(o.M, o.N, o.K, NR<T>()) : 1;
        if (parts > 1 && Workers.TryAcquire(out Job<T> job))
        {
            job.Operands = o;
            if (o.PackNow && !SplitsColumns(o.M, o.N, NR<T>(), parts))
            {
                // Parts that split rows would all pack the same panels while others read them: pack once, first.
                PackAll(o);
                job.Operands.PackNow = false;
            }
            Workers.RunAndRelease(job, parts);
            return;
        }
        Range(o, 0, o.M, 0, o.N);
    }

    /// <summary>Parts per core of a parallel GEMM, at most (other jobs use <see cref="Workers.PartsPerThread"/>). Every
    /// part reads all of A (a column split) or packs all of B (a row split), so each extra part costs another pass over
    /// that operand. On the 2-core Zen 3 VM (medians, in-process, interleaved): 4 parts ran 5–15 % faster than 8 at each
    /// GEMM shape of the performance issue, and the MLP training step 6–8 % faster. 2 parts were about 4 % faster still,
    /// but leave no part for the fast core to take over when the other one stalls (ADR 0010).</summary>
    internal const int PartsPerThread = 2;

    /// <summary>How many parts a parallel run uses: up to <see cref="PartsPerThread"/> per core (claimed one at a
    /// time), each at least ~64k FMAs, never more than the panels <see cref="Split"/> can hand out.</summary>
    internal static int Parts(int m, int n, int k, int nr)
    {
        long work = (long)m * n * Math.Max(k, 1);
        long panels = Math.Max((n + nr - 1) / nr, (m + MR - 1) / MR);
        return Workers.PartsFor(work, 1 << 16, panels, PartsPerThread);
    }

    /// <summary>Splits C for part <paramref name="part"/> of <paramref name="parts"/>: by whole NR-column panels when C is
    /// wide enough, otherwise by whole MR-row panels; returns an empty range for a part that gets nothing.</summary>
    internal static void Split(int m, int n, int nr, int part, int parts, out int i0, out int i1, out int j0, out int j1)
    {
        if (SplitsColumns(m, n, nr, parts))
        {
            int colPanels = (n + nr - 1) / nr;
            (int p0, int p1) = Share(colPanels, part, parts);
            (i0, i1, j0, j1) = (0, m, Math.Min(n, p0 * nr), Math.Min(n, p1 * nr));
        }
        else
        {
            (int p0, int p1) = Share((m + MR - 1) / MR, part, parts);
            (i0, i1, j0, j1) = (Math.Min(m, p0 * MR), Math.Min(m, p1 * MR), 0, n);
        }
    }

    /// <summary>Whether <see cref="Split"/> gives each part whole column panels (else whole row panels).</summary>
    private static bool SplitsColumns(int m, int n, int nr, int parts)
    {
        int colPanels = (n + nr - 1) / nr;
        return colPanels >= parts || colPanels >= (m + MR - 1) / MR;
    }

    private static (int Start, int End) Share(int panels, int part, int parts)
    {
        int start = (int)((long)panels * part / parts);
        int end = (int)((long)panels * (part + 1) / parts);
        return (start, end);
    }

    private sealed class Job<T> : ParallelJob
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public Operands<T> Operands;

        public override void Run(int part, int parts)
        {
            Split(Operands.M, Operands.N, NR<T>(), part, parts, out int i0, out int i1, out int j0, out int j1);
            if (i0 < i1 && j0 < j1)
            {
                Range(Operands, i0, i1, j0, j1);
            }
        }
    }

    /// <summary>NR of the widest accelerated register for <typeparamref name="T"/>.</summary>
    internal static int NR<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Simd512<T>.IsAccelerated ? 2 * Simd512<T>.Count
        : Simd256<T>.IsAccelerated ? 2 * Simd256<T>.Count
        : Simd128<T>.IsAccelerated ? 2 * Simd128<T>.Count
        : 2;

    /// <summary>C[i0..i1, j0..j1] on this thread.</summary>
    internal static void Range<T>(in Operands<T> o, int i0, int i1, int j0, int j1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
        {
            Range<T, Simd512<T>, Vector512<T>>(o, i0, i1, j0, j1);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            Range<T, Simd256<T>, Vector256<T>>(o, i0, i1, j0, j1);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Range<T, Simd128<T>, Vector128<T>>(o, i0, i1, j0, j1);
        }
        else
        {
            Range<T, Scalar<T>, T>(o, i0, i1, j0, j1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Range<T, TS, TV>(in Operands<T> o, int i0, int i1, int j0, int j1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int nr = 2 * TS.Count;
        int k = o.K;
        if (k == 0)
        {
            EmptyDepth(o, i0, i1, j0, j1);
            return;
        }

        // Sized for the whole product, not this part: a thread that once ran part 0 can later run all of it (when the
        // workers are busy elsewhere) without growing its buffers, so steady state never allocates.
        bool persistent = o.PackedB != null;
        nint npad = RoundUp(o.N, nr);
        T[] packA = Buffers<T>.A((Math.Min(KC, k) * RoundUp(Math.Min(MC, o.M), MR)) + PackASlack);
        ref T pa = ref MemoryMarshal.GetArrayDataReference(packA);
        ref T buffer = ref persistent ? ref Unsafe.NullRef<T>() : ref MemoryMarshal.GetArrayDataReference(Buffers<T>.B(Math.Min(KC, k) * Math.Min(NC, RoundUp(o.N, nr))));
        bool aRowsContiguous = o.Acs == 1;
        bool eightRows = EightRowPanels && typeof(TV) == typeof(Vector512<T>);
        bool twelveRows = eightRows && TwelveRowPanels;
        TV finite = TS.Zero; // Σ c·0 over the stored registers: 0, or NaN once a stored value is not finite

        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool addC = pc > 0 || o.Accumulate;
                bool last = pc + kc == k;
                int* nonFinite = last ? o.NonFinite : null;
                // B's block: the persistent copy (written now by this part, for its own columns, or already there),
                // or this thread's buffer.
                ref T pb = ref persistent ? ref Unsafe.AsRef<T>(o.PackedB + (pc * npad) + ((nint)jc * kc)) : ref buffer;
                if (!persistent || o.PackNow)
                {
                    PackB<T, TS, TV>(o, pc, kc, jc, nc, ref pb);
                }

                for (int ic0 = i0; ic0 < i1; ic0 += MC)
                {
                    int mc0 = Math.Min(MC, i1 - ic0);
                    // AVX-512 with A in place: the block's first rows in 8-row panels (ADR 0062), the rest as before.
                    int eight = eightRows && aRowsContiguous ? mc0 / MR8 * MR8 : 0;
                    int twelve = twelveRows && aRowsContiguous ? TwelveRowPanelRows(mc0) : 0;
                    if (twelve > 0)
                    {
                        eight = twelve + ((mc0 - twelve) / MR8 * MR8);
                    }
                    if (eight > 0)
                    {
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            ref T bPanel = ref Unsafe.Add(ref pb, (nint)jr * kc);
                            T* bias = last && o.Bias != null ? o.Bias + jc + jr : null;
                            bool relu = last && o.Relu;
                            int ir = 0;
                            for (; ir < twelve; ir += MR12)
                            {
                                T* c = o.C + ((ic0 + ir) * o.Ldc) + jc + jr;
                                ref T a = ref Unsafe.AsRef<T>(o.A + ((ic0 + ir) * o.Ars) + pc);
                                Kernel12<T, TS, TV>(kc, ref a, o.Ars, ref bPanel, c, o.Ldc, cols, addC, bias, relu, nonFinite, ref finite);
                            }
                            for (; ir < eight; ir += MR8)
                            {
                                T* c = o.C + ((ic0 + ir) * o.Ldc) + jc + jr;
                                ref T a = ref Unsafe.AsRef<T>(o.A + ((ic0 + ir) * o.Ars) + pc);
                                Kernel8<T, TS, TV>(kc, ref a, o.Ars, ref bPanel, c, o.Ldc, cols, addC, bias, relu, nonFinite, ref finite);
                            }
                        }
                    }

                    int ic = ic0 + eight;
                    int mc = mc0 - eight;
                    int fullPanels = aRowsContiguous ? mc / MR : 0;
                    for (int ir = fullPanels * MR; ir < mc; ir += MR)
                    {
                        PackA<T, TS, TV>(o, ic + ir, Math.Min(MR, mc - ir), pc, kc, ref Unsafe.Add(ref pa, (nint)ir * kc));
                    }

                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        ref T bPanel = ref Unsafe.Add(ref pb, (nint)jr * kc);
                        T* bias = last && o.Bias != null ? o.Bias + jc + jr : null;
                        bool relu = last && o.Relu;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int rows = Math.Min(MR, mc - ir);
                            T* c = o.C + ((ic + ir) * o.Ldc) + jc + jr;
                            if (ir < fullPanels * MR)
                            {
                                // A in place: row r of the panel at a + r·Ars, depth p at + p.
                                ref T a = ref Unsafe.AsRef<T>(o.A + ((ic + ir) * o.Ars) + pc);
                                Kernel<T, TS, TV>(kc, ref a, o.Ars, 1, ref bPanel, c, o.Ldc, rows, cols, addC, bias, relu, nonFinite, ref finite);
                            }
                            else if (rows <= 4)
                            {
                                // The last, partial panel (packed): a 4-row kernel, no FMAs for the zero rows.
                                Kernel4<T, TS, TV>(kc, ref Unsafe.Add(ref pa, (nint)ir * kc), ref bPanel, c, o.Ldc, rows, cols, addC, bias, relu, nonFinite, ref finite);
                            }
                            else
                            {
                                // Packed A: value (r, p) at panel + p·MR + r.
                                Kernel<T, TS, TV>(kc, ref Unsafe.Add(ref pa, (nint)ir * kc), 1, MR, ref bPanel, c, o.Ldc, rows, cols, addC, bias, relu, nonFinite, ref finite);
                            }
                        }
                    }
                }
            }
        }

        if (o.NonFinite != null && !T.IsFinite(TS.Sum(finite)))
        {
            Volatile.Write(ref *o.NonFinite, 1);
        }
    }

    /// <summary>k = 0: C = (accumulate ? C : 0) + bias, then ReLU.</summary>
    private static unsafe void EmptyDepth<T>(in Operands<T> o, int i0, int i1, int j0, int j1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = i0; i < i1; i++)
        {
            for (int j = j0; j < j1; j++)
            {
                ref T c = ref o.C[(i * o.Ldc) + j];
                T v = o.Accumulate ? c : T.Zero;
                Epilogue(ref c, v, false, o.Bias == null ? T.Zero : o.Bias[j], o.Bias != null, o.Relu);
                if (o.NonFinite != null && !T.IsFinite(c))
                {
                    Volatile.Write(ref *o.NonFinite, 1);
                }
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    // ---------------------------------------------------------------------------------------------------------------
    // Packing
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>B[pc..pc+kc, jc..jc+nc] → micro-panels of NR columns: panel q holds, for each p, NR consecutive values
    /// (zero past the last column), at <c>dst + q·NR·kc + p·NR</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB<T, TS, TV>(in Operands<T> o, int pc, int kc, int jc, int nc, ref T dst)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int nr = 2 * TS.Count;
        nint w = TS.Count;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            ref T d = ref Unsafe.Add(ref dst, (nint)jr * kc);
            T* src = o.B + (pc * o.Brs) + ((jc + jr) * o.Bcs);
            if (o.Bcs == 1 && cols == nr)
            {
                // Rows of B contiguous (dy·W, dyᵀ·x): two vector copies per p.
                for (int p = 0; p < kc; p++)
                {
                    ref T s = ref Unsafe.AsRef<T>(src + (p * o.Brs));
                    TS.Store(TS.Load(ref s), ref Unsafe.Add(ref d, p * nr));
                    TS.Store(TS.Load(ref Unsafe.Add(ref s, w)), ref Unsafe.Add(ref d, (p * nr) + w));
                }
            }
            else if (o.Brs == 1 && typeof(T) == typeof(float) && Avx.IsSupported)
            {
                PackTransposedAvx((float*)src, o.Bcs, kc, cols, nr, ref Unsafe.As<T, float>(ref d));
            }
            else if (o.Brs == 1)
            {
                // Columns of B contiguous (B = Wᵀ in x·Wᵀ): a transpose; read each row of W once, in order.
                for (int c = 0; c < cols; c++)
                {
                    T* s = src + (c * o.Bcs);
                    ref T dc = ref Unsafe.Add(ref d, c);
                    for (int p = 0; p < kc; p++)
                    {
                        Unsafe.Add(ref dc, p * nr) = s[p];
                    }
                }
                ZeroColumns(ref d, kc, cols, nr);
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    for (int c = 0; c < cols; c++)
                    {
                        Unsafe.Add(ref d, (p * nr) + c) = src[(p * o.Brs) + (c * o.Bcs)];
                    }
                }
                ZeroColumns(ref d, kc, cols, nr);
            }
        }
    }

    /// <summary>The transpose of <see cref="PackB"/> for float with AVX: 8×8 blocks through registers (unpack, shuffle,
    /// permute: 24 shuffles per 64 values) instead of one strided scalar store per value. Also packs dyᵀ for
    /// <see cref="Conv2DTapGradient"/> (ADR 0060).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PackTransposedAvx(float* src, nint ld, int kc, int cols, int nr, ref float d)
    {
        int c = 0;
        for (; c + 8 <= cols; c += 8)
        {
            float* s = src + (c * ld);
            int p = 0;
            for (; p + 8 <= kc; p += 8)
            {
                Vector256<float> r0 = Avx.LoadVector256(s + p), r1 = Avx.LoadVector256(s + ld + p);
                Vector256<float> r2 = Avx.LoadVector256(s + (2 * ld) + p), r3 = Avx.LoadVector256(s + (3 * ld) + p);
                Vector256<float> r4 = Avx.LoadVector256(s + (4 * ld) + p), r5 = Avx.LoadVector256(s + (5 * ld) + p);
                Vector256<float> r6 = Avx.LoadVector256(s + (6 * ld) + p), r7 = Avx.LoadVector256(s + (7 * ld) + p);
                Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
                Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
                Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
                Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
                Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
                Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
                ref float dp = ref Unsafe.Add(ref d, (p * nr) + c);
                nint step = nr;
                Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref dp);
                Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref Unsafe.Add(ref dp, step));
                Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref Unsafe.Add(ref dp, 2 * step));
                Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref Unsafe.Add(ref dp, 3 * step));
                Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref Unsafe.Add(ref dp, 4 * step));
                Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref Unsafe.Add(ref dp, 5 * step));
                Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref Unsafe.Add(ref dp, 6 * step));
                Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref Unsafe.Add(ref dp, 7 * step));
            }
            for (; p < kc; p++)
            {
                for (int q = 0; q < 8; q++)
                {
                    Unsafe.Add(ref d, (p * nr) + c + q) = s[(q * ld) + p];
                }
            }
        }
        for (; c < cols; c++)
        {
            for (int p = 0; p < kc; p++)
            {
                Unsafe.Add(ref d, (p * nr) + c) = src[(c * ld) + p];
            }
        }
        ZeroColumns(ref d, kc, cols, nr);
    }

    private static void ZeroColumns<T>(ref T panel, int kc, int cols, int nr)
        where T : unmanaged
    {
        if (cols == nr)
        {
            return;
        }
        for (int p = 0; p < kc; p++)
        {
            MemoryMarshal.CreateSpan(ref Unsafe.Add(ref panel, (p * nr) + cols), nr - cols).Clear();
        }
    }

    /// <summary>Elements after the packed A block that <see cref="PackA"/>'s whole-register copies may write: at most one
    /// Vector512 of float minus the MR values it carries.</summary>
    private const int PackASlack = 16;

    /// <summary>Rows i..i+rows of A, depth pc..pc+kc → one MR-row panel: value (r, p) at <c>dst + p·MR + r</c>,
    /// rows past <paramref name="rows"/> zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA<T, TS, TV>(in Operands<T> o, int i, int rows, int pc, int kc, ref T dst)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        T* src = o.A + (i * o.Ars) + (pc * o.Acs);
        int w = TS.Count;
        int vectors = (MR + w - 1) / w;
        if (o.Ars == 1 && rows == MR && w > 1 && i + (vectors * w) <= o.M)
        {
            // Columns of A contiguous (A = dyᵀ in dW = dyᵀ·x): the MR values of step p are adjacent, so copy them with
            // whole registers, reading only rows below M. The values past the MR land where step p + 1 writes next, or,
            // after the panel's last step, in the next panel (packed after this one) or in the buffer's PackASlack.
            // Measured on the 2-core Zen 3 VM (in-process, interleaved medians, both cores): dW of 128×256 from a batch of
            // 64, 88 → 100 GFLOP/s; 256×784, 105 → 112.
            for (int p = 0; p < kc; p++)
            {
                ref T s = ref Unsafe.AsRef<T>(src + (p * o.Acs));
                ref T d = ref Unsafe.Add(ref dst, p * MR);
                for (int v = 0; v < vectors; v++)
                {
                    TS.Store(TS.Load(ref Unsafe.Add(ref s, v * w)), ref Unsafe.Add(ref d, v * w));
                }
            }
            return;
        }

        // Any other panel (rows in place, a partial panel, the last rows of a column-contiguous A): value by value.
        for (int p = 0; p < kc; p++)
        {
            ref T d = ref Unsafe.Add(ref dst, p * MR);
            int r = 0;
            for (; r < rows; r++)
            {
                Unsafe.Add(ref d, r) = src[(r * o.Ars) + (p * o.Acs)];
            }
            for (; r < MR; r++)
            {
                Unsafe.Add(ref d, r) = T.Zero;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Micro-kernel
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>C[0..rows, 0..cols] = (addC ? C : 0) + Σ_{p&lt;kc} A(r, p)·Bpanel[p, :] (+ bias) (ReLU), for an MR × NR tile.</summary>
    /// <param name="kc">Depth of this block.</param>
    /// <param name="a">A(0, 0) of the panel; A(r, p) = a[r·aRow + p·aDepth].</param>
    /// <param name="aRow">Distance between rows of A.</param>
    /// <param name="aDepth">Distance between consecutive p of A: 1 (A in place) or MR with <paramref name="aRow"/> = 1 (packed).</param>
    /// <param name="b">Packed B panel: B(p, c) = b[p·NR + c].</param>
    /// <param name="c">C(0, 0) of the tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="rows">Valid rows (≤ MR).</param>
    /// <param name="cols">Valid columns (≤ NR).</param>
    /// <param name="addC">Add the C already there (later depth blocks, or accumulate).</param>
    /// <param name="bias">Bias of the tile's first column, or null; only on the last depth block.</param>
    /// <param name="relu">Apply max(0, ·); only on the last depth block.</param>
    /// <param name="nonFinite">Null, or the flag of a checked product (only on the last depth block): the stored values
    /// are added, times 0, into <paramref name="finite"/>; an edge tile sets the flag itself.</param>
    /// <param name="finite">The part's running Σ c·0 (see <see cref="Operands{T}.NonFinite"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel<T, TS, TV>(int kc, ref T a, nint aRow, nint aDepth, ref T b, T* c, nint ldc, int rows, int cols, bool addC, T* bias, bool relu, int* nonFinite, ref TV finite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero;
        TV c30 = TS.Zero, c31 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero;
        ref T bp = ref b;
        ref T bEnd = ref Unsafe.Add(ref b, kc * 2 * w);
        if (aRow == 1 && aDepth == MR)
        {
            // Packed A: the six values of step p are adjacent, one pointer walks them.
            ref T ap = ref a;
            while (Unsafe.IsAddressLessThan(ref bp, ref bEnd))
            {
                TV b0 = TS.Load(ref bp);
                TV b1 = TS.Load(ref Unsafe.Add(ref bp, w));
                TV x = TS.Broadcast(ap);
                c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
                x = TS.Broadcast(Unsafe.Add(ref ap, 1));
                c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
                x = TS.Broadcast(Unsafe.Add(ref ap, 2));
                c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
                x = TS.Broadcast(Unsafe.Add(ref ap, 3));
                c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
                x = TS.Broadcast(Unsafe.Add(ref ap, 4));
                c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
                x = TS.Broadcast(Unsafe.Add(ref ap, 5));
                c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
                bp = ref Unsafe.Add(ref bp, 2 * w);
                ap = ref Unsafe.Add(ref ap, MR);
            }
        }
        else
        {
            // A in place, depth contiguous (aDepth = 1): rows 0-2 off one pointer and rows 3-5 off another, each
            // addressed as pointer + {0, 1, 2}·row stride, so the loop needs three address registers, not six.
            nint rs = aRow * Unsafe.SizeOf<T>();
            nint rs2 = 2 * rs;
            ref T p0 = ref a;
            ref T p3 = ref Unsafe.Add(ref a, 3 * aRow);
            while (Unsafe.IsAddressLessThan(ref bp, ref bEnd))
            {
                TV b0 = TS.Load(ref bp);
                TV b1 = TS.Load(ref Unsafe.Add(ref bp, w));
                TV x = TS.Broadcast(p0);
                c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
                x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs));
                c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
                x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs2));
                c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
                x = TS.Broadcast(p3);
                c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
                x = TS.Broadcast(Unsafe.AddByteOffset(ref p3, rs));
                c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
                x = TS.Broadcast(Unsafe.AddByteOffset(ref p3, rs2));
                c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
                bp = ref Unsafe.Add(ref bp, 2 * w);
                p0 = ref Unsafe.Add(ref p0, 1);
                p3 = ref Unsafe.Add(ref p3, 1);
            }
        }

        if (rows == MR && cols == 2 * w)
        {
            if (nonFinite == null)
            {
                StoreRow<T, TS, TV>(c, c00, c01, addC, bias, relu);
                StoreRow<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (4 * ldc), c40, c41, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (5 * ldc), c50, c51, addC, bias, relu);
                return;
            }

            // Checked (a weight gradient): the stored values, times 0, in two sums (two short FMA chains per tile).
            TV f0 = finite, f1 = TS.Zero;
            StoreRowChecked<T, TS, TV>(c, c00, c01, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (4 * ldc), c40, c41, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (5 * ldc), c50, c51, addC, bias, relu, ref f0, ref f1);
            finite = TS.Add(f0, f1);
            return;
        }

        // Edge tile: the accumulators go through a small buffer; the epilogue is the same arithmetic, lane by lane.
        T* tile = stackalloc T[MaxTile];
        ref T t = ref Unsafe.AsRef<T>(tile);
        nint nr = 2 * w;
        TS.Store(c00, ref t); TS.Store(c01, ref Unsafe.Add(ref t, w));
        TS.Store(c10, ref Unsafe.Add(ref t, nr)); TS.Store(c11, ref Unsafe.Add(ref t, nr + w));
        TS.Store(c20, ref Unsafe.Add(ref t, 2 * nr)); TS.Store(c21, ref Unsafe.Add(ref t, (2 * nr) + w));
        TS.Store(c30, ref Unsafe.Add(ref t, 3 * nr)); TS.Store(c31, ref Unsafe.Add(ref t, (3 * nr) + w));
        TS.Store(c40, ref Unsafe.Add(ref t, 4 * nr)); TS.Store(c41, ref Unsafe.Add(ref t, (4 * nr) + w));
        TS.Store(c50, ref Unsafe.Add(ref t, 5 * nr)); TS.Store(c51, ref Unsafe.Add(ref t, (5 * nr) + w));
        StoreTile(tile, nr, c, ldc, rows, cols, addC, bias, relu, nonFinite);
    }

    /// <summary><see cref="Kernel8"/> for 12 rows: 24 accumulators + 2 of B + 1 broadcast of the 32 registers. The same
    /// FMA chain and epilogue per element: the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel12<T, TS, TV>(int kc, ref T a, nint aRow, ref T b, T* c, nint ldc, int cols, bool addC, T* bias, bool relu, int* nonFinite, ref TV finite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        TV c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c60 = TS.Zero, c61 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero;
        TV c80 = TS.Zero, c81 = TS.Zero, c90 = TS.Zero, c91 = TS.Zero, ca0 = TS.Zero, ca1 = TS.Zero, cb0 = TS.Zero, cb1 = TS.Zero;
        ref T bp = ref b;
        ref T bEnd = ref Unsafe.Add(ref b, kc * 2 * w);
        nint rs = aRow * Unsafe.SizeOf<T>();
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        ref T p0 = ref a;
        ref T p4 = ref Unsafe.Add(ref a, 4 * aRow);
        ref T p8 = ref Unsafe.Add(ref a, 8 * aRow);
        while (Unsafe.IsAddressLessThan(ref bp, ref bEnd))
        {
            TV b0 = TS.Load(ref bp);
            TV b1 = TS.Load(ref Unsafe.Add(ref bp, w));
            TV x = TS.Broadcast(p0);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs));
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs2));
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs3));
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(p4);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p4, rs));
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p4, rs2));
            c60 = TS.MultiplyAdd(x, b0, c60); c61 = TS.MultiplyAdd(x, b1, c61);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p4, rs3));
            c70 = TS.MultiplyAdd(x, b0, c70); c71 = TS.MultiplyAdd(x, b1, c71);
            x = TS.Broadcast(p8);
            c80 = TS.MultiplyAdd(x, b0, c80); c81 = TS.MultiplyAdd(x, b1, c81);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p8, rs));
            c90 = TS.MultiplyAdd(x, b0, c90); c91 = TS.MultiplyAdd(x, b1, c91);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p8, rs2));
            ca0 = TS.MultiplyAdd(x, b0, ca0); ca1 = TS.MultiplyAdd(x, b1, ca1);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p8, rs3));
            cb0 = TS.MultiplyAdd(x, b0, cb0); cb1 = TS.MultiplyAdd(x, b1, cb1);
            bp = ref Unsafe.Add(ref bp, 2 * w);
            p0 = ref Unsafe.Add(ref p0, 1);
            p4 = ref Unsafe.Add(ref p4, 1);
            p8 = ref Unsafe.Add(ref p8, 1);
        }

        if (cols == 2 * w)
        {
            if (nonFinite == null)
            {
                StoreRow<T, TS, TV>(c, c00, c01, addC, bias, relu);
                StoreRow<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (4 * ldc), c40, c41, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (5 * ldc), c50, c51, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (6 * ldc), c60, c61, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (7 * ldc), c70, c71, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (8 * ldc), c80, c81, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (9 * ldc), c90, c91, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (10 * ldc), ca0, ca1, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (11 * ldc), cb0, cb1, addC, bias, relu);
                return;
            }

            TV f0 = finite, f1 = TS.Zero;
            StoreRowChecked<T, TS, TV>(c, c00, c01, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (4 * ldc), c40, c41, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (5 * ldc), c50, c51, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (6 * ldc), c60, c61, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (7 * ldc), c70, c71, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (8 * ldc), c80, c81, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (9 * ldc), c90, c91, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (10 * ldc), ca0, ca1, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (11 * ldc), cb0, cb1, addC, bias, relu, ref f0, ref f1);
            finite = TS.Add(f0, f1);
            return;
        }

        T* tile = stackalloc T[MR12 * 32];
        ref T t = ref Unsafe.AsRef<T>(tile);
        nint nr = 2 * w;
        TS.Store(c00, ref t); TS.Store(c01, ref Unsafe.Add(ref t, w));
        TS.Store(c10, ref Unsafe.Add(ref t, nr)); TS.Store(c11, ref Unsafe.Add(ref t, nr + w));
        TS.Store(c20, ref Unsafe.Add(ref t, 2 * nr)); TS.Store(c21, ref Unsafe.Add(ref t, (2 * nr) + w));
        TS.Store(c30, ref Unsafe.Add(ref t, 3 * nr)); TS.Store(c31, ref Unsafe.Add(ref t, (3 * nr) + w));
        TS.Store(c40, ref Unsafe.Add(ref t, 4 * nr)); TS.Store(c41, ref Unsafe.Add(ref t, (4 * nr) + w));
        TS.Store(c50, ref Unsafe.Add(ref t, 5 * nr)); TS.Store(c51, ref Unsafe.Add(ref t, (5 * nr) + w));
        TS.Store(c60, ref Unsafe.Add(ref t, 6 * nr)); TS.Store(c61, ref Unsafe.Add(ref t, (6 * nr) + w));
        TS.Store(c70, ref Unsafe.Add(ref t, 7 * nr)); TS.Store(c71, ref Unsafe.Add(ref t, (7 * nr) + w));
        TS.Store(c80, ref Unsafe.Add(ref t, 8 * nr)); TS.Store(c81, ref Unsafe.Add(ref t, (8 * nr) + w));
        TS.Store(c90, ref Unsafe.Add(ref t, 9 * nr)); TS.Store(c91, ref Unsafe.Add(ref t, (9 * nr) + w));
        TS.Store(ca0, ref Unsafe.Add(ref t, 10 * nr)); TS.Store(ca1, ref Unsafe.Add(ref t, (10 * nr) + w));
        TS.Store(cb0, ref Unsafe.Add(ref t, 11 * nr)); TS.Store(cb1, ref Unsafe.Add(ref t, (11 * nr) + w));
        StoreTile(tile, nr, c, ldc, MR12, cols, addC, bias, relu, nonFinite);
    }

    /// <summary><see cref="Kernel"/> for 8 rows of A in place (depth contiguous, row stride <paramref name="aRow"/>), for
    /// 512-bit registers only: 16 accumulators + 2 of B + 1 broadcast of the 32. Each element is the same FMA chain over p,
    /// stored through the same epilogue, as in <see cref="Kernel"/>: the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel8<T, TS, TV>(int kc, ref T a, nint aRow, ref T b, T* c, nint ldc, int cols, bool addC, T* bias, bool relu, int* nonFinite, ref TV finite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        TV c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c60 = TS.Zero, c61 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero;
        ref T bp = ref b;
        ref T bEnd = ref Unsafe.Add(ref b, kc * 2 * w);
        // Rows 0-3 off one pointer and rows 4-7 off another, each addressed as pointer + {0, 1, 2, 3}·row stride.
        nint rs = aRow * Unsafe.SizeOf<T>();
        nint rs2 = 2 * rs, rs3 = 3 * rs;
        ref T p0 = ref a;
        ref T p4 = ref Unsafe.Add(ref a, 4 * aRow);
        while (Unsafe.IsAddressLessThan(ref bp, ref bEnd))
        {
            TV b0 = TS.Load(ref bp);
            TV b1 = TS.Load(ref Unsafe.Add(ref bp, w));
            TV x = TS.Broadcast(p0);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs));
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs2));
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p0, rs3));
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(p4);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p4, rs));
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p4, rs2));
            c60 = TS.MultiplyAdd(x, b0, c60); c61 = TS.MultiplyAdd(x, b1, c61);
            x = TS.Broadcast(Unsafe.AddByteOffset(ref p4, rs3));
            c70 = TS.MultiplyAdd(x, b0, c70); c71 = TS.MultiplyAdd(x, b1, c71);
            bp = ref Unsafe.Add(ref bp, 2 * w);
            p0 = ref Unsafe.Add(ref p0, 1);
            p4 = ref Unsafe.Add(ref p4, 1);
        }

        if (cols == 2 * w)
        {
            if (nonFinite == null)
            {
                StoreRow<T, TS, TV>(c, c00, c01, addC, bias, relu);
                StoreRow<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (4 * ldc), c40, c41, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (5 * ldc), c50, c51, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (6 * ldc), c60, c61, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (7 * ldc), c70, c71, addC, bias, relu);
                return;
            }

            TV f0 = finite, f1 = TS.Zero;
            StoreRowChecked<T, TS, TV>(c, c00, c01, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (4 * ldc), c40, c41, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (5 * ldc), c50, c51, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (6 * ldc), c60, c61, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (7 * ldc), c70, c71, addC, bias, relu, ref f0, ref f1);
            finite = TS.Add(f0, f1);
            return;
        }

        // Edge columns: the accumulators through a small buffer, the epilogue lane by lane (as Kernel's edge tile).
        T* tile = stackalloc T[MR8 * 32];
        ref T t = ref Unsafe.AsRef<T>(tile);
        nint nr = 2 * w;
        TS.Store(c00, ref t); TS.Store(c01, ref Unsafe.Add(ref t, w));
        TS.Store(c10, ref Unsafe.Add(ref t, nr)); TS.Store(c11, ref Unsafe.Add(ref t, nr + w));
        TS.Store(c20, ref Unsafe.Add(ref t, 2 * nr)); TS.Store(c21, ref Unsafe.Add(ref t, (2 * nr) + w));
        TS.Store(c30, ref Unsafe.Add(ref t, 3 * nr)); TS.Store(c31, ref Unsafe.Add(ref t, (3 * nr) + w));
        TS.Store(c40, ref Unsafe.Add(ref t, 4 * nr)); TS.Store(c41, ref Unsafe.Add(ref t, (4 * nr) + w));
        TS.Store(c50, ref Unsafe.Add(ref t, 5 * nr)); TS.Store(c51, ref Unsafe.Add(ref t, (5 * nr) + w));
        TS.Store(c60, ref Unsafe.Add(ref t, 6 * nr)); TS.Store(c61, ref Unsafe.Add(ref t, (6 * nr) + w));
        TS.Store(c70, ref Unsafe.Add(ref t, 7 * nr)); TS.Store(c71, ref Unsafe.Add(ref t, (7 * nr) + w));
        StoreTile(tile, nr, c, ldc, MR8, cols, addC, bias, relu, nonFinite);
    }

    /// <summary><see cref="Kernel"/> for a packed panel of at most 4 valid rows (the last panel when M mod 6 is 1–4):
    /// 8 accumulators, so the zero rows of the panel cost no FMAs (about 3 % of a 64-row product). Every element is the
    /// same FMA chain over p as in <see cref="Kernel"/>: the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel4<T, TS, TV>(int kc, ref T a, ref T b, T* c, nint ldc, int rows, int cols, bool addC, T* bias, bool relu, int* nonFinite, ref TV finite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero;
        TV c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        ref T bp = ref b;
        ref T bEnd = ref Unsafe.Add(ref b, kc * 2 * w);
        ref T ap = ref a;
        while (Unsafe.IsAddressLessThan(ref bp, ref bEnd))
        {
            TV b0 = TS.Load(ref bp);
            TV b1 = TS.Load(ref Unsafe.Add(ref bp, w));
            TV x = TS.Broadcast(ap);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(Unsafe.Add(ref ap, 1));
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(Unsafe.Add(ref ap, 2));
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(Unsafe.Add(ref ap, 3));
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            bp = ref Unsafe.Add(ref bp, 2 * w);
            ap = ref Unsafe.Add(ref ap, MR);
        }

        if (rows == 4 && cols == 2 * w)
        {
            if (nonFinite == null)
            {
                StoreRow<T, TS, TV>(c, c00, c01, addC, bias, relu);
                StoreRow<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu);
                StoreRow<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu);
                return;
            }

            TV f0 = finite, f1 = TS.Zero;
            StoreRowChecked<T, TS, TV>(c, c00, c01, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + ldc, c10, c11, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (2 * ldc), c20, c21, addC, bias, relu, ref f0, ref f1);
            StoreRowChecked<T, TS, TV>(c + (3 * ldc), c30, c31, addC, bias, relu, ref f0, ref f1);
            finite = TS.Add(f0, f1);
            return;
        }

        T* tile = stackalloc T[MaxTile];
        ref T t = ref Unsafe.AsRef<T>(tile);
        nint nr = 2 * w;
        TS.Store(c00, ref t); TS.Store(c01, ref Unsafe.Add(ref t, w));
        TS.Store(c10, ref Unsafe.Add(ref t, nr)); TS.Store(c11, ref Unsafe.Add(ref t, nr + w));
        TS.Store(c20, ref Unsafe.Add(ref t, 2 * nr)); TS.Store(c21, ref Unsafe.Add(ref t, (2 * nr) + w));
        TS.Store(c30, ref Unsafe.Add(ref t, 3 * nr)); TS.Store(c31, ref Unsafe.Add(ref t, (3 * nr) + w));
        StoreTile(tile, nr, c, ldc, rows, cols, addC, bias, relu, nonFinite);
    }

    /// <summary>The epilogue of an edge tile, element by element: rows × cols of <paramref name="tile"/> (row stride
    /// <paramref name="nr"/>) into C.</summary>
    private static unsafe void StoreTile<T>(T* tile, nint nr, T* c, nint ldc, int rows, int cols, bool addC, T* bias, bool relu, int* nonFinite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool finite = true;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < cols; j++)
            {
                ref T cv = ref c[(r * ldc) + j];
                Epilogue(ref cv, tile[(r * nr) + j], addC, bias == null ? T.Zero : bias[j], bias != null, relu);
                finite &= T.IsFinite(cv);
            }
        }
        if (nonFinite != null && !finite)
        {
            Volatile.Write(ref *nonFinite, 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow<T, TS, TV>(T* c, TV v0, TV v1, bool addC, T* bias, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        ref T c0 = ref Unsafe.AsRef<T>(c);
        ref T c1 = ref Unsafe.Add(ref c0, w);
        if (addC)
        {
            v0 = TS.Add(v0, TS.Load(ref c0));
            v1 = TS.Add(v1, TS.Load(ref c1));
        }
        if (bias != null)
        {
            v0 = TS.Add(v0, TS.Load(ref Unsafe.AsRef<T>(bias)));
            v1 = TS.Add(v1, TS.Load(ref Unsafe.AsRef<T>(bias + w)));
        }
        if (relu)
        {
            v0 = TS.Max(v0, TS.Zero);
            v1 = TS.Max(v1, TS.Zero);
        }
        TS.Store(v0, ref c0);
        TS.Store(v1, ref c1);
    }

    /// <summary><see cref="StoreRow"/>, and the two stored registers, times 0, added into the running sums
    /// <paramref name="f0"/> and <paramref name="f1"/>: x·0 is ±0 for a finite x and NaN for NaN or ±∞, so each sum stays
    /// exactly 0 until a stored value is not finite, and is NaN from then on (one FMA per stored register, no branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRowChecked<T, TS, TV>(T* c, TV v0, TV v1, bool addC, T* bias, bool relu, ref TV f0, ref TV f1)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        ref T c0 = ref Unsafe.AsRef<T>(c);
        ref T c1 = ref Unsafe.Add(ref c0, w);
        if (addC)
        {
            v0 = TS.Add(v0, TS.Load(ref c0));
            v1 = TS.Add(v1, TS.Load(ref c1));
        }
        if (bias != null)
        {
            v0 = TS.Add(v0, TS.Load(ref Unsafe.AsRef<T>(bias)));
            v1 = TS.Add(v1, TS.Load(ref Unsafe.AsRef<T>(bias + w)));
        }
        if (relu)
        {
            v0 = TS.Max(v0, TS.Zero);
            v1 = TS.Max(v1, TS.Zero);
        }
        TS.Store(v0, ref c0);
        TS.Store(v1, ref c1);
        f0 = TS.MultiplyAdd(v0, TS.Zero, f0);
        f1 = TS.MultiplyAdd(v1, TS.Zero, f1);
    }

    /// <summary>One element of the epilogue, in the same order as <see cref="StoreRow"/>: (sum + C) + bias, then ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Epilogue<T>(ref T c, T sum, bool addC, T bias, bool hasBias, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T v = addC ? sum + c : sum;
        if (hasBias)
        {
            v += bias;
        }
        if (relu)
        {
            v = T.Max(v, T.Zero);
        }
        c = v;
    }

    /// <summary>Per-thread packing buffers, grown on first use and then reused: no allocation in steady state.</summary>
    private static class Buffers<T>
        where T : unmanaged
    {
        [ThreadStatic]
        private static T[]? t_a;

        [ThreadStatic]
        private static T[]? t_b;

        public static T[] A(int length) => ThreadBuffer.Ensure(ref t_a, length);

        public static T[] B(int length) => ThreadBuffer.Ensure(ref t_b, length);
    }
}
