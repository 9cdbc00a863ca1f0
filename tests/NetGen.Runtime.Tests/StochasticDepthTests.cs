using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The stochastic-depth kernel: one keep decision per sample, the keep rate, the 1/(1 − p) scale, reproducibility
/// from the key, the backward, and named errors that leave the outputs unwritten.</summary>
public class StochasticDepthTests
{
    [Fact]
    public void EachSampleIsKeptOrDroppedAsAWhole()
    {
        const int B = 64, N = 37;
        double[] x = TestUtil.Random<double>(B * N, 3), y = new double[B * N], mask = new double[B];
        StochasticDepth.Forward<double>(x, y, mask, 0.4, CounterRng.Key(5, CounterRng.DropoutStream, 3, 0));
        for (int b = 0; b < B; b++)
        {
            Assert.True(mask[b] == 0.0 || mask[b] == 1.0 / 0.6, $"mask[{b}] = {mask[b]}");
            for (int i = 0; i < N; i++)
            {
                Assert.Equal(x[(b * N) + i] * mask[b], y[(b * N) + i]);
            }
        }

        Assert.Contains(0.0, mask);
        Assert.Contains(1.0 / 0.6, mask);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void TheKeepRateIsOneMinusPAndTheMeanFactorIsOne(double p)
    {
        // Binomial(B, 1 − p) kept samples: within 5σ; the mean of m is then 1 within 5σ/(B(1 − p)).
        const int B = 200_000;
        double[] x = new double[B], y = new double[B], mask = new double[B];
        StochasticDepth.Forward<double>(x, y, mask, p, CounterRng.Key(11, CounterRng.DropoutStream, 4, 9));
        int kept = mask.Count(m => m != 0);
        double sigma = Math.Sqrt(B * p * (1 - p));
        Assert.InRange(kept, (B * (1 - p)) - (5 * sigma), (B * (1 - p)) + (5 * sigma));
        Assert.InRange(mask.Average(), 1 - (5 * sigma / (B * (1 - p))), 1 + (5 * sigma / (B * (1 - p))));
    }

    [Fact]
    public void TheMaskIsAFunctionOfTheKeyOnly()
    {
        ulong key = CounterRng.Key(42, CounterRng.DropoutStream, 6, 2);
        float[] a = new float[16], b = new float[16], other = new float[16];
        float[] x = new float[16 * 5];
        StochasticDepth.Forward<float>(x, new float[x.Length], a, 0.5, key);
        StochasticDepth.Forward<float>(x, new float[x.Length], b, 0.5, key);
        StochasticDepth.Forward<float>(x, new float[x.Length], other, 0.5, CounterRng.Key(42, CounterRng.DropoutStream, 6, 3));
        Assert.Equal(a, b);
        Assert.NotEqual(a, other);

        // Sample b keeps its branch exactly when CounterRng.Uniform(key, b) ≥ p, in float and in double alike.
        double[] d = new double[16];
        StochasticDepth.Forward<double>(new double[16], new double[16], d, 0.5, key);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(CounterRng.Uniform(key, (ulong)i) >= 0.5, a[i] != 0);
            Assert.Equal(a[i] != 0, d[i] != 0);
        }
    }

    [Fact]
    public void ZeroProbabilityKeepsEveryBranchUnscaled()
    {
        float[] x = TestUtil.Random<float>(4 * 9, 1), y = new float[4 * 9], mask = new float[4];
        StochasticDepth.Forward<float>(x, y, mask, 0.0, 77);
        Assert.All(mask, m => Assert.Equal(1f, m));
        Assert.Equal(x, y);
    }

    [Fact]
    public void BackwardScalesEachSamplesGradientByItsFactor()
    {
        double[] dy = TestUtil.Random<double>(3 * 4, 2), dx = new double[12];
        double[] mask = [2.0, 0.0, 2.0];
        StochasticDepth.Backward<double>(dy, mask, dx);
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(dy[i] * mask[i / 4], dx[i]);
        }
    }

    [Fact]
    public void WrongLengthsOrProbabilityThrowNamedErrorsAndWriteNothing()
    {
        float[] x = new float[12], y = new float[12], mask = [7f, 7f, 7f, 7f, 7f];
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => StochasticDepth.Forward<float>(x, y, mask, 0.5, 1)).ParamName);
        Assert.All(mask, m => Assert.Equal(7f, m));
        Assert.Equal("y", Assert.ThrowsAny<ArgumentException>(() => StochasticDepth.Forward<float>(x, new float[11], new float[3], 0.5, 1)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => StochasticDepth.Forward<float>(x, y, new float[3], 1.0, 1)).ParamName);
        Assert.Equal("dx", Assert.ThrowsAny<ArgumentException>(() => StochasticDepth.Backward<float>(x, new float[3], new float[10])).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => StochasticDepth.Backward<float>(x, new float[5], new float[12])).ParamName);
    }
}
