using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class RegularizationTests
{
    [Fact]
    public void SumOfSquares_HandExample() => Assert.Equal(30.0, Regularization.SumOfSquares<float>([1f, -2f, 3f, 4f]));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(103)]
    [InlineData(100_003)]
    public void SumOfSquares_AccumulatesInDouble(int length)
    {
        float[] w = TestUtil.Random<float>(length, length);
        double expected = 0;
        foreach (float v in w)
        {
            expected += (double)v * v;
        }
        // Squares of floats are exact in double, so only the double additions round.
        Assert.Equal(expected, Regularization.SumOfSquares<float>(w), 1e-12 * (expected + 1));
        double[] wd = TestUtil.ToDouble<float>(w);
        Assert.Equal(expected, Regularization.SumOfSquares<double>(wd), 1e-12 * (expected + 1));
    }

    [Fact]
    public void SumOfSquares_FloatBeyondFloatPrecision()
    {
        // 2^24 + 1 ones: a float accumulator would stop at 2^24.
        float[] w = new float[(1 << 24) + 1];
        Array.Fill(w, 1f);
        Assert.Equal((1 << 24) + 1.0, Regularization.SumOfSquares<float>(w));
    }

    [Fact]
    public void AddL2Gradient_AddsLambdaW()
    {
        float[] dw = [1f, 1f, 1f];
        Regularization.AddL2Gradient<float>([2f, -4f, 0f], dw, 0.5f);
        Assert.Equal([2f, -1f, 1f], dw);
    }
}
