using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen.Data;

/// <summary>
/// <c>y = (x − μ) / σ</c>: zero mean and unit standard deviation per feature (or per channel for image rows
/// <c>[C, H, W]</c>), with <c>μ</c> and <c>σ</c> those of the training data. Fitted once on the training set by
/// <see cref="Fit(ReadOnlySpan{float}, int)"/> and then applied, unchanged, to the training, validation and test sets.
/// </summary>
/// <remarks>
/// The CS231n notes (Neural Networks Part 2, data preprocessing), normalisation: <c>X -= np.mean(X, axis=0);
/// X /= np.std(X, axis=0)</c>. <c>σ</c> is the population standard deviation (NumPy's default ddof = 0,
/// <c>√(Σ (x − μ)² / n)</c>), computed in double in two passes. A feature (or channel) whose σ is 0 is constant in the
/// training data: it is only centred (divided by 1, as scikit-learn's StandardScaler does), so it is 0 on the training
/// data and <c>x − μ</c> elsewhere. The object is immutable: nothing refits it.
/// </remarks>
public sealed class Standardizer
{
    /// <summary>The <c>netgen.preprocessing</c> metadata of a saved standardization.</summary>
    public const string Kind = "standardization";

    private readonly int[] _rowShape;
    private readonly double[] _mean;
    private readonly double[] _std;
    private readonly double[] _scale;

    private Standardizer(int[] rowShape, double[] mean, double[] std)
    {
        _rowShape = rowShape;
        _mean = mean;
        _std = std;
        _scale = new double[std.Length];
        for (int g = 0; g < std.Length; g++)
        {
            _scale[g] = std[g] > 0 ? 1.0 / std[g] : 1.0;
        }
    }

    /// <summary>Fits the per-feature mean and standard deviation of the training rows.</summary>
    /// <param name="rows">Training data, row-major [rows, features], at least one row, finite.</param>
    /// <param name="features">Features per row, &gt; 0.</param>
    /// <returns>The fitted transform.</returns>
    public static Standardizer Fit(ReadOnlySpan<float> rows, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        return Fit(rows, new[] { features });
    }

    /// <summary>Fits the per-channel mean and standard deviation of training images, each row a <c>[C, H, W]</c> image.</summary>
    /// <param name="rows">Training images, row-major [rows, C·H·W], at least one row, finite.</param>
    /// <param name="channels">C, &gt; 0.</param>
    /// <param name="height">H, &gt; 0.</param>
    /// <param name="width">W, &gt; 0.</param>
    /// <returns>The fitted transform, one mean and σ per channel.</returns>
    public static Standardizer Fit(ReadOnlySpan<float> rows, int channels, int height, int width) =>
        Fit(rows, Preprocessing.ImageShape(channels, height, width));

    /// <summary>Fits on a training dataset of <c>[C, H, W]</c> images (per channel).</summary>
    /// <param name="training">The training set, C·H·W features per row.</param>
    /// <param name="channels">C, &gt; 0.</param>
    /// <param name="height">H, &gt; 0.</param>
    /// <param name="width">W, &gt; 0.</param>
    /// <returns>The fitted transform, one mean and σ per channel.</returns>
    public static Standardizer Fit(InMemoryDataset training, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, channels, height, width);
    }

    /// <summary>Fits on a training dataset's features (per feature).</summary>
    /// <param name="training">The training set.</param>
    /// <returns>The fitted transform.</returns>
    public static Standardizer Fit(InMemoryDataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, training.FeatureCount);
    }

    private static Standardizer Fit(ReadOnlySpan<float> rows, int[] rowShape)
    {
        int groups = Preprocessing.Groups(rowShape), groupSize = Preprocessing.GroupSize(rowShape);
        Preprocessing.CheckTrainingRows(rows, groups * groupSize, nameof(rows));
        double[] mean = Preprocessing.Mean(rows, groups, groupSize);
        return new Standardizer(rowShape, mean, Preprocessing.Std(rows, mean, groupSize));
    }

    /// <summary>Values per row: the features, or C·H·W.</summary>
    public int Features => Preprocessing.Groups(_rowShape) * Preprocessing.GroupSize(_rowShape);

    /// <summary>The row shape fitted on: <c>[features]</c> or <c>[C, H, W]</c>.</summary>
    public ReadOnlySpan<int> RowShape => _rowShape;

    /// <summary>The training mean, one per feature (or per channel).</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>The training population standard deviation (ddof = 0), one per feature (or per channel); 0 for a
    /// constant one.</summary>
    public ReadOnlySpan<double> Std => _std;

    /// <summary>Writes <c>(x − μ) / σ</c> (<c>x − μ</c> where σ = 0) for every row; the fitted statistics are not changed.</summary>
    /// <param name="input">Rows of <see cref="Features"/> finite values.</param>
    /// <param name="output">As many values as <paramref name="input"/>; may be <paramref name="input"/> itself (in place).</param>
    public void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Preprocessing.ApplyAffine(input, output, _rowShape, _mean, _scale);

    /// <summary>Returns a transformed copy of <paramref name="data"/> (labels copied).</summary>
    /// <param name="data">A dataset with <see cref="Features"/> features per row.</param>
    /// <returns>The transformed dataset.</returns>
    public InMemoryDataset Apply(InMemoryDataset data) => Preprocessing.ApplyToDataset(data, Features, Features, Apply);

    /// <summary>Saves the statistics as safetensors: <c>mean</c> and <c>std</c> (F64 [groups]) and <c>row_shape</c> (I64), metadata
    /// <c>netgen.preprocessing = standardization</c>.</summary>
    /// <param name="stream">A writable stream; not closed.</param>
    public void Save(Stream stream) => Writer().WriteTo(stream);

    /// <summary>Saves to <paramref name="path"/>, replacing it.</summary>
    /// <param name="path">File path.</param>
    public void Save(string path) => Preprocessing.Save(Writer(), path);

    /// <summary>Loads a saved standardization. A file of another kind, a missing tensor, a wrong shape or dtype, or a
    /// non-finite value throws <see cref="InvalidDataException"/> naming the key.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The transform as saved.</returns>
    public static Standardizer Load(Stream stream) => Load(Preprocessing.Open(stream, Kind));

    /// <summary>Loads a saved standardization from <paramref name="path"/>; see <see cref="Load(Stream)"/>.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The transform as saved.</returns>
    public static Standardizer Load(string path) => Load(Preprocessing.Open(path, Kind));

    private static Standardizer Load(SafeTensorsFile file)
    {
        int[] rowShape = Preprocessing.ReadRowShape(file, imagesAllowed: true);
        int[] shape = { Preprocessing.Groups(rowShape) };
        double[] mean = Preprocessing.ReadF64(file, "mean", shape);
        double[] std = Preprocessing.ReadF64(file, "std", shape, nonNegative: true);
        return new Standardizer(rowShape, mean, std);
    }

    private SafeTensorsWriter Writer()
    {
        SafeTensorsWriter writer = Preprocessing.Writer(Kind, _rowShape);
        writer.Add("mean", new[] { _mean.Length }, _mean);
        writer.Add("std", new[] { _std.Length }, _std);
        return writer;
    }
}
