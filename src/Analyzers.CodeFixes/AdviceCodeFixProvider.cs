using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
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
/// The mechanical fixes of the advice diagnostics: NG0320 (sigmoid/tanh → ReLU), NG0321 (Init = Init.HeNormal),
/// NG0322 (Bias = false), NG0323 (remove the Dropout), and the generator's NG0306 (remove the constant Init, so the
/// layer gets Init.Auto). NG0324 and NG0325 have none: the right value is a choice, not an edit.
/// Every fix rewrites one attribute; arguments are re-joined with ", " so the result reads as if typed.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AdviceCodeFixProvider)), Shared]
public sealed class AdviceCodeFixProvider : CodeFixProvider
{
    /// <summary>The generator's "constant weight initialisation" warning (src/Generator/Diagnostics).</summary>
    public const string ConstantInitId = "NG0306";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        AdviceDescriptors.SaturatingHiddenActivation.Id,
        AdviceDescriptors.GlorotBeforeReLU.Id,
        AdviceDescriptors.BiasBeforeBatchNorm.Id,
        AdviceDescriptors.DropoutAfterLastLayer.Id,
        ConstantInitId);

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
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan);
            AttributeSyntax? attribute = node.FirstAncestorOrSelf<AttributeSyntax>();
            if (attribute is null)
            {
                continue;
            }

            (string Title, Func<AttributeSyntax, SyntaxNode?, SyntaxNode>? Edit) fix = diagnostic.Id switch
            {
                "NG0320" => ("Replace with [ReLU]", (a, r) => r!.ReplaceNode(a, a.WithName(Rename(a.Name)))),
                "NG0321" => ("Use Init = Init.HeNormal", (a, r) => r!.ReplaceNode(a, SetArgument(a, "Init", HeNormal(a)))),
                "NG0322" => ("Set Bias = false", (a, r) => r!.ReplaceNode(a, RemoveArguments(SetArgument(a, "Bias", "false"), "BiasInit", "RegularizeBias"))),
                "NG0323" => ("Remove the Dropout", RemoveAttribute),
                ConstantInitId => ("Use the default random initialisation (Init.Auto)", (a, r) => r!.ReplaceNode(a, RemoveArguments(a, "Init", "InitValue"))),
                _ => (string.Empty, null),
            };
            if (fix.Edit is null)
            {
                continue;
            }

            Func<AttributeSyntax, SyntaxNode?, SyntaxNode> edit = fix.Edit;
            context.RegisterCodeFix(
                CodeAction.Create(
                    fix.Title,
                    cancellationToken => Apply(context.Document, attribute, edit, cancellationToken),
                    equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    private static async Task<Document> Apply(Document document, AttributeSyntax attribute, Func<AttributeSyntax, SyntaxNode?, SyntaxNode> edit, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(edit(attribute, root));
    }

    /// <summary><c>Sigmoid</c> → <c>ReLU</c>, keeping a qualifier (<c>NetGen.Tanh</c> → <c>NetGen.ReLU</c>) and an
    /// <c>Attribute</c> suffix.</summary>
    private static NameSyntax Rename(NameSyntax name)
    {
        if (name is QualifiedNameSyntax qualified)
        {
            return qualified.WithRight((SimpleNameSyntax)Rename(qualified.Right));
        }

        if (name is AliasQualifiedNameSyntax alias)
        {
            return alias.WithName((SimpleNameSyntax)Rename(alias.Name));
        }

        string text = ((SimpleNameSyntax)name).Identifier.ValueText;
        string renamed = text.EndsWith("Attribute", System.StringComparison.Ordinal) ? "ReLUAttribute" : "ReLU";
        return SyntaxFactory.IdentifierName(renamed).WithTriviaFrom(name);
    }

    /// <summary>The written <c>Init.X</c> with its last name replaced by HeNormal (keeps <c>NetGen.Init.</c>).</summary>
    private static string HeNormal(AttributeSyntax attribute)
    {
        AttributeArgumentSyntax? init = Find(attribute, "Init");
        return init?.Expression is MemberAccessExpressionSyntax access
            ? access.WithName(SyntaxFactory.IdentifierName("HeNormal")).ToString()
            : "Init.HeNormal";
    }

    private static AttributeArgumentSyntax? Find(AttributeSyntax attribute, string name) =>
        attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);

    /// <summary><c>name = value</c>: replaces the written argument's value, or appends the argument.</summary>
    private static AttributeSyntax SetArgument(AttributeSyntax attribute, string name, string value)
    {
        var texts = new List<string>();
        bool found = false;
        foreach (AttributeArgumentSyntax argument in attribute.ArgumentList?.Arguments ?? default)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == name)
            {
                texts.Add($"{name} = {value}");
                found = true;
            }
            else
            {
                texts.Add(argument.ToString());
            }
        }

        if (!found)
        {
            texts.Add($"{name} = {value}");
        }

        return WithArguments(attribute, texts);
    }

    private static AttributeSyntax RemoveArguments(AttributeSyntax attribute, params string[] names)
    {
        var texts = (attribute.ArgumentList?.Arguments ?? default)
            .Where(a => a.NameEquals is null || !names.Contains(a.NameEquals.Name.Identifier.ValueText))
            .Select(a => a.ToString())
            .ToList();
        return WithArguments(attribute, texts);
    }

    private static AttributeSyntax WithArguments(AttributeSyntax attribute, List<string> texts)
    {
        AttributeArgumentListSyntax? list = texts.Count == 0
            ? null
            : SyntaxFactory.ParseAttributeArgumentList("(" + string.Join(", ", texts) + ")");
        return attribute.WithArgumentList(list?.WithTriviaFrom(attribute.ArgumentList ?? list));
    }

    /// <summary>Removes the attribute from its list, or the whole <c>[…]</c> when it is the only one there.</summary>
    private static SyntaxNode RemoveAttribute(AttributeSyntax attribute, SyntaxNode? root)
    {
        if (attribute.Parent is AttributeListSyntax list && list.Attributes.Count == 1)
        {
            return root!.RemoveNode(list, SyntaxRemoveOptions.KeepNoTrivia)!;
        }

        return root!.RemoveNode(attribute, SyntaxRemoveOptions.KeepNoTrivia)!;
    }
}
