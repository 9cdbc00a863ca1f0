using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>The soft-target overloads (<c>TrainStep(inputs, targetProbabilities)</c>, <c>ComputeGradients(inputs,
/// targetProbabilities)</c>, used by Mixup and label smoothing by hand) refuse what the label overloads refuse: NaN or ±∞ in
/// the inputs or the probabilities before the forward pass, and a non-finite loss or gradient before the update, with the
/// whole training state (parameters, buffers, optimizer state, step) left as it was.</summary>
public sealed class SoftTargetNonFiniteTests
{
    private static byte[] State(Action<Stream> save)
    {
        var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }

    /// <summary>One-hot rows of <paramref name="labels"/> mixed 0.7 / 0.3 with the next row's (a Mixup-like target).</summary>
    private static float[] Mixed(int[] labels, int classes)
    {
        var p = new float[labels.Length * classes];
        for (int r = 0; r < labels.Length; r++)
        {
            p[r * classes + labels[r]] += 0.7f;
            p[r * classes + labels[(r + 1) % labels.Length]] += 0.3f;
        }

        return p;
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ANonFiniteInputIsRefusedNamingTheIndexAndNothingChanges(float bad)
    {
        var net = new ActsAdam(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 8, 2);
        float[] p = Mixed(labels, ActsAdam.OutputSize);
        net.TrainStep(x, p);
        byte[] before = State(net.SaveTrainingState);

        float[] poisoned = (float[])x.Clone();
        poisoned[17] = bad;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(poisoned, p));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("inputs[17]", e.Message);
        Assert.Contains("ActsAdam", e.Message);
        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => net.ComputeGradients(poisoned, p)).ParamName);

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(1, net.Step);
    }

    [Fact]
    public void ANonFiniteProbabilityIsRefusedNamingTheIndexAndNothingChanges()
    {
        var net = new ActsAdam(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 8, 2);
        float[] p = Mixed(labels, ActsAdam.OutputSize);
        net.TrainStep(x, p);
        byte[] before = State(net.SaveTrainingState);

        float[] poisoned = (float[])p.Clone();
        poisoned[5] = float.NaN;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(x, poisoned));
        Assert.Equal("targetProbabilities", e.ParamName);
        Assert.Contains("targetProbabilities[5]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.ComputeGradients(x, poisoned));

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(1, net.Step);
    }

    [Fact]
    public void AnOverflowToAnInfiniteGradientRefusesTheStepNamingTheTensorAndNothingChanges()
    {
        // As NonFiniteTests' overflow case: finite inputs ±3e38, W0 = 0, W1 = ±1e10, the loss is ln 2 but dW0 overflows.
        var net = new OverflowAdam(1);
        net.GetParameter("0.weight").Clear();
        net.GetParameter("1.weight").Fill(1e10f);
        net.GetParameter("1.weight")[2..].Fill(-1e10f);
        net.GetParameter("1.bias").Clear();
        float[] x = { 3e38f, 3e38f, 3e38f, -3e38f };
        float[] p = { 0.8f, 0.2f, 0.1f, 0.9f };
        byte[] before = State(net.SaveTrainingState);

        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(x, p));
        Assert.Contains("gradient of '0.weight'", e.Message);
        Assert.Contains("TrainStep of network 'OverflowAdam' was refused", e.Message);

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(0, net.Step);
        Assert.Contains("ComputeGradients", Assert.Throws<NonFiniteStepException>(() => net.ComputeGradients(x, p)).Message);
        Assert.Equal(before, State(net.SaveTrainingState));
    }

    [Fact]
    public void ANonFiniteLossIsRefusedAndTheRunningStatisticsArePutBack()
    {
        var net = new BnAdam(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 5, 2);
        float[] p = Mixed(labels, BnAdam.OutputSize);
        net.TrainStep(x, p);
        byte[] before = State(net.SaveTrainingState);

        float[] huge = x.Select(v => v >= 0 ? 3e38f : -3e38f).ToArray();
        Assert.Contains("the loss is", Assert.Throws<NonFiniteStepException>(() => net.TrainStep(huge, p)).Message);
        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Throws<NonFiniteStepException>(() => net.ComputeGradients(huge, p));

        Assert.Equal(before, State(net.SaveTrainingState));
        Assert.Equal(1, net.GetCounter("1.num_batches_tracked"));
        Assert.Equal(1, net.Step);
    }
}
