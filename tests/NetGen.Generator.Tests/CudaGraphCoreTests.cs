namespace NetGen.Generator.Tests;

/// <summary>
/// The generated CUDA core of a graph (docs/cuda.md, docs/adr/0044): residual blocks of Dense layers, one nested in another,
/// with stochastic depth. Its launch sequence is pinned by a snapshot of the CudaCore class alone; the assertions name what the
/// graph lowering must contain (the addition, the accumulation of a tensor read twice, the per-sample masks). The numerics
/// are checked on the emulated driver in NetGen.Tests (CudaNetParityTests).
/// </summary>
public sealed class CudaGraphCoreTests
{
    [Fact]
    public void CanGenerateTheCudaCoreOfAResidualNetworkWithStochasticDepth()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Gpu;

            [Block]
            [Dense(8), ReLU, Dense(8)]
            public class GpuDenseBlock { }

            [Block]
            [Dense(8), Tanh, Residual(typeof(GpuDenseBlock))]
            public class GpuNestedBlock { }

            [Network(InputSize = 6, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, StochasticDepth = 0.2)]
            [Dense(8, Name = "stem"), Residual(typeof(GpuDenseBlock)), Residual(typeof(GpuNestedBlock), DropProbability = 0.3), Dense(3, Name = "head")]
            public partial class ResidualGpuNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.DoesNotContain("CudaUnsupported", source, StringComparison.Ordinal);
        int start = source.IndexOf("private sealed class CudaCore", StringComparison.Ordinal);
        Assert.True(start > 0, "the network has a CUDA core");
        int end = source.IndexOf("\n        }\n", start, StringComparison.Ordinal); // the class's closing brace
        Assert.True(end > start, "the CUDA core class ends");
        string core = source.Substring(start, end + 10 - start);
        Assert.Contains("_k.Add(", core, StringComparison.Ordinal); // branch + shortcut
        Assert.Contains("_k.Accumulate(D_", core, StringComparison.Ordinal); // a tensor read by the branch and the addition
        Assert.Contains("private global::NetGen.Cuda.DeviceView<float> T_", core, StringComparison.Ordinal); // its second consumer's part
        Assert.Contains("_k.RowDropoutForward(", core, StringComparison.Ordinal);
        Assert.Contains("_k.RowDropoutBackward(", core, StringComparison.Ordinal);
        Snapshot.Verify(core, result.HintName());
    }
}
