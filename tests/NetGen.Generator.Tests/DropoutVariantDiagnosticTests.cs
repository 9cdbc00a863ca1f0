using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>The diagnostics of the dropout variants: NG0211 on a drop probability outside [0, 1), NG0106 for channel
/// dropout on a vector; id, severity, exact span, no cascade (as <see cref="DiagnosticTests"/>).</summary>
public sealed class DropoutVariantDiagnosticTests
{
    private static Diagnostic Single(string source, string id, string spanText)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        Assert.Equal(spanText, result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path).GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Single(result.Sources);
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    [Theory]
    [InlineData("VanillaDropout(1.0)", "1.0")]
    [InlineData("GaussianDropout(-0.1)", "-0.1")]
    [InlineData("VanillaDropout(double.NaN)", "double.NaN")]
    public void NG0211_DropProbabilityOutOfRange(string layer, string span) =>
        Assert.Contains("P = ", Single($"[Network(InputSize = 3)][Dense(4), {layer}, Dense(2)] public partial class Net {{ }}", "NG0211", span).GetMessage());

    [Fact]
    public void NG0211_Dropout2DProbabilityOutOfRange() =>
        Single("[Network(InputShape = new[] { 2, 4, 4 })][Dropout2D(1.5), Flatten, Dense(2)] public partial class Net { }", "NG0211", "1.5");

    [Theory]
    [InlineData("Standout(Alpha = double.PositiveInfinity)", "Alpha = double.PositiveInfinity")]
    [InlineData("Standout(Beta = double.NaN)", "Beta = double.NaN")]
    public void NG0211_StandoutArgumentsMustBeFinite(string layer, string span) =>
        Assert.Contains("σ(α·z + β)", Single($"[Network(InputSize = 3)][Dense(4), {layer}, ReLU, Dense(2)] public partial class Net {{ }}", "NG0211", span).GetMessage());

    [Theory]
    [InlineData("DropConnect(4, 1.0)", "1.0")]
    [InlineData("DropConnect(0, 0.5)", "0")]
    [InlineData("DropConnect(4, 0.5, SparseCount = 0, Init = Init.Sparse)", "SparseCount = 0")]
    public void NG0211_DropConnectArgumentsOutOfRange(string layer, string span) =>
        Single($"[Network(InputSize = 3)][{layer}, Dense(2)] public partial class Net {{ }}", "NG0211", span);

    [Fact]
    public void NG0106_DropConnectOnAnImage() =>
        Assert.Contains("[Flatten]", Single("[Network(InputShape = new[] { 2, 4, 4 })][DropConnect(4, 0.5), Dense(2)] public partial class Net { }", "NG0106", "DropConnect(4, 0.5)").GetMessage());

    [Fact]
    public void NG0106_Dropout2DOnAVector() =>
        Assert.Contains("[Dropout]", Single("[Network(InputSize = 3)][Dense(4), Dropout2D(0.5), Dense(2)] public partial class Net { }", "NG0106", "Dropout2D(0.5)").GetMessage());

    [Theory]
    [InlineData("[Network(InputSize = 3)][Dense(4), ReLU, VanillaDropout(0.5), GaussianDropout(0.2), Dense(2)]")]
    [InlineData("[Network(InputSize = 3)][Dense(4), Standout, ReLU, Dense(4), Standout(Alpha = 0.5, Beta = 1), Tanh, Dense(2)]")]
    [InlineData("[Network(InputShape = new[] { 2, 4, 4 })][Conv2D(3, 3), Dropout2D(0.25), Flatten, Dense(2)]")]
    [InlineData("[Network(InputSize = 3)][DropConnect(4, 0.5, Init = Init.HeNormal, FanMode = FanMode.FanOut), ReLU, DropConnect(3, 0.2, Bias = false), Dense(2)]")]
    public void ValidDeclarationsAreClean(string attributes)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo;\n{attributes} public partial class Net {{ }}");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
    }
}
