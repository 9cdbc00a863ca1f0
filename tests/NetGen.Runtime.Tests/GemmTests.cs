using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class GemmTests
{
    public enum Layout { NN, NT, TN }

    // Sizes include 1, 0, and values that are not multiples of any register width (4, 8, 16 lanes).
    public static TheoryData<int, int, int> Sizes => new()
    {
        { 1, 1, 1 }, { 1, 7, 3 }, { 3, 1, 5 }, { 4, 4, 4 }, { 5, 17, 9 }, { 7, 33, 31 }, { 13, 65, 100 },
        { 64, 10, 128 }, { 9, 40, 1 }, { 2, 3, 0 }, { 0, 3, 4 }, { 3, 0, 4 }, { 31, 47, 257 }, { 8, 32, 16 },
    };

    /// <summary>Every kernel is checked at every size, whatever <see cref="Gemm.Choose"/> would pick.</summary>
    public static readonly GemmMode[] Modes = [GemmMode.Auto, GemmMode.Direct, GemmMode.Packed, GemmMode.PackedParallel];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatMul_Float_MatchesReference(int m, int n, int k)
    {
        foreach (Layout layout in Enum.GetValues<Layout>())
        {
            foreach (GemmMode mode in Modes)
            {
                Check<float>(layout, m, n, k, accumulate: false, mode);
                Check<float>(layout, m, n, k, accumulate: true, mode);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatMul_Double_MatchesReference(int m, int n, int k)
    {
        foreach (Layout layout in Enum.GetValues<Layout>())
        {
            foreach (GemmMode mode in Modes)
            {
                Check<double>(layout, m, n, k, accumulate: false, mode);
                Check<double>(layout, m, n, k, accumulate: true, mode);
            }
        }
    }

    [Fact]
    public void MatMul_RandomSizes_MatchReference()
    {
        var random = new Random(2024);
        for (int trial = 0; trial < 40; trial++)
        {
            int m = random.Next(1, 40), n = random.Next(1, 70), k = random.Next(0, 90);
            var layout = (Layout)random.Next(3);
            bool accumulate = random.Next(2) == 1;
            var mode = Modes[random.Next(Modes.Length)];
            Check<float>(layout, m, n, k, accumulate, mode);
            Check<double>(layout, m, n, k, accumulate, mode);
        }
    }

    [Fact]
    public void MatMulNN_HandExample()
    {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        float[] c = [100, 100, 100, 100];
        Gemm.MatMulNN<float>([1, 2, 3, 4], [5, 6, 7, 8], c, 2, 2, 2, accumulate: false);
        Assert.Equal([19f, 22f, 43f, 50f], c);
        Gemm.MatMulNN<float>([1, 2, 3, 4], [5, 6, 7, 8], c, 2, 2, 2, accumulate: true);
        Assert.Equal([38f, 44f, 86f, 100f], c);
    }

    [Fact]
    public void MatMul_DoesNotWriteOutsideC()
    {
        float[] c = new float[3 * 5 + 4];
        Array.Fill(c, 7f);
        Gemm.MatMulNT(TestUtil.Random<float>(3 * 6, 1), TestUtil.Random<float>(5 * 6, 2), c.AsSpan(0, 15), 3, 5, 6, false);
        Assert.Equal([7f, 7f, 7f, 7f], c[15..]);
    }

    [Fact]
    public void MatMul_TooShortSpans_ThrowNamingTheArgument()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.MatMulNT<float>(a.AsSpan(0, 5), b, c, 2, 2, 3, false)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.MatMulNN<float>(a, b.AsSpan(0, 5), c, 2, 2, 3, false)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.MatMulTN<float>(a, b, c.AsSpan(0, 3), 2, 2, 3, false)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MatMulNN<float>(a, b, c, -1, 2, 3, false)).ParamName);
    }

    // Every register width is checked on every machine: the kernels are instantiated directly for
    // Vector512/256/128 (software-emulated where the hardware lacks them) and for one-lane scalars.
    [Theory]
    [InlineData(17, 45, 37)]
    [InlineData(4, 64, 64)]
    [InlineData(6, 3, 70)]
    public void AllRegisterWidths_MatchReference(int m, int n, int k)
    {
        CheckWidth<Simd512<float>, Vector512<float>, float>(m, n, k);
        CheckWidth<Simd256<float>, Vector256<float>, float>(m, n, k);
        CheckWidth<Simd128<float>, Vector128<float>, float>(m, n, k);
        CheckWidth<Scalar<float>, float, float>(m, n, k);
        CheckWidth<Simd512<double>, Vector512<double>, double>(m, n, k);
        CheckWidth<Simd256<double>, Vector256<double>, double>(m, n, k);
        CheckWidth<Simd128<double>, Vector128<double>, double>(m, n, k);
        CheckWidth<Scalar<double>, double, double>(m, n, k);
    }

    private static void CheckWidth<TS, TV, T>(int m, int n, int k)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        T[] a = TestUtil.Random<T>(m * k, 11), b = TestUtil.Random<T>(n * k, 12);
        double[] ad = TestUtil.ToDouble<T>(a), bd = TestUtil.ToDouble<T>(b);
        double tolerance = 4 * (k + 2) * TestUtil.Epsilon<T>();

        // NT
        T[] c = TestUtil.Random<T>(m * n, 13);
        double[] c0 = TestUtil.ToDouble<T>(c);
        Gemm.NT<T, TS, TV>(ref a[0], ref b[0], ref c[0], m, n, k, accumulate: true);
        (double[] expected, double[] magnitude) = TestUtil.Reference(m, n, k, (i, p) => ad[i * k + p], (p, j) => bd[j * k + p]);
        AssertGemm(expected, magnitude, c0, c, tolerance, $"NT {typeof(TV).Name}");

        // NN through the broadcast panel of this width, then one-lane columns for the rest.
        c = TestUtil.Random<T>(m * n, 14);
        c0 = TestUtil.ToDouble<T>(c);
        int done = Gemm.BroadcastPanel<T, TS, TV>(ref a[0], k, 1, ref b[0], ref c[0], m, n, k, 0, accumulate: true);
        Gemm.BroadcastPanel<T, Scalar<T>, T>(ref a[0], k, 1, ref b[0], ref c[0], m, n, k, done, accumulate: true);
        (expected, magnitude) = TestUtil.Reference(m, n, k, (i, p) => ad[i * k + p], (p, j) => bd[p * n + j]);
        AssertGemm(expected, magnitude, c0, c, tolerance, $"NN {typeof(TV).Name}");
    }

    internal static void Check<T>(Layout layout, int m, int n, int k, bool accumulate, GemmMode mode)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] a = TestUtil.Random<T>(m * k, m + (7 * n) + (13 * k));
        T[] b = TestUtil.Random<T>(n * k, (3 * m) + n + k + 1);
        T[] c = TestUtil.Random<T>(m * n, 99);
        double[] ad = TestUtil.ToDouble<T>(a), bd = TestUtil.ToDouble<T>(b), c0 = TestUtil.ToDouble<T>(c);

        (double[] expected, double[] magnitude) = layout switch
        {
            // A[m,k] · B[k,n]
            Layout.NN => TestUtil.Reference(m, n, k, (i, p) => ad[i * k + p], (p, j) => bd[p * n + j]),
            // A[m,k] · B[n,k]ᵀ
            Layout.NT => TestUtil.Reference(m, n, k, (i, p) => ad[i * k + p], (p, j) => bd[j * k + p]),
            // A[k,m]ᵀ · B[k,n]
            _ => TestUtil.Reference(m, n, k, (i, p) => ad[p * m + i], (p, j) => bd[p * n + j]),
        };

        switch (layout)
        {
            case Layout.NN: Gemm.MatMulNN<T>(a, b, c, m, n, k, accumulate, mode); break;
            case Layout.NT: Gemm.MatMulNT<T>(a, b, c, m, n, k, accumulate, mode); break;
            default: Gemm.MatMulTN<T>(a, b, c, m, n, k, accumulate, mode); break;
        }

        AssertGemm(expected, magnitude, accumulate ? c0 : null, c, 4 * (k + 2) * TestUtil.Epsilon<T>(), $"{layout} {mode} {typeof(T).Name} m={m} n={n} k={k} accumulate={accumulate}");
    }

    internal static void AssertGemm<T>(double[] expected, double[] magnitude, double[]? initial, T[] actual, double relative, string what)
        where T : IBinaryFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i] + (initial?[i] ?? 0.0);
            double bound = relative * (magnitude[i] + Math.Abs(initial?[i] ?? 0.0)) + 1e-300;
            double a = double.CreateTruncating(actual[i]);
            if (!(Math.Abs(a - e) <= bound))
            {
                Assert.Fail($"{what}: C[{i}] expected {e:R}, got {a:R} (bound {bound:G3}).");
            }
        }
    }
}
