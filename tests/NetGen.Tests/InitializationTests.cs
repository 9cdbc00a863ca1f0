using System.Text.Json;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The weight initialisations as the generated code runs them: the moments of large layers (tolerances derived from the
/// sample size below), the sparse layout, orthogonality and gain, the constants, reproducibility from the seed, and the
/// values of small networks against PyTorch's formulas fed with NetGen's draws (tests/reference/make_init_reference.py).
/// </summary>
public sealed class InitializationTests
{
    /// <summary>
    /// How far the sample moments of n independent draws w with E[w] = 0, Var[w] = σ² and fourth moment μ₄ = E[w⁴] may
    /// stray. The sample mean m = Σw/n has standard deviation σ/√n. The mean of squares s² = Σw²/n (the variance about
    /// the known mean 0) has E[s²] = σ² and standard deviation √((μ₄ − σ⁴)/n): for a normal μ₄ = 3σ⁴, so σ²·√(2/n);
    /// for U[−a, a], σ² = a²/3 and μ₄ = a⁴/5, so a²·√(4/45)/√n. Both sums are sums of n independent terms, so (central
    /// limit theorem) they are within Z = 5 standard deviations with probability 1 − 6·10⁻⁷. The streams are keyed by a
    /// fixed seed, so the test is deterministic; Z = 5 leaves room for any seed. A scale wrong by even 5 % moves s² by
    /// ~10 %, far outside 5·σ²·√(2/n) ≈ 2 % at n = 120,000.
    /// </summary>
    private const double Z = 5;

    private static float[] Tensor(INeuralNetwork net, string key)
    {
        ParameterInfo p = net.ParameterTable.Single(t => t.Key == key);
        return net.Parameters.Slice(p.Offset, p.Length).ToArray();
    }

    private static void AssertMoments(float[] w, double variance, double fourthMoment, string what)
    {
        int n = w.Length;
        double mean = w.Sum(v => (double)v) / n;
        double meanSquare = w.Sum(v => (double)v * v) / n;
        double meanTolerance = Z * Math.Sqrt(variance / n);
        double varianceTolerance = Z * Math.Sqrt((fourthMoment - (variance * variance)) / n);
        Assert.True(Math.Abs(mean) <= meanTolerance, $"{what}: mean {mean:E3}, tolerance {meanTolerance:E3} (n = {n})");
        Assert.True(Math.Abs(meanSquare - variance) <= varianceTolerance, $"{what}: variance {meanSquare:E4}, expected {variance:E4} ± {varianceTolerance:E3} (n = {n})");
    }

    private static void AssertNormal(float[] w, double std, string what) =>
        AssertMoments(w, std * std, 3 * Math.Pow(std, 4), what);

    private static void AssertUniform(float[] w, double limit, string what)
    {
        Assert.All(w, v => Assert.InRange(v, -limit, limit));
        AssertMoments(w, limit * limit / 3, Math.Pow(limit, 4) / 5, what);
    }

    [Fact]
    public void HeNormalWithFanOutHasVarianceTwoOverFanOut()
    {
        var net = new InitStats(5);
        AssertNormal(Tensor(net, "0.weight"), Math.Sqrt(2.0 / 400), "He normal, fan-out 400 ([400, 300])");
        AssertNormal(Tensor(net, "12.weight"), Math.Sqrt(2.0 / 100), "He normal, fan-in 100 ([300, 100])");
    }

    [Fact]
    public void HeUniformWithFanOutHasLimitSqrtSixOverFanOut() =>
        AssertUniform(Tensor(new InitStats(5), "2.weight"), Math.Sqrt(6.0 / 500), "He uniform, fan-out 500 ([500, 400])");

    [Fact]
    public void LeCunNormalHasVarianceOneOverFanIn() =>
        AssertNormal(Tensor(new InitStats(5), "4.weight"), 1 / Math.Sqrt(500), "LeCun normal, fan-in 500 ([300, 500])");

    [Fact]
    public void GlorotNormalAndSmallNormalHaveTheirVariances()
    {
        var net = new InitMoreStats(5);
        AssertNormal(Tensor(net, "0.weight"), Math.Sqrt(2.0 / (300 + 400)), "Glorot normal [400, 300]");
        AssertNormal(Tensor(net, "2.weight"), 0.01, "small normal 0.01·N(0, 1) [300, 400]");
    }

    [Fact]
    public void AutoLooksThroughGaussianDropoutAndStandoutToTheReLU()
    {
        // He normal (variance 2/300) rather than Glorot uniform (variance 2/(300 + 200)): 5/3 of it, far outside the
        // tolerance of the moments test.
        AssertNormal(Tensor(new InitMoreStats(5), "4.weight"), Math.Sqrt(2.0 / 300), "Auto before GaussianDropout, Standout, ReLU [200, 300]");
    }

    [Fact]
    public void FanModeChangesTheScaleByTheRatioOfTheFans()
    {
        // The same draws with fan-in instead of fan-out would have variance 2/300, not 2/400: 4/3 of it, far outside
        // the tolerance above, so the statistical test would catch a FanMode that is ignored.
        float[] w = Tensor(new InitStats(5), "0.weight");
        double meanSquare = w.Sum(v => (double)v * v) / w.Length;
        Assert.True(Math.Abs((meanSquare * 300 / 2) - 1) > 0.2, $"variance {meanSquare:E4} is that of fan-in 300");
    }

    [Fact]
    public void SparseGivesEachUnitExactlyCountNonZeroGaussianWeights()
    {
        var net = new InitStats(5);
        float[] w = Tensor(net, "6.weight"); // [200, 300], 7 per row
        var nonZero = new List<float>();
        var patterns = new HashSet<string>();
        var perColumn = new int[300];
        for (int r = 0; r < 200; r++)
        {
            int[] columns = Enumerable.Range(0, 300).Where(c => w[(r * 300) + c] != 0).ToArray();
            Assert.Equal(7, columns.Length);
            patterns.Add(string.Join(",", columns));
            nonZero.AddRange(columns.Select(c => w[(r * 300) + c]));
            foreach (int c in columns)
            {
                perColumn[c]++;
            }
        }

        Assert.True(patterns.Count > 190, $"only {patterns.Count} distinct column sets in 200 rows");
        // 1,400 connections over 300 inputs: each input is chosen by Binomial(200, 7/300) rows, mean 4.67, sd 2.14; with
        // inputs chosen independently, none should be chosen by more than 4.67 + 5·2.14 ≈ 15.4 rows.
        Assert.True(perColumn.Max() <= 15, $"an input feeds {perColumn.Max()} units");
        AssertNormal(nonZero.ToArray(), 0.01, "sparse non-zeros, std 0.01");
        Assert.All(Tensor(net, "6.bias"), b => Assert.Equal(0.01f, b));

        float[] conv = Tensor(new InitConvStats(5), "2.weight"); // [64, 16, 3, 3] seen as [64, 144], 5 per row
        for (int r = 0; r < 64; r++)
        {
            Assert.Equal(5, conv.Skip(r * 144).Take(144).Count(v => v != 0));
        }
    }

    /// <summary>W·Wᵀ (wide) or Wᵀ·W (tall) equals gain²·I up to float32 rounding: each entry is a sum of n products of
    /// values stored with relative error 2⁻²⁴, so it is off by at most ~n·2⁻²³·gain²/√n ≈ 1e-6·gain² here.</summary>
    private static void AssertOrthogonal(float[] w, int rows, double gain, string what)
    {
        int n = w.Length / rows;
        bool wide = rows < n;
        int size = wide ? rows : n, inner = wide ? n : rows;
        double worst = 0;
        for (int a = 0; a < size; a++)
        {
            for (int b = 0; b < size; b++)
            {
                double dot = 0;
                for (int k = 0; k < inner; k++)
                {
                    dot += wide ? (double)w[(a * n) + k] * w[(b * n) + k] : (double)w[(k * n) + a] * w[(k * n) + b];
                }

                worst = Math.Max(worst, Math.Abs(dot - (a == b ? gain * gain : 0)));
            }
        }

        Assert.True(worst < 1e-5 * gain * gain, $"{what}: {(wide ? "W·Wᵀ" : "Wᵀ·W")} differs from {gain * gain}·I by {worst:E3}");
    }

    [Fact]
    public void OrthogonalHasOrthonormalRowsOrColumnsTimesTheGain()
    {
        var net = new InitStats(5);
        AssertOrthogonal(Tensor(net, "8.weight"), 400, 2, "tall [400, 200], gain 2");
        AssertOrthogonal(Tensor(net, "10.weight"), 100, 1, "wide [100, 400], gain 1");
        AssertOrthogonal(Tensor(new InitConvStats(5), "0.weight"), 16, 1, "convolution [16, 8, 3, 3] as [16, 72]");
    }

    [Fact]
    public void OrthogonalCheckRejectsAGaussianMatrix()
    {
        // The orthogonality check can fail: a He-normal [300, 100] matrix has Wᵀ·W = 6·I only on average.
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertOrthogonal(Tensor(new InitStats(5), "12.weight"), 300, Math.Sqrt(6), "He normal"));
    }

    [Fact]
    public void ZerosAndConstantFillTheWeightsAndBiasInitTheBias()
    {
        var net = new InitConstants(5);
        Assert.All(Tensor(net, "0.weight"), v => Assert.Equal(0f, v));
        Assert.All(Tensor(net, "0.bias"), v => Assert.Equal(0f, v));
        Assert.All(Tensor(net, "2.weight"), v => Assert.Equal(0.25f, v));
        Assert.All(Tensor(net, "2.bias"), v => Assert.Equal(-0.5f, v));
        Assert.Contains(Tensor(net, "3.weight"), v => v != 0); // Auto after them is still random
    }

    [Fact]
    public void TheSeedReproducesEveryScheme()
    {
        float[] a = new InitStats(9).Parameters.ToArray(), b = new InitStats(9).Parameters.ToArray(), c = new InitStats(10).Parameters.ToArray();
        Assert.Equal(a, b);
        foreach (ParameterInfo p in InitStats.ParameterTable.Where(p => p.Key.EndsWith(".weight", StringComparison.Ordinal)))
        {
            Assert.False(a.AsSpan(p.Offset, p.Length).SequenceEqual(c.AsSpan(p.Offset, p.Length)), $"{p.Key} does not depend on the seed");
        }
    }

    [Theory]
    [InlineData(nameof(InitDenseReference))]
    [InlineData(nameof(InitConvReference))]
    public void ValuesMatchPyTorchFormulasFedWithNetGenDraws(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("init_reference.json")));
        JsonElement root = document.RootElement;
        JsonElement network = root.GetProperty("networks").GetProperty(name);
        INeuralNetwork net = name == nameof(InitDenseReference)
            ? new InitDenseReference(root.GetProperty("seed").GetUInt64())
            : new InitConvReference(root.GetProperty("seed").GetUInt64());
        string[] order = network.GetProperty("param_order").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(order, net.ParameterTable.Select(p => p.Key).ToArray());
        foreach (string key in order)
        {
            JsonElement p = network.GetProperty("params").GetProperty(key);
            double[] expected = p.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Close.Tensor(expected, Tensor(net, key), 1e-5, $"{name} '{key}' ({p.GetProperty("rule").GetString()})");
        }
    }
}
