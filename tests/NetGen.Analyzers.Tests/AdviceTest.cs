using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using NetGen.Analyzers;
using NetGen.Analyzers.CodeFixes;

namespace NetGen.Analyzers.Tests;

/// <summary>
/// The analyzer and code fix test of Microsoft.CodeAnalysis.Testing, set up for NetGen: the compilation references
/// the running .NET's assemblies and NetGen.Runtime (no reference-assembly download), and the source starts with
/// <c>using NetGen;</c>.
/// </summary>
internal sealed class AdviceTest<TAnalyzer> : CSharpCodeFixTest<TAnalyzer, AdviceCodeFixProvider, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        List<string> paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(NetworkAttribute).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public AdviceTest()
    {
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(References.Value);
        FixedState.AdditionalReferences.AddRange(References.Value);
    }
}

/// <summary>The two kinds of test: diagnostics only, and a fix from before to after.</summary>
internal static class AdviceTest
{
    public const string Prelude = "using NetGen;\nnamespace Demo;\n";

    /// <summary>The diagnostics <paramref name="source"/> marks with <c>{|NGxxxx:…|}</c> plus <paramref name="expected"/>,
    /// and none other; <paramref name="editorConfig"/> lines go under <c>[*]</c> of an .editorconfig.</summary>
    public static Task Diagnostics(string source, string? editorConfig = null, params DiagnosticResult[] expected)
    {
        var test = new AdviceTest<AdviceAnalyzer> { TestCode = Prelude + source };
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*]\n" + editorConfig));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary><paramref name="before"/> with its marked diagnostics, fixed into <paramref name="after"/>.</summary>
    public static Task Fix(string before, string after) =>
        new AdviceTest<AdviceAnalyzer> { TestCode = Prelude + before, FixedCode = Prelude + after }.RunAsync();

    /// <summary>The same for the generator's diagnostics, which <see cref="GeneratorDiagnostics"/> reports.</summary>
    /// The suppression check (the source wrapped in <c>#pragma warning disable</c>) is skipped: the adapter reports
    /// the generator's diagnostics as they are, and their pragma filtering is the compiler's business, not the fix's.
    public static Task FixGenerated(string before, string after) =>
        new AdviceTest<GeneratorDiagnostics>
        {
            TestCode = Prelude + before,
            FixedCode = Prelude + after,
            TestBehaviors = TestBehaviors.SkipSuppressionCheck,
        }.RunAsync();
}

/// <summary>
/// Re-reports the NG0306 diagnostics of the NetGen generator run on the compilation, with the same message and span.
/// The generator locates its diagnostics by file path (<c>LocationInfo</c>, docs/adr/0006), which a host maps to the
/// document; the testing library (1.1.4) does not, so it never asks a fix provider about them. This adapter puts each
/// on the syntax tree of that path, so that the fix provider sees the generator's diagnostic as an IDE would
/// (docs/adr/0026).
/// </summary>
// A test double, loaded only by the test framework, never by a compiler: the rules for shipped analyzers (no
// Workspaces, netstandard2.0, extended rules, release tracking) do not apply to it.
#pragma warning disable RS1038, RS1041, RS1036, RS2008
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class GeneratorDiagnostics : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor ConstantInit = new(
        AdviceCodeFixProvider.ConstantInitId, "Constant weight initialisation does not break symmetry", "{0}", AdviceDescriptors.Category,
        DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(ConstantInit);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSemanticModelAction(c =>
        {
            // Per document, so that the diagnostics are local to it, as a fix provider requires.
            SyntaxTree tree = c.SemanticModel.SyntaxTree;
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new NetGen.Generator.NetGenGenerator()).RunGenerators(c.SemanticModel.Compilation, c.CancellationToken);
            foreach (Diagnostic diagnostic in driver.GetRunResult().Diagnostics.Where(d => d.Id == ConstantInit.Id && d.Location.GetLineSpan().Path == tree.FilePath))
            {
                c.ReportDiagnostic(Diagnostic.Create(ConstantInit, Location.Create(tree, diagnostic.Location.SourceSpan), diagnostic.GetMessage()));
            }
        });
    }
}
#pragma warning restore RS1038, RS1041, RS1036, RS2008
