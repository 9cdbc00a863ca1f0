using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The generated CUDA core of the image layers (docs/cuda.md): the launch sequence of a small CNN with batch
/// normalisation pinned by a snapshot (convolution with the ReLU in its epilogue, max pooling with its int argmax, Flatten
/// as a view, the running statistics as device buffers that follow the host mirror), and every other covered image layer
/// compiling. The numerics are checked against the CPU core in NetGen.Tests (CudaCnnParityTests, on the emulated driver).
/// </summary>
public sealed class CudaCnnCoreTests
{
    [Fact]
    public void CanGenerateTheCudaCoreOfASmallCnnWithBatchNorm()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Gpu;

            [Network(InputShape = new[] { 1, 10, 10 }, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
            [Conv2D(4, 3, Name = "conv1"), ReLU, MaxPool2D(2)]
            [Conv2D(6, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2), Flatten, Dense(3, Name = "out")]
            public partial class SmallGpuCnn { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.DoesNotContain("CudaUnsupported", source, StringComparison.Ordinal);
        Assert.Contains("_k.Conv2DForward(_x, P_L0_Weight, P_L0_Bias, A_L1_Y, B, in s_geometry0, global::NetGen.Cuda.CudaActivation.ReLU);", source, StringComparison.Ordinal);
        Assert.Contains("private global::NetGen.Cuda.DeviceView<int> A_L2_Argmax", source, StringComparison.Ordinal);
        Assert.Contains("_cuda?.DownloadBuffers(_core.Buffers);", source, StringComparison.Ordinal);
        Snapshot.Verify(source, result.HintName());
    }

    [Theory]
    [InlineData("[Network(InputShape = new[] { 4, 9, 8 })] [Conv2D(8, 3, 2, StrideWidth = 2, PaddingHeight = 1), Tanh, Conv2D(8, 3, Padding = Conv2DAttribute.Same, Groups = 8, Bias = false), Conv2D(4, 3, Padding = Conv2DAttribute.Same, DilationHeight = 2, Groups = 2), Flatten, Dense(3)]", "_k.Conv2DInputGradient(")]
    [InlineData("[Network(InputShape = new[] { 2, 8, 8 })] [Conv2D(4, 3, Padding = 1), ReLU, AvgPool2D(2), AvgPool2D(3, Stride = 1, Padding = 1), GlobalAvgPool2D, Dense(3)]", "countIncludePad: true")]
    [InlineData("[Network(InputShape = new[] { 2, 6, 6 })] [Conv2D(4, 3, Padding = 1), LayerNorm, Dropout2D(0.3), LocalResponseNorm(3), Flatten, Dense(8), LayerNorm(Affine = false), Dense(3)]", "_k.RowDropoutForward(")]
    [InlineData("[Network(InputShape = new[] { 2, 4, 4 })] [Conv2D(6, 3, Padding = 1), PReLU(NumParameters = 6), Maxout(2), Flatten, Dense(12), Maxout(3), PReLU(NumParameters = 4), Dense(3)]", "_k.ChannelPReLUBackward(")]
    [InlineData("[Network(InputShape = new[] { 2, 4, 4 })] [BatchNorm2D(Affine = false), Conv2D(3, 3), Flatten, BatchNorm1D, Dense(3)]", "_k.BatchNormBackward(")]
    [InlineData("[Network(InputShape = new[] { 2, 4, 4 })] [Flatten, Dense(3)]", "// a view: _x seen as [B×32], no launch")]
    public void TheCudaCoreCompilesForEveryCoveredImageLayer(string attributes, string expected)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen; namespace Demo.Gpu; {attributes} public partial class ImageNet {{ }}");
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.Contains(expected, source, StringComparison.Ordinal);
    }
}
