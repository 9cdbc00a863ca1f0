using NetGen.Generator.Lowering;

namespace NetGen.Generator.Tests;

/// <summary>Which Dense → ReLU → Dense chains run their one-row forwards in one parallel region (docs/adr/0061), decided at
/// compile time by the lowering and checked at run time by the kernel's own copy of the rule: the two must agree, and the
/// generated code calls the pair at batch 1 only.</summary>
public class GemvPairPlannerTests
{
    [Fact]
    public void PairsGemv_IsTheRuntimesRule()
    {
        int[] sizes = [1, 5, 10, 16, 31, 32, 33, 64, 100, 128, 255, 256, 257, 512, 784, 1024, 4096];
        foreach (int inputs in sizes)
        {
            foreach (int hidden in sizes)
            {
                foreach (int outputs in sizes)
                {
                    Assert.Equal(global::NetGen.Kernels.Gemv.Pairs(inputs, hidden, outputs), CpuLowering.PairsGemv(inputs, hidden, outputs));
                }
            }
        }
    }

    [Fact]
    public void PairColumns_IsTheRuntimesRule()
    {
        for (int outputs = 1; outputs <= 300; outputs++)
        {
            Assert.Equal(global::NetGen.Kernels.Gemv.PairColumns(outputs), CpuLowering.PairColumns(outputs));
        }
    }

    [Fact]
    public void TheBenchmarkMlpRunsItsFirstTwoLayersAsOnePairAtBatchOne()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo.Pair;
            [Network(InputSize = 784, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
            [Dense(256), ReLU, Dense(128), ReLU, Dense(10)]
            public partial class PairMlp { }
            """);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("global::NetGen.Kernels.Gemv.ForwardPair<T>(x, P(L0_Weight, 200704), P(L0_Bias, 256), A(L1_Y, B * 256), P(L2_Weight, 32768), P(L2_Bias, 128), A(L3_Y, B * 128), 784, 256, 128, relu: true, nextReLU: true, _packedW0, _packedW2);", source);
        Assert.Contains("if (B != 1)", source);
        Assert.Contains("[2]'s halves over its weight's columns, one FMA chain per output (128 outputs ≥ 64) (rule: docs/performance.md)", source); // ADR 0067
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(source, @"Gemv\.ForwardPair<T>"));
        // The output layer (10 × 128) stays a call of its own.
        Assert.Contains("global::NetGen.Kernels.Dense.Forward<T>(A(L3_Y, B * 128), P(L4_Weight, 1280)", source);
    }

    [Fact]
    public void ALayerBetweenTheTwoOrASplitSecondLayerKeepsTwoCalls()
    {
        GeneratorHarness.Result dropout = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo.Pair;
            [Network(InputSize = 784, BatchSize = 64)]
            [Dense(256), ReLU, Dropout(0.5), Dense(128), ReLU, Dense(10)]
            public partial class DropoutMlp { }
            """);
        Assert.Empty(dropout.CompilationProblems);
        Assert.DoesNotContain("ForwardPair", dropout.Source());

        GeneratorHarness.Result wide = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo.Pair;
            [Network(InputSize = 784, BatchSize = 64)]
            [Dense(1024), ReLU, Dense(512), Dense(10)]
            public partial class WideMlp { }
            """);
        Assert.Empty(wide.CompilationProblems);
        Assert.DoesNotContain("ForwardPair", wide.Source()); // 512 × 1024 is split itself

        GeneratorHarness.Result single = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo.Pair;
            [Network(InputSize = 784, BatchSize = 1)]
            [Dense(256), ReLU, Dense(128), ReLU, Dense(10)]
            public partial class OneRowMlp { }
            """);
        Assert.Empty(single.CompilationProblems);
        Assert.DoesNotContain("ForwardPair", single.Source()); // no pre-packed weights to hold the panels and partial sums
    }
}
