using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Outputs, loss, every parameter gradient and the parameters after 3 optimizer steps, against PyTorch 1.13 in float64
/// (tests/reference/make_reference.py wrote the files). Tolerance: 1e-5 relative to each tensor's scale.
/// </summary>
public sealed class PyTorchReferenceTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Cases => new() { "acts_sgd", "acts_momentum", "acts_nesterov", "acts_adam", "acts_adagrad", "acts_rmsprop", "hinge_sgd", "mlp_ce_adam", "spiral_sgd" };

    private static INeuralNetwork<int> Create(string name, ulong seed) => name switch
    {
        "acts_sgd" => new ActsSgd(seed),
        "acts_momentum" => new ActsMomentum(seed),
        "acts_nesterov" => new ActsNesterov(seed),
        "acts_adam" => new ActsAdam(seed),
        "acts_adagrad" => new ActsAdaGrad(seed),
        "acts_rmsprop" => new ActsRmsProp(seed),
        "hinge_sgd" => new HingeSgd(seed),
        "mlp_ce_adam" => new MlpCeAdam(seed),
        "spiral_sgd" => new SpiralSgd(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferenceMatchesPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        reference.CopyParametersInto(net);
        float[] x = reference.X;
        var scores = new float[reference.Labels.Length * net.OutputSize];

        net.Predict(x, scores);

        Close.Tensor(reference.InferenceOutput, scores, Tolerance, $"{name} inference output");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndEveryGradientMatchPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        reference.CopyParametersInto(net);

        float loss = net.ComputeGradients(reference.X, reference.Labels);

        Close.Scalar(reference.TotalLoss, loss, Tolerance, $"{name} loss");
        foreach (ParameterInfo info in net.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"{name} gradient of '{info.Key}'");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ThreeOptimizerStepsMatchPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        reference.CopyParametersInto(net);
        Assert.Equal(3, reference.StepCount);

        for (int step = 0; step < reference.StepCount; step++)
        {
            float loss = net.TrainStep(reference.X, reference.Labels);

            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"{name} loss of step {step}");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"{name} '{info.Key}' after step {step}");
            }
        }

        Assert.Equal(3, net.Step);
    }

    [Fact]
    public void DropoutMasksAreThoseThePyTorchScriptRecomputed()
    {
        // The script reimplements CounterRng in Python; the masks it used must be NetGen's.
        var reference = ReferenceCase.Load("acts_sgd");
        for (int step = 0; step < 3; step++)
        {
            double[] expected = reference.DropoutMask(step)!;
            var x = Enumerable.Repeat(1f, expected.Length).ToArray();
            var y = new float[expected.Length];
            var mask = new float[expected.Length];
            NetGen.Kernels.Dropout.Forward<float>(x, y, mask, 0.25, CounterRng.Key(reference.Seed, CounterRng.DropoutStream, 14, (ulong)step));
            Assert.Equal(expected.Select(v => (float)v).ToArray(), mask);
            Assert.Contains(0f, mask);
        }
    }
}
