using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen.Data;

/// <summary>
/// Principal component analysis to <c>k</c> dimensions, optionally whitened: <c>y = (x − μ)·U_k</c>, or
/// <c>y = (x − μ)·U_k / √(λ_k + ε)</c> with <c>whiten: true</c>. <c>μ</c> is the training mean, and the columns of
/// <c>U_k</c> are the top-k eigenvectors of the training covariance <c>C = (X − μ)ᵀ(X − μ) / N</c>, by decreasing
/// eigenvalue <c>λ</c>. Fitted once on the training set by <see cref="Fit(ReadOnlySpan{float}, int, int, bool, double)"/>
/// and then applied, unchanged, to the training, validation and test sets.
/// </summary>
/// <remarks>
/// The CS231n notes (Neural Networks Part 2, data preprocessing): <c>cov = np.dot(X.T, X) / X.shape[0]</c> on the
/// centred data, <c>Xrot_reduced = np.dot(X, U[:, :k])</c>, and whitening <c>Xwhite = Xrot / np.sqrt(S + 1e-5)</c>.
/// The covariance divides by N (ddof = 0). Each eigenvector's sign is fixed so that its largest-magnitude component is
/// positive, so the result does not depend on the eigen-solver. Everything is computed in double; the output is rounded
/// to float once. The object is immutable: nothing refits it. The eigen-decomposition is O(features³): meant for up to
/// a few thousand features.
/// </remarks>
public sealed class Pca
{
    /// <summary>The <c>netgen.preprocessing</c> metadata of a saved PCA.</summary>
    public const string Kind = "pca";

    /// <summary>The metadata key saying whether the saved PCA whitens ("true" or "false").</summary>
    public const string WhitenKey = "netgen.whiten";

    private readonly int[] _rowShape;
    private readonly double[] _mean;
    private readonly double[] _eigenvalues;
    private readonly double[] _components;
    private readonly double[] _projection;
    private readonly double[] _ratio;

    private Pca(int[] rowShape, double[] mean, double[] eigenvalues, double[] components, int k, bool whiten, double epsilon)
    {
        _rowShape = rowShape;
        _mean = mean;
        _eigenvalues = eigenvalues;
        _components = components;
        Dimensions = k;
        Whiten = whiten;
        Epsilon = epsilon;
        _ratio = Preprocessing.ExplainedVarianceRatio(eigenvalues, k);

        int features = mean.Length;
        _projection = (double[])components.Clone();
        if (whiten)
        {
            for (int j = 0; j < k; j++)
            {
                double scale = 1.0 / Math.Sqrt(eigenvalues[j] + epsilon);
                foreach (ref double value in _projection.AsSpan(j * features, features))
                {
                    value *= scale;
                }
            }
        }
    }

    /// <summary>Fits the mean and the top-<paramref name="k"/> principal components of the training rows.</summary>
    /// <param name="rows">Training data, row-major [rows, features], at least one row, finite.</param>
    /// <param name="features">Features per row, &gt; 0.</param>
    /// <param name="k">Output dimensions, in [1, features].</param>
    /// <param name="whiten">Divide each projection by <c>√(λ + ε)</c> (PCA whitening).</param>
    /// <param name="epsilon">ε of the whitening, finite and &gt; 0 (kept, unused, when not whitening).</param>
    /// <returns>The fitted transform.</returns>
    public static Pca Fit(ReadOnlySpan<float> rows, int features, int k, bool whiten = false, double epsilon = Preprocessing.DefaultEpsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        if (k < 1 || k > features)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"PCA keeps between 1 and {features} (the features) dimensions.");
        }
        Preprocessing.CheckEpsilon(epsilon, nameof(epsilon));
        Preprocessing.CheckTrainingRows(rows, features, nameof(rows));
        (double[] mean, double[] eigenvalues, double[] vectors) = Preprocessing.FitEigen(rows, features);
        return new Pca(new[] { features }, mean, eigenvalues, vectors.AsSpan(0, k * features).ToArray(), k, whiten, epsilon);
    }

    /// <summary>Fits on a training dataset's features; see <see cref="Fit(ReadOnlySpan{float}, int, int, bool, double)"/>.</summary>
    /// <param name="training">The training set.</param>
    /// <param name="k">Output dimensions, in [1, features].</param>
    /// <param name="whiten">Divide each projection by <c>√(λ + ε)</c>.</param>
    /// <param name="epsilon">ε of the whitening, &gt; 0.</param>
    /// <returns>The fitted transform.</returns>
    public static Pca Fit(InMemoryDataset training, int k, bool whiten = false, double epsilon = Preprocessing.DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(training.Features, training.FeatureCount, k, whiten, epsilon);
    }

    /// <summary>Input features per row.</summary>
    public int Features => _mean.Length;

    /// <summary>k, the output values per row.</summary>
    public int Dimensions { get; }

    /// <summary>Whether the projections are divided by <c>√(λ + ε)</c>.</summary>
    public bool Whiten { get; }

    /// <summary>ε of the whitening.</summary>
    public double Epsilon { get; }

    /// <summary>The training mean, one per feature.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Every eigenvalue of the training covariance (all <see cref="Features"/>), decreasing, ≥ 0.</summary>
    public ReadOnlySpan<double> Eigenvalues => _eigenvalues;

    /// <summary>The top-k eigenvectors as the rows of a [k, features] row-major array (scikit-learn's
    /// <c>components_</c> layout), each with its largest-magnitude component positive.</summary>
    public ReadOnlySpan<double> Components => _components;

    /// <summary>The fraction of the training variance along each kept component, <c>λᵢ / Σⱼ λⱼ</c> ([k]).</summary>
    public ReadOnlySpan<double> ExplainedVarianceRatio => _ratio;

    /// <summary>Projects every row: <c>y = (x − μ)·U_k</c>, divided by <c>√(λ + ε)</c> when whitening. The fitted
    /// statistics are not changed.</summary>
    /// <param name="input">Rows of <see cref="Features"/> finite values.</param>
    /// <param name="output">Rows of <see cref="Dimensions"/> values, as many rows as <paramref name="input"/>; may start
    /// where <paramref name="input"/> starts (in place).</param>
    public void Apply(ReadOnlySpan<float> input, Span<float> output) =>
        Preprocessing.ApplyLinear(input, output, _mean, _projection, Dimensions);

    /// <summary>Returns the projected dataset, <see cref="Dimensions"/> features per row (labels copied).</summary>
    /// <param name="data">A dataset with <see cref="Features"/> features per row.</param>
    /// <returns>The transformed dataset.</returns>
    public InMemoryDataset Apply(InMemoryDataset data) => Preprocessing.ApplyToDataset(data, Features, Dimensions, Apply);

    /// <summary>Saves the fit as safetensors: <c>mean</c> [F], <c>eigenvalues</c> [F], <c>components</c> [k, F],
    /// <c>epsilon</c> [] (F64) and <c>row_shape</c> (I64); metadata <c>netgen.preprocessing = pca</c> and
    /// <c>netgen.whiten</c>.</summary>
    /// <param name="stream">A writable stream; not closed.</param>
    public void Save(Stream stream) => Writer().WriteTo(stream);

    /// <summary>Saves to <paramref name="path"/>, replacing it.</summary>
    /// <param name="path">File path.</param>
    public void Save(string path) => Preprocessing.Save(Writer(), path);

    /// <summary>Loads a saved PCA. A file of another kind, a missing tensor or metadata entry, a wrong shape or dtype, or
    /// an invalid value throws <see cref="InvalidDataException"/> naming the key.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The transform as saved.</returns>
    public static Pca Load(Stream stream) => Load(Preprocessing.Open(stream, Kind));

    /// <summary>Loads a saved PCA from <paramref name="path"/>; see <see cref="Load(Stream)"/>.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The transform as saved.</returns>
    public static Pca Load(string path) => Load(Preprocessing.Open(path, Kind));

    private static Pca Load(SafeTensorsFile file)
    {
        (int[] rowShape, double[] mean, double[] eigenvalues, double[] components, int k) = Preprocessing.ReadEigen(file, full: false);
        double epsilon = Preprocessing.ReadEpsilon(file);
        bool whiten = file.Metadata.TryGetValue(WhitenKey, out string? text) ? text switch
        {
            "true" => true,
            "false" => false,
            _ => throw new InvalidDataException($"metadata '{WhitenKey}' is '{text}', expected 'true' or 'false'."),
        } : throw new InvalidDataException($"metadata '{WhitenKey}' is missing.");
        return new Pca(rowShape, mean, eigenvalues, components, k, whiten, epsilon);
    }

    private SafeTensorsWriter Writer()
    {
        SafeTensorsWriter writer = Preprocessing.Writer(Kind, _rowShape);
        writer.AddMetadata(WhitenKey, Whiten ? "true" : "false");
        writer.Add("mean", new[] { Features }, _mean);
        writer.Add("eigenvalues", new[] { Features }, _eigenvalues);
        writer.Add("components", new[] { Dimensions, Features }, _components);
        writer.Add("epsilon", ReadOnlySpan<int>.Empty, new[] { Epsilon });
        return writer;
    }
}
