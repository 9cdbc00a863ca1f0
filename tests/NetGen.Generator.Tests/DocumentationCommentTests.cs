using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetGen.Generator.Tests;

/// <summary>
/// The generated XML documentation is valid C# documentation: a user project with <c>GenerateDocumentationFile</c> (and
/// warnings as errors) must not get CS0419 (ambiguous cref, e.g. <c>TrainStep</c> with label and soft-target overloads),
/// CS1574 (unresolved cref) or the other documentation warnings from NetGen's code.
/// </summary>
public class DocumentationCommentTests
{
    private const string Networks = """
        using NetGen;

        namespace Demo.Docs;

        [Network(InputSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01, LabelSmoothing = 0.1)]
        [Dense(8), ReLU, Dropout(0.5), Dense(3)]
        public partial class SoftmaxNet { }

        [Network(InputSize = 3, Loss = Loss.MeanSquaredError)]
        [Dense(5), Tanh, Dense(2)]
        public partial class RegressionNet { }

        [Network(InputShape = new[] { 1, 8, 8 }, Loss = Loss.MulticlassHinge, Optimizer = Optimizer.Momentum)]
        [Conv2D(4, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2), Flatten, Dense(3)]
        public partial class ConvNet { }

        [Network(InputSize = 4)]
        [Dense(0)]
        public partial class BrokenNet { }
        """;

    [Fact]
    public void GeneratedDocumentationCommentsCompileWithoutDocumentationWarnings()
    {
        CSharpParseOptions diagnose = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithDocumentationMode(DocumentationMode.Diagnose);
        CSharpCompilation input = GeneratorHarness.Compilation(Networks);
        input = input.ReplaceSyntaxTree(input.SyntaxTrees[0], CSharpSyntaxTree.ParseText(Networks, diagnose, path: "Input0.cs"));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new NetGenGenerator().AsSourceGenerator() }, parseOptions: diagnose);
        driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> _);

        Assert.Equal(4, output.SyntaxTrees.Count(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)));
        Diagnostic[] documentation = output.GetDiagnostics()
            .Where(d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)
            .Where(d => d.Id is "CS0419" or "CS1574" or "CS1580" or "CS1581" or "CS1584" or "CS1570" or "CS1571" or "CS1572" or "CS1573" or "CS1587" or "CS1589" or "CS1658" or "CS1734" or "CS1735")
            .ToArray();
        Assert.True(documentation.Length == 0, string.Join(Environment.NewLine, documentation.Select(d => d.ToString())));
    }
}
