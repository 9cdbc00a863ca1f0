using System.Text.Json;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>
/// DropConnect's moment-matching inference (Wan et al. 2013) fused with the following ReLU, against torch float64 values
/// (Reference/dropconnect_moment_matching.json, written by tests/reference/make_dropconnect_mm_reference.py): the Gaussian
/// moments at 1e-5, and the sampled average against the exact E[ReLU(u)] = μΦ(μ/σ) + σφ(μ/σ) within a tolerance derived
/// from Z (NetGen's counter-based draws cannot be reproduced by torch, so the reference is the expectation they estimate).
/// </summary>
public sealed class DropConnectMomentMatchingTests
{
    private static JsonElement Case(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "dropconnect_moment_matching.json")));
        return document.RootElement.GetProperty(name).Clone();
    }

    private static double[] D(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static (double P, int Batch, int Inputs, int Outputs, double[] X, double[] W, double[] Bias) Read(JsonElement c) =>
        (c.GetProperty("p").GetDouble(), c.GetProperty("batch").GetInt32(), c.GetProperty("inputs").GetInt32(), c.GetProperty("outputs").GetInt32(), D(c, "x"), D(c, "weight"), D(c, "bias"));

    private const ulong Key = 0x5EED_0017UL;

    [Theory]
    [InlineData("p05")]
    [InlineData("p02")]
    public void MomentsMatchTorch(string name)
    {
        JsonElement c = Case(name);
        var (p, batch, inputs, outputs, x, w, bias) = Read(c);
        double[] mean = new double[batch * outputs], variance = new double[batch * outputs];
        DropConnect.Moments<double>(x, w, bias, mean, variance, batch, inputs, outputs, p);
        double[] expectedMean = D(c, "mean"), expectedVariance = D(c, "variance");
        for (int k = 0; k < mean.Length; k++)
        {
            Assert.True(Math.Abs(mean[k] - expectedMean[k]) <= 1e-5 * Math.Max(1, Math.Abs(expectedMean[k])), $"μ[{k}] = {mean[k]}, torch {expectedMean[k]}");
            Assert.True(Math.Abs(variance[k] - expectedVariance[k]) <= 1e-5 * Math.Max(1, Math.Abs(expectedVariance[k])), $"σ²[{k}] = {variance[k]}, torch {expectedVariance[k]}");
        }
    }

    [Theory]
    [InlineData("p05", 1000)]
    [InlineData("p02", 1000)]
    [InlineData("p05", 200_000)]
    [InlineData("p02", 200_000)]
    public void TheSampledAverageIsWithinFiveStandardErrorsOfTheClosedForm(string name, int samples)
    {
        // The average of Z independent ReLU(u_z) has standard error sd[ReLU(u)]/√Z (sd from torch); 5 standard errors
        // bound each of the few values with overwhelming probability, and the bound shrinks as Z grows (convergence).
        JsonElement c = Case(name);
        var (p, batch, inputs, outputs, x, w, bias) = Read(c);
        double[] y = new double[batch * outputs];
        DropConnect.MomentMatchingReLU<double>(x, w, bias, y, batch, inputs, outputs, p, samples, Key);
        double[] expected = D(c, "expectation"), sd = D(c, "sd");
        for (int k = 0; k < y.Length; k++)
        {
            double tolerance = (5 * sd[k] / Math.Sqrt(samples)) + 1e-12;
            Assert.True(Math.Abs(y[k] - expected[k]) <= tolerance, $"y[{k}] = {y[k]}, E[ReLU(u)] = {expected[k]}, tolerance {tolerance} (Z = {samples})");
            Assert.True(y[k] >= 0, "the fused ReLU average is never negative");
        }
    }

    [Fact]
    public void LargeZConvergesToTheClosedFormMoreTightlyThanSmallZ()
    {
        JsonElement c = Case("p05");
        var (p, batch, inputs, outputs, x, w, bias) = Read(c);
        double[] expected = D(c, "expectation"), sd = D(c, "sd");
        double Error(int samples)
        {
            double[] y = new double[batch * outputs];
            DropConnect.MomentMatchingReLU<double>(x, w, bias, y, batch, inputs, outputs, p, samples, Key);
            return y.Select((v, k) => Math.Abs(v - expected[k])).Max();
        }

        double small = Error(10), large = Error(1_000_000);
        Assert.True(large < 5 * sd.Max() / 1000, $"Z = 10⁶: max error {large}, 5 standard errors {5 * sd.Max() / 1000}");
        Assert.True(large < small, $"Z = 10: {small}, Z = 10⁶: {large}");
    }

    [Fact]
    public void IsDeterministicAndARowDoesNotDependOnItsPlaceInTheBatch()
    {
        JsonElement c = Case("p05");
        var (p, batch, inputs, outputs, x, w, bias) = Read(c);
        double[] first = new double[batch * outputs], second = new double[batch * outputs], alone = new double[outputs];
        DropConnect.MomentMatchingReLU<double>(x, w, bias, first, batch, inputs, outputs, p, 100, Key);
        DropConnect.MomentMatchingReLU<double>(x, w, bias, second, batch, inputs, outputs, p, 100, Key);
        Assert.Equal(first, second);
        DropConnect.MomentMatchingReLU<double>(x.AsSpan(2 * inputs, inputs), w, bias, alone, 1, inputs, outputs, p, 100, Key);
        Assert.Equal(first.AsSpan(2 * outputs, outputs).ToArray(), alone);

        double[] otherKey = new double[batch * outputs];
        DropConnect.MomentMatchingReLU<double>(x, w, bias, otherKey, batch, inputs, outputs, p, 100, Key + 1);
        Assert.NotEqual(first, otherKey);
    }

    [Fact]
    public void WithoutDropTheAverageIsTheReLUOfTheDenseOutput()
    {
        JsonElement c = Case("p02");
        var (_, batch, inputs, outputs, x, w, bias) = Read(c);
        double[] y = new double[batch * outputs], dense = new double[batch * outputs];
        DropConnect.MomentMatchingReLU<double>(x, w, bias, y, batch, inputs, outputs, 0.0, 7, Key);
        Dense.Forward<double>(x, w, bias, dense, batch, inputs, outputs);
        for (int k = 0; k < y.Length; k++)
        {
            Assert.Equal(Math.Max(0, dense[k]), y[k], 12);
        }
    }

    [Fact]
    public void FewerThanOneSampleThrowsNamingSamples()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DropConnect.MomentMatchingReLU<double>(new double[2], new double[2], default, new double[1], 1, 2, 1, 0.5, 0, Key));
        Assert.Equal("samples", e.ParamName);
    }
}
