using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>BatchNormFolding.Fold against the eval-mode BatchNorm of a per-channel affine map, and its argument checks.</summary>
public class BatchNormFoldingTests
{
    [Fact]
    public void FoldedRowsGiveTheBatchNormOfTheUnfoldedOutput()
    {
        // One "convolution" output per channel: y_o = W[o]·x + b_o, then BatchNorm in eval mode.
        const int C = 3, N = 5;
        double[] w = TestUtil.Random<double>(C * N, 1), b = TestUtil.Random<double>(C, 2), x = TestUtil.Random<double>(N, 3);
        double[] gamma = [1.5, -0.5, 2.0], beta = [0.1, 0.2, -0.3], mean = [0.3, -1.0, 0.0], variance = [0.5, 2.0, 1e-3];
        double[] fw = new double[C * N], fb = new double[C];
        BatchNormFolding.Fold<double>(w, b, gamma, beta, mean, variance, 1e-5, fw, fb);
        for (int o = 0; o < C; o++)
        {
            double y = b[o], folded = fb[o];
            for (int i = 0; i < N; i++)
            {
                y += w[(o * N) + i] * x[i];
                folded += fw[(o * N) + i] * x[i];
            }

            double expected = (gamma[o] * (y - mean[o]) / Math.Sqrt(variance[o] + 1e-5)) + beta[o];
            Assert.Equal(expected, folded, 1e-12);
        }
    }

    [Fact]
    public void WithoutBiasOrAffineTheMissingTermsAreZeroAndOne()
    {
        float[] w = [2f, 4f], fw = new float[2], fb = new float[1];
        BatchNormFolding.Fold<float>(w, default, default, default, [1f], [3f], 1.0, fw, fb);
        Assert.Equal(new[] { 1f, 2f }, fw); // s = 1/√(3 + 1) = 0.5
        Assert.Equal(-0.5f, fb[0]);
    }

    [Fact]
    public void BadLengthsOrEpsilonThrowNamedErrors()
    {
        float[] w = new float[6], fw = new float[6], fb = new float[2], two = new float[2];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => BatchNormFolding.Fold<float>(new float[5], default, default, default, two, two, 1e-5, new float[5], fb)).ParamName);
        Assert.Equal("foldedBias", Assert.ThrowsAny<ArgumentException>(() => BatchNormFolding.Fold<float>(w, default, default, default, two, two, 1e-5, fw, new float[3])).ParamName);
        Assert.Equal("beta", Assert.ThrowsAny<ArgumentException>(() => BatchNormFolding.Fold<float>(w, default, two, default, two, two, 1e-5, fw, fb)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormFolding.Fold<float>(w, default, default, default, two, two, 0, fw, fb)).ParamName);
    }
}
