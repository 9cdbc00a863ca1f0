using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using NetGen.Analyzers;

namespace NetGen.Analyzers.Tests;

/// <summary>
/// The advice diagnostics NG0320–NG0325: each fires on the marked span (<c>{|NGxxxx:…|}</c>) and nowhere else, with its
/// severity; the cases next to them show where it must not fire; and .editorconfig silences or raises each the
/// standard way. The framework fails a test on any diagnostic the source does not mark.
/// </summary>
public sealed class AdviceDiagnosticTests
{
    private static DiagnosticResult At(DiagnosticDescriptor descriptor, params object[] arguments) =>
        new DiagnosticResult(descriptor).WithLocation(0).WithArguments(arguments);

    // NG0320 ----------------------------------------------------------------------------------------------------------

    [Fact]
    public Task NG0320_SigmoidInAHiddenLayer() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4)][Dense(8), {|#0:Sigmoid|}, Dense(2)] public partial class Net { }",
        null,
        At(AdviceDescriptors.SaturatingHiddenActivation, "Sigmoid", "Sigmoid #1", "network 'Net'",
            ", and its outputs are all positive (not zero-centred), so the next layer's weight gradients all share one sign"));

    [Fact]
    public Task NG0320_TanhInABlockAndNamedTanhInANetwork() => AdviceTest.Diagnostics("""
        [Block][Conv2D(2, 3, Padding = 1), {|NG0320:Tanh|}, Conv2D(2, 3, Padding = 1)] public class B { }
        [Network(InputShape = new[] { 2, 4, 4 })][Residual(typeof(B)), {|NG0320:Tanh(Name = "t")|}, Flatten, Dense(2)] public partial class Net { }
        """);

    [Fact]
    public Task NG0320_NotOnTheOutputLayer() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4, Loss = Loss.MeanSquaredError)][Dense(8), ReLU, Dense(1), Sigmoid] public partial class Net { }");

    // NG0321 ----------------------------------------------------------------------------------------------------------

    [Fact]
    public Task NG0321_GlorotBeforeReLU() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4)][Dense(8, {|#0:Init = Init.GlorotUniform|}), ReLU, Dense(2)] public partial class Net { }",
        null,
        At(AdviceDescriptors.GlorotBeforeReLU, "Dense", "Dense #0", "network 'Net'", "GlorotUniform", "ReLU", "2/(n_in + n_out)"));

    [Fact]
    public Task NG0321_LeCunBeforeLeakyReLUAndGlorotNormalBeforeELUOnAConvolution() => AdviceTest.Diagnostics("""
        [Network(InputShape = new[] { 1, 4, 4 })]
        [Conv2D(2, 3, Padding = 1, {|NG0321:Init = Init.GlorotNormal|}), ELU, Flatten, Dense(8, {|NG0321:Init = Init.LeCunNormal|}), LeakyReLU, Dense(2)]
        public partial class Net { }
        """);

    [Fact]
    public Task NG0321_NotForHeNorPyTorchDefaultNorBeforeTanhNorThroughABatchNorm() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4)][Dense(8, Init = Init.HeNormal), ReLU, Dense(8, Init = Init.PyTorchDefault), ReLU, Dense(8, Init = Init.GlorotUniform), Tanh, Dense(8, Init = Init.GlorotUniform, Bias = false), BatchNorm1D, ReLU, Dense(2)] public partial class Net { }",
        "dotnet_diagnostic.NG0320.severity = none");

    // NG0322 ----------------------------------------------------------------------------------------------------------

    [Fact]
    public Task NG0322_BiasBeforeBatchNorm() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4)][{|#0:Dense(8)|}, BatchNorm1D(Name = \"bn\"), ReLU, Dense(2)] public partial class Net { }",
        null,
        At(AdviceDescriptors.BiasBeforeBatchNorm, "Dense", "Dense #0", "network 'Net'", "BatchNorm1D", "bn"));

    [Fact]
    public Task NG0322_IsReportedOnAWrittenBiasAndNotWithoutOne() => AdviceTest.Diagnostics("""
        [Network(InputShape = new[] { 1, 4, 4 })]
        [Conv2D(2, 3, Padding = 1, {|NG0322:Bias = true|}), BatchNorm2D, ReLU, Conv2D(2, 3, Padding = 1, Bias = false), BatchNorm2D, Flatten, Dense(2)]
        public partial class Net { }
        """);

    // NG0323 ----------------------------------------------------------------------------------------------------------

    [Fact]
    public Task NG0323_DropoutAfterTheLastLayer() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4)][Dense(8), ReLU, Dropout(0.5), Dense(2), {|#0:Dropout(0.25)|}] public partial class Net { }",
        null,
        At(AdviceDescriptors.DropoutAfterLastLayer, "Dropout #4", "network 'Net'", 0.25));

    [Fact]
    public Task NG0323_NotAtTheEndOfABlock() => AdviceTest.Diagnostics("""
        [Block][Dense(4), ReLU, Dropout(0.5)] public class B { }
        [Network(InputSize = 4)][Residual(typeof(B)), Dense(2)] public partial class Net { }
        """);

    // NG0324 ----------------------------------------------------------------------------------------------------------

    [Fact]
    public Task NG0324_AdamAboveItsRange() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4, Optimizer = Optimizer.Adam, {|#0:LearningRate = 0.5|})][Dense(2)] public partial class Net { }",
        null,
        At(AdviceDescriptors.LearningRateOutOfRange, "0.5", "network 'Net'", "above", "Adam", "0.0001", "0.01", "Kingma & Ba 2015: default 0.001",
            "steps this large make the loss oscillate or diverge, and can leave many ReLU units dead for good (the CS231n notes: up to 40 %)"));

    [Theory]
    [InlineData("LearningRate = 1e-6", true)] // SGD, the default optimizer: usual 1e-4 to 1, reported below 1e-5
    [InlineData("LearningRate = 9e-6", true)]
    [InlineData("LearningRate = 1.1e-5", false)]
    [InlineData("LearningRate = 11", true)]
    [InlineData("LearningRate = 9", false)]
    [InlineData("Optimizer = Optimizer.Adam, LearningRate = 0.001", false)]
    [InlineData("Optimizer = Optimizer.Adam, LearningRate = 0.02", false)] // above 1e-2, but not far above
    [InlineData("Optimizer = Optimizer.Adam, LearningRate = 5e-6", true)]
    [InlineData("Optimizer = Optimizer.AdaDelta, LearningRate = 1", false)]
    [InlineData("Optimizer = Optimizer.AdaDelta, LearningRate = 0.001", true)]
    [InlineData("Optimizer = Optimizer.RmsProp, LearningRate = 2", true)]
    [InlineData("Optimizer = Optimizer.AdaGrad, LearningRate = 0.5", false)]
    [InlineData("LearningRate = 0", false)] // NG0203's, an error of the generator
    public Task NG0324_PerOptimizer(string arguments, bool fires)
    {
        string marked = fires
            ? arguments.Replace("LearningRate", "{|NG0324:LearningRate", StringComparison.Ordinal) + "|}"
            : arguments;
        return AdviceTest.Diagnostics($"[Network(InputSize = 4, {marked})][Dense(2)] public partial class Net {{ }}");
    }

    // NG0325 ----------------------------------------------------------------------------------------------------------

    [Fact]
    public Task NG0325_NetworkL2WithATightNetworkMaxNormIsReportedOnce() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4, WeightDecay = 1e-3, {|#0:MaxNorm = 1|})][Dense(8), ReLU, Dense(2)] public partial class Net { }",
        null,
        At(AdviceDescriptors.L2WithTightMaxNorm, "network 'Net'", "0.001", "1"));

    [Fact]
    public Task NG0325_PerLayerOverridesAndTheUsualRange() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4, WeightDecay = 1e-3, MaxNorm = 3)][Dense(8, {|NG0325:MaxNorm = 0.5|}), ReLU, Dense(8, WeightDecay = 0, MaxNorm = 0.5), ReLU, Dense(2, MaxNorm = 4)] public partial class Net { }");

    // .editorconfig ---------------------------------------------------------------------------------------------------

    /// <summary>One declaration with all six advice diagnostics, marked.</summary>
    private const string EveryAdvice =
        "[Network(InputSize = 4, Optimizer = Optimizer.Adam, {|NG0324:LearningRate = 0.5|}, WeightDecay = 1e-3, {|NG0325:MaxNorm = 1|})]" +
        "[Dense(8, {|NG0321:Init = Init.GlorotUniform|}), ReLU, {|NG0322:Dense(8)|}, BatchNorm1D, {|NG0320:Sigmoid|}, Dense(2), {|NG0323:Dropout(0.5)|}] public partial class Net { }";

    [Fact]
    public Task WithoutEditorConfigEveryAdviceIsReported() => AdviceTest.Diagnostics(EveryAdvice);

    [Fact]
    public Task EditorConfigSilencesEachAdvice() => AdviceTest.Diagnostics(
        Regex.Replace(EveryAdvice, @"\{\|NG03\d\d:|\|\}", string.Empty),
        string.Join("\n", new[] { "NG0320", "NG0321", "NG0322", "NG0323", "NG0324", "NG0325" }.Select(id => $"dotnet_diagnostic.{id}.severity = none")));

    [Fact]
    public Task EditorConfigRaisesAnAdviceToAnError() => AdviceTest.Diagnostics(
        "[Network(InputSize = 4)][Dense(8), {|#0:Tanh|}, Dense(2)] public partial class Net { }",
        "dotnet_diagnostic.NG0320.severity = error",
        new DiagnosticResult(AdviceDescriptors.SaturatingHiddenActivation.Id, DiagnosticSeverity.Error).WithLocation(0));
}
