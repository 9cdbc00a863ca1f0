using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>ADR 0060 (LeNet's training step on two cores): the dW of column matrices deeper than 128 rows (LeNet's conv2,
/// 500) on the tap kernel (<see cref="Conv2DTapGradient"/>) and, with it off, on the direct dW where the 512-bit kernel
/// serves them, each against float64, and the tap kernel the same on 1, 2 and 8 threads; and the im2col
/// runs copied on registers (and, for stride 1 without padding, one run per output row), the same values as the
/// <c>Span.CopyTo</c> runs of the general loop. In <see cref="KernelStateCollection"/>: the
/// tests switch kernels off and on.</summary>
[Collection(nameof(KernelStateCollection))]
public class LeNetConvTests
{
    /// <summary>C, H, W, O, Kh, Kw, batch: unpadded stride-1 geometries deeper than <see cref="Conv2D.DirectMaxDepth"/>.</summary>
    public static IEnumerable<object[]> DeepGeometries =>
    [
        [20, 12, 12, 50, 5, 5, 64], // LeNet's conv2: 500 rows, 8 groups of 8 samples
        [12, 9, 10, 9, 3, 4, 13],   // 144 rows, O = 9 (the last channel block overlaps), Kw = 4, groups of uneven size
        [16, 30, 20, 8, 3, 3, 3],   // 144 rows, long wide rows (the samples outside the blocks)
    ];

    [Theory]
    [MemberData(nameof(DeepGeometries))]
    public void DeepDwKernels_TakeTheirGeometries_AndOnlyThose(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        _ = batch;
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(g.ColumnRows > Conv2D.DirectMaxDepth);
        Assert.True(Conv2DTapGradient.Serves(g));
        Assert.False(Conv2DTapGradient.Serves(new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 1, 1))); // padded
        Assert.False(Conv2DTapGradient.Serves(new Conv2DGeometry(c, h, w, o, kh, kw, 2, 2, 0, 0))); // strided
        Assert.False(Conv2DTapGradient.Serves(new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0))); // LeNet's conv1: 25 rows, direct
        // With the tap kernel off: the direct dW of ADR 0056 where its 512-bit kernel serves the geometry.
        Assert.Equal(Simd512<float>.IsAccelerated, Conv2D.DirectWeightGradient<float>(g));
        try
        {
            Conv2D.DeepDirectWeightGradient = false;
            Assert.False(Conv2D.DirectWeightGradient<float>(g));
        }
        finally
        {
            Conv2D.DeepDirectWeightGradient = true;
        }
        // Padding keeps the GEMM dW: the direct kernels read x unpadded.
        Assert.False(Conv2D.DirectWeightGradient<float>(new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 1, 1)));
    }

    /// <summary>The geometries of <c>ConvDwCommentTests</c> (NetGen.Generator.Tests), whose generated comments name the dW
    /// kernel: the runtime takes the kernel the comment names.</summary>
    [Fact]
    public void DwKernelRules_AreTheGeneratedComments()
    {
        var lenetConv2 = new Conv2DGeometry(20, 12, 12, 16, 5, 5, 1, 1, 0, 0); // comment: Conv2DTapGradient
        var benchConv2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0); // comment: Conv2D, direct (512-bit where there)
        var padded = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 1, 1); // comment: no kernel named (GEMM on im2col)
        var pointwise = new Conv2DGeometry(1, 13, 13, 8, 1, 1, 1, 1, 0, 0); // comment: no kernel named
        Assert.True(Conv2DTapGradient.Serves(lenetConv2));
        Assert.False(Conv2DTapGradient.Serves(benchConv2));
        Assert.True(Conv2D.DirectWeightGradient<float>(benchConv2));
        Assert.Equal(Simd512<float>.IsAccelerated, Conv2DWeightGradient.Serves<float>(benchConv2));
        foreach (Conv2DGeometry g in new[] { padded, pointwise })
        {
            Assert.False(Conv2DTapGradient.Serves(g));
            Assert.False(Conv2D.DirectWeightGradient<float>(g));
        }
    }

    /// <summary>The dW paths of a deep unpadded geometry: the tap kernel (ADR 0060), the direct dW of ADR 0056 on 512-bit
    /// registers, the GEMM dW.</summary>
    public static IEnumerable<object[]> Paths => [["tap"], ["direct"], ["gemm"]];

    /// <summary>Runs <paramref name="body"/> with the dW path <paramref name="path"/> switched on, then every switch back on.</summary>
    internal static void OnPath(string path, Action body)
    {
        try
        {
            Conv2DTapGradient.Enabled = path == "tap";
            Conv2D.DeepDirectWeightGradient = path == "direct";
            body();
        }
        finally
        {
            Conv2DTapGradient.Enabled = true;
            Conv2D.DeepDirectWeightGradient = true;
        }
    }

    public static IEnumerable<object[]> DeepGeometriesOnEveryPath =>
        from geometry in DeepGeometries from path in Paths select geometry.Concat(path).ToArray();

    [Theory]
    [MemberData(nameof(DeepGeometriesOnEveryPath))]
    public void DwAndDb_MatchAFloat64Reference_OnEveryPath(int c, int h, int w, int o, int kh, int kw, int batch, string path)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 11), wt = TestUtil.Random<float>(g.WeightLength, 12);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 13);
        float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
        OnPath(path, () =>
        {
            Assert.Equal(path == "tap", Conv2DTapGradient.Serves(g));
            Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
        });
        for (int r = 0; r < o; r++)
        {
            double expected = 0, magnitude = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int q = 0; q < g.OutPlane; q++)
                {
                    float v = dy[(b * g.OutputLength) + (r * g.OutPlane) + q];
                    expected += v;
                    magnitude += Math.Abs(v);
                }
            }
            Assert.True(Math.Abs(db[r] - expected) <= 1e-5 * magnitude, $"{path}: db[{r}] = {db[r]}, float64 {expected}");
            for (int p = 0; p < g.ColumnRows; p++)
            {
                int ci = p / (kh * kw), i = p % (kh * kw) / kw, j = p % kw;
                expected = 0;
                magnitude = 0;
                for (int b = 0; b < batch; b++)
                {
                    for (int yo = 0; yo < g.OutHeight; yo++)
                    {
                        for (int xo = 0; xo < g.OutWidth; xo++)
                        {
                            double term = (double)dy[(b * g.OutputLength) + (r * g.OutPlane) + (yo * g.OutWidth) + xo]
                                * x[(b * g.InputLength) + (ci * h * w) + ((yo + i) * w) + xo + j];
                            expected += term;
                            magnitude += Math.Abs(term);
                        }
                    }
                }
                float got = dw[(r * g.ColumnRows) + p];
                Assert.True(Math.Abs(got - expected) <= 1e-5 * magnitude, $"{path}: dW[{r}, {p}] = {got}, float64 {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(DeepGeometries))]
    public void TapDw_InDouble_MatchesTheGemmDwClosely(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        // float64 through the tap kernel against the GEMM dW: two summation orders of the same terms.
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        double[] x = TestUtil.Random<double>(batch * g.InputLength, 41), wt = TestUtil.Random<double>(g.WeightLength, 42);
        double[] dy = TestUtil.Random<double>(batch * g.OutputLength, 43);
        double[] Run(string path)
        {
            double[] dx = new double[x.Length], dw = new double[wt.Length], db = new double[o];
            OnPath(path, () => Conv2D.Backward<double>(dy, x, wt, dx, dw, db, batch, g));
            return dw;
        }

        double[] tap = Run("tap"), gemm = Run("gemm");
        for (int i = 0; i < tap.Length; i++)
        {
            Assert.True(Math.Abs(tap[i] - gemm[i]) <= 1e-12 * (1 + Math.Abs(gemm[i])), $"dW[{i}]: tap {tap[i]}, GEMM {gemm[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(DeepGeometries))]
    public void TapDw_DoesNotDependOnTheThreadCount(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2DTapGradient.Serves(g));
        ConvWeightGradientTests.AssertSameBitsOnEveryThreadCount(g, batch, seed: 21);
    }

    /// <summary>C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, batch: forwards lowered into the GEMM's panels.</summary>
    public static IEnumerable<object[]> PanelGeometries =>
    [
        [20, 12, 12, 50, 5, 5, 1, 1, 0, 0, 5], // LeNet's conv2: runs of 8, four to a panel (Im2ColPackedRuns)
        [16, 12, 6, 5, 3, 3, 1, 1, 0, 0, 3],   // Ho = 10 rows of Wo = 4: the last panel part-filled (Im2ColPackedRuns)
        [3, 11, 13, 7, 3, 3, 1, 1, 1, 1, 3],   // padding: runs cut by the zero columns; Wo = 13 runs split across panels
        [4, 15, 9, 6, 3, 2, 2, 1, 0, 1, 2],    // stride 2 down, 1 across, padding on one axis
    ];

    [Theory]
    [MemberData(nameof(PanelGeometries))]
    public void PanelRunsOnRegisters_GiveTheBitsOfTheCopyToRuns(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw);
        Assert.True(Conv2D.LowersIntoPanels(g, bias: true));
        Assert.False(Conv2D.RunsDirect<float>(g));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 31), wt = TestUtil.Random<float>(g.WeightLength, 32);
        float[] bias = TestUtil.Random<float>(o, 33);
        float[] Run(bool registers)
        {
            float[] y = new float[batch * g.OutputLength];
            try
            {
                Conv2D.PanelRowsOnRegisters = registers;
                Conv2D.Forward<float>(x, wt, bias, y, batch, g, fuseReLU: true);
            }
            finally
            {
                Conv2D.PanelRowsOnRegisters = true;
            }
            return y;
        }

        float[] before = Run(false), after = Run(true);
        Assert.Contains(after, v => v > 0f);
        Assert.Equal(before.Select(BitConverter.SingleToInt32Bits), after.Select(BitConverter.SingleToInt32Bits));
    }
}
