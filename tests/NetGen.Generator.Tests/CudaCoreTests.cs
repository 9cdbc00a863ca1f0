using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The generated CUDA core (docs/cuda.md): its launch sequence pinned by a snapshot for a small MLP, and the networks the
/// CUDA lowering does not cover yet: they still compile, and their Backend.Cuda constructor throws a message naming the
/// first layer, loss, optimizer or setting without a CUDA kernel. The CUDA core's numerics are checked against the CPU
/// core in NetGen.Tests (CudaParityTests, on the emulated driver).
/// </summary>
public sealed class CudaCoreTests
{
    [Fact]
    public void CanGenerateTheCudaCoreOfASmallMlp()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Gpu;

            [Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
            [Dense(16, Name = "hidden"), ReLU, Dropout(0.25), Dense(16), PReLU, Dense(3, Name = "out")]
            public partial class SmallGpuNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.DoesNotContain("CudaUnsupported", source, StringComparison.Ordinal);
        Snapshot.Verify(source, result.HintName());
    }

    [Theory]
    [InlineData("[Network(InputShape = new[] { 1, 8, 8 })] [Conv2D(4, 3), ReLU, Flatten, DropConnect(10, 0.5, Name = \"dc\")]", "layer 'dc' ([3] DropConnect): NetGen has no CUDA kernel for this kind yet")]
    [InlineData("[Network(InputSize = 4)] [Dense(6), GaussianDropout(0.2, Name = \"noise\"), Dense(3)]", "layer 'noise' ([1] GaussianDropout)")]
    public void ANetworkWithoutCudaKernelsCompilesAndNamesWhatIsMissing(string attributes, string reason)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($$"""
            using NetGen;

            namespace Demo.Gpu;

            {{attributes}}
            public partial class CpuOnlyNet { }

            public static class Use
            {
                public static Backend Create() => new CpuOnlyNet(1, Backend.Cpu).Backend;
            }
            """);
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.DoesNotContain("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.Contains("private const string CudaUnsupported = \"Network 'CpuOnlyNet' cannot run on Backend.Cuda: ", source, StringComparison.Ordinal);
        Assert.Contains(reason, source, StringComparison.Ordinal);
        Assert.Contains("public CpuOnlyNet(ulong seed, global::NetGen.Backend backend)", source, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCpuCoreDoesNotDependOnTheBackend()
    {
        // Core<T> is the CPU lowering alone: the backend hooks live in the public members and in CudaCore.
        string source = GeneratorHarness.Run("using NetGen; [Network(InputSize = 8)] [Dense(16), ReLU, Dense(3)] public partial class A { }").Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        string core = source.Substring(source.IndexOf("private sealed class Core<T>", StringComparison.Ordinal));
        Assert.Contains("global::NetGen.Kernels.Dense.Forward<T>", core, StringComparison.Ordinal);
        Assert.DoesNotContain("_cuda", core, StringComparison.Ordinal);
        Assert.DoesNotContain("NetGen.Cuda", core, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[Network(InputSize = 6)] [PReLU, Dense(3)]", "D_X")] // a first PReLU writes ∂L/∂input to a scratch buffer
    [InlineData("[Network(InputSize = 6)] [ReLU, Dense(3, Bias = false)]", "no parameters, and nothing before needs ∂L/∂x")]
    [InlineData("[Network(InputSize = 6, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.RmsProp)] [Dense(5), Sigmoid, Dense(2)]", "CudaActivation.Sigmoid);")]
    [InlineData("[Network(InputSize = 6, Optimizer = Optimizer.AdaGrad)] [Dense(5), Tanh, Tanh, Dense(2)]", "CudaActivation.Tanh);")]
    [InlineData("[Network(InputSize = 6)] [Dense(5), Dropout(0.5), Identity, ELU, LeakyReLU, Dense(2)]", "_k.Multiply(")]
    public void TheCudaCoreCompilesForEveryCoveredShape(string attributes, string expected)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen; namespace Demo.Gpu; {attributes} public partial class EdgeNet {{ }}");
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("private sealed class CudaCore", source, StringComparison.Ordinal);
        Assert.Contains(expected, source, StringComparison.Ordinal);
    }
}
