namespace NetGen.Tests;

/// <summary>Locates test data: the committed reference files and the shared MNIST folder.</summary>
internal static class TestPaths
{
    public static string Reference(string file) => Path.Combine(AppContext.BaseDirectory, "Reference", file);

    /// <summary>The repository root: the nearest folder above the test binaries holding NetGen.sln.</summary>
    public static string RepositoryRoot()
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

    /// <summary>The MNIST folder: $NETGEN_MNIST_DIR, or ../shared/data/mnist beside the repository; null when absent.</summary>
    public static string? Mnist()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("NETGEN_MNIST_DIR");
        string candidate = !string.IsNullOrEmpty(fromEnvironment)
            ? fromEnvironment
            : Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "data", "mnist"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}
