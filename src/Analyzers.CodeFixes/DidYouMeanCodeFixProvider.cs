using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace NetGen.Analyzers.CodeFixes;

/// <summary>
/// "Replace with …": replaces a misspelled name in the attributes of a NetGen class with a near valid one
/// (docs/adr/0033). It fixes NG0330 and the compiler's own errors for the same names:
/// <list type="bullet">
/// <item>CS0246 on an attribute name (<c>[Dens(8)]</c>, <c>[Relu]</c>): the candidates are NetGen's layer
/// attributes, <c>[Network]</c> and <c>[Block]</c>;</item>
/// <item>CS0246 on a named argument (<c>LearningRat = 0.1</c>): the candidates are the attribute's settable
/// properties;</item>
/// <item>CS0117 on an enum member (<c>Optimizer.Adamm</c>): the candidates are the members of that NetGen enum.</item>
/// </list>
/// A NetGen class is one that carries <c>[Network]</c>, <c>[Block]</c> or a layer attribute. Up to three candidates
/// within <see cref="NameSuggestions.MaxDistance"/> edits are offered, nearest first; a name no candidate is near gets
/// no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DidYouMeanCodeFixProvider)), Shared]
public sealed class DidYouMeanCodeFixProvider : CodeFixProvider
{
    public const string TypeNotFoundId = "CS0246";
    public const string MemberNotFoundId = "CS0117";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(TypeNotFoundId, MemberNotFoundId, AdviceDescriptors.MisspelledName.Id);

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        var seen = new HashSet<TextSpan>();
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            // CS0246 on an attribute comes twice, for 'Dens' and 'DensAttribute', and NG0330 a third time: one fix per span.
            if (!seen.Add(diagnostic.Location.SourceSpan))
            {
                continue;
            }

            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (NameSuggestions.Target(node, model) is not { } target)
            {
                continue;
            }

            foreach (string suggestion in NameSuggestions.Nearest(target.Written.Identifier.ValueText, target.Candidates))
            {
                SyntaxNode written = target.Written;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Replace with {suggestion}",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(written, SyntaxFactory.IdentifierName(suggestion).WithTriviaFrom(written)))),
                        equivalenceKey: "NetGen.DidYouMean." + suggestion),
                    diagnostic);
            }
        }
    }
}
