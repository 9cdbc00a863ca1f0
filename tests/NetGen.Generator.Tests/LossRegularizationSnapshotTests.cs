namespace NetGen.Generator.Tests;

/// <summary>
/// The generated source of a network with label smoothing (and so the soft-target overloads), the elastic net with a
/// per-layer override and an opted-in bias, and max-norm on a Conv2D and a Dense, pinned for review.
/// </summary>
public sealed class LossRegularizationSnapshotTests
{
    [Fact]
    public void CanGenerateLabelSmoothingElasticNetAndMaxNorm()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Regularized;

            [Network(InputShape = new[] { 1, 8, 8 }, BatchSize = 16, LabelSmoothing = 0.1, WeightDecay = 1e-4, L1 = 1e-5, MaxNorm = 3,
                     Optimizer = Optimizer.Momentum, LearningRate = 0.05)]
            [Conv2D(4, 3, Padding = 1, RegularizeBias = true), ReLU, MaxPool2D(2), Flatten]
            [Dense(10, Name = "scores", WeightDecay = 1e-3, L1 = 0, MaxNorm = 4)]
            public partial class RegularizedNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Single(result.Sources);
        Snapshot.Verify(result.Source(), result.HintName());
    }
}
