using System.Numerics;
using System.Runtime.Intrinsics;
using NetGen.Kernels;
using static NetGen.Runtime.Tests.GemmTests;

namespace NetGen.Runtime.Tests;

/// <summary>The packed, cache-blocked GEMM: block edges, the fused epilogue, every register width, and the promise
/// that the result does not depend on how many threads compute it.</summary>
public class PackedGemmTests
{
    // Sizes that cross the row block (MC), the depth block (KC), the column block (NC = 4096) and every micro-tile edge
    // (MR = 6 rows, NR = 16/32 columns), plus the shapes of the benchmark MLP. Written in terms of the constants, so a
    // retuned block size is still crossed.
    public static TheoryData<int, int, int> BlockSizes => new()
    {
        { (2 * PackedGemm.MC) + 6, 40, PackedGemm.KC + 44 }, { PackedGemm.MC + 1, 33, PackedGemm.KC + 1 }, { 6, 16, PackedGemm.KC },
        { 7, 17, (2 * PackedGemm.KC) + 1 }, { 5, 4100, 3 }, { 64, 256, 784 }, { 300, 100, 3 }, { 12, 32, 1 },
    };

    [Theory]
    [MemberData(nameof(BlockSizes))]
    public void Packed_AcrossBlocks_MatchesReference(int m, int n, int k)
    {
        foreach (Layout layout in Enum.GetValues<Layout>())
        {
            foreach (GemmMode mode in new[] { GemmMode.Packed, GemmMode.PackedParallel })
            {
                Check<float>(layout, m, n, k, accumulate: layout == Layout.TN, mode);
                Check<double>(layout, m, n, k, accumulate: layout != Layout.TN, mode);
            }
        }
    }

    [Theory]
    [InlineData(64, 256, 784)]
    [InlineData(150, 70, 1100)]
    [InlineData(9, 4200, 20)]
    [InlineData(512, 64, 40)]
    public void Packed_SameBitsForEveryThreadCount(int m, int n, int k)
    {
        float[] a = TestUtil.Random<float>(m * k, 1), b = TestUtil.Random<float>(k * n, 2), bias = TestUtil.Random<float>(n, 3);
        float[] initial = TestUtil.Random<float>(m * n, 4);

        // One thread, through the public API.
        float[] one = (float[])initial.Clone();
        Gemm.MatMulNN<float>(a, b, one, m, n, k, accumulate: true, GemmMode.Packed);

        // Every core, through the public API.
        float[] all = (float[])initial.Clone();
        Gemm.MatMulNN<float>(a, b, all, m, n, k, accumulate: true, GemmMode.PackedParallel);
        AssertSameBits(one, all, "PackedParallel");

        // 2…7 parts computed one after the other: the same split a machine with that many cores would make.
        for (int parts = 2; parts <= 7; parts++)
        {
            float[] split = (float[])initial.Clone();
            RunSplit(a, b, split, m, n, k, parts);
            AssertSameBits(one, split, $"{parts} parts");
        }

        // And with the fused bias + ReLU epilogue.
        float[] fusedOne = (float[])initial.Clone(), fusedAll = (float[])initial.Clone();
        Gemm.Packed<float>(a, k, 1, b, n, 1, fusedOne, m, n, k, false, bias, true, GemmMode.Packed);
        Gemm.Packed<float>(a, k, 1, b, n, 1, fusedAll, m, n, k, false, bias, true, GemmMode.PackedParallel);
        AssertSameBits(fusedOne, fusedAll, "fused epilogue");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RowsOfThePartialLastPanel_HaveTheBitsOfAFullPanel(int edge)
    {
        // 6 + edge rows: the last `edge` rows form a partial panel (the 4-row kernel for 1–4, the 6-row one for 5). With
        // 12 rows the same rows sit in a full panel. Every column width of the tile is crossed (n = 40).
        const int n = 40, k = 300, full = 2 * PackedGemm.MR;
        int m = PackedGemm.MR + edge;
        float[] a = TestUtil.Random<float>(full * k, 1), b = TestUtil.Random<float>(n * k, 2), initial = TestUtil.Random<float>(full * n, 3);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] part = initial[..(m * n)], whole = (float[])initial.Clone();
            Gemm.MatMulNT<float>(a.AsSpan(0, m * k), b, part, m, n, k, accumulate, GemmMode.Packed);
            Gemm.MatMulNT<float>(a, b, whole, full, n, k, accumulate, GemmMode.Packed);
            AssertSameBits(whole[..(m * n)], part, $"{edge} edge rows, accumulate {accumulate}");
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 33, 257)]
    [InlineData(300, 100, 2)]
    [InlineData(8, 3, 0)]
    public void Packed_BiasAndReLUEpilogue_MatchesReference(int m, int n, int k)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            foreach (bool relu in new[] { false, true })
            {
                EpilogueCase<float>(m, n, k, accumulate, relu);
                EpilogueCase<double>(m, n, k, accumulate, relu);
            }
        }
    }

    [Theory]
    [InlineData(17, 45, 37)]
    [InlineData(150, 70, 300)]
    [InlineData(20, 19, 40)] // TN: the last whole-register copy of packed A reads A's last row
    public unsafe void Packed_EveryRegisterWidth_MatchesReference(int m, int n, int k)
    {
        Width<Simd512<float>, Vector512<float>, float>(m, n, k);
        Width<Simd256<float>, Vector256<float>, float>(m, n, k);
        Width<Simd128<float>, Vector128<float>, float>(m, n, k);
        Width<Scalar<float>, float, float>(m, n, k);
        Width<Simd512<double>, Vector512<double>, double>(m, n, k);
        Width<Simd256<double>, Vector256<double>, double>(m, n, k);
        Width<Simd128<double>, Vector128<double>, double>(m, n, k);
        Width<Scalar<double>, double, double>(m, n, k);
    }

    [Fact]
    public void Split_CoversEveryElementOnce()
    {
        foreach ((int m, int n) in new[] { (1, 1), (64, 256), (300, 3), (7, 4100), (512, 512), (6, 16), (100, 33) })
        {
            for (int parts = 1; parts <= 9; parts++)
            {
                var count = new int[m * n];
                for (int part = 0; part < parts; part++)
                {
                    PackedGemm.Split(m, n, 16, part, parts, out int i0, out int i1, out int j0, out int j1);
                    Assert.True(i0 <= i1 && j0 <= j1, $"m={m} n={n} part {part}/{parts}: empty ranges must not be inverted");
                    for (int i = i0; i < i1; i++)
                    {
                        for (int j = j0; j < j1; j++)
                        {
                            count[(i * n) + j]++;
                        }
                    }
                }
                Assert.All(count, c => Assert.Equal(1, c));
            }
        }
    }

    [Fact]
    public void Parallel_CallersOnSeveralThreads_AllGetTheirOwnResult()
    {
        // Only one caller holds the workers; the others compute on their own thread. Every result must be exact.
        const int m = 96, n = 128, k = 200;
        float[] a = TestUtil.Random<float>(m * k, 5), b = TestUtil.Random<float>(n * k, 6);
        float[] expected = new float[m * n];
        Gemm.MatMulNT<float>(a, b, expected, m, n, k, accumulate: false, GemmMode.Packed);

        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            var c = new float[m * n];
            for (int repeat = 0; repeat < 20; repeat++)
            {
                Gemm.MatMulNT<float>(a, b, c, m, n, k, accumulate: false, GemmMode.PackedParallel);
                if (!c.AsSpan().SequenceEqual(expected))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
    }

    [Theory]
    [InlineData(1, 784, 256, GemmMode.Direct)]   // batch-1 inference: no packing
    [InlineData(5, 100, 100, GemmMode.Direct)]   // fewer rows than the micro-kernel
    [InlineData(300, 100, 2, GemmMode.Direct)]   // k under 4
    [InlineData(300, 3, 100, GemmMode.Direct)]   // n under 4
    [InlineData(16, 32, 32, GemmMode.Direct)]    // 2^14 multiply-adds
    [InlineData(64, 128, 10, GemmMode.Packed)]
    [InlineData(64, 256, 784, GemmMode.PackedParallel)]
    public void Choose_FollowsTheDocumentedRule(int m, int n, int k, GemmMode expected) =>
        Assert.Equal(expected, Gemm.Choose(m, n, k));

    private static unsafe void RunSplit(float[] a, float[] b, float[] c, int m, int n, int k, int parts)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            var o = new PackedGemm.Operands<float> { A = pa, Ars = k, Acs = 1, B = pb, Brs = n, Bcs = 1, C = pc, Ldc = n, M = m, N = n, K = k, Accumulate = true };
            for (int part = 0; part < parts; part++)
            {
                PackedGemm.Split(m, n, PackedGemm.NR<float>(), part, parts, out int i0, out int i1, out int j0, out int j1);
                if (i0 < i1 && j0 < j1)
                {
                    PackedGemm.Range(o, i0, i1, j0, j1);
                }
            }
        }
    }

    private static void EpilogueCase<T>(int m, int n, int k, bool accumulate, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] a = TestUtil.Random<T>(m * k, 21), b = TestUtil.Random<T>(n * k, 22), bias = TestUtil.Random<T>(n, 23);
        T[] c = TestUtil.Random<T>(m * n, 24);
        double[] ad = TestUtil.ToDouble<T>(a), bd = TestUtil.ToDouble<T>(b), biasd = TestUtil.ToDouble<T>(bias), c0 = TestUtil.ToDouble<T>(c);

        // C = relu((accumulate ? C : 0) + A·Bᵀ + bias), B as [n, k] like a Dense weight.
        Gemm.Packed<T>(a, k, 1, b, 1, k, c, m, n, k, accumulate, bias, relu, GemmMode.Packed);
        (double[] product, double[] magnitude) = TestUtil.Reference(m, n, k, (i, p) => ad[i * k + p], (p, j) => bd[j * k + p]);
        for (int i = 0; i < m * n; i++)
        {
            double expected = (accumulate ? c0[i] : 0) + product[i] + biasd[i % n];
            expected = relu ? Math.Max(expected, 0) : expected;
            double bound = 4 * (k + 3) * TestUtil.Epsilon<T>() * (magnitude[i] + Math.Abs(c0[i]) + Math.Abs(biasd[i % n])) + 1e-300;
            double actual = double.CreateTruncating(c[i]);
            Assert.True(Math.Abs(actual - expected) <= bound, $"{typeof(T).Name} m={m} n={n} k={k} acc={accumulate} relu={relu}: C[{i}] expected {expected:R}, got {actual:R}");
        }
    }

    private static unsafe void Width<TS, TV, T>(int m, int n, int k)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        T[] a = TestUtil.Random<T>(m * k, 31), b = TestUtil.Random<T>(n * k, 32), c = TestUtil.Random<T>(m * n, 33);
        double[] ad = TestUtil.ToDouble<T>(a), bd = TestUtil.ToDouble<T>(b), c0 = TestUtil.ToDouble<T>(c);
        fixed (T* pa = a, pb = b, pc = c)
        {
            // NT layout (B = Wᵀ, the transposing pack) with C accumulated.
            var o = new PackedGemm.Operands<T> { A = pa, Ars = k, Acs = 1, B = pb, Brs = 1, Bcs = k, C = pc, Ldc = n, M = m, N = n, K = k, Accumulate = true };
            PackedGemm.Range<T, TS, TV>(o, 0, m, 0, n);
        }
        (double[] expected, double[] magnitude) = TestUtil.Reference(m, n, k, (i, p) => ad[i * k + p], (p, j) => bd[j * k + p]);
        AssertGemm(expected, magnitude, c0, c, 4 * (k + 2) * TestUtil.Epsilon<T>(), $"packed {typeof(TV).Name}");

        // TN layout (A packed from columns) overwriting C.
        c = TestUtil.Random<T>(m * n, 34);
        fixed (T* pa = a, pb = b, pc = c)
        {
            var o = new PackedGemm.Operands<T> { A = pa, Ars = 1, Acs = m, B = pb, Brs = n, Bcs = 1, C = pc, Ldc = n, M = m, N = n, K = k };
            PackedGemm.Range<T, TS, TV>(o, 0, m, 0, n);
        }
        (expected, magnitude) = TestUtil.Reference(m, n, k, (i, p) => ad[p * m + i], (p, j) => bd[p * n + j]);
        AssertGemm(expected, magnitude, null, c, 4 * (k + 2) * TestUtil.Epsilon<T>(), $"packed TN {typeof(TV).Name}");
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: C[{i}] = {actual[i]:R}, one thread gave {expected[i]:R}");
            }
        }
    }
}
