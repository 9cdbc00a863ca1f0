namespace NetGen.Generator.Tests;

/// <summary>
/// The generated CUDA core of a network with every dropout variant (docs/cuda.md): VanillaDropout, GaussianDropout, Standout
/// and DropConnect, each drawing its noise from the CPU's counter RNG and key. Its launch sequence is pinned by a snapshot
/// of the CudaCore class alone; the assertions name the launches each variant must make in training, at inference and in
/// backward. The numerics are checked on the emulated driver in NetGen.Tests (CudaDropoutParityTests).
/// </summary>
public sealed class CudaDropoutCoreTests
{
    [Fact]
    public void CanGenerateTheCudaCoreOfEveryDropoutVariant()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Gpu;

            [Network(InputSize = 6, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05)]
            [Dense(8), Tanh, VanillaDropout(0.25), Dense(8), GaussianDropout(0.3), Standout(Alpha = 1.5, Beta = -0.5), ReLU]
            [DropConnect(6, 0.5), Tanh, DropConnect(3, 0.2, Bias = false)]
            public partial class DropoutGpuNet { }
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
        foreach (string launch in new[]
        {
            "_k.VanillaDropoutForward(", "_k.VanillaDropoutInference(", "_k.GaussianDropoutForward(", "_k.StandoutForward(", "_k.StandoutInference(",
            "_k.DropConnectForward(", "_k.DropConnectBackward(", "CounterRng.Key(_seed, global::NetGen.CounterRng.DropoutStream, 7, (ulong)_step)",
        })
        {
            Assert.Contains(launch, core, StringComparison.Ordinal);
        }

        Snapshot.Verify(core, result.HintName());
    }

    [Fact]
    public void MomentMatchingDropConnectHasACudaCore()
    {
        string source = GeneratorHarness.Run("""
            using NetGen;
            [Network(InputSize = 6)]
            [Dense(8), DropConnect(5, 0.5, Inference = DropConnectInference.MomentMatching, Samples = 64), ReLU, Dense(3)]
            public partial class MomentGpuNet { }
            """).Source();
        Assert.DoesNotContain("CudaUnsupported", source, StringComparison.Ordinal);
        Assert.Contains("_k.DropConnectMomentMatchingReLU(", source, StringComparison.Ordinal);
        Assert.Contains("global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 1, ulong.MaxValue)", source, StringComparison.Ordinal);
    }
}
