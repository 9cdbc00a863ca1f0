using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The convolution-completeness work: a snapshot of a network with a depthwise and a dilated convolution (the general
/// kernel chosen at compile time and named in the comment), and one test per new diagnostic or new argument range
/// (id, severity, the exact source text under it, no cascade).
/// </summary>
public sealed class ConvTests
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
        Assert.Single(result.Sources); // throwing members, so user code still compiles
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    private static string Net(string layers, string input = "4, 8, 8") =>
        $"[Network(InputShape = new[] {{ {input} }})][{layers}, Flatten, Dense(2)] public partial class Net {{ }}";

    [Fact]
    public void CanGenerateDepthwiseSeparableAndDilatedConvolutions()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Mobile;

            // A depthwise-separable block (depthwise 3×3, then pointwise 1×1) and a dilated (atrous) 3×3 convolution.
            [Network(InputShape = new[] { 8, 16, 16 }, BatchSize = 16, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
            [Conv2D(8, 3, Padding = Conv2DAttribute.Same, Groups = 8, Bias = false, Name = "dw"), ReLU]
            [Conv2D(16, 1, Name = "pw"), ReLU]
            [Conv2D(16, 3, Padding = Conv2DAttribute.Same, Dilation = 2, Name = "atrous"), ReLU]
            [Conv2D(4, 3, 1, StrideHeight = 2, PaddingHeight = 1, Name = "tall"), Tanh]
            [GlobalAvgPool2D, Dense(10)]
            public partial class SeparableNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("global::NetGen.Kernels.Conv2DGeneral.Forward<T>(", source);           // dw and atrous
        Assert.Contains("global::NetGen.Kernels.Conv2D.Forward<T>(", source);                  // pw and tall keep the fast path
        Assert.Contains("kernel Conv2DGeneral: per-group im2col with the dilated taps + GEMM, since groups 8 rules out Conv2D's fast path", source);
        Assert.Contains("since dilation 2 rules out", source);
        Assert.Contains("nn.Conv2d(8, 8, 3, padding='same', groups=8, bias=False)", source);
        Assert.Contains("nn.Conv2d(16, 4, (3, 1), stride=(2, 1), padding=(1, 0))", source);
        Snapshot.Verify(source, result.HintName());
    }

    [Fact]
    public void NG0110_GroupsThatDoNotDivideTheInputChannels()
    {
        string message = Single(Net("Conv2D(6, 3, Groups = 3)"), "NG0110", DiagnosticSeverity.Error, "Groups = 3").GetMessage();
        Assert.Contains("receives 4 channels, which do not split into Groups = 3", message);
        Assert.Contains("Use Groups = 1 or 2", message);
    }

    [Fact]
    public void NG0111_PReLUSlopesThatMatchNoChannelCount()
    {
        Assert.Contains("NumParameters = 3 but receives [4, 6, 6], whose channel count is 4",
            Single(Net("Conv2D(4, 3), PReLU(NumParameters = 3)"), "NG0111", DiagnosticSeverity.Error, "NumParameters = 3").GetMessage());
        Assert.Contains("feature count is 6",
            Single("[Network(InputSize = 3)][Dense(6), PReLU(NumParameters = 4), Dense(2)] public partial class Net { }", "NG0111", DiagnosticSeverity.Error, "NumParameters = 4").GetMessage());
    }

    [Theory]
    [InlineData("Conv2D(4, 4, Padding = Conv2DAttribute.Same)", "an even window")]
    [InlineData("Conv2D(4, 3, Padding = Conv2DAttribute.Same, Stride = 2)", "the stride is 2")]
    [InlineData("Conv2D(4, 3, 2, Padding = Conv2DAttribute.Same)", "window is 3×2")]
    public void NG0240_SamePaddingThatCannotKeepTheSize(string layer, string why) =>
        Assert.Contains(why, Single(Net(layer), "NG0240", DiagnosticSeverity.Error, "Padding = Conv2DAttribute.Same").GetMessage());

    [Fact]
    public void NG0241_GroupsThatDoNotDivideTheOutputChannels() =>
        Assert.Contains("has 6 output channels, which do not split into Groups = 4",
            Single(Net("Conv2D(6, 3, Groups = 4)"), "NG0241", DiagnosticSeverity.Error, "Groups = 4").GetMessage());

    [Theory]
    [InlineData("Conv2D(4, 0, 3)", "0", "KernelHeight")]
    [InlineData("Conv2D(4, 3, -1)", "-1", "KernelWidth")]
    [InlineData("Conv2D(4, 3, StrideHeight = 0)", "StrideHeight = 0", "StrideHeight")]
    [InlineData("Conv2D(4, 3, StrideWidth = -2)", "StrideWidth = -2", "StrideWidth")]
    [InlineData("Conv2D(4, 3, PaddingHeight = -1)", "PaddingHeight = -1", "PaddingHeight")]
    [InlineData("Conv2D(4, 3, PaddingWidth = -3)", "PaddingWidth = -3", "PaddingWidth")]
    [InlineData("Conv2D(4, 3, Padding = -1)", "Padding = -1", "Padding")]
    [InlineData("Conv2D(4, 3, Dilation = 0)", "Dilation = 0", "Dilation")]
    [InlineData("Conv2D(4, 3, Groups = 0)", "Groups = 0", "Groups")]
    public void NG0211_NewConvolutionArgumentsOutOfRange(string layer, string span, string argument) =>
        Assert.Contains(argument + " = ", Single(Net(layer), "NG0211", DiagnosticSeverity.Error, span).GetMessage());

    [Fact]
    public void NG0209_PReLUWithoutSlopes() =>
        Assert.Contains("NumParameters = 0", Single(Net("Conv2D(4, 3), PReLU(NumParameters = 0)"), "NG0209", DiagnosticSeverity.Error, "NumParameters = 0").GetMessage());

    [Fact]
    public void NG0105_DilationWidensTheWindow()
    {
        // 3 taps at dilation 4 span 9 > 8: the window is larger than the input.
        string message = Single(Net("Conv2D(4, 3, Dilation = 4)"), "NG0105", DiagnosticSeverity.Error, "Dilation = 4").GetMessage();
        Assert.Contains("(8 − 9 + 0)/1 + 1", message);
        Assert.Contains("dilated window 9 = 4·(3 − 1) + 1", message);
    }

    [Fact]
    public void AHugeDilationIsAWindowErrorNotAnOverflow() =>
        Assert.Contains("is less than 1", Single(Net("Conv2D(4, 3, Dilation = int.MaxValue)"), "NG0105", DiagnosticSeverity.Error, "Dilation = int.MaxValue").GetMessage());

    [Fact]
    public void NG0105_PerAxisStrideThatDoesNotTile()
    {
        string message = Single(Net("Conv2D(4, 3, StrideWidth = 2)"), "NG0105", DiagnosticSeverity.Error, "StrideWidth = 2").GetMessage();
        Assert.Contains("output width = (8 − 3 + 0)/2 + 1 = 3.5", message);
        Assert.Contains("Use StrideWidth = 1 or Padding = 1.", message);
    }
}

/// <summary>Local response normalisation and maxout: their diagnostics and the comments they generate.</summary>
public sealed class LrnMaxoutTests
{
    private static Diagnostic Single(string source, string id, string spanText)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n" + source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path);
        Assert.Equal(spanText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Single(result.Sources);
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    [Fact]
    public void NG0112_MaxoutPiecesThatDoNotDivideTheChannels()
    {
        string message = Single("[Network(InputShape = new[] { 2, 6, 6 })][Conv2D(5, 3), Maxout(2), Flatten, Dense(2)] public partial class Net { }", "NG0112", "2").GetMessage();
        Assert.Contains("receives [5, 4, 4], whose channel count 5 is not a multiple of 2", message);
        Assert.Contains("e.g. [Conv2D(4, …), Maxout(2)]", message);
        Assert.Contains("feature count 7", Single("[Network(InputSize = 3)][Dense(7), Maxout(3), Dense(2)] public partial class Net { }", "NG0112", "3").GetMessage());
    }

    [Theory]
    [InlineData("Maxout(1)", "1", "Pieces")]
    [InlineData("LocalResponseNorm(0)", "0", "Size")]
    [InlineData("LocalResponseNorm(Alpha = -1)", "Alpha = -1", "Alpha")]
    [InlineData("LocalResponseNorm(Beta = double.NaN)", "Beta = double.NaN", "Beta")]
    [InlineData("LocalResponseNorm(K = 0)", "K = 0", "K")]
    public void NG0211_ArgumentsOutOfRange(string layer, string span, string argument) =>
        Assert.Contains(argument + " = ", Single($"[Network(InputShape = new[] {{ 4, 6, 6 }})][Conv2D(4, 3), {layer}, Flatten, Dense(2)] public partial class Net {{ }}", "NG0211", span).GetMessage());

    [Fact]
    public void NG0106_LocalResponseNormOnAVector() =>
        Assert.Contains("Put it after a Conv2D", Single("[Network(InputSize = 4)][Dense(4), LocalResponseNorm, Dense(2)] public partial class Net { }", "NG0106", "LocalResponseNorm").GetMessage());

    [Fact]
    public void TheSummaryNamesThePyTorchEquivalents()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            namespace Demo;
            [Network(InputShape = new[] { 2, 6, 6 })]
            [Conv2D(8, 3, Padding = 1), LocalResponseNorm, LocalResponseNorm(4, Alpha = 0.5, Beta = 0.6, K = 2), Maxout(2), Flatten, Dense(12), Maxout(3), Dense(2)]
            public partial class Net { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("nn.LocalResponseNorm(5)", source);
        Assert.Contains("nn.LocalResponseNorm(4, alpha=0.5, beta=0.6, k=2)", source);
        Assert.Contains("x.view(B, 4, 2, 6, 6).max(dim=2).values", source);
        Assert.Contains("x.view(B, 4, 3).max(dim=2).values", source);
        Assert.Contains("global::NetGen.Kernels.Maxout.Backward<T>(", source);
        Assert.Contains("global::NetGen.Kernels.LocalResponseNorm.Backward<T>(", source);
    }
}
