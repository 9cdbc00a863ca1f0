using System.Text.RegularExpressions;

namespace NetGen.Generator.Tests;

/// <summary>The lists of diagnostics agree: every descriptor in DiagnosticDescriptors.cs (the generator) and AdviceDescriptors.cs
/// (the advice analyzers) has exactly one row in docs/diagnostics.md and exactly one line in its assembly's
/// AnalyzerReleases.Unshipped.md, and neither lists an id the generator does not
/// report (docs/diagnostics.md may also list NG0009, which the package's build check reports, not the generator). Only
/// NG0001–NG0003 say "no code is generated": for every other error the network's generated members throw instead.</summary>
public sealed class DiagnosticTableTests
{
    private static string Root()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetGen.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"NetGen.sln not found above {AppContext.BaseDirectory}.");
    }

    private static string Read(params string[] parts) => File.ReadAllText(Path.Combine([Root(), .. parts]));

    private static List<string> Ids(string text, string pattern) =>
        Regex.Matches(text, pattern, RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();

    private static readonly string Descriptors = Read("src", "Generator", "Diagnostics", "DiagnosticDescriptors.cs");

    private static List<string> DescriptorIds(string text) => Ids(text, "\"(NG\\d{4})\"\\s*,");

    private static List<string> GeneratorIds() => DescriptorIds(Descriptors);

    private static List<string> AdviceIds() => DescriptorIds(Read("src", "Analyzers", "AdviceDescriptors.cs"));

    private static void AssertOncePerDescriptor(List<string> ids, List<string> listed, string where, params string[] extra)
    {
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(listed.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => $"{g.Key} twice in {where}"));
        Assert.Empty(ids.Except(listed).Select(id => $"{id} missing from {where}"));
        Assert.Empty(listed.Except(ids).Except(extra).Select(id => $"{id} in {where} has no descriptor"));
    }

    [Fact]
    public void DiagnosticsMd_HasOneRowPerDescriptor() =>
        AssertOncePerDescriptor([.. GeneratorIds(), .. AdviceIds()], Ids(Read("docs", "diagnostics.md"), @"^\|\s*(?:<a id=""ng\d{4}""></a>)?`?(NG\d{4})`?\s*\|"), "docs/diagnostics.md", "NG0009");

    [Fact]
    public void UnshippedReleases_ListEachDescriptorOnce()
    {
        AssertOncePerDescriptor(GeneratorIds(), Ids(Read("src", "Generator", "Diagnostics", "AnalyzerReleases.Unshipped.md"), @"^\s*(NG\d{4})\s*\|"), "src/Generator/Diagnostics/AnalyzerReleases.Unshipped.md");
        AssertOncePerDescriptor(AdviceIds(), Ids(Read("src", "Analyzers", "AnalyzerReleases.Unshipped.md"), @"^\s*(NG\d{4})\s*\|"), "src/Analyzers/AnalyzerReleases.Unshipped.md");
    }

    [Fact]
    public void OnlyTheDeclarationErrorsSayNoCodeIsGenerated()
    {
        // Each descriptor's text runs from its id to the next id.
        MatchCollection ids = Regex.Matches(Descriptors, "\"(NG\\d{4})\"\\s*,");
        var saying = ids.Where((m, i) => Descriptors[m.Index..(i + 1 < ids.Count ? ids[i + 1].Index : Descriptors.Length)]
                .Contains("no code is generated", StringComparison.OrdinalIgnoreCase))
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(new[] { "NG0001", "NG0002", "NG0003" }, saying);
    }
}
