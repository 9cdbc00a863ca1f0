using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>The diagnostics of stochastic depth, fractional max pooling and BatchNorm folding: id, severity and the exact
/// source text under each, and no cascade into the user's code.</summary>
public sealed class DepthDiagnosticTests
{
    private const string Blocks = "[Block][Conv2D(2, 3, Padding = 1), ReLU, Conv2D(2, 3, Padding = 1)] public class B { }\n";

    private static Diagnostic Single(string source, string id, DiagnosticSeverity severity, string spanText)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path);
        Assert.Equal(spanText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Single(result.Sources); // the throwing stub, so calls to the network still compile
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("-0.2")]
    [InlineData("double.NaN")]
    public void NG0250_StochasticDepthOutOfRange(string p) =>
        Assert.Contains("p_L of the last residual block", Single(Blocks + $"[Network(InputShape = new[] {{ 2, 4, 4 }}, StochasticDepth = {p})][Residual(typeof(B)), Flatten, Dense(2)] public partial class Net {{ }}", "NG0250", DiagnosticSeverity.Error, $"StochasticDepth = {p}").GetMessage());

    [Theory]
    [InlineData("1")]
    [InlineData("-0.5")]
    [InlineData("1.5")]
    public void NG0251_DropProbabilityOutOfRange(string p)
    {
        string message = Single(Blocks + $"[Network(InputShape = new[] {{ 2, 4, 4 }})][Residual(typeof(B), DropProbability = {p}), Flatten, Dense(2)] public partial class Net {{ }}", "NG0251", DiagnosticSeverity.Error, $"DropProbability = {p}").GetMessage();
        Assert.Contains("Residual layer 'Residual #0' of network 'Net' has DropProbability = ", message);
    }

    [Fact]
    public void NG0251_InABlockIsReportedOnTheBlock()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + Blocks + """
            [Block][Residual(typeof(B), DropProbability = 2)] public class Outer { }
            [Network(InputShape = new[] { 2, 4, 4 })][Residual(typeof(Outer)), Flatten, Dense(2)] public partial class Net { }
            """);
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("NG0251", d.Id);
        Assert.Contains("of block 'Outer'", d.GetMessage());
    }

    [Theory]
    [InlineData("FractionalMaxPool2D(0, OutputRatio = 0.7)", "0", "Kernel")]
    [InlineData("FractionalMaxPool2D(2, OutputRatio = 1.0)", "OutputRatio = 1.0", "OutputRatio")]
    [InlineData("FractionalMaxPool2D(2, OutputRatio = 0)", "OutputRatio = 0", "OutputRatio")]
    [InlineData("FractionalMaxPool2D(2, OutputRatio = double.NaN)", "OutputRatio = double.NaN", "OutputRatio")]
    [InlineData("FractionalMaxPool2D(2, OutputSize = 0)", "OutputSize = 0", "OutputSize")]
    public void NG0252_FractionalPoolArgumentOutOfRange(string layer, string span, string argument) =>
        Assert.Contains($"has {argument} = ", Single($"[Network(InputShape = new[] {{ 2, 8, 8 }})][{layer}, Flatten, Dense(2)] public partial class Net {{ }}", "NG0252", DiagnosticSeverity.Error, span).GetMessage());

    [Theory]
    [InlineData("FractionalMaxPool2D(2)", "FractionalMaxPool2D(2)", "writes neither")]
    [InlineData("FractionalMaxPool2D(2, OutputRatio = 0.5, OutputSize = 3)", "OutputSize = 3", "writes both")]
    public void NG0253_FractionalPoolNeedsExactlyOneOutputArgument(string layer, string span, string what) =>
        Assert.Contains(what, Single($"[Network(InputShape = new[] {{ 2, 8, 8 }})][{layer}, Flatten, Dense(2)] public partial class Net {{ }}", "NG0253", DiagnosticSeverity.Error, span).GetMessage());

    [Theory]
    [InlineData("FractionalMaxPool2D(2, OutputSize = 8)", "OutputSize = 8", "output height 8 + kernel 2 − 1 = 9 exceeds the input height 8")]
    [InlineData("FractionalMaxPool2D(3, OutputRatio = 0.9)", "OutputRatio = 0.9", "output height 7 (⌊8 · 0.9⌋) + kernel 3 − 1 = 9 exceeds the input height 8")]
    [InlineData("FractionalMaxPool2D(2, OutputRatio = 0.1)", "OutputRatio = 0.1", "output height = ⌊8 · 0.1⌋ = 0")]
    public void NG0120_FractionalPoolOutputDoesNotFit(string layer, string span, string arithmetic) =>
        Assert.Contains(arithmetic, Single($"[Network(InputShape = new[] {{ 2, 8, 8 }})][{layer}, Flatten, Dense(2)] public partial class Net {{ }}", "NG0120", DiagnosticSeverity.Error, span).GetMessage());

    [Fact]
    public void FractionalPoolOnAVectorIsNG0106() =>
        Single("[Network(InputSize = 8)][FractionalMaxPool2D(2, OutputSize = 3), Dense(2)] public partial class Net { }", "NG0106", DiagnosticSeverity.Error, "FractionalMaxPool2D(2, OutputSize = 3)");

    [Fact]
    public void NG0254_StochasticDepthWithoutAResidualIsAWarning() =>
        Assert.Contains("no [Residual] layer takes it", Single("[Network(InputSize = 4, StochasticDepth = 0.2)][Dense(4), Dense(2)] public partial class Net { }", "NG0254", DiagnosticSeverity.Warning, "StochasticDepth = 0.2").GetMessage());

    [Fact]
    public void NG0254_WhenEveryResidualWritesItsOwnProbability() =>
        Single(Blocks + "[Network(InputShape = new[] { 2, 4, 4 }, StochasticDepth = 0.2)][Residual(typeof(B), DropProbability = 0.1), Flatten, Dense(2)] public partial class Net { }", "NG0254", DiagnosticSeverity.Warning, "StochasticDepth = 0.2");

    [Fact]
    public void ValidStochasticDepthGeneratesCleanCode()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + Blocks +
            "[Network(InputShape = new[] { 2, 4, 4 }, StochasticDepth = 0.2)][Residual(typeof(B)), Residual(typeof(B), DropProbability = 0), Flatten, Dense(2)] public partial class Net { }");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("StochasticDepth.Forward<T>(", source);
        Assert.Contains("block 1 of 2: p = 1/2 · 0.2", source); // the rule counts the block that opts out
    }
}
