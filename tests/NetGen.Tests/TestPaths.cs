using System.Runtime.CompilerServices;

namespace NetGen.Tests;

/// <summary>Locates test data: the committed reference files and the MNIST folder.</summary>
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

    /// <summary>The MNIST folder as <see cref="Data.Mnist.TryFindDirectory"/> finds it ($NETGEN_MNIST_DIR, else data/mnist
    /// in or above the test binaries, or in a folder beside one of those); null when absent.</summary>
    public static string? Mnist() => Data.Mnist.TryFindDirectory(out string? directory) ? directory : null;

    /// <summary>Why the MNIST tests are skipped, printed by the test runner.</summary>
    public const string MnistMissing =
        "MNIST not found: set NETGEN_MNIST_DIR to a folder holding the four IDX files (train-images-idx3-ubyte[.gz] and the other three), " +
        "or put them in data/mnist inside the clone or in a folder beside it.";
}

/// <summary>A fact that runs only when the MNIST files are found; otherwise the runner reports it skipped, with the reason
/// (<see cref="TestPaths.MnistMissing"/>), instead of passing without training. The reason is also put in the display
/// name, because <c>dotnet test</c> at its default verbosity prints the names of skipped tests but not the reasons.</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    public MnistFactAttribute([CallerMemberName] string test = "")
    {
        if (TestPaths.Mnist() is null)
        {
            Skip = TestPaths.MnistMissing;
            DisplayName = test + " (skipped: " + TestPaths.MnistMissing + ")";
        }
    }
}
