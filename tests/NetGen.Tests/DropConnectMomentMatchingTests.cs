using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// A generated network with [DropConnect(…, Inference = DropConnectInference.MomentMatching)] followed by [ReLU]: training
/// is the same as with the default inference, Predict is Wan et al.'s sampled average (the kernel is checked against
/// torch in NetGen.Runtime.Tests.DropConnectMomentMatchingTests), deterministic, and keyed by
/// Key(seed, DropoutStream, node ordinal, 2⁶⁴ − 1).
/// </summary>
public sealed class DropConnectMomentMatchingTests
{
    [Fact]
    public void TrainingIsTheSameAsWithTheMeanInference()
    {
        var mean = new MeanDropConnectReLUNet(5);
        var matched = new MomentMatchingDropConnectNet(5);
        Assert.Equal(MeanDropConnectReLUNet.ParameterTable.Select(p => p.Key), MomentMatchingDropConnectNet.ParameterTable.Select(p => p.Key));
        Assert.Equal(mean.Parameters.ToArray(), matched.Parameters.ToArray());
        (float[] x, int[] labels) = GradientCheckTests.Batch(mean, 4, 3);
        for (int step = 0; step < 3; step++)
        {
            Assert.Equal(mean.TrainStep(x, labels), matched.TrainStep(x, labels));
        }

        Assert.Equal(mean.Parameters.ToArray(), matched.Parameters.ToArray());
        GradCheckResult check = matched.GradCheck(x, labels);
        Assert.All(check.Tensors, e => Assert.True(e.MaxRelativeError < 1e-7, $"'{e.Key}': {e.MaxRelativeError:E3}"));
    }

    [Fact]
    public void PredictIsTheSampledAverageOfTheReLUThenTheDenseAndIsDeterministic()
    {
        const ulong seed = 9;
        var net = new MomentMatchingDropConnectNet(seed);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 4, 3);
        net.TrainStep(x, labels);

        float[] first = new float[4 * 3], second = new float[4 * 3];
        net.Predict(x, first);
        net.Predict(x, second);
        Assert.Equal(first, second);

        // By hand: h = MomentMatchingReLU(x; W1, b1) with the inference key of node 0, then y = h·W2ᵀ + b2.
        float[] arena = net.Parameters.ToArray();
        ParameterInfo[] table = MomentMatchingDropConnectNet.ParameterTable.ToArray();
        float[] h = new float[4 * 6], expected = new float[4 * 3];
        DropConnect.MomentMatchingReLU<float>(x, ParameterInfo.Slice(table, 0, arena), ParameterInfo.Slice(table, 1, arena), h, 4, 5, 6, 0.5, 2000,
            CounterRng.Key(seed, CounterRng.DropoutStream, 0, ulong.MaxValue));
        Dense.Forward<float>(h, ParameterInfo.Slice(table, 2, arena), ParameterInfo.Slice(table, 3, arena), expected, 4, 6, 3);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], first[i], 1e-5);
        }

        // A row alone gives the same output as in the batch.
        float[] alone = new float[3];
        net.Predict(x.AsSpan(5, 5), alone);
        Assert.Equal(first.AsSpan(3, 3).ToArray(), alone);
    }

    [Fact]
    public void MomentMatchingDiffersFromTheMeanNetworkByJensensGap()
    {
        // E[ReLU(u)] ≥ ReLU(E[u]) with equality only where σ = 0: the hidden layer of the moment-matched network is
        // above the mean network's, so with the same weights the outputs differ.
        var mean = new MeanDropConnectReLUNet(5);
        var matched = new MomentMatchingDropConnectNet(5);
        (float[] x, _) = GradientCheckTests.Batch(mean, 4, 3);
        float[] a = new float[4 * 3], b = new float[4 * 3];
        mean.Predict(x, a);
        matched.Predict(x, b);
        Assert.NotEqual(a, b);
    }
}
