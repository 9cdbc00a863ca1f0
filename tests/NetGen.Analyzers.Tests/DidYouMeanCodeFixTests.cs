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
        Assert.Equal(["MaxPool2D"], DidYouMeanCodeFixProvider.Nearest("MaxPool", ["AvgPool2D", "MaxPool2D", "Dense"]));
        Assert.Equal(["ReLU", "ELU"], DidYouMeanCodeFixProvider.Nearest("RELU", ["ELU", "ReLU", "Tanh"]));
        Assert.Empty(DidYouMeanCodeFixProvider.Nearest("Convolution", ["Conv2D", "Dense"]));
        Assert.Equal(1, DidYouMeanCodeFixProvider.Distance("Bais", "Bias"));
    }

    [Fact]
    public Task NoFixOnAClassThatIsNotNetGens() => ToolingTest.NoFixForCompilerError(
        "[{|CS0246:{|CS0246:Dens|}|}(8)] public partial class Plain { }");

    [Fact]
    public Task NoFixWhenNothingIsNear() => ToolingTest.NoFixForCompilerError(
        "[Network(InputSize = 4, {|CS0246:Schedule|} = 1)][Dense(2)] public partial class Net { }");
}
