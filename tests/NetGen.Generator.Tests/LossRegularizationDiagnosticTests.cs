using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The diagnostics of label smoothing, L1, max-norm and per-layer regularisation (NG0220–NG0222, NG0304), each with its id,
/// severity and exact span, and that the settings reach the generated calls.
/// </summary>
public sealed class LossRegularizationDiagnosticTests
{
    private static Diagnostic Single(string source, string id, DiagnosticSeverity severity, string spanText)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path);
        Assert.Equal(spanText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Single(result.Sources);
        Assert.Empty(result.CompilationProblems); // no cascade
        return diagnostic;
    }

    [Theory]
    [InlineData("1")]
    [InlineData("-0.1")]
    [InlineData("double.NaN")]
    public void NG0220_LabelSmoothingOutOfRange(string value) =>
        Assert.Contains("[0, 1)", Single($"[Network(InputSize = 2, LabelSmoothing = {value})][Dense(3)] public partial class Net {{ }}", "NG0220", DiagnosticSeverity.Error, $"LabelSmoothing = {value}").GetMessage());

    [Theory]
    [InlineData("[Network(InputSize = 2, L1 = -1e-3)][Dense(3)]", "L1 = -1e-3", "network 'Net'")]
    [InlineData("[Network(InputSize = 2, L1 = double.PositiveInfinity)][Dense(3)]", "L1 = double.PositiveInfinity", "network 'Net'")]
    [InlineData("[Network(InputSize = 2)][Dense(3, L1 = -1)]", "L1 = -1", "Dense layer 'Dense #0' of network 'Net'")]
    [InlineData("[Network(InputSize = 2)][Dense(3, WeightDecay = -1e-4)]", "WeightDecay = -1e-4", "Dense layer 'Dense #0' of network 'Net'")]
    [InlineData("[Network(InputShape = new[] { 1, 4, 4 })][Conv2D(2, 3, WeightDecay = double.NaN), Flatten, Dense(2)]", "WeightDecay = double.NaN", "Conv2D layer 'Conv2D #0' of network 'Net'")]
    public void NG0221_RegularizationNegative(string declaration, string span, string owner) =>
        Assert.Contains(owner, Single(declaration + " public partial class Net { }", "NG0221", DiagnosticSeverity.Error, span).GetMessage());

    [Theory]
    [InlineData("[Network(InputSize = 2, MaxNorm = -3)][Dense(3)]", "MaxNorm = -3")]
    [InlineData("[Network(InputSize = 2)][Dense(3, MaxNorm = -1)]", "MaxNorm = -1")]
    [InlineData("[Network(InputShape = new[] { 1, 4, 4 })][Conv2D(2, 3, MaxNorm = double.PositiveInfinity), Flatten, Dense(2)]", "MaxNorm = double.PositiveInfinity")]
    public void NG0222_MaxNormNegative(string declaration, string span) =>
        Assert.Contains("‖w‖₂ ≤ c", Single(declaration + " public partial class Net { }", "NG0222", DiagnosticSeverity.Error, span).GetMessage());

    [Fact]
    public void NG0304_RegularizeBiasOnALayerWithoutBiasIsAWarning() =>
        Assert.Contains("no bias to regularise", Single("[Network(InputSize = 2, WeightDecay = 1e-3)][Dense(3, Bias = false, RegularizeBias = true)] public partial class Net { }", "NG0304", DiagnosticSeverity.Warning, "RegularizeBias = true").GetMessage());

    [Theory]
    [InlineData("Loss.MulticlassHinge", "LabelSmoothing = 0.1", "loss 'MulticlassHinge'", "SoftmaxCrossEntropy")]
    [InlineData("Loss.MeanSquaredError", "LabelSmoothing = 0", "loss 'MeanSquaredError'", "SoftmaxCrossEntropy")]
    public void NG0301_LabelSmoothingOnAnotherLossIsIgnored(string loss, string setting, string owner, string readers)
    {
        string message = Single($"[Network(InputSize = 2, Loss = {loss}, {setting})][Dense(3)] public partial class Net {{ }}", "NG0301", DiagnosticSeverity.Warning, setting).GetMessage();
        Assert.Contains(owner, message);
        Assert.EndsWith($"({readers}).", message);
    }

    [Fact]
    public void PerLayerSettingsAndBiasOptInReachTheGeneratedCalls()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            [Network(InputSize = 2, WeightDecay = 1e-3, L1 = 2e-3, MaxNorm = 3, LabelSmoothing = 0.1)]
            [Dense(4, RegularizeBias = true), ReLU, Dense(3, WeightDecay = 0.5, L1 = 0, MaxNorm = 0)]
            public partial class Net { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string[] lines = result.Source().Split('\n');
        string[] Calls(string kernel) => lines.Where(l => l.Contains("global::NetGen.Kernels.Regularization." + kernel + "<T>(")).Select(l => l.Trim()).ToArray();

        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight" }, Calls("AddL2Gradient").Select(Key));
        Assert.Contains("C(0.5)", Calls("AddL2Gradient")[2]);
        Assert.Equal(new[] { "0.weight", "0.bias" }, Calls("AddL1Gradient").Select(Key));
        string maxNorm = Assert.Single(Calls("MaxNorm"));
        Assert.StartsWith("global::NetGen.Kernels.Regularization.MaxNorm<T>(P(L0_Weight, 8), 4, 3);", maxNorm);
        Assert.Equal(2, lines.Count(l => l.Contains("global::NetGen.Kernels.Losses.SoftmaxCrossEntropy<T>(") && l.Contains(", 3, 0.1) / B;")));
    }

    [Fact]
    public void BinaryHingeReadsTheMarginChecksItsTargetsAndTakesOneOutput()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\n[Network(InputSize = 2, Loss = Loss.BinaryHinge, Margin = 0.5)][Dense(1)] public partial class Net { }");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string[] lines = result.Source().Split('\n');
        string call = lines.Single(l => l.Contains("global::NetGen.Kernels.Losses."));
        Assert.Contains("BinaryHinge<T>(", call);
        Assert.EndsWith(", 1, 0.5) / B;", call.TrimEnd());
        Assert.Equal(3, lines.Count(l => l.Contains("global::NetGen.Guard.BinaryTargets(inputs, targets,")));
        Assert.Contains("partial class Net : global::NetGen.INeuralNetwork<float>", result.Source());
    }

    private static string Key(string call) => call.Substring(call.IndexOf("// \"", StringComparison.Ordinal) + 4).Split('"')[0];
}
