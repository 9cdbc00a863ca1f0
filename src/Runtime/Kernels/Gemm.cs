using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels;

/// <summary>
/// Single-threaded, register-blocked matrix multiplication for row-major matrices.
/// </summary>
/// <remarks>
/// <para>Two micro-kernels cover the three layouts:</para>
/// <list type="bullet">
/// <item><b>NN and TN</b> (<c>B</c> is <c>[k, n]</c>): a block of 4 rows × 2 registers of <c>C</c> stays in
/// registers for the whole <c>k</c> loop; each step broadcasts 4 elements of <c>A</c> and multiplies them with
/// 2 register-wide pieces of row <c>p</c> of <c>B</c> (8 FMAs for 6 loads). NN and TN differ only in the
/// strides used to read <c>A</c>, so they share the kernel.</item>
/// <item><b>NT</b> (<c>B</c> is <c>[n, k]</c>, i.e. <c>x·Wᵀ</c>): both operands are contiguous along <c>k</c>, so a
/// block of 2×4 outputs keeps 8 register accumulators along <c>k</c> and reduces them with pairwise adds at the
/// end. No transposed copy of <c>B</c> is needed, so nothing is packed and nothing is allocated.</item>
/// </list>
/// <para>Each kernel is written once against <see cref="ISimd{TVec, T}"/> and instantiated for the widest
/// accelerated register; the same code instantiated with a one-lane "register" handles the columns (NN/TN)
/// or the part of <c>k</c> (NT) that does not fill a register. Nothing is allocated.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Gemm
{
    /// <summary>C[m,n] (+)= A[m,k] · B[n,k]ᵀ</summary>
    /// <param name="a">A, row-major [m, k].</param>
    /// <param name="b">B, row-major [n, k].</param>
    /// <param name="c">C, row-major [m, n].</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="k">Columns of A and B (the reduced dimension).</param>
    /// <param name="accumulate"><see langword="true"/>: add to C; <see langword="false"/>: overwrite C.</param>
    /// <param name="mode">Which kernel: <see cref="GemmMode.Auto"/> picks by <see cref="Choose"/>.</param>
    public static void MatMulNT<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate, GemmMode mode = GemmMode.Auto)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, (long)n * k);
        if (m == 0 || n == 0)
        {
            return;
        }
        mode = Resolve(mode, m, n, k);
        if (mode != GemmMode.Direct)
        {
            // B(p, j) = b[j·k + p]
            Packed(a, k, 1, b, 1, k, c, m, n, k, accumulate, default, false, mode);
            return;
        }

        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T rc = ref MemoryMarshal.GetReference(c);
        if (Simd512<T>.IsAccelerated)
        {
            NT<T, Simd512<T>, Vector512<T>>(ref ra, ref rb, ref rc, m, n, k, accumulate);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            NT<T, Simd256<T>, Vector256<T>>(ref ra, ref rb, ref rc, m, n, k, accumulate);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            NT<T, Simd128<T>, Vector128<T>>(ref ra, ref rb, ref rc, m, n, k, accumulate);
        }
        else
        {
            NT<T, Scalar<T>, T>(ref ra, ref rb, ref rc, m, n, k, accumulate);
        }
    }

    /// <summary>C[m,n] (+)= A[m,k] · B[k,n]</summary>
    /// <param name="a">A, row-major [m, k].</param>
    /// <param name="b">B, row-major [k, n].</param>
    /// <param name="c">C, row-major [m, n].</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="k">Columns of A, rows of B (the reduced dimension).</param>
    /// <param name="accumulate"><see langword="true"/>: add to C; <see langword="false"/>: overwrite C.</param>
    /// <param name="mode">Which kernel: <see cref="GemmMode.Auto"/> picks by <see cref="Choose"/>.</param>
    public static void MatMulNN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate, GemmMode mode = GemmMode.Auto)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, (long)k * n);
        mode = Resolve(mode, m, n, k);
        if (mode != GemmMode.Direct)
        {
            Packed(a, k, 1, b, n, 1, c, m, n, k, accumulate, default, false, mode);
            return;
        }
        // A(i, p) = a[i·k + p]
        Broadcast(a, b, c, m, n, k, rowStride: k, depthStride: 1, accumulate);
    }

    /// <summary>C[m,n] (+)= A[k,m]ᵀ · B[k,n]</summary>
    /// <param name="a">A, row-major [k, m] (used transposed).</param>
    /// <param name="b">B, row-major [k, n].</param>
    /// <param name="c">C, row-major [m, n].</param>
    /// <param name="m">Columns of A, rows of C.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="k">Rows of A and B (the reduced dimension).</param>
    /// <param name="accumulate"><see langword="true"/>: add to C; <see langword="false"/>: overwrite C.</param>
    /// <param name="mode">Which kernel: <see cref="GemmMode.Auto"/> picks by <see cref="Choose"/>.</param>
    public static void MatMulTN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate, GemmMode mode = GemmMode.Auto)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        MatMulTN(a, b, c, m, n, k, accumulate, mode, null);

    /// <summary><see cref="MatMulTN{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, bool, GemmMode)"/>, and
    /// records in <paramref name="finite"/> (when not null) whether every value it stored into C is finite: in the packed
    /// kernel's epilogue while the values are in registers, after the direct kernel by a read of C while it is in cache.</summary>
    internal static void MatMulTN<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate, GemmMode mode, FiniteCheck? finite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(a.Length, b.Length, c.Length, m, n, k, (long)k * n);
        mode = Resolve(mode, m, n, k);
        if (mode != GemmMode.Direct)
        {
            Packed(a, 1, m, b, n, 1, c, m, n, k, accumulate, default, false, mode, null, finite);
            return;
        }
        // A(i, p) = a[p·m + i]
        Broadcast(a, b, c, m, n, k, rowStride: 1, depthStride: m, accumulate);
        finite?.Observe<T>(c.Slice(0, m * n));
    }

    /// <summary>
    /// The kernel the generator plans for a product of this shape (the same rule, <c>NetworkPlanner.ChooseGemm</c>, runs at
    /// compile time; a test keeps the two equal).
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><see cref="GemmMode.Direct"/> when packing cannot pay: fewer than <see cref="PackedGemm.MR"/> rows (a
    /// batch-1 inference reads each weight once anyway), or under 2¹⁵ multiply-adds, or a dimension under 4.</item>
    /// <item><see cref="GemmMode.PackedParallel"/> from 2²⁰ multiply-adds (about 10 µs on one core: the hand-off to the
    /// other core costs about 1 µs).</item>
    /// <item><see cref="GemmMode.Packed"/> in between.</item>
    /// </list>
    /// </remarks>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The reduced dimension.</param>
    /// <returns>Never <see cref="GemmMode.Auto"/>.</returns>
    public static GemmMode Choose(int m, int n, int k)
    {
        long work = (long)m * n * k;
        if (m < PackedGemm.MR || n < 4 || k < 4 || work < (1L << 15))
        {
            return GemmMode.Direct;
        }
        return work >= (1L << 20) ? GemmMode.PackedParallel : GemmMode.Packed;
    }

    /// <summary><see cref="GemmMode.Auto"/> → <see cref="Choose"/>; a packed mode planned for the full batch falls back to
    /// <see cref="GemmMode.Direct"/> when this call has fewer rows than the micro-kernel (a one-sample Predict).</summary>
    internal static GemmMode Resolve(GemmMode mode, int m, int n, int k) =>
        mode == GemmMode.Auto ? Choose(m, n, k)
        : mode != GemmMode.Direct && m < PackedGemm.MR ? GemmMode.Direct
        : mode;

    /// <summary>The packed kernel over pinned operands: A(i, p) = a[i·ars + p·acs], B(p, j) = b[p·brs + j·bcs].</summary>
    internal static unsafe void Packed<T>(ReadOnlySpan<T> a, nint ars, nint acs, ReadOnlySpan<T> b, nint brs, nint bcs, Span<T> c, int m, int n, int k, bool accumulate, ReadOnlySpan<T> bias, bool relu, GemmMode mode, PackedWeights<T>? packedB = null, FiniteCheck? finite = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        fixed (int* pf = &(finite ?? FiniteCheck.None).NonFinite)
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        fixed (T* pbias = bias)
        fixed (T* pp = packedB is null ? default : packedB.Buffer.AsSpan())
        {
            var o = new PackedGemm.Operands<T>
            {
                A = pa, Ars = ars, Acs = acs,
                B = pb, Brs = brs, Bcs = bcs,
                C = pc, Ldc = n,
                Bias = bias.IsEmpty ? null : pbias,
                M = m, N = n, K = k,
                Accumulate = accumulate, Relu = relu,
                PackedB = packedB is null || packedB.Buffer.Length == 0 ? null : pp,
                PackNow = packedB is { IsCurrent: false },
                NonFinite = finite is null ? null : pf,
            };
            PackedGemm.Run(o, mode == GemmMode.PackedParallel);
            if (packedB is not null)
            {
                packedB.IsCurrent = true;
            }
        }
    }

    private static void Validate(int aLength, int bLength, int cLength, int m, int n, int k, long bRequired)
    {
        ThrowHelper.RequireNonNegative(m, nameof(m));
        ThrowHelper.RequireNonNegative(n, nameof(n));
        ThrowHelper.RequireNonNegative(k, nameof(k));
        ThrowHelper.RequireLength(aLength, (long)m * k, "a");
        ThrowHelper.RequireLength(bLength, bRequired, "b");
        ThrowHelper.RequireLength(cLength, (long)m * n, "c");
    }

    // ---------------------------------------------------------------------------------------------------
    // NN / TN: broadcast A, vector rows of B.
    // ---------------------------------------------------------------------------------------------------

    private static void Broadcast<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, int rowStride, int depthStride, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T rc = ref MemoryMarshal.GetReference(c);
        int done = 0;
        if (Simd512<T>.IsAccelerated)
        {
            done = BroadcastPanel<T, Simd512<T>, Vector512<T>>(ref ra, rowStride, depthStride, ref rb, ref rc, m, n, k, 0, accumulate);
        }
        else if (Simd256<T>.IsAccelerated)
        {
            done = BroadcastPanel<T, Simd256<T>, Vector256<T>>(ref ra, rowStride, depthStride, ref rb, ref rc, m, n, k, 0, accumulate);
        }
        else if (Simd128<T>.IsAccelerated)
        {
            done = BroadcastPanel<T, Simd128<T>, Vector128<T>>(ref ra, rowStride, depthStride, ref rb, ref rc, m, n, k, 0, accumulate);
        }

        // The columns left over (fewer than one register) go through the same kernel with one-lane "registers".
        if (done < n)
        {
            BroadcastPanel<T, Scalar<T>, T>(ref ra, rowStride, depthStride, ref rb, ref rc, m, n, k, done, accumulate);
        }
    }

    /// <summary>Computes columns [<paramref name="jStart"/>, returned value) of C: as many as fill whole registers.</summary>
    internal static int BroadcastPanel<T, TS, TV>(ref T a, nint rowStride, nint depthStride, ref T b, ref T c, int m, int n, int k, int jStart, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        int w = TS.Count;
        int jEnd = jStart + ((n - jStart) / w * w);
        int i = 0;
        for (; i <= m - 4; i += 4)
        {
            ref T ai = ref Unsafe.Add(ref a, i * rowStride);
            ref T ci = ref Unsafe.Add(ref c, (nint)i * n);
            int j = jStart;
            for (; j <= jEnd - (2 * w); j += 2 * w)
            {
                Block4x2<T, TS, TV>(ref ai, rowStride, depthStride, ref Unsafe.Add(ref b, j), ref Unsafe.Add(ref ci, j), n, k, accumulate);
            }
            for (; j < jEnd; j += w)
            {
                Block4x1<T, TS, TV>(ref ai, rowStride, depthStride, ref Unsafe.Add(ref b, j), ref Unsafe.Add(ref ci, j), n, k, accumulate);
            }
        }
        for (; i < m; i++)
        {
            ref T ai = ref Unsafe.Add(ref a, i * rowStride);
            ref T ci = ref Unsafe.Add(ref c, (nint)i * n);
            int j = jStart;
            for (; j <= jEnd - (2 * w); j += 2 * w)
            {
                Block1x2<T, TS, TV>(ref ai, depthStride, ref Unsafe.Add(ref b, j), ref Unsafe.Add(ref ci, j), n, k, accumulate);
            }
            for (; j < jEnd; j += w)
            {
                Block1x1<T, TS, TV>(ref ai, depthStride, ref Unsafe.Add(ref b, j), ref Unsafe.Add(ref ci, j), n, k, accumulate);
            }
        }
        return jEnd;
    }

    /// <summary>C[0..4, 0..2w] (+)= Σ_p A(r, p) · B[p, 0..2w]; <c>n</c> is the row stride of B and C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x2<T, TS, TV>(ref T a, nint rowStride, nint depthStride, ref T b, ref T c, nint n, int k, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        ref T c0 = ref c;
        ref T c1 = ref Unsafe.Add(ref c0, n);
        ref T c2 = ref Unsafe.Add(ref c1, n);
        ref T c3 = ref Unsafe.Add(ref c2, n);
        TV s00 = TS.Zero, s01 = TS.Zero, s10 = TS.Zero, s11 = TS.Zero;
        TV s20 = TS.Zero, s21 = TS.Zero, s30 = TS.Zero, s31 = TS.Zero;
        if (accumulate)
        {
            s00 = TS.Load(ref c0); s01 = TS.Load(ref Unsafe.Add(ref c0, w));
            s10 = TS.Load(ref c1); s11 = TS.Load(ref Unsafe.Add(ref c1, w));
            s20 = TS.Load(ref c2); s21 = TS.Load(ref Unsafe.Add(ref c2, w));
            s30 = TS.Load(ref c3); s31 = TS.Load(ref Unsafe.Add(ref c3, w));
        }

        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a0, rowStride);
        ref T a2 = ref Unsafe.Add(ref a1, rowStride);
        ref T a3 = ref Unsafe.Add(ref a2, rowStride);
        ref T bp = ref b;
        nint ap = 0;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TS.Load(ref bp);
            TV b1 = TS.Load(ref Unsafe.Add(ref bp, w));
            TV x = TS.Broadcast(Unsafe.Add(ref a0, ap));
            s00 = TS.MultiplyAdd(x, b0, s00); s01 = TS.MultiplyAdd(x, b1, s01);
            x = TS.Broadcast(Unsafe.Add(ref a1, ap));
            s10 = TS.MultiplyAdd(x, b0, s10); s11 = TS.MultiplyAdd(x, b1, s11);
            x = TS.Broadcast(Unsafe.Add(ref a2, ap));
            s20 = TS.MultiplyAdd(x, b0, s20); s21 = TS.MultiplyAdd(x, b1, s21);
            x = TS.Broadcast(Unsafe.Add(ref a3, ap));
            s30 = TS.MultiplyAdd(x, b0, s30); s31 = TS.MultiplyAdd(x, b1, s31);
            bp = ref Unsafe.Add(ref bp, n);
            ap += depthStride;
        }

        TS.Store(s00, ref c0); TS.Store(s01, ref Unsafe.Add(ref c0, w));
        TS.Store(s10, ref c1); TS.Store(s11, ref Unsafe.Add(ref c1, w));
        TS.Store(s20, ref c2); TS.Store(s21, ref Unsafe.Add(ref c2, w));
        TS.Store(s30, ref c3); TS.Store(s31, ref Unsafe.Add(ref c3, w));
    }

    /// <summary>C[0..4, 0..w] (+)= Σ_p A(r, p) · B[p, 0..w].</summary>
    private static void Block4x1<T, TS, TV>(ref T a, nint rowStride, nint depthStride, ref T b, ref T c, nint n, int k, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        ref T c0 = ref c;
        ref T c1 = ref Unsafe.Add(ref c0, n);
        ref T c2 = ref Unsafe.Add(ref c1, n);
        ref T c3 = ref Unsafe.Add(ref c2, n);
        TV s0 = accumulate ? TS.Load(ref c0) : TS.Zero;
        TV s1 = accumulate ? TS.Load(ref c1) : TS.Zero;
        TV s2 = accumulate ? TS.Load(ref c2) : TS.Zero;
        TV s3 = accumulate ? TS.Load(ref c3) : TS.Zero;

        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a0, rowStride);
        ref T a2 = ref Unsafe.Add(ref a1, rowStride);
        ref T a3 = ref Unsafe.Add(ref a2, rowStride);
        ref T bp = ref b;
        nint ap = 0;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TS.Load(ref bp);
            s0 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref a0, ap)), b0, s0);
            s1 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref a1, ap)), b0, s1);
            s2 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref a2, ap)), b0, s2);
            s3 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref a3, ap)), b0, s3);
            bp = ref Unsafe.Add(ref bp, n);
            ap += depthStride;
        }

        TS.Store(s0, ref c0);
        TS.Store(s1, ref c1);
        TS.Store(s2, ref c2);
        TS.Store(s3, ref c3);
    }

    /// <summary>C[0, 0..2w] (+)= Σ_p A(0, p) · B[p, 0..2w].</summary>
    private static void Block1x2<T, TS, TV>(ref T a, nint depthStride, ref T b, ref T c, nint n, int k, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        nint w = TS.Count;
        TV s0 = accumulate ? TS.Load(ref c) : TS.Zero;
        TV s1 = accumulate ? TS.Load(ref Unsafe.Add(ref c, w)) : TS.Zero;
        ref T bp = ref b;
        nint ap = 0;
        for (int p = 0; p < k; p++)
        {
            TV x = TS.Broadcast(Unsafe.Add(ref a, ap));
            s0 = TS.MultiplyAdd(x, TS.Load(ref bp), s0);
            s1 = TS.MultiplyAdd(x, TS.Load(ref Unsafe.Add(ref bp, w)), s1);
            bp = ref Unsafe.Add(ref bp, n);
            ap += depthStride;
        }

        TS.Store(s0, ref c);
        TS.Store(s1, ref Unsafe.Add(ref c, w));
    }

    /// <summary>C[0, 0..w] (+)= Σ_p A(0, p) · B[p, 0..w].</summary>
    private static void Block1x1<T, TS, TV>(ref T a, nint depthStride, ref T b, ref T c, nint n, int k, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s0 = accumulate ? TS.Load(ref c) : TS.Zero;
        ref T bp = ref b;
        nint ap = 0;
        for (int p = 0; p < k; p++)
        {
            s0 = TS.MultiplyAdd(TS.Broadcast(Unsafe.Add(ref a, ap)), TS.Load(ref bp), s0);
            bp = ref Unsafe.Add(ref bp, n);
            ap += depthStride;
        }

        TS.Store(s0, ref c);
    }

    // ---------------------------------------------------------------------------------------------------
    // NT: dot products along k, both operands contiguous.
    // ---------------------------------------------------------------------------------------------------

    /// <summary>C = A·Bᵀ over the whole matrix, in 2×4 output blocks plus edges.</summary>
    internal static void NT<T, TS, TV>(ref T a, ref T b, ref T c, int m, int n, int k, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        // The part of k that fills whole registers goes through TS; the rest (< one register) through the
        // same block instantiated with one-lane registers, added on top.
        int kv = k / TS.Count * TS.Count;
        bool tail = kv < k;
        int i = 0;
        for (; i <= m - 2; i += 2)
        {
            ref T ai = ref Unsafe.Add(ref a, (nint)i * k);
            ref T ci = ref Unsafe.Add(ref c, (nint)i * n);
            int j = 0;
            for (; j <= n - 4; j += 4)
            {
                ref T bj = ref Unsafe.Add(ref b, (nint)j * k);
                if (kv > 0 || !tail)
                {
                    Dot2x4<T, TS, TV>(ref ai, ref bj, ref Unsafe.Add(ref ci, j), k, n, kv, accumulate);
                }
                if (tail)
                {
                    Dot2x4<T, Scalar<T>, T>(ref Unsafe.Add(ref ai, kv), ref Unsafe.Add(ref bj, kv), ref Unsafe.Add(ref ci, j), k, n, k - kv, accumulate || kv > 0);
                }
            }
            if (j < n)
            {
                // The last 1-3 columns: one 2×(n−j) block, so the rows of A are read once for all of them.
                ref T bj = ref Unsafe.Add(ref b, (nint)j * k);
                Dot2xR<T, TS, TV>(ref ai, ref bj, ref Unsafe.Add(ref ci, j), k, n, kv, n - j, accumulate);
                if (tail)
                {
                    Dot2xR<T, Scalar<T>, T>(ref Unsafe.Add(ref ai, kv), ref Unsafe.Add(ref bj, kv), ref Unsafe.Add(ref ci, j), k, n, k - kv, n - j, true);
                }
            }
        }
        if (i < m)
        {
            // The last row when m is odd.
            ref T ai = ref Unsafe.Add(ref a, (nint)i * k);
            ref T ci = ref Unsafe.Add(ref c, (nint)i * n);
            int j = 0;
            for (; j <= n - 4; j += 4)
            {
                ref T bj = ref Unsafe.Add(ref b, (nint)j * k);
                Dot1x4<T, TS, TV>(ref ai, ref bj, ref Unsafe.Add(ref ci, j), k, kv, accumulate);
                if (tail)
                {
                    Dot1x4<T, Scalar<T>, T>(ref Unsafe.Add(ref ai, kv), ref Unsafe.Add(ref bj, kv), ref Unsafe.Add(ref ci, j), k, k - kv, true);
                }
            }
            for (; j < n; j++)
            {
                ref T bj = ref Unsafe.Add(ref b, (nint)j * k);
                ref T cij = ref Unsafe.Add(ref ci, j);
                T s = Dot<T, TS, TV>(ref ai, ref bj, kv);
                if (tail)
                {
                    s += Dot<T, Scalar<T>, T>(ref Unsafe.Add(ref ai, kv), ref Unsafe.Add(ref bj, kv), k - kv);
                }
                cij = accumulate ? cij + s : s;
            }
        }
    }

    /// <summary>C[r, c] (+)= Σ_{p&lt;length} A[r, p] · B[c, p] for r in 0..2, c in 0..4; rows of A and B are <paramref name="ld"/> apart, rows of C <paramref name="ldc"/>.</summary>
    /// <remarks>8 accumulators, 2 + 1 operand registers: fits the 16 registers of AVX2 without spilling (a 4×4 block
    /// needs 21 and ran at half the speed on Zen 3).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2x4<T, TS, TV>(ref T a, ref T b, ref T c, nint ld, nint ldc, int length, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s00 = TS.Zero, s01 = TS.Zero, s02 = TS.Zero, s03 = TS.Zero;
        TV s10 = TS.Zero, s11 = TS.Zero, s12 = TS.Zero, s13 = TS.Zero;
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a0, ld);
        ref T b0 = ref b;
        ref T b1 = ref Unsafe.Add(ref b0, ld);
        ref T b2 = ref Unsafe.Add(ref b1, ld);
        ref T b3 = ref Unsafe.Add(ref b2, ld);
        nint w = TS.Count;
        for (nint p = 0; p < length; p += w)
        {
            TV x0 = TS.Load(ref Unsafe.Add(ref a0, p));
            TV x1 = TS.Load(ref Unsafe.Add(ref a1, p));
            TV y = TS.Load(ref Unsafe.Add(ref b0, p));
            s00 = TS.MultiplyAdd(x0, y, s00); s10 = TS.MultiplyAdd(x1, y, s10);
            y = TS.Load(ref Unsafe.Add(ref b1, p));
            s01 = TS.MultiplyAdd(x0, y, s01); s11 = TS.MultiplyAdd(x1, y, s11);
            y = TS.Load(ref Unsafe.Add(ref b2, p));
            s02 = TS.MultiplyAdd(x0, y, s02); s12 = TS.MultiplyAdd(x1, y, s12);
            y = TS.Load(ref Unsafe.Add(ref b3, p));
            s03 = TS.MultiplyAdd(x0, y, s03); s13 = TS.MultiplyAdd(x1, y, s13);
        }

        TS.StoreSums(ref c, s00, s01, s02, s03, accumulate);
        TS.StoreSums(ref Unsafe.Add(ref c, ldc), s10, s11, s12, s13, accumulate);
    }

    /// <summary>C[r, c] (+)= Σ_{p&lt;length} A[r, p] · B[c, p] for r in 0..2, c in 0..<paramref name="cols"/> (1 to 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2xR<T, TS, TV>(ref T a, ref T b, ref T c, nint ld, nint ldc, int length, int cols, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s00 = TS.Zero, s01 = TS.Zero, s02 = TS.Zero, s10 = TS.Zero, s11 = TS.Zero, s12 = TS.Zero;
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a0, ld);
        ref T b0 = ref b;
        ref T b1 = ref Unsafe.Add(ref b0, cols > 1 ? ld : 0);
        ref T b2 = ref Unsafe.Add(ref b0, cols > 2 ? 2 * ld : 0);
        nint w = TS.Count;
        for (nint p = 0; p < length; p += w)
        {
            TV x0 = TS.Load(ref Unsafe.Add(ref a0, p));
            TV x1 = TS.Load(ref Unsafe.Add(ref a1, p));
            TV y = TS.Load(ref Unsafe.Add(ref b0, p));
            s00 = TS.MultiplyAdd(x0, y, s00); s10 = TS.MultiplyAdd(x1, y, s10);
            y = TS.Load(ref Unsafe.Add(ref b1, p));
            s01 = TS.MultiplyAdd(x0, y, s01); s11 = TS.MultiplyAdd(x1, y, s11);
            y = TS.Load(ref Unsafe.Add(ref b2, p));
            s02 = TS.MultiplyAdd(x0, y, s02); s12 = TS.MultiplyAdd(x1, y, s12);
        }

        // Columns past cols read B's first row again (harmless) and are not stored.
        ref T c0 = ref c;
        ref T c1 = ref Unsafe.Add(ref c, ldc);
        c0 = accumulate ? c0 + TS.Sum(s00) : TS.Sum(s00);
        c1 = accumulate ? c1 + TS.Sum(s10) : TS.Sum(s10);
        if (cols > 1)
        {
            Unsafe.Add(ref c0, 1) = accumulate ? Unsafe.Add(ref c0, 1) + TS.Sum(s01) : TS.Sum(s01);
            Unsafe.Add(ref c1, 1) = accumulate ? Unsafe.Add(ref c1, 1) + TS.Sum(s11) : TS.Sum(s11);
        }
        if (cols > 2)
        {
            Unsafe.Add(ref c0, 2) = accumulate ? Unsafe.Add(ref c0, 2) + TS.Sum(s02) : TS.Sum(s02);
            Unsafe.Add(ref c1, 2) = accumulate ? Unsafe.Add(ref c1, 2) + TS.Sum(s12) : TS.Sum(s12);
        }
    }

    /// <summary>C[0, c] (+)= Σ_{p&lt;length} A[0, p] · B[c, p] for c in 0..4.</summary>
    private static void Dot1x4<T, TS, TV>(ref T a, ref T b, ref T c, nint ld, int length, bool accumulate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
        ref T b0 = ref b;
        ref T b1 = ref Unsafe.Add(ref b0, ld);
        ref T b2 = ref Unsafe.Add(ref b1, ld);
        ref T b3 = ref Unsafe.Add(ref b2, ld);
        nint w = TS.Count;
        for (nint p = 0; p < length; p += w)
        {
            TV x = TS.Load(ref Unsafe.Add(ref a, p));
            s0 = TS.MultiplyAdd(x, TS.Load(ref Unsafe.Add(ref b0, p)), s0);
            s1 = TS.MultiplyAdd(x, TS.Load(ref Unsafe.Add(ref b1, p)), s1);
            s2 = TS.MultiplyAdd(x, TS.Load(ref Unsafe.Add(ref b2, p)), s2);
            s3 = TS.MultiplyAdd(x, TS.Load(ref Unsafe.Add(ref b3, p)), s3);
        }

        TS.StoreSums(ref c, s0, s1, s2, s3, accumulate);
    }

    /// <summary>Σ_{p&lt;length} x[p] · y[p] (length a multiple of the register width).</summary>
    private static T Dot<T, TS, TV>(ref T x, ref T y, int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        TV s = TS.Zero;
        nint w = TS.Count;
        for (nint p = 0; p < length; p += w)
        {
            s = TS.MultiplyAdd(TS.Load(ref Unsafe.Add(ref x, p)), TS.Load(ref Unsafe.Add(ref y, p)), s);
        }
        return TS.Sum(s);
    }
}
