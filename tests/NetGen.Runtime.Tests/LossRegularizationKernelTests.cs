using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The kernels of label smoothing, probability targets, L1 and max-norm, against their formulas.</summary>
public sealed class LossRegularizationKernelTests
{
    [Fact]
    public void L1GradientIsLambdaTimesSignWithSignOfZeroZero()
    {
        double[] w = { 0.5, -2.0, 0.0, -0.0, 1e-30 };
        double[] dw = { 1, 1, 1, 1, 1 };
        Regularization.AddL1Gradient<double>(w, dw, 0.1);
        Assert.Equal(new[] { 1.1, 0.9, 1.0, 1.0, 1.1 }, dw);
        Assert.Equal(0.5 + 2.0 + 1e-30, Regularization.SumOfAbsolutes<double>(w));
    }

    [Fact]
    public void MaxNormRescalesOnlyTheRowsAboveTheBoundAsTorchRenorm()
    {
        // Rows: norm 5 (above c = 2), norm 1 (below), norm exactly 2 (not above: unchanged, as torch.renorm).
        double[] w = { 3, 4, 0.6, 0.8, 0, 2 };
        int rescaled = Regularization.MaxNorm<double>(w, 3, 2.0);
        Assert.Equal(1, rescaled);
        double f = 2.0 / (5.0 + 1e-7);
        Assert.Equal(new[] { 3 * f, 4 * f, 0.6, 0.8, 0, 2 }, w);
        Assert.Throws<ArgumentException>(() => Regularization.MaxNorm<double>(w, 4, 2.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.MaxNorm<double>(w, 3, 0));
    }

    [Fact]
    public void LabelSmoothingIsTheCrossEntropyAgainstTheSmoothedTarget()
    {
        double[] f = { 1.0, -0.5, 2.0, 0.25, 0.0, -1.0 };
        int[] y = { 2, 0 };
        var d = new double[6];
        double eps = 0.1;
        double sum = Losses.SoftmaxCrossEntropy<double>(f, y, d, 2, 3, eps);

        double expected = 0;
        for (int r = 0; r < 2; r++)
        {
            double[] row = f.Skip(r * 3).Take(3).ToArray();
            double lse = Math.Log(row.Sum(Math.Exp));
            for (int j = 0; j < 3; j++)
            {
                double q = (j == y[r] ? 1 - eps : 0) + (eps / 3);
                expected += q * (lse - row[j]);
                Assert.Equal((Math.Exp(row[j] - lse) - q) / 2, d[(r * 3) + j], 12);
            }
        }

        Assert.Equal(expected, sum, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy<double>(f, y, d, 2, 3, 1.0));
    }

    [Fact]
    public void ProbabilityTargetsAreUsedAsGivenNotRenormalised()
    {
        // A row summing to 0.5: the loss is −Σ t log p and the gradient 0.5·p − t (PyTorch's F.cross_entropy with probabilities).
        double[] f = { 1.0, 0.0 };
        double[] t = { 0.25, 0.25 };
        var d = new double[2];
        double loss = Losses.SoftmaxCrossEntropy<double>(f, (ReadOnlySpan<double>)t, d, 1, 2);
        double lse = Math.Log(Math.Exp(1) + 1);
        Assert.Equal((0.25 * (lse - 1)) + (0.25 * lse), loss, 12);
        Assert.Equal((0.5 * Math.Exp(1 - lse)) - 0.25, d[0], 12);
        Assert.Equal((0.5 * Math.Exp(-lse)) - 0.25, d[1], 12);
    }
}

/// <summary>The binary hinge kernel against its formula.</summary>
public sealed class BinaryHingeKernelTests
{
    [Fact]
    public void EachOutputIsAnIndependentHingeSummedOverOutputsAndAveragedOverRows()
    {
        // Row 0: t = (1, 0), f = (0.25, 2): terms max(0, 1 − 0.25) = 0.75 and max(0, 1 + 2) = 3.
        // Row 1: t = (0, 1), f = (−3, 1): terms 0 (met) and exactly 0 at the margin (derivative 0).
        double[] f = { 0.25, 2, -3, 1 };
        double[] t = { 1, 0, 0, 1 };
        var d = new double[4];
        double sum = Losses.BinaryHinge<double>(f, t, d, 2, 2, 1.0);
        Assert.Equal(3.75, sum, 12);
        Assert.Equal(new[] { -0.5, 0.5, 0, 0 }, d);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.BinaryHinge<double>(f, t, d, 2, 2, 0));
    }
}
