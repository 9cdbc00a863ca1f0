using System.Text.Json;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The dropout variants' kernels: against PyTorch float64 computations fed with NetGen's masks
/// (Reference/dropout_variants.json, written by tests/reference/make_dropout_reference.py), and their statistics.
/// </summary>
/// <remarks>
/// Tolerances of the statistical tests, derived from the sample size N: the fraction of kept values is a mean of N
/// independent Bernoulli(1 − p) draws, with standard deviation √(p(1 − p)/N). The mean of N mask values m_i with
/// E[m] = μ and Var[m] = v has standard deviation √(v/N): for inverted (and channel) dropout v = p/(1 − p) (m is
/// 1/(1 − p) with probability 1 − p, else 0: E[m²] = 1/(1 − p)), for Gaussian dropout v = p/(1 − p) by construction,
/// for vanilla dropout v = p(1 − p). Each test allows Z = 5 standard deviations: a correct kernel fails with
/// probability below 6·10⁻⁷ (normal approximation, N ≥ 10⁴), and a drop rate off by 0.01 at N = 2·10⁵ is ~9 σ away.
/// </remarks>
public sealed class DropoutVariantTests
{
    private const double Z = 5;
    private static readonly ulong Key = CounterRng.Key(9, CounterRng.DropoutStream, 4, 2);

    private static JsonElement Case(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "dropout_variants.json")));
        return document.RootElement.GetProperty(name).Clone();
    }

    private static ulong ReferenceKey()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "dropout_variants.json")));
        JsonElement root = document.RootElement;
        return CounterRng.Key(root.GetProperty("seed").GetUInt64(), CounterRng.DropoutStream, root.GetProperty("layer").GetUInt64(), root.GetProperty("step").GetUInt64());
    }

    private static double[] D(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>max |a − e| ≤ 1e-12 · max(max |e|, 1): both sides are float64 computations of the same formulas.</summary>
    private static void Close(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    [Fact]
    public void Dropout2DMatchesNnDropout2dFedWithNetGensMask()
    {
        JsonElement c = Case("dropout2d");
        int[] shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double p = c.GetProperty("p").GetDouble();
        double[] x = D(c, "x"), dy = D(c, "dy"), y = new double[x.Length], dx = new double[x.Length], mask = new double[shape[0] * shape[1]];
        int plane = shape[2] * shape[3];
        Dropout2D.Forward<double>(x, y, mask, plane, p, ReferenceKey());
        Dropout2D.Backward<double>(dy, mask, dx, plane);
        Close(D(c, "mask"), mask, "mask");
        Close(D(c, "y_train"), y, "y");
        Close(D(c, "dx"), dx, "dx");
    }

    [Fact]
    public void VanillaDropoutMatchesTheReferenceInTrainingAndInference()
    {
        JsonElement c = Case("vanilla_dropout");
        double p = c.GetProperty("p").GetDouble();
        double[] x = D(c, "x"), dy = D(c, "dy"), y = new double[x.Length], dx = new double[x.Length], mask = new double[x.Length], eval = new double[x.Length];
        VanillaDropout.Forward<double>(x, y, mask, p, ReferenceKey());
        Dropout.Backward<double>(dy, mask, dx);
        VanillaDropout.Inference<double>(x, eval, p);
        Close(D(c, "mask"), mask, "mask");
        Close(D(c, "y_train"), y, "y");
        Close(D(c, "dx"), dx, "dx");
        Close(D(c, "y_eval"), eval, "inference y");
    }

    [Fact]
    public void GaussianDropoutMatchesTheReference()
    {
        JsonElement c = Case("gaussian_dropout");
        double p = c.GetProperty("p").GetDouble();
        double[] x = D(c, "x"), dy = D(c, "dy"), y = new double[x.Length], dx = new double[x.Length], mask = new double[x.Length];
        GaussianDropout.Forward<double>(x, y, mask, p, ReferenceKey());
        Dropout.Backward<double>(dy, mask, dx);
        Close(D(c, "mask"), mask, "mask");
        Close(D(c, "y_train"), y, "y");
        Close(D(c, "dx"), dx, "dx");
    }

    [Fact]
    public void StandoutMatchesTheReferenceInTrainingAndInference()
    {
        JsonElement c = Case("standout");
        double alpha = c.GetProperty("alpha").GetDouble(), beta = c.GetProperty("beta").GetDouble();
        double[] x = D(c, "x"), dy = D(c, "dy"), y = new double[x.Length], dx = new double[x.Length], mask = new double[x.Length], eval = new double[x.Length];
        Standout.Forward<double>(x, y, mask, alpha, beta, ReferenceKey());
        Dropout.Backward<double>(dy, mask, dx);
        Standout.Inference<double>(x, eval, alpha, beta);
        Close(D(c, "keep_probability"), x.Select(v => Standout.KeepProbability(v, alpha, beta)).ToArray(), "π");
        Close(D(c, "mask"), mask, "mask");
        Close(D(c, "y_train"), y, "y");
        Close(D(c, "dx"), dx, "dx");
        Close(D(c, "y_eval"), eval, "inference y");
    }

    [Fact]
    public void StandoutKeepsEachUnitWithItsProbabilityAndItsTrainingMeanIsTheInferenceOutput()
    {
        // Two pre-activation values, N each: the kept fraction of each is a Bernoulli(π) mean, sd √(π(1 − π)/N).
        const int n = 100_000;
        double[] x = Enumerable.Range(0, 2 * n).Select(i => i % 2 == 0 ? -1.0 : 2.0).ToArray(), y = new double[x.Length], mask = new double[x.Length], eval = new double[x.Length];
        Standout.Forward<double>(x, y, mask, 1.5, -0.5, Key);
        Standout.Inference<double>(x, eval, 1.5, -0.5);
        foreach (int parity in new[] { 0, 1 })
        {
            double pi = Standout.KeepProbability(x[parity], 1.5, -0.5);
            AssertMean(mask.Where((_, i) => i % 2 == parity).ToArray(), pi, pi * (1 - pi), $"kept fraction at z = {x[parity]}");
            AssertMean(y.Where((_, i) => i % 2 == parity).Select(v => v / x[parity]).ToArray(), eval[parity] / x[parity], pi * (1 - pi), $"mean output at z = {x[parity]}");
        }
    }

    [Fact]
    public void DropConnectMatchesNnLinearWithPerSampleWeightMasks()
    {
        JsonElement c = Case("dropconnect");
        double p = c.GetProperty("p").GetDouble();
        int batch = c.GetProperty("batch").GetInt32(), inputs = c.GetProperty("inputs").GetInt32(), outputs = c.GetProperty("outputs").GetInt32();
        double[] x = D(c, "x"), w = D(c, "weight"), bias = D(c, "bias"), dy = D(c, "dy");
        double[] y = new double[batch * outputs], eval = new double[batch * outputs], dx = new double[x.Length], dw = new double[w.Length], db = new double[outputs];
        DropConnect.Forward<double>(x, w, bias, y, batch, inputs, outputs, p, ReferenceKey());
        DropConnect.Backward<double>(dy, x, w, dx, dw, db, batch, inputs, outputs, p, ReferenceKey());
        Dense.Forward<double>(x, w, bias, eval, batch, inputs, outputs);
        Close(D(c, "y_train"), y, "y");
        Close(D(c, "dx"), dx, "dx");
        Close(D(c, "dweight"), dw, "dW");
        Close(D(c, "dbias"), db, "db");
        Close(D(c, "y_eval"), eval, "inference y");

        // Without dx (a first layer): the weight gradient is the same.
        var dw2 = new double[w.Length];
        DropConnect.Backward<double>(dy, x, w, default, dw2, default, batch, inputs, outputs, p, ReferenceKey());
        Assert.Equal(dw, dw2);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void DropConnectKeepsOneMinusPOfTheWeightsPerSampleAndKeepsTheMean(double p)
    {
        // W = 1, x = 1, no bias: y[b, o] = Σ_i M_b[o, i], a sum of `inputs` mask values. Over all outputs the mean of
        // y / inputs is the mean of N = batch·outputs·inputs mask values (E = 1, Var = p/(1 − p)), and y·(1 − p) counts
        // the kept weights (a Bernoulli(1 − p) mean over N).
        const int batch = 2000, inputs = 10, outputs = 10;
        double[] x = Enumerable.Repeat(1.0, batch * inputs).ToArray(), w = Enumerable.Repeat(1.0, outputs * inputs).ToArray(), y = new double[batch * outputs];
        DropConnect.Forward<double>(x, w, default, y, batch, inputs, outputs, p, Key);
        double[] perValue = y.Select(v => v / inputs).ToArray();
        var n = batch * outputs * inputs;
        Assert.True(Math.Abs(perValue.Average() - 1) <= Z * Math.Sqrt(p / (1 - p) / n), $"mean {perValue.Average()}");
        double kept = y.Sum(v => v * (1 - p)) / n;
        Assert.True(Math.Abs(kept - (1 - p)) <= Z * Math.Sqrt(p * (1 - p) / n), $"kept fraction {kept}");
        // Per-sample masks: identical rows give different outputs.
        Assert.True(Enumerable.Range(1, batch - 1).Count(b => y[b * outputs] != y[0]) > batch / 2);
    }

    private static void AssertMean(double[] values, double mean, double variance, string what)
    {
        double actual = values.Average();
        double tolerance = Z * Math.Sqrt(variance / values.Length);
        Assert.True(Math.Abs(actual - mean) <= tolerance, $"{what}: mean {actual:R}, expected {mean} ± {tolerance:E3} (N = {values.Length})");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void Dropout2DKeepsWholeChannelsAtRateOneMinusPAndKeepsTheMean(double p)
    {
        const int channels = 100_000, plane = 6;
        double[] x = Enumerable.Repeat(1.0, channels * plane).ToArray(), y = new double[x.Length], mask = new double[channels];
        Dropout2D.Forward<double>(x, y, mask, plane, p, Key);
        for (int n = 0; n < channels; n++)
        {
            Assert.All(y.Skip(n * plane).Take(plane), v => Assert.Equal(mask[n], v));
        }

        AssertMean(mask.Select(m => m != 0 ? 1.0 : 0.0).ToArray(), 1 - p, p * (1 - p), "kept fraction");
        // The mean output is the mean of the channel masks: N = channels independent values, not channels·plane.
        AssertMean(mask, 1.0, p / (1 - p), "mean output");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void VanillaDropoutKeepsOneMinusPAndItsTrainingMeanIsTheInferenceOutput(double p)
    {
        const int n = 200_000;
        double[] x = Enumerable.Repeat(2.0, n).ToArray(), y = new double[n], mask = new double[n], eval = new double[n];
        VanillaDropout.Forward<double>(x, y, mask, p, Key);
        VanillaDropout.Inference<double>(x, eval, p);
        Assert.All(mask, m => Assert.True(m is 0.0 or 1.0));
        AssertMean(mask, 1 - p, p * (1 - p), "kept fraction");
        AssertMean(y.Select(v => v / 2).ToArray(), eval[0] / 2, p * (1 - p), "training mean vs inference output");
        Assert.Equal(2 * (1 - p), eval[0], 15);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void GaussianDropoutNoiseHasMeanOneAndVariancePOverOneMinusP(double p)
    {
        const int n = 200_000;
        double[] x = Enumerable.Repeat(1.0, n).ToArray(), y = new double[n], mask = new double[n];
        GaussianDropout.Forward<double>(x, y, mask, p, Key);
        double v = p / (1 - p);
        AssertMean(y, 1.0, v, "mean output");
        // The sample variance of N normal values has standard deviation v·√(2/N).
        double variance = y.Select(m => (m - 1) * (m - 1)).Average();
        Assert.True(Math.Abs(variance - v) <= Z * v * Math.Sqrt(2.0 / n), $"variance {variance}, expected {v}");
    }

    [Fact]
    public void TheStatisticalCheckCanFail()
    {
        // Inverted dropout's mask has mean 1; vanilla dropout's has mean 1 − p, 100 σ away at p = 0.5 and N = 200,000.
        double[] x = Enumerable.Repeat(1.0, 200_000).ToArray(), y = new double[x.Length], mask = new double[x.Length];
        VanillaDropout.Forward<double>(x, y, mask, 0.5, Key);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertMean(y, 1.0, 1.0, "vanilla as if inverted"));
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        var x = new float[12];
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => VanillaDropout.Forward<float>(x, x, new float[12], 1.5, 1)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianDropout.Forward<float>(x, x, new float[12], 1.0, 1)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Dropout2D.Forward<float>(x, x, new float[5], 2, 0.5, 1)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => VanillaDropout.Forward<float>(x, x, new float[11], 0.5, 1)).ParamName);
    }
}
