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
    public void SgdResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsSgd(seed), Array.Empty<string>());

    [Fact]
    public void MomentumResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsMomentum(seed), ["momentum_buffer"]);

    [Fact]
    public void NesterovResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsNesterov(seed), ["momentum_buffer"]);

    [Fact]
    public void AdaGradResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsAdaGrad(seed), ["sum"]);

    [Fact]
    public void RmsPropResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsRmsProp(seed), ["square_avg"]);

    [Fact]
    public void AdamResumesWithTheSameBits() => ResumesWithTheSameBits(seed => new ActsAdam(seed), ["exp_avg", "exp_avg_sq"]);

    /// <summary>The networks have dropout, so the masks (keyed by seed and step) must continue too.</summary>
    private static void ResumesWithTheSameBits(Func<ulong, INeuralNetwork<int>> create, string[] stateNames)
    {
        INeuralNetwork<int> straight = create(7);
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
        INeuralNetwork<int> resumed = create(1234);
        resumed.LoadTrainingState(new MemoryStream(file));
        Assert.Equal(StepsBefore, resumed.Step);
        Assert.Equal(7UL, resumed.Seed);
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
    public void AdamsMomentsAreWhatMakesTheResumedRunEqual()
    {
        // The control for the tests above: the same training state with Adam's moments zeroed (parameters, step and seed
        // kept, so the dropout masks and the bias correction are those of the uninterrupted run) resumes differently.
        var straight = new ActsAdam(7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(straight, ActsAdam.MaxBatch, 3);
        for (int i = 0; i < StepsBefore; i++)
        {
            straight.TrainStep(x, labels);
        }

        var saved = new MemoryStream();
        straight.SaveTrainingState(saved);
        byte[] zeroedMoments = Rewrite(saved.ToArray(), (name, data) => name.StartsWith("optimizer.", StringComparison.Ordinal) ? new float[data.Length] : data);
        var exact = new ActsAdam(1);
        exact.LoadTrainingState(new MemoryStream(saved.ToArray()));
        var withoutMoments = new ActsAdam(1);
        withoutMoments.LoadTrainingState(new MemoryStream(zeroedMoments));
        Assert.Equal(StepsBefore, withoutMoments.Step);
        Assert.Equal(7UL, withoutMoments.Seed);
        for (int i = 0; i < StepsAfter; i++)
        {
            straight.TrainStep(x, labels);
            exact.TrainStep(x, labels);
            withoutMoments.TrainStep(x, labels);
        }

        Assert.True(straight.Parameters.SequenceEqual(exact.Parameters));
        Assert.False(straight.Parameters.SequenceEqual(withoutMoments.Parameters));
    }

    [Fact]
    public void ALateTensorWithTheWrongShapeIsNamedAndChangesNothing()
    {
        // Every key is right, so the load gets past the key check and reads tensors; the last one read (Adam's second
        // moment of the last layer's bias) has the wrong shape. Nothing read before it may reach the network.
        var net = Trained(new ActsAdam(5));
        var state = new MemoryStream();
        Trained(new ActsAdam(6)).SaveTrainingState(state);
        string last = Checkpoint.StateKey(ActsAdam.ParameterTable[^1].Key, "exp_avg_sq");
        byte[] file = Rewrite(state.ToArray(), (name, data) => data, reshape: name => name == last ? [1, 3] : null);
        AssertRejected(net, () => net.LoadTrainingState(new MemoryStream(file)), $"'{last}'");
    }

    /// <summary>A copy of a safetensors file (F32 tensors and metadata) with each tensor's data passed through
    /// <paramref name="data"/> and, where <paramref name="reshape"/> says so, another shape.</summary>
    private static byte[] Rewrite(byte[] file, Func<string, float[], float[]> data, Func<string, int[]?>? reshape = null)
    {
        SafeTensorsFile read = SafeTensorsFile.Read(new MemoryStream(file));
        var writer = new SafeTensorsWriter();
        foreach (KeyValuePair<string, string> pair in read.Metadata)
        {
            writer.AddMetadata(pair.Key, pair.Value);
        }

        foreach (string name in read.Names)
        {
            writer.Add(name, reshape?.Invoke(name) ?? read.GetShape(name), data(name, read.ReadSingles(name)));
        }

        var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
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
        where T : INeuralNetwork<int>
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
