using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using NetGen.Analyzers.CodeFixes;

namespace NetGen.Analyzers.Tests;

/// <summary>A code fix test with any analyzer and fix provider, set up as <see cref="AdviceTest{TAnalyzer}"/>.</summary>
internal sealed class ToolingTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public ToolingTest()
    {
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        ImmutableArray<MetadataReference> references = ToolingTest.References.Value;
        TestState.AdditionalReferences.AddRange(references);
        FixedState.AdditionalReferences.AddRange(references);
    }
}

internal static class ToolingTest
{
    public static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        List<string> paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(NetworkAttribute).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    /// <summary>A generator diagnostic marked in <paramref name="before"/>, fixed into <paramref name="after"/> by
    /// <see cref="DeclarationCodeFixProvider"/>'s code action number <paramref name="action"/>.</summary>
    public static Task FixGenerated(string before, string after, int action = 0) =>
        new ToolingTest<GeneratorFixableDiagnostics, DeclarationCodeFixProvider>
        {
            TestCode = AdviceTest.Prelude + before,
            FixedCode = AdviceTest.Prelude + after,
            CodeActionIndex = action,
            TestBehaviors = TestBehaviors.SkipSuppressionCheck,
        }.RunAsync();

    /// <summary>A compiler error marked in <paramref name="before"/>, fixed into <paramref name="after"/> by
    /// <see cref="DidYouMeanCodeFixProvider"/>'s code action number <paramref name="action"/>.</summary>
    public static Task FixCompilerError(string before, string after, int action = 0, params DiagnosticResult[] expected)
    {
        var test = new ToolingTest<EmptyDiagnosticAnalyzer, DidYouMeanCodeFixProvider>
        {
            TestCode = AdviceTest.Prelude + before,
            FixedCode = AdviceTest.Prelude + after,
            CodeActionIndex = action,
        };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>No fix: the marked compiler errors stay.</summary>
    public static Task NoFixForCompilerError(string source) =>
        new ToolingTest<EmptyDiagnosticAnalyzer, DidYouMeanCodeFixProvider>
        {
            TestCode = AdviceTest.Prelude + source,
            FixedCode = AdviceTest.Prelude + source,
        }.RunAsync();
}

/// <summary>
/// Re-reports the NetGen generator's diagnostics that <see cref="DeclarationCodeFixProvider"/> fixes, with their
/// descriptor's id, title and severity, message and span, on the document's syntax tree: the testing library does not
/// hand a fix provider a diagnostic located by file path only (docs/adr/0026, docs/adr/0033).
/// </summary>
// A test double, loaded only by the test framework: the rules for shipped analyzers do not apply to it.
#pragma warning disable RS1038, RS1041, RS1036, RS2008, RS1033
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class GeneratorFixableDiagnostics : DiagnosticAnalyzer
{
    private static readonly ImmutableDictionary<string, DiagnosticDescriptor> Forwarded = HelpLinkTests.AllDescriptors()
        .Where(d => new DeclarationCodeFixProvider().FixableDiagnosticIds.Contains(d.Id))
        .ToImmutableDictionary(d => d.Id, d => new DiagnosticDescriptor(d.Id, d.Title, "{0}", d.Category, d.DefaultSeverity, d.IsEnabledByDefault, helpLinkUri: d.HelpLinkUri));

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => Forwarded.Values.ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSemanticModelAction(c =>
        {
            SyntaxTree tree = c.SemanticModel.SyntaxTree;
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new NetGen.Generator.NetGenGenerator()).RunGenerators(c.SemanticModel.Compilation, c.CancellationToken);
            foreach (Diagnostic diagnostic in driver.GetRunResult().Diagnostics.Where(d => Forwarded.ContainsKey(d.Id) && d.Location.GetLineSpan().Path == tree.FilePath))
            {
                c.ReportDiagnostic(Diagnostic.Create(Forwarded[diagnostic.Id], Location.Create(tree, diagnostic.Location.SourceSpan), diagnostic.GetMessage()));
            }
        });
    }
}
#pragma warning restore RS1038, RS1041, RS1036, RS2008, RS1033
