using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// ExportOnnx: each network's ONNX file is loaded by ONNX Runtime and run on random inputs at batch 1 and batch 5 (the
/// dynamic batch axis); its outputs must match NetGen's Predict within 1e-5 of the output's scale. Parameters and
/// BatchNorm's running statistics are set to random values first, so that no initializer is a constant by chance.
/// Together the networks cover every layer kind with an ONNX mapping; fractional max pooling has none and must say so.
/// </summary>
public sealed class OnnxExportTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void MlpMatchesOnnxRuntime()
    {
        var net = new OnnxMlp(1);
        Randomize(net, 11);
        Check(net, net.ExportOnnx, net.Predict, "OnnxMlp");
    }

    [Fact]
    public void LeNetWithBatchNormMatchesOnnxRuntime()
    {
        var net = new OnnxLeNet(2);
        Randomize(net, 12);
        Check(net, net.ExportOnnx, net.Predict, "OnnxLeNet");
    }

    [Fact]
    public void ResNetWithProjectionAndStochasticDepthMatchesOnnxRuntime()
    {
        var net = new OnnxResNet(3);
        Randomize(net, 13);
        Check(net, net.ExportOnnx, net.Predict, "OnnxResNet");
    }

    [Fact]
    public void EveryActivationMatchesOnnxRuntime()
    {
        var net = new OnnxActivations(4);
        Randomize(net, 14);
        Check(net, net.ExportOnnx, net.Predict, "OnnxActivations");
    }

    [Fact]
    public void LayerNormMatchesOnnxRuntime()
    {
        var net = new GcLayerNorm(5);
        Randomize(net, 15);
        Check(net, net.ExportOnnx, net.Predict, "GcLayerNorm");
    }

    [Fact]
    public void ActivationsOnImagesWithPerChannelPReLUMatchOnnxRuntime()
    {
        var net = new ChwActsMomentum(6);
        Randomize(net, 16);
        Check(net, net.ExportOnnx, net.Predict, "ChwActsMomentum");
    }

    [Fact]
    public void GroupedDilatedRectangularConvolutionsMatchOnnxRuntime()
    {
        var net = new ConvGeneralAdam(7);
        Randomize(net, 17);
        Check(net, net.ExportOnnx, net.Predict, "ConvGeneralAdam");
    }

    [Fact]
    public void DenseResidualAndAveragePoolingMatchOnnxRuntime()
    {
        var dense = new GcDenseResidual(8);
        Randomize(dense, 18);
        Check(dense, dense.ExportOnnx, dense.Predict, "GcDenseResidual");
        var pools = new AvgPoolMomentum(9);
        Randomize(pools, 19);
        Check(pools, pools.ExportOnnx, pools.Predict, "AvgPoolMomentum");
    }

    [Fact]
    public void LocalResponseNormMaxoutAndChannelDropoutMatchOnnxRuntime()
    {
        var net = new OnnxNormMaxout(31);
        Randomize(net, 31);
        Check(net, net.ExportOnnx, net.Predict, "OnnxNormMaxout");
    }

    [Fact]
    public void DropoutVariantsAtInferenceMatchOnnxRuntime()
    {
        var net = new OnnxDropoutVariants(32);
        Randomize(net, 32);
        Check(net, net.ExportOnnx, net.Predict, "OnnxDropoutVariants");
    }

    [Fact]
    public void ExportIsDeterministic()
    {
        var a = new OnnxResNet(21);
        var b = new OnnxResNet(21);
        byte[] first = Export(a.ExportOnnx), second = Export(a.ExportOnnx), other = Export(b.ExportOnnx);
        Assert.Equal(first, second);
        Assert.Equal(first, other);

        // The weights are in the file: changing one changes the bytes.
        b.Parameters[0] += 1f;
        Assert.NotEqual(first, Export(b.ExportOnnx));
    }

    [Fact]
    public void ExportToPathWritesTheSameModel()
    {
        var net = new OnnxMlp(22);
        string path = Path.Combine(Path.GetTempPath(), $"netgen-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            net.ExportOnnx(path);
            Assert.Equal(Export(net.ExportOnnx), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GraphHasNamedInputAndOutputWithDynamicBatch()
    {
        var net = new OnnxLeNet(23);
        using var session = new InferenceSession(Export(net.ExportOnnx));
        NodeMetadata input = Assert.Single(session.InputMetadata, m => m.Key == "input").Value;
        NodeMetadata output = Assert.Single(session.OutputMetadata, m => m.Key == "output").Value;
        Assert.Equal(new[] { -1, 1, 12, 12 }, input.Dimensions);
        Assert.Equal("batch", input.SymbolicDimensions[0]);
        Assert.Equal(new[] { -1, 3 }, output.Dimensions);
        Assert.Equal("batch", output.SymbolicDimensions[0]);
        Assert.Equal(typeof(float), input.ElementType);
    }

    [Fact]
    public void InitializersAreNamedByStateDictKeys()
    {
        var net = new OnnxResNet(24);
        byte[] model = Export(net.ExportOnnx);
        string text = System.Text.Encoding.UTF8.GetString(model);
        foreach (ParameterInfo p in OnnxResNet.ParameterTable)
        {
            Assert.Contains(p.Key, text);
        }

        Assert.Contains("5.shortcut.0.weight", text);
        Assert.Contains("1.running_var", text);
    }

    [Fact]
    public void LayerWithoutMappingThrowsNamingTheLayer()
    {
        var net = new FractionalPoolMomentum(25);
        using var stream = new MemoryStream();
        var error = Assert.Throws<NotSupportedException>(() => net.ExportOnnx(stream));
        Assert.Contains("FractionalMaxPool2D", error.Message);
        Assert.Contains("'fpool_2'", error.Message);
        Assert.Contains("FractionalPoolMomentum", error.Message);
        Assert.Equal(0, stream.Length);
    }

    private static byte[] Export(Action<Stream> export)
    {
        using var stream = new MemoryStream();
        export(stream);
        return stream.ToArray();
    }

    /// <summary>Random parameters in ±0.5 (PReLU slopes included), running means in ±0.5, running variances in [0.5, 1.5].</summary>
    private static void Randomize(INeuralNetwork net, int seed)
    {
        var random = new Random(seed);
        Span<float> parameters = ParametersOf(net);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() - 0.5);
        }

        foreach (BufferInfo buffer in BuffersOf(net))
        {
            if (buffer.Dtype != BufferDtype.F32)
            {
                continue;
            }

            Span<float> values = BufferOf(net, buffer.Key);
            bool variance = buffer.Key.EndsWith("running_var", StringComparison.Ordinal);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(variance ? 0.5 + random.NextDouble() : random.NextDouble() - 0.5);
            }
        }
    }

    internal static void Check(INeuralNetwork net, Action<Stream> export, PredictAction predict, string name)
    {
        using var session = new InferenceSession(Export(export));
        int[] shape = net.InputShape.ToArray();
        var random = new Random(name.Length);
        foreach (int rows in new[] { 1, 5 })
        {
            float[] inputs = new float[rows * net.InputSize];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = (float)((random.NextDouble() * 2) - 1);
            }

            float[] expected = new float[rows * net.OutputSize];
            predict(inputs, expected);
            var tensor = new DenseTensor<float>(inputs, new[] { rows }.Concat(shape).ToArray());
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("input", tensor) });
            DisposableNamedOnnxValue result = Assert.Single(results);
            Assert.Equal("output", result.Name);
            float[] actual = result.AsEnumerable<float>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            double scale = 1e-6, worst = 0;
            int worstIndex = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(expected[i]));
            }

            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(actual[i] - expected[i]);
                if (error > worst)
                {
                    worst = error;
                    worstIndex = i;
                }
            }

            Assert.True(worst <= Tolerance * scale,
                $"{name} at batch {rows}: output {worstIndex} is {actual[worstIndex]:R} in ONNX Runtime, {expected[worstIndex]:R} in NetGen; error {worst:E3} > {Tolerance:E1} × scale {scale:E3}");
        }
    }

    internal delegate void PredictAction(ReadOnlySpan<float> inputs, Span<float> outputs);

    private static Span<float> ParametersOf(INeuralNetwork net) => net switch
    {
        OnnxMlp n => n.Parameters,
        OnnxLeNet n => n.Parameters,
        OnnxResNet n => n.Parameters,
        OnnxActivations n => n.Parameters,
        GcLayerNorm n => n.Parameters,
        ChwActsMomentum n => n.Parameters,
        ConvGeneralAdam n => n.Parameters,
        GcDenseResidual n => n.Parameters,
        AvgPoolMomentum n => n.Parameters,
        OnnxNormMaxout n => n.Parameters,
        OnnxDropoutVariants n => n.Parameters,
        _ => throw new ArgumentException(net.Name),
    };

    private static IReadOnlyList<BufferInfo> BuffersOf(INeuralNetwork net) => net switch
    {
        OnnxLeNet => OnnxLeNet.BufferTable,
        OnnxResNet => OnnxResNet.BufferTable,
        _ => Array.Empty<BufferInfo>(),
    };

    private static Span<float> BufferOf(INeuralNetwork net, string key) => net switch
    {
        OnnxLeNet n => n.GetBuffer(key),
        OnnxResNet n => n.GetBuffer(key),
        _ => throw new ArgumentException(net.Name),
    };
}
