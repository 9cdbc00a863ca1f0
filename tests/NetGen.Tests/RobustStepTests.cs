using System.Runtime.InteropServices;
using NetGen.Data;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>A step whose loss or gradient is not finite is refused: the exception names the first layer where it went
/// non-finite, and the parameters, optimizer moments and step counter are bit for bit as before (SGD with momentum and
/// Adam). Fit can skip such steps instead (<see cref="FitOptions.NonFiniteSteps"/>) and counts them.</summary>
public sealed class RobustStepTests
{
    private static readonly float[] X = { 0.5f, -1f, 1.5f, 0.25f, -0.75f, 2f, 1f, -0.5f };
    private static readonly int[] Labels = { 0, 1, 1, 0 };

    /// <summary>Finite, but W0 = 1e10 takes the first layer's output past float's range.</summary>
    private static readonly float[] Huge = { 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f };

    private static byte[] Bytes(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    private static byte[] TrainingState(INeuralNetwork net)
    {
        var stream = new MemoryStream();
        net.SaveTrainingState(stream);
        return stream.ToArray();
    }

    /// <summary>Takes two good steps (so the velocity or moments are not zero), then a refused one, and compares.</summary>
    private static void RefusedStepChangesNoBit<TNet>(TNet net, string[] stateNames)
        where TNet : INeuralNetwork<int>
    {
        net.TrainStep(X, Labels);
        net.TrainStep(X, Labels);
        net.Parameters.Slice(net.ParameterTable[0].Offset, net.ParameterTable[0].Length).Fill(1e10f); // "0.weight"
        byte[] parameters = Bytes(net.Parameters);
        byte[] state = TrainingState(net);
        long step = net.Step;

        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(Huge, Labels));
        Assert.Equal("'wide' ([0] Dense)", e.Layer);
        Assert.Contains("the first layer whose output is not finite is 'wide' ([0] Dense)", e.Message);
        Assert.Equal("TrainStep", e.Call);
        Assert.Null(e.Tensor);

        Assert.Equal(step, net.Step);
        Assert.Equal(parameters, Bytes(net.Parameters));
        Assert.Equal(state, TrainingState(net));

        // The optimizer moments one by one, as tensors of the training state (what SaveTrainingState wrote above).
        var file = Serialization.SafeTensorsFile.Read(new MemoryStream(state));
        foreach (string name in stateNames)
        {
            Assert.True(file.Contains(Checkpoint.StateKey("0.weight", name)), name);
            Assert.Contains(file.ReadSingles(Checkpoint.StateKey("0.weight", name)), v => v != 0);
        }
    }

    [Fact]
    public void ARefusedStepOfSgdWithMomentumLeavesParametersVelocityAndStepBitForBit() =>
        RefusedStepChangesNoBit(new RobustMomentum(1), ["momentum_buffer"]);

    [Fact]
    public void ARefusedStepOfAdamLeavesParametersMomentsAndStepBitForBit() =>
        RefusedStepChangesNoBit(new RobustAdam(1), ["exp_avg", "exp_avg_sq"]);

    [Fact]
    public void AfterARefusedStepTheNextStepIsTheOneAnUninterruptedRunTakes()
    {
        var refused = new RobustAdam(4);
        var clean = new RobustAdam(4);
        refused.TrainStep(X, Labels);
        clean.TrainStep(X, Labels);
        float[] w = refused.GetParameter("0.weight").ToArray();
        refused.GetParameter("0.weight").Fill(1e10f);
        Assert.Throws<NonFiniteStepException>(() => refused.TrainStep(Huge, Labels));
        w.CopyTo(refused.GetParameter("0.weight"));

        refused.TrainStep(X, Labels);
        clean.TrainStep(X, Labels);
        Assert.Equal(TrainingState(clean), TrainingState(refused));
    }

    [Fact]
    public void AGradientThatWentNonFiniteIsNamedAtTheFirstLayerTheBackwardPassReached()
    {
        // Tensors in state_dict order; backward reaches the last first, so of two non-finite gradients the later is named.
        ParameterInfo[] table =
        [
            new("0.weight", "first", [2, 2], 0, 4, weightDecay: true),
            new("0.bias", "first", [2], 4, 2, weightDecay: false),
            new("1.weight", "second", [1, 2], 6, 2, weightDecay: true),
            new("1.bias", "second", [1], 8, 1, weightDecay: false),
        ];
        float[] gradients = { 1, float.NaN, 3, 4, 5, 6, 7, float.PositiveInfinity, 9 };
        Assert.False(Guard.IsFiniteStep(0.5, gradients));

        var e = Assert.Throws<NonFiniteStepException>(() => Guard.ThrowNonFiniteStep(0.5, gradients, table, null, "TrainStep", "Net"));
        Assert.Equal("1.weight", e.Tensor);
        Assert.Equal(1, e.Element);
        Assert.Equal("'second'", e.Layer);
        Assert.Contains("the gradient of '1.weight' (layer 'second') is ", e.Message);
        Assert.Contains(" at element 1, the first non-finite gradient the backward pass reached", e.Message);

        gradients[7] = 8;
        Assert.Equal("0.weight", Assert.Throws<NonFiniteStepException>(() => Guard.ThrowNonFiniteStep(0.5, gradients, table, null, "TrainStep", "Net")).Tensor);
        Assert.True(Guard.IsFiniteStep(0.5, new float[9]));
        Assert.False(Guard.IsFiniteStep(double.NaN, new float[9]));
    }

    [Fact]
    public void TheFinitenessCheckFindsOneBadValueAtAnyPositionOfAnyLength()
    {
        // Lengths around the vector widths (8 and 16 lanes, 4 sums each) and their tails; finite extremes pass.
        foreach (int n in new[] { 0, 1, 7, 31, 32, 33, 63, 64, 65, 127, 200, 1027 })
        {
            float[] values = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? float.MaxValue : i % 3 == 1 ? -float.MaxValue : float.Epsilon).ToArray();
            Assert.True(Guard.AllFinite(values), $"n = {n}");
            for (int at = 0; at < n; at++)
            {
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    float kept = values[at];
                    values[at] = bad;
                    Assert.False(Guard.AllFinite(values), $"n = {n}, values[{at}] = {bad}");
                    Assert.False(Guard.IsFiniteStep(0.5, values));
                    values[at] = kept;
                }
            }
        }
    }

    [Fact]
    public void TheGradientArenaCheckSplitOverTheCoresFindsOneBadValueAnywhere()
    {
        // Above 64K elements the arena overload splits the read over the workers (64-element blocks per part).
        var arena = new float[200_003];
        Assert.True(Guard.IsFiniteStep(0.5, arena));
        foreach (int at in new[] { 0, 63, 64, 65_535, 100_000, 100_001, 199_999, 200_002 })
        {
            arena[at] = at % 2 == 0 ? float.NaN : float.NegativeInfinity;
            Assert.False(Guard.IsFiniteStep(0.5, arena), $"arena[{at}]");
            arena[at] = 0;
            Assert.True(Guard.IsFiniteStep(0.5, arena));
        }

        Assert.False(Guard.IsFiniteStep(double.PositiveInfinity, arena));
    }

    private static InMemoryDataset Data(int rows)
    {
        var x = new float[rows * 2];
        var y = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            x[2 * i] = (float)Math.Sin(i);
            x[(2 * i) + 1] = (float)Math.Cos(3 * i);
            y[i] = x[2 * i] > 0 ? 1 : 0;
        }

        return new InMemoryDataset(x, y, 2);
    }

    /// <summary>Batch 1 of every epoch overflows the first layer (inputs 3e38 against weights around 1): with Skip, Fit
    /// leaves it out and counts it; with Throw (the default) the refusal ends Fit.</summary>
    private static FitOptions Options(NonFiniteStepPolicy policy) => new()
    {
        Epochs = 3,
        BatchSize = 4,
        NonFiniteSteps = policy,
        TrainingEvaluationRows = 0,
        Progress = TrainingProgress.None,
        TransformBatch = (x, rows, epoch, batch) =>
        {
            if (batch == 1)
            {
                x.Fill(3e38f);
            }
        },
    };

    [Fact]
    public void FitSkipsAndCountsRefusedStepsWhenAskedAndThrowsByDefault()
    {
        var thrown = new RobustMomentum(2);
        thrown.GetParameter("0.weight").Fill(1);
        var e = Assert.Throws<NonFiniteStepException>(() => thrown.Fit(Data(16), Options(NonFiniteStepPolicy.Throw)));
        Assert.Equal("'wide' ([0] Dense)", e.Layer);
        Assert.Equal(1, thrown.Step); // batch 0 of epoch 0 was taken, batch 1 refused

        var net = new RobustMomentum(2);
        net.GetParameter("0.weight").Fill(1);
        TrainingHistory history = net.Fit(Data(16), Options(NonFiniteStepPolicy.Skip));
        Assert.Equal(3, history.SkippedSteps);
        Assert.Equal(3 * 3, net.Step); // 4 batches per epoch, one skipped
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(3, history.Count);
        Assert.All(history, r => Assert.True(double.IsFinite(r.Loss)));
        Assert.Contains("3 steps refused as non-finite and skipped", TrainingProgress.EndLine(history));
    }

    [Fact]
    public void TheSkippedCountSurvivesACheckpointAndResume()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netgen-skip-{Guid.NewGuid():N}.ckpt");
        try
        {
            var first = new RobustMomentum(2);
            first.GetParameter("0.weight").Fill(1);
            FitOptions options = Options(NonFiniteStepPolicy.Skip);
            first.Fit(Data(16), new FitOptions
            {
                Epochs = 2, BatchSize = 4, NonFiniteSteps = NonFiniteStepPolicy.Skip, TrainingEvaluationRows = 0,
                Progress = TrainingProgress.None, TransformBatch = options.TransformBatch, CheckpointPath = path,
            });

            var resumed = new RobustMomentum(2);
            TrainingHistory history = resumed.Fit(Data(16), new FitOptions
            {
                Epochs = 3, BatchSize = 4, NonFiniteSteps = NonFiniteStepPolicy.Skip, TrainingEvaluationRows = 0,
                Progress = TrainingProgress.None, TransformBatch = options.TransformBatch, ResumeFrom = path,
            });
            Assert.Equal(3, history.SkippedSteps);
            Assert.Equal(9, resumed.Step);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
