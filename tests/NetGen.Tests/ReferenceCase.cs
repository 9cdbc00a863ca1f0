using System.Text.Json;

namespace NetGen.Tests;

/// <summary>One case written by tests/reference/make_reference.py (PyTorch, float64).</summary>
internal sealed class ReferenceCase
{
    private readonly JsonElement _root;

    private ReferenceCase(JsonElement root) => _root = root;

    public static ReferenceCase Load(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference(name + ".json")));
        return new ReferenceCase(document.RootElement.Clone());
    }

    public float[] X => Floats(_root.GetProperty("x"));

    public int[] Labels => _root.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>Regression targets [batch, outputs], flattened (cases with loss mean_squared_error).</summary>
    public float[] Targets => Floats(_root.GetProperty("targets"));

    public int Batch => _root.GetProperty("batch").GetInt32();

    public int[] InputShape => _root.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public string[] BufferOrder => _root.TryGetProperty("buffer_order", out JsonElement order) ? order.EnumerateArray().Select(e => e.GetString()!).ToArray() : Array.Empty<string>();

    /// <summary>A buffer's values after step <paramref name="step"/> (float32 buffers; a counter as one value).</summary>
    public double[] BufferAfterStep(int step, string key) =>
        Doubles(_root.GetProperty("steps")[step].GetProperty("buffers").GetProperty(key).GetProperty("data"));

    public double[] EvalOutputAfterSteps => Doubles(_root.GetProperty("eval_output_after_steps"));

    public double[] LearningRatePerStep => Doubles(_root.GetProperty("lr_per_step"));

    /// <summary>Any array of numbers of the case by its JSON name.</summary>
    public double[] Doubles(string property) => Doubles(_root.GetProperty(property));

    public ulong Seed => _root.GetProperty("seed").GetUInt64();

    public string[] ParameterOrder => _root.GetProperty("param_order").EnumerateArray().Select(e => e.GetString()!).ToArray();

    public double[] InferenceOutput => Doubles(_root.GetProperty("inference_output"));

    public double TotalLoss => _root.GetProperty("total_loss").GetDouble();

    public double[] Parameter(string key) => Doubles(_root.GetProperty("params").GetProperty(key).GetProperty("data"));

    public int[] Shape(string key) => _root.GetProperty("params").GetProperty(key).GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public double[] Gradient(string key) => Doubles(_root.GetProperty("grads").GetProperty(key).GetProperty("data"));

    public int StepCount => _root.GetProperty("steps").GetArrayLength();

    public double StepLoss(int step) => _root.GetProperty("steps")[step].GetProperty("total_loss").GetDouble();

    public double[] ParameterAfterStep(int step, string key) =>
        Doubles(_root.GetProperty("steps")[step].GetProperty("params").GetProperty(key).GetProperty("data"));

    /// <summary>The gradients of step <paramref name="step"/>'s loss, where a case writes them per step.</summary>
    public double[] StepGradient(int step, string key) =>
        Doubles(_root.GetProperty("steps")[step].GetProperty("grads").GetProperty(key).GetProperty("data"));

    public double[]? DropoutMask(int step) =>
        _root.TryGetProperty("dropout_masks", out JsonElement masks) ? Doubles(masks[step]) : null;

    /// <summary>Copies the case's initial parameters into the network, by state_dict key.</summary>
    public void CopyParametersInto(INeuralNetwork network)
    {
        Assert.Equal(ParameterOrder, network.ParameterTable.Select(p => p.Key).ToArray());
        foreach (ParameterInfo info in network.ParameterTable)
        {
            Assert.Equal(Shape(info.Key), info.Shape.ToArray());
            double[] values = Parameter(info.Key);
            Span<float> destination = network.Parameters.Slice(info.Offset, info.Length);
            for (int i = 0; i < values.Length; i++)
            {
                destination[i] = (float)values[i];
            }
        }
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
}

/// <summary>Comparisons at a relative tolerance measured against the reference tensor's scale.</summary>
internal static class Close
{
    /// <summary>
    /// max_i |actual_i − expected_i| ≤ tolerance · max(max_i |expected_i|, floor). Float32 results against float64
    /// references: elementwise relative error is meaningless for elements near zero, so the tensor's scale is used.
    /// </summary>
    public static void Tensor(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what, double floor = 1e-6)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        double scale = floor, worst = 0;
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

        Assert.True(worst <= tolerance * scale,
            $"{what}: element {worstIndex} is {actual[worstIndex]:R}, PyTorch {expected[worstIndex]:R}; error {worst:E3} > {tolerance:E1} × scale {scale:E3}");
    }

    public static void Scalar(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(Math.Abs(expected), 1e-12),
            $"{what}: {actual:R}, PyTorch {expected:R}; relative error {Math.Abs(actual - expected) / Math.Abs(expected):E3} > {tolerance:E1}");
}
