using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetGen.Analyzers;

/// <summary>
/// "Did you mean": the names a misspelled name in the attributes of a NetGen class could have been, and the nearest
/// of them (docs/adr/0033). Used by <see cref="MisspelledNameAnalyzer"/> (NG0330) and by the "Replace with …" code fix
/// of NG0330 and of the compiler's CS0246/CS0117.
/// </summary>
public static class NameSuggestions
{
    /// <summary>What a misspelled name is: an attribute, a named argument of one, or a member of a NetGen enum.</summary>
    public enum Kind
    {
        /// <summary><c>[Dens(8)]</c>: NetGen's layer attributes, <c>[Network]</c> and <c>[Block]</c>.</summary>
        Attribute,

        /// <summary><c>LearningRat = 0.1</c>: the attribute's settable properties.</summary>
        Argument,

        /// <summary><c>Optimizer.Adamm</c>: the enum's members.</summary>
        EnumMember,
    }

    /// <summary>The name under <paramref name="node"/> (inside an attribute of a NetGen class) and its candidates, or
    /// null when it is none of the three kinds or not in a NetGen class.</summary>
    public static (SimpleNameSyntax Written, Kind Kind, string Owner, IReadOnlyList<string> Candidates)? Target(SyntaxNode node, SemanticModel model)
    {
        INamedTypeSymbol? layer = model.Compilation.GetTypeByMetadataName("NetGen.LayerAttribute");
        AttributeSyntax? attribute = node.FirstAncestorOrSelf<AttributeSyntax>();
        if (layer is null || attribute is null || attribute.Parent?.Parent is not ClassDeclarationSyntax declaration || !IsNetGenClass(declaration, model, layer))
        {
            return null;
        }

        if (node.FirstAncestorOrSelf<MemberAccessExpressionSyntax>() is { } access && attribute.Span.Contains(access.Span))
        {
            if (model.GetSymbolInfo(access.Expression).Symbol is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType && InNetGen(enumType))
            {
                return (access.Name, Kind.EnumMember, enumType.Name, enumType.GetMembers().OfType<IFieldSymbol>().Select(f => f.Name).ToList());
            }

            return null;
        }

        if (node.FirstAncestorOrSelf<NameEqualsSyntax>() is { Parent: AttributeArgumentSyntax } named)
        {
            return AttributeConstructor(attribute, model)?.ContainingType is INamedTypeSymbol attributeType
                ? (named.Name, Kind.Argument, attributeType.Name, SettableMembers(attributeType))
                : null;
        }

        SimpleNameSyntax? simple = attribute.Name switch
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
        return (simple, Kind.Attribute, declaration.Identifier.ValueText, AttributeNames(layer).Select(n => suffix ? n + "Attribute" : n).ToList());
    }

    /// <summary>The attribute's constructor, also when an argument does not bind (a misspelled enum member leaves the
    /// compiler one candidate instead of a symbol).</summary>
    public static ISymbol? AttributeConstructor(AttributeSyntax attribute, SemanticModel model)
    {
        SymbolInfo info = model.GetSymbolInfo(attribute);
        return info.Symbol ?? (info.CandidateSymbols.Length == 1 ? info.CandidateSymbols[0] : null);
    }

    /// <summary>Layer attributes, Network and Block, without the Attribute suffix.</summary>
    public static IEnumerable<string> AttributeNames(INamedTypeSymbol layer)
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

    /// <summary>The public settable properties and fields of an attribute and its bases.</summary>
    public static IReadOnlyList<string> SettableMembers(INamedTypeSymbol type)
    {
        var names = new List<string>();
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            foreach (ISymbol member in t.GetMembers())
            {
                bool settable = member switch
                {
                    IPropertySymbol p => p.SetMethod is { DeclaredAccessibility: Accessibility.Public } && !p.IsStatic && !p.IsIndexer,
                    IFieldSymbol f => !f.IsReadOnly && !f.IsConst && !f.IsStatic,
                    _ => false,
                };
                if (settable && member.DeclaredAccessibility == Accessibility.Public && !names.Contains(member.Name))
                {
                    names.Add(member.Name);
                }
            }
        }

        return names;
    }

    /// <summary>A class that carries <c>[Network]</c>, <c>[Block]</c> or a layer attribute of NetGen.</summary>
    public static bool IsNetGenClass(ClassDeclarationSyntax declaration, SemanticModel model, INamedTypeSymbol layer) =>
        declaration.AttributeLists.SelectMany(l => l.Attributes).Any(a =>
            AttributeConstructor(a, model)?.ContainingType is INamedTypeSymbol type
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
