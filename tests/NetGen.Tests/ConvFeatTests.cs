using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Per-axis dilation (Conv2D's DilationHeight/DilationWidth, PyTorch's dilation=(dh, dw)) and rectangular pooling
/// (MaxPool2D/AvgPool2D with kh×kw kernels and per-axis stride and padding) against PyTorch 1.13 in float64
/// (tests/reference/cases_convfeat.py through make_reference.py): state_dict keys and shapes, eval and train output,
/// loss, every gradient and the parameters after 3 Adam steps at 1e-5 relative; the float64 gradient check; ONNX
/// export against ONNX Runtime; and the receptive field of the generated Summary against fields measured in PyTorch
/// (tests/reference/make_receptive_field_reference.py).
/// </summary>
public sealed class ConvFeatTests
{
    private const double Tolerance = 1e-5;

    private static INeuralNetwork<int> Create(string name, ulong seed) => name switch
    {
        "dilation_pool_adam" => new DilationPoolAdam(seed),
        nameof(GcDilationPool) => new GcDilationPool(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Fact]
    public void DilationAndRectangularPoolingMatchPyTorch()
    {
        const string name = "dilation_pool_adam";
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

    /// <summary>dilation_pool.pytorch.safetensors is the state_dict PyTorch wrote for the float32 model after 3 Adam
    /// steps: NetGen loads it (keys, shapes and layouts checked by Load) and gives PyTorch's eval output; its own Save
    /// of those parameters loads back into a fresh network bit for bit.</summary>
    [Fact]
    public void AFileWrittenByPyTorchLoadsAndGivesPyTorchsOutputs()
    {
        var net = new DilationPoolAdam(1);
        net.Load(TestPaths.Reference("dilation_pool.pytorch.safetensors"));
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("dilation_pool.pytorch.f32.json")));
        float[] x = expected.RootElement.GetProperty("x").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        double[] eval = expected.RootElement.GetProperty("eval_output_after_steps_f32").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var outputs = new float[eval.Length];
        net.Predict(x, outputs);
        Close.Tensor(eval, outputs, Tolerance, "eval output of the model PyTorch trained");

        using var stream = new MemoryStream();
        net.Save(stream);
        var copy = new DilationPoolAdam(2);
        Assert.False(copy.Parameters.SequenceEqual(net.Parameters));
        stream.Position = 0;
        copy.Load(stream);
        Assert.True(copy.Parameters.SequenceEqual(net.Parameters));
    }

    [Fact]
    public void WeightsHavePyTorchsLayoutAndTheDilatedLayersTakeTheGeneralKernel()
    {
        // nn.Conv2d(4, 6, (2, 3), dilation=(3, 2)).weight is [6, 4, 2, 3]; nn.Conv2d(6, 6, 3, groups=3) is [6, 2, 3, 3].
        Assert.Equal(new[] { "0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias", "9.weight", "9.bias" }, DilationPoolAdam.ParameterTable.Select(p => p.Key).ToArray());
        Assert.Equal(new[] { 4, 2, 3, 3 }, DilationPoolAdam.ParameterTable.Single(p => p.Key == "0.weight").Shape.ToArray());
        Assert.Equal(new[] { 6, 4, 2, 3 }, DilationPoolAdam.ParameterTable.Single(p => p.Key == "3.weight").Shape.ToArray());
        Assert.Equal(new[] { 6, 2, 3, 3 }, DilationPoolAdam.ParameterTable.Single(p => p.Key == "6.weight").Shape.ToArray());

        string summary = new DilationPoolAdam(1).Summary();
        Assert.Contains("nn.Conv2d(2, 4, 3, padding=(2, 1), dilation=(2, 1))", summary, StringComparison.Ordinal);
        Assert.Contains("nn.MaxPool2d((2, 3), stride=(2, 1), padding=1)", summary, StringComparison.Ordinal);
        Assert.Contains("nn.Conv2d(4, 6, (2, 3), stride=(1, 2), padding=(0, 2), dilation=(3, 2))", summary, StringComparison.Ordinal);
        Assert.Contains("nn.AvgPool2d((3, 2), stride=(1, 2), padding=1)", summary, StringComparison.Ordinal);
        Assert.Contains("nn.Conv2d(6, 6, 3, padding='same', dilation=(1, 2), groups=3)", summary, StringComparison.Ordinal);
    }

    /// <summary>1e-6 for the smooth network: its first convolution's smallest weight gradients are ~1e-4, where the float64
    /// centred difference's round-off (≈ 1e-11 absolute, seen: analytic −8.6302989e-5 against numeric −8.63029759e-5)
    /// is ~1e-7 relative — 1e-7 held only at some training points (it broke when float32 ELU near 0 became exact and the
    /// three training steps before the check moved the weights). The reference network (ReLU, max pooling) is held to the
    /// deep-network threshold 1e-5, as ConvReferenceTests does for its deep stack: its Linear's smallest gradients are
    /// ~1e-5 themselves.</summary>
    [Theory]
    [InlineData(nameof(GcDilationPool), 1e-6)]
    [InlineData("dilation_pool_adam", 1e-5)]
    public void AnalyticGradientsMatchCenteredDifferences(string name, double threshold)
    {
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
                Assert.True(entry.MaxRelativeError < threshold, $"{name} '{entry.Key}': relative error {entry.MaxRelativeError:E3}\n{result}");
                Assert.True(entry.Checked > 0);
            }

            Assert.Equal(before, net.Parameters.ToArray());
        }
    }

    [Fact]
    public void PerAxisDilationAndRectangularPoolingMatchOnnxRuntime()
    {
        var net = new DilationPoolAdam(41);
        Randomize(net.Parameters, 41);
        OnnxExportTests.Check(net, net.ExportOnnx, net.Predict, nameof(DilationPoolAdam));
        var gc = new GcDilationPool(42);
        Randomize(gc.Parameters, 42);
        OnnxExportTests.Check(gc, gc.ExportOnnx, gc.Predict, nameof(GcDilationPool));
    }

    /// <summary>Parameters in ±0.5, so that no initializer is a constant by chance (as OnnxExportTests does).</summary>
    private static void Randomize(Span<float> parameters, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() - 0.5);
        }
    }

    /// <summary>Per-axis dilation (the general kernel) and rectangular pooling give the same bits on one thread and on
    /// every core, and allocate nothing after warm-up (as ConvThreadTests checks for the fast paths).</summary>
    [Fact]
    public void DilatedAndRectangularLayers_OneThreadAndAllCores_GiveTheSameBitsAndAllocateNothing()
    {
        ConvThreadTests.SameBits(new DilationPoolThreads(5), new DilationPoolThreads(5), 64);
        ConvThreadTests.SameBits(new DilationPoolThreads(5), new DilationPoolThreads(5), 13);
        ConvThreadTests.AllocatesNothing(new DilationPoolThreads(1));
    }

    /// <summary>The Summary's "Receptive field (jump)" column of every layer against the fields measured by
    /// backpropagation in PyTorch; global average pooling's field, which depends on the map it averages, is derived
    /// here from the block's: it sees the whole 8×6 map, r + (n − 1)·j per axis.</summary>
    [Fact]
    public void SummaryShowsTheReceptiveFieldMeasuredInPyTorch()
    {
        Dictionary<string, (int Rh, int Rw, int Jh, int Jw)> shown = Fields(new ReceptiveFieldNet(1).Summary());
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("receptive_field.json")));
        int count = 0;
        foreach (JsonElement layer in document.RootElement.GetProperty("layers").EnumerateArray())
        {
            string label = layer.GetProperty("index").GetInt32().ToString(CultureInfo.InvariantCulture);
            int[] field = layer.GetProperty("field").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[] jump = layer.GetProperty("jump").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.True(shown.ContainsKey(label), $"layer {label} has no receptive field in the summary");
            Assert.Equal((field[0], field[1], jump[0], jump[1]), shown[label]);
            count++;
        }

        Assert.Equal(10, count);
        Assert.Equal((1, 1, 1, 1), shown["input"]);
        (int rh, int rw, int jh, int jw) = shown["9"];
        Assert.Equal((rh + (7 * jh), rw + (5 * jw), jh, jw), shown["10"]); // GlobalAvgPool2D over [2, 8, 6]
        Assert.False(shown.ContainsKey("11"), "a Dense has no spatial receptive field");
        // The residual branch's own layers have theirs too: 45 + 2·8 after the 3×3, 61 + 4·8 after the dilated 3×3.
        Assert.Equal((61, 65, 8, 8), shown["8.branch.0"]);
        Assert.Equal((93, 97, 8, 8), shown["8.branch.2"]);
    }

    [Fact]
    public void AVectorNetworkHasNoReceptiveFieldColumn()
    {
        Assert.DoesNotContain("Receptive field", new GcDenseResidual(1).Summary(), StringComparison.Ordinal);
        Assert.Contains("Receptive field (jump)", new ReceptiveFieldNet(1).Summary(), StringComparison.Ordinal);
    }

    /// <summary>Label → (field, jump) of every summary row that shows one.</summary>
    private static Dictionary<string, (int, int, int, int)> Fields(string summary)
    {
        var fields = new Dictionary<string, (int, int, int, int)>();
        foreach (string line in summary.Split('\n'))
        {
            Match m = Regex.Match(line, @"^(?<label>\S*)\s+(?<name>\S+) .*?\]\s+(?<rh>\d+)×(?<rw>\d+) \((?<jh>\d+)×(?<jw>\d+)\)");
            if (m.Success)
            {
                string label = m.Groups["label"].Value.Length == 0 ? m.Groups["name"].Value : m.Groups["label"].Value;
                fields[label] = (Int(m, "rh"), Int(m, "rw"), Int(m, "jh"), Int(m, "jw"));
            }
        }

        return fields;
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
