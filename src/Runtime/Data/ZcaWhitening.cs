using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen.Data;

/// <summary>
/// ZCA whitening: <c>y = (x − μ)·W</c> with <c>W = U·diag(1/√(λ + ε))·Uᵀ</c>, where <c>μ</c> is the training mean and
/// <c>U</c>, <c>λ</c> the eigenvectors and eigenvalues of the training covariance <c>C = (X − μ)ᵀ(X − μ) / N</c>.
/// The output keeps the features and has (close to) identity covariance on the training data. Fitted once on the
/// training set by <see cref="Fit(ReadOnlySpan{float}, int, double)"/> and then applied, unchanged, everywhere.
/// </summary>
/// <remarks>
/// The CS231n notes (Neural Networks Part 2, data preprocessing) whiten in the eigenbasis, <c>Xrot / np.sqrt(S + 1e-5)</c>;
/// ZCA rotates the result back with <c>Uᵀ</c> (Bell and Sejnowski, 1997, "The 'independent components' of natural
/// scenes are edge filters"), which keeps the whitened data closest to the input. ε (default 1e-5) bounds the gain of
/// directions of tiny variance. Computed in double, the output rounded to float once. The object is immutable. The
/// eigen-decomposition is O(features³): meant for up to a few thousand features.
/// </remarks>
public sealed class ZcaWhitening
{
    /// <summary>The <c>netgen.preprocessing</c> metadata of a saved ZCA whitening.</summary>
    public const string Kind = "zca_whitening";

    private readonly int[] _rowShape;
    private readonly double[] _mean;
    private readonly double[] _eigenvalues;
    private readonly double[] _eigenvectors;
    private readonly double[] _matrix;
    private readonly double[] _ratio;

    private ZcaWhitening(int[] rowShape, double[] mean, double[] eigenvalues, double[] eigenvectors, double epsilon)
    {
        _rowShape = rowShape;
        _mean = mean;
        _eigenvalues = eigenvalues;
        _eigenvectors = eigenvectors;
        Epsilon = epsilon;
        int n = mean.Length;
        _ratio = Preprocessing.ExplainedVarianceRatio(eigenvalues, n);

        // W[a, b] = Σᵢ U[a, i]·U[b, i] / √(λᵢ + ε); eigenvector i is row i of _eigenvectors. W is symmetric.
        _matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            double scale = 1.0 / Math.Sqrt(eigenvalues[i] + epsilon);
            ReadOnlySpan<double> u = eigenvectors.AsSpan(i * n, n);
            for (int a = 0; a < n; a++)
            {
                double ua = u[a] * scale;
                Span<double> row = _matrix.AsSpan(a * n, n);
                for (int b = 0; b < n; b++)
                {
                    row[b] += ua * u[b];
                }
            }
        }
    }

    /// <summary>Fits the mean and the whitening matrix of the training rows.</summary>
    /// <param name="rows">Training data, row-major [rows, features], at least one row, finite.</param>
    /// <param name="features">Features per row, &gt; 0.</param>
    /// <param name="epsilon">ε added to each eigenvalue, finite and &gt; 0.</param>
    /// <returns>The fitted transform.</returns>
    public static ZcaWhitening Fit(ReadOnlySpan<float> rows, int features, double epsilon = Preprocessing.DefaultEpsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Preprocessing.CheckEpsilon(epsilon, nameof(epsilon));
        Preprocessing.CheckTrainingRows(rows, features, nameof(rows));
        (double[] mean, double[] eigenvalues, double[] vectors) = Preprocessing.FitEigen(rows, features);
        return new ZcaWhitening(new[] { features }, mean, eigenvalues, vectors, epsilon);
    }

    /// <summary>Fits on a training dataset's features; see <see cref="Fit(ReadOnlySpan{float}, int, double)"/>.</summary>
    /// <param name="training">The training set.</param>
    /// <param name="epsilon">ε added to each eigenvalue, &gt; 0.</param>
    /// <returns>The fitted transform.</returns>
    public static ZcaWhitening Fit(InMemoryDataset training, double epsilon = Preprocessing.DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, training.FeatureCount, epsilon);
    }

    /// <summary>Features per row (input and output).</summary>
    public int Features => _mean.Length;

    /// <summary>ε added to each eigenvalue.</summary>
    public double Epsilon { get; }

    /// <summary>The training mean, one per feature.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>The eigenvalues of the training covariance, decreasing, ≥ 0.</summary>
    public ReadOnlySpan<double> Eigenvalues => _eigenvalues;

    /// <summary>The eigenvectors as the rows of a [features, features] row-major array, each with its largest-magnitude
    /// component positive.</summary>
    public ReadOnlySpan<double> Eigenvectors => _eigenvectors;

    /// <summary>The fraction of the training variance along each eigenvector, <c>λᵢ / Σⱼ λⱼ</c>.</summary>
    public ReadOnlySpan<double> ExplainedVarianceRatio => _ratio;

    /// <summary>The whitening matrix <c>W = U·diag(1/√(λ + ε))·Uᵀ</c>, [features, features] row-major, symmetric.</summary>
    public ReadOnlySpan<double> Matrix => _matrix;

    /// <summary>Whitens every row: <c>y = (x − μ)·W</c>. The fitted statistics are not changed.</summary>
    /// <param name="input">Rows of <see cref="Features"/> finite values.</param>
    /// <param name="output">As many values as <paramref name="input"/>; may be <paramref name="input"/> itself (in place).</param>
    public void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Preprocessing.ApplyLinear(input, output, _mean, _matrix, Features);

    /// <summary>Returns the whitened dataset (labels copied).</summary>
    /// <param name="data">A dataset with <see cref="Features"/> features per row.</param>
    /// <returns>The transformed dataset.</returns>
    public InMemoryDataset Apply(InMemoryDataset data) => Preprocessing.ApplyToDataset(data, Features, Features, Apply);

    /// <summary>Saves the fit as safetensors: <c>mean</c> [F], <c>eigenvalues</c> [F], <c>components</c> [F, F] (the
    /// eigenvectors as rows), <c>epsilon</c> [] (F64) and <c>row_shape</c> (I64); metadata
    /// <c>netgen.preprocessing = zca_whitening</c>.</summary>
    /// <param name="stream">A writable stream; not closed.</param>
    public void Save(Stream stream) => Writer().WriteTo(stream);

    /// <summary>Saves to <paramref name="path"/>, replacing it.</summary>
    /// <param name="path">File path.</param>
    public void Save(string path) => Preprocessing.Save(Writer(), path);

    /// <summary>Loads a saved ZCA whitening. A file of another kind, a missing tensor, a wrong shape or dtype, or an
    /// invalid value throws <see cref="InvalidDataException"/> naming the key.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The transform as saved.</returns>
    public static ZcaWhitening Load(Stream stream) => Load(Preprocessing.Open(stream, Kind));

    /// <summary>Loads a saved ZCA whitening from <paramref name="path"/>; see <see cref="Load(Stream)"/>.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The transform as saved.</returns>
    public static ZcaWhitening Load(string path) => Load(Preprocessing.Open(path, Kind));

    private static ZcaWhitening Load(SafeTensorsFile file)
    {
        (int[] rowShape, double[] mean, double[] eigenvalues, double[] components, _) = Preprocessing.ReadEigen(file, full: true);
        return new ZcaWhitening(rowShape, mean, eigenvalues, components, Preprocessing.ReadEpsilon(file));
    }

    private SafeTensorsWriter Writer()
    {
        SafeTensorsWriter writer = Preprocessing.Writer(Kind, _rowShape);
        writer.Add("mean", new[] { Features }, _mean);
        writer.Add("eigenvalues", new[] { Features }, _eigenvalues);
        writer.Add("components", new[] { Features, Features }, _eigenvectors);
        writer.Add("epsilon", ReadOnlySpan<int>.Empty, new[] { Epsilon });
        return writer;
    }
}
