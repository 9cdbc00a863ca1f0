using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace NetGen.Analyzers.Tests;

/// <summary>
/// Every NetGen diagnostic, the generator's and the analyzers', has a help link to its row of docs/diagnostics.md, and
/// that row carries the anchor the link names (docs/adr/0033).
/// </summary>
public sealed partial class HelpLinkTests
{
    /// <summary>The generator's descriptors (an internal class, read by reflection) and the advice analyzer's.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> AllDescriptors()
    {
        Type generator = typeof(NetGen.Generator.NetGenGenerator).Assembly.GetType("NetGen.Generator.Diagnostics.DiagnosticDescriptors", throwOnError: true)!;
        return new[] { generator, typeof(AdviceDescriptors) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
    }

    /// <summary>The anchors (<c>&lt;a id="ng0001"&gt;</c>) in the rows of docs/diagnostics.md's table.</summary>
    public static HashSet<string> DocumentedAnchors() =>
        File.ReadLines(RepositoryFile("docs/diagnostics.md"))
            .Select(line => RowAnchor().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

    public static string RepositoryFile(string relative)
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "NetGen.sln")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void EveryDescriptorLinksToTheAnchorOfItsOwnRow()
    {
        IReadOnlyList<DiagnosticDescriptor> descriptors = AllDescriptors();
        HashSet<string> anchors = DocumentedAnchors();
        Assert.True(descriptors.Count > 50, $"only {descriptors.Count} descriptors found");

        var problems = new List<string>();
        foreach (DiagnosticDescriptor d in descriptors)
        {
            string expected = AdviceDescriptors.HelpLinkBase + d.Id.ToLowerInvariant();
            if (d.HelpLinkUri != expected)
            {
                problems.Add($"{d.Id}: help link '{d.HelpLinkUri}', expected '{expected}'");
            }
            else if (!anchors.Contains(d.Id.ToLowerInvariant()))
            {
                problems.Add($"{d.Id}: docs/diagnostics.md has no row with <a id=\"{d.Id.ToLowerInvariant()}\"></a>");
            }
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void EveryRowOfTheTableHasItsAnchor()
    {
        // A row added as "| NG0xxx |" without its anchor would make the help link of that id land on the page's top.
        var rows = File.ReadLines(RepositoryFile("docs/diagnostics.md")).Where(l => Regex.IsMatch(l, @"^\| (<a id=""ng\d{4}""></a>)?NG\d{4} \|")).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, row =>
        {
            Match anchor = RowAnchor().Match(row);
            Assert.True(anchor.Success, "row without an anchor: " + row[..Math.Min(row.Length, 40)]);
            Assert.Equal(anchor.Groups[1].Value.ToUpperInvariant(), anchor.Groups[2].Value);
        });
    }

    [Fact]
    public void TheGeneratorAndTheAnalyzersShareOneBase()
    {
        DiagnosticDescriptor generators = AllDescriptors().First(d => d.Id == "NG0001");
        Assert.Equal(AdviceDescriptors.HelpLink("NG0001"), generators.HelpLinkUri);
    }

    [GeneratedRegex(@"^\| <a id=""(ng\d{4})""></a>(NG\d{4}) \|")]
    private static partial Regex RowAnchor();
}

/// <summary>Every error says what the user gets instead of the network: no code at all (the class-level errors and
/// NG9001), or the network's members generated to throw. Warnings and advice leave the network generated as usual.</summary>
public sealed class WhatIsEmittedTests
{
    [Fact]
    public void EveryErrorSaysWhatIsGeneratedInPlaceOfTheNetwork()
    {
        var errors = HelpLinkTests.AllDescriptors().Where(d => d.DefaultSeverity == DiagnosticSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.Empty(errors
            .Where(d => !System.Text.RegularExpressions.Regex.IsMatch(d.MessageFormat.ToString(), "members throw|no code is generated|nothing is generated", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
            .Select(d => d.Id + ": " + d.MessageFormat));
    }
}
