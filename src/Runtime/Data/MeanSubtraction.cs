using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen.Data;

/// <summary>
/// <c>y = x − μ</c>, with <c>μ</c> the mean of the training data per feature, or per channel for image rows
/// <c>[C, H, W]</c>. Fitted once on the training set by <see cref="Fit(ReadOnlySpan{float}, int)"/> and then applied,
/// unchanged, to the training, validation and test sets.
/// </summary>
/// <remarks>
/// The CS231n notes (Neural Networks Part 2, data preprocessing): <c>X -= np.mean(X, axis=0)</c>, the statistic
/// "computed only on the training data, then applied to the validation / test data". Per channel for images: the mean
/// over rows, height and width of each channel. The mean is summed in double. The object is immutable: nothing refits it.
/// </remarks>
public sealed class MeanSubtraction
{
    /// <summary>The <c>netgen.preprocessing</c> metadata of a saved mean subtraction.</summary>
    public const string Kind = "mean_subtraction";

    private readonly int[] _rowShape;
    private readonly double[] _mean;
    private readonly double[] _one;

    private MeanSubtraction(int[] rowShape, double[] mean)
    {
        _rowShape = rowShape;
        _mean = mean;
        _one = new double[mean.Length];
        _one.AsSpan().Fill(1.0);
    }

    /// <summary>Fits the per-feature mean of the training rows.</summary>
    /// <param name="rows">Training data, row-major [rows, features], at least one row, finite.</param>
    /// <param name="features">Features per row, &gt; 0.</param>
    /// <returns>The fitted transform.</returns>
    public static MeanSubtraction Fit(ReadOnlySpan<float> rows, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        return Fit(rows, new[] { features });
    }

    /// <summary>Fits the per-channel mean of training images, each row a <c>[C, H, W]</c> image.</summary>
    /// <param name="rows">Training images, row-major [rows, C·H·W], at least one row, finite.</param>
    /// <param name="channels">C, &gt; 0.</param>
    /// <param name="height">H, &gt; 0.</param>
    /// <param name="width">W, &gt; 0.</param>
    /// <returns>The fitted transform, one mean per channel.</returns>
    public static MeanSubtraction Fit(ReadOnlySpan<float> rows, int channels, int height, int width) =>
        Fit(rows, Preprocessing.ImageShape(channels, height, width));

    /// <summary>Fits on a training dataset of <c>[C, H, W]</c> images (per channel).</summary>
    /// <param name="training">The training set, C·H·W features per row.</param>
    /// <param name="channels">C, &gt; 0.</param>
    /// <param name="height">H, &gt; 0.</param>
    /// <param name="width">W, &gt; 0.</param>
    /// <returns>The fitted transform, one mean per channel.</returns>
    public static MeanSubtraction Fit(InMemoryDataset training, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, channels, height, width);
    }

    /// <summary>Fits on a training dataset's features (per feature).</summary>
    /// <param name="training">The training set.</param>
    /// <returns>The fitted transform.</returns>
    public static MeanSubtraction Fit(InMemoryDataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, training.FeatureCount);
    }

    private static MeanSubtraction Fit(ReadOnlySpan<float> rows, int[] rowShape)
    {
        int groups = Preprocessing.Groups(rowShape), groupSize = Preprocessing.GroupSize(rowShape);
        Preprocessing.CheckTrainingRows(rows, groups * groupSize, nameof(rows));
        return new MeanSubtraction(rowShape, Preprocessing.Mean(rows, groups, groupSize));
    }

    /// <summary>Values per row: the features, or C·H·W.</summary>
    public int Features => Preprocessing.Groups(_rowShape) * Preprocessing.GroupSize(_rowShape);

    /// <summary>The row shape fitted on: <c>[features]</c> or <c>[C, H, W]</c>.</summary>
    public ReadOnlySpan<int> RowShape => _rowShape;

    /// <summary>The training mean, one per feature (or per channel).</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Writes <c>x − μ</c> for every row; the fitted statistics are not changed.</summary>
    /// <param name="input">Rows of <see cref="Features"/> finite values.</param>
    /// <param name="output">As many values as <paramref name="input"/>; may be <paramref name="input"/> itself (in place).</param>
    public void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Preprocessing.ApplyAffine(input, output, _rowShape, _mean, _one);

    /// <summary>Returns a transformed copy of <paramref name="data"/> (labels copied).</summary>
    /// <param name="data">A dataset with <see cref="Features"/> features per row.</param>
    /// <returns>The transformed dataset.</returns>
    public InMemoryDataset Apply(InMemoryDataset data) => Preprocessing.ApplyToDataset(data, Features, Features, Apply);

    /// <summary>Saves the statistics as safetensors: <c>mean</c> (F64 [groups]) and <c>row_shape</c> (I64), metadata
    /// <c>netgen.preprocessing = mean_subtraction</c>.</summary>
    /// <param name="stream">A writable stream; not closed.</param>
    public void Save(Stream stream) => Writer().WriteTo(stream);

    /// <summary>Saves to <paramref name="path"/>, replacing it.</summary>
    /// <param name="path">File path.</param>
    public void Save(string path) => Preprocessing.Save(Writer(), path);

    /// <summary>Loads a saved mean subtraction. A file of another kind, a missing tensor, a wrong shape or dtype, or a
    /// non-finite value throws <see cref="InvalidDataException"/> naming the key.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The transform as saved.</returns>
    public static MeanSubtraction Load(Stream stream) => Load(Preprocessing.Open(stream, Kind));

    /// <summary>Loads a saved mean subtraction from <paramref name="path"/>; see <see cref="Load(Stream)"/>.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The transform as saved.</returns>
    public static MeanSubtraction Load(string path) => Load(Preprocessing.Open(path, Kind));

    private static MeanSubtraction Load(SafeTensorsFile file)
    {
        int[] rowShape = Preprocessing.ReadRowShape(file, imagesAllowed: true);
        double[] mean = Preprocessing.ReadF64(file, "mean", new[] { Preprocessing.Groups(rowShape) });
        return new MeanSubtraction(rowShape, mean);
    }

    private SafeTensorsWriter Writer()
    {
        SafeTensorsWriter writer = Preprocessing.Writer(Kind, _rowShape);
        writer.Add("mean", new[] { _mean.Length }, _mean);
        return writer;
    }
}
