using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace NetGen.Analyzers;

/// <summary>
/// NG0330: a name in the attributes of a NetGen class that the compiler cannot resolve (CS0246, CS0117), with the
/// nearest valid name in the message, so that a command-line build shows the suggestion too (docs/adr/0033). Reported
/// only when a candidate is near (<see cref="NameSuggestions.Nearest"/>); the "Replace with …" fix applies it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MisspelledNameAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(AdviceDescriptors.MisspelledName);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.Attribute);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var attribute = (AttributeSyntax)context.Node;
        if (attribute.Parent?.Parent is not ClassDeclarationSyntax)
        {
            return;
        }

        // The attribute's own name, then its named arguments, then the enum members written in its arguments.
        var names = new List<SyntaxNode>();
        if (NameSuggestions.AttributeConstructor(attribute, context.SemanticModel) is null)
        {
            names.Add(attribute.Name);
        }
        else
        {
            foreach (AttributeArgumentSyntax argument in attribute.ArgumentList?.Arguments ?? default)
            {
                if (argument.NameEquals is { } named && context.SemanticModel.GetSymbolInfo(named.Name, context.CancellationToken).Symbol is null)
                {
                    names.Add(named.Name);
                }

                names.AddRange(argument.Expression.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>()
                    .Where(a => context.SemanticModel.GetSymbolInfo(a, context.CancellationToken).Symbol is null && context.SemanticModel.GetSymbolInfo(a, context.CancellationToken).CandidateSymbols.IsEmpty)
                    .Select(a => (SyntaxNode)a.Name));
            }
        }

        foreach (SyntaxNode node in names)
        {
            if (NameSuggestions.Target(node, context.SemanticModel) is not { } target)
            {
                continue;
            }

            IReadOnlyList<string> nearest = NameSuggestions.Nearest(target.Written.Identifier.ValueText, target.Candidates);
            if (nearest.Count == 0)
            {
                continue;
            }

            string what = target.Kind switch
            {
                NameSuggestions.Kind.Attribute => "a NetGen layer attribute, [Network] or [Block]",
                NameSuggestions.Kind.Argument => $"a settable property of {target.Owner}",
                _ => $"a member of NetGen.{target.Owner}",
            };
            context.ReportDiagnostic(Diagnostic.Create(
                AdviceDescriptors.MisspelledName,
                target.Written.GetLocation(),
                target.Written.Identifier.ValueText,
                what,
                string.Join(" or ", nearest.Select(n => "'" + n + "'"))));
        }
    }
}
