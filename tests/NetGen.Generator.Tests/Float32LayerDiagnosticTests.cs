using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// Layer arguments that are valid as doubles but that training's float32 arithmetic rounds to 1 or 0 (NG0315, NG0316),
/// one case per class of argument: drop probabilities that become 1, epsilons and other positive coefficients that
/// become 0, strengths that become 0; and DualRate without NormBound (NG0317). Each diagnostic is the only one, on its
/// own argument, and the compilation has nothing else to say.
/// </summary>
public sealed class Float32LayerDiagnosticTests
{
    private static Diagnostic Single(string layers, string id, DiagnosticSeverity severity, string spanText, string inputShape = "InputSize = 4", string block = "")
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo; {block} [Network({inputShape})]{layers} public partial class Net {{ }}");
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        FileLinePositionSpan position = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = result.Output.SyntaxTrees.Single(t => t.FilePath == position.Path);
        Assert.Equal(spanText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Single(result.Sources); // the throwing stand-in, or the network
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    private const string Image = "InputShape = new[] { 2, 4, 4 }";

    [Theory]
    [InlineData("[Dense(4), Dropout(0.99999999999), Dense(2)]", "0.99999999999", "4")]
    [InlineData("[Dense(4), VanillaDropout(0.99999999999), Dense(2)]", "0.99999999999", "4")]
    [InlineData("[Dense(4), GaussianDropout(0.999999999999), Dense(2)]", "0.999999999999", "4")]
    [InlineData("[DropConnect(4, 0.99999999999), Dense(2)]", "0.99999999999", "4")]
    [InlineData("[Conv2D(2, 3, Padding = 1), Dropout2D(0.99999999999), Flatten, Dense(2)]", "0.99999999999", Image)]
    public void NG0315_DropProbabilityRoundsTo1(string layers, string argument, string input)
    {
        Diagnostic d = Single(layers, "NG0315", DiagnosticSeverity.Error, argument, input == "4" ? "InputSize = 4" : input);
        Assert.Contains("rounds to 1", d.GetMessage());
        Assert.Contains("0.9999999", d.GetMessage());
    }

    [Fact]
    public void NG0315_ResidualDropProbabilityRoundsTo1() =>
        Assert.Contains("rounds to 1", Single("[Dense(4), Residual(typeof(Blk), DropProbability = 0.99999999999), Dense(2)]", "NG0315", DiagnosticSeverity.Error, "DropProbability = 0.99999999999", block: "[Block][Dense(4)] public partial class Blk { }").GetMessage());

    [Theory]
    [InlineData("[Dense(4), BatchNorm1D(Epsilon = 1e-50), Dense(2)]", "Epsilon = 1e-50")]
    [InlineData("[Dense(4), LayerNorm(Epsilon = 1e-60), Dense(2)]", "Epsilon = 1e-60")]
    [InlineData("[Conv2D(2, 3, Padding = 1), BatchNorm2D(Epsilon = 1e-50), Flatten, Dense(2)]", "Epsilon = 1e-50")]
    [InlineData("[Conv2D(2, 3, Padding = 1), LocalResponseNorm(K = 1e-50), Flatten, Dense(2)]", "K = 1e-50")]
    [InlineData("[Dense(4), ELU(Alpha = 1e-50), Dense(2)]", "Alpha = 1e-50")]
    [InlineData("[Dense(4, NormBound = 1e-50), Dense(2)]", "NormBound = 1e-50")]
    [InlineData("[Dense(4, NormBound = 1, DualRate = 1e-50), Dense(2)]", "DualRate = 1e-50")]
    [InlineData("[Dense(4, Init = Init.Sparse, SparseStd = 1e-50), Dense(2)]", "SparseStd = 1e-50")]
    [InlineData("[Conv2D(2, 3, Padding = 1, Init = Init.Orthogonal, InitGain = 1e-50), Flatten, Dense(2)]", "InitGain = 1e-50")]
    public void NG0315_PositiveCoefficientRoundsTo0(string layers, string argument)
    {
        string input = layers.StartsWith("[Conv2D", StringComparison.Ordinal) ? Image : "InputSize = 4";
        Assert.Contains("rounds to 0", Single(layers, "NG0315", DiagnosticSeverity.Error, argument, input).GetMessage());
    }

    [Theory]
    [InlineData("[Dense(4), Dropout(1e-50), Dense(2)]", "1e-50")]
    [InlineData("[Dense(4), BatchNorm1D(Momentum = 1e-50), Dense(2)]", "Momentum = 1e-50")]
    [InlineData("[Dense(4), LeakyReLU(Slope = 1e-50), Dense(2)]", "Slope = 1e-50")]
    [InlineData("[Conv2D(2, 3, Padding = 1), LocalResponseNorm(Alpha = 1e-50), Flatten, Dense(2)]", "Alpha = 1e-50")]
    [InlineData("[Conv2D(2, 3, Padding = 1), LocalResponseNorm(Beta = 1e-50), Flatten, Dense(2)]", "Beta = 1e-50")]
    [InlineData("[Dense(4, WeightDecay = 1e-50), Dense(2)]", "WeightDecay = 1e-50")]
    [InlineData("[Conv2D(2, 3, Padding = 1, L1 = 1e-50), Flatten, Dense(2)]", "L1 = 1e-50")]
    [InlineData("[Dense(4, MaxNorm = 1e-50), Dense(2)]", "MaxNorm = 1e-50")]
    public void NG0316_StrengthOrProbabilityRoundsTo0(string layers, string argument)
    {
        string input = layers.StartsWith("[Conv2D", StringComparison.Ordinal) ? Image : "InputSize = 4";
        Assert.Contains("rounds to 0", Single(layers, "NG0316", DiagnosticSeverity.Warning, argument, input).GetMessage());
    }

    [Theory]
    [InlineData("[Dense(4), Dropout(0.9999999), Dense(2)]")] // the largest float32 below 1 is 0.99999994
    [InlineData("[Dense(4), BatchNorm1D(Momentum = 1, Epsilon = 1e-38), Dense(2)]")] // Momentum 1 is valid
    [InlineData("[Dense(4, BiasInit = 1e-50, Init = Init.Constant, InitValue = 1e-50), Dense(2)]")] // may be 0: NG0306 only
    [InlineData("[Dense(4), PReLU(Init = 1e-50), Dense(2)]")]
    [InlineData("[Dense(4, SparseStd = 1e-50), Dense(2)]")] // not read: NG0307 only
    public void ValuesFloat32KeepsOrThatMayBe0_AreNotReportedAsRounding(string layers)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo; [Network(InputSize = 4)]{layers} public partial class Net {{ }}");
        Assert.DoesNotContain(result.Diagnostics, d => d.Id is "NG0315" or "NG0316");
        Assert.DoesNotContain(result.CompilationProblems, d => d.Severity == DiagnosticSeverity.Error);
    }

    // The [Network] settings HardeningDiagnosticTests does not already try, one each, with the optimizer or loss that reads them.
    [Theory]
    [InlineData("Optimizer = Optimizer.Adam, Beta1 = 0.99999999999", "Beta1 = 0.99999999999", "NG0315")]
    [InlineData("Optimizer = Optimizer.RmsProp, Alpha = 0.99999999999", "Alpha = 0.99999999999", "NG0315")]
    [InlineData("Optimizer = Optimizer.AdaDelta, Rho = 0.99999999999", "Rho = 0.99999999999", "NG0315")]
    [InlineData("LabelSmoothing = 0.99999999999", "LabelSmoothing = 0.99999999999", "NG0315")]
    [InlineData("Loss = Loss.MulticlassHinge, Margin = 1e-50", "Margin = 1e-50", "NG0315")]
    [InlineData("Loss = Loss.Huber, Delta = 1e-50", "Delta = 1e-50", "NG0315")]
    [InlineData("Optimizer = Optimizer.Adam, Beta1 = 1e-50", "Beta1 = 1e-50", "NG0316")]
    [InlineData("Optimizer = Optimizer.AdamW, DecoupledWeightDecay = 1e-50", "DecoupledWeightDecay = 1e-50", "NG0316")]
    [InlineData("L1 = 1e-50", "L1 = 1e-50", "NG0316")]
    [InlineData("MaxNorm = 1e-50", "MaxNorm = 1e-50", "NG0316")]
    public void NetworkSettingRoundsTo1Or0(string settings, string argument, string id) =>
        Single("[Dense(4), Dense(2)]", id, id == "NG0315" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, argument, "InputSize = 4, " + settings);

    [Fact]
    public void NG0315_NetworkStochasticDepthRoundsTo1() =>
        Assert.Contains("rounds to 1", Single("[Dense(4), Residual(typeof(Blk)), Dense(2)]", "NG0315", DiagnosticSeverity.Error, "StochasticDepth = 0.99999999999", "InputSize = 4, StochasticDepth = 0.99999999999", block: "[Block][Dense(4)] public partial class Blk { }").GetMessage());

    [Fact]
    public void EveryRuleNamesAnArgumentOfItsLayers()
    {
        // A renamed argument would leave its rule silently dead: each (kind, argument) must be a double property of the
        // kind's attribute in the runtime.
        foreach ((string[] kinds, string argument, _, _) in NetGenGenerator.DeclarationChecks.LayerRules)
        {
            foreach (string kind in kinds)
            {
                Type? attribute = typeof(NetGen.NetworkAttribute).Assembly.GetType("NetGen." + kind + "Attribute");
                Assert.True(attribute is not null, kind);
                Assert.True(attribute!.GetProperty(argument)?.PropertyType == typeof(double), kind + "." + argument);
            }
        }
    }

    [Fact]
    public void NG0317_DualRateWithoutNormBoundIsIgnored()
    {
        Diagnostic d = Single("[Dense(4, DualRate = 0.5), Dense(2)]", "NG0317", DiagnosticSeverity.Warning, "DualRate = 0.5");
        Assert.Contains("no NormBound", d.GetMessage());
    }

    [Fact]
    public void NG0317_NotReportedWithNormBound()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using NetGen;\nnamespace Demo; [Network(InputSize = 4)][Dense(4, NormBound = 2, DualRate = 0.5), Dense(2)] public partial class Net { }");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
    }
}
