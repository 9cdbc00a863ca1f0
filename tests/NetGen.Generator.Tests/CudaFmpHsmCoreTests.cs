namespace NetGen.Generator.Tests;

/// <summary>
/// The generated CUDA cores of fractional max pooling and of the hierarchical softmax (docs/cuda.md, docs/adr/0050), pinned
/// as snapshots. Fractional pooling: the training forward launches ng_fractional_maxpool2d_forward with the CPU's key of the
/// step (a region per sample and channel), the inference forward with the fixed key of InferenceStep (a region per
/// channel), and the backward gathers with the forward's key. The hierarchical softmax: the tree uploaded once, the loss
/// and the node gradients launched from the node parameters' views of the state arena, Predict's distribution and
/// PredictClasses on the device. The numerics are checked against the CPU core in NetGen.Tests (CudaFmpParityTests,
/// CudaHsmParityTests, on the emulated driver).
/// </summary>
public sealed class CudaFmpHsmCoreTests
{
    [Fact]
    public void CanGenerateTheCudaCoreOfFractionalMaxPooling()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Gpu;

            [Network(InputShape = new[] { 2, 9, 9 }, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
            [Conv2D(4, 3, Padding = 1), ReLU, FractionalMaxPool2D(3, OutputSize = 5), FractionalMaxPool2D(2, OutputRatio = 0.7), Flatten, Dense(3)]
            public partial class FractionalGpuNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.DoesNotContain("CudaUnsupported", source, StringComparison.Ordinal);
        Assert.Contains("_k.FractionalMaxPool2DForward(A_L1_Y, A_L2_Y, A_L2_Argmax, B, in s_geometry2, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 2, (ulong)step), samplePerRow: true);", source, StringComparison.Ordinal);
        Assert.Contains("global::NetGen.Kernels.FractionalMaxPool2D.InferenceStep), samplePerRow: false);", source, StringComparison.Ordinal);
        Snapshot.Verify(source, result.HintName());
    }

    [Fact]
    public void CanGenerateTheCudaCoreOfAHierarchicalSoftmax()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Gpu;

            [Network(InputSize = 6, BatchSize = 4, Loss = Loss.HierarchicalSoftmax, Classes = 5, ClassTree = new[] { -1, 0, 1, 0, 2, 1, 2, 3, 3 }, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-4)]
            [Dense(8), Tanh, Dense(3, Name = "features")]
            public partial class HsmGpuNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.DoesNotContain("CudaUnsupported", source, StringComparison.Ordinal);
        Assert.Contains("_k.HierarchicalSoftmaxLoss(A_L2_Y, _targets, P_LHsm_Weight, P_LHsm_Bias, _hsmTree, D_L2_Y, _hsmSteps, _lossTerms, B, 3, 5, 3);", source, StringComparison.Ordinal);
        Assert.Contains("_cuda.PredictClasses(inputs, classes, rows, _seed, _step);", source, StringComparison.Ordinal);
        Snapshot.Verify(source, result.HintName());
    }
}
