using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>One NaN in a batch must not ruin a trained model: non-finite inputs and targets are refused before anything
/// changes, and a step whose loss or gradient is not finite is refused before the update. "Unchanged" is checked on the
/// bytes of the whole training state (parameters, buffers, optimizer state, step, seed, learning rate).</summary>
public sealed class NonFiniteTests
{
    private static byte[] State(Action<Stream> save)
    {
        var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ANonFiniteInputIsRefusedNamingTheIndexAndNothingChanges(float bad)
    {
        var net = new ActsAdam(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 8, 2);
        net.TrainStep(x, labels);   // optimizer state and step are no longer at their start
        byte[] before = State(net.SaveTrainingState);

        float[] poisoned = (float[])x.Clone();
        poisoned[17] = bad;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(poisoned, labels));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("inputs[17]", e.Message);
        Assert.Contains("ActsAdam", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.ComputeGradients(poisoned, labels));

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(1, net.Step);
    }

    [Fact]
    public void ANonFiniteTargetIsRefusedNamingTheIndexAndNothingChanges()
    {
        var net = new MseMultiAdam(1);
        float[] x = Enumerable.Range(0, 3 * MseMultiAdam.InputSize).Select(i => (float)Math.Sin(i)).ToArray();
        float[] targets = Enumerable.Range(0, 3 * MseMultiAdam.OutputSize).Select(i => (float)Math.Cos(i)).ToArray();
        net.TrainStep(x, targets);
        byte[] before = State(net.SaveTrainingState);

        float[] poisoned = (float[])targets.Clone();
        poisoned[targets.Length - 1] = float.NaN;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(x, poisoned));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains($"targets[{targets.Length - 1}]", e.Message);

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(1, net.Step);
    }

    [Fact]
    public void AnOverflowToAnInfiniteGradientRefusesTheStepNamingTheTensorAndNothingChanges()
    {
        // x = ±3e38 (finite), W0 = 0, W1 = [[1e10, 1e10], [−1e10, −1e10]]: the logits are b1 = 0, so the loss is ln 2,
        // finite; but dh = dz · W1 = ±5e9 and dW0 = dhᵀ · x ≈ 5e9 · 3e38 overflows.
        var net = new OverflowAdam(1);
        net.GetParameter("0.weight").Clear();
        net.GetParameter("1.weight").Fill(1e10f);
        net.GetParameter("1.weight")[2..].Fill(-1e10f);
        net.GetParameter("1.bias").Clear();
        float[] x = { 3e38f, 3e38f, 3e38f, -3e38f };
        int[] labels = { 0, 1 };
        byte[] before = State(net.SaveTrainingState);

        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(x, labels));
        Assert.Contains("gradient of '0.weight'", e.Message);
        Assert.Contains("TrainStep of network 'OverflowAdam' was refused", e.Message);
        Assert.False(float.IsFinite(net.Gradients[0]) && float.IsFinite(net.Gradients[1]) && float.IsFinite(net.Gradients[2]) && float.IsFinite(net.Gradients[3]));

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(0, net.Step);
        Assert.Contains("ComputeGradients", Assert.Throws<NonFiniteStepException>(() => net.ComputeGradients(x, labels)).Message);
    }

    [Fact]
    public void ANonFiniteLossIsRefusedAndTheRunningStatisticsArePutBack()
    {
        // BatchNorm updates its running statistics in the forward pass; finite but huge inputs overflow the first
        // convolution, the loss is NaN, and the refused step must put the statistics (and num_batches_tracked) back.
        var net = new BnAdam(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 5, 2);
        net.TrainStep(x, labels);
        byte[] before = State(net.SaveTrainingState);

        float[] huge = x.Select(v => v >= 0 ? 3e38f : -3e38f).ToArray();
        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(huge, labels));
        Assert.Contains("the loss is", e.Message);

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(1, net.GetCounter("1.num_batches_tracked"));
        Assert.Equal(1, net.Step);
    }

    [Fact]
    public void AfterARefusedStepTrainingGoesOnAsIfTheCallHadNotHappened()
    {
        var refused = new ActsAdam(3);
        var clean = new ActsAdam(3);
        (float[] x, int[] labels) = GradientCheckTests.Batch(refused, 8, 4);
        refused.TrainStep(x, labels);
        clean.TrainStep(x, labels);

        float[] poisoned = (float[])x.Clone();
        poisoned[0] = float.NaN;
        Assert.Throws<ArgumentOutOfRangeException>(() => refused.TrainStep(poisoned, labels));
        float a = refused.TrainStep(x, labels);
        float b = clean.TrainStep(x, labels);

        Assert.Equal(b, a);
        Assert.Equal(State(clean.SaveTrainingState), State(refused.SaveTrainingState));
    }
}
