using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// The settings of AdamW, AMSGrad, RMSProp with momentum / centered and AdaDelta: range errors on the offending argument
/// (NG0214, NG0215), the advice NG0302 and NG0301, the per-optimizer defaults (momentum, learning rate, ε) and which state
/// arrays and kernel the generated update uses.
/// </summary>
public sealed class OptimizerDiagnosticTests
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
        Assert.Single(result.Sources); // errors still emit throwing members; warnings the full network
        Assert.Empty(result.CompilationProblems);
        return diagnostic;
    }

    private static string Generated(string settings)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\n[Network(InputSize = 2, {settings})][Dense(3)] public partial class Net {{ }}");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        return result.Source();
    }

    private static string UpdateCall(string source) =>
        source.Split('\n').Single(line => line.Contains("global::NetGen.Kernels.Optimizers.") && !line.Contains("DecoupledWeightDecay")).Trim();

    [Theory]
    [InlineData("-0.01")]
    [InlineData("double.PositiveInfinity")]
    [InlineData("double.NaN")]
    public void NG0214_DecoupledWeightDecayOutOfRange(string value) =>
        Assert.Contains("AdamW", Single($"[Network(InputSize = 2, Optimizer = Optimizer.AdamW, DecoupledWeightDecay = {value})][Dense(2)] public partial class Net {{ }}",
            "NG0214", DiagnosticSeverity.Error, $"DecoupledWeightDecay = {value}").GetMessage());

    [Theory]
    [InlineData("1.0")]
    [InlineData("-0.1")]
    public void NG0215_RhoOutOfRange(string value) =>
        Assert.Contains("[0, 1)", Single($"[Network(InputSize = 2, Optimizer = Optimizer.AdaDelta, Rho = {value})][Dense(2)] public partial class Net {{ }}",
            "NG0215", DiagnosticSeverity.Error, $"Rho = {value}").GetMessage());

    [Fact]
    public void NG0302_ADecoupledDecayThatZeroesTheWeightsIsAWarning()
    {
        Diagnostic d = Single("[Network(InputSize = 2, Optimizer = Optimizer.AdamW, LearningRate = 2, DecoupledWeightDecay = 0.5)][Dense(2)] public partial class Net { }",
            "NG0302", DiagnosticSeverity.Warning, "DecoupledWeightDecay = 0.5");
        Assert.Contains("1 − lr·λ = 0", d.GetMessage());
    }

    [Theory]
    [InlineData("Optimizer.Adam", "DecoupledWeightDecay = 0.1", "AdamW")]
    [InlineData("Optimizer.Sgd", "Amsgrad = true", "Adam, AdamW")]
    [InlineData("Optimizer.Momentum", "Centered = true", "RmsProp")]
    [InlineData("Optimizer.RmsProp", "Rho = 0.95", "AdaDelta")]
    [InlineData("Optimizer.AdaDelta", "Momentum = 0.5", "Momentum, Nesterov, RmsProp")]
    [InlineData("Optimizer.AdamW", "Alpha = 0.9", "RmsProp")]
    public void NG0301_TheNewSettingsWarnWhereTheOptimizerIgnoresThem(string optimizer, string setting, string readers) =>
        Assert.EndsWith($"({readers}).", Single($"[Network(InputSize = 2, Optimizer = {optimizer}, {setting})][Dense(2)] public partial class Net {{ }}", "NG0301", DiagnosticSeverity.Warning, setting).GetMessage());

    [Fact]
    public void RmsPropHasNoMomentumUnlessItIsWritten_AsPyTorch()
    {
        string plain = Generated("Optimizer = Optimizer.RmsProp");
        Assert.Equal("global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, C(learningRate), C(0.99), C(1E-08));", UpdateCall(plain));
        Assert.Contains("s_optimizerState = new string[] { \"square_avg\" };", plain);
        Assert.DoesNotContain("_momentumBuffer", plain);

        string both = Generated("Optimizer = Optimizer.RmsProp, Momentum = 0.9, Centered = true");
        Assert.Equal("global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, _momentumBuffer, _gradAvg, C(learningRate), C(0.99), C(1E-08), C(0.9));", UpdateCall(both));
        Assert.Contains("s_optimizerState = new string[] { \"square_avg\", \"momentum_buffer\", \"grad_avg\" };", both);

        string centered = Generated("Optimizer = Optimizer.RmsProp, Centered = true");
        Assert.Equal("global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, default, _gradAvg, C(learningRate), C(0.99), C(1E-08), C(0));", UpdateCall(centered));
    }

    [Fact]
    public void TheMomentumOptimizersKeepTheirDefaultMomentum() =>
        Assert.Contains("C(0.9));", UpdateCall(Generated("Optimizer = Optimizer.Nesterov")));

    [Fact]
    public void AdaDeltaDefaultsToPyTorchsLearningRateAndEpsilon()
    {
        string source = Generated("Optimizer = Optimizer.AdaDelta");
        Assert.Equal("global::NetGen.Kernels.Optimizers.AdaDelta<T>(Params, Grads, _squareAvg, _accDelta, C(learningRate), C(0.9), C(1E-06));", UpdateCall(source));
        Assert.Contains("private double _learningRate = 1;", source);
        Assert.Contains("s_optimizerState = new string[] { \"square_avg\", \"acc_delta\" };", source);
        Assert.Contains("private double _learningRate = 0.5;", Generated("Optimizer = Optimizer.AdaDelta, LearningRate = 0.5"));
        Assert.Contains("private double _learningRate = 0.01;", Generated("Optimizer = Optimizer.Adam"));
    }

    [Fact]
    public void AdamWDecaysTheWeightsBeforeTheAdamStepAndNotTheBiases()
    {
        string source = Generated("Optimizer = Optimizer.AdamW, Amsgrad = true");
        string[] decay = source.Split('\n').Where(line => line.Contains("Optimizers.DecoupledWeightDecay<T>(")).Select(line => line.Trim()).ToArray();
        Assert.Equal("global::NetGen.Kernels.Optimizers.DecoupledWeightDecay<T>(P(L0_Weight, 6), learningRate, 0.01); // \"0.weight\"", Assert.Single(decay));
        Assert.Equal("global::NetGen.Kernels.Optimizers.AmsGrad<T>(Params, Grads, _m, _v, _vMax, C(learningRate), C(0.9), C(0.999), C(1E-08), step);", UpdateCall(source));
        Assert.True(source.IndexOf("Optimizers.DecoupledWeightDecay<T>(", StringComparison.Ordinal) < source.IndexOf("Optimizers.AmsGrad<T>(", StringComparison.Ordinal));
        Assert.Contains("s_optimizerState = new string[] { \"exp_avg\", \"exp_avg_sq\", \"max_exp_avg_sq\" };", source);

        Assert.DoesNotContain("DecoupledWeightDecay<T>(", Generated("Optimizer = Optimizer.AdamW, DecoupledWeightDecay = 0"));
        Assert.DoesNotContain("DecoupledWeightDecay<T>(", Generated("Optimizer = Optimizer.Adam"));
    }
}
