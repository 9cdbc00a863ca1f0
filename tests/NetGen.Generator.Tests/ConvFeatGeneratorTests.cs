using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// Per-axis dilation, rectangular pooling and the receptive field in the generator: a snapshot, the kernel each layer
/// takes (the general convolution for any dilation, the fast paths untouched otherwise), and the diagnostics of the
/// new arguments (id, severity, the exact source text under it, no cascade).
/// </summary>
public sealed class ConvFeatGeneratorTests
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
        Assert.Single(result.Sources); // throwing members (or, for a warning, the network), so user code still compiles
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    private static string Net(string layers, string input = "4, 8, 8") =>
        $"[Network(InputShape = new[] {{ {input} }})][{layers}, Flatten, Dense(2)] public partial class Net {{ }}";

    [Fact]
    public void CanGeneratePerAxisDilationAndRectangularPooling()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Atrous;

            // Dilation 2 along the height only, a 3×1 max pooling with stride 2×1, a plain 3×3 that keeps the fast
            // path, and a 2×3 average pooling with per-axis padding.
            [Network(InputShape = new[] { 3, 16, 12 }, BatchSize = 8)]
            [Conv2D(8, 3, Padding = 1, DilationHeight = 2, PaddingHeight = 2, Name = "tall"), ReLU]
            [MaxPool2D(3, 1, StrideHeight = 2, PaddingHeight = 1)]
            [Conv2D(8, 3, Padding = 1, Name = "plain"), ReLU]
            [AvgPool2D(2, 3, StrideWidth = 3, PaddingWidth = 0)]
            [Flatten, Dense(10)]
            public partial class AtrousNet { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string source = result.Source();
        Assert.Contains("new global::NetGen.Kernels.Conv2DGeneralGeometry(3, 16, 12, 8, 3, 3, 1, 1, 2, 1, 2, 1, 1)", source);
        Assert.Contains("since dilation 2×1 rules out Conv2D's fast path", source);
        Assert.Contains("x[B,3,16,12][c, i − 2 + 2u, j − 1 + v]", source);
        Assert.Contains("new global::NetGen.Kernels.Conv2DGeometry(8, 8, 12, 8, 3, 3, 1, 1, 1, 1)", source); // "plain" keeps the fast path
        Assert.Contains("new global::NetGen.Kernels.Pool2DGeometry(8, 16, 12, 3, 1, 2, 1, 1, 0)", source);
        Assert.Contains("new global::NetGen.Kernels.Pool2DGeometry(8, 8, 12, 2, 3, 2, 3, 0, 0)", source);
        Assert.Contains("nn.Conv2d(3, 8, 3, padding=(2, 1), dilation=(2, 1))", source);
        Assert.Contains("nn.MaxPool2d((3, 1), stride=(2, 1), padding=(1, 0))", source);
        Assert.Contains("nn.AvgPool2d((2, 3))", source);
        Assert.Contains("max_{u < 3, v < 1} x[c, 2i − 1 + u, j + v]", source);
        Assert.Contains("(1/6)·Σ_{u < 2, v < 3} x[c, 2i + u, 3j + v]", source);
        // Receptive field (jump), r + (k − 1)·d·j and j·s per axis: 1 + 2·2 = 5 by 3 after the dilated 3×3; 5 + 2 = 7 by
        // 3, jump 2×1, after the 3×1 pooling; 7 + 2·2 = 11 by 3 + 2 = 5 after the plain 3×3; 11 + 2 = 13 by 5 + 2 = 7,
        // jump 4×3, after the 2×3 pooling.
        Assert.Contains("5×3 (1×1)", source);
        Assert.Contains("7×3 (2×1)", source);
        Assert.Contains("11×5 (2×1)", source);
        Assert.Contains("13×7 (4×3)", source);
        Snapshot.Verify(source, result.HintName());
    }

    [Fact]
    public void ARectangularWindowWithEqualSidesGeneratesTheSquareCode()
    {
        // MaxPool2D(2, 2) is MaxPool2D(2); Conv2D with DilationHeight = DilationWidth = 1 is an ordinary convolution.
        string Generate(string layers) => GeneratorHarness.Run($"using NetGen;\nnamespace Demo;\n[Network(InputShape = new[] {{ 2, 8, 8 }})][{layers}, Flatten, Dense(3)] public partial class Net {{ }}").Source();
        Assert.Equal(Generate("Conv2D(4, 3, Padding = 1), MaxPool2D(2), AvgPool2D(2, Stride = 1)"),
                     Generate("Conv2D(4, 3, Padding = 1, DilationHeight = 1, DilationWidth = 1), MaxPool2D(2, 2), AvgPool2D(2, 2, StrideHeight = 1, StrideWidth = 1)"));
    }

    [Theory]
    [InlineData("Conv2D(4, 3, DilationHeight = 0)", "DilationHeight = 0", "DilationHeight")]
    [InlineData("Conv2D(4, 3, DilationWidth = -1)", "DilationWidth = -1", "DilationWidth")]
    [InlineData("MaxPool2D(0, 2)", "0", "KernelHeight")]
    [InlineData("AvgPool2D(2, -1)", "-1", "KernelWidth")]
    [InlineData("MaxPool2D(2, 3, StrideWidth = 0)", "StrideWidth = 0", "StrideWidth")]
    [InlineData("AvgPool2D(2, StrideHeight = -2)", "StrideHeight = -2", "StrideHeight")]
    [InlineData("MaxPool2D(3, 2, PaddingHeight = -1)", "PaddingHeight = -1", "PaddingHeight")]
    [InlineData("AvgPool2D(2, 3, PaddingWidth = 2)", "PaddingWidth = 2", "PaddingWidth")]
    [InlineData("MaxPool2D(3, 2, PaddingHeight = 2)", "PaddingHeight = 2", "PaddingHeight")]
    public void NG0211_PerAxisArgumentsOutOfRange(string layer, string span, string argument) =>
        Assert.Contains(argument + " = ", Single(Net(layer), "NG0211", DiagnosticSeverity.Error, span).GetMessage());

    [Fact]
    public void NG0211_SquarePaddingAboveHalfTheNarrowSideOfARectangularWindow()
    {
        // Padding = 1 fits the height 3 (≤ 1) but not the width 1 (≤ 0): PyTorch rejects it too.
        string message = Single(Net("MaxPool2D(3, 1, Padding = 1)"), "NG0211", DiagnosticSeverity.Error, "Padding = 1").GetMessage();
        Assert.Contains("at most half the window width 1 (0)", message);
    }

    [Fact]
    public void NG0105_DilationOnOneAxisWidensTheWindow()
    {
        // 3 taps 4 apart span 9 > 8 along the width only.
        string message = Single(Net("Conv2D(4, 3, DilationWidth = 4)"), "NG0105", DiagnosticSeverity.Error, "DilationWidth = 4").GetMessage();
        Assert.Contains("output width = (8 − 9 + 0)/1 + 1", message);
        Assert.Contains("dilated window 9 = 4·(3 − 1) + 1", message);
    }

    [Fact]
    public void NG0105_RectangularPoolingThatDoesNotTile()
    {
        // A 2×3 window at its default stride 2×3 on 8 columns: (8 − 3)/3 + 1 = 2.67.
        string message = Single(Net("MaxPool2D(2, 3)"), "NG0105", DiagnosticSeverity.Error, "3").GetMessage();
        Assert.Contains("output width = (8 − 3 + 0)/3 + 1 = 2.67", message);
    }

    [Fact]
    public void NG0240_SamePaddingWithAnEvenWindowOnOneAxis()
    {
        // A 2×2 kernel with DilationHeight 2 spans 3×2: the width cannot be padded equally.
        string message = Single(Net("Conv2D(4, 2, Padding = Conv2DAttribute.Same, DilationHeight = 2)"), "NG0240", DiagnosticSeverity.Error, "Padding = Conv2DAttribute.Same").GetMessage();
        Assert.Contains("the dilated window is 3×2 (D·(k − 1) + 1 with D = 2×1)", message);
    }

    [Theory]
    [InlineData("Conv2D(4, 3, Dilation = 2, DilationHeight = 1, DilationWidth = 1)", "Dilation = 2")]
    [InlineData("Conv2D(4, 3, Stride = 2, StrideHeight = 1, StrideWidth = 1)", "Stride = 2")]
    [InlineData("Conv2D(4, 3, Padding = Conv2DAttribute.Same, PaddingHeight = 1, PaddingWidth = 1)", "Padding = Conv2DAttribute.Same")]
    [InlineData("MaxPool2D(2, Stride = 1, StrideHeight = 2, StrideWidth = 2)", "Stride = 1")]
    [InlineData("AvgPool2D(3, Padding = 1, PaddingHeight = 0, PaddingWidth = 0, Stride = 1)", "Padding = 1")]
    public void NG0121_SquareArgumentOverriddenOnBothAxes(string layer, string span)
    {
        string message = Single(Net(layer), "NG0121", DiagnosticSeverity.Warning, span).GetMessage();
        Assert.Contains("so it has no effect", message);
    }
}
