namespace NetGen.Generator.Tests;

/// <summary>The pool fused into the convolution's epilogue (ADR 0047): where the generator chooses it, what it writes in
/// the layers' comments, and where it keeps the two kernels.</summary>
public sealed class ConvInferGeneratorTests
{
    private static string Generate(string layers, string input = "1, 28, 28") =>
        GeneratorHarness.Run($"using NetGen;\nnamespace Demo;\n[Network(InputShape = new[] {{ {input} }})][{layers}, Flatten, Dense(3)] public partial class Net {{ }}").Source();

    [Fact]
    public void CanGenerateTheBenchCnnWithItsPoolsFusedIntoTheConvolutions()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.ConvInfer;

            // The CNN of the benchmark's convolution rows: both pools run in their convolution's epilogue.
            [Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
            [Conv2D(8, 3), ReLU, MaxPool2D(2)]
            [Conv2D(16, 3), ReLU, MaxPool2D(2, Padding = 1)]
            [Flatten, Dense(10)]
            public partial class BenchCnn { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("global::NetGen.Kernels.ConvPool.Forward<T>(x, P(L0_Weight, 72), P(L0_Bias, 8), A(L1_Y, B * 5408), A(L2_Y, B * 1352), training ? Ix(L2_Argmax, B * 1352) : default, B, in s_geometry0, in s_geometry2, fuseReLU: true, storeY: ActivationsRecorded);", source);
        Assert.Contains("in s_geometry3, in s_geometry5, fuseReLU: true, storeY: ActivationsRecorded);", source);
        // y (the ReLU's output) is read by nothing but the pool in the epilogue: stored on request only (ADR 0058).
        Assert.Contains("new global::NetGen.ActivationInfo(\"relu_1\", \"ReLU\", new int[] { 8, 26, 26 }, L1_Y, 5408, hasGradient: true, onRequest: true),", source);
        Assert.Contains("if (ActivationsRecorded && !global::NetGen.Guard.AllFinite<T>(A(L1_Y, B * 5408)))", source);
        Assert.Contains("kernel ConvPool, direct: stride 1, no padding and C·kh·kw = 9 ≤ 128, no im2col (forward and dW), with [2]'s 2×2 max pool in its epilogue", source);
        Assert.Contains("argmax kept for backward (training): computed by [3] in its epilogue (fused, kernel ConvPool)", source);
        Assert.DoesNotContain("MaxPool2D.Forward", source);
        Assert.Contains("global::NetGen.Kernels.MaxPool2D.Backward<T>(", source); // the backward is unchanged
        Snapshot.Verify(source, result.HintName());
    }

    [Theory]
    [InlineData("Conv2D(4, 3), ReLU, MaxPool2D(3)", false)]                   // a 3×3 window
    [InlineData("Conv2D(4, 3), ReLU, MaxPool2D(2, Stride = 1)", false)]       // stride 1
    [InlineData("Conv2D(4, 3, Padding = 1), ReLU, MaxPool2D(2)", false)]      // the convolution is not direct
    [InlineData("Conv2D(4, 3, Stride = 2), ReLU, MaxPool2D(2)", false)]
    [InlineData("Conv2D(4, 3, Dilation = 2), ReLU, MaxPool2D(2)", false)]     // the general convolution
    [InlineData("Conv2D(4, 3), Tanh, MaxPool2D(2)", false)]                   // an activation between that is not fused
    [InlineData("Conv2D(4, 3), ReLU, AvgPool2D(2)", false)]
    [InlineData("Conv2D(4, 3), ReLU, MaxPool2D(2)", true)]
    [InlineData("Conv2D(4, 3), MaxPool2D(2, Padding = 1)", true)]             // no activation: fused all the same
    [InlineData("Conv2D(4, 3), ReLU, MaxPool2D(2, PaddingHeight = 1, PaddingWidth = 0)", true)]
    public void ThePoolIsFusedExactlyWhereTheKernelTakesIt(string layers, bool fused)
    {
        string source = Generate(layers);
        Assert.Equal(fused, source.Contains("global::NetGen.Kernels.ConvPool.Forward<T>(", StringComparison.Ordinal));
        Assert.Equal(fused, !source.Contains("MaxPool2D.Forward", StringComparison.Ordinal) && source.Contains("MaxPool2D.Backward", StringComparison.Ordinal));
    }
}
