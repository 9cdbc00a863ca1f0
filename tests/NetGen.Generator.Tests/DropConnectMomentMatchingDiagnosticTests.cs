using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>The diagnostics of DropConnect's moment-matching inference: NG0230 when the layer is not followed by [ReLU],
/// NG0231 for fewer than one sample; id, severity, exact span, no cascade (as <see cref="DiagnosticTests"/>).</summary>
public sealed class DropConnectMomentMatchingDiagnosticTests
{
    private const string MomentMatching = "Inference = DropConnectInference.MomentMatching";

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
    [InlineData("Tanh, Dense(2)", "[Tanh]")]
    [InlineData("Dense(2)", "[Dense]")]
    [InlineData("Sigmoid, Dense(2)", "[Sigmoid]")]
    public void NG0230_MomentMatchingWithoutAFollowingReLU(string rest, string named) =>
        Assert.Contains("followed by " + named, Single($"[Network(InputSize = 3)][DropConnect(4, 0.5, {MomentMatching}), {rest}] public partial class Net {{ }}", "NG0230", MomentMatching).GetMessage());

    [Fact]
    public void NG0230_MomentMatchingAsTheLastLayer() =>
        Assert.Contains("followed by nothing", Single($"[Network(InputSize = 3)][Dense(4), ReLU, DropConnect(2, 0.5, {MomentMatching})] public partial class Net {{ }}", "NG0230", MomentMatching).GetMessage());

    [Theory]
    [InlineData("Samples = 0")]
    [InlineData("Samples = -5")]
    public void NG0231_FewerThanOneSample(string samples) =>
        Single($"[Network(InputSize = 3)][DropConnect(4, 0.5, {MomentMatching}, {samples}), ReLU, Dense(2)] public partial class Net {{ }}", "NG0231", samples);

    [Theory]
    [InlineData("[Network(InputSize = 3)][DropConnect(4, 0.5, Inference = DropConnectInference.MomentMatching), ReLU, Dense(2)]")]
    [InlineData("[Network(InputSize = 3)][DropConnect(4, 0.5, Inference = DropConnectInference.MomentMatching, Samples = 1), ReLU, Dense(2)]")]
    [InlineData("[Network(InputSize = 3)][DropConnect(4, 0.5, Samples = 0), Tanh, Dense(2)]")] // Samples is read only by moment matching
    [InlineData("[Network(InputSize = 3)][DropConnect(4, 0.5, Inference = DropConnectInference.Mean), Tanh, Dense(2)]")]
    public void ValidDeclarationsAreClean(string attributes)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo;\n{attributes} public partial class Net {{ }}");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
    }
}
