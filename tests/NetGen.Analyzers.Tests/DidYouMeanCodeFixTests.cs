using Microsoft.CodeAnalysis.Testing;
using NetGen.Analyzers.CodeFixes;

namespace NetGen.Analyzers.Tests;

/// <summary>
/// "Replace with …" on the compiler's CS0246 (an unknown attribute or named argument) and CS0117 (an unknown enum
/// member) in the attributes of a NetGen class (<see cref="DidYouMeanCodeFixProvider"/>).
/// </summary>
public sealed class DidYouMeanCodeFixTests
{
    /// <summary>CS0246 comes twice on an unknown attribute name: for 'Dens' and for 'DensAttribute'.</summary>
    private static DiagnosticResult[] UnknownAttribute(int line, int column, string name) =>
    [
        DiagnosticResult.CompilerError("CS0246").WithSpan(line, column, line, column + name.Length).WithArguments(name),
        DiagnosticResult.CompilerError("CS0246").WithSpan(line, column, line, column + name.Length).WithArguments(name + "Attribute"),
    ];

    [Fact]
    public Task AMisspelledLayerIsReplacedByTheNearestLayer() => ToolingTest.FixCompilerError(
        "[Network(InputSize = 4)][Dens(8), ReLU, Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4)][Dense(8), ReLU, Dense(2)] public partial class Net { }",
        0, UnknownAttribute(3, 26, "Dens"));

    [Fact]
    public Task TheCaseOfALayerIsCorrected() => ToolingTest.FixCompilerError(
        "[Network(InputSize = 4)][Dense(8), Relu, Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4)][Dense(8), ReLU, Dense(2)] public partial class Net { }",
        0, UnknownAttribute(3, 36, "Relu"));

    [Fact]
    public Task AMisspelledNamedArgumentIsReplacedByTheNearestProperty() => ToolingTest.FixCompilerError(
        "[Network(InputSize = 4, {|CS0246:LearningRat|} = 0.1)][Dense(8, {|CS0246:Bais|} = false), ReLU, Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4, LearningRate = 0.1)][Dense(8, Bias = false), ReLU, Dense(2)] public partial class Net { }");

    [Fact]
    public Task AMisspelledEnumMemberIsReplacedByTheNearestMember() => ToolingTest.FixCompilerError(
        "[Network(InputSize = 4, Optimizer = Optimizer.{|CS0117:Adamm|})][Dense(8, Init = Init.{|CS0117:HeNormall|}), ReLU, Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4, Optimizer = Optimizer.Adam)][Dense(8, Init = Init.HeNormal), ReLU, Dense(2)] public partial class Net { }");

    /// <summary>"MaxPool" is two edits from MaxPool2D, within a third of its seven letters; AvgPool2D, four edits away,
    /// is not offered. Case counts for nothing in the distance and breaks ties.</summary>
    [Fact]
    public void NearestOrdersByDistanceAndDropsFarNames()
    {
        Assert.Equal(["MaxPool2D"], NameSuggestions.Nearest("MaxPool", ["AvgPool2D", "MaxPool2D", "Dense"]));
        Assert.Equal(["ReLU", "ELU"], NameSuggestions.Nearest("RELU", ["ELU", "ReLU", "Tanh"]));
        Assert.Empty(NameSuggestions.Nearest("Convolution", ["Conv2D", "Dense"]));
        Assert.Equal(1, NameSuggestions.Distance("Bais", "Bias"));
    }

    [Fact]
    public Task NoFixOnAClassThatIsNotNetGens() => ToolingTest.NoFixForCompilerError(
        "[{|CS0246:{|CS0246:Dens|}|}(8)] public partial class Plain { }");

    [Fact]
    public Task NoFixWhenNothingIsNear() => ToolingTest.NoFixForCompilerError(
        "[Network(InputSize = 4, {|CS0246:Schedule|} = 1)][Dense(2)] public partial class Net { }");
}

/// <summary>NG0330 (<see cref="MisspelledNameAnalyzer"/>): the suggestion in a diagnostic of NetGen's own, which a
/// command-line build shows, and its fix.</summary>
public sealed class MisspelledNameTests
{
    private static Task Run(string before, string after, params DiagnosticResult[] expected)
    {
        var test = new ToolingTest<MisspelledNameAnalyzer, DidYouMeanCodeFixProvider>
        {
            TestCode = AdviceTest.Prelude + before,
            FixedCode = AdviceTest.Prelude + after,
        };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    private static DiagnosticResult At(string id, int column, int length) =>
        (id == "NG0330" ? new DiagnosticResult(AdviceDescriptors.MisspelledName) : DiagnosticResult.CompilerError(id)).WithSpan(3, column, 3, column + length);

    [Fact]
    public Task NG0330_NamesTheNearestLayerAndIsFixed() => Run(
        "[Network(InputSize = 4)][Dens(8), ReLU, Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4)][Dense(8), ReLU, Dense(2)] public partial class Net { }",
        At("NG0330", 26, 4).WithArguments("Dens", "a NetGen layer attribute, [Network] or [Block]", "'Dense'"),
        At("CS0246", 26, 4).WithArguments("Dens"),
        At("CS0246", 26, 4).WithArguments("DensAttribute"));

    [Fact]
    public Task NG0330_NamesTheNearestPropertyAndEnumMember() => Run(
        "[Network(InputSize = 4, LearningRat = 0.1, Optimizer = Optimizer.Adamm)][Dense(2)] public partial class Net { }",
        "[Network(InputSize = 4, LearningRate = 0.1, Optimizer = Optimizer.Adam)][Dense(2)] public partial class Net { }",
        At("CS0246", 25, 11).WithArguments("LearningRat"),
        At("NG0330", 25, 11).WithArguments("LearningRat", "a settable property of NetworkAttribute", "'LearningRate'"),
        At("CS0117", 66, 5).WithArguments("NetGen.Optimizer", "Adamm"),
        At("NG0330", 66, 5).WithArguments("Adamm", "a member of NetGen.Optimizer", "'Adam' or 'AdamW'"));

    /// <summary>Nothing near: no NG0330, only the compiler's error.</summary>
    [Fact]
    public Task NG0330_IsNotReportedWithoutASuggestion()
    {
        const string source = "[Network(InputSize = 4, {|CS0246:Schedule|} = 1)][Dense(2)] public partial class Net { }";
        return Run(source, source);
    }
}
