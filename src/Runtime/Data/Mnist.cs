using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;

namespace NetGen.Data;

/// <summary>The MNIST training and test sets: 28×28 pixels scaled to [0, 1], labels 0–9.</summary>
public sealed class MnistDataset
{
    /// <summary>Wraps the four arrays (not copied).</summary>
    /// <param name="trainImages">[trainCount, 784] pixels in [0, 1].</param>
    /// <param name="trainLabels">[trainCount] labels.</param>
    /// <param name="testImages">[testCount, 784] pixels in [0, 1].</param>
    /// <param name="testLabels">[testCount] labels.</param>
    public MnistDataset(float[] trainImages, int[] trainLabels, float[] testImages, int[] testLabels)
    {
        Train = new InMemoryDataset(trainImages, trainLabels, Mnist.ImageSize);
        Test = new InMemoryDataset(testImages, testLabels, Mnist.ImageSize);
    }

    /// <summary>Training images, row-major [TrainCount, 784], pixel / 255.</summary>
    public float[] TrainImages => Train.Features;

    /// <summary>Training labels, [TrainCount].</summary>
    public int[] TrainLabels => Train.Labels;

    /// <summary>Test images, row-major [TestCount, 784], pixel / 255.</summary>
    public float[] TestImages => Test.Features;

    /// <summary>Test labels, [TestCount].</summary>
    public int[] TestLabels => Test.Labels;

    /// <summary>Number of training examples (60000 for the original files).</summary>
    public int TrainCount => Train.Count;

    /// <summary>Number of test examples (10000 for the original files).</summary>
    public int TestCount => Test.Count;

    /// <summary>The training set as a dataset (same arrays).</summary>
    public InMemoryDataset Train { get; }

    /// <summary>The test set as a dataset (same arrays).</summary>
    public InMemoryDataset Test { get; }
}

/// <summary>
/// Loads MNIST from the four original IDX files, gzip-compressed (<c>train-images-idx3-ubyte.gz</c>) or not
/// (<c>train-images-idx3-ubyte</c>, also <c>train-images.idx3-ubyte</c>).
/// </summary>
public static class Mnist
{
    /// <summary>Pixels per image, 28 × 28.</summary>
    public const int ImageSize = Rows * Columns;

    /// <summary>Image height.</summary>
    public const int Rows = 28;

    /// <summary>Image width.</summary>
    public const int Columns = 28;

    /// <summary>Number of classes (digits 0–9).</summary>
    public const int Classes = 10;

    /// <summary>Environment variable naming a directory with the MNIST files; checked first by <see cref="TryFindDirectory"/>.</summary>
    public const string EnvironmentVariable = "NETGEN_MNIST_DIR";

    private const string TrainImagesFile = "train-images-idx3-ubyte";
    private const string TrainLabelsFile = "train-labels-idx1-ubyte";
    private const string TestImagesFile = "t10k-images-idx3-ubyte";
    private const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>Reads and checks the four MNIST files in <paramref name="directory"/>; pixels become <c>byte / 255f</c>.</summary>
    /// <param name="directory">The directory that holds the files.</param>
    /// <returns>The training and test sets.</returns>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or images and labels disagree.</exception>
    public static MnistDataset Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        (float[] trainImages, int[] trainLabels) = LoadSet(directory, TrainImagesFile, TrainLabelsFile);
        (float[] testImages, int[] testLabels) = LoadSet(directory, TestImagesFile, TestLabelsFile);
        return new MnistDataset(trainImages, trainLabels, testImages, testLabels);
    }

    /// <summary>
    /// Looks for a directory with the MNIST files: first <c>$NETGEN_MNIST_DIR</c>, then, walking up from
    /// <paramref name="startDirectory"/> (default: <see cref="AppContext.BaseDirectory"/>), <c>data/mnist</c> under each
    /// ancestor, then <c>data/mnist</c> under each ancestor's subfolders (a data folder kept beside a clone rather than
    /// in it), in ordinal order. The file-system root's subfolders are not searched.
    /// </summary>
    /// <param name="directory">The directory found, or <see langword="null"/>.</param>
    /// <param name="startDirectory">Where the upward search starts.</param>
    /// <returns><see langword="true"/> when a directory with the training images was found.</returns>
    public static bool TryFindDirectory([NotNullWhen(true)] out string? directory, string? startDirectory = null)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment) && HasFiles(fromEnvironment))
        {
            directory = Path.GetFullPath(fromEnvironment);
            return true;
        }

        for (DirectoryInfo? current = new(startDirectory ?? AppContext.BaseDirectory); current is not null; current = current.Parent)
        {
            string candidate = Path.Combine(current.FullName, "data", "mnist");
            if (HasFiles(candidate))
            {
                directory = candidate;
                return true;
            }

            if (current.Parent is null)
            {
                break;
            }

            foreach (string sibling in Subfolders(current.FullName))
            {
                candidate = Path.Combine(sibling, "data", "mnist");
                if (HasFiles(candidate))
                {
                    directory = candidate;
                    return true;
                }
            }
        }

        directory = null;
        return false;
    }

    private static string[] Subfolders(string directory)
    {
        try
        {
            string[] folders = Directory.GetDirectories(directory);
            Array.Sort(folders, StringComparer.Ordinal);
            return folders;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool HasFiles(string directory) =>
        Directory.Exists(directory) && FindFile(directory, TrainImagesFile) is not null;

    private static string? FindFile(string directory, string baseName)
    {
        // train-images-idx3-ubyte.gz, train-images-idx3-ubyte, and the dotted spelling train-images.idx3-ubyte(.gz).
        int dash = baseName.LastIndexOf("-idx", StringComparison.Ordinal);
        string dotted = string.Concat(baseName.AsSpan(0, dash), ".", baseName.AsSpan(dash + 1));
        foreach (string name in (ReadOnlySpan<string>)[baseName + ".gz", baseName, dotted + ".gz", dotted])
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }

    private static (float[] Images, int[] Labels) LoadSet(string directory, string imagesName, string labelsName)
    {
        string imagesPath = FindFile(directory, imagesName)
            ?? throw new FileNotFoundException($"MNIST file '{imagesName}' (or '{imagesName}.gz') not found in '{directory}'.", Path.Combine(directory, imagesName));
        string labelsPath = FindFile(directory, labelsName)
            ?? throw new FileNotFoundException($"MNIST file '{labelsName}' (or '{labelsName}.gz') not found in '{directory}'.", Path.Combine(directory, labelsName));

        IdxArray images = Idx.Read(imagesPath);
        IdxArray labels = Idx.Read(labelsPath);
        if (images.Rank != 3 || images.Dimensions[1] != Rows || images.Dimensions[2] != Columns)
        {
            throw new InvalidDataException($"MNIST images '{Path.GetFileName(imagesPath)}' have shape [{string.Join(", ", images.Dimensions.ToArray())}]; expected [N, 28, 28].");
        }
        if (labels.Rank != 1)
        {
            throw new InvalidDataException($"MNIST labels '{Path.GetFileName(labelsPath)}' have {labels.Rank} dimensions; expected 1.");
        }
        if (labels.Dimensions[0] != images.Dimensions[0])
        {
            throw new InvalidDataException($"MNIST '{Path.GetFileName(imagesPath)}' has {images.Dimensions[0]} images but '{Path.GetFileName(labelsPath)}' has {labels.Dimensions[0]} labels.");
        }

        // Pixels as torchvision's ToTensor: byte / 255 in float.
        byte[] pixels = images.Data;
        var scaled = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            scaled[i] = pixels[i] / 255f;
        }

        var classes = new int[labels.Data.Length];
        for (int i = 0; i < classes.Length; i++)
        {
            int label = labels.Data[i];
            if (label >= Classes)
            {
                throw new InvalidDataException($"MNIST labels '{Path.GetFileName(labelsPath)}': label {label} at index {i} is not a digit 0–9.");
            }
            classes[i] = label;
        }
        return (scaled, classes);
    }
}
