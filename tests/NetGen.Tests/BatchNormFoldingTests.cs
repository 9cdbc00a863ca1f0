using System.Text.Json;
using NetGen.Serialization;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// BatchNorm folded into the convolution before it for an inference-only export (FoldBatchNorm, SaveInference): the folded
/// network predicts what the unfolded one does in eval mode, the folded weights are PyTorch's fuse_conv_bn_eval
/// (tests/reference/make_depth_reference.py), and the file NetGen writes loads in PyTorch as a Conv2d-with-bias state_dict.
/// </summary>
public sealed class BatchNormFoldingTests
{
    private static void Train<TNet>(TNet net, int rows, int steps)
        where TNet : INeuralNetwork<int>
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, rows, 3);
        for (int i = 0; i < steps; i++)
        {
            net.TrainStep(x, labels);
        }
    }

    private static SafeTensorsFile Read(byte[] bytes) => SafeTensorsFile.Read(new MemoryStream(bytes));

    private static float[] Float32(SafeTensorsFile file, string key)
    {
        int[] shape = file.GetShape(key);
        var values = new float[shape.Aggregate(1, (a, d) => a * d)];
        file.ReadInto(key, shape, values);
        return values;
    }

    private static void AssertRelativelyClose(float[] expected, float[] actual, double tolerance, string what)
    {
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * scale, $"{what}: element {i} is {actual[i]:R}, unfolded {expected[i]:R} (scale {scale:E3})");
        }
    }

    [Fact]
    public void FoldedPredictionsEqualTheUnfoldedNetworkInEvalMode()
    {
        var net = new FoldMix(5);
        Train(net, 8, 4); // running statistics away from (0, 1), γ and β away from (1, 0)
        (float[] x, _) = GradientCheckTests.Batch(net, 13, 9); // more rows than MaxBatch: two batches
        var unfolded = new float[13 * FoldMix.OutputSize];
        var folded = new float[unfolded.Length];
        net.Predict(x, unfolded);
        FoldMix.Folded fast = net.FoldBatchNorm();
        fast.Predict(x, folded);
        AssertRelativelyClose(unfolded, folded, 1e-5, "FoldMix");
        Assert.NotEqual(unfolded, folded); // really another computation (float rounding differs), not the same code path

        // The copy is independent: training the network further does not change the folded one.
        Train(net, 8, 1);
        var again = new float[folded.Length];
        fast.Predict(x, again);
        Assert.Equal(folded, again);
    }

    [Fact]
    public void AResNetWithStochasticDepthFoldsItsBranchesBatchNorms()
    {
        // Folding inside residual branches (SdBlock4: Conv2D without bias → BatchNorm2D), with stochastic depth off at inference.
        var net = new SdMomentum(3);
        Train(net, 8, 3);
        (float[] x, _) = GradientCheckTests.Batch(net, 8, 4);
        var unfolded = new float[8 * SdMomentum.OutputSize];
        var folded = new float[unfolded.Length];
        net.Predict(x, unfolded);
        net.FoldBatchNorm().Predict(x, folded);
        AssertRelativelyClose(unfolded, folded, 1e-5, "SdMomentum");
        Assert.Contains("2.branch.0.bias", SdMomentum.Folded.Keys);
        Assert.DoesNotContain(SdMomentum.Folded.Keys, k => k.StartsWith("2.branch.1.", StringComparison.Ordinal));
    }

    [Fact]
    public void TheFoldedFileHasTheConvolutionsWithBiasAndNoFoldedBatchNormKeys()
    {
        Assert.Equal(new[]
        {
            "0.weight", "0.bias",
            "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked",
            "5.weight", "5.bias",
            "9.weight", "9.bias",
        }, FoldMix.Folded.Keys);

        var net = new FoldMix(2);
        Train(net, 8, 2);
        using var stream = new MemoryStream();
        net.SaveInference(stream);
        SafeTensorsFile file = Read(stream.ToArray());
        Assert.Equal(FoldMix.Folded.Keys.Order(), file.Names.Order()); // the header orders tensors for alignment, not by key
        Assert.Equal(new[] { 5 }, file.GetShape("5.bias"));
        Assert.Equal(2L, file.ReadInt64Scalar("4.num_batches_tracked"));
        Assert.Equal(net.GetBuffer("4.running_mean").ToArray(), Float32(file, "4.running_mean"));
        Assert.Equal(net.GetParameter("9.weight").ToArray(), Float32(file, "9.weight"));
    }

    [Fact]
    public void FoldedWeightsArePyTorchsFuseConvBnEval()
    {
        // bn_adam after its 3 float64 reference steps, folded by torch.nn.utils.fusion.fuse_conv_bn_eval.
        var reference = ReferenceCase.Load("bn_adam");
        var net = new BnAdam(reference.Seed);
        reference.CopyParametersInto(net);
        for (int step = 0; step < 3; step++)
        {
            net.TrainStep(reference.X, reference.Labels);
        }

        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("bn_adam_folded.json")));
        JsonElement root = json.RootElement;
        string[] keys = root.GetProperty("keys").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(keys, BnAdam.Folded.Keys);
        using var stream = new MemoryStream();
        net.SaveInference(stream);
        SafeTensorsFile file = Read(stream.ToArray());
        foreach (string key in keys)
        {
            JsonElement tensor = root.GetProperty("state_dict").GetProperty(key);
            double[] expected = tensor.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            if (tensor.GetProperty("dtype").GetString() == "I64")
            {
                Assert.Equal((long)expected[0], file.ReadInt64Scalar(key));
            }
            else
            {
                Close.Tensor(expected, Float32(file, key), 1e-5, $"folded '{key}'");
            }
        }

        var outputs = new float[reference.Batch * BnAdam.OutputSize];
        net.FoldBatchNorm().Predict(reference.X, outputs);
        Close.Tensor(root.GetProperty("folded_eval_output").EnumerateArray().Select(e => e.GetDouble()).ToArray(), outputs, 1e-5, "folded eval output");
    }

    [Fact]
    public void PyTorchLoadedTheFileNetGenWrites()
    {
        // tests/reference/make_depth_reference.py --check-netgen-folded loaded the committed NetGen file with
        // load_state_dict(strict=True) into Conv2d(bias=True)-Identity-...; it still matches what SaveInference writes.
        // Regenerate: NETGEN_WRITE_FOLDED=tests/NetGen.Tests/Reference/bn_adam.netgen.folded.safetensors dotnet test
        // --filter PyTorchLoadedTheFileNetGenWrites, then make_depth_reference.py --check-netgen-folded that file.
        var reference = ReferenceCase.Load("bn_adam");
        var net = new BnAdam(reference.Seed);
        reference.CopyParametersInto(net);
        for (int step = 0; step < 3; step++)
        {
            net.TrainStep(reference.X, reference.Labels);
        }

        using var stream = new MemoryStream();
        net.SaveInference(stream);
        if (Environment.GetEnvironmentVariable("NETGEN_WRITE_FOLDED") is { Length: > 0 } path)
        {
            File.WriteAllBytes(path, stream.ToArray()); // to regenerate the committed file, then run the script's check
        }

        SafeTensorsFile now = Read(stream.ToArray());
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("netgen_folded_roundtrip.json")));
        JsonElement root = json.RootElement;
        Assert.True(root.GetProperty("strict_load").GetBoolean(), root.GetProperty("error").ToString());
        Assert.True(root.GetProperty("max_abs_diff_vs_folded_reference").GetDouble() < 1e-5);

        SafeTensorsFile committed = Read(File.ReadAllBytes(TestPaths.Reference("bn_adam.netgen.folded.safetensors")));
        Assert.Equal(committed.Names, now.Names);
        foreach (string key in committed.Names.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
        {
            Close.Tensor(Float32(committed, key).Select(v => (double)v).ToArray(), Float32(now, key), 1e-6, $"'{key}'");
        }
    }
}
