using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;

namespace NetGen.Analyzers.Tests;

/// <summary>
/// docs/api.md stays true: every public type of NetGen.Runtime is either listed there (<c>- `Name` — …</c>) or hidden
/// from the IDE with <c>[EditorBrowsable(EditorBrowsableState.Never)]</c> because only generated code uses it, and
/// no hidden type is listed as user-facing.
/// </summary>
public sealed partial class PublicSurfaceTests
{
    private static readonly Type[] PublicTypes = typeof(NetworkAttribute).Assembly.GetExportedTypes().Where(t => t.DeclaringType is null).ToArray();

    private static bool IsHidden(Type type) =>
        type.GetCustomAttribute<EditorBrowsableAttribute>() is { State: EditorBrowsableState.Never };

    /// <summary><c>INeuralNetwork`1</c> → <c>INeuralNetwork</c>; docs/api.md writes it <c>INeuralNetwork&lt;TTarget&gt;</c>.</summary>
    private static string Plain(string name) => Regex.Replace(name, @"(`\d+|<.*>)$", string.Empty);

    private static HashSet<string> Listed() =>
        File.ReadLines(HelpLinkTests.RepositoryFile("docs/api.md"))
            .Select(line => ListItem().Match(line))
            .Where(m => m.Success)
            .Select(m => Plain(m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void EveryPublicRuntimeTypeIsListedOrHidden()
    {
        HashSet<string> listed = Listed();
        Assert.True(PublicTypes.Length > 100, $"only {PublicTypes.Length} public types");
        Assert.Empty(PublicTypes.Where(t => !IsHidden(t) && !listed.Contains(Plain(t.Name))).Select(t => $"{t.FullName} is neither in docs/api.md nor [EditorBrowsable(Never)]"));
        Assert.Empty(PublicTypes.Where(t => IsHidden(t) && listed.Contains(Plain(t.Name))).Select(t => $"{t.FullName} is hidden but listed in docs/api.md"));
    }

    [Fact]
    public void TheTypesOnlyGeneratedCodeUsesAreHidden()
    {
        string[] internalFacing = ["NetGen.Guard", "NetGen.Checkpoint", "NetGen.Initializers", "NetGen.GradCheck"];
        Assert.All(internalFacing, name => Assert.True(IsHidden(PublicTypes.Single(t => t.FullName == name)), name));
        Type[] kernels = PublicTypes.Where(t => t.Namespace == "NetGen.Kernels").ToArray();
        Assert.NotEmpty(kernels);
        Assert.All(kernels, t => Assert.True(IsHidden(t), t.FullName));
    }

    [GeneratedRegex(@"^- `([A-Za-z0-9_]+(?:<[A-Za-z, ]+>)?)` — ")]
    private static partial Regex ListItem();
}
