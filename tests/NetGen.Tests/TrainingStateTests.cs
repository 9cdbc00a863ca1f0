using NetGen.Serialization;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// SaveTrainingState / LoadTrainingState: training resumed from a saved state gives the same bits as training that never
/// stopped (optimizer state, step counter and the seed that keys the dropout masks all travel), for every optimizer; bad
/// files throw naming the tensor or metadata key and leave the network exactly as it was.
/// </summary>
public sealed class TrainingStateTests
{
    private const int StepsBefore = 4;
    private const int StepsAfter = 5;

    [Fact]
    public void SgdResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsSgd(seed), n => ((ActsSgd)n).Seed, Array.Empty<string>());

    [Fact]
    public void MomentumResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsMomentum(seed), n => ((ActsMomentum)n).Seed, ["momentum_buffer"]);

    [Fact]
    public void NesterovResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsNesterov(seed), n => ((ActsNesterov)n).Seed, ["momentum_buffer"]);

    [Fact]
    public void AdaGradResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsAdaGrad(seed), n => ((ActsAdaGrad)n).Seed, ["sum"]);

    [Fact]
    public void RmsPropResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsRmsProp(seed), n => ((ActsRmsProp)n).Seed, ["square_avg"]);

    [Fact]
    public void AdamResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsAdam(seed), n => ((ActsAdam)n).Seed, ["exp_avg", "exp_avg_sq"]);

    /// <summary>The networks have dropout, so the masks (keyed by seed and step) must continue too.</summary>
    private static void ResumesWithTheSameBits(Func<ulong, INeuralNetwork> create, Func<INeuralNetwork, ulong> seedOf, string[] stateNames)
    {
        INeuralNetwork straight = create(7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(straight, straight.MaxBatch, 3);
        for (int i = 0; i < StepsBefore; i++)
        {
            straight.TrainStep(x, labels);
        }

        var saved = new MemoryStream();
        straight.SaveTrainingState(saved);
        byte[] file = saved.ToArray();

        // The file: every parameter and, per optimizer state array, one tensor per parameter, plus step and seed.
        SafeTensorsFile read = SafeTensorsFile.Read(new MemoryStream(file));
        Assert.Equal(straight.ParameterTable.Count * (1 + stateNames.Length), read.Names.Count);
        foreach (string name in stateNames)
        {
            Assert.Contains(Checkpoint.StateKey("0.weight", name), read.Names);
        }

        Assert.Equal(StepsBefore.ToString(System.Globalization.CultureInfo.InvariantCulture), read.Metadata[Checkpoint.StepMetadata]);
        Assert.Equal("7", read.Metadata[Checkpoint.SeedMetadata]);

        var straightLosses = new float[StepsAfter];
        for (int i = 0; i < StepsAfter; i++)
        {
            straightLosses[i] = straight.TrainStep(x, labels);
        }

        // Another seed: other initial weights and, until the state is loaded, other dropout masks.
        INeuralNetwork resumed = create(1234);
        resumed.LoadTrainingState(new MemoryStream(file));
        Assert.Equal(StepsBefore, resumed.Step);
        Assert.Equal(7UL, seedOf(resumed));
        var resumedLosses = new float[StepsAfter];
        for (int i = 0; i < StepsAfter; i++)
        {
            resumedLosses[i] = resumed.TrainStep(x, labels);
        }

        Assert.Equal(straightLosses, resumedLosses);
        Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters), "parameters differ after resuming");
        Assert.Equal(straight.Step, resumed.Step);
    }

    [Fact]
    public void ParametersAloneDoNotResumeAdam()
    {
        // The control for the tests above: with the parameters alone (Save/Load, which resets the moments and the step),
        // Adam's next steps differ; so the equality above is owed to the optimizer state in the file.
        var straight = new ActsAdam(7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(straight, ActsAdam.MaxBatch, 3);
        for (int i = 0; i < StepsBefore; i++)
        {
            straight.TrainStep(x, labels);
        }

        var saved = new MemoryStream();
        straight.Save(saved);
        var reloaded = new ActsAdam(7);
        reloaded.Load(new MemoryStream(saved.ToArray()));
        for (int i = 0; i < StepsAfter; i++)
        {
            straight.TrainStep(x, labels);
            reloaded.TrainStep(x, labels);
        }

        Assert.False(straight.Parameters.SequenceEqual(reloaded.Parameters));
    }

    [Fact]
    public void ParameterFileIsNotATrainingStateAndChangesNothing()
    {
        var net = Trained(new ActsAdam(5));
        var other = new MemoryStream();
        new ActsAdam(6).Save(other);
        AssertRejected(net, () => net.LoadTrainingState(new MemoryStream(other.ToArray())), "missing tensor 'optimizer.0.weight.exp_avg'");
    }

    [Fact]
    public void TrainingStateIsNotAParameterFileForLoadAndChangesNothing()
    {
        var net = Trained(new ActsAdam(5));
        var state = new MemoryStream();
        Trained(new ActsAdam(6)).SaveTrainingState(state);
        AssertRejected(net, () => net.Load(new MemoryStream(state.ToArray())), "unexpected tensor 'optimizer.");
    }

    [Fact]
    public void AnotherOptimizersStateIsRejectedAndChangesNothing()
    {
        var net = Trained(new ActsAdam(5));
        var momentum = new MemoryStream();
        Trained(new ActsMomentum(6)).SaveTrainingState(momentum);
        AssertRejected(net, () => net.LoadTrainingState(new MemoryStream(momentum.ToArray())), "'optimizer.0.weight.exp_avg'");
    }

    [Fact]
    public void MissingStepMetadataIsNamedAndChangesNothing()
    {
        // Plain SGD keeps no state, so a parameter file has exactly the tensors of its training state: only the
        // metadata tells them apart.
        var net = Trained(new ActsSgd(5));
        var parameters = new MemoryStream();
        new ActsSgd(6).Save(parameters);
        AssertRejected(net, () => net.LoadTrainingState(new MemoryStream(parameters.ToArray())), "'netgen.step'");
    }

    [Fact]
    public void MalformedStepMetadataIsNamedAndChangesNothing()
    {
        var net = Trained(new ActsSgd(5));
        var writer = new SafeTensorsWriter();
        writer.AddMetadata(Checkpoint.StepMetadata, "-3");
        writer.AddMetadata(Checkpoint.SeedMetadata, "1");
        var source = new ActsSgd(6);
        foreach (ParameterInfo info in ActsSgd.ParameterTable)
        {
            writer.Add(info.Key, info.ShapeSpan, source.GetParameter(info.Key));
        }

        var file = new MemoryStream();
        writer.WriteTo(file);
        AssertRejected(net, () => net.LoadTrainingState(new MemoryStream(file.ToArray())), "'netgen.step' = '-3'");
    }

    private static T Trained<T>(T net)
        where T : INeuralNetwork
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, net.MaxBatch, 3);
        net.TrainStep(x, labels);
        net.TrainStep(x, labels);
        return net;
    }

    /// <summary>The load throws <see cref="InvalidDataException"/> naming the problem, and the network's parameters, step
    /// and next training step (so its optimizer state and dropout seed) are those it had before.</summary>
    private static void AssertRejected(INeuralNetwork net, Action load, string expectedInMessage)
    {
        var before = new MemoryStream();
        net.SaveTrainingState(before);
        long step = net.Step;

        var ex = Assert.Throws<InvalidDataException>(load);

        Assert.Contains(expectedInMessage, ex.Message);
        var after = new MemoryStream();
        net.SaveTrainingState(after);
        Assert.Equal(before.ToArray(), after.ToArray());
        Assert.Equal(step, net.Step);
    }
}
