using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Tests;

/// <summary>
/// Loss.HierarchicalSoftmax in the generator: the generated source of a small network (snapshot), its diagnostics
/// (NG0226, NG0227, NG0301 for Classes on another loss) with id, severity and exact span, and the loss-owned state in the plan.
/// </summary>
public sealed class HierarchicalSoftmaxGeneratorTests
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
        Assert.Single(result.Sources);
        Assert.Empty(result.CompilationProblems); // no cascade: the class still compiles, its members throw
        return diagnostic;
    }

    [Fact]
    public void CanGenerateHierarchicalSoftmaxOverABalancedTree()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;

            namespace Demo.Words;

            [Network(InputSize = 6, BatchSize = 4, Loss = Loss.HierarchicalSoftmax, Classes = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-4)]
            [Dense(8), ReLU, Dense(3, Name = "features")]
            public partial class TinyHsm { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Single(result.Sources);
        Snapshot.Verify(result.Source(), result.HintName());
    }

    [Fact]
    public void ADeclaredTreeIsEmittedAsAParentArray()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using NetGen;
            [Network(InputSize = 2, Loss = Loss.HierarchicalSoftmax, Classes = 3, ClassTree = new[] { -1, 0, 1, 1, 0 })]
            [Dense(4)]
            public partial class Net { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.CompilationProblems);
        Assert.Contains("HierarchicalSoftmaxTree.FromParents(new int[] { -1, 0, 1, 1, 0 })", result.Source());
        Assert.Contains("public const int OutputSize = 3;", result.Source());
        Assert.Contains("public const int Features = 4;", result.Source());
        Assert.Contains("new global::NetGen.ParameterInfo(\"hsm.weight\", \"hsm\", new int[] { 2, 4 }", result.Source());
    }

    [Theory]
    [InlineData("[Network(InputSize = 2, Loss = Loss.HierarchicalSoftmax)]", "Loss = Loss.HierarchicalSoftmax", "not written")]
    [InlineData("[Network(InputSize = 2, Loss = Loss.HierarchicalSoftmax, Classes = 1)]", "Classes = 1", "Classes 1")]
    [InlineData("[Network(InputSize = 2, Loss = Loss.HierarchicalSoftmax, Classes = -4)]", "Classes = -4", "Classes -4")]
    public void NG0226_HierarchicalSoftmaxNeedsTwoClasses(string network, string span, string text) =>
        Assert.Contains(text, Single(network + "[Dense(3)] public partial class Net { }", "NG0226", DiagnosticSeverity.Error, span).GetMessage());

    [Theory]
    [InlineData("new[] { -1, 0, 0, 0 }", "has 4 entries")]
    [InlineData("new[] { 0, 0, 1, 1, 0 }", "the root")]
    [InlineData("new[] { -1, 0, 0, 0, 0 }", "more than two children")]
    [InlineData("new[] { -1, 0, 7, 1, 0 }", "entry 2 is 7")]
    [InlineData("new[] { -1, 1, 0, 0, 1 }", "class 2 (entry 4) is not reachable")]
    public void NG0227_ClassTreeIsNotABinaryTreeOverTheClasses(string tree, string reason)
    {
        string message = Single($"[Network(InputSize = 2, Loss = Loss.HierarchicalSoftmax, Classes = 3, ClassTree = {tree})][Dense(3)] public partial class Net {{ }}", "NG0227", DiagnosticSeverity.Error, $"ClassTree = {tree}").GetMessage();
        Assert.Contains(reason, message);
        Assert.Contains("3 classes", message);
    }

    [Fact]
    public void NG0301_ClassesOnAnotherLossIsIgnored()
    {
        string message = Single("[Network(InputSize = 2, Classes = 10)][Dense(3)] public partial class Net { }", "NG0301", DiagnosticSeverity.Warning, "Classes = 10").GetMessage();
        Assert.Contains("HierarchicalSoftmax", message);
    }
}

/// <summary>The Planner alone: the hierarchical softmax's parameters come after the layers', with keys "hsm.*", no node, zero
/// initialisation and the network's L2 on the node vectors only; too many classes for one array is NG0104.</summary>
public sealed class HierarchicalSoftmaxPlannerTests
{
    private static (Plan Plan, EquatableArray<DiagnosticInfo> Diagnostics) Create(int classes, double weightDecay, params LayerSpec[] layers) =>
        NetworkPlanner.CreatePlan(
            new NetworkSpec("Demo", "Net", new[] { 6 }.ToEquatableArray(), 16,
                new TrainingSpec(LossKind.HierarchicalSoftmax, OptimizerKind.Sgd, 0.1, 0.9, 0.9, 0.999, 1e-8, weightDecay, Classes: classes),
                layers.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty),
            EquatableArray<DiagnosticInfo>.Empty);

    [Fact]
    public void TheNodeParametersFollowTheLayersAndStartAtZero()
    {
        (Plan plan, EquatableArray<DiagnosticInfo> diagnostics) = Create(1000, 1e-3, PlannerTests.Dense(8), PlannerTests.Dense(5));
        Assert.Empty(diagnostics);
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "hsm.weight", "hsm.bias" }, plan.State.Select(s => s.Key));
        StatePlan v = plan.State[4], b = plan.State[5];
        Assert.Equal(new[] { 999, 5 }, v.Shape.ToArray());
        Assert.Equal(new[] { 999 }, b.Shape.ToArray());
        Assert.Equal((-1, -1), (v.Node, b.Node));
        Assert.Equal(plan.State[3].Offset + plan.State[3].Length, v.Offset);
        Assert.Equal(v.Offset + v.Length, b.Offset);
        Assert.Equal((8 * 6) + 8 + (5 * 8) + 5 + (999 * 5) + 999, plan.ParameterCount);
        Assert.Equal((InitDistribution.Constant, 0.0), (v.Init.Distribution, v.Init.Scale));
        Assert.Equal((1e-3, 0.0), (v.L2, b.L2));
        Assert.Equal(5, plan.OutputSize); // the Plan's output is the features; OutputSize of the class is Classes
    }

    [Fact]
    public void ANodeMatrixBeyondOneArrayIsNG0104()
    {
        (_, EquatableArray<DiagnosticInfo> diagnostics) = Create(3_000_000, 0, PlannerTests.Dense(1000));
        Assert.Contains(diagnostics, d => d.Descriptor.Id == "NG0104" && d.Message.Contains("hsm.weight"));
    }
}
