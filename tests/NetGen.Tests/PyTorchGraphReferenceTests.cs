using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Convolution, max and average pooling, global average pooling, flatten, batch and layer normalisation, residual blocks,
/// the losses beyond softmax cross-entropy (mean squared error, squared hinge with margin 2, L1, Huber with δ 0.5, binary
/// cross-entropy on logits) and StepLR against PyTorch 1.13
/// in float64 (tests/reference/make_reference.py wrote the files): outputs, loss, every gradient, the parameters (and
/// BatchNorm's running statistics and counters) after each of 3 optimizer steps. Tolerance: 1e-5 relative to each
/// tensor's scale.
/// </summary>
public sealed class PyTorchGraphReferenceTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> ClassificationCases => new() { "cnn_momentum", "bn_adam", "resnet_sgd", "squared_hinge_sgd", "avgpool_momentum", "layernorm_adam" };

    public static TheoryData<string> RegressionCases => new() { "mse_sgd", "mse_multi_adam", "l1_sgd", "huber_adam", "bce_momentum" };

    private static INeuralNetwork<int> Classifier(string name, ulong seed) => name switch
    {
        "cnn_momentum" => new CnnMomentum(seed),
        "bn_adam" => new BnAdam(seed),
        "resnet_sgd" => new ResnetSgd(seed),
        "squared_hinge_sgd" => new SquaredHingeSgd(seed),
        "avgpool_momentum" => new AvgPoolMomentum(seed),
        "layernorm_adam" => new LayerNormAdam(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static INeuralNetwork<float> Regressor(string name, ulong seed) => name switch
    {
        "mse_sgd" => new MseSgd(seed),
        "mse_multi_adam" => new MseMultiAdam(seed),
        "l1_sgd" => new L1Sgd(seed),
        "huber_adam" => new HuberAdam(seed),
        "bce_momentum" => new BceMomentum(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(ClassificationCases))]
    public void ClassifierMatchesPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Classifier(name, reference.Seed);
        Assert.Equal(reference.InputShape, net.InputShape.ToArray());
        Assert.Equal(reference.BufferOrder, net.BufferTable.Select(b => b.Key).ToArray());
        reference.CopyParametersInto(net);

        CheckInference(reference, net, name);
        CheckLossAndGradients(reference, net, name, () => net.ComputeGradients(reference.X, reference.Labels));
        CheckSteps(Classifier(name, reference.Seed), reference, name, n => ((INeuralNetwork<int>)n).TrainStep(reference.X, reference.Labels));
    }

    [Theory]
    [MemberData(nameof(RegressionCases))]
    public void RegressorMatchesPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<float> net = Regressor(name, reference.Seed);
        reference.CopyParametersInto(net);

        CheckInference(reference, net, name);
        CheckLossAndGradients(reference, net, name, () => net.ComputeGradients(reference.X, reference.Targets));
        CheckSteps(Regressor(name, reference.Seed), reference, name, n => ((INeuralNetwork<float>)n).TrainStep(reference.X, reference.Targets));
    }

    [Fact]
    public void BatchNormEvalOutputAfterTrainingMatchesPyTorch()
    {
        // Eval mode after 3 training steps reads the running statistics the steps accumulated.
        var reference = ReferenceCase.Load("bn_adam");
        var net = new BnAdam(reference.Seed);
        reference.CopyParametersInto(net);
        for (int step = 0; step < 3; step++)
        {
            net.TrainStep(reference.X, reference.Labels);
        }

        var outputs = new float[reference.Batch * BnAdam.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.EvalOutputAfterSteps, outputs, Tolerance, "bn_adam eval output after 3 steps");
        Assert.Equal(3, net.GetCounter("6.num_batches_tracked"));
    }

    [Fact]
    public void StepLRMatchesPyTorchOverTenSteps()
    {
        // torch.optim.lr_scheduler.StepLR(step_size=3, gamma=0.5), scheduler.step() after every optimizer step.
        var reference = ReferenceCase.Load("steplr_momentum");
        var net = new StepLrMomentum(reference.Seed);
        reference.CopyParametersInto(net);
        var schedule = new StepLR(net, stepSize: 3, gamma: 0.5);
        double[] rates = reference.LearningRatePerStep;
        Assert.Equal(10, reference.StepCount);

        for (int step = 0; step < reference.StepCount; step++)
        {
            Assert.Equal(rates[step], net.LearningRate);
            float loss = net.TrainStep(reference.X, reference.Labels);
            schedule.Step();

            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in StepLrMomentum.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }
        }

        Assert.Equal(0.0125, net.LearningRate);
    }

    [Fact]
    public void WithoutTheScheduleTheParametersDifferFromPyTorchs()
    {
        // The StepLR test can fail: at a constant learning rate the parameters after 10 steps are not PyTorch's.
        var reference = ReferenceCase.Load("steplr_momentum");
        var net = new StepLrMomentum(reference.Seed);
        reference.CopyParametersInto(net);
        for (int step = 0; step < reference.StepCount; step++)
        {
            net.TrainStep(reference.X, reference.Labels);
        }

        ParameterInfo first = StepLrMomentum.ParameterTable[0];
        Assert.Throws<Xunit.Sdk.TrueException>(() =>
            Close.Tensor(reference.ParameterAfterStep(9, first.Key), net.Parameters.Slice(first.Offset, first.Length), Tolerance, "constant lr"));
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

    private static void CheckSteps(INeuralNetwork net, ReferenceCase reference, string name, Func<INeuralNetwork, float> trainStep)
    {
        reference.CopyParametersInto(net);
        Assert.Equal(3, reference.StepCount);
        for (int step = 0; step < reference.StepCount; step++)
        {
            float loss = trainStep(net);
            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"{name} loss of step {step}");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"{name} '{info.Key}' after step {step}");
            }

            foreach (BufferInfo info in net.BufferTable)
            {
                double[] expected = reference.BufferAfterStep(step, info.Key);
                if (info.Dtype == BufferDtype.I64)
                {
                    Assert.Equal((long)expected[0], net.GetCounter(info.Key));
                }
                else
                {
                    Close.Tensor(expected, net.GetBuffer(info.Key), Tolerance, $"{name} buffer '{info.Key}' after step {step}");
                }
            }
        }
    }
}
