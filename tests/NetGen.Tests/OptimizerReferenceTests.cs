using System.Text.Json;
using NetGen.Serialization;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Every optimizer against PyTorch 1.13's torch.optim over 10 steps of the same network (tests/reference/
/// make_optimizer_reference.py wrote Reference/optim_*.json): the parameters after every step at 1e-5 of the tensor's
/// scale, and after the last step every optimizer state array, read back from SaveTrainingState under PyTorch's name.
/// </summary>
public sealed class OptimizerReferenceTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Cases => new()
    {
        "sgd", "momentum", "nesterov", "adam", "adam_amsgrad", "adamw", "adamw_amsgrad", "adagrad",
        "rmsprop", "rmsprop_momentum", "rmsprop_centered", "rmsprop_centered_momentum", "adadelta", "adadelta_lr",
    };

    internal static INeuralNetwork<int> Create(string name, ulong seed) => name switch
    {
        "sgd" => new OptSgd(seed),
        "momentum" => new OptMomentum(seed),
        "nesterov" => new OptNesterov(seed),
        "adam" => new OptAdam(seed),
        "adam_amsgrad" => new OptAdamAmsgrad(seed),
        "adamw" => new OptAdamW(seed),
        "adamw_amsgrad" => new OptAdamWAmsgrad(seed),
        "adagrad" => new OptAdaGrad(seed),
        "rmsprop" => new OptRmsProp(seed),
        "rmsprop_momentum" => new OptRmsPropMomentum(seed),
        "rmsprop_centered" => new OptRmsPropCentered(seed),
        "rmsprop_centered_momentum" => new OptRmsPropCenteredMomentum(seed),
        "adadelta" => new OptAdaDelta(seed),
        "adadelta_lr" => new OptAdaDeltaLr(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheTrajectoryIsPyTorchs(string name)
    {
        var reference = ReferenceCase.Load("optim_" + name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        reference.CopyParametersInto(net);
        double[] rates = reference.LearningRatePerStep;
        for (int step = 0; step < reference.StepCount; step++)
        {
            Assert.Equal(rates[step], net.LearningRate);
            float loss = net.TrainStep(reference.X, reference.Labels);
            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"{name}: loss of step {step}");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"{name}: '{info.Key}' after step {step}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheTrainingStateHoldsPyTorchsStateUnderItsNames(string name)
    {
        var reference = ReferenceCase.Load("optim_" + name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        reference.CopyParametersInto(net);
        for (int step = 0; step < reference.StepCount; step++)
        {
            net.TrainStep(reference.X, reference.Labels);
        }

        var stream = new MemoryStream();
        net.SaveTrainingState(stream);
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(stream.ToArray()));
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("optim_" + name + ".json")));
        JsonElement finalState = document.RootElement.GetProperty("final_state");
        int tensors = 0;
        foreach (ParameterInfo info in net.ParameterTable)
        {
            foreach (JsonProperty state in finalState.GetProperty(info.Key).EnumerateObject())
            {
                string key = Checkpoint.StateKey(info.Key, state.Name);
                Assert.True(file.Contains(key), $"{name}: the training state has no '{key}'");
                double[] expected = state.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                Close.Tensor(expected, file.ReadSingles(key), 1e-4, $"{name}: '{key}'", floor: 1e-8);
                tensors++;
            }
        }

        // Exactly PyTorch's state arrays: the parameters plus one tensor per parameter and state name, nothing else.
        Assert.Equal(net.ParameterTable.Count + tensors, file.Names.Count);
    }

    [Theory]
    [InlineData("adam_amsgrad")]
    [InlineData("adamw")]
    [InlineData("rmsprop_centered_momentum")]
    [InlineData("adadelta")]
    public void TrainingResumedFromASavedStateGivesTheSameBits(string name)
    {
        var reference = ReferenceCase.Load("optim_" + name);
        INeuralNetwork<int> straight = Create(name, reference.Seed);
        for (int i = 0; i < 4; i++)
        {
            straight.TrainStep(reference.X, reference.Labels);
        }

        var saved = new MemoryStream();
        straight.SaveTrainingState(saved);
        INeuralNetwork<int> resumed = Create(name, reference.Seed + 1);
        resumed.LoadTrainingState(new MemoryStream(saved.ToArray()));
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(straight.TrainStep(reference.X, reference.Labels), resumed.TrainStep(reference.X, reference.Labels));
        }

        Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters), $"{name}: parameters differ after resuming");
    }

    [Fact]
    public void TheOptimizerVariantsAllocateNothingPerStep()
    {
        var reference = ReferenceCase.Load("optim_sgd");
        float[] x = reference.X; // the property parses the JSON array on every read
        int[] labels = reference.Labels;
        foreach (string name in new[] { "adam_amsgrad", "adamw", "rmsprop_centered_momentum", "adadelta" })
        {
            INeuralNetwork<int> net = Create(name, 1);
            // warm-up: first calls JIT and size the workspaces
            NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() => net.TrainStep(x, labels), warmups: 3, repeats: 100);
        }
    }
}
