using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class LocalResponseNormTests
{
    [Theory]
    [InlineData(2, 5, 6, 5, 1e-4, 0.75, 1.0)]  // PyTorch's defaults
    [InlineData(3, 6, 4, 4, 0.5, 0.6, 2.0)]    // an even window: 2 channels before, 1 after
    [InlineData(1, 3, 1, 7, 1.0, 0.5, 1.5)]    // a window wider than the channels
    public void ForwardMatchesTheDefinitionAndBackwardTheCentredDifference(int batch, int channels, int plane, int size, double alpha, double beta, double k)
    {
        double[] x = TestUtil.Random<double>(batch * channels * plane, 1), dy = TestUtil.Random<double>(x.Length, 2);
        var y = new double[x.Length];
        LocalResponseNorm.Forward<double>(x, y, batch, channels, plane, size, alpha, beta, k);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(Reference(x, i, channels, plane, size, alpha, beta, k), y[i], 14);
        }

        var dx = new double[x.Length];
        LocalResponseNorm.Backward<double>(dy, x, dx, batch, channels, plane, size, alpha, beta, k);
        const double h = 1e-6;
        for (int i = 0; i < x.Length; i++)
        {
            // ∂(Σ dy·y)/∂x_i by centred differences.
            double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = 0;
            for (int j = 0; j < x.Length; j++)
            {
                numeric += dy[j] * (Reference(plus, j, channels, plane, size, alpha, beta, k) - Reference(minus, j, channels, plane, size, alpha, beta, k)) / (2 * h);
            }
            Assert.True(Math.Abs(numeric - dx[i]) <= 1e-8 + (1e-6 * Math.Abs(numeric)), $"dx[{i}]: analytic {dx[i]:R}, numeric {numeric:R}");
        }
    }

    /// <summary>y_i from the definition, in double: x_i / (k + α/n·Σ_{c' in the window} x²)^β.</summary>
    private static double Reference(double[] x, int i, int channels, int plane, int size, double alpha, double beta, double k)
    {
        int sample = channels * plane, b = i / sample, c = (i % sample) / plane, p = i % plane;
        double sum = 0;
        for (int n = c - (size / 2); n <= c + ((size - 1) / 2); n++)
        {
            if (n >= 0 && n < channels)
            {
                double v = x[(b * sample) + (n * plane) + p];
                sum += v * v;
            }
        }
        return x[i] / Math.Pow(k + (alpha / size * sum), beta);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan()
    {
        var y = new float[12];
        Assert.Equal("x", Assert.ThrowsAny<ArgumentException>(() => LocalResponseNorm.Forward<float>(new float[11], y, 1, 3, 4, 5, 1e-4f, 0.75f, 1f)).ParamName);
        Assert.Equal("dx", Assert.ThrowsAny<ArgumentException>(() => LocalResponseNorm.Backward<float>(new float[12], new float[12], new float[13], 1, 3, 4, 5, 1e-4f, 0.75f, 1f)).ParamName);
        Assert.Equal("size", Assert.ThrowsAny<ArgumentException>(() => LocalResponseNorm.Forward<float>(new float[12], y, 1, 3, 4, 0, 1e-4f, 0.75f, 1f)).ParamName);
    }

    [Fact]
    public void ForwardAndBackward_DoNotAllocate()
    {
        float[] x = TestUtil.Random<float>(2 * 6 * 9, 3), y = new float[x.Length], dx = new float[x.Length];
        LocalResponseNorm.Backward<float>(x, x, dx, 2, 6, 9, 5, 1e-4f, 0.75f, 1f);
        void Calls()
        {
            LocalResponseNorm.Forward<float>(x, y, 2, 6, 9, 5, 1e-4f, 0.75f, 1f);
            LocalResponseNorm.Backward<float>(x, x, dx, 2, 6, 9, 5, 1e-4f, 0.75f, 1f);
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 0, repeats: 1);
    }
}
