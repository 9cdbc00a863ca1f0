using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetGen.Analyzers.CodeFixes;

/// <summary>
/// The mechanical fixes of the generator's declaration and range errors (docs/adr/0033):
/// NG0001 adds <c>partial</c>; NG0008 adds the missing <c>[Network]</c> (with <c>partial</c>) or <c>[Block]</c>;
/// the range errors whose valid range has a closed end move the written value to that end, the nearest valid value:
/// a negative strength or probability to 0, a unit count or batch size of 0 or less to 1. A value past an open end
/// (p = 1 for a Dropout, LearningRate = 0) has no nearest valid value, so it gets no fix; the message suggests one.
/// The generator reports these ids; a fix provider chooses diagnostics by id, so it fixes them like its own.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeclarationCodeFixProvider)), Shared]
public sealed class DeclarationCodeFixProvider : CodeFixProvider
{
    public const string NotPartialId = "NG0001";
    public const string LayersWithoutNetworkId = "NG0008";

    /// <summary>Range errors whose valid values start at 0 inclusive: a negative value moves to 0. Dropout p (NG0202),
    /// WeightDecay (NG0204), Momentum (NG0205), Beta1/Beta2 (NG0206), Alpha (NG0210), DecoupledWeightDecay (NG0214),
    /// Rho (NG0215), LabelSmoothing (NG0220), L1/L2 of a layer (NG0221), MaxNorm (NG0222), StochasticDepth (NG0250),
    /// DropProbability (NG0251).</summary>
    public static readonly ImmutableArray<string> NonNegativeIds = ImmutableArray.Create(
        "NG0202", "NG0204", "NG0205", "NG0206", "NG0210", "NG0214", "NG0215", "NG0220", "NG0221", "NG0222", "NG0250", "NG0251");

    /// <summary>Range errors of counts that start at 1: Dense units (NG0201) and BatchSize (NG0208).</summary>
    public static readonly ImmutableArray<string> PositiveCountIds = ImmutableArray.Create("NG0201", "NG0208");

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(NotPartialId, LayersWithoutNetworkId).AddRange(NonNegativeIds).AddRange(PositiveCountIds);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (diagnostic.Id == NotPartialId)
            {
                if (node.FirstAncestorOrSelf<ClassDeclarationSyntax>() is { } declaration && !IsPartial(declaration))
                {
                    Register(context, diagnostic, "Add partial", NotPartialId, r => r.ReplaceNode(declaration, AddPartial(declaration)));
                }
            }
            else if (diagnostic.Id == LayersWithoutNetworkId)
            {
                if (node.FirstAncestorOrSelf<ClassDeclarationSyntax>() is { } declaration && declaration.AttributeLists.Count > 0)
                {
                    Register(context, diagnostic, "Add [Network]", LayersWithoutNetworkId + ".Network",
                        r => r.ReplaceNode(declaration, AddAttribute(IsPartial(declaration) ? declaration : AddPartial(declaration), "Network", r)));
                    Register(context, diagnostic, "Add [Block]", LayersWithoutNetworkId + ".Block",
                        r => r.ReplaceNode(declaration, AddAttribute(declaration, "Block", r)));
                }
            }
            else if (node.FirstAncestorOrSelf<AttributeArgumentSyntax>() is { } argument)
            {
                await RegisterRangeFix(context, diagnostic, argument).ConfigureAwait(false);
            }
        }
    }

    private static async Task RegisterRangeFix(CodeFixContext context, Diagnostic diagnostic, AttributeArgumentSyntax argument)
    {
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        Optional<object?> constant = model is null ? default : model.GetConstantValue(argument.Expression, context.CancellationToken);
        if (!constant.HasValue || constant.Value is not (int or long or float or double or decimal))
        {
            return;
        }

        double value = Convert.ToDouble(constant.Value, CultureInfo.InvariantCulture);
        string? nearest =
            NonNegativeIds.Contains(diagnostic.Id) && value < 0 ? "0" :
            PositiveCountIds.Contains(diagnostic.Id) && value < 1 ? "1" :
            null;
        if (nearest is null)
        {
            // NaN, ∞, or past an open end of the range: no nearest valid value.
            return;
        }

        string name = argument.NameEquals?.Name.Identifier.ValueText ?? "the value";
        ExpressionSyntax replacement = SyntaxFactory.ParseExpression(nearest).WithTriviaFrom(argument.Expression);
        Register(context, diagnostic, $"Use {name} = {nearest}, the nearest valid value", "NetGen.NearestValidValue",
            r => r.ReplaceNode(argument.Expression, replacement));
    }

    private static void Register(CodeFixContext context, Diagnostic diagnostic, string title, string key, Func<SyntaxNode, SyntaxNode> edit) =>
        context.RegisterCodeFix(
            CodeAction.Create(title, async cancellationToken =>
            {
                SyntaxNode? root = await context.Document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                return root is null ? context.Document : context.Document.WithSyntaxRoot(edit(root));
            }, equivalenceKey: key),
            diagnostic);

    private static bool IsPartial(ClassDeclarationSyntax declaration) => declaration.Modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary>Adds <c>partial</c> last among the modifiers, right before <c>class</c>, where C# wants it.</summary>
    private static ClassDeclarationSyntax AddPartial(ClassDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Count == 0)
        {
            // The leading trivia (indentation, comments) moves from 'class' to 'partial'.
            SyntaxToken keyword = declaration.Keyword;
            return declaration
                .WithKeyword(keyword.WithLeadingTrivia())
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))));
        }

        return declaration.WithModifiers(declaration.Modifiers.Add(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
    }

    /// <summary>Adds <c>[name]</c> on a line of its own above the first attribute list, at its indentation.</summary>
    private static ClassDeclarationSyntax AddAttribute(ClassDeclarationSyntax declaration, string name, SyntaxNode root)
    {
        AttributeListSyntax first = declaration.AttributeLists[0];
        SyntaxTriviaList leading = first.GetLeadingTrivia();
        SyntaxTriviaList indentation = leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia)
            ? SyntaxFactory.TriviaList(leading.Last())
            : SyntaxFactory.TriviaList();
        SyntaxTrivia newline = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (newline == default)
        {
            newline = SyntaxFactory.LineFeed;
        }

        AttributeListSyntax added = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Attribute(SyntaxFactory.IdentifierName(name))))
            .WithLeadingTrivia(leading)
            .WithTrailingTrivia(newline);
        var lists = new List<AttributeListSyntax> { added, first.WithLeadingTrivia(indentation) };
        lists.AddRange(declaration.AttributeLists.Skip(1));
        return declaration.WithAttributeLists(SyntaxFactory.List(lists));
    }
}
