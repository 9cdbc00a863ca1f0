using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>LayerNorm's NormalizedDims (the trailing dimensions normalised together): NG0211 below 1, NG0122 above the
/// input's rank, each on the argument and without a cascade into the user's code; the generated call of a valid choice.</summary>
public sealed class LnShapeDiagnosticTests
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
        Assert.Single(result.Sources); // the throwing stub, so calls to the network still compile
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    [Theory]
    [InlineData("new[] { 2, 4, 4 }", "LayerNorm(NormalizedDims = 4)", "NormalizedDims = 4", "receives [2, 4, 4], which has 3 dimensions per sample", "from 1 to 3", "nn.LayerNorm([2, 4, 4])")]
    [InlineData("new[] { 6 }", "LayerNorm(NormalizedDims = 2)", "NormalizedDims = 2", "receives [6], which has 1 dimension per sample", "from 1 to 1", "nn.LayerNorm(6)")]
    public void NG0122_MoreDimensionsThanTheInputHas(string shape, string layer, string span, string what, string range, string module)
    {
        string message = Single($"[Network(InputShape = {shape})][{layer}, Flatten, Dense(2)] public partial class Net {{ }}", "NG0122", span).GetMessage();
        Assert.Contains($"LayerNorm layer 'LayerNorm #0' of network 'Net' has {span} but {what}", message);
        Assert.Contains(range, message);
        Assert.Contains(module, message);
    }

    [Fact]
    public void NG0122_CountsTheDimensionsOfTheTensorTheLayerReceives() =>
        // After Flatten the sample is a vector: NormalizedDims = 2 no longer fits, though the network's input has 3.
        Assert.Contains("receives [32], which has 1 dimension per sample", Single("[Network(InputShape = new[] { 2, 4, 4 })][Flatten, LayerNorm(NormalizedDims = 2), Dense(2)] public partial class Net { }", "NG0122", "NormalizedDims = 2").GetMessage());

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void NG0211_NormalizedDimsBelowOne(string value) =>
        Assert.Contains("has NormalizedDims = " + value + "; it counts the trailing dimensions", Single($"[Network(InputShape = new[] {{ 2, 4, 4 }})][LayerNorm(NormalizedDims = {value}), Flatten, Dense(2)] public partial class Net {{ }}", "NG0211", $"NormalizedDims = {value}").GetMessage());

    [Fact]
    public void TheKernelSeesOneRowPerGroupAndTheCachesHoldOneStatisticPerRow()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n[Network(InputShape = new[] { 3, 5, 4 })][LayerNorm(NormalizedDims = 2), LayerNorm(NormalizedDims = 1), LayerNorm, Flatten, Dense(2)] public partial class Net { }");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Single(result.Sources);
        string code = result.Source();
        // Over [5, 4]: B·3 rows of 20; over [4]: B·15 rows of 4; over the whole [3, 5, 4]: B rows of 60.
        Assert.Contains(", B * 3, 20, C(1E-05));", code);
        Assert.Contains(", B * 15, 4, C(1E-05));", code);
        Assert.Contains(", B, 60, C(1E-05));", code);
        Assert.Contains("nn.LayerNorm([5, 4])", code);
        Assert.Contains("per sample and each of its 15 rows of 4 values (the normalised shape [4])", code);

        // The CUDA core launches the same kernel with the same rows: B·groups rows of the normalised shape.
        Assert.DoesNotContain("No CUDA core", code);
        Assert.Contains(", B * 3, 20, (float)1E-05);", code);
        Assert.Contains(", B * 15, 4, (float)1E-05);", code);
        Assert.Contains(", B, 60, (float)1E-05);", code);
        Assert.Contains("_k.LayerNormBackward(", code);
    }
}
