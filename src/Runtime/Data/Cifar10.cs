using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;

namespace NetGen.Data;

/// <summary>
/// The CIFAR-10 training and test sets: 32×32 colour images as <c>[3, 32, 32]</c> rows (channel-major, CHW: the red
/// plane, then green, then blue) with pixels scaled to [0, 1], labels 0–9, and the class names.
/// </summary>
public sealed class Cifar10Dataset
{
    /// <summary>Wraps the two sets (not copied).</summary>
    /// <param name="train">Training rows of <see cref="Cifar10.ImageSize"/> values.</param>
    /// <param name="test">Test rows of <see cref="Cifar10.ImageSize"/> values.</param>
    /// <param name="classNames">The names of the 10 classes, label order.</param>
    public Cifar10Dataset(InMemoryDataset train, InMemoryDataset test, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(classNames);
        foreach ((InMemoryDataset set, string name) in new[] { (train, nameof(train)), (test, nameof(test)) })
        {
            if (set.FeatureCount != Cifar10.ImageSize)
            {
                throw new ArgumentException($"CIFAR-10 rows have {Cifar10.ImageSize} values (3 × 32 × 32); '{name}' has {set.FeatureCount}.", name);
            }
        }
        if (classNames.Count != Cifar10.Classes)
        {
            throw new ArgumentException($"CIFAR-10 has {Cifar10.Classes} classes; {classNames.Count} names were given.", nameof(classNames));
        }
        Train = train;
        Test = test;
        ClassNames = classNames;
    }

    /// <summary>The training set (50000 rows for the original five files), [TrainCount, 3·32·32], pixel / 255.</summary>
    public InMemoryDataset Train { get; }

    /// <summary>The test set (10000 rows for the original file), [TestCount, 3·32·32], pixel / 255.</summary>
    public InMemoryDataset Test { get; }

    /// <summary>Training images, row-major [TrainCount, 3, 32, 32].</summary>
    public float[] TrainImages => Train.Features;

    /// <summary>Training labels, [TrainCount].</summary>
    public int[] TrainLabels => Train.Labels;

    /// <summary>Test images, row-major [TestCount, 3, 32, 32].</summary>
    public float[] TestImages => Test.Features;

    /// <summary>Test labels, [TestCount].</summary>
    public int[] TestLabels => Test.Labels;

    /// <summary>Number of training examples.</summary>
    public int TrainCount => Train.Count;

    /// <summary>Number of test examples.</summary>
    public int TestCount => Test.Count;

    /// <summary>Class names in label order (<c>airplane</c>, <c>automobile</c>, …, <c>truck</c>).</summary>
    public IReadOnlyList<string> ClassNames { get; }
}

/// <summary>
/// Reads CIFAR-10 in A. Krizhevsky's binary format (the <c>cifar-10-batches-bin</c> folder): files
/// <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c> (training) and <c>test_batch.bin</c> (test), each a sequence of
/// 3073-byte records, and <c>batches.meta.txt</c>, one class name per line.
/// </summary>
/// <remarks>
/// A record is 1 label byte (0–9) then 3072 pixel bytes: the 1024 red values of the 32×32 image row by row, then the
/// 1024 green, then the 1024 blue. That is already the channel-major <c>[3, 32, 32]</c> (CHW) layout the convolutions
/// read, so a row is the record's pixels in file order, each scaled as torchvision's <c>ToTensor</c> does:
/// <c>x = byte / 255f</c>, in [0, 1]. A file whose length is not a whole number of records, or a label above 9, throws
/// <see cref="InvalidDataException"/> naming the file and the record.
/// </remarks>
public static class Cifar10
{
    /// <summary>Colour channels (red, green, blue).</summary>
    public const int Channels = 3;

    /// <summary>Image height.</summary>
    public const int Height = 32;

    /// <summary>Image width.</summary>
    public const int Width = 32;

    /// <summary>Values per image, 3 × 32 × 32 = 3072.</summary>
    public const int ImageSize = Channels * Height * Width;

    /// <summary>Bytes per record: the label byte and the 3072 pixel bytes.</summary>
    public const int RecordSize = 1 + ImageSize;

    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>Number of training files (<c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>).</summary>
    public const int TrainingFiles = 5;

    /// <summary>The test file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>The class names file.</summary>
    public const string MetaFile = "batches.meta.txt";

    /// <summary>Environment variable naming a directory with the CIFAR-10 files; checked by <see cref="TryFindDirectory"/>.</summary>
    public const string EnvironmentVariable = "NETGEN_CIFAR10_DIR";

    /// <summary>The class names of the original <c>batches.meta.txt</c>, used when the file is absent.</summary>
    public static IReadOnlyList<string> DefaultClassNames { get; } =
        new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    /// <summary>The name of training file <paramref name="index"/> (1 to 5): <c>data_batch_{index}.bin</c>.</summary>
    /// <param name="index">1 to <see cref="TrainingFiles"/>.</param>
    /// <returns>The file name.</returns>
    public static string TrainingFile(int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, TrainingFiles);
        return $"data_batch_{index}.bin";
    }

    /// <summary>
    /// Reads the five training files, the test file and (when present) <c>batches.meta.txt</c> from
    /// <paramref name="directory"/>, or from its <c>cifar-10-batches-bin</c> subfolder where the archive was unpacked.
    /// </summary>
    /// <param name="directory">The folder holding the files.</param>
    /// <returns>The training set (the five files in order) and the test set.</returns>
    /// <exception cref="FileNotFoundException">A data file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is truncated, holds a label above 9, or the names file does not name 10 classes.</exception>
    public static Cifar10Dataset Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string folder = Resolve(directory);
        var parts = new InMemoryDataset[TrainingFiles];
        long rows = 0;
        for (int i = 0; i < TrainingFiles; i++)
        {
            parts[i] = ReadBatch(Require(folder, TrainingFile(i + 1)));
            rows += parts[i].Count;
        }
        if (rows * ImageSize > Array.MaxLength)
        {
            throw new InvalidDataException($"The CIFAR-10 training files in '{folder}' hold {rows} records, more than one array can hold.");
        }

        var features = new float[rows * ImageSize];
        var labels = new int[rows];
        int at = 0;
        foreach (InMemoryDataset part in parts)
        {
            part.Features.CopyTo(features, (long)at * ImageSize);
            part.Labels.CopyTo(labels, at);
            at += part.Count;
        }

        InMemoryDataset test = ReadBatch(Require(folder, TestFile));
        string meta = Path.Combine(folder, MetaFile);
        IReadOnlyList<string> names = File.Exists(meta) ? ReadClassNames(meta) : DefaultClassNames;
        return new Cifar10Dataset(new InMemoryDataset(features, labels, ImageSize), test, names);
    }

    /// <summary>Reads one binary batch file (e.g. <c>data_batch_1.bin</c>, 10000 records).</summary>
    /// <param name="path">The file.</param>
    /// <returns>Its records as [records, 3, 32, 32] rows scaled to [0, 1] and their labels.</returns>
    /// <exception cref="InvalidDataException">The file is empty, truncated or holds a label above 9.</exception>
    public static InMemoryDataset ReadBatch(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream file = File.OpenRead(path);
        return ReadBatch(file, Path.GetFileName(path));
    }

    /// <summary>Reads the records of one binary batch from a stream, to its end.</summary>
    /// <param name="stream">The stream, positioned at the first record; it is not closed.</param>
    /// <param name="name">The file name used in error messages.</param>
    /// <returns>The records as [records, 3, 32, 32] rows scaled to [0, 1] and their labels.</returns>
    /// <exception cref="InvalidDataException">The stream is empty, ends inside a record, or holds a label above 9.</exception>
    public static InMemoryDataset ReadBatch(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        byte[] bytes;
        using (var copy = new MemoryStream(stream.CanSeek ? (int)Math.Min(stream.Length - stream.Position, Array.MaxLength) : 0))
        {
            stream.CopyTo(copy);
            bytes = copy.Length == copy.Capacity ? copy.GetBuffer() : copy.ToArray();
        }

        long records = bytes.Length / RecordSize;
        int rest = bytes.Length % RecordSize;
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"CIFAR-10 file '{name}' is empty: a batch file holds records of {RecordSize} bytes.");
        }
        if (rest != 0)
        {
            throw new InvalidDataException(
                $"CIFAR-10 file '{name}' is truncated: record {records} has {rest} of its {RecordSize} bytes " +
                $"(1 label byte + {ImageSize} pixel bytes) after {records} whole records.");
        }
        if (records * ImageSize > Array.MaxLength)
        {
            throw new InvalidDataException($"CIFAR-10 file '{name}' holds {records} records, more than one array can hold.");
        }

        var rows = new float[records * ImageSize];
        var labels = new int[records];
        for (int r = 0; r < records; r++)
        {
            ReadOnlySpan<byte> record = bytes.AsSpan(r * RecordSize, RecordSize);
            int label = record[0];
            if (label >= Classes)
            {
                throw new InvalidDataException($"CIFAR-10 file '{name}': record {r} (byte offset {(long)r * RecordSize}) has label {label}; labels are 0–9.");
            }
            labels[r] = label;

            // Pixels as torchvision's ToTensor: byte / 255 in float; the file order is already [3, 32, 32].
            Span<float> image = rows.AsSpan(r * ImageSize, ImageSize);
            ReadOnlySpan<byte> pixels = record.Slice(1);
            for (int p = 0; p < ImageSize; p++)
            {
                image[p] = pixels[p] / 255f;
            }
        }
        return new InMemoryDataset(rows, labels, ImageSize);
    }

    /// <summary>Reads <c>batches.meta.txt</c>: the 10 class names, one a line, in label order (blank lines ignored).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The 10 names.</returns>
    /// <exception cref="InvalidDataException">The file does not hold exactly 10 non-blank lines.</exception>
    public static IReadOnlyList<string> ReadClassNames(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var names = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            string trimmed = line.Trim();
            if (trimmed.Length > 0)
            {
                names.Add(trimmed);
            }
        }
        if (names.Count != Classes)
        {
            throw new InvalidDataException($"CIFAR-10 file '{Path.GetFileName(path)}' names {names.Count} classes; expected {Classes}, one a line.");
        }
        return names.ToArray();
    }

    /// <summary>
    /// Looks for a directory with the CIFAR-10 files: <c>$NETGEN_CIFAR10_DIR</c>, then <paramref name="candidates"/> in
    /// order; each may hold the files or a <c>cifar-10-batches-bin</c> subfolder with them.
    /// </summary>
    /// <param name="directory">The folder holding the files, or <see langword="null"/>.</param>
    /// <param name="candidates">Further folders to try.</param>
    /// <returns><see langword="true"/> when a folder with <c>data_batch_1.bin</c> was found.</returns>
    public static bool TryFindDirectory([NotNullWhen(true)] out string? directory, params string[] candidates)
    {
        var all = new List<string>();
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            all.Add(fromEnvironment);
        }
        all.AddRange(candidates ?? Array.Empty<string>());
        foreach (string candidate in all)
        {
            string folder = Resolve(candidate);
            if (File.Exists(Path.Combine(folder, TrainingFile(1))))
            {
                directory = Path.GetFullPath(folder);
                return true;
            }
        }
        directory = null;
        return false;
    }

    // The folder itself, or its cifar-10-batches-bin subfolder when only that holds the files.
    private static string Resolve(string directory)
    {
        string nested = Path.Combine(directory, "cifar-10-batches-bin");
        return !File.Exists(Path.Combine(directory, TrainingFile(1))) && File.Exists(Path.Combine(nested, TrainingFile(1)))
            ? nested
            : directory;
    }

    private static string Require(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"CIFAR-10 file '{name}' not found in '{folder}' (the binary version, cifar-10-binary.tar.gz, unpacked).", path);
    }
}
