using NetGen.Data;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The CIFAR-10 binary reader on small files in the real format, written here: records of 1 label byte and 3072 pixel
/// bytes (the red, green and blue 32×32 planes), five training files, a test file and batches.meta.txt.
/// </summary>
public sealed class Cifar10Tests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"netgen-cifar-{Guid.NewGuid():N}");

    public Cifar10Tests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The pixel byte of (record number, channel, row, column): distinct enough to catch a swapped axis.</summary>
    private static byte Pixel(int record, int c, int y, int x) => (byte)((record * 37) + (c * 101) + (y * 7) + (x * 3));

    /// <summary>A record in the file format: the label, then plane R, plane G, plane B, each row by row.</summary>
    private static byte[] Record(int record, int label)
    {
        var bytes = new byte[Cifar10.RecordSize];
        bytes[0] = (byte)label;
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    bytes[1 + (c * 1024) + (y * 32) + x] = Pixel(record, c, y, x);
                }
            }
        }
        return bytes;
    }

    /// <summary>Writes a batch file of records numbered from <paramref name="first"/>, label = number mod 10.</summary>
    private string WriteBatch(string name, int first, int count, string? folder = null)
    {
        string path = Path.Combine(folder ?? _directory, name);
        using FileStream file = File.Create(path);
        for (int r = first; r < first + count; r++)
        {
            file.Write(Record(r, r % 10));
        }
        return path;
    }

    /// <summary>The five training files (3, 1, 2, 4, 2 records, numbered 0–11) and a test file (records 100–104).</summary>
    private static readonly int[] TrainingCounts = [3, 1, 2, 4, 2];

    private void WriteAll(string folder, bool meta = true)
    {
        int first = 0;
        for (int i = 0; i < 5; i++)
        {
            WriteBatch(Cifar10.TrainingFile(i + 1), first, TrainingCounts[i], folder);
            first += TrainingCounts[i];
        }
        WriteBatch(Cifar10.TestFile, 100, 5, folder);
        if (meta)
        {
            File.WriteAllText(Path.Combine(folder, Cifar10.MetaFile), "c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n\n");
        }
    }

    [Fact]
    public void LoadReadsTheFiveTrainingFilesInOrderAndTheTestFile_AsChwScaledBy255()
    {
        WriteAll(_directory);

        Cifar10Dataset data = Cifar10.Load(_directory);

        Assert.Equal(12, data.TrainCount);
        Assert.Equal(5, data.TestCount);
        Assert.Equal(3 * 32 * 32, data.Train.FeatureCount);
        Assert.Equal(["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"], data.ClassNames);
        for (int r = 0; r < 12; r++)
        {
            Assert.Equal(r % 10, data.TrainLabels[r]);
            AssertImage(r, data.Train.Row(r));
        }
        for (int r = 0; r < 5; r++)
        {
            Assert.Equal((100 + r) % 10, data.TestLabels[r]);
            AssertImage(100 + r, data.Test.Row(r));
        }
    }

    private static void AssertImage(int record, ReadOnlySpan<float> row)
    {
        // row[c, y, x] (CHW) = the byte of channel c at (y, x) / 255; every value in [0, 1].
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    float expected = Pixel(record, c, y, x) / 255f;
                    float actual = row[(c * 32 * 32) + (y * 32) + x];
                    if (expected != actual)
                    {
                        Assert.Fail($"record {record} [c {c}, y {y}, x {x}]: expected {expected}, got {actual}");
                    }
                }
            }
        }
    }

    [Fact]
    public void TheArchiveFolderIsFound_AndTheDefaultClassNamesStandInForAMissingMetaFile()
    {
        string nested = Path.Combine(_directory, "cifar-10-batches-bin");
        Directory.CreateDirectory(nested);
        WriteAll(nested, meta: false);

        Cifar10Dataset data = Cifar10.Load(_directory);

        Assert.Equal(12, data.TrainCount);
        Assert.Equal("airplane", data.ClassNames[0]);
        Assert.Equal("truck", data.ClassNames[9]);
        Assert.True(Cifar10.TryFindDirectory(out string? found, Path.Combine(_directory, "nowhere"), _directory));
        Assert.Equal(Path.GetFullPath(nested), found);
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Cifar10.EnvironmentVariable)))
        {
            Assert.False(Cifar10.TryFindDirectory(out _, Path.Combine(_directory, "nowhere")));
        }
    }

    [Fact]
    public void ATruncatedFileThrowsNamingTheFileAndTheRecord()
    {
        string path = WriteBatch("data_batch_2.bin", 0, 3);
        using (FileStream file = File.OpenWrite(path))
        {
            file.SetLength((3 * Cifar10.RecordSize) - 1000); // record 2 has 2073 of its bytes
        }

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));
        Assert.Contains("'data_batch_2.bin'", e.Message);
        Assert.Contains("record 2 has 2073 of its 3073 bytes", e.Message);

        File.WriteAllBytes(path, []);
        Assert.Contains("'data_batch_2.bin' is empty", Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path)).Message);
    }

    [Fact]
    public void ALabelAbove9ThrowsNamingTheFileTheRecordAndTheLabel()
    {
        string path = WriteBatch("test_batch.bin", 0, 4);
        using (FileStream file = File.OpenWrite(path))
        {
            file.Position = 2 * Cifar10.RecordSize;
            file.WriteByte(10);
        }

        var e = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));
        Assert.Contains("'test_batch.bin'", e.Message);
        Assert.Contains("record 2", e.Message);
        Assert.Contains("label 10", e.Message);
    }

    [Fact]
    public void AMissingFileOrABadNamesFileThrows()
    {
        WriteAll(_directory);
        File.Delete(Path.Combine(_directory, "data_batch_3.bin"));
        var missing = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(_directory));
        Assert.Contains("'data_batch_3.bin'", missing.Message);

        WriteAll(_directory);
        File.WriteAllText(Path.Combine(_directory, Cifar10.MetaFile), "a\nb\nc\n");
        var names = Assert.Throws<InvalidDataException>(() => Cifar10.Load(_directory));
        Assert.Contains("'batches.meta.txt' names 3 classes", names.Message);
    }

    [Fact]
    public void PerChannelStandardizationOfCifarRows_FitsOnTrainingOnly()
    {
        WriteAll(_directory);
        Cifar10Dataset data = Cifar10.Load(_directory);

        Standardizer s = Standardizer.Fit(data.Train, Cifar10.Channels, Cifar10.Height, Cifar10.Width);

        Assert.Equal(new[] { 3, 32, 32 }, s.RowShape.ToArray());
        for (int c = 0; c < 3; c++)
        {
            // The channel mean over every training row, row and column, in double.
            double sum = 0;
            for (int r = 0; r < 12; r++)
            {
                for (int p = 0; p < 1024; p++)
                {
                    sum += data.TrainImages[(r * 3072) + (c * 1024) + p];
                }
            }
            Assert.Equal(sum / (12 * 1024), s.Mean[c], 12);
        }
        Assert.Equal(s.Mean.ToArray(), MeanSubtraction.Fit(data.Train, Cifar10.Channels, Cifar10.Height, Cifar10.Width).Mean.ToArray());
        InMemoryDataset test = s.Apply(data.Test);
        Assert.Equal(data.TestLabels, test.Labels);
        Assert.Equal((data.TestImages[1024 + 5] - s.Mean[1]) / s.Std[1], test.Features[1024 + 5], 5);
    }
}
