using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class ClippingTests
{
    [Fact]
    public void ByGlobalNorm_ScalesOnlyWhenTheNormExceedsTheMaximum()
    {
        float[] g = [3f, 4f]; // ‖g‖ = 5
        double norm = Clipping.ByGlobalNorm<float>(g, 1.0);
        Assert.Equal(5.0, norm, 12);
        double c = 1.0 / (5.0 + 1e-6);
        Assert.Equal(new[] { (float)(3 * c), (float)(4 * c) }, g);

        double[] small = [0.3, 0.4]; // ‖g‖ = 0.5 < 1: unchanged
        Assert.Equal(0.5, Clipping.ByGlobalNorm<double>(small, 1.0), 15);
        Assert.Equal(new[] { 0.3, 0.4 }, small);
    }

    [Fact]
    public void ByGlobalNorm_IsOneNormOverEveryElement()
    {
        double[] g = TestUtil.Random<double>(1001, 3);
        double expected = Math.Sqrt(g.Sum(v => v * v));
        double[] copy = (double[])g.Clone();
        Assert.Equal(expected, Clipping.ByGlobalNorm<double>(copy, 0.5), 12);
        Assert.Equal(0.5 * expected / (expected + 1e-6), Math.Sqrt(copy.Sum(v => v * v)), 12);
    }

    [Fact]
    public void ByValue_ClampsEachElement()
    {
        float[] g = [-3f, -0.05f, 0f, 0.2f, 7f];
        Clipping.ByValue<float>(g, 0.1);
        Assert.Equal(new[] { -0.1f, -0.05f, 0f, 0.1f, 0.1f }, g);
    }

    [Fact]
    public void BadSettingsThrowAndChangeNothing()
    {
        float[] g = [1f, 2f];
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.ByValue<float>(g, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.ByGlobalNorm<float>(g, double.PositiveInfinity));
        Assert.Equal(new[] { 1f, 2f }, g);
    }
}
