using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The generated source of representative networks, pinned. A reviewer reads these files to see exactly what runs.
/// Each test first checks there are no diagnostics and that the output compiles without warnings.
/// </summary>
public sealed class SnapshotTests
{
    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Single(result.Sources);
        Snapshot.Verify(result.Source(), result.HintName(), test: test);
    }

    [Fact]
    public void CanGenerateSpiralNetwork() => VerifyNetwork("""
        using NetGen;

        namespace Samples.Spiral;

        [Network(InputSize = 2, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Sgd, LearningRate = 1.0, WeightDecay = 1e-3, BatchSize = 300)]
        [Dense(100), ReLU]
        [Dense(3)]
        public partial class SpiralNet { }
        """);

    [Fact]
    public void CanGenerateEveryActivationWithDropoutAndAdam() => VerifyNetwork("""
        using NetGen;

        namespace Demo.Activations;

        [Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
        [Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU(Alpha = 0.5)]
        [Dense(6), Identity, Dropout(0.25), Dense(3)]
        internal partial class EveryActivation { }
        """);

    [Fact]
    public void CanGenerateHingeLossWithNesterovAndNoBias() => VerifyNetwork("""
        using NetGen;

        namespace Demo.Svm;

        [Network(InputSize = 3072, BatchSize = 128, Loss = Loss.MulticlassHinge, Optimizer = Optimizer.Nesterov, LearningRate = 1e-3, Momentum = 0.95)]
        [Dense(100, Name = "hidden", Init = Init.SmallNormal), Tanh]
        [Dense(10, Name = "scores", Bias = false)]
        public sealed partial class CifarSvm { }
        """);

    [Fact]
    public void CanGenerateRmsProp() => VerifyNetwork("""
        using NetGen;

        namespace Demo.Adaptive;

        [Network(InputSize = 8, BatchSize = 16, Optimizer = Optimizer.RmsProp, LearningRate = 1e-3, Alpha = 0.9)]
        [Dense(12), Sigmoid, Dense(3)]
        public partial class RmsPropNet { }
        """);

    [Fact]
    public void CanGenerateNamedMomentumMlpInTheGlobalNamespace() => VerifyNetwork("""
        using NetGen;

        [Network(InputSize = 784, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9, WeightDecay = 5e-4)]
        [Dense(256, Name = "fc1", Init = Init.PyTorchDefault), ReLU(Name = "act1"), Dropout(0.5, Name = "drop1")]
        [Dense(128, Name = "fc2", BiasInit = 0.01), ReLU(Name = "act2")]
        [Dense(10, Name = "out")]
        partial class MnistMlp { }
        """);

    [Fact]
    public void CanGenerateLeNetWithBatchNorm() => VerifyNetwork("""
        using NetGen;

        namespace Demo.Vision;

        [Network(InputShape = new[] { 1, 28, 28 }, Optimizer = Optimizer.Adam, LearningRate = 1e-3, WeightDecay = 1e-4)]
        [Conv2D(20, 5, Name = "conv1", Bias = false), BatchNorm2D(Name = "bn1"), ReLU, MaxPool2D(2)]
        [Conv2D(50, 5, Name = "conv2"), ReLU, MaxPool2D(2), Flatten]
        [Dense(500, Name = "fc1"), BatchNorm1D, ReLU, Dense(10, Name = "out")]
        public partial class LeNet { }
        """);

    [Fact]
    public void CanGenerateResidualBlocksDeclaredInAnotherClass() => VerifyNetwork("""
        using NetGen;

        namespace Demo.Residual;

        [Block]
        [Conv2D(8, 3, Padding = 1), ReLU, Conv2D(8, 3, Padding = 1)]
        public class BasicBlock { }

        [Block]
        [Conv2D(16, 3, Stride = 2, Padding = 1), ReLU, Conv2D(16, 3, Padding = 1)]
        public class DownBlock { }

        [Network(InputShape = new[] { 3, 16, 16 }, BatchSize = 32, Optimizer = Optimizer.Momentum, LearningRate = 0.1)]
        [Conv2D(8, 3, Padding = 1), ReLU, Residual(typeof(BasicBlock)), ReLU, Residual(typeof(DownBlock)), ReLU]
        [Flatten, Dense(10)]
        public partial class TinyResNet { }
        """);

    [Fact]
    public void CanGenerateRegressionWithFloatTargets() => VerifyNetwork("""
        using NetGen;

        namespace Demo.Regression;

        [Network(InputSize = 13, BatchSize = 32, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.01)]
        [Dense(32), Tanh, Dense(1)]
        public partial class HousePrice { }
        """);

    [Fact]
    public void CanGenerateThrowingMembersForAnInvalidNetwork()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Broken;

            [Network(InputSize = 4)]
            [Dense(0), ReLU, Dense(3)]
            public partial class Broken { }
            """);
        Assert.Equal("NG0201", Assert.Single(result.Diagnostics).Id);
        Snapshot.Verify(result.Source(), result.HintName());
    }
}
