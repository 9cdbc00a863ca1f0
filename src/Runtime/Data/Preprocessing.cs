using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen.Data;

/// <summary>
/// What the fitted transforms share: argument checks, per-group statistics in double, the covariance, and the
/// safetensors layout of a fitted transform (a <c>netgen.preprocessing</c> metadata entry naming the kind, an I64
/// tensor <c>row_shape</c>, then the statistics as F64 tensors).
/// </summary>
/// <remarks>
/// A row is <c>groups × groupSize</c> floats. Per-feature statistics have one group per feature (<c>groupSize = 1</c>);
/// per-channel statistics of an image row <c>[C, H, W]</c> have <c>C</c> groups of <c>H·W</c> contiguous values.
/// </remarks>
internal static class Preprocessing
{
    /// <summary>The metadata key whose value names the transform kind of a saved file.</summary>
    public const string KindKey = "netgen.preprocessing";

    /// <summary>The I64 tensor holding the row shape: <c>[features]</c>, or <c>[C, H, W]</c> for per-channel statistics.</summary>
    public const string RowShapeKey = "row_shape";

    /// <summary>The ε of the whitening transforms when the caller gives none (the CS231n notes' 1e-5).</summary>
    public const double DefaultEpsilon = 1e-5;

    // ------------------------------------------------------------------------------------------------ checks

    /// <summary>Checks a training set of <c>rowLength</c>-float rows: at least one row, whole rows, finite values.</summary>
    /// <returns>The number of rows.</returns>
    public static int CheckTrainingRows(ReadOnlySpan<float> rows, int rowLength, string rowsName)
    {
        if (rows.IsEmpty)
        {
            throw new ArgumentException("There are no rows to fit on: a transform is fitted on the training set, which must have at least one row.", rowsName);
        }
        if (rows.Length % rowLength != 0)
        {
            throw new ArgumentException($"{rows.Length} values are not whole rows of {rowLength} features.", rowsName);
        }
        CheckFinite(rows, rowLength, rowsName);
        return rows.Length / rowLength;
    }

    /// <summary>Checks an <c>Apply</c>: whole input rows of <paramref name="inLength"/>, an output of the same rows of
    /// <paramref name="outLength"/>, finite input, and no overlap other than the output being the input itself.</summary>
    /// <returns>The number of rows.</returns>
    public static int CheckApply(ReadOnlySpan<float> input, Span<float> output, int inLength, int outLength)
    {
        if (input.Length % inLength != 0)
        {
            throw new ArgumentException($"{input.Length} values are not whole rows of the {inLength} features this transform was fitted on.", nameof(input));
        }
        int rows = input.Length / inLength;
        if (output.Length != (long)rows * outLength)
        {
            throw new ArgumentException($"The output has {output.Length} values; {rows} rows need {(long)rows * outLength} ({outLength} per row).", nameof(output));
        }
        if (input.Overlaps(output, out int offset) && offset != 0)
        {
            throw new ArgumentException("The output overlaps the input at another position; pass the input itself (in place) or a separate buffer.", nameof(output));
        }
        CheckFinite(input, inLength, nameof(input));
        return rows;
    }

    /// <summary>Throws naming the row and feature of the first NaN or infinity.</summary>
    public static void CheckFinite(ReadOnlySpan<float> values, int rowLength, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"{name}[row {i / rowLength}, feature {i % rowLength}] is {values[i]}; preprocessing needs finite values.", name);
            }
        }
    }

    /// <summary>Checks an image shape and returns it as a row shape <c>[C, H, W]</c>.</summary>
    public static int[] ImageShape(int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if ((long)channels * height * width > Array.MaxLength)
        {
            throw new ArgumentException($"An image of [{channels}, {height}, {width}] has more values than an array holds.", nameof(channels));
        }
        return new[] { channels, height, width };
    }

    /// <summary>The number of statistics groups of a row shape: its features, or the channels of <c>[C, H, W]</c>.</summary>
    public static int Groups(int[] rowShape) => rowShape[0];

    /// <summary>The values per group: 1 for features, <c>H·W</c> for an image.</summary>
    public static int GroupSize(int[] rowShape) => rowShape.Length == 3 ? rowShape[1] * rowShape[2] : 1;

    // ------------------------------------------------------------------------------------------------ statistics

    /// <summary>Per-group mean over every row, summed in double.</summary>
    public static double[] Mean(ReadOnlySpan<float> rows, int groups, int groupSize)
    {
        int rowLength = groups * groupSize;
        var sum = new double[groups];
        for (int start = 0; start < rows.Length; start += rowLength)
        {
            for (int g = 0; g < groups; g++)
            {
                ReadOnlySpan<float> block = rows.Slice(start + (g * groupSize), groupSize);
                double s = 0;
                foreach (float v in block)
                {
                    s += v;
                }
                sum[g] += s;
            }
        }
        double count = (double)(rows.Length / rowLength) * groupSize;
        for (int g = 0; g < groups; g++)
        {
            sum[g] /= count;
        }
        return sum;
    }

    /// <summary>Per-group population standard deviation (NumPy's default ddof = 0), two-pass in double:
    /// <c>√(Σ (x − μ)² / n)</c>.</summary>
    public static double[] Std(ReadOnlySpan<float> rows, ReadOnlySpan<double> mean, int groupSize)
    {
        int groups = mean.Length;
        int rowLength = groups * groupSize;
        var sum = new double[groups];
        for (int start = 0; start < rows.Length; start += rowLength)
        {
            for (int g = 0; g < groups; g++)
            {
                ReadOnlySpan<float> block = rows.Slice(start + (g * groupSize), groupSize);
                double m = mean[g], s = 0;
                foreach (float v in block)
                {
                    double d = v - m;
                    s += d * d;
                }
                sum[g] += s;
            }
        }
        double count = (double)(rows.Length / rowLength) * groupSize;
        for (int g = 0; g < groups; g++)
        {
            sum[g] = Math.Sqrt(sum[g] / count);
        }
        return sum;
    }

    /// <summary>Per-group minimum and maximum.</summary>
    public static (double[] Min, double[] Max) Range(ReadOnlySpan<float> rows, int groups, int groupSize)
    {
        int rowLength = groups * groupSize;
        var min = new double[groups];
        var max = new double[groups];
        min.AsSpan().Fill(double.PositiveInfinity);
        max.AsSpan().Fill(double.NegativeInfinity);
        for (int start = 0; start < rows.Length; start += rowLength)
        {
            for (int g = 0; g < groups; g++)
            {
                foreach (float v in rows.Slice(start + (g * groupSize), groupSize))
                {
                    min[g] = Math.Min(min[g], v);
                    max[g] = Math.Max(max[g], v);
                }
            }
        }
        return (min, max);
    }

    /// <summary>The covariance of the centred rows, <c>C = (X − μ)ᵀ(X − μ) / N</c> (divided by N as the CS231n notes
    /// do, NumPy's <c>np.cov(X, rowvar=False, ddof=0)</c>), [features, features] row-major, in double.</summary>
    public static double[] Covariance(ReadOnlySpan<float> rows, ReadOnlySpan<double> mean)
    {
        int n = mean.Length;
        var cov = new double[n * n];
        var centred = new double[n];
        int count = rows.Length / n;
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<float> row = rows.Slice(r * n, n);
            for (int f = 0; f < n; f++)
            {
                centred[f] = row[f] - mean[f];
            }
            for (int i = 0; i < n; i++)
            {
                double di = centred[i];
                Span<double> covRow = cov.AsSpan(i * n, n);
                for (int j = i; j < n; j++)
                {
                    covRow[j] += di * centred[j];
                }
            }
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double c = cov[(i * n) + j] / count;
                cov[(i * n) + j] = c;
                cov[(j * n) + i] = c;
            }
        }
        return cov;
    }

    /// <summary>The mean, and the eigen-decomposition of the covariance of the centred rows (see
    /// <see cref="SymmetricEigen"/> for the order and signs). Eigenvalues below 0 (round-off of a covariance that is
    /// positive semi-definite) are set to 0.</summary>
    public static (double[] Mean, double[] Eigenvalues, double[] Eigenvectors) FitEigen(ReadOnlySpan<float> rows, int features)
    {
        double[] mean = Mean(rows, features, 1);
        double[] covariance = Covariance(rows, mean);
        (double[] values, double[] vectors) = SymmetricEigen.Decompose(covariance, features);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Math.Max(values[i], 0.0);
        }
        return (mean, values, vectors);
    }

    /// <summary><c>λᵢ / Σⱼ λⱼ</c> for the first <paramref name="count"/> eigenvalues (0 when every eigenvalue is 0).</summary>
    public static double[] ExplainedVarianceRatio(ReadOnlySpan<double> eigenvalues, int count)
    {
        double total = 0;
        foreach (double value in eigenvalues)
        {
            total += value;
        }
        var ratio = new double[count];
        for (int i = 0; i < count; i++)
        {
            ratio[i] = total > 0 ? eigenvalues[i] / total : 0.0;
        }
        return ratio;
    }

    /// <summary>Reads the eigen-decomposition tensors of a saved PCA or ZCA: <c>mean</c> [F], <c>eigenvalues</c> [F]
    /// (≥ 0) and <c>components</c> [k, F] with 1 ≤ k ≤ F (k = F where <paramref name="full"/>).</summary>
    public static (int[] RowShape, double[] Mean, double[] Eigenvalues, double[] Components, int K) ReadEigen(SafeTensorsFile file, bool full)
    {
        int[] rowShape = ReadRowShape(file, imagesAllowed: false);
        int features = rowShape[0];
        double[] mean = ReadF64(file, "mean", new[] { features });
        double[] eigenvalues = ReadF64(file, "eigenvalues", new[] { features }, nonNegative: true);
        if (!file.Contains("components"))
        {
            throw new InvalidDataException("tensor 'components' is not in the file.");
        }
        int[] shape = file.GetShape("components");
        if (shape.Length != 2 || shape[1] != features || shape[0] < 1 || shape[0] > features || (full && shape[0] != features))
        {
            throw new InvalidDataException($"tensor 'components' has shape {SafeTensorsFile.Format(shape)}, expected {(full ? $"[{features}, {features}]" : $"[k, {features}] with 1 ≤ k ≤ {features}")}.");
        }
        double[] components = ReadF64(file, "components", shape);
        return (rowShape, mean, eigenvalues, components, shape[0]);
    }

    /// <summary><c>y[j] = Σ_f (x[f] − μ[f]) · M[j, f]</c> per row, with <c>M</c> [outLength, inLength] row-major, in
    /// double. Each row is read into a buffer before its output is written, so <paramref name="output"/> may be
    /// <paramref name="input"/> itself (in place, when outLength ≤ inLength).</summary>
    public static void ApplyLinear(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<double> mean, ReadOnlySpan<double> matrix, int outLength)
    {
        int inLength = mean.Length;
        int rows = CheckApply(input, output, inLength, outLength);
        Span<double> centred = inLength <= 512 ? stackalloc double[inLength] : new double[inLength];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = input.Slice(r * inLength, inLength);
            for (int f = 0; f < inLength; f++)
            {
                centred[f] = x[f] - mean[f];
            }
            Span<float> y = output.Slice(r * outLength, outLength);
            for (int j = 0; j < outLength; j++)
            {
                ReadOnlySpan<double> m = matrix.Slice(j * inLength, inLength);
                double sum = 0;
                for (int f = 0; f < inLength; f++)
                {
                    sum += centred[f] * m[f];
                }
                y[j] = (float)sum;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ apply

    /// <summary><c>y = (x − shift[g]) · scale[g]</c> for every value of group <c>g</c> of every row, in double, rounded
    /// once to float. Reads each value before writing it, so <paramref name="output"/> may be <paramref name="input"/>.</summary>
    public static void ApplyAffine(ReadOnlySpan<float> input, Span<float> output, int[] rowShape, double[] shift, double[] scale)
    {
        int groups = Groups(rowShape), groupSize = GroupSize(rowShape), rowLength = groups * groupSize;
        CheckApply(input, output, rowLength, rowLength);
        for (int start = 0; start < input.Length; start += rowLength)
        {
            for (int g = 0; g < groups; g++)
            {
                int offset = start + (g * groupSize);
                double m = shift[g], s = scale[g];
                for (int i = offset; i < offset + groupSize; i++)
                {
                    output[i] = (float)((input[i] - m) * s);
                }
            }
        }
    }

    /// <summary>Applies a transform to every row of a dataset, keeping its labels (copied).</summary>
    public static InMemoryDataset ApplyToDataset(InMemoryDataset data, int rowLength, int outLength, SpanApply apply)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != rowLength)
        {
            throw new ArgumentException($"The dataset has {data.FeatureCount} features per row; the transform was fitted on {rowLength}.", nameof(data));
        }
        var features = new float[(long)data.Count * outLength];
        apply(data.Features, features);
        return new InMemoryDataset(features, (int[])data.Labels.Clone(), outLength);
    }

    /// <summary>An <c>Apply(input, output)</c> method.</summary>
    public delegate void SpanApply(ReadOnlySpan<float> input, Span<float> output);

    // ------------------------------------------------------------------------------------------------ files

    /// <summary>A writer with the kind metadata and the row shape already added.</summary>
    public static SafeTensorsWriter Writer(string kind, int[] rowShape)
    {
        var writer = new SafeTensorsWriter();
        writer.AddMetadata(KindKey, kind);
        var shape = new long[rowShape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = rowShape[i];
        }
        writer.Add(RowShapeKey, new[] { rowShape.Length }, shape);
        return writer;
    }

    /// <summary>Reads a saved transform and checks that its kind is <paramref name="kind"/>.</summary>
    public static SafeTensorsFile Open(Stream stream, string kind)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensorsFile file = SafeTensorsFile.Read(stream);
        if (!file.Metadata.TryGetValue(KindKey, out string? found))
        {
            throw new InvalidDataException($"metadata '{KindKey}' is missing: not a saved NetGen preprocessing transform (expected '{kind}').");
        }
        if (found != kind)
        {
            throw new InvalidDataException($"metadata '{KindKey}' is '{found}', expected '{kind}': the file holds another kind of transform.");
        }
        return file;
    }

    /// <summary>Reads <c>row_shape</c>: <c>[features]</c> or, where <paramref name="imagesAllowed"/>, <c>[C, H, W]</c>, all positive.</summary>
    public static int[] ReadRowShape(SafeTensorsFile file, bool imagesAllowed)
    {
        if (!file.Contains(RowShapeKey))
        {
            throw new InvalidDataException($"tensor '{RowShapeKey}' is not in the file.");
        }
        int[] shape = file.GetShape(RowShapeKey);
        if (shape.Length != 1 || !(shape[0] == 1 || (imagesAllowed && shape[0] == 3)))
        {
            throw new InvalidDataException($"tensor '{RowShapeKey}' has shape {SafeTensorsFile.Format(shape)}, expected [1]{(imagesAllowed ? " or [3]" : "")}.");
        }
        var values = new long[shape[0]];
        file.ReadInto(RowShapeKey, shape, values.AsSpan());
        long total = 1;
        var rowShape = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] <= 0 || values[i] > Array.MaxLength)
            {
                throw new InvalidDataException($"tensor '{RowShapeKey}' holds {values[i]}; every dimension must be in [1, {Array.MaxLength}].");
            }
            total *= values[i];
            if (total > Array.MaxLength)
            {
                throw new InvalidDataException($"tensor '{RowShapeKey}' describes rows of more than {Array.MaxLength} values.");
            }
            rowShape[i] = (int)values[i];
        }
        return rowShape;
    }

    /// <summary>Reads an F64 tensor of the given shape and checks that its values are finite (and ≥ 0 where asked).</summary>
    public static double[] ReadF64(SafeTensorsFile file, string key, int[] shape, bool nonNegative = false)
    {
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
        }
        var values = new double[count];
        file.ReadInto(key, shape, values.AsSpan());
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]) || (nonNegative && values[i] < 0))
            {
                throw new InvalidDataException($"tensor '{key}'[{i}] is {values[i]}; expected a finite{(nonNegative ? ", non-negative" : "")} value.");
            }
        }
        return values;
    }

    /// <summary>Reads the F64 scalar <c>epsilon</c> and checks that it is finite and positive.</summary>
    public static double ReadEpsilon(SafeTensorsFile file)
    {
        double epsilon = ReadF64(file, "epsilon", Array.Empty<int>())[0];
        if (!(epsilon > 0))
        {
            throw new InvalidDataException($"tensor 'epsilon' is {epsilon}; expected a positive value.");
        }
        return epsilon;
    }

    /// <summary>Checks a whitening ε: finite and &gt; 0.</summary>
    public static void CheckEpsilon(double epsilon, string name)
    {
        if (!double.IsFinite(epsilon) || epsilon <= 0)
        {
            throw new ArgumentOutOfRangeException(name, epsilon, "ε must be finite and > 0: whitening divides by √(λ + ε), and λ can be 0.");
        }
    }

    /// <summary>Writes to a file path, replacing it atomically (<see cref="ModelFile.Write"/>).</summary>
    public static void Save(SafeTensorsWriter writer, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        writer.WriteTo(path);
    }

    /// <summary>Opens a file path for <see cref="Open(Stream, string)"/>; errors name the file.</summary>
    public static SafeTensorsFile Open(string path, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ModelFile.Read(path, stream => Open(stream, kind));
    }
}
