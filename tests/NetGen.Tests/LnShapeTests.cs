using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// LayerNorm over the last dimensions of a sample (LayerNorm's NormalizedDims, PyTorch's nn.LayerNorm(normalized_shape)
/// with normalized_shape the trailing dimensions) against PyTorch 1.13 in float64 (tests/reference/cases_lnshape.py
/// through make_reference.py): state_dict keys and shapes, eval and train output, loss, every gradient and the
/// parameters after 3 Adam steps at 1e-5 relative; the float64 gradient check; ONNX export (LayerNormalization's axis)
/// against ONNX Runtime.
/// </summary>
public sealed class LnShapeTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void LayerNormOverTheLastDimensionsMatchesPyTorch()
    {
        const string name = "lnshape_adam";
        var reference = ReferenceCase.Load(name);
        INeuralNetwork<int> net = new LnShapeAdam(reference.Seed);
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

        INeuralNetwork<int> trained = new LnShapeAdam(reference.Seed);
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
    public void GammaAndBetaHaveTheNormalisedShapeAndTheSummaryNamesNnLayerNorm()
    {
        // nn.LayerNorm([6, 4]).weight is [6, 4]; nn.LayerNorm(4).weight is [4]; nn.LayerNorm(8).weight is [8].
        Assert.Equal(new[] { "0.weight", "1.weight", "1.bias", "3.weight", "3.bias", "6.weight", "6.bias", "7.weight", "7.bias", "9.weight", "9.bias" }, LnShapeAdam.ParameterTable.Select(p => p.Key).ToArray());
        Assert.Equal(new[] { 6, 4 }, LnShapeAdam.ParameterTable.Single(p => p.Key == "1.weight").Shape.ToArray());
        Assert.Equal(new[] { 6, 4 }, LnShapeAdam.ParameterTable.Single(p => p.Key == "1.bias").Shape.ToArray());
        Assert.Equal(new[] { 4 }, LnShapeAdam.ParameterTable.Single(p => p.Key == "3.weight").Shape.ToArray());
        Assert.Equal(new[] { 8 }, LnShapeAdam.ParameterTable.Single(p => p.Key == "7.weight").Shape.ToArray());

        // Without affine parameters there are none; NormalizedDims = 3 on [C, H, W] owns γ of the whole sample.
        Assert.Equal(new[] { "0.weight", "1.weight", "1.bias", "4.weight", "4.bias", "5.weight", "5.bias", "8.weight", "8.bias", "9.weight", "9.bias" }, GcLnShape.ParameterTable.Select(p => p.Key).ToArray());
        Assert.Equal(new[] { 2, 4, 5 }, GcLnShape.ParameterTable.Single(p => p.Key == "5.weight").Shape.ToArray());

        string summary = new LnShapeAdam(1).Summary();
        Assert.Contains("nn.LayerNorm([6, 4])", summary, StringComparison.Ordinal);
        Assert.Contains("nn.LayerNorm(4, eps=0.001)", summary, StringComparison.Ordinal);
        Assert.Contains("nn.LayerNorm(8)", summary, StringComparison.Ordinal);
        Assert.Contains("nn.LayerNorm(5, elementwise_affine=False)", new GcLnShape(1).Summary(), StringComparison.Ordinal);
    }

    /// <summary>The float64 centred differences of every parameter after 3 training steps; as GcLayerNorm, 1e-5: γ and β
    /// of the per-row normalisation are summed over few rows and some of their gradients are small.</summary>
    [Theory]
    [InlineData(nameof(GcLnShape))]
    [InlineData("lnshape_adam")]
    public void AnalyticGradientsMatchCenteredDifferences(string name)
    {
        INeuralNetwork<int> net = name == nameof(GcLnShape) ? new GcLnShape(7) : new LnShapeAdam(7);
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
            Assert.True(entry.MaxRelativeError < 1e-5, $"{name} '{entry.Key}': relative error {entry.MaxRelativeError:E3}\n{result}");
            Assert.True(entry.Checked > 0);
        }

        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void LayerNormOverTheLastDimensionsMatchesOnnxRuntime()
    {
        var net = new LnShapeAdam(48);
        Randomize(net.Parameters, 48);
        OnnxExportTests.Check(net, net.ExportOnnx, net.Predict, nameof(LnShapeAdam));
        var gc = new GcLnShape(49);
        Randomize(gc.Parameters, 49);
        OnnxExportTests.Check(gc, gc.ExportOnnx, gc.Predict, nameof(GcLnShape));
    }

    private static void Randomize(Span<float> parameters, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() - 0.5);
        }
    }
}
