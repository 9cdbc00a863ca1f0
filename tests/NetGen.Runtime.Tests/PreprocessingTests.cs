using System.Text.Json;
using NetGen.Data;
using NetGen.Serialization;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The fitted preprocessing transforms against NumPy (tests/reference/make_preprocessing_reference.py →
/// Reference/preprocessing.json): 500 training rows × 6 correlated features (six Gaussian sources of different scales,
/// mixed), 100 test rows from a shifted, wider distribution, and 24 images [3, 4, 5]. The data are float32; NumPy
/// computes every statistic from them in float64, NetGen in double, and the outputs are rounded to float once.
/// </summary>
public class PreprocessingTests
{
    private static readonly Reference Ref = Reference.Load();

    /// <summary>Float outputs: one rounding to float of an O(1…50) double value, plus double round-off.</summary>
    private const double OutputAbsolute = 1e-5, OutputRelative = 1e-6;

    // ------------------------------------------------------------------------------------------------ statistics

    [Fact]
    public void StandardizerMatchesNumPy_MeanStdDdof0_AndOutput()
    {
        Standardizer s = Standardizer.Fit(Ref.Train, Ref.Features);

        TestUtil.AssertClose(Ref.Get("mean"), s.Mean.ToArray(), 1e-12, 1e-12, "mean");
        TestUtil.AssertClose(Ref.Get("std"), s.Std.ToArray(), 1e-12, 1e-12, "std");
        TestUtil.AssertClose(Ref.Get("standardized_train"), Apply(s.Apply, Ref.Train, Ref.Features), OutputAbsolute, OutputRelative, "standardized_train");
        TestUtil.AssertClose(Ref.Get("standardized_test"), Apply(s.Apply, Ref.Test, Ref.Features), OutputAbsolute, OutputRelative, "standardized_test");
    }

    [Fact]
    public void MeanSubtractionMatchesNumPy()
    {
        MeanSubtraction m = MeanSubtraction.Fit(Ref.Train, Ref.Features);

        TestUtil.AssertClose(Ref.Get("mean"), m.Mean.ToArray(), 1e-12, 1e-12, "mean");
        TestUtil.AssertClose(Ref.Get("mean_subtracted_test"), Apply(m.Apply, Ref.Test, Ref.Features), OutputAbsolute, OutputRelative, "mean_subtracted_test");
    }

    [Fact]
    public void MinMaxScalerMatchesNumPy_AndMapsTheTrainingRangeOntoMinusOneToOne()
    {
        MinMaxScaler m = MinMaxScaler.Fit(Ref.Train, Ref.Features);

        TestUtil.AssertClose(Ref.Get("min"), m.Min.ToArray(), 0, 0, "min");
        TestUtil.AssertClose(Ref.Get("max"), m.Max.ToArray(), 0, 0, "max");
        float[] train = Apply(m.Apply, Ref.Train, Ref.Features);
        TestUtil.AssertClose(Ref.Get("scaled_train"), train, OutputAbsolute, OutputRelative, "scaled_train");
        TestUtil.AssertClose(Ref.Get("scaled_test"), Apply(m.Apply, Ref.Test, Ref.Features), OutputAbsolute, OutputRelative, "scaled_test");
        for (int f = 0; f < Ref.Features; f++)
        {
            float[] column = Column(train, Ref.Features, f);
            Assert.Equal(-1f, column.Min(), 6);
            Assert.Equal(1f, column.Max(), 6);
        }
    }

    [Fact]
    public void ImagesUsePerChannelStatistics()
    {
        (int c, int h, int w) = (3, 4, 5);
        Standardizer s = Standardizer.Fit(Ref.Images, c, h, w);

        Assert.Equal(new[] { c, h, w }, s.RowShape.ToArray());
        Assert.Equal(c * h * w, s.Features);
        TestUtil.AssertClose(Ref.Get("images", "mean"), s.Mean.ToArray(), 1e-12, 1e-12, "images.mean");
        TestUtil.AssertClose(Ref.Get("images", "std"), s.Std.ToArray(), 1e-12, 1e-12, "images.std");
        TestUtil.AssertClose(Ref.Get("images", "standardized"), Apply(s.Apply, Ref.Images, c * h * w), OutputAbsolute, OutputRelative, "images.standardized");

        MeanSubtraction m = MeanSubtraction.Fit(Ref.Images, c, h, w);
        TestUtil.AssertClose(Ref.Get("images", "mean"), m.Mean.ToArray(), 1e-12, 1e-12, "images.mean (MeanSubtraction)");
    }

    [Fact]
    public void ConstantFeatures_StandardizeTo0AndScaleTo0()
    {
        // Feature 1 is constant (std 0, max = min).
        float[] train = [1, 5, 2, 5, 3, 5, 6, 5];
        Standardizer s = Standardizer.Fit(train, 2);
        Assert.Equal(0.0, s.Std[1]);
        float[] standardized = Apply(s.Apply, train, 2);
        Assert.All(Column(standardized, 2, 1), v => Assert.Equal(0f, v));
        // Elsewhere the constant feature is only centred: 7 − 5.
        Assert.Equal(2f, Apply(s.Apply, [3f, 7f], 2)[1]);

        MinMaxScaler m = MinMaxScaler.Fit(train, 2);
        Assert.All(Column(Apply(m.Apply, train, 2), 2, 1), v => Assert.Equal(0f, v));
        Assert.Equal(0f, Apply(m.Apply, [3f, 7f], 2)[1]);
    }

    // ------------------------------------------------------------------------------------------------ PCA, whitening

    [Fact]
    public void CovarianceMatchesNumPy_DividedByN()
    {
        double[] mean = Ref.Get("mean");
        double[] cov = PreprocessingCovariance(Ref.Train, mean);
        TestUtil.AssertClose(Ref.Get("covariance"), cov, 1e-11, 1e-11, "covariance");
    }

    [Fact]
    public void EigenvaluesAndEigenvectorsMatchNumPy_UpToTheSignConvention()
    {
        int n = Ref.Features;
        Pca pca = Pca.Fit(Ref.Train, n, n);
        double[] expectedVectors = Ref.Get("eigenvectors"); // [n, n], eigenvector j in column j

        TestUtil.AssertClose(Ref.Get("eigenvalues"), pca.Eigenvalues.ToArray(), 1e-10, 1e-11, "eigenvalues");
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<double> actual = pca.Components.Slice(j * n, n);
            double dot = 0;
            for (int i = 0; i < n; i++)
            {
                dot += actual[i] * expectedVectors[(i * n) + j];
                // Same sign convention (largest-magnitude component positive), so equal, not only parallel.
                Assert.True(Math.Abs(actual[i] - expectedVectors[(i * n) + j]) < 1e-9, $"eigenvector {j}[{i}]: {actual[i]} vs {expectedVectors[(i * n) + j]}");
            }
            Assert.Equal(1.0, Math.Abs(dot), 10);
        }
    }

    [Fact]
    public void ExplainedVarianceRatioOfTheFirstKComponentsMatchesNumPy()
    {
        Pca pca = Pca.Fit(Ref.Train, Ref.Features, Ref.K);
        Assert.Equal(Ref.K, pca.ExplainedVarianceRatio.Length);
        TestUtil.AssertClose(Ref.Get("explained_variance_ratio").AsSpan(0, Ref.K), pca.ExplainedVarianceRatio.ToArray(), 1e-12, 1e-11, "explained_variance_ratio");

        ZcaWhitening zca = ZcaWhitening.Fit(Ref.Train, Ref.Features);
        TestUtil.AssertClose(Ref.Get("explained_variance_ratio"), zca.ExplainedVarianceRatio.ToArray(), 1e-12, 1e-11, "zca explained_variance_ratio");
        Assert.Equal(1.0, zca.ExplainedVarianceRatio.ToArray().Sum(), 12);
    }

    [Theory]
    [InlineData(false, "pca_train", "pca_test")]
    [InlineData(true, "pca_whitened_train", "pca_whitened_test")]
    public void PcaProjectionMatchesNumPy(bool whiten, string trainKey, string testKey)
    {
        Pca pca = Pca.Fit(Ref.Train, Ref.Features, Ref.K, whiten, Ref.Epsilon);
        Assert.Equal(Ref.K, pca.Dimensions);

        TestUtil.AssertClose(Ref.Get(trainKey), ApplyTo(pca.Apply, Ref.Train, Ref.Features, Ref.K), OutputAbsolute, OutputRelative, trainKey);
        TestUtil.AssertClose(Ref.Get(testKey), ApplyTo(pca.Apply, Ref.Test, Ref.Features, Ref.K), OutputAbsolute, OutputRelative, testKey);
    }

    [Fact]
    public void ZcaWhiteningMatchesNumPy()
    {
        ZcaWhitening zca = ZcaWhitening.Fit(Ref.Train, Ref.Features, Ref.Epsilon);
        TestUtil.AssertClose(Ref.Get("zca_train"), Apply(zca.Apply, Ref.Train, Ref.Features), OutputAbsolute, OutputRelative, "zca_train");
        TestUtil.AssertClose(Ref.Get("zca_test"), Apply(zca.Apply, Ref.Test, Ref.Features), OutputAbsolute, OutputRelative, "zca_test");
    }

    [Fact]
    public void WhitenedTrainingDataHasIdentityCovariance_PcaAndZca()
    {
        int n = Ref.Features;
        float[] pcaWhite = ApplyTo(Pca.Fit(Ref.Train, n, n, whiten: true).Apply, Ref.Train, n, n);
        float[] zcaWhite = Apply(ZcaWhitening.Fit(Ref.Train, n).Apply, Ref.Train, n);

        foreach ((string what, float[] white) in new[] { ("pca", pcaWhite), ("zca", zcaWhite) })
        {
            double[] cov = PreprocessingCovariance(white, new double[n]);
            double[] identity = new double[n * n];
            for (int i = 0; i < n; i++)
            {
                identity[(i * n) + i] = 1;
            }
            // diag(λ / (λ + ε)): 1 − 4e-5 at the smallest eigenvalue (0.27) with ε = 1e-5, plus float rounding.
            TestUtil.AssertClose(identity, cov, 1e-4, 0, $"{what} whitened covariance");
        }

        // ZCA keeps the data closest to the input: the whitening matrix is symmetric.
        ZcaWhitening zca = ZcaWhitening.Fit(Ref.Train, n);
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                Assert.Equal(zca.Matrix[(a * n) + b], zca.Matrix[(b * n) + a], 14);
            }
        }
    }

    [Fact]
    public void EigenSignConventionOnKnownMatrices()
    {
        // [[2, 1], [1, 2]]: λ = 3 for (1, 1)/√2, λ = 1 for (1, −1)/√2 (a tie in magnitude: the first component is positive).
        (double[] values, double[] vectors) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        double r = 1 / Math.Sqrt(2);
        TestUtil.AssertClose([3, 1], values, 1e-14, 0, "values");
        TestUtil.AssertClose([r, r, r, -r], vectors, 1e-14, 0, "vectors");

        // A diagonal matrix with negative and repeated-magnitude entries: sorted decreasing, unit vectors positive.
        (values, vectors) = SymmetricEigen.Decompose([-1, 0, 0, 0, 5, 0, 0, 0, 2], 3);
        TestUtil.AssertClose([5, 2, -1], values, 1e-14, 0, "diagonal values");
        TestUtil.AssertClose([0, 1, 0, 0, 0, 1, 1, 0, 0], vectors, 1e-14, 0, "diagonal vectors");

        // [[4, 1, 2], [1, 3, 0], [2, 0, 5]] (NumPy: eigh), reconstructed as U·diag(λ)·Uᵀ.
        double[] a = [4, 1, 2, 1, 3, 0, 2, 0, 5];
        (values, vectors) = SymmetricEigen.Decompose(a, 3);
        TestUtil.AssertClose([6.669079088282288, 3.4760236029181337, 1.8548973087995775], values, 1e-13, 0, "3×3 values");
        var rebuilt = new double[9];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int e = 0; e < 3; e++)
                {
                    rebuilt[(i * 3) + j] += vectors[(e * 3) + i] * values[e] * vectors[(e * 3) + j];
                }
            }
        }
        TestUtil.AssertClose(a, rebuilt, 1e-13, 0, "U·diag(λ)·Uᵀ");
    }

    // ------------------------------------------------------------------------------------------------ fit on training only

    [Fact]
    public void ATransformFittedOnTrainingDataAppliesTheTrainingStatisticsToOtherData()
    {
        Standardizer fittedOnTrain = Standardizer.Fit(Ref.Train, Ref.Features);
        Standardizer fittedOnTest = Standardizer.Fit(Ref.Test, Ref.Features);
        float[] test = Apply(fittedOnTrain.Apply, Ref.Test, Ref.Features);

        // The training statistics (NumPy's (test − μ_train) / σ_train), not the test set's own.
        TestUtil.AssertClose(Ref.Get("standardized_test"), test, OutputAbsolute, OutputRelative, "standardized_test");
        double[] testMean = Column(test, Ref.Features, 0).Select(v => (double)v).ToArray();
        Assert.True(Math.Abs(testMean.Average()) > 0.1, "the test set, shifted, is not centred by the training mean");
        Assert.NotEqual(fittedOnTrain.Mean[0], fittedOnTest.Mean[0]);

        // Applying never refits: the statistics and the output on the training set are unchanged afterwards.
        double[] meanBefore = fittedOnTrain.Mean.ToArray(), stdBefore = fittedOnTrain.Std.ToArray();
        float[] trainBefore = Apply(fittedOnTrain.Apply, Ref.Train, Ref.Features);
        _ = Apply(fittedOnTrain.Apply, Ref.Test, Ref.Features);
        Assert.Equal(meanBefore, fittedOnTrain.Mean.ToArray());
        Assert.Equal(stdBefore, fittedOnTrain.Std.ToArray());
        Assert.Equal(trainBefore, Apply(fittedOnTrain.Apply, Ref.Train, Ref.Features));

        // The same for PCA: the test projection uses the training mean and components.
        Pca pca = Pca.Fit(Ref.Train, Ref.Features, Ref.K);
        TestUtil.AssertClose(Ref.Get("pca_test"), ApplyTo(pca.Apply, Ref.Test, Ref.Features, Ref.K), OutputAbsolute, OutputRelative, "pca_test");
    }

    [Fact]
    public void ApplyInPlaceGivesTheBitsOfApplyToAnotherBuffer()
    {
        int n = Ref.Features;
        var cases = new (Action<float[], float[]> Apply, int Out)[]
        {
            ((i, o) => Standardizer.Fit(Ref.Train, n).Apply(i, o), n),
            ((i, o) => MinMaxScaler.Fit(Ref.Train, n).Apply(i, o), n),
            ((i, o) => ZcaWhitening.Fit(Ref.Train, n).Apply(i, o), n),
            ((i, o) => Pca.Fit(Ref.Train, n, n, whiten: true).Apply(i, o), n),
        };
        foreach ((Action<float[], float[]> apply, int outLength) in cases)
        {
            float[] separate = new float[Ref.Test.Length / n * outLength];
            apply(Ref.Test, separate);
            float[] inPlace = (float[])Ref.Test.Clone();
            apply(inPlace, inPlace);
            Assert.Equal(separate, inPlace);
        }

        // PCA to fewer dimensions in place: the first rows·k values of the buffer.
        Pca pca = Pca.Fit(Ref.Train, n, Ref.K);
        float[] buffer = (float[])Ref.Test.Clone();
        pca.Apply(buffer, buffer.AsSpan(0, Ref.TestRows * Ref.K));
        Assert.Equal(ApplyTo(pca.Apply, Ref.Test, n, Ref.K), buffer.AsSpan(0, Ref.TestRows * Ref.K).ToArray());
    }

    [Fact]
    public void DatasetOverloadsKeepLabelsAndCheckTheFeatureCount()
    {
        int n = Ref.Features;
        var labels = Enumerable.Range(0, Ref.Rows).Select(i => i % 3).ToArray();
        var train = new InMemoryDataset((float[])Ref.Train.Clone(), labels, n);
        Pca pca = Pca.Fit(train, Ref.K);
        InMemoryDataset projected = pca.Apply(train);
        Assert.Equal(Ref.K, projected.FeatureCount);
        Assert.Equal(labels, projected.Labels);
        TestUtil.AssertClose(Ref.Get("pca_train"), projected.Features, OutputAbsolute, OutputRelative, "pca_train");

        var wrong = new InMemoryDataset(new float[10], new int[2], 5);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => Standardizer.Fit(train).Apply(wrong)).ParamName);
    }

    // ------------------------------------------------------------------------------------------------ save / load

    [Fact]
    public void SaveLoadRoundTripGivesTheSameStatisticsAndOutputBits()
    {
        int n = Ref.Features;
        (int c, int h, int w) = (3, 4, 5);

        Standardizer s = RoundTrip(Standardizer.Fit(Ref.Images, c, h, w), (x, st) => x.Save(st), Standardizer.Load);
        Assert.Equal(new[] { c, h, w }, s.RowShape.ToArray());
        Assert.Equal(Apply(Standardizer.Fit(Ref.Images, c, h, w).Apply, Ref.Images, c * h * w), Apply(s.Apply, Ref.Images, c * h * w));

        MeanSubtraction m = RoundTrip(MeanSubtraction.Fit(Ref.Train, n), (x, st) => x.Save(st), MeanSubtraction.Load);
        Assert.Equal(MeanSubtraction.Fit(Ref.Train, n).Mean.ToArray(), m.Mean.ToArray());

        MinMaxScaler mm = RoundTrip(MinMaxScaler.Fit(Ref.Train, n), (x, st) => x.Save(st), MinMaxScaler.Load);
        Assert.Equal(Apply(MinMaxScaler.Fit(Ref.Train, n).Apply, Ref.Test, n), Apply(mm.Apply, Ref.Test, n));

        foreach (bool whiten in new[] { false, true })
        {
            Pca original = Pca.Fit(Ref.Train, n, Ref.K, whiten, 1e-3);
            Pca loaded = RoundTrip(original, (x, st) => x.Save(st), Pca.Load);
            Assert.Equal(whiten, loaded.Whiten);
            Assert.Equal(1e-3, loaded.Epsilon);
            Assert.Equal(original.Components.ToArray(), loaded.Components.ToArray());
            Assert.Equal(original.Eigenvalues.ToArray(), loaded.Eigenvalues.ToArray());
            Assert.Equal(original.ExplainedVarianceRatio.ToArray(), loaded.ExplainedVarianceRatio.ToArray());
            Assert.Equal(ApplyTo(original.Apply, Ref.Test, n, Ref.K), ApplyTo(loaded.Apply, Ref.Test, n, Ref.K));
        }

        ZcaWhitening zca = ZcaWhitening.Fit(Ref.Train, n);
        ZcaWhitening zcaLoaded = RoundTrip(zca, (x, st) => x.Save(st), ZcaWhitening.Load);
        Assert.Equal(zca.Matrix.ToArray(), zcaLoaded.Matrix.ToArray());
        Assert.Equal(Apply(zca.Apply, Ref.Test, n), Apply(zcaLoaded.Apply, Ref.Test, n));

        // The file through a path, and its layout: the kind in the metadata, the statistics under their keys.
        string path = Path.Combine(Path.GetTempPath(), $"netgen-pca-{Guid.NewGuid():N}.safetensors");
        try
        {
            Pca.Fit(Ref.Train, n, Ref.K).Save(path);
            SafeTensorsFile file = SafeTensorsFile.Read(path);
            Assert.Equal("pca", file.Metadata["netgen.preprocessing"]);
            Assert.Equal("false", file.Metadata["netgen.whiten"]);
            Assert.Equal(new[] { Ref.K, n }, file.GetShape("components"));
            Assert.Equal(new[] { n }, file.GetShape("eigenvalues"));
            Assert.Equal(new[] { n }, file.GetShape("mean"));
            Assert.Equal(Ref.K, Pca.Load(path).Dimensions);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadingAnotherKindOrWrongShapesThrowsNamingTheKey()
    {
        int n = Ref.Features;
        byte[] standardizer = Save(s => Standardizer.Fit(Ref.Train, n).Save(s));
        byte[] pca = Save(s => Pca.Fit(Ref.Train, n, Ref.K).Save(s));

        Assert.Contains("'netgen.preprocessing' is 'standardization', expected 'pca'", Assert.Throws<InvalidDataException>(() => Pca.Load(new MemoryStream(standardizer))).Message);
        Assert.Contains("'netgen.preprocessing' is 'pca', expected 'zca_whitening'", Assert.Throws<InvalidDataException>(() => ZcaWhitening.Load(new MemoryStream(pca))).Message);

        // A plain safetensors file (a network's parameters): no kind.
        byte[] plain = Write(wr => wr.Add("0.weight", [2], [1f, 2f]));
        Assert.Contains("'netgen.preprocessing' is missing", Assert.Throws<InvalidDataException>(() => MeanSubtraction.Load(new MemoryStream(plain))).Message);

        // Right kind, wrong shapes or values.
        byte[] shortStd = Write(wr =>
        {
            wr.AddMetadata("netgen.preprocessing", "standardization");
            wr.Add("row_shape", [1], [(long)n]);
            wr.Add("mean", [n], new double[n]);
            wr.Add("std", [n - 1], new double[n - 1]);
        });
        Assert.Contains("tensor 'std' has shape [5], expected [6]", Assert.Throws<InvalidDataException>(() => Standardizer.Load(new MemoryStream(shortStd))).Message);

        byte[] negativeStd = Write(wr =>
        {
            wr.AddMetadata("netgen.preprocessing", "standardization");
            wr.Add("row_shape", [1], [2L]);
            wr.Add("mean", [2], new double[2]);
            wr.Add("std", [2], [1.0, -1.0]);
        });
        Assert.Contains("tensor 'std'[1]", Assert.Throws<InvalidDataException>(() => Standardizer.Load(new MemoryStream(negativeStd))).Message);

        byte[] badComponents = Write(wr =>
        {
            wr.AddMetadata("netgen.preprocessing", "zca_whitening");
            wr.Add("row_shape", [1], [3L]);
            wr.Add("mean", [3], new double[3]);
            wr.Add("eigenvalues", [3], new double[3]);
            wr.Add("components", [2, 3], new double[6]);
            wr.Add("epsilon", [], [1e-5]);
        });
        Assert.Contains("tensor 'components' has shape [2, 3], expected [3, 3]", Assert.Throws<InvalidDataException>(() => ZcaWhitening.Load(new MemoryStream(badComponents))).Message);

        byte[] missingEpsilon = Write(wr =>
        {
            wr.AddMetadata("netgen.preprocessing", "pca");
            wr.AddMetadata("netgen.whiten", "true");
            wr.Add("row_shape", [1], [3L]);
            wr.Add("mean", [3], new double[3]);
            wr.Add("eigenvalues", [3], new double[3]);
            wr.Add("components", [2, 3], new double[6]);
        });
        Assert.Contains("'epsilon'", Assert.Throws<InvalidDataException>(() => Pca.Load(new MemoryStream(missingEpsilon))).Message);

        byte[] imageRowShapeForPca = Write(wr =>
        {
            wr.AddMetadata("netgen.preprocessing", "pca");
            wr.AddMetadata("netgen.whiten", "false");
            wr.Add("row_shape", [3], [1L, 2L, 2L]);
        });
        Assert.Contains("tensor 'row_shape' has shape [3], expected [1]", Assert.Throws<InvalidDataException>(() => Pca.Load(new MemoryStream(imageRowShapeForPca))).Message);

        byte[] wrongDtype = Write(wr =>
        {
            wr.AddMetadata("netgen.preprocessing", "mean_subtraction");
            wr.Add("row_shape", [1], [2L]);
            wr.Add("mean", [2], [0f, 0f]);
        });
        Assert.Contains("tensor 'mean' has dtype F32, expected F64", Assert.Throws<InvalidDataException>(() => MeanSubtraction.Load(new MemoryStream(wrongDtype))).Message);
    }

    // ------------------------------------------------------------------------------------------------ argument errors

    [Fact]
    public void BadArgumentsThrowNamingTheArgument()
    {
        int n = Ref.Features;
        Standardizer s = Standardizer.Fit(Ref.Train, n);
        Pca pca = Pca.Fit(Ref.Train, n, Ref.K);

        // Applying with another feature count.
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => s.Apply(new float[n + 1], new float[n + 1])).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => pca.Apply(new float[(2 * n) + 1], new float[2 * Ref.K])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => pca.Apply(new float[2 * n], new float[2 * n])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => s.Apply(new float[n], new float[n - 1])).ParamName);
        float[] shifted = new float[(2 * n) + 1];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => s.Apply(shifted.AsSpan(0, 2 * n), shifted.AsSpan(1, 2 * n))).ParamName);

        // Fitting on zero rows, or on rows that are not whole.
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => Standardizer.Fit(ReadOnlySpan<float>.Empty, n)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => MeanSubtraction.Fit(ReadOnlySpan<float>.Empty, 2, 2, 2)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => ZcaWhitening.Fit(ReadOnlySpan<float>.Empty, n)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => MinMaxScaler.Fit(new float[n + 1], n)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => Standardizer.Fit(Ref.Train, 0)).ParamName);

        // k outside [1, features].
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(Ref.Train, n, 0)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(Ref.Train, n, n + 1)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => ZcaWhitening.Fit(Ref.Train, n, 0)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(Ref.Train, n, 2, whiten: true, double.NaN)).ParamName);

        // Non-finite data, when fitting and when applying; the message names the row and feature.
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] data = (float[])Ref.Train.Clone();
            data[(3 * n) + 2] = bad;
            ArgumentException fit = Assert.Throws<ArgumentException>(() => Pca.Fit(data, n, 2));
            Assert.Equal("rows", fit.ParamName);
            Assert.Contains("row 3, feature 2", fit.Message);
            Assert.Equal("rows", Assert.Throws<ArgumentException>(() => Standardizer.Fit(data, n)).ParamName);

            float[] output = new float[data.Length];
            Assert.Equal("input", Assert.Throws<ArgumentException>(() => s.Apply(data, output)).ParamName);
            Assert.All(output, v => Assert.Equal(0f, v)); // nothing written before the check
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static double[] PreprocessingCovariance(float[] rows, double[] mean) => Preprocessing.Covariance(rows, mean);

    private delegate void ApplyFn(ReadOnlySpan<float> input, Span<float> output);

    private static float[] Apply(ApplyFn apply, float[] input, int features) => ApplyTo(apply, input, features, features);

    private static float[] ApplyTo(ApplyFn apply, float[] input, int features, int outFeatures)
    {
        var output = new float[input.Length / features * outFeatures];
        apply(input, output);
        return output;
    }

    private static float[] Column(float[] rows, int features, int f) =>
        Enumerable.Range(0, rows.Length / features).Select(r => rows[(r * features) + f]).ToArray();

    private static T RoundTrip<T>(T value, Action<T, Stream> save, Func<Stream, T> load)
    {
        var stream = new MemoryStream(Save(s => save(value, s)));
        return load(stream);
    }

    private static byte[] Save(Action<Stream> save)
    {
        var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }

    private static byte[] Write(Action<SafeTensorsWriter> build)
    {
        var writer = new SafeTensorsWriter();
        build(writer);
        return Save(writer.WriteTo);
    }

    /// <summary>Reference/preprocessing.json, copied to the output folder by the project file.</summary>
    private sealed class Reference
    {
        private readonly JsonElement _root;

        private Reference(JsonElement root)
        {
            _root = root;
            Rows = root.GetProperty("rows").GetInt32();
            TestRows = root.GetProperty("test_rows").GetInt32();
            Features = root.GetProperty("features").GetInt32();
            K = root.GetProperty("k").GetInt32();
            Epsilon = root.GetProperty("epsilon").GetDouble();
            Train = Get("train").Select(v => (float)v).ToArray();
            Test = Get("test").Select(v => (float)v).ToArray();
            Images = Get("images", "data").Select(v => (float)v).ToArray();
        }

        public int Rows { get; }

        public int TestRows { get; }

        public int Features { get; }

        public int K { get; }

        public double Epsilon { get; }

        /// <summary>The float32 training rows (exactly representable: the script wrote float32 values).</summary>
        public float[] Train { get; }

        public float[] Test { get; }

        public float[] Images { get; }

        public static Reference Load()
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Reference", "preprocessing.json");
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            return new Reference(document.RootElement.Clone());
        }

        public double[] Get(params string[] keys)
        {
            JsonElement element = _root;
            foreach (string key in keys)
            {
                element = element.GetProperty(key);
            }
            return element.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        }
    }
}
