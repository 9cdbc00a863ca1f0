using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace NetGen.Analyzers.CodeFixes;

/// <summary>
/// "Did you mean": replaces a misspelled name in the attributes of a NetGen class with the nearest valid one
/// (docs/adr/0033). The compiler reports the misspelling, not NetGen:
/// <list type="bullet">
/// <item>CS0246 on an attribute name (<c>[Dens(8)]</c>, <c>[Relu]</c>): the candidates are NetGen's layer
/// attributes, <c>[Network]</c> and <c>[Block]</c>;</item>
/// <item>CS0246 on a named argument (<c>LearningRat = 0.1</c>): the candidates are the attribute's settable
/// properties;</item>
/// <item>CS0117 on an enum member (<c>Optimizer.Adamm</c>): the candidates are the members of that NetGen enum.</item>
/// </list>
/// A NetGen class is one that carries <c>[Network]</c>, <c>[Block]</c> or a layer attribute. Up to three candidates
/// within <see cref="MaxDistance"/> edits are offered, nearest first; a name no candidate is near gets no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DidYouMeanCodeFixProvider)), Shared]
public sealed class DidYouMeanCodeFixProvider : CodeFixProvider
{
    public const string TypeNotFoundId = "CS0246";
    public const string MemberNotFoundId = "CS0117";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(TypeNotFoundId, MemberNotFoundId);

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        INamedTypeSymbol? layer = model.Compilation.GetTypeByMetadataName("NetGen.LayerAttribute");
        if (layer is null)
        {
            return;
        }

        var seen = new HashSet<TextSpan>();
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            // CS0246 on an attribute comes twice, for 'Dens' and 'DensAttribute': one fix per span.
            if (!seen.Add(diagnostic.Location.SourceSpan))
            {
                continue;
            }

            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            AttributeSyntax? attribute = node.FirstAncestorOrSelf<AttributeSyntax>();
            if (attribute is null || attribute.Parent?.Parent is not ClassDeclarationSyntax declaration || !IsNetGenClass(declaration, model, layer))
            {
                continue;
            }

            (SimpleNameSyntax Written, IEnumerable<string> Candidates)? target = Target(diagnostic.Id, node, attribute, model, layer);
            if (target is not { } found)
            {
                continue;
            }

            string written = found.Written.Identifier.ValueText;
            foreach (string suggestion in Nearest(written, found.Candidates))
            {
                SimpleNameSyntax name = found.Written;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Replace with {suggestion}",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(name, SyntaxFactory.IdentifierName(suggestion).WithTriviaFrom(name)))),
                        equivalenceKey: "NetGen.DidYouMean." + suggestion),
                    diagnostic);
            }
        }
    }

    /// <summary>The name written wrong and what it could have been.</summary>
    private static (SimpleNameSyntax, IEnumerable<string>)? Target(string id, SyntaxNode node, AttributeSyntax attribute, SemanticModel model, INamedTypeSymbol layer)
    {
        if (id == MemberNotFoundId)
        {
            if (node.FirstAncestorOrSelf<MemberAccessExpressionSyntax>() is { } access
                && model.GetSymbolInfo(access.Expression).Symbol is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType
                && InNetGen(enumType))
            {
                return (access.Name, enumType.GetMembers().OfType<IFieldSymbol>().Select(f => f.Name));
            }

            return null;
        }

        if (node.FirstAncestorOrSelf<NameEqualsSyntax>() is { } named && named.Parent is AttributeArgumentSyntax)
        {
            if (model.GetSymbolInfo(attribute).Symbol?.ContainingType is not INamedTypeSymbol attributeType)
            {
                return null;
            }

            return (named.Name, SettableMembers(attributeType));
        }

        NameSyntax written = attribute.Name;
        SimpleNameSyntax? simple = written switch
        {
            SimpleNameSyntax s => s,
            QualifiedNameSyntax q => q.Right,
            AliasQualifiedNameSyntax a => a.Name,
            _ => null,
        };
        if (simple is null || !node.Span.IntersectsWith(simple.Span))
        {
            return null;
        }

        bool suffix = simple.Identifier.ValueText.EndsWith("Attribute", StringComparison.Ordinal);
        IEnumerable<string> names = AttributeNames(layer).Select(n => suffix ? n + "Attribute" : n);
        return (simple, names);
    }

    /// <summary>Layer attributes, Network and Block, without the Attribute suffix.</summary>
    private static IEnumerable<string> AttributeNames(INamedTypeSymbol layer)
    {
        foreach (INamedTypeSymbol type in layer.ContainingNamespace.GetTypeMembers())
        {
            bool isLayer = !type.IsAbstract && Derives(type, layer);
            if ((isLayer || type.Name is "NetworkAttribute" or "BlockAttribute") && type.DeclaredAccessibility == Accessibility.Public)
            {
                yield return type.Name.Substring(0, type.Name.Length - "Attribute".Length);
            }
        }
    }

    private static IEnumerable<string> SettableMembers(INamedTypeSymbol type)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            foreach (ISymbol member in t.GetMembers())
            {
                bool settable = member switch
                {
                    IPropertySymbol p => p.SetMethod is { DeclaredAccessibility: Accessibility.Public } && !p.IsStatic && !p.IsIndexer,
                    IFieldSymbol f => !f.IsReadOnly && !f.IsConst && !f.IsStatic && f.DeclaredAccessibility == Accessibility.Public,
                    _ => false,
                };
                if (settable && member.DeclaredAccessibility == Accessibility.Public)
                {
                    names.Add(member.Name);
                }
            }
        }

        return names;
    }

    private static bool IsNetGenClass(ClassDeclarationSyntax declaration, SemanticModel model, INamedTypeSymbol layer) =>
        declaration.AttributeLists.SelectMany(l => l.Attributes).Any(a =>
            model.GetSymbolInfo(a).Symbol?.ContainingType is INamedTypeSymbol type
            && InNetGen(type)
            && (type.Name is "NetworkAttribute" or "BlockAttribute" || Derives(type, layer)));

    private static bool InNetGen(INamedTypeSymbol type) =>
        type.ContainingNamespace is { Name: "NetGen", ContainingNamespace.IsGlobalNamespace: true };

    private static bool Derives(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Largest number of edits (insertions, deletions, substitutions, swaps of neighbours; case ignored) a
    /// suggestion may be from the written name: a third of its length, at least 1.</summary>
    public static int MaxDistance(string written) => Math.Max(1, written.Length / 3);

    /// <summary>Up to three candidates within <see cref="MaxDistance"/>, nearest first, then those whose case differs
    /// less, then by name.</summary>
    public static IReadOnlyList<string> Nearest(string written, IEnumerable<string> candidates)
    {
        int limit = MaxDistance(written);
        return candidates
            .Distinct(StringComparer.Ordinal)
            .Where(c => !string.Equals(c, written, StringComparison.Ordinal))
            .Select(c => (Name: c, Distance: Distance(written.ToUpperInvariant(), c.ToUpperInvariant()), Exact: Distance(written, c)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => c.Exact).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(3)
            .Select(c => c.Name)
            .ToList();
    }

    /// <summary>Optimal string alignment distance (Levenshtein with swaps of neighbouring characters).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
