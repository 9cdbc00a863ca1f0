using System.Numerics;
using System.Runtime.InteropServices;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The 8-row panels of the packed GEMM on AVX-512 (ADR 0062), and the 12-row panels before them (off by default):
/// the same bits as the 6-row panels,
/// for float and double, at every edge (rows past the last 8-row panel, columns past the last register pair, the row
/// block MC, depth blocks), with bias, ReLU, accumulation and the non-finite check; and the same bits on 1, 2 and 8
/// threads (serial collection: the tests switch the kernel through a static flag).</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class EightRowPanelTests
{
    /// <summary>M, N, K: the benchmark MLP's three layers at batch 64 (8 panels, no edge), rows past the last 8-row
    /// panel (5, 6 + 1), 12-row panels (64 = 4·12 + 2·8, 72, 44 = 3·12 + 8), a partial register of columns, a second row block (MC = 72), three depth blocks.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 64, 256, 784 }, { 64, 128, 256 }, { 64, 10, 128 }, { 13, 40, 100 }, { 44, 33, 70 }, { 15, 33, PackedGemm.KC + 1 },
        { PackedGemm.MC + 17, 70, 300 }, { 9, 48, (2 * PackedGemm.KC) + 3 }, { 8, 16, 1 }, { 7, 64, 50 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EightRowPanels_GiveTheBitsOfTheSixRowPanels(int m, int n, int k)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            foreach (GemmMode mode in new[] { GemmMode.Packed, GemmMode.PackedParallel })
            {
                CompareBits<float>(m, n, k, accumulate, mode);
                CompareBits<double>(m, n, k, accumulate, mode);
            }
        }
    }

    [Fact]
    public void EightRowPanels_FlagANonFiniteValueAsTheSixRowPanelsDo()
    {
        const int m = 16, n = 32, k = 40;
        float[] a = TestUtil.Random<float>(m * k, 1), b = TestUtil.Random<float>(k * n, 2);
        a[(11 * k) + 3] = float.PositiveInfinity; // row 11: in the second 8-row panel
        foreach (bool eight in new[] { false, true })
        {
            var check = new FiniteCheck();
            float[] c = new float[m * n];
            Run(() => Gemm.Packed<float>(a, k, 1, b, n, 1, c, m, n, k, false, ReadOnlySpan<float>.Empty, false, GemmMode.Packed, finite: check), eight);
            Assert.False(check.AllFinite);
        }
    }

    [Fact]
    public void EightRowPanels_GiveTheSameBitsOnOneTwoAndEightThreads()
    {
        const int m = 64, n = 256, k = 784;
        float[] x = TestUtil.Random<float>(m * k, 3), w = TestUtil.Random<float>(n * k, 4), bias = TestUtil.Random<float>(n, 5);
        var packed = new PackedWeights<float>(k, n);
        float[] Forward(int threads)
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                float[] y = new float[m * n];
                Dense.Forward<float>(x, w, bias, y, m, k, n, GemmMode.PackedParallel, fuseReLU: true, packed: packed);
                Dense.Forward<float>(x, w, bias, y, m, k, n, GemmMode.PackedParallel, fuseReLU: true, packed: packed); // panels current
                return y;
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        Assert.True(PackedGemm.EightRowPanels);
        float[] one = Forward(1);
        Assert.Contains(one, v => v > 0);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), Forward(2).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), Forward(8).Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>C = A·Bᵀ (x·Wᵀ, A's rows contiguous: the 8-row path) with bias and ReLU, and with accumulation onto a
    /// random C, once per setting of the switch; the bits must agree, and both must agree with float64 at the type's
    /// precision (so two equally wrong kernels do not pass).</summary>
    private static void CompareBits<T>(int m, int n, int k, bool accumulate, GemmMode mode)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] a = TestUtil.Random<T>(m * k, 11), w = TestUtil.Random<T>(n * k, 12), bias = TestUtil.Random<T>(n, 13), c0 = TestUtil.Random<T>(m * n, 14);
        T[] Product(bool eight)
        {
            T[] c = (T[])c0.Clone();
            var packed = new PackedWeights<T>(k, n);
            Run(() => Gemm.Packed<T>(a, k, 1, w, 1, k, c, m, n, k, accumulate, bias, relu: !accumulate, mode, packed), eight); // packs
            T[] again = (T[])c0.Clone();
            Run(() => Gemm.Packed<T>(a, k, 1, w, 1, k, again, m, n, k, accumulate, bias, relu: !accumulate, mode, packed), eight); // reads the panels
            Assert.Equal(c, again);
            return c;
        }

        T[] six = Product(eight: false), eightRows = Product(eight: true);
        Assert.True(MemoryMarshal.AsBytes(six.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(eightRows.AsSpan())), "the 8-row panels changed the bits");
        T[] twelveRows;
        PackedGemm.TwelveRowPanels = true;
        try
        {
            twelveRows = Product(eight: true);
        }
        finally
        {
            PackedGemm.TwelveRowPanels = false;
        }
        Assert.True(MemoryMarshal.AsBytes(six.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(twelveRows.AsSpan())), "the 12-row panels changed the bits");
        double tolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-12;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? double.CreateChecked(c0[(i * n) + j]) : 0, scale = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double t = double.CreateChecked(a[(i * k) + p]) * double.CreateChecked(w[(j * k) + p]);
                    s += t;
                    scale += Math.Abs(t);
                }
                s += double.CreateChecked(bias[j]);
                scale += Math.Abs(double.CreateChecked(bias[j]));
                if (!accumulate)
                {
                    s = Math.Max(s, 0);
                }
                Assert.True(Math.Abs(double.CreateChecked(eightRows[(i * n) + j]) - s) <= tolerance * Math.Max(scale, 1), $"C[{i}, {j}] = {eightRows[(i * n) + j]}, float64 {s}");
            }
        }
    }

    private static void Run(Action product, bool eight)
    {
        bool previous = PackedGemm.EightRowPanels;
        PackedGemm.EightRowPanels = eight;
        try
        {
            product();
        }
        finally
        {
            PackedGemm.EightRowPanels = previous;
        }
    }
}
