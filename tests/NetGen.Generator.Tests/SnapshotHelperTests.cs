namespace NetGen.Generator.Tests;

/// <summary>The snapshot helper itself must be able to fail: a mismatch writes *.received.cs and fails with a diff.</summary>
public sealed class SnapshotHelperTests
{
    [Fact]
    public void MismatchWritesReceivedFileAndFailsWithADiff()
    {
        string directory = Path.Combine(Path.GetTempPath(), "netgen-snapshot-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string testFile = Path.Combine(directory, "FakeTests.cs");
        File.WriteAllText(Path.Combine(directory, "FakeTests.Case#Net.NetGen.g.verified.cs"), "line one\nline two\n");
        try
        {
            var ex = Assert.ThrowsAny<Exception>(() => Snapshot.Verify("line one\nline 2\n", "Net.NetGen.g.cs", testFile, "Case"));

            Assert.True(ex.Message.Contains("- line two") && ex.Message.Contains("+ 2: line 2"), ex.Message);
            Assert.Equal("line one\nline 2\n", File.ReadAllText(Path.Combine(directory, "FakeTests.Case#Net.NetGen.g.received.cs")));

            Snapshot.Verify("line one\nline two\n", "Net.NetGen.g.cs", testFile, "Case"); // a match passes and removes the received file
            Assert.False(File.Exists(Path.Combine(directory, "FakeTests.Case#Net.NetGen.g.received.cs")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void VersionIsScrubbed() =>
        Assert.Equal("// NetGen {version}\n[GeneratedCode(\"NetGen\", \"{version}\")]", Snapshot.Scrub("// NetGen 1.2.3\n[GeneratedCode(\"NetGen\", \"1.2.3\")]"));
}
