using System.Buffers.Binary;
using System.IO.Compression;
using NetGen.Data;

namespace NetGen.Runtime.Tests;

/// <summary>A fact that runs only when the MNIST files can be found; otherwise the runner reports it skipped, with why (in
/// the display name too: <c>dotnet test</c> at its default verbosity prints the names of skipped tests, not the reasons).</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    public MnistFactAttribute([System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        if (MnistLocator.Directory is null)
        {
            Skip = $"MNIST not found: set {Mnist.EnvironmentVariable} to a folder holding the four IDX files, or put them in data/mnist inside the clone or in a folder beside it.";
            DisplayName = test + " (skipped: " + Skip + ")";
        }
    }
}

internal static class MnistLocator
{
    /// <summary>As <see cref="Mnist.TryFindDirectory"/> finds it from the test binaries.</summary>
    public static string? Directory { get; } = Mnist.TryFindDirectory(out string? directory) ? directory : null;
}

public sealed class DataTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"netgen-data-{Guid.NewGuid():N}");

    public DataTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>IDX bytes: 00 00 08 rank, big-endian dimensions, data.</summary>
    private static byte[] IdxBytes(int[] dimensions, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + (4 * dimensions.Length) + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * d)), dimensions[d]);
        }
        data.CopyTo(bytes, 4 + (4 * dimensions.Length));
        return bytes;
    }

    private static byte[] Gzip(byte[] raw)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Idx_ReadsRawAndGzip()
    {
        byte[] data = Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray();
        byte[] raw = IdxBytes([2, 3, 4], data);
        foreach (string path in new[] { Write("a-idx3-ubyte", raw), Write("a-idx3-ubyte.gz", Gzip(raw)), Write("gz-without-extension", Gzip(raw)) })
        {
            IdxArray array = Idx.Read(path);
            Assert.Equal([2, 3, 4], array.Dimensions.ToArray());
            Assert.Equal(3, array.Rank);
            Assert.Equal(data, array.Data);
        }
    }

    [Theory]
    [InlineData("bad-magic", "starts with 0x0102, not 0x0000")]
    [InlineData("bad-type", "element type 0x0D; only unsigned bytes")]
    [InlineData("truncated", "is truncated: its header declares 6 elements (2 × 3) but only 5 follow")]
    [InlineData("trailing", "has bytes after the 6 elements")]
    [InlineData("short", "the 4-byte magic number")]
    [InlineData("no-dims", "is truncated in the dimensions")]
    [InlineData("rank0", "has 0 dimensions")]
    public void Idx_Errors_AreClear(string kind, string expected)
    {
        byte[] good = IdxBytes([2, 3], [1, 2, 3, 4, 5, 6]);
        byte[] bytes = kind switch
        {
            "bad-magic" => [1, 2, .. good[2..]],
            "bad-type" => IdxBytes([2, 3], [1, 2, 3, 4, 5, 6], type: 0x0D),
            "truncated" => good[..^1],
            "trailing" => [.. good, 9],
            "short" => [0, 0],
            "no-dims" => good[..6],
            _ => [0, 0, 8, 0],
        };
        foreach (byte[] file in new[] { bytes, Gzip(bytes) })
        {
            string path = Write($"{kind}-idx", file);
            var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
            Assert.StartsWith($"IDX file '{kind}-idx'", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void Idx_CorruptGzip_IsInvalidData()
    {
        byte[] gz = Gzip(IdxBytes([100], new byte[100]));
        for (int i = 12; i < gz.Length - 8; i++)
        {
            gz[i] ^= 0x5A;
        }
        string path = Write("corrupt.gz", gz);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains("corrupt.gz", e.Message);
    }

    [Fact]
    public void Mnist_LoadsSmallSyntheticFiles_GzipAndRaw()
    {
        byte[] pixels = new byte[3 * 784];
        pixels[0] = 255;
        pixels[1] = 51;
        pixels[784] = 1;
        Write("train-images-idx3-ubyte.gz", Gzip(IdxBytes([3, 28, 28], pixels)));
        Write("train-labels-idx1-ubyte", IdxBytes([3], [7, 0, 9]));
        Write("t10k-images-idx3-ubyte", IdxBytes([1, 28, 28], new byte[784]));
        Write("t10k-labels.idx1-ubyte.gz", Gzip(IdxBytes([1], [3])));

        MnistDataset mnist = Mnist.Load(_directory);
        Assert.Equal(3, mnist.TrainCount);
        Assert.Equal(1, mnist.TestCount);
        Assert.Equal(3 * 784, mnist.TrainImages.Length);
        Assert.Equal(1f, mnist.TrainImages[0]);
        Assert.Equal(0.2f, mnist.TrainImages[1]);
        Assert.Equal(1 / 255f, mnist.TrainImages[784]);
        Assert.Equal([7, 0, 9], mnist.TrainLabels);
        Assert.Equal([3], mnist.TestLabels);
        Assert.Same(mnist.TrainImages, mnist.Train.Features);
    }

    [Fact]
    public void Mnist_MismatchedCounts_AndMissingFiles_AreReported()
    {
        Write("train-images-idx3-ubyte", IdxBytes([2, 28, 28], new byte[2 * 784]));
        Write("train-labels-idx1-ubyte", IdxBytes([3], [1, 2, 3]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_directory));
        Assert.Contains("has 2 images but 'train-labels-idx1-ubyte' has 3 labels", e.Message);

        Write("train-labels-idx1-ubyte", IdxBytes([2], [1, 12]));
        e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_directory));
        Assert.Contains("label 12 at index 1", e.Message);

        Write("train-labels-idx1-ubyte", IdxBytes([2], [1, 2]));
        var missing = Assert.Throws<FileNotFoundException>(() => Mnist.Load(_directory));
        Assert.Contains("t10k-images-idx3-ubyte", missing.Message);

        Write("t10k-images-idx3-ubyte", IdxBytes([2, 28, 27], new byte[2 * 28 * 27]));
        Write("t10k-labels-idx1-ubyte", IdxBytes([2], [1, 2]));
        e = Assert.Throws<InvalidDataException>(() => Mnist.Load(_directory));
        Assert.Contains("have shape [2, 28, 27]; expected [N, 28, 28]", e.Message);
    }

    [Fact]
    public void Mnist_TryFindDirectory_FindsDataMnistInAnAncestorOrInAFolderBesideOne()
    {
        if (Environment.GetEnvironmentVariable(Mnist.EnvironmentVariable) is not null)
        {
            return; // the environment variable takes precedence over the upward search
        }

        // A data folder beside the clone: root/store/data/mnist, searched from root/clone/tests/bin.
        string root = Path.Combine(_directory, "root");
        string beside = Path.Combine(root, "store", "data", "mnist");
        string deep = Path.Combine(root, "clone", "tests", "bin");
        Directory.CreateDirectory(beside);
        Directory.CreateDirectory(deep);
        Mnist.TryFindDirectory(out string? before, deep);
        Assert.NotEqual(beside, before); // the folder exists but holds no training images yet

        File.WriteAllBytes(Path.Combine(beside, "train-images-idx3-ubyte.gz"), []);
        Assert.True(Mnist.TryFindDirectory(out string? found, deep));
        Assert.Equal(beside, found);

        // data/mnist in an ancestor (inside the clone) comes first.
        string inside = Path.Combine(root, "clone", "data", "mnist");
        Directory.CreateDirectory(inside);
        File.WriteAllBytes(Path.Combine(inside, "train-images-idx3-ubyte"), []);
        Assert.True(Mnist.TryFindDirectory(out found, deep));
        Assert.Equal(inside, found);
    }

    [MnistFact]
    public void RealMnist_HeaderCountsAndFirstLabels()
    {
        MnistDataset mnist = Mnist.Load(MnistLocator.Directory!);
        Assert.Equal(60000, mnist.TrainCount);
        Assert.Equal(10000, mnist.TestCount);
        Assert.Equal(60000 * 784, mnist.TrainImages.Length);
        Assert.Equal(10000 * 784, mnist.TestImages.Length);
        Assert.Equal([5, 0, 4, 1, 9, 2, 1, 3, 1, 4], mnist.TrainLabels[..10]);
        Assert.Equal([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], mnist.TestLabels[..10]);
        Assert.All(mnist.TrainImages[..784], p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, mnist.TrainImages.Max());
        Assert.Equal(0f, mnist.TrainImages.Min());
        Assert.True(Mnist.TryFindDirectory(out string? found), "Mnist.TryFindDirectory should locate the same files.");
        Assert.True(File.Exists(Path.Combine(found, "train-images-idx3-ubyte.gz")) || File.Exists(Path.Combine(found, "train-images-idx3-ubyte")));
    }

    [MnistFact]
    public void RealMnist_IdxHeaders()
    {
        IdxArray images = Idx.Read(Path.Combine(MnistLocator.Directory!, "t10k-images-idx3-ubyte.gz"));
        Assert.Equal([10000, 28, 28], images.Dimensions.ToArray());
        IdxArray labels = Idx.Read(Path.Combine(MnistLocator.Directory!, "train-labels-idx1-ubyte.gz"));
        Assert.Equal([60000], labels.Dimensions.ToArray());
    }
}
