namespace NetGen.Generator.Tests;

/// <summary>The generated source of a network using every dropout variant and the new initialisations, pinned for
/// review (as <see cref="SnapshotTests"/>): the mask keys, the DropConnect key field, the sparse and orthogonal calls.</summary>
public sealed class DropoutVariantSnapshotTests
{
    [Fact]
    public void CanGenerateEveryDropoutVariantWithSparseAndOrthogonalInit()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo.Regularised;

            [Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
            [Conv2D(4, 3, Padding = 1, Init = Init.Orthogonal, InitGain = 1.4142135623730951), ReLU, Dropout2D(0.2), Flatten,
             DropConnect(16, 0.5, Init = Init.HeNormal, FanMode = FanMode.FanOut, BiasInit = 0.01), Standout(Alpha = 1, Beta = 0.5), ReLU,
             Dense(12, Init = Init.Sparse, SparseCount = 5), Tanh, GaussianDropout(0.3), Dense(8, Init = Init.LeCunNormal), Tanh, VanillaDropout(0.5), Dense(3)]
            public partial class RegularisedNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Single(result.Sources);
        Snapshot.Verify(result.Source(), result.HintName());
    }
}
