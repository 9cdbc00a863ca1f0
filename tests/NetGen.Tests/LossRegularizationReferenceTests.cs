using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Label smoothing, probability (soft) targets, L1 / elastic-net / per-layer regularisation with an opted-in bias, and the
/// max-norm constraint against PyTorch 1.13 in float64 (tests/reference/make_loss_reference.py wrote the files): the
/// inference output, the loss, every gradient, and the loss and parameters of 3 optimizer steps, at 1e-5 relative to each
/// tensor's scale. Also their float64 gradient checks and the run-time checks of the soft-target API.
/// </summary>
public sealed class LossRegularizationReferenceTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> LabelCases => new() { "ls_sgd", "elastic_sgd", "maxnorm_sgd" };

    private static INeuralNetwork<int> Classifier(string name, ulong seed) => name switch
    {
        "ls_sgd" => new LabelSmoothingSgd(seed),
        "elastic_sgd" => new ElasticNetMomentum(seed),
        "maxnorm_sgd" => new MaxNormSgd(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(LabelCases))]
    public void LabelNetworkMatchesPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Classifier(name, reference.Seed);
        reference.CopyParametersInto(net);
        CheckInference(reference, net, name);
        CheckLossAndGradients(reference, net, name, () => net.ComputeGradients(reference.X, reference.Labels));

        INeuralNetwork<int> trained = Classifier(name, reference.Seed);
        reference.CopyParametersInto(trained);
        CheckSteps(reference, trained, name, () => trained.TrainStep(reference.X, reference.Labels));
    }

    [Fact]
    public void SoftTargetsWithLabelSmoothingMatchPyTorch()
    {
        // Probability rows (one sums to 0.8, one is one-hot) with label smoothing 0.05, SGD with momentum.
        var reference = ReferenceCase.Load("soft_momentum");
        ISoftTargetNetwork net = new SoftTargetsMomentum(reference.Seed);
        reference.CopyParametersInto(net);
        float[] targets = reference.Targets;
        Assert.NotEqual(1.0, targets.Skip(2 * 4).Take(4).Sum(), 3); // the row that does not sum to 1 is in the case
        CheckInference(reference, net, "soft_momentum");
        CheckLossAndGradients(reference, net, "soft_momentum", () => net.ComputeGradients(reference.X, targets));

        ISoftTargetNetwork trained = new SoftTargetsMomentum(reference.Seed);
        reference.CopyParametersInto(trained);
        CheckSteps(reference, trained, "soft_momentum", () => trained.TrainStep(reference.X, targets));
    }

    [Fact]
    public void MaxNormLeavesEveryRowWithinItsBoundAndRescaledSome()
    {
        var reference = ReferenceCase.Load("maxnorm_sgd");
        var net = new MaxNormSgd(reference.Seed);
        reference.CopyParametersInto(net);
        for (int step = 0; step < 3; step++)
        {
            net.TrainStep(reference.X, reference.Labels);
            AssertRowNorms(net.GetParameter("0.weight"), 4, 0.57);
            AssertRowNorms(net.GetParameter("4.weight"), 3, 0.6);
        }

        // Without the constraint the same steps leave some filter above its bound: the test above can fail.
        var free = new MaxNormFree(reference.Seed);
        reference.CopyParametersInto(free);
        for (int step = 0; step < 3; step++)
        {
            free.TrainStep(reference.X, reference.Labels);
        }

        Assert.Throws<Xunit.Sdk.TrueException>(() => AssertRowNorms(free.GetParameter("0.weight"), 4, 0.57));
    }

    private static void AssertRowNorms(ReadOnlySpan<float> w, int rows, double bound)
    {
        int n = w.Length / rows;
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            foreach (float v in w.Slice(r * n, n))
            {
                sum += (double)v * v;
            }

            Assert.True(Math.Sqrt(sum) <= bound * (1 + 1e-6), $"row {r}: ‖w‖ = {Math.Sqrt(sum):R} > {bound}");
        }
    }

    [Fact]
    public void OneHotProbabilitiesGiveTheSameLossAndGradientsAsLabels()
    {
        var reference = ReferenceCase.Load("ls_sgd");
        var a = new LabelSmoothingSgd(reference.Seed);
        var b = new LabelSmoothingSgd(reference.Seed);
        int[] labels = reference.Labels;
        var oneHot = new float[labels.Length * LabelSmoothingSgd.OutputSize];
        for (int i = 0; i < labels.Length; i++)
        {
            oneHot[(i * LabelSmoothingSgd.OutputSize) + labels[i]] = 1;
        }

        float la = a.ComputeGradients(reference.X, labels);
        float lb = b.ComputeGradients(reference.X, oneHot);
        Assert.Equal(la, lb, 5);
        Close.Tensor(a.Gradients.ToArray().Select(v => (double)v).ToArray(), b.Gradients, 1e-5, "gradients, one-hot vs labels");
    }

    [Theory]
    [InlineData(-0.1f, "finite probability ≥ 0")]
    [InlineData(float.NaN, "finite probability ≥ 0")]
    [InlineData(float.PositiveInfinity, "finite probability ≥ 0")]
    public void InvalidProbabilitiesThrowNamingTheArgumentAndChangeNothing(float bad, string message)
    {
        var reference = ReferenceCase.Load("soft_momentum");
        var net = new SoftTargetsMomentum(reference.Seed);
        float[] targets = reference.Targets;
        targets[5] = bad;
        float[] before = net.Parameters.ToArray();
        var error = Assert.ThrowsAny<ArgumentException>(() => net.TrainStep(reference.X, targets));
        Assert.Equal("targetProbabilities", error.ParamName);
        Assert.Contains(message, error.Message);
        Assert.Contains("row 1, class 1", error.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, net.Step);
        Assert.Throws<ArgumentException>(() => net.ComputeGradients(reference.X, targets.AsSpan(0, 5).ToArray()));
    }

    [Fact]
    public void LabelSmoothingAndSoftTargetGradientsMatchCenteredDifferences()
    {
        var net = new GcLabelSmoothing(7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 11);
        float[] soft = Enumerable.Range(0, 9).Select(i => (float)(0.2 + (0.3 * Math.Abs(Math.Sin(i))))).ToArray();
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        AssertGood(net.GradCheck(x, labels), net);
        AssertGood(net.GradCheck(x, soft), net);
    }

    [Theory]
    [InlineData(nameof(GcElasticNet))]
    [InlineData(nameof(GcConvElasticNet))]
    [InlineData(nameof(ElasticNetMomentum))]
    public void ElasticNetGradientsMatchCenteredDifferences(string name)
    {
        INeuralNetwork<int> net = name switch
        {
            nameof(GcElasticNet) => new GcElasticNet(7),
            nameof(GcConvElasticNet) => new GcConvElasticNet(7),
            _ => new ElasticNetMomentum(7),
        };
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 11);
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        AssertGood(net.GradCheck(x, labels), net);
    }

    [Fact]
    public void SoftTargetStepsL1AndMaxNormAllocateNothingAfterWarmUp()
    {
        var soft = new LabelSmoothingSgd(1);
        var reference = ReferenceCase.Load("soft_momentum");
        float[] x = reference.X, t = reference.Targets;
        var constrained = new MaxNormSgd(1);
        var maxNormCase = ReferenceCase.Load("maxnorm_sgd");
        float[] cx = maxNormCase.X;
        int[] cy = maxNormCase.Labels;
        soft.TrainStep(x, t);
        constrained.TrainStep(cx, cy);

        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            soft.TrainStep(x, t);
            soft.ComputeGradients(x, t);
            constrained.TrainStep(cx, cy);
        }, warmups: 0, repeats: 10);
    }

    private static void AssertGood(GradCheckResult result, INeuralNetwork net)
    {
        Assert.Equal(net.ParameterTable.Count, result.Tensors.Count);
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());
    }

    [Fact]
    public void PerLayerSettingsAndOptedInBiasesAreWhatTheLossAdds()
    {
        // ElasticNetMomentum: layer 0 takes the network's λ₂ = 1e-2 and λ₁ = 2e-2 on its weight AND its bias (RegularizeBias);
        // layer 2 has its own λ₂ = 5e-2 and L1 = 0, and its bias is not regularised. With x = 0 and 0.bias[0] < 0 the hidden
        // layer outputs relu(b) with unit 0 silent, so 2.weight's only non-zero element (row 0, column 0) reads 0: the scores
        // are 2.bias exactly, and the loss is their cross-entropy plus the penalty, computed here from the formula.
        var net = new ElasticNetMomentum(3);
        net.GetParameter("0.bias")[0] = -0.25f;
        Span<float> w2 = net.GetParameter("2.weight");
        w2.Clear();
        w2[0] = 0.5f;
        float[] b2 = { 0.3f, -0.2f, 0.1f };
        b2.CopyTo(net.GetParameter("2.bias"));

        double expected = Math.Log(b2.Sum(v => Math.Exp(v))) - b2[0];
        foreach (string key in new[] { "0.weight", "0.bias" })
        {
            foreach (float v in net.GetParameter(key))
            {
                expected += (0.5 * 1e-2 * v * v) + (2e-2 * Math.Abs(v));
            }
        }

        expected += 0.5 * 5e-2 * 0.5 * 0.5;
        float loss = net.ComputeGradients(new float[8 * 4], new int[8]);
        Close.Scalar(expected, loss, 1e-6, "loss = cross-entropy + per-layer penalty");

        // The gradient of the regularised bias has the penalty's part: at x = 0 the data gradient of 0.bias[0] is 0
        // (ReLU off), so it is λ₂·b + λ₁·sign(b) = 1e-2·(−0.25) − 2e-2.
        Assert.Equal((1e-2 * -0.25) - 2e-2, net.GetGradient("0.bias")[0], 6);
    }

    private static void CheckInference(ReferenceCase reference, INeuralNetwork net, string name)
    {
        var outputs = new float[reference.Batch * net.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.InferenceOutput, outputs, Tolerance, $"{name} inference output");
    }

    private static void CheckLossAndGradients(ReferenceCase reference, INeuralNetwork net, string name, Func<float> computeGradients)
    {
        float loss = computeGradients();
        Close.Scalar(reference.TotalLoss, loss, Tolerance, $"{name} loss");
        foreach (ParameterInfo info in net.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"{name} gradient of '{info.Key}'");
        }
    }

    private static void CheckSteps(ReferenceCase reference, INeuralNetwork net, string name, Func<float> trainStep)
    {
        Assert.Equal(3, reference.StepCount);
        for (int step = 0; step < reference.StepCount; step++)
        {
            float loss = trainStep();
            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"{name} loss of step {step}");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"{name} '{info.Key}' after step {step}");
            }
        }
    }
}
