using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;

namespace NetGen.Generator.Tests;

/// <summary>
/// One test per NG id: the id, the severity, the exact source text the diagnostic points at, and that the user's
/// compilation shows that one error and no cascade (the generator emits throwing members for invalid networks).
/// </summary>
public sealed class DiagnosticTests
{
    private static Diagnostic Single(string source, string id, DiagnosticSeverity severity, string spanText, bool expectSource = true)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(spanText, SpanText(result, diagnostic));
        Assert.Equal(expectSource, result.Sources.Length == 1);

        // No cascade: apart from the NG diagnostic, the compilation (user code calling the network included) is clean.
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    /// <summary>The source text under a diagnostic (generator diagnostics carry a file path and span, not a tree).</summary>
    private static string SpanText(GeneratorHarness.Result result, Diagnostic diagnostic)
    {
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path);
        Assert.Equal(position.StartLinePosition, tree.GetLineSpan(diagnostic.Location.SourceSpan).StartLinePosition);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void NG0001_ClassNotPartial()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\n[Network(InputSize = 2)]\n[Dense(2)]\npublic class Net { }");
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("NG0001", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal("Net", SpanText(result, d));
        Assert.Contains("partial", d.GetMessage());
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void NG0002_GenericClass() =>
        Assert.Contains("generic", Single("[Network(InputSize = 2)][Dense(2)] public partial class Net<T> { }", "NG0002", DiagnosticSeverity.Error, "Net", expectSource: false).GetMessage());

    [Fact]
    public void NG0003_NestedClass() =>
        Assert.Contains("'Outer'", Single("public partial class Outer { [Network(InputSize = 2)][Dense(2)] public partial class Net { } }", "NG0003", DiagnosticSeverity.Error, "Net", expectSource: false).GetMessage());

    [Fact]
    public void NG0004_DuplicateLayerName() =>
        Assert.Contains("'h'", Single("[Network(InputSize = 2)][Dense(4, Name = \"h\"), ReLU(Name = \"h\"), Dense(2)] public partial class Net { }", "NG0004", DiagnosticSeverity.Error, "Name = \"h\"").GetMessage());

    [Fact]
    public void NG0005_UnknownEnumValue() =>
        Single("[Network(InputSize = 2, Loss = (Loss)99)][Dense(2)] public partial class Net { }", "NG0005", DiagnosticSeverity.Error, "Loss = (Loss)99");

    [Fact]
    public void NG0101_NoLayers() =>
        Single("[Network(InputSize = 2)] public partial class Net { }", "NG0101", DiagnosticSeverity.Error, "Network(InputSize = 2)");

    [Fact]
    public void NG0102_MissingInputSize() =>
        Single("[Network(LearningRate = 0.1)][Dense(2)] public partial class Net { }", "NG0102", DiagnosticSeverity.Error, "Network(LearningRate = 0.1)");

    [Fact]
    public void NG0102_NonPositiveInputSizeIsReportedOnTheArgument() =>
        Single("[Network(InputSize = -3)][Dense(2)] public partial class Net { }", "NG0102", DiagnosticSeverity.Error, "InputSize = -3");

    [Fact]
    public void NG0103_ClassificationOnOneOutput() =>
        Assert.Contains("1 output", Single("[Network(InputSize = 2)][Dense(4), ReLU, Dense(1)] public partial class Net { }", "NG0103", DiagnosticSeverity.Error, "1").GetMessage());

    [Fact]
    public void NG0104_TooManyParametersIsReportedOnTheUnitsThatPassTheLimit()
    {
        // 50,000 inputs × 60,000 units + 60,000 biases: more than one .NET array holds.
        string message = Single("[Network(InputSize = 50000)][Dense(60000), ReLU, Dense(2)] public partial class Net { }", "NG0104", DiagnosticSeverity.Error, "60000").GetMessage();
        Assert.Contains("the parameters up to layer 'Dense #0' would take 3,000,060,000 elements", message);
        Assert.Contains("2,147,483,591", message);
    }

    [Fact]
    public void NG0104_TooManyActivationsIsReportedOnBatchSizeWhenItIsWritten() =>
        Assert.Contains(
            "the activations of a batch of 1,000,000 rows up to layer 'Dense #0' would take 3,000,000,000 elements",
            Single("[Network(InputSize = 8, BatchSize = 1000000)][Dense(3000), ReLU, Dense(2)] public partial class Net { }", "NG0104", DiagnosticSeverity.Error, "BatchSize = 1000000").GetMessage());

    [Fact]
    public void NG0104_TooManyActivationsAtTheDefaultBatchIsReportedOnTheUnits() =>
        Assert.Contains(
            "a batch of 64 rows up to layer 'wide' would take 2,560,000,000 elements",
            Single("[Network(InputSize = 1)][Dense(40000000, Name = \"wide\"), Dense(2)] public partial class Net { }", "NG0104", DiagnosticSeverity.Error, "40000000").GetMessage());

    [Fact]
    public void NG0104_TooManyActivationsAtADropoutIsReportedOnTheUnitsThatSetItsWidth() =>
        // The Dropout's output and mask pass the limit, but its own argument (p) is not what makes them large.
        Assert.Contains(
            "up to layer 'Dropout #2' would take 2,560,000,000 elements",
            Single("[Network(InputSize = 1)][Dense(10000000), ReLU, Dropout(0.5), Dense(2)] public partial class Net { }", "NG0104", DiagnosticSeverity.Error, "10000000").GetMessage());

    [Fact]
    public void NG0104_PrePackedWeightsTooLarge() =>
        // 800,000,008 parameters fit, but the forward GEMM is planned packed and Wᵀ rounded up to 32 columns does not.
        Assert.Contains(
            "the pre-packed weights of layer 'Dense #0' would take 3,200,000,000 elements",
            Single("[Network(InputSize = 100000000)][Dense(8), Dense(2)] public partial class Net { }", "NG0104", DiagnosticSeverity.Error, "8").GetMessage());

    [Fact]
    public void NG0104_NarrowPairScratchTooLarge() =>
        Assert.Contains(
            "the scratch of the fused layers 'Dense #0' to 'Dense #2' would take 2,340,000,000 elements",
            Single("[Network(InputSize = 4, BatchSize = 1)][Dense(130000000), ReLU, Dense(4)] public partial class Net { }", "NG0104", DiagnosticSeverity.Error, "130000000").GetMessage());

    [Fact]
    public void NG0006_ResidualOfAClassThatIsNotABlock() =>
        Assert.Contains("of network 'Net' uses 'Demo.Plain'", Single("public class Plain { } [Network(InputSize = 4)][Residual(typeof(Plain)), Dense(2)] public partial class Net { }", "NG0006", DiagnosticSeverity.Error, "typeof(Plain)").GetMessage());

    [Fact]
    public void NG0007_BlocksThatContainEachOther() =>
        Assert.Contains("A → B → A", Single("[Block][Residual(typeof(B))] public class A { } [Block][Residual(typeof(A))] public class B { } [Network(InputSize = 4)][Residual(typeof(A)), Dense(2)] public partial class Net { }", "NG0007", DiagnosticSeverity.Error, "typeof(A)").GetMessage());

    [Fact]
    public void NG0008_LayerAttributesOnAClassWithoutNetwork()
    {
        string message = Single("[Dense(10), ReLU]\n[Dense(2)] public partial class Net { }", "NG0008", DiagnosticSeverity.Error, "Dense(10)", expectSource: false).GetMessage();
        Assert.Contains("'Net'", message);
        Assert.Contains("[Dense]", message);
        Assert.Contains("nothing is generated", message);
        Assert.Contains("Add [Network(", message);
    }

    [Fact]
    public void NG0008_IsNotReportedForABlockNorForLayersOnAnotherDeclarationOfANetwork()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            "using NetGen;\nnamespace Demo;\n[Block][Dense(4), ReLU] public class B { }\n[Network(InputSize = 4)] public partial class Net { }\n[Residual(typeof(B)), Dense(2)] public partial class Net { }\n[System.Serializable] public class Plain { }");
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.Sources);
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void NG0105_ConvolutionThatDoesNotTileTheInput()
    {
        string message = Single("[Network(InputShape = new[] { 1, 7, 7 })][Conv2D(2, 3, Stride = 3), Flatten, Dense(2)] public partial class Net { }", "NG0105", DiagnosticSeverity.Error, "Stride = 3").GetMessage();
        Assert.Contains("(7 − 3 + 0)/3 + 1 = 2.33 is not a whole number", message);
        Assert.Contains("Use Stride = 2 or Padding = 1.", message);
    }

    [Fact]
    public void NG0105_PoolingWindowLargerThanTheInput() =>
        Assert.Contains("is less than 1", Single("[Network(InputShape = new[] { 2, 4, 4 })][MaxPool2D(5), Flatten, Dense(2)] public partial class Net { }", "NG0105", DiagnosticSeverity.Error, "5").GetMessage());

    [Fact]
    public void NG0105_AveragePoolingThatDoesNotTileTheInput()
    {
        string message = Single("[Network(InputShape = new[] { 2, 5, 5 })][AvgPool2D(2), Flatten, Dense(2)] public partial class Net { }", "NG0105", DiagnosticSeverity.Error, "2").GetMessage();
        Assert.Contains("AvgPool2D", message);
        Assert.Contains("Use Stride = 1 or Padding = 1.", message);
    }

    [Fact]
    public void NG0106_GlobalAveragePoolingOnAVector() =>
        Single("[Network(InputSize = 8)][Dense(4), GlobalAvgPool2D, Dense(2)] public partial class Net { }", "NG0106", DiagnosticSeverity.Error, "GlobalAvgPool2D");

    [Fact]
    public void NG0106_DenseAfterAnImageWithoutFlatten() =>
        Assert.Contains("[Flatten]", Single("[Network(InputShape = new[] { 1, 6, 6 })][Conv2D(4, 3), Dense(2)] public partial class Net { }", "NG0106", DiagnosticSeverity.Error, "Dense(2)").GetMessage());

    [Fact]
    public void NG0106_ConvolutionOnAVector() =>
        Single("[Network(InputSize = 36)][Conv2D(4, 3), Flatten, Dense(2)] public partial class Net { }", "NG0106", DiagnosticSeverity.Error, "Conv2D(4, 3)");

    [Fact]
    public void NG0106_BatchNorm2DAfterADenseLayer() =>
        Assert.Contains("BatchNorm1D", Single("[Network(InputSize = 8)][Dense(4), BatchNorm2D, Dense(2)] public partial class Net { }", "NG0106", DiagnosticSeverity.Error, "BatchNorm2D").GetMessage());

    [Fact]
    public void NG0107_ResidualBlockWhoseShapeNoShortcutCanFollow() =>
        Assert.Contains("maps [4] to [5]", Single("[Block][Dense(5)] public class Widen { } [Network(InputSize = 4)][Residual(typeof(Widen)), Dense(2)] public partial class Net { }", "NG0107", DiagnosticSeverity.Error, "typeof(Widen)").GetMessage());

    [Fact]
    public void NG0108_EmptyBlock() =>
        Single("[Block] public class Empty { } [Network(InputSize = 4)][Residual(typeof(Empty)), Dense(2)] public partial class Net { }", "NG0108", DiagnosticSeverity.Error, "typeof(Empty)");

    [Fact]
    public void NG0109_InputSizeAndInputShapeDisagree() =>
        Assert.Contains("(4 features)", Single("[Network(InputSize = 10, InputShape = new[] { 1, 2, 2 })][Flatten, Dense(2)] public partial class Net { }", "NG0109", DiagnosticSeverity.Error, "InputSize = 10").GetMessage());

    [Fact]
    public void NG0102_InputShapeOfRankTwo() =>
        Single("[Network(InputShape = new[] { 3, 2 })][Dense(2)] public partial class Net { }", "NG0102", DiagnosticSeverity.Error, "InputShape = new[] { 3, 2 }");

    [Fact]
    public void NG0103_DoesNotApplyToRegression()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\n[Network(InputSize = 3, Loss = Loss.MeanSquaredError)][Dense(4), Tanh, Dense(1)] public partial class Net { }");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("INeuralNetwork<float>", result.Source());
    }

    [Theory]
    [InlineData("Conv2D(0, 3)", "0", "OutChannels")]
    [InlineData("Conv2D(4, 3, Stride = 0)", "Stride = 0", "Stride")]
    [InlineData("Conv2D(4, 3, Padding = -1)", "Padding = -1", "Padding")]
    [InlineData("MaxPool2D(2, Padding = 2)", "Padding = 2", "Padding")]
    [InlineData("MaxPool2D(0)", "0", "Kernel")]
    [InlineData("AvgPool2D(3, Padding = 2)", "Padding = 2", "Padding")]
    [InlineData("AvgPool2D(2, Stride = 0)", "Stride = 0", "Stride")]
    [InlineData("BatchNorm2D(Momentum = 1.5)", "Momentum = 1.5", "Momentum")]
    [InlineData("BatchNorm2D(Epsilon = 0)", "Epsilon = 0", "Epsilon")]
    [InlineData("LayerNorm(Epsilon = -1e-5)", "Epsilon = -1e-5", "Epsilon")]
    public void NG0211_LayerArgumentOutOfRange(string layer, string span, string argument) =>
        Assert.Contains(argument + " = ", Single($"[Network(InputShape = new[] {{ 2, 8, 8 }})][{layer}, Flatten, Dense(2)] public partial class Net {{ }}", "NG0211", DiagnosticSeverity.Error, span).GetMessage());

    [Fact]
    public void ABlocksOwnErrorIsReportedOnceOnTheBlockAndEveryNetworkUsingItThrows()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo;
            [Block][Conv2D(0, 3)] public class Bad { }
            [Network(InputShape = new[] { 2, 8, 8 })][Residual(typeof(Bad)), Flatten, Dense(2)] public partial class One { }
            [Network(InputShape = new[] { 2, 8, 8 })][Residual(typeof(Bad)), Flatten, Dense(2)] public partial class Two { }
            """);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("NG0211", d.Id);
        Assert.Equal("0", SpanText(result, d));
        Assert.Contains("Conv2D layer 'Conv2D #0' of block 'Bad' has OutChannels = 0", d.GetMessage());
        Assert.Equal(2, result.Sources.Length);
        Assert.All(result.Sources, s => Assert.Contains("throw new global::System.InvalidOperationException(ErrorMessage)", s.SourceText.ToString()));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void NG0201_UnitsNotPositive() =>
        Single("[Network(InputSize = 2)][Dense(-5), Dense(2)] public partial class Net { }", "NG0201", DiagnosticSeverity.Error, "-5");

    [Theory]
    [InlineData("1.0")]
    [InlineData("-0.1")]
    public void NG0202_DropoutOutOfRange(string p) =>
        Assert.Contains("drop", Single($"[Network(InputSize = 2)][Dense(4), Dropout({p}), Dense(2)] public partial class Net {{ }}", "NG0202", DiagnosticSeverity.Error, p).GetMessage());

    [Fact]
    public void NG0203_LearningRateNotPositive() =>
        Single("[Network(InputSize = 2, LearningRate = 0)][Dense(2)] public partial class Net { }", "NG0203", DiagnosticSeverity.Error, "LearningRate = 0");

    [Fact]
    public void NG0204_NegativeWeightDecay() =>
        Single("[Network(InputSize = 2, WeightDecay = -1e-4)][Dense(2)] public partial class Net { }", "NG0204", DiagnosticSeverity.Error, "WeightDecay = -1e-4");

    [Fact]
    public void NG0205_MomentumOutOfRange() =>
        Single("[Network(InputSize = 2, Optimizer = Optimizer.Momentum, Momentum = 1.0)][Dense(2)] public partial class Net { }", "NG0205", DiagnosticSeverity.Error, "Momentum = 1.0");

    [Fact]
    public void NG0206_BetaOutOfRange() =>
        Single("[Network(InputSize = 2, Optimizer = Optimizer.Adam, Beta2 = 1.5)][Dense(2)] public partial class Net { }", "NG0206", DiagnosticSeverity.Error, "Beta2 = 1.5");

    [Fact]
    public void NG0207_EpsilonNotPositive() =>
        Single("[Network(InputSize = 2, Optimizer = Optimizer.Adam, Epsilon = 0)][Dense(2)] public partial class Net { }", "NG0207", DiagnosticSeverity.Error, "Epsilon = 0");

    [Fact]
    public void NG0208_BatchSizeNotPositive() =>
        Single("[Network(InputSize = 2, BatchSize = 0)][Dense(2)] public partial class Net { }", "NG0208", DiagnosticSeverity.Error, "BatchSize = 0");

    [Fact]
    public void NG0209_ActivationArgumentOutOfRange() =>
        Assert.Contains("Slope", Single("[Network(InputSize = 2)][Dense(4), LeakyReLU(Slope = -0.1), Dense(2)] public partial class Net { }", "NG0209", DiagnosticSeverity.Error, "Slope = -0.1").GetMessage());

    [Theory]
    [InlineData("Optimizer.RmsProp")]
    [InlineData("Optimizer.AdaGrad")]
    public void NG0207_EpsilonNotPositiveForEveryOptimizerThatReadsIt(string optimizer) =>
        Single($"[Network(InputSize = 2, Optimizer = {optimizer}, Epsilon = -1e-8)][Dense(2)] public partial class Net {{ }}", "NG0207", DiagnosticSeverity.Error, "Epsilon = -1e-8");

    [Theory]
    [InlineData("1.0")]
    [InlineData("-0.5")]
    public void NG0210_AlphaOutOfRange(string alpha) =>
        Assert.Contains("[0, 1)", Single($"[Network(InputSize = 2, Optimizer = Optimizer.RmsProp, Alpha = {alpha})][Dense(2)] public partial class Net {{ }}", "NG0210", DiagnosticSeverity.Error, $"Alpha = {alpha}").GetMessage());

    [Theory]
    [InlineData("Loss.MulticlassHinge", "0")]
    [InlineData("Loss.MulticlassSquaredHinge", "-1")]
    [InlineData("Loss.MulticlassSquaredHinge", "double.NaN")]
    [InlineData("Loss.MulticlassHinge", "double.PositiveInfinity")]
    public void NG0212_MarginNotPositive(string loss, string margin) =>
        Assert.Contains("Δ > 0", Single($"[Network(InputSize = 2, Loss = {loss}, Margin = {margin})][Dense(3)] public partial class Net {{ }}", "NG0212", DiagnosticSeverity.Error, $"Margin = {margin}").GetMessage());

    [Theory]
    [InlineData("0")]
    [InlineData("-0.5")]
    public void NG0213_DeltaNotPositive(string delta) =>
        Assert.Contains("δ > 0", Single($"[Network(InputSize = 2, Loss = Loss.Huber, Delta = {delta})][Dense(1)] public partial class Net {{ }}", "NG0213", DiagnosticSeverity.Error, $"Delta = {delta}").GetMessage());

    [Theory]
    [InlineData("Loss.SoftmaxCrossEntropy", "Margin = 2", "loss 'SoftmaxCrossEntropy'", "MulticlassHinge, MulticlassSquaredHinge, BinaryHinge")]
    [InlineData("Loss.Huber", "Margin = 1", "loss 'Huber'", "MulticlassHinge, MulticlassSquaredHinge, BinaryHinge")]
    [InlineData("Loss.MeanSquaredError", "Delta = 0.5", "loss 'MeanSquaredError'", "Huber")]
    [InlineData("Loss.MulticlassSquaredHinge", "Delta = 2", "loss 'MulticlassSquaredHinge'", "Huber")]
    public void NG0301_ALossSettingTheLossDoesNotReadIsIgnored(string loss, string setting, string owner, string readers)
    {
        string message = Single($"[Network(InputSize = 2, Loss = {loss}, {setting})][Dense(3)] public partial class Net {{ }}", "NG0301", DiagnosticSeverity.Warning, setting).GetMessage();
        Assert.Contains(owner, message);
        Assert.EndsWith($"({readers}).", message);
    }

    [Theory]
    [InlineData("Loss.MulticlassHinge", "", "MulticlassHinge<T>(", ", 3) / B;")]               // the default margin: the call of old
    [InlineData("Loss.MulticlassHinge", ", Margin = 0.5", "MulticlassHinge<T>(", ", 3, 0.5) / B;")]
    [InlineData("Loss.MulticlassSquaredHinge", "", "MulticlassSquaredHinge<T>(", ", 3, 1) / B;")]
    [InlineData("Loss.MulticlassSquaredHinge", ", Margin = 2", "MulticlassSquaredHinge<T>(", ", 3, 2) / B;")]
    [InlineData("Loss.Huber", ", Delta = 0.25", "Huber<T>(", ", 3, 0.25) / B;")]
    public void TheLossSettingsReachTheKernelCall(string loss, string setting, string kernel, string tail)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\n[Network(InputSize = 2, Loss = {loss}{setting})][Dense(3)] public partial class Net {{ }}");
        Assert.Empty(result.Diagnostics);
        string call = result.Source().Split('\n').Single(line => line.Contains("global::NetGen.Kernels.Losses."));
        Assert.Contains(kernel, call);
        Assert.EndsWith(tail, call.TrimEnd());
    }

    [Fact]
    public void NG0301_SettingIgnoredIsAWarningAndCodeIsStillGenerated()
    {
        Diagnostic d = Single("[Network(InputSize = 2, Optimizer = Optimizer.Adam, Momentum = 0.5)][Dense(2)] public partial class Net { }", "NG0301", DiagnosticSeverity.Warning, "Momentum = 0.5");
        Assert.Contains("Adam", d.GetMessage());
    }

    [Fact]
    public void NG0005_AnUnknownOptimizerGetsNoNG0301ForItsSettings() =>
        Single("[Network(InputSize = 2, Optimizer = (Optimizer)9, Momentum = 0.5)][Dense(2)] public partial class Net { }", "NG0005", DiagnosticSeverity.Error, "Optimizer = (Optimizer)9");

    [Theory]
    [InlineData("Optimizer.Adam", "Alpha = 0.9", "RmsProp")]
    [InlineData("Optimizer.Sgd", "Epsilon = 1e-6", "Adam, AdaGrad, RmsProp, AdamW, AdaDelta")]
    [InlineData("Optimizer.RmsProp", "Beta1 = 0.8", "Adam, AdamW")]
    [InlineData("Optimizer.AdaGrad", "Momentum = 0.5", "Momentum, Nesterov, RmsProp")]
    public void NG0301_NamesTheOptimizersThatReadTheSetting(string optimizer, string setting, string readers) =>
        Assert.EndsWith($"({readers}).", Single($"[Network(InputSize = 2, Optimizer = {optimizer}, {setting})][Dense(2)] public partial class Net {{ }}", "NG0301", DiagnosticSeverity.Warning, setting).GetMessage());

    [Theory]
    [InlineData("Optimizer.AdaGrad", "", "C(1E-10)")]        // PyTorch's Adagrad default
    [InlineData("Optimizer.AdaGrad", ", Epsilon = 1e-6", "C(1E-06)")]
    [InlineData("Optimizer.RmsProp", "", "C(1E-08)")]        // PyTorch's RMSprop default
    [InlineData("Optimizer.Adam", "", "C(1E-08)")]
    public void EpsilonDefaultsToPyTorchsValueForTheOptimizer(string optimizer, string epsilon, string expected)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\n[Network(InputSize = 2, Optimizer = {optimizer}{epsilon})][Dense(2)] public partial class Net {{ }}");
        Assert.Empty(result.Diagnostics);
        string update = result.Source().Split('\n').Single(line => line.Contains("global::NetGen.Kernels.Optimizers."));
        Assert.Contains(expected, update);
    }

    [Fact]
    public void NG9001_InternalErrorBecomesADiagnosticNotACrash()
    {
        // Every declaration the Parser accepts plans without throwing (sizes too large for an array are NG0104), so the
        // failure is provoked with a spec the Parser never produces: a layer kind the catalog does not know. The
        // Planner's exception becomes NG9001 with its type and message instead of failing the build with CS8785.
        var spec = new NetworkSpec("Demo", "Net", new[] { 2 }.ToEquatableArray(), 16, new TrainingSpec(LossKind.SoftmaxCrossEntropy, OptimizerKind.Sgd, 0.1, 0.9, 0.9, 0.999, 1e-8, 0),
            new[] { new LayerSpec("NoSuchLayer", null, EquatableArray<ArgumentValue>.Empty, null, EquatableArray<NamedLocation>.Empty) }.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty);
        NetGenGenerator.PlanResult result = NetGenGenerator.PlanSafely(new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty));
        Assert.Null(result.Plan);
        DiagnosticInfo d = Assert.Single(result.Diagnostics);
        Assert.Equal("NG9001", d.Descriptor.Id);
        Assert.Contains("KeyNotFoundException", d.Message);
    }

    [Fact]
    public void InvalidNetworkStillCompilesForItsCallersAndThrowsAtRunTime()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo;
            [Network(InputSize = 2, LearningRate = -1)]
            [Dense(2)]
            public partial class Net { }
            public static class Caller
            {
                public static float Use()
                {
                    var net = new Net(1);
                    var scores = new float[Net.OutputSize];
                    net.Predict(new float[Net.InputSize], scores);
                    INeuralNetwork general = net;
                    return net.TrainStep(new float[2], new int[1]) + general.Summary().Length + net.Gradients.Length;
                }
            }
            """);
        Assert.Equal("NG0203", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("throw new global::System.InvalidOperationException(ErrorMessage)", result.Source());
        Assert.Contains("LearningRate of network 'Net' is -1", result.Source());
    }
}
