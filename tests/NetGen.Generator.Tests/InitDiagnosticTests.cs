using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>The diagnostics of the weight-initialisation options of [Dense] and [Conv2D]: NG0306 (constant init, a
/// warning: code is still generated), NG0307 (an option the chosen Init does not read), NG0211 and NG0005 for option
/// values. Same checks as <see cref="DiagnosticTests"/>: id, severity, exact span, no cascade.</summary>
public sealed class InitDiagnosticTests
{
    private static Diagnostic Single(string source, string id, DiagnosticSeverity severity, string spanText, bool expectSource = true)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path);
        Assert.Equal(spanText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Equal(expectSource, result.Sources.Length == 1);
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    [Theory]
    [InlineData("Dense(4, Init = Init.Zeros)", "Init = Init.Zeros", "starts every weight at 0")]
    [InlineData("Dense(4, Init = Init.Constant, InitValue = 0.5)", "Init = Init.Constant", "starts every weight at 0.5")]
    [InlineData("Conv2D(4, 3, Init = Init.Zeros), Flatten", "Init = Init.Zeros", "starts every weight at 0")]
    public void NG0306_ConstantInitialisationWarnsAboutSymmetry(string layer, string span, string text)
    {
        string message = Single($"[Network(InputShape = new[] {{ 2, 5, 5 }})][{(layer.StartsWith("Dense") ? "Flatten, " : string.Empty)}{layer}, Dense(2)] public partial class Net {{ }}", "NG0306", DiagnosticSeverity.Warning, span).GetMessage();
        Assert.Contains(text, message);
        Assert.Contains("same gradient", message);
    }

    [Theory]
    [InlineData("Init = Init.GlorotUniform, FanMode = FanMode.FanOut", "FanMode = FanMode.FanOut", "Init.Auto or Init.HeNormal or Init.HeUniform or Init.LeCunNormal")]
    [InlineData("Init = Init.HeNormal, SparseCount = 5", "SparseCount = 5", "Init.Sparse")]
    [InlineData("SparseStd = 0.1", "SparseStd = 0.1", "Init.Sparse")]
    [InlineData("Init = Init.Sparse, InitGain = 2", "InitGain = 2", "Init.Orthogonal")]
    [InlineData("Init = Init.Orthogonal, InitValue = 1", "InitValue = 1", "Init.Constant")]
    public void NG0307_AnOptionTheInitDoesNotReadIsIgnored(string options, string span, string readers) =>
        Assert.Contains("use " + readers, Single($"[Network(InputSize = 3)][Dense(4, {options}), Dense(2)] public partial class Net {{ }}", "NG0307", DiagnosticSeverity.Warning, span).GetMessage());

    [Theory]
    [InlineData("Init = Init.Sparse, SparseCount = 0", "SparseCount = 0")]
    [InlineData("Init = Init.Sparse, SparseStd = -0.01", "SparseStd = -0.01")]
    [InlineData("Init = Init.Orthogonal, InitGain = 0", "InitGain = 0")]
    [InlineData("Init = Init.Constant, InitValue = double.NaN", "InitValue = double.NaN")]
    public void NG0211_InitOptionOutOfRange(string options, string span)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo;\n[Network(InputSize = 3)][Dense(4, {options}), Dense(2)] public partial class Net {{ }}");
        Diagnostic d = Assert.Single(result.Diagnostics, x => x.Id == "NG0211");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        FileLinePositionSpan position = d.Location.GetLineSpan();
        Assert.Equal(span, result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path).GetText().ToString(d.Location.SourceSpan));
    }

    [Fact]
    public void NG0005_UnknownFanMode() =>
        Single("[Network(InputSize = 3)][Dense(4, FanMode = (FanMode)2), Dense(2)] public partial class Net { }", "NG0005", DiagnosticSeverity.Error, "FanMode = (FanMode)2");

    [Theory]
    [InlineData("Init = Init.HeNormal, FanMode = FanMode.FanOut")]
    [InlineData("Init = Init.Sparse, SparseCount = 3, SparseStd = 0.1")]
    [InlineData("Init = Init.Orthogonal, InitGain = 1.5")]
    [InlineData("Init = Init.LeCunNormal")]
    public void EveryNewSchemeWithItsOptionsIsClean(string options)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo;\n[Network(InputSize = 3)][Dense(4, {options}), ReLU, Dense(2)] public partial class Net {{ }}");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
    }
}
