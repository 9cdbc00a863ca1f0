using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// One test per class of declaration that made the generator throw, emit code that does not compile, or accept an
/// invalid value in silence (found by fuzzing declarations; GeneratorFuzzTests keeps looking): each now gets correct
/// output or a specific diagnostic, and the compilation has nothing else to say.
/// </summary>
public sealed class HardeningDiagnosticTests
{
    private static GeneratorHarness.Result Run(string source) => GeneratorHarness.Run("using NetGen;\n" + source);

    /// <summary>Exactly one diagnostic, with this id, severity and source text under it; no other problem in the compilation.</summary>
    private static Diagnostic Single(string source, string id, DiagnosticSeverity severity, string spanText, bool expectSource)
    {
        GeneratorHarness.Result result = Run(source);
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

    /// <summary>No diagnostic, one generated file, and a compilation without warnings.</summary>
    private static GeneratorHarness.Result Clean(params string[] sources)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(sources.Select(s => "using NetGen;\n" + s).ToArray());
        Assert.Empty(result.Diagnostics);
        Assert.NotEmpty(result.Sources);
        Assert.Empty(result.CompilationProblems);
        return result;
    }

    // ── Hint names: the generator threw (CS8785) ─────────────────────────────────────────────────────────────────────

    [Fact]
    public void HintName_TwoNetworksWhoseNamesDifferOnlyInCaseGetTwoFiles()
    {
        GeneratorHarness.Result result = Clean(
            "namespace Demo { [Network(InputSize = 2)][Dense(2)] public partial class Net { } [Network(InputSize = 2)][Dense(2)] public partial class NET { } }",
            "namespace DEMO { [Network(InputSize = 2)][Dense(2)] public partial class Net { } }");
        Assert.Equal(3, result.Sources.Length);
        Assert.Equal(3, result.Sources.Select(s => s.HintName.ToUpperInvariant()).Distinct().Count());
        Assert.All(result.Sources, s => Assert.Matches(@"^[A-Za-z0-9_.]+-[0-9a-f]{8}\.NetGen\.g\.cs$", s.HintName));
    }

    [Fact]
    public void HintName_ANameWithCharactersBeyondAsciiIsWrittenWithUnderscoresAndAHash()
    {
        GeneratorHarness.Result result = Clean("namespace Démo { [Network(InputSize = 2)][Dense(2)] public partial class Nété { } }");
        Assert.Matches(@"^D_mo\.N_t_-[0-9a-f]{8}\.NetGen\.g\.cs$", result.HintName());
    }

    [Fact]
    public void HintName_APlainNameKeepsTheReadableForm() =>
        Assert.Equal("Demo.Net.NetGen.g.cs", Clean("namespace Demo { [Network(InputSize = 2)][Dense(2)] public partial class Net { } }").HintName());

    // ── Declarations whose generated code did not compile ───────────────────────────────────────────────────────────

    [Theory]
    [InlineData("Predict")]
    [InlineData("Summary")]
    [InlineData("Step")]
    [InlineData("Core")]
    [InlineData("TrainStep")]
    [InlineData("L0_Weight")]
    [InlineData("s_parameters")]
    public void NG0010_ClassNamedLikeAGeneratedMember(string name) =>
        Assert.Contains("'" + name + "Network'", Single($"namespace Demo; [Network(InputSize = 2)][Dense(2)] public partial class {name} {{ }}", "NG0010", DiagnosticSeverity.Error, name, expectSource: false).GetMessage());

    [Theory]
    [InlineData("var")]
    [InlineData("unmanaged")]
    [InlineData("dynamic")]
    public void NG0010_ClassNamedLikeAContextualKeyword(string name)
    {
        // The compiler warns about the lower-case name itself (CS8981); nothing else is reported.
        GeneratorHarness.Result result = Run($"namespace Demo; [Network(InputSize = 2)][Dense(2)] public partial class {name} {{ }}");
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("NG0010", d.Id);
        Assert.Contains("contextual keyword", d.GetMessage());
        Assert.Empty(result.Sources);
        Assert.All(result.CompilationProblems, p => Assert.Equal("CS8981", p.Id));
    }

    [Fact]
    public void NG0010_GlobalClassNamedLikeARuntimeNamespace()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("[NetGen.Network(InputSize = 2)][NetGen.Dense(2)] public partial class System { }");
        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("NG0010", d.Id);
        Assert.Contains("global::System", d.GetMessage());
        Assert.Empty(result.Sources);
        Assert.DoesNotContain(result.CompilationProblems, p => p.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void EscapedKeywordClassNameKeepsItsAt()
    {
        GeneratorHarness.Result result = Clean("namespace Demo.@namespace { [Network(InputSize = 2)][Dense(2)] public partial class @class { } }");
        Assert.Contains("partial class @class :", result.Source());
        Assert.Contains("public @class(ulong seed)", result.Source());
        Assert.Contains("namespace Demo.@namespace", result.Source());
    }

    [Fact]
    public void EscapedKeywordClassNameKeepsItsAtInTheThrowingMembers()
    {
        GeneratorHarness.Result result = Run("namespace Demo; [Network(InputSize = 2)] public partial class @class { }");
        Assert.Equal("NG0101", Assert.Single(result.Diagnostics).Id);
        Assert.Contains("public @class(ulong seed) => throw", result.Source());
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void NG0011_PrimaryConstructor() =>
        Single("namespace Demo; [Network(InputSize = 2)][Dense(2)] public partial class Net(int x) { public int X => x; }", "NG0011", DiagnosticSeverity.Error, "(int x)", expectSource: false);

    [Fact]
    public void NG0012_StaticClass() =>
        Single("namespace Demo; [Network(InputSize = 2)][Dense(2)] public static partial class Net { }", "NG0012", DiagnosticSeverity.Error, "Net", expectSource: false);

    [Theory]
    [InlineData("BiasInit = double.NaN")]
    [InlineData("BiasInit = double.PositiveInfinity")]
    [InlineData("BiasInit = double.NegativeInfinity")]
    public void NG0211_NonFiniteBiasInit(string argument) =>
        Assert.Contains("BiasInit", Single($"namespace Demo; [Network(InputSize = 2)][Dense(2, {argument})] public partial class Net {{ }}", "NG0211", DiagnosticSeverity.Error, argument, expectSource: true).GetMessage());

    [Theory]
    [InlineData("a\\nb", "U+000A")]
    [InlineData("a\\u2028b", "U+2028")]
    [InlineData("a\\u2029b", "U+2029")]
    [InlineData("a\\u0085b", "U+0085")]
    [InlineData("a\\\\b", "U+005C")]
    [InlineData("a\\\"b", "U+0022")]
    [InlineData("a<b", "U+003C")]
    public void NG0015_LayerNameWithALineBreakQuoteOrBackslash(string written, string code)
    {
        string argument = $"Name = \"{written}\"";
        Assert.Contains(code, Single($"namespace Demo; [Network(InputSize = 2)][Dense(2, {argument})] public partial class Net {{ }}", "NG0015", DiagnosticSeverity.Error, argument, expectSource: true).GetMessage());
    }

    [Theory]
    [InlineData("System")]
    [InlineData("Stream")]
    [InlineData("ParameterInfo")]
    [InlineData("NetGen")]
    [InlineData("Math")]
    [InlineData("Guard")]
    [InlineData("Kernels")]
    [InlineData("T")]
    [InlineData("L1Sgd")]
    public void ClassNamedLikeARuntimeTypeCompiles(string name) =>
        Clean($"namespace Demo; [Network(InputShape = new[] {{ 1, 6, 6 }})][Conv2D(2, 3)][BatchNorm2D][ReLU][MaxPool2D(2)][Flatten][Dense(2)] public partial class {name} {{ }}");

    [Fact]
    public void NamespaceNamedLikeARuntimeNamespaceCompiles() =>
        Clean("namespace Demo.System.NetGen.IO { [Network(InputSize = 2)][Dense(2)] public partial class Net { } }");

    // ── Invalid declarations that were accepted in silence ──────────────────────────────────────────────────────────

    [Fact]
    public void NG0008_LayerAttributesOnAClassWithoutNetworkStillReported() =>
        Single("namespace Demo; [Dense(2)] public partial class Net { }", "NG0008", DiagnosticSeverity.Error, "Dense(2)", expectSource: false);

    [Fact]
    public void NG0013_RecordClass() =>
        Assert.Contains("record class", Single("namespace Demo; [Network(InputSize = 2)][Dense(2)] public partial record class Net { }", "NG0013", DiagnosticSeverity.Error, "Net", expectSource: false).GetMessage());

    [Fact]
    public void NG0013_RecordBlock()
    {
        GeneratorHarness.Result result = Run("namespace Demo; [Block][Dense(2)] public partial record class B { } [Network(InputSize = 2)][Dense(2)] public partial class Net { }");
        Assert.Equal("NG0013", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void StructAndInterfaceAreRefusedByTheCompiler()
    {
        foreach (string kind in new[] { "struct", "interface" })
        {
            GeneratorHarness.Result result = Run($"namespace Demo; [Network(InputSize = 2)][Dense(2)] public partial {kind} Net {{ }}");
            Assert.Contains(result.CompilationProblems, p => p.Id == "CS0592" && p.Severity == DiagnosticSeverity.Error);
            Assert.Empty(result.Sources);
        }
    }

    [Fact]
    public void NG0014_OwnSubclassOfLayerAttribute() =>
        Assert.Contains("[MyLayer]", Single("namespace Demo; public sealed class MyLayerAttribute : LayerAttribute { } [Network(InputSize = 2)][Dense(2)][MyLayer] public partial class Net { }", "NG0014", DiagnosticSeverity.Error, "MyLayer", expectSource: true).GetMessage());

    [Theory]
    [InlineData("WeightDecay = double.PositiveInfinity", "NG0204")]
    [InlineData("LearningRate = double.PositiveInfinity", "NG0203")]
    [InlineData("Optimizer = Optimizer.Momentum, Momentum = 1", "NG0205")]
    [InlineData("Optimizer = Optimizer.Adam, Beta1 = 1", "NG0206")]
    public void NonFiniteOrOutOfRangeNetworkValuesAreReported(string arguments, string id)
    {
        string last = arguments.Split(", ").Last();
        Single($"namespace Demo; [Network(InputSize = 2, {arguments})][Dense(2)] public partial class Net {{ }}", id, DiagnosticSeverity.Error, last, expectSource: true);
    }

    [Theory]
    [InlineData("LeakyReLU(Slope = double.PositiveInfinity)", "Slope = double.PositiveInfinity")]
    [InlineData("ELU(Alpha = double.PositiveInfinity)", "Alpha = double.PositiveInfinity")]
    public void NonFiniteActivationParametersAreReported(string layer, string argument) =>
        Single($"namespace Demo; [Network(InputSize = 2)][Dense(2)][{layer}] public partial class Net {{ }}", "NG0209", DiagnosticSeverity.Error, argument, expectSource: true);

    [Theory]
    [InlineData("Optimizer = Optimizer.Adam, Beta2 = 0.99999999999", "Beta2 = 0.99999999999", "1")]
    [InlineData("LearningRate = 1e-50", "LearningRate = 1e-50", "0")]
    [InlineData("LearningRate = 1e300", "LearningRate = 1e300", "∞")]
    [InlineData("Optimizer = Optimizer.Adam, Epsilon = 1e-50", "Epsilon = 1e-50", "0")]
    [InlineData("Optimizer = Optimizer.Momentum, Momentum = 0.999999999", "Momentum = 0.999999999", "1")]
    public void NG0315_ValueRoundsTo0Or1OrInfinityInFloat32(string arguments, string argument, string becomes) =>
        Assert.Contains("rounds to " + becomes, Single($"namespace Demo; [Network(InputSize = 2, {arguments})][Dense(2)] public partial class Net {{ }}", "NG0315", DiagnosticSeverity.Error, argument, expectSource: true).GetMessage());

    [Theory]
    [InlineData("Dense(2, BiasInit = 1e300)", "BiasInit = 1e300")]
    [InlineData("LeakyReLU(Slope = 1e300)", "Slope = 1e300")]
    public void NG0315_LayerValueBeyondFloat32Range(string layer, string argument) =>
        Single($"namespace Demo; [Network(InputSize = 2)][Dense(2)][{layer}] public partial class Net {{ }}", "NG0315", DiagnosticSeverity.Error, argument, expectSource: true);

    [Fact]
    public void NG0316_StrengthIsZeroInFloat32() =>
        Single("namespace Demo; [Network(InputSize = 2, WeightDecay = 1e-50)][Dense(2)] public partial class Net { }", "NG0316", DiagnosticSeverity.Warning, "WeightDecay = 1e-50", expectSource: true);
}
