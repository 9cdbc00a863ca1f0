using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetGen.Generator.Tests;

/// <summary>
/// The generator is incremental in fact: a rerun on an identical compilation is fully cached, an unrelated edit does
/// not regenerate, a changed attribute does, and no pipeline output holds a symbol, syntax node or compilation.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Network = """
        using NetGen;
        namespace Demo;
        [Network(InputSize = 4, LearningRate = 0.1)]
        [Dense(8), ReLU, Dense(3)]
        public partial class Net { }
        """;

    private const string Other = """
        namespace Demo;
        public static class Helper { public static int Value => 1; }
        """;

    private const string ResidualNetwork = """
        using NetGen;
        namespace Demo;
        [Network(InputShape = new[] { 2, 6, 6 }, LearningRate = 0.1)]
        [Conv2D(4, 3, Padding = 1), ReLU, Residual(typeof(Block)), Flatten, Dense(3)]
        public partial class ResNet { }
        """;

    // The block lives in a file of its own: an edit there changes no syntax tree of the network.
    private const string BlockFile = """
        using NetGen;
        namespace Demo;
        [Block]
        [Conv2D(4, 3, Padding = 1), ReLU, Conv2D(4, 3, Padding = 1)]
        public class Block { }
        """;

    private static readonly string[] TrackedSteps = { TrackingNames.Parse, TrackingNames.Blocks, TrackingNames.Plan, TrackingNames.Source, TrackingNames.Diagnostics };

    [Fact]
    public void SecondRunOnClonedCompilationIsFullyCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Network, Other, ResidualNetwork, BlockFile);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();

        driver = driver.RunGenerators(compilation.Clone());
        GeneratorRunResult second = driver.GetRunResult().Results.Single();

        foreach (string step in TrackedSteps)
        {
            Assert.True(second.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            foreach (IncrementalGeneratorRunStep run in second.TrackedSteps[step])
            {
                Assert.All(run.Outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
            }
        }

        foreach (string step in TrackedSteps)
        {
            foreach (IncrementalGeneratorRunStep run in first.TrackedSteps[step])
            {
                foreach ((object value, _) in run.Outputs)
                {
                    AssertNoRoslynObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                }
            }
        }
    }

    [Fact]
    public void UnrelatedCodeChange_DoesNotRegenerate()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Network, Other);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);

        SyntaxTree otherTree = compilation.SyntaxTrees.Last();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(otherTree, CSharpSyntaxTree.ParseText(Other.Replace("=> 1", "=> 2"), (CSharpParseOptions)otherTree.Options, otherTree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Source].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void MovingTheDeclaration_DoesNotRegenerateSource()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Network);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText("// a comment that moves every location\n\n" + Network, (CSharpParseOptions)tree.Options, tree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Source].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void AttributeChange_Regenerates()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Network);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        string before = driver.GetRunResult().GeneratedTrees.Single().ToString();

        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Network.Replace("Dense(8)", "Dense(9)"), (CSharpParseOptions)tree.Options, tree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TrackingNames.Source].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        string after = result.GeneratedSources.Single().SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("Dense 4 → 9", after);
    }

    [Fact]
    public void EditingABlockInAnotherFile_RegeneratesTheNetworksThatUseIt()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(ResidualNetwork, BlockFile, Network);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        Assert.Empty(first.Diagnostics);
        string before = first.GeneratedSources.Single(s => s.HintName.Contains("ResNet")).SourceText.ToString();
        Assert.Contains("nn.Conv2d(4, 4, 3, padding=1)", before);

        SyntaxTree blockTree = compilation.SyntaxTrees.ElementAt(1);
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(blockTree, CSharpSyntaxTree.ParseText(BlockFile.Replace("[Conv2D(4, 3, Padding = 1), ReLU, Conv2D(4, 3, Padding = 1)]", "[Conv2D(6, 3, Padding = 1), Tanh, Conv2D(4, 3, Padding = 1)]"), (CSharpParseOptions)blockTree.Options, blockTree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        string after = result.GeneratedSources.Single(s => s.HintName.Contains("ResNet")).SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("nn.Conv2d(4, 6, 3, padding=1)", after);
        Assert.Contains("2.branch.1", after);
        Assert.Contains("Tanh", after);
        // The network that uses no block is planned again (blocks are one collection) but gives the same plan: its source
        // is not emitted again.
        Assert.Contains(result.TrackedSteps[TrackingNames.Source].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.TrackedSteps[TrackingNames.Source].SelectMany(s => s.Outputs), o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void AnUnrelatedEditNextToABlock_DoesNotRegenerate()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(ResidualNetwork, BlockFile, Other);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        SyntaxTree otherTree = compilation.SyntaxTrees.Last();
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(otherTree, CSharpSyntaxTree.ParseText(Other.Replace("=> 1", "=> 2"), (CSharpParseOptions)otherTree.Options, otherTree.FilePath)));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Source].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    private static void AssertNoRoslynObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        Assert.False(value is ISymbol, $"{step} output holds an ISymbol ({value.GetType()})");
        Assert.False(value is SyntaxNode, $"{step} output holds a SyntaxNode ({value.GetType()})");
        Assert.False(value is Compilation, $"{step} output holds a Compilation ({value.GetType()})");
        Assert.False(value is SemanticModel, $"{step} output holds a SemanticModel");
        Assert.False(value is Location, $"{step} output holds a Location");
        if (value is DiagnosticDescriptor)
        {
            return; // a static descriptor: immutable and shared, fine to carry
        }

        if (value is IEnumerable sequence)
        {
            foreach (object? item in sequence)
            {
                AssertNoRoslynObjects(item, step, seen);
            }

            return;
        }

        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoRoslynObjects(field.GetValue(value), step, seen);
        }
    }
}
