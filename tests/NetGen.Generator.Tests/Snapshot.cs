using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace NetGen.Generator.Tests;

/// <summary>
/// A small snapshot helper following Verify's file conventions (Verify cannot be restored here): the expected text is
/// committed as <c>{TestClass}.{Test}#{HintName}.verified.cs</c> beside the test; on a mismatch the actual text is
/// written to <c>*.received.cs</c> (git-ignored) and the test fails with a line diff. Accept a change by renaming
/// received over verified. The generator version is scrubbed so a version bump does not break every snapshot.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, string hintName, [CallerFilePath] string testFile = "", [CallerMemberName] string test = "")
    {
        string directory = Path.GetDirectoryName(testFile)!;
        string baseName = $"{Path.GetFileNameWithoutExtension(testFile)}.{test}#{Path.GetFileNameWithoutExtension(hintName)}";
        string verifiedPath = Path.Combine(directory, baseName + ".verified.cs");
        string receivedPath = Path.Combine(directory, baseName + ".received.cs");
        string scrubbed = Scrub(actual);

        string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n") : null;
        if (verified == scrubbed)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, scrubbed);
        if (verified is null)
        {
            Assert.Fail($"No snapshot yet: review {receivedPath} and rename it to {Path.GetFileName(verifiedPath)}.");
        }

        Assert.Fail($"Generated source differs from {Path.GetFileName(verifiedPath)} (new text in {Path.GetFileName(receivedPath)}):\n{Diff(verified, scrubbed)}");
    }

    public static string Scrub(string text) =>
        Regex.Replace(text.Replace("\r\n", "\n"), "NetGen\\\", \\\"[0-9.]+\\\"|NetGen [0-9]+\\.[0-9]+\\.[0-9]+", m => m.Value.StartsWith("NetGen\"", StringComparison.Ordinal) ? "NetGen\", \"{version}\"" : "NetGen {version}");

    private static string Diff(string expected, string actual)
    {
        DiffPaneModel model = new InlineDiffBuilder(new DiffPlex.Differ()).BuildDiffModel(expected, actual);
        var builder = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < model.Lines.Count && shown < 60; i++)
        {
            DiffPiece line = model.Lines[i];
            if (line.Type is ChangeType.Inserted or ChangeType.Deleted)
            {
                builder.Append(line.Type == ChangeType.Inserted ? $"+ {line.Position}: " : "- ").AppendLine(line.Text);
                shown++;
            }
        }

        return builder.ToString();
    }
}
