using Microsoft.CodeAnalysis.Testing;
using NetGen.Analyzers.CodeFixes;

namespace NetGen.Analyzers.Tests;

/// <summary>
/// The fixes of the generator's declaration and range errors (<see cref="DeclarationCodeFixProvider"/>): the generator
/// runs on the source, its diagnostics are re-reported on the document (<see cref="GeneratorFixableDiagnostics"/>), and
/// the framework applies the fix and checks that the fixed source reports none of them again.
/// </summary>
public sealed class DeclarationCodeFixTests
{
    [Fact]
    public Task NG0001_AddsPartialAfterTheOtherModifiers() => ToolingTest.FixGenerated(
        """
        [Network(InputSize = 4)]
        [Dense(8), ReLU, Dense(2)]
        public sealed class {|NG0001:Net|} { }
        """,
        """
        [Network(InputSize = 4)]
        [Dense(8), ReLU, Dense(2)]
        public sealed partial class Net { }
        """);

    [Fact]
    public Task NG0001_AddsPartialToAClassWithoutModifiers() => ToolingTest.FixGenerated(
        """
        [Network(InputSize = 4)]
        [Dense(8), ReLU, Dense(2)]
        class {|NG0001:Net|} { }
        """,
        """
        [Network(InputSize = 4)]
        [Dense(8), ReLU, Dense(2)]
        partial class Net { }
        """);

    [Fact]
    public Task NG0008_AddsNetworkAndPartial() => ToolingTest.FixGenerated(
        """
        /// <summary>A classifier.</summary>
        [{|NG0008:Dense(8)|}, ReLU, Dense(2)]
        public class Net { }
        """,
        """
        /// <summary>A classifier.</summary>
        [Network]
        [Dense(8), ReLU, Dense(2)]
        public partial class Net { }
        """);

    [Fact]
    public Task NG0008_SecondActionAddsBlock() => ToolingTest.FixGenerated(
        """
        [{|NG0008:Conv2D(4, 3, Padding = 1)|}, ReLU]
        public class Body { }
        """,
        """
        [Block]
        [Conv2D(4, 3, Padding = 1), ReLU]
        public class Body { }
        """,
        action: 1);

    [Fact]
    public Task NegativeValuesMoveToZero() => ToolingTest.FixGenerated(
        """
        [Network(InputSize = 4, {|NG0204:WeightDecay = -1e-4|}, {|NG0205:Momentum = -0.9|}, {|NG0220:LabelSmoothing = -0.1|})]
        [Dense(8, {|NG0221:L1 = -0.5|}, {|NG0222:MaxNorm = -3|}), ReLU, Dropout({|NG0202:-0.2|}), Dense(2)]
        public partial class Net { }
        """,
        """
        [Network(InputSize = 4, WeightDecay = 0, Momentum = 0, LabelSmoothing = 0)]
        [Dense(8, L1 = 0, MaxNorm = 0), ReLU, Dropout(0), Dense(2)]
        public partial class Net { }
        """);

    [Fact]
    public Task CountsBelowOneMoveToOne() => ToolingTest.FixGenerated(
        """
        [Network(InputSize = 4, {|NG0208:BatchSize = 0|})]
        [Dense({|NG0201:-3|}), ReLU, Dense(2)]
        public partial class Net { }
        """,
        """
        [Network(InputSize = 4, BatchSize = 1)]
        [Dense(1), ReLU, Dense(2)]
        public partial class Net { }
        """);

    /// <summary>p = 1 is past the open end of [0, 1): there is no nearest valid value, so no fix is offered and the
    /// error stays.</summary>
    [Fact]
    public Task AValuePastAnOpenEndHasNoFix()
    {
        const string source = """
            [Network(InputSize = 4)]
            [Dense(8), ReLU, Dropout({|NG0202:1.0|}), Dense(2)]
            public partial class Net { }
            """;
        return ToolingTest.FixGenerated(source, source);
    }

    [Fact]
    public void EveryFixedRangeIdIsAGeneratorError()
    {
        var errors = HelpLinkTests.AllDescriptors().Where(d => d.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).Select(d => d.Id).ToHashSet();
        Assert.All(new DeclarationCodeFixProvider().FixableDiagnosticIds, id => Assert.Contains(id, errors));
    }
}
