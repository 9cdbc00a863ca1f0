using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The convolution-completeness networks against PyTorch 1.13 in float64 (tests/reference/cases_conv.py, run through
/// make_reference.py): the state_dict keys and shapes (weights [O, C/groups, kh, kw], PReLU slopes [C]), the eval and
/// the train output (the same here: no dropout, no batch normalisation), the loss, every gradient and the parameters
/// after each of 3 optimizer steps, at 1e-5 relative to each tensor's scale; and the float64 gradient check.
/// </summary>
public sealed class ConvReferenceTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Cases => new() { "conv_general_adam", "chw_acts_momentum", "lrn_momentum", "maxout_adam" };

    private static INeuralNetwork<int> Create(string name, ulong seed) => name switch
    {
        "conv_general_adam" => new ConvGeneralAdam(seed),
        "chw_acts_momentum" => new ChwActsMomentum(seed),
        nameof(GcConvGeneral) => new GcConvGeneral(seed),
        nameof(GcPReLUChannels) => new GcPReLUChannels(seed),
        "lrn_momentum" => new LrnMomentum(seed),
        "maxout_adam" => new MaxoutAdam(seed),
        nameof(GcLocalResponseNorm) => new GcLocalResponseNorm(seed),
        nameof(GcMaxout) => new GcMaxout(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = Create(name, reference.Seed);
        Assert.Equal(reference.InputShape, net.InputShape.ToArray());
        reference.CopyParametersInto(net); // keys in state_dict order, shapes equal

        var outputs = new float[reference.Batch * net.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.InferenceOutput, outputs, Tolerance, $"{name} eval output");
        Close.Tensor(reference.Doubles("train_output"), outputs, Tolerance, $"{name} train output");

        float loss = net.ComputeGradients(reference.X, reference.Labels);
        Close.Scalar(reference.TotalLoss, loss, Tolerance, $"{name} loss");
        foreach (ParameterInfo info in net.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"{name} gradient of '{info.Key}'");
        }

        INeuralNetwork<int> trained = Create(name, reference.Seed);
        reference.CopyParametersInto(trained);
        Assert.Equal(3, reference.StepCount);
        for (int step = 0; step < reference.StepCount; step++)
        {
            float stepLoss = trained.TrainStep(reference.X, reference.Labels);
            Close.Scalar(reference.StepLoss(step), stepLoss, Tolerance, $"{name} loss of step {step}");
            foreach (ParameterInfo info in trained.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), trained.Parameters.Slice(info.Offset, info.Length), Tolerance, $"{name} '{info.Key}' after step {step}");
            }
        }
    }

    [Fact]
    public void GroupedWeightsHavePyTorchsLayout()
    {
        // nn.Conv2d(8, 8, 3, groups=8).weight is [8, 1, 3, 3]; nn.Conv2d(8, 4, 3, groups=2, bias=False) has no bias;
        // nn.PReLU(num_parameters=3).weight is [3].
        Assert.Equal(new[] { 8, 1, 3, 3 }, ConvGeneralAdam.ParameterTable.Single(p => p.Key == "2.weight").Shape.ToArray());
        Assert.Equal(new[] { 4, 4, 3, 3 }, ConvGeneralAdam.ParameterTable.Single(p => p.Key == "4.weight").Shape.ToArray());
        Assert.DoesNotContain(ConvGeneralAdam.ParameterTable, p => p.Key == "4.bias");
        Assert.Equal(new[] { 8, 4, 3, 2 }, ConvGeneralAdam.ParameterTable.Single(p => p.Key == "0.weight").Shape.ToArray());
        Assert.Equal(new[] { 3 }, ChwActsMomentum.ParameterTable.Single(p => p.Key == "5.weight").Shape.ToArray());
        Assert.Equal(new[] { 1 }, ChwActsMomentum.ParameterTable.Single(p => p.Key == "7.weight").Shape.ToArray());
        // Maxout has no parameters and keeps its index: Linear(36, 18) is 4.*, Linear(6, 3) is 6.*.
        Assert.Equal(new[] { "0.weight", "0.bias", "4.weight", "4.bias", "6.weight", "6.bias" }, MaxoutAdam.ParameterTable.Select(p => p.Key).ToArray());
        Assert.Equal(new[] { 18, 36 }, MaxoutAdam.ParameterTable.Single(p => p.Key == "4.weight").Shape.ToArray());
    }

    /// <summary>1e-7, except for the 10-layer stack of every activation, held to the deep-network threshold 1e-5 (as
    /// <c>ActsSgd</c> in <c>GradientCheckTests</c>): behind eight convolutions and a Sigmoid some first-layer
    /// gradients are ~1e-7 themselves, so the float64 centred difference's round-off (≈ 1e-12 absolute) is ~1e-6
    /// relative there.</summary>
    private static double Threshold(string name) => name == "chw_acts_momentum" ? 1e-5 : 1e-7;

    [Theory]
    [InlineData(nameof(GcConvGeneral))]
    [InlineData(nameof(GcPReLUChannels))]
    [InlineData(nameof(GcLocalResponseNorm))]
    [InlineData(nameof(GcMaxout))]
    [InlineData("lrn_momentum")]
    [InlineData("conv_general_adam")]
    [InlineData("chw_acts_momentum")]
    public void AnalyticGradientsMatchCenteredDifferences(string name)
    {
        INeuralNetwork<int> net = Create(name, 7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 11);
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        float[] before = net.Parameters.ToArray();
        GradCheckResult result = net.GradCheck(x, labels);
        Assert.Equal(net.ParameterTable.Count, result.Tensors.Count);
        foreach (GradCheckEntry entry in result.Tensors)
        {
            Assert.True(entry.MaxRelativeError < Threshold(name), $"{name} '{entry.Key}': relative error {entry.MaxRelativeError:E3}\n{result}");
            Assert.True(entry.Checked > 0);
        }

        Assert.Equal(before, net.Parameters.ToArray());
    }
}
