using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The explicit norm constraint of a Dense layer (NormBound, DualRate): NG0308 and NG0309 with their id, severity and
/// exact span, and that a valid one reaches the generated Penalty, RegularizationBackward and Update.
/// </summary>
public sealed class NormBoundDiagnosticTests
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
        Assert.Empty(result.CompilationProblems); // no cascade
        return diagnostic;
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("double.NaN")]
    [InlineData("double.PositiveInfinity")]
    public void NG0308_NormBoundNotFiniteAndPositive(string value) =>
        Assert.Contains("½·‖W‖²_F ≤ k", Single($"[Network(InputSize = 2)][Dense(3, NormBound = {value})] public partial class Net {{ }}", "NG0308", $"NormBound = {value}").GetMessage());

    [Theory]
    [InlineData("0")]
    [InlineData("-0.5")]
    [InlineData("double.NaN")]
    [InlineData("double.PositiveInfinity")]
    public void NG0309_DualRateNotFiniteAndPositive(string value) =>
        Assert.Contains("ρ > 0", Single($"[Network(InputSize = 2)][Dense(3, NormBound = 1, DualRate = {value})] public partial class Net {{ }}", "NG0309", $"DualRate = {value}").GetMessage());

    [Fact]
    public void AValidBoundReachesTheLossTheGradientAndTheUpdate()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo;\n[Network(InputSize = 2)][Dense(3, NormBound = 2.5, DualRate = 0.25), Dense(2)] public partial class Net { }");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        string code = string.Join("\n", result.Sources.Select(s => s.SourceText.ToString()));
        Assert.Contains("Regularization.ConstraintPenalty<T>(", code);
        Assert.Contains("Regularization.AddConstraintGradient<T>(", code);
        Assert.Contains("Regularization.DualAscent<T>(", code);
        Assert.Contains(", 2.5, 0.25);", code);
        Assert.Contains("\"0.constraint_alpha\"", code);
        Assert.DoesNotContain("\"1.constraint_alpha\"", code);
    }
}
