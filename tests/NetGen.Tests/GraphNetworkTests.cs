using System.Text.Json;
using NetGen.Serialization;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>Buffers, files written by PyTorch, nested keys, regression targets and the run-time learning rate of generated
/// networks, through their public API.</summary>
public sealed class GraphNetworkTests
{
    [Fact]
    public void AFileWrittenByPyTorchAfterTrainingLoadsAndGivesPyTorchsEvalOutputs()
    {
        // bn.pytorch.safetensors: PyTorch's float32 model after 3 train-mode steps, parameters and buffers (running
        // statistics F32, num_batches_tracked I64 with shape []), exactly its state_dict.
        var net = new BnAdam(1);
        net.Load(TestPaths.Reference("bn.pytorch.safetensors"));
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("bn.pytorch.f32.json")));
        float[] x = expected.RootElement.GetProperty("x").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        double[] eval = expected.RootElement.GetProperty("eval_output_after_steps_f32").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        var outputs = new float[eval.Length];
        net.Predict(x, outputs);

        Close.Tensor(eval, outputs, 1e-5, "eval output of the model PyTorch trained");
        Assert.Equal(3, net.GetCounter("1.num_batches_tracked"));
        Assert.Equal(3, net.GetCounter("6.num_batches_tracked"));
        Assert.NotEqual(0f, net.GetBuffer("1.running_mean")[0]);
    }

    [Fact]
    public void SaveWritesParametersAndBuffersWithPyTorchsNamesAndDtypes()
    {
        var net = new BnAdam(3);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 5, 2);
        net.TrainStep(x, labels);
        net.TrainStep(x, labels);
        var stream = new MemoryStream();
        net.Save(stream);

        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(stream.ToArray()));
        Assert.Equal(BnAdam.ParameterTable.Select(p => p.Key).Concat(BnAdam.BufferTable.Select(b => b.Key)).OrderBy(k => k), file.Names.OrderBy(k => k));
        Assert.Equal(SafeTensorsDtype.I64, file.GetDtype("1.num_batches_tracked"));
        Assert.Empty(file.GetShape("1.num_batches_tracked"));
        Assert.Equal(2, file.ReadInt64Scalar("6.num_batches_tracked"));
        Assert.Equal(SafeTensorsDtype.F32, file.GetDtype("6.running_var"));

        var copy = new BnAdam(99);
        copy.Load(new MemoryStream(stream.ToArray()));
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
        Assert.Equal(net.GetBuffer("1.running_var").ToArray(), copy.GetBuffer("1.running_var").ToArray());
        Assert.Equal(2, copy.GetCounter("1.num_batches_tracked"));
        var a = new float[5 * BnAdam.OutputSize];
        var b = new float[5 * BnAdam.OutputSize];
        net.Predict(x, a);
        copy.Predict(x, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void ALoadMissingABufferNamesItAndChangesNothing()
    {
        var source = new BnAdam(3);
        var stream = new MemoryStream();
        source.Save(stream);
        SafeTensorsFile full = SafeTensorsFile.Read(new MemoryStream(stream.ToArray()));
        var writer = new SafeTensorsWriter();
        foreach (ParameterInfo p in BnAdam.ParameterTable)
        {
            writer.Add(p.Key, p.ShapeSpan, full.ReadSingles(p.Key));
        }

        var partial = new MemoryStream();
        writer.WriteTo(partial);
        var net = new BnAdam(5);
        float[] before = net.Parameters.ToArray();
        var error = Assert.ThrowsAny<Exception>(() => net.Load(new MemoryStream(partial.ToArray())));
        Assert.Contains("1.running_mean", error.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, net.GetCounter("1.num_batches_tracked"));
    }

    [Fact]
    public void TrainingStateResumesBatchNormAndTheLearningRateBitForBit()
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(new BnAdam(1), 5, 4);
        var straight = new BnAdam(7);
        straight.TrainStep(x, labels);
        straight.LearningRate = 0.003;
        straight.TrainStep(x, labels);
        var saved = new MemoryStream();
        straight.SaveTrainingState(saved);
        straight.TrainStep(x, labels);

        var resumed = new BnAdam(1234);
        resumed.LoadTrainingState(new MemoryStream(saved.ToArray()));
        Assert.Equal(0.003, resumed.LearningRate);
        Assert.Equal(2, resumed.GetCounter("1.num_batches_tracked"));
        resumed.TrainStep(x, labels);

        Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(straight.GetBuffer("6.running_mean").ToArray(), resumed.GetBuffer("6.running_mean").ToArray());
        Assert.Equal(3, resumed.GetCounter("6.num_batches_tracked"));
    }

    [Fact]
    public void ResidualKeysNestAsPyTorchModules()
    {
        Assert.Equal(
            new[] { "0.weight", "0.bias", "2.branch.0.weight", "2.branch.0.bias", "2.branch.2.weight", "2.branch.2.bias", "4.branch.0.weight", "4.branch.0.bias", "4.branch.2.weight", "4.branch.2.bias", "4.shortcut.0.weight", "7.weight", "7.bias" },
            ResnetSgd.ParameterTable.Select(p => p.Key).ToArray());
        Assert.Equal(new[] { 8, 4, 1, 1 }, ResnetSgd.ParameterTable.Single(p => p.Key == "4.shortcut.0.weight").Shape.ToArray());
        Assert.Contains("Residual(branch, shortcut)", new ResnetSgd(1).Summary());
    }

    [Fact]
    public void RegressionTargetsAreCheckedBeforeAnythingChanges()
    {
        var net = new MseSgd(1);
        float[] x = new float[2 * MseSgd.InputSize];
        float[] before = net.Parameters.ToArray();
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => net.TrainStep(x, new float[3])).Message);
        Assert.Contains("not a finite number", Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(x, new[] { 1f, float.NaN })).Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, net.Step);
    }

    [Fact]
    public void BatchNorm1DRefusesATrainingBatchOfOneRowAndChangesNothing()
    {
        var net = new BnAdam(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 1, 4);
        float[] before = net.Parameters.ToArray();
        string message = Assert.Throws<ArgumentException>(() => net.TrainStep(x, labels)).Message;
        Assert.Contains("at least 2", message);
        Assert.Contains("(BatchNorm1D)", message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, net.GetCounter("1.num_batches_tracked"));
        var outputs = new float[BnAdam.OutputSize];
        net.Predict(x, outputs); // inference on one row is fine: it uses the running statistics
    }

    [Fact]
    public void AStepLRResumedAfterLoadTrainingStateContinuesTheSchedule()
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(new StepLrMomentum(1), 8, 3);
        var straight = new StepLrMomentum(5);
        var schedule = new StepLR(straight, stepSize: 3, gamma: 0.5);
        for (int i = 0; i < 4; i++)
        {
            straight.TrainStep(x, labels);
            schedule.Step();
        }

        var saved = new MemoryStream();
        straight.SaveTrainingState(saved);
        var resumed = new StepLrMomentum(9);
        resumed.LoadTrainingState(new MemoryStream(saved.ToArray()));
        var resumedSchedule = new StepLR(resumed, stepSize: 3, gamma: 0.5, epoch: schedule.Epoch);
        Assert.Equal(schedule.BaseLearningRate, resumedSchedule.BaseLearningRate);
        for (int i = 0; i < 4; i++)
        {
            straight.TrainStep(x, labels);
            schedule.Step();
            resumed.TrainStep(x, labels);
            resumedSchedule.Step();
        }

        Assert.Equal(0.025, resumed.LearningRate);
        Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray());
    }

    [Fact]
    public void TheLearningRateIsReadAtRunTimeAndValidated()
    {
        var a = new StepLrMomentum(5);
        var b = new StepLrMomentum(5);
        (float[] x, int[] labels) = GradientCheckTests.Batch(a, 8, 3);
        Assert.Equal(0.1, a.LearningRate);
        b.LearningRate = 0.05;
        a.TrainStep(x, labels);
        b.TrainStep(x, labels);
        Assert.NotEqual(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => a.LearningRate = -0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.LearningRate = double.PositiveInfinity);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.LearningRate = double.NaN);
        Assert.Equal(0.1, a.LearningRate);
    }
}
