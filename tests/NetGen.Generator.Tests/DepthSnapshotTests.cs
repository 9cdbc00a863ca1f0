namespace NetGen.Generator.Tests;

/// <summary>Snapshots of what stochastic depth, fractional max pooling and BatchNorm folding look like in generated code.</summary>
public sealed class DepthSnapshotTests
{
    [Fact]
    public void CanGenerateResNetWithStochasticDepth()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Depth;

            [Block]
            [Conv2D(8, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(8, 3, Padding = 1, Bias = false), BatchNorm2D]
            public class BasicBlock { }

            [Block]
            [Conv2D(16, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(16, 3, Padding = 1, Bias = false), BatchNorm2D]
            public class DownBlock { }

            // Huang et al.'s linear rule over the three blocks (p = 0.1, 0.2, 0.3), except the middle one's own 0.05.
            [Network(InputShape = new[] { 3, 16, 16 }, BatchSize = 32, Optimizer = Optimizer.Momentum, LearningRate = 0.1, StochasticDepth = 0.3)]
            [Conv2D(8, 3, Padding = 1), ReLU, Residual(typeof(BasicBlock)), ReLU, Residual(typeof(BasicBlock), DropProbability = 0.05), ReLU]
            [Residual(typeof(DownBlock)), ReLU, GlobalAvgPool2D, Dense(10)]
            public partial class StochasticResNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Snapshot.Verify(result.Source(), result.HintName());
    }

    [Fact]
    public void CanGenerateFractionalMaxPooling()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Depth;

            // Graham's fractional max pooling twice (α = 1/0.7 ≈ √2, then a fixed output size) between convolutions.
            [Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 32, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
            [Conv2D(16, 3, Padding = 1), ReLU, FractionalMaxPool2D(2, OutputRatio = 0.7)]
            [Conv2D(32, 3, Padding = 1), ReLU, FractionalMaxPool2D(2, OutputSize = 10), Flatten, Dense(10)]
            public partial class FractionalNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Snapshot.Verify(result.Source(), result.HintName());
    }
}
