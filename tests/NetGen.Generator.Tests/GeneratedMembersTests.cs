using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Tests;

/// <summary>
/// NG0010 refuses a [Network] class named like a member the generator writes into it (CS0542 otherwise), using the
/// hand-kept list <c>DeclarationChecks.GeneratedMembers</c> and the naming rules of the generated constants and fields.
/// These tests compile networks of every kind (MLP, CNN with BatchNorm and its folded twin, hierarchical softmax, the
/// dropout variants, DropConnect with moment matching, residual blocks with stochastic depth, fractional pooling, norm
/// constraints, every loss and optimizer, and the throwing stand-in of an invalid network), list what the generated code
/// declares in each class through the semantic model, and require NG0010 to cover every name: a member added to the
/// generator without its name on the list fails here.
/// </summary>
public sealed class GeneratedMembersTests
{
    private static readonly string[] Networks =
    {
        """
        namespace K.Mlp;
        [Network(InputSize = 2, LearningRate = 1.0, WeightDecay = 1e-3, BatchSize = 300)]
        [Dense(100), ReLU, Dense(3)]
        public partial class Net { }
        """,
        """
        namespace K.Activations;
        [Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, Amsgrad = true, LearningRate = 0.01, L1 = 1e-5, MaxNorm = 3, LabelSmoothing = 0.1)]
        [Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU(Alpha = 0.5)]
        [Dense(6, NormBound = 2), Identity, Dropout(0.25), Dense(6), BatchNorm1D, LayerNorm, Maxout(2), Dense(3)]
        public partial class Net { }
        """,
        """
        namespace K.Cnn;
        [Network(InputShape = new[] { 1, 12, 12 }, Optimizer = Optimizer.AdamW, LearningRate = 1e-3)]
        [Conv2D(4, 3, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2), Conv2D(8, 3, Padding = 1, Groups = 4), LocalResponseNorm, ReLU, AvgPool2D(2)]
        [Dropout2D(0.1), Flatten, Dense(16), BatchNorm1D, ReLU, Dense(10)]
        public partial class Net { }
        """,
        """
        namespace K.Words;
        [Network(InputSize = 6, BatchSize = 4, Loss = Loss.HierarchicalSoftmax, Classes = 5, Optimizer = Optimizer.RmsProp, Centered = true, Momentum = 0.5)]
        [Dense(8), ReLU, Dense(3)]
        public partial class Net { }
        """,
        """
        namespace K.Words.Tree;
        [Network(InputSize = 6, Loss = Loss.HierarchicalSoftmax, Classes = 3, ClassTree = new[] { -1, 0, 0, 1, 1 }, Optimizer = Optimizer.AdaGrad)]
        [Dense(3)]
        public partial class Net { }
        """,
        """
        namespace K.Regularised;
        [Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 8, Optimizer = Optimizer.Nesterov, LearningRate = 0.05)]
        [Conv2D(4, 3, Padding = 1, Init = Init.Orthogonal), ReLU, Dropout2D(0.2), Flatten,
         DropConnect(16, 0.5), Standout(Alpha = 1, Beta = 0.5), ReLU,
         Dense(12, Init = Init.Sparse, SparseCount = 5), Tanh, GaussianDropout(0.3), Dense(8), Tanh, VanillaDropout(0.5),
         DropConnect(6, 0.5, Inference = DropConnectInference.MomentMatching, Samples = 10), ReLU, Dense(3)]
        public partial class Net { }
        """,
        """
        namespace K.Residual;
        [Block][Conv2D(4, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(4, 3, Padding = 1, Bias = false), BatchNorm2D] public class Basic { }
        [Block][Conv2D(8, 3, Stride = 2, Padding = 1), ReLU, Conv2D(8, 3, Padding = 1)] public class Down { }
        [Network(InputShape = new[] { 3, 8, 8 }, BatchSize = 4, Optimizer = Optimizer.Momentum, StochasticDepth = 0.3)]
        [Conv2D(4, 3, Padding = 1), ReLU, Residual(typeof(Basic)), ReLU, Residual(typeof(Down), DropProbability = 0.1), ReLU, GlobalAvgPool2D, Dense(10)]
        public partial class Net { }
        """,
        """
        namespace K.Fractional;
        [Network(InputShape = new[] { 1, 12, 12 }, BatchSize = 4, Loss = Loss.MulticlassSquaredHinge, Optimizer = Optimizer.AdaDelta)]
        [Conv2D(4, 3, Padding = 1), ReLU, FractionalMaxPool2D(2, OutputRatio = 0.7), Flatten, Dense(10)]
        public partial class Net { }
        """,
        """
        namespace K.Regression;
        [Network(InputSize = 13, BatchSize = 32, Loss = Loss.MeanSquaredError)] [Dense(32), Tanh, Dense(1)] public partial class Mse { }
        [Network(InputSize = 13, Loss = Loss.Huber, Delta = 0.5)] [Dense(2)] public partial class Huber { }
        [Network(InputSize = 13, Loss = Loss.BinaryHinge, Margin = 2)] [Dense(1)] public partial class Hinge { }
        [Network(InputSize = 13, Loss = Loss.MulticlassHinge)] [Dense(4, Bias = false)] public partial class Svm { }
        """,
        """
        namespace K.Broken;
        [Network(InputSize = 4)]
        [Dense(0), ReLU, Dense(3)]
        public partial class Net { }
        """,
    };

    /// <summary>Every generated class's names that a class of the same name would collide with: its members and nested
    /// types (CS0542) and the type parameters of its generic methods (CS0694).</summary>
    private static SortedSet<string> GeneratedNames(out int networks, out int brokenNetworks)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Networks.Select(s => "using NetGen;\n" + s).ToArray());
        Assert.Empty(result.CompilationProblems);
        brokenNetworks = result.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(Networks.Length + 3, result.Sources.Length); // one file per network (four in the regression source)

        var generatedTrees = result.Output.SyntaxTrees.Where(t => !t.FilePath.StartsWith("Input", StringComparison.Ordinal)).ToHashSet();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var classes = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (SyntaxTree tree in generatedTrees)
        {
            SemanticModel model = result.Output.GetSemanticModel(tree);
            foreach (Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax type in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(type) is INamedTypeSymbol symbol && symbol.GetAttributes().Any(a => a.AttributeClass?.Name == "NetworkAttribute"))
                {
                    classes.Add(symbol);
                }
            }
        }

        foreach (INamedTypeSymbol network in classes)
        {
            foreach (ISymbol member in network.GetMembers())
            {
                if (!member.DeclaringSyntaxReferences.Any(r => generatedTrees.Contains(r.SyntaxTree)))
                {
                    continue; // the user's own
                }

                if (member.CanBeReferencedByName)
                {
                    names.Add(member.Name);
                }

                if (member is IMethodSymbol { IsGenericMethod: true } method)
                {
                    foreach (ITypeParameterSymbol parameter in method.TypeParameters)
                    {
                        names.Add(parameter.Name);
                    }
                }
            }
        }

        networks = classes.Count;
        return names;
    }

    [Fact]
    public void NG0010_CoversEveryNameTheGeneratorDeclaresInANetworkClass()
    {
        SortedSet<string> names = GeneratedNames(out int networks, out int broken);
        Assert.Equal(Networks.Length + 3, networks);
        Assert.True(broken >= 1, "the throwing stand-in of an invalid network is among the networks");
        Assert.True(names.Count > 40, $"only {names.Count} generated names were found: {string.Join(", ", names)}");
        string[] missing = names.Where(n => !NetGenGenerator.DeclarationChecks.IsGeneratedMemberName(n)).ToArray();
        Assert.True(missing.Length == 0, "generated but not on DeclarationChecks.GeneratedMembers: " + string.Join(", ", missing));
    }

    [Fact]
    public void NG0010_RefusesAClassNamedLikeEachGeneratedMember()
    {
        // What the list promises, checked end to end for every name found (ActivationRows was missing): NG0010 and no
        // compiler error (CS0542) instead.
        SortedSet<string> names = GeneratedNames(out _, out _);
        foreach (string name in names)
        {
            GeneratorHarness.Result result = GeneratorHarness.Run($"using NetGen;\nnamespace Demo; [Network(InputSize = 2)][Dense(2)] public partial class {name} {{ }}");
            Assert.True(result.Diagnostics.Length == 1 && result.Diagnostics[0].Id == "NG0010", name + ": " + string.Join(" | ", result.Diagnostics));
            Assert.Empty(result.CompilationProblems);
        }
    }
}
