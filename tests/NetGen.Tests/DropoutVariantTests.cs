using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The dropout variants in generated networks: the float64 gradient check with the masks of the current step fixed
/// (as <see cref="GradientCheckTests"/>), inference (vanilla dropout scales by 1 − p, the others are the identity),
/// and masks that change with the step and repeat with the seed. The kernels' statistics and PyTorch references are in
/// NetGen.Runtime.Tests (DropoutVariantTests).
/// </summary>
public sealed class DropoutVariantTests
{
    public static TheoryData<string> Networks => new() { nameof(GcVanillaDropout), nameof(GcGaussianDropout), nameof(GcDropout2D), nameof(GcStandout), nameof(GcDropConnect) };

    private static INeuralNetwork<int> Create(string name, ulong seed) => name switch
    {
        nameof(GcVanillaDropout) => new GcVanillaDropout(seed),
        nameof(GcGaussianDropout) => new GcGaussianDropout(seed),
        nameof(GcDropout2D) => new GcDropout2D(seed),
        nameof(GcStandout) => new GcStandout(seed),
        nameof(GcDropConnect) => new GcDropConnect(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void AnalyticGradientsMatchCenteredDifferencesWithTheMaskFixed(string name)
    {
        INeuralNetwork<int> net = Create(name, 7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 11);
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        GradCheckResult result = net.GradCheck(x, labels);
        Assert.Equal(net.ParameterTable.Count, result.Tensors.Count);
        foreach (GradCheckEntry entry in result.Tensors)
        {
            Assert.True(entry.MaxRelativeError < 1e-7, $"{name} '{entry.Key}': relative error {entry.MaxRelativeError:E3}\n{result}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void TheMaskChangesWithTheStepAndRepeatsWithTheSeed(string name)
    {
        INeuralNetwork<int> a = Create(name, 7), b = Create(name, 7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(a, 3, 11);
        float first = a.ComputeGradients(x, labels);
        Assert.Equal(first, b.ComputeGradients(x, labels));
        Assert.Equal(first, a.ComputeGradients(x, labels)); // same step, same mask
        a.TrainStep(x, labels); // a is at step 1 now, b still at step 0
        a.Parameters.CopyTo(b.Parameters);
        Assert.NotEqual(a.ComputeGradients(x, labels), b.ComputeGradients(x, labels)); // same weights, other mask
    }

    [Fact]
    public void VanillaDropoutScalesByTheKeepProbabilityAtInference()
    {
        // The last layer is linear without bias, so scaling its input by 0.75 scales the output by 0.75.
        var plain = new PlainNet(3);
        var vanilla = new VanillaDropoutNet(3);
        Assert.Equal(plain.Parameters.ToArray(), vanilla.Parameters.ToArray());
        (float[] x, _) = GradientCheckTests.Batch(plain, 4, 5);
        float[] expected = new float[4 * 3], actual = new float[4 * 3];
        plain.Predict(x, expected);
        vanilla.Predict(x, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(0.75 * expected[i], actual[i], 1e-6);
        }
    }

    [Fact]
    public void GaussianDropoutIsTheIdentityAtInference()
    {
        var plain = new PlainNet(3);
        var gaussian = new GaussianDropoutNet(3);
        (float[] x, _) = GradientCheckTests.Batch(plain, 4, 5);
        float[] expected = new float[4 * 3], actual = new float[4 * 3];
        plain.Predict(x, expected);
        gaussian.Predict(x, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void StandoutScalesEachPreActivationByItsKeepProbabilityAtInference()
    {
        // Dense → Standout → ReLU → Dense without bias: the hidden value is ReLU(z)·σ(1.5·z − 0.5), computed here from
        // the plain network's hidden layer (same parameters) and the last weight.
        var plain = new PlainReLUNet(3);
        var standout = new StandoutNet(3);
        Assert.Equal(plain.Parameters.ToArray(), standout.Parameters.ToArray());
        (float[] x, _) = GradientCheckTests.Batch(plain, 4, 5);
        float[] w0 = plain.GetParameter("0.weight").ToArray(), b0 = plain.GetParameter("0.bias").ToArray(), w3 = plain.GetParameter("3.weight").ToArray();
        float[] actual = new float[4 * 3];
        standout.Predict(x, actual);
        for (int r = 0; r < 4; r++)
        {
            for (int o = 0; o < 3; o++)
            {
                double expected = 0;
                for (int h = 0; h < 6; h++)
                {
                    double z = b0[h];
                    for (int i = 0; i < 5; i++)
                    {
                        z += (double)w0[(h * 5) + i] * x[(r * 5) + i];
                    }

                    expected += w3[(o * 6) + h] * Math.Max(0, z) * global::NetGen.Kernels.Standout.KeepProbability(z, 1.5, -0.5);
                }

                Assert.Equal(expected, actual[(r * 3) + o], 1e-5);
            }
        }
    }

    [Fact]
    public void DropConnectIsThePlainDenseAtInferenceAndKeepsNnLinearKeys()
    {
        var plain = new PlainDenseNet(3);
        var dropConnect = new DropConnectNet(3);
        Assert.Equal(PlainDenseNet.ParameterTable.Select(p => p.Key), DropConnectNet.ParameterTable.Select(p => p.Key));
        Assert.Equal(plain.Parameters.ToArray(), dropConnect.Parameters.ToArray());
        (float[] x, _) = GradientCheckTests.Batch(plain, 4, 5);
        float[] expected = new float[4 * 3], actual = new float[4 * 3];
        plain.Predict(x, expected);
        dropConnect.Predict(x, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-6);
        }
    }
}
