using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen.Data;

/// <summary>
/// <c>y = 2·(x − min) / (max − min) − 1</c>: scales each feature (or channel of image rows <c>[C, H, W]</c>) so that
/// the training data spans [−1, 1]. Fitted once on the training set by <see cref="Fit(ReadOnlySpan{float}, int)"/> and
/// then applied, unchanged, to the training, validation and test sets.
/// </summary>
/// <remarks>
/// The CS231n notes (Neural Networks Part 2, data preprocessing): normalising so that the minimum and maximum along each
/// dimension are −1 and 1, for features of different scales. Computed as <c>(x − (min + max)/2) · 2/(max − min)</c> in
/// double. A feature constant in the training data (max = min) maps to 0. Values outside the training range map
/// outside [−1, 1]: they are not clipped. The object is immutable: nothing refits it.
/// </remarks>
public sealed class MinMaxScaler
{
    /// <summary>The <c>netgen.preprocessing</c> metadata of a saved min-max scaling.</summary>
    public const string Kind = "min_max_scaling";

    private readonly int[] _rowShape;
    private readonly double[] _min;
    private readonly double[] _max;
    private readonly double[] _mid;
    private readonly double[] _scale;

    private MinMaxScaler(int[] rowShape, double[] min, double[] max)
    {
        _rowShape = rowShape;
        _min = min;
        _max = max;
        _mid = new double[min.Length];
        _scale = new double[min.Length];
        for (int g = 0; g < min.Length; g++)
        {
            _mid[g] = (min[g] + max[g]) / 2;
            _scale[g] = max[g] > min[g] ? 2.0 / (max[g] - min[g]) : 0.0;
        }
    }

    /// <summary>Fits the per-feature minimum and maximum of the training rows.</summary>
    /// <param name="rows">Training data, row-major [rows, features], at least one row, finite.</param>
    /// <param name="features">Features per row, &gt; 0.</param>
    /// <returns>The fitted transform.</returns>
    public static MinMaxScaler Fit(ReadOnlySpan<float> rows, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        return Fit(rows, new[] { features });
    }

    /// <summary>Fits the per-channel minimum and maximum of training images, each row a <c>[C, H, W]</c> image.</summary>
    /// <param name="rows">Training images, row-major [rows, C·H·W], at least one row, finite.</param>
    /// <param name="channels">C, &gt; 0.</param>
    /// <param name="height">H, &gt; 0.</param>
    /// <param name="width">W, &gt; 0.</param>
    /// <returns>The fitted transform, one range per channel.</returns>
    public static MinMaxScaler Fit(ReadOnlySpan<float> rows, int channels, int height, int width) =>
        Fit(rows, Preprocessing.ImageShape(channels, height, width));

    /// <summary>Fits on a training dataset's features (per feature).</summary>
    /// <param name="training">The training set.</param>
    /// <returns>The fitted transform.</returns>
    public static MinMaxScaler Fit(InMemoryDataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, training.FeatureCount);
    }

    private static MinMaxScaler Fit(ReadOnlySpan<float> rows, int[] rowShape)
    {
        int groups = Preprocessing.Groups(rowShape), groupSize = Preprocessing.GroupSize(rowShape);
        Preprocessing.CheckTrainingRows(rows, groups * groupSize, nameof(rows));
        (double[] min, double[] max) = Preprocessing.Range(rows, groups, groupSize);
        return new MinMaxScaler(rowShape, min, max);
    }

    /// <summary>Values per row: the features, or C·H·W.</summary>
    public int Features => Preprocessing.Groups(_rowShape) * Preprocessing.GroupSize(_rowShape);

    /// <summary>The row shape fitted on: <c>[features]</c> or <c>[C, H, W]</c>.</summary>
    public ReadOnlySpan<int> RowShape => _rowShape;

    /// <summary>The training minimum, one per feature (or per channel).</summary>
    public ReadOnlySpan<double> Min => _min;

    /// <summary>The training maximum, one per feature (or per channel).</summary>
    public ReadOnlySpan<double> Max => _max;

    /// <summary>Writes <c>2·(x − min)/(max − min) − 1</c> (0 where max = min) for every row; the fitted statistics are not changed.</summary>
    /// <param name="input">Rows of <see cref="Features"/> finite values.</param>
    /// <param name="output">As many values as <paramref name="input"/>; may be <paramref name="input"/> itself (in place).</param>
    public void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Preprocessing.ApplyAffine(input, output, _rowShape, _mid, _scale);

    /// <summary>Returns a transformed copy of <paramref name="data"/> (labels copied).</summary>
    /// <param name="data">A dataset with <see cref="Features"/> features per row.</param>
    /// <returns>The transformed dataset.</returns>
    public InMemoryDataset Apply(InMemoryDataset data) => Preprocessing.ApplyToDataset(data, Features, Features, Apply);

    /// <summary>Saves the statistics as safetensors: <c>min</c> and <c>max</c> (F64 [groups]) and <c>row_shape</c> (I64), metadata
    /// <c>netgen.preprocessing = min_max_scaling</c>.</summary>
    /// <param name="stream">A writable stream; not closed.</param>
    public void Save(Stream stream) => Writer().WriteTo(stream);

    /// <summary>Saves to <paramref name="path"/>, replacing it.</summary>
    /// <param name="path">File path.</param>
    public void Save(string path) => Preprocessing.Save(Writer(), path);

    /// <summary>Loads a saved min-max scaling. A file of another kind, a missing tensor, a wrong shape or dtype, or a
    /// non-finite value throws <see cref="InvalidDataException"/> naming the key.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The transform as saved.</returns>
    public static MinMaxScaler Load(Stream stream) => Load(Preprocessing.Open(stream, Kind));

    /// <summary>Loads a saved min-max scaling from <paramref name="path"/>; see <see cref="Load(Stream)"/>.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The transform as saved.</returns>
    public static MinMaxScaler Load(string path) => Load(Preprocessing.Open(path, Kind));

    private static MinMaxScaler Load(SafeTensorsFile file)
    {
        int[] rowShape = Preprocessing.ReadRowShape(file, imagesAllowed: true);
        int[] shape = { Preprocessing.Groups(rowShape) };
        double[] min = Preprocessing.ReadF64(file, "min", shape);
        double[] max = Preprocessing.ReadF64(file, "max", shape);
        for (int g = 0; g < min.Length; g++)
        {
            if (!(max[g] >= min[g]))
            {
                throw new InvalidDataException($"tensor 'max'[{g}] is {max[g]}, below 'min'[{g}] = {min[g]}.");
            }
        }
        return new MinMaxScaler(rowShape, min, max);
    }

    private SafeTensorsWriter Writer()
    {
        SafeTensorsWriter writer = Preprocessing.Writer(Kind, _rowShape);
        writer.Add("min", new[] { _min.Length }, _min);
        writer.Add("max", new[] { _max.Length }, _max);
        return writer;
    }
}
