using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class ChannelPReLUTests
{
    [Theory]
    [InlineData(3, 4, 5)]  // images: 3 rows of 4 channels × 5 values
    [InlineData(2, 6, 1)]  // vectors: one slope per feature
    public void ForwardAndBackward_UseTheSlopeOfEachChannel(int rows, int channels, int inner)
    {
        double[] x = TestUtil.Random<double>(rows * channels * inner, 1), dy = TestUtil.Random<double>(x.Length, 2);
        double[] a = Enumerable.Range(0, channels).Select(c => 0.1 * (c + 1)).ToArray();
        var y = new double[x.Length];
        var dx = new double[x.Length];
        var da = new double[channels];
        ChannelPReLU.Forward<double>(x, a, y, channels, inner);
        ChannelPReLU.Backward<double>(dy, x, a, dx, da, channels, inner);

        var expectedDa = new double[channels];
        for (int i = 0; i < x.Length; i++)
        {
            int c = (i / inner) % channels;
            Assert.Equal(x[i] > 0 ? x[i] : a[c] * x[i], y[i], 15);
            Assert.Equal(dy[i] * (x[i] > 0 ? 1 : a[c]), dx[i], 15);
            expectedDa[c] += x[i] > 0 ? 0 : dy[i] * x[i];
        }

        TestUtil.AssertClose(expectedDa, da.AsSpan(), 1e-14, 1e-14, "da");
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan()
    {
        var y = new float[8];
        Assert.Equal("a", Assert.ThrowsAny<ArgumentException>(() => ChannelPReLU.Forward<float>(new float[8], new float[3], y, 2, 4)).ParamName);
        Assert.Equal("x", Assert.ThrowsAny<ArgumentException>(() => ChannelPReLU.Forward<float>(new float[7], new float[2], y, 2, 4)).ParamName);
        Assert.Equal("da", Assert.ThrowsAny<ArgumentException>(() => ChannelPReLU.Backward<float>(new float[8], new float[8], new float[2], y, new float[3], 2, 4)).ParamName);
    }
}
