using NetGen.Data;
using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Hierarchical softmax (Loss.HierarchicalSoftmax) end to end: against the torch-ops reference of
/// tests/reference/make_hsm_reference.py (the full distribution, the greedy classes, the loss, every gradient including the
/// node vectors, three optimizer steps), the float64 gradient check, the cost of 1,000 classes counted in node evaluations,
/// save/load and training state with the node parameters, and ONNX export's refusal.
/// </summary>
public sealed class HierarchicalSoftmaxTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Cases => new() { "hsm_adam", "hsm_tree_momentum" };

    private static INeuralNetwork<int> Create(string name, ulong seed) => name switch
    {
        "hsm_adam" => new HsmAdam(seed),
        _ => new HsmTreeMomentum(seed),
    };

    private static void PredictClasses(INeuralNetwork<int> net, float[] x, int[] classes)
    {
        switch (net)
        {
            case HsmAdam a: a.PredictClasses(x, classes); break;
            case HsmTreeMomentum t: t.PredictClasses(x, classes); break;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheTorchReferenceDistributionGradientsAndThreeSteps(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        reference.CopyParametersInto(net);
        Assert.Equal((int)reference.Doubles("inference_output").Length / reference.Batch, net.OutputSize);

        // Predict: the full distribution over the classes; PredictClasses: the greedy descent.
        var probabilities = new float[reference.Batch * net.OutputSize];
        net.Predict(reference.X, probabilities);
        Close.Tensor(reference.InferenceOutput, probabilities, Tolerance, "distribution");
        var greedy = new int[reference.Batch];
        PredictClasses(net, reference.X, greedy);
        Assert.Equal(reference.Doubles("greedy_classes").Select(d => (int)d).ToArray(), greedy);

        int[] labels = reference.Labels;
        float loss = net.ComputeGradients(reference.X, labels);
        Close.Scalar(reference.TotalLoss, loss, Tolerance, "loss");
        Assert.Contains(net.ParameterTable, p => p.Key == "hsm.weight");
        foreach (ParameterInfo info in net.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"gradient of '{info.Key}'");
        }

        for (int step = 0; step < reference.StepCount; step++)
        {
            Close.Scalar(reference.StepLoss(step), net.TrainStep(reference.X, labels), Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }
        }
    }

    [Fact]
    public void TheDeclaredTreeIsTheOneTheReferenceUsed()
    {
        foreach ((string name, HierarchicalSoftmaxTree tree) in new[] { ("hsm_adam", HsmAdam.ClassTree), ("hsm_tree_momentum", HsmTreeMomentum.ClassTree) })
        {
            var reference = ReferenceCase.Load(name);
            string expected = string.Join(" | ", Enumerable.Range(0, tree.Classes).Select(c => string.Join(",", tree.PathNodes(c).ToArray()) + ":" + string.Join(",", tree.PathCodes(c).ToArray())));
            string text = File.ReadAllText(TestPaths.Reference(name + ".json"));
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            string actual = string.Join(" | ", doc.RootElement.GetProperty("paths").EnumerateArray().Select(p =>
                string.Join(",", p.GetProperty("nodes").EnumerateArray().Select(e => e.GetInt32())) + ":" + string.Join(",", p.GetProperty("codes").EnumerateArray().Select(e => e.GetInt32()))));
            Assert.Equal(actual, expected);
            Assert.Equal(reference.Batch, reference.Labels.Length);
        }
    }

    [Fact]
    public void GradientsMatchCenteredDifferences()
    {
        var net = new GcHsm(7);
        (float[] x, _) = GradientCheckTests.Batch(net, 8, 11);
        int[] labels = { 0, 8, 3, 4, 5, 1, 8, 7 };
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels); // the node vectors start at 0: burn-in makes every gradient non-zero
        }

        GradCheckResult result = net.GradCheck(x, labels);
        Assert.Equal(GcHsm.ParameterTable.Count, result.Tensors.Count);
        Assert.Contains(result.Tensors, t => t.Key == "hsm.weight");
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());
    }

    [Fact]
    public void WithOneThousandClassesATrainingStepCostsAtMostCeilLog2CNodeEvaluationsPerSample()
    {
        // Counted, not timed: HierarchicalSoftmaxTree.NodeEvaluations counts the node scores h·v_n + b_n (dot products of
        // length H). A flat softmax over the same classes scores all 1,000 of them for every sample (its last Dense).
        const int B = HsmThousand.MaxBatch;
        var net = new HsmThousand(3);
        Assert.Equal(1000, HsmThousand.OutputSize);
        Assert.Equal(16, HsmThousand.Features);
        Assert.Equal(10, HsmThousand.ClassTree.MaxDepth); // ⌈log₂ 1000⌉
        (float[] x, _) = GradientCheckTests.Batch(net, B, 5);
        int[] labels = Enumerable.Range(0, B).Select(i => (i * 331) % 1000).ToArray();

        // The node parameters start at 0: every branch is ½, so the first loss is the mean path length × ln 2 (≈ ln C).
        long before = HsmThousand.ClassTree.NodeEvaluations;
        float loss = net.TrainStep(x, labels);
        long training = HsmThousand.ClassTree.NodeEvaluations - before;
        double meanPath = labels.Average(c => HsmThousand.ClassTree.PathNodes(c).Length);
        Assert.Equal(meanPath * Math.Log(2), loss, 5);
        Assert.True(training <= B * 10L, $"{training} node evaluations for {B} samples > {B} × ⌈log₂ 1000⌉");
        Assert.Equal(labels.Sum(c => (long)HsmThousand.ClassTree.PathNodes(c).Length), training);

        before = HsmThousand.ClassTree.NodeEvaluations;
        var classes = new int[B];
        net.PredictClasses(x, classes);
        Assert.True(HsmThousand.ClassTree.NodeEvaluations - before <= B * 10L);

        before = HsmThousand.ClassTree.NodeEvaluations;
        var probabilities = new float[B * 1000];
        net.Predict(x, probabilities);
        Assert.Equal(B * 999L, HsmThousand.ClassTree.NodeEvaluations - before); // the full distribution scores every node
        for (int i = 0; i < B; i++)
        {
            Assert.Equal(1.0, probabilities.Skip(i * 1000).Take(1000).Sum(p => (double)p), 4);
        }
    }

    [Fact]
    public void SaveLoadAndTrainingStateCarryTheNodeParametersAndTheirMoments()
    {
        var reference = ReferenceCase.Load("hsm_adam");
        var straight = new HsmAdam(5);
        reference.CopyParametersInto(straight);
        straight.TrainStep(reference.X, reference.Labels);
        var state = new MemoryStream();
        straight.SaveTrainingState(state);
        var weights = new MemoryStream();
        straight.Save(weights);
        straight.TrainStep(reference.X, reference.Labels);

        var resumed = new HsmAdam(99);
        resumed.LoadTrainingState(new MemoryStream(state.ToArray()));
        resumed.TrainStep(reference.X, reference.Labels);
        Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray()); // same bits: the node moments were restored

        var loaded = new HsmAdam(99);
        loaded.Load(new MemoryStream(weights.ToArray()));
        var a = new float[reference.Batch * HsmAdam.OutputSize];
        var b = new float[a.Length];
        var fromState = new HsmAdam(1);
        fromState.LoadTrainingState(new MemoryStream(state.ToArray()));
        fromState.Predict(reference.X, a);
        loaded.Predict(reference.X, b);
        Assert.Equal(a, b);
        Assert.Contains("hsm.weight", System.Text.Encoding.UTF8.GetString(weights.ToArray()));
        Assert.Contains("optimizer.hsm.weight.exp_avg", System.Text.Encoding.UTF8.GetString(state.ToArray()));
    }

    [Fact]
    public void EvaluateWithTheHierarchicalSoftmaxLossIsMinusTheLogOfThePredictedProbability()
    {
        // Evaluate reads Predict, which returns p(c | x): with FitOptions.Loss = HierarchicalSoftmax its loss is −log p(y | x),
        // the training loss (no regularisation in this network) computed from the full distribution instead of the paths.
        var reference = ReferenceCase.Load("hsm_tree_momentum");
        var net = new HsmTreeMomentum(reference.Seed);
        reference.CopyParametersInto(net);
        var data = new InMemoryDataset(reference.X, reference.Labels, HsmTreeMomentum.InputSize);
        Evaluation evaluation = net.Evaluate(data, new FitOptions { Loss = Loss.HierarchicalSoftmax });
        Close.Scalar(reference.TotalLoss, evaluation.Loss, Tolerance, "evaluated loss");
    }

    [Fact]
    public void OnnxExportIsRefusedNamingTheLoss()
    {
        var error = Assert.Throws<NotSupportedException>(() => new HsmAdam(1).ExportOnnx(new MemoryStream()));
        Assert.Contains("HierarchicalSoftmax", error.Message);
    }

    [Fact]
    public void ALabelOutsideTheClassesThrowsAndChangesNothing()
    {
        var net = new HsmAdam(1);
        (float[] x, _) = GradientCheckTests.Batch(net, 2, 3);
        float[] before = net.Parameters.ToArray();
        var error = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => net.TrainStep(x, new[] { 0, 7 }));
        Assert.Equal("labels", error.ParamName);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Throws<ArgumentException>(() => net.PredictClasses(x, new int[3]));
    }
}
