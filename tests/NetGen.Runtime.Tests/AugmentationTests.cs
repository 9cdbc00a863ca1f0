using NetGen.Data;

namespace NetGen.Runtime.Tests;

/// <summary>
/// Augmentation and its random variates: the statistics of the draws (flip rate, uniform crop offsets, Gamma and Beta
/// moments) against thresholds derived from the sampling distributions, the transforms against a direct
/// pad-crop-flip reference, Mixup's inputs and targets, reproducibility from the seed, and that nothing outside the
/// training batch is changed.
/// </summary>
public class AugmentationTests
{
    /// <summary>Standard errors allowed: a correct sampler fails a 5σ bound with probability below 6·10⁻⁷.</summary>
    private const double Sigmas = 5;

    // ------------------------------------------------------------------------------------------------ random variates

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(4.5)]
    public void GammaHasMeanAndVarianceK(double k)
    {
        const int n = 40_000;
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = RandomVariates.Gamma(k, CounterRng.Key(7, 50, (ulong)i, 0));
        }

        // Gamma(k): mean k, variance k, central 4th moment 3k² + 6k, so Var(s²) ≈ (μ₄ − σ⁴)/n = (2k² + 6k)/n.
        (double mean, double variance) = Moments(x);
        Assert.InRange(mean, k - (Sigmas * Math.Sqrt(k / n)), k + (Sigmas * Math.Sqrt(k / n)));
        double varianceError = Sigmas * Math.Sqrt(((2 * k * k) + (6 * k)) / n);
        Assert.InRange(variance, k - varianceError, k + varianceError);
        Assert.All(x, v => Assert.True(v >= 0 && double.IsFinite(v)));
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void BetaAlphaAlphaHasMeanOneHalfAndVariance1Over4Times2AlphaPlus1(double alpha)
    {
        const int n = 40_000;
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = RandomVariates.Beta(alpha, alpha, CounterRng.Key(11, 51, (ulong)i, 0));
        }

        // Beta(α, α): mean α/(2α) = 1/2, σ² = 1/(4(2α + 1)), excess kurtosis −6/(2α + 3), Var(s²) ≈ σ⁴(2 + excess)/n.
        double sigma2 = 1.0 / (4 * ((2 * alpha) + 1));
        double kurtosis = -6.0 / ((2 * alpha) + 3);
        (double mean, double variance) = Moments(x);
        Assert.InRange(mean, 0.5 - (Sigmas * Math.Sqrt(sigma2 / n)), 0.5 + (Sigmas * Math.Sqrt(sigma2 / n)));
        double varianceError = Sigmas * sigma2 * Math.Sqrt((2 + kurtosis) / n);
        Assert.InRange(variance, sigma2 - varianceError, sigma2 + varianceError);
        Assert.All(x, v => Assert.InRange(v, 0.0, 1.0));
    }

    [Fact]
    public void BetaOfUnequalShapesHasMeanAOverAPlusB()
    {
        const int n = 20_000;
        (double a, double b) = (2.0, 5.0);
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = RandomVariates.Beta(a, b, CounterRng.Key(3, 52, (ulong)i, 0));
        }
        double mean = a / (a + b), sigma2 = a * b / ((a + b) * (a + b) * (a + b + 1));
        Assert.InRange(Moments(x).Mean, mean - (Sigmas * Math.Sqrt(sigma2 / n)), mean + (Sigmas * Math.Sqrt(sigma2 / n)));
    }

    [Fact]
    public void VariatesAreAFunctionOfTheKeyAndRejectBadShapes()
    {
        ulong key = CounterRng.Key(1, 2, 3, 4);
        Assert.Equal(RandomVariates.Beta(0.4, 0.4, key), RandomVariates.Beta(0.4, 0.4, key));
        Assert.NotEqual(RandomVariates.Beta(0.4, 0.4, key), RandomVariates.Beta(0.4, 0.4, key + 1));
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => RandomVariates.Gamma(0, key)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentOutOfRangeException>(() => RandomVariates.Beta(1, double.NaN, key)).ParamName);
    }

    // ------------------------------------------------------------------------------------------------ draws

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void FlipRateIsTheProbability(double p)
    {
        var augmentation = new Augmentation(3, 8, 8, seed: 5) { FlipProbability = p };
        int n = 0, flips = 0;
        for (long step = 0; step < 200; step++)
        {
            for (int r = 0; r < 64; r++, n++)
            {
                flips += augmentation.TransformOf(epoch: 2, step, r).Flip ? 1 : 0;
            }
        }

        // Binomial(n, p): mean np, standard deviation √(np(1 − p)).
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(flips, (n * p) - (Sigmas * sd), (n * p) + (Sigmas * sd));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    public void CropOffsetsAreUniformOnTheGrid_ChiSquare(int padding)
    {
        var augmentation = new Augmentation(1, 28, 28, seed: 9) { CropPadding = padding };
        int side = (2 * padding) + 1, cells = side * side;
        var counts = new int[cells];
        int n = 0;
        for (long step = 0; step < 250; step++)
        {
            for (int r = 0; r < 64; r++, n++)
            {
                Augmentation.RowTransform t = augmentation.TransformOf(epoch: 0, step, r);
                Assert.InRange(t.OffsetY, 0, 2 * padding);
                Assert.InRange(t.OffsetX, 0, 2 * padding);
                Assert.False(t.Flip);
                counts[(t.OffsetY * side) + t.OffsetX]++;
            }
        }

        double expected = (double)n / cells, chi2 = 0;
        foreach (int c in counts)
        {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        Assert.True(chi2 < ChiSquareQuantile(cells - 1, z: 4.75), $"χ² = {chi2:F1} with {cells - 1} degrees of freedom exceeds the 1 − 10⁻⁶ quantile {ChiSquareQuantile(cells - 1, 4.75):F1}");
        // And not suspiciously uniform (a counter instead of random draws): above the 10⁻⁶ quantile.
        Assert.True(chi2 > ChiSquareQuantile(cells - 1, z: -4.75), $"χ² = {chi2:F1} is below the 10⁻⁶ quantile");
    }

    /// <summary>The χ² quantile with <paramref name="k"/> degrees of freedom at the standard normal quantile
    /// <paramref name="z"/> (z = 4.75: 1 − 10⁻⁶), by Wilson and Hilferty (1931): k·(1 − 2/(9k) + z·√(2/(9k)))³.</summary>
    private static double ChiSquareQuantile(int k, double z)
    {
        double a = 2.0 / (9.0 * k);
        return k * Math.Pow(1 - a + (z * Math.Sqrt(a)), 3);
    }

    [Fact]
    public void MixupLambdaOverBatchesHasTheBetaMeanAndVariance()
    {
        var augmentation = new Augmentation(1, 4, 4, seed: 3) { MixupAlpha = 1.0 };
        const int n = 20_000;
        var lambdas = new double[n];
        for (int i = 0; i < n; i++)
        {
            lambdas[i] = augmentation.MixupLambda(epoch: i / 100, step: i % 100);
        }
        // Beta(1, 1) is U(0, 1): mean 1/2, variance 1/12, excess kurtosis −6/5.
        (double mean, double variance) = Moments(lambdas);
        double sigma2 = 1.0 / 12;
        Assert.InRange(mean, 0.5 - (Sigmas * Math.Sqrt(sigma2 / n)), 0.5 + (Sigmas * Math.Sqrt(sigma2 / n)));
        double varianceError = Sigmas * sigma2 * Math.Sqrt((2 - 1.2) / n);
        Assert.InRange(variance, sigma2 - varianceError, sigma2 + varianceError);
        Assert.Equal(1.0, new Augmentation(1, 4, 4, seed: 3).MixupLambda(0, 0));
    }

    // ------------------------------------------------------------------------------------------------ transforms

    [Fact]
    public void CropAndFlipMatchADirectPadCropFlip_NonSquare_InPlaceAndNot()
    {
        (int c, int h, int w, int p, int rows) = (2, 5, 7, 2, 40);
        var augmentation = new Augmentation(c, h, w, seed: 21) { CropPadding = p, FlipProbability = 0.5 };
        float[] images = Images(rows, c * h * w);

        var output = new float[images.Length];
        augmentation.Apply(images, output, epoch: 3, step: 17);
        float[] inPlace = (float[])images.Clone();
        augmentation.Apply(inPlace, inPlace, epoch: 3, step: 17);

        bool sawFlip = false, sawNoFlip = false, sawShift = false;
        for (int r = 0; r < rows; r++)
        {
            Augmentation.RowTransform t = augmentation.TransformOf(3, 17, r);
            sawFlip |= t.Flip;
            sawNoFlip |= !t.Flip;
            sawShift |= t.OffsetY != p || t.OffsetX != p;
            float[] expected = PadCropFlip(images.AsSpan(r * c * h * w, c * h * w), c, h, w, p, t);
            Assert.Equal(expected, output.AsSpan(r * c * h * w, c * h * w).ToArray());
        }
        Assert.Equal(output, inPlace);
        Assert.True(sawFlip && sawNoFlip && sawShift, "the batch should exercise flips, non-flips and shifts");
    }

    [Fact]
    public void FillValueIsWhatThePaddingReads_SoStandardisingThenCroppingEqualsCroppingThenStandardising()
    {
        (int c, int h, int w, int p, int rows) = (1, 6, 6, 2, 30);
        float[] images = Images(rows, c * h * w);
        const float mean = 0.25f, std = 0.5f;
        var plain = new Augmentation(c, h, w, seed: 5) { CropPadding = p, FlipProbability = 0.5 };
        var filled = new Augmentation(c, h, w, seed: 5) { CropPadding = p, FlipProbability = 0.5, FillValue = (0f - mean) / std };

        // Crop first (zero padding), then standardise ...
        var cropThenStandardise = new float[images.Length];
        plain.Apply(images, cropThenStandardise, epoch: 1, step: 2);
        for (int i = 0; i < cropThenStandardise.Length; i++)
        {
            cropThenStandardise[i] = (cropThenStandardise[i] - mean) / std;
        }

        // ... equals standardise first, then crop with the standardised black as the padding.
        float[] standardised = images.Select(v => (v - mean) / std).ToArray();
        var standardiseThenCrop = new float[images.Length];
        filled.Apply(standardised, standardiseThenCrop, epoch: 1, step: 2);
        bool sawPadding = false;
        for (int r = 0; r < rows; r++)
        {
            Augmentation.RowTransform t = filled.TransformOf(1, 2, r);
            sawPadding |= t.OffsetY != p || t.OffsetX != p;
            Assert.Equal(PadCropFlip(standardised.AsSpan(r * h * w, h * w), c, h, w, p, t, fill: -0.5f), standardiseThenCrop.AsSpan(r * h * w, h * w).ToArray());
        }

        Assert.True(sawPadding, "no row read the padding");
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(cropThenStandardise[i], standardiseThenCrop[i], 6);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation(c, h, w, seed: 5) { FillValue = float.NaN });
    }

    /// <summary>torchvision's order, spelled out: pad every side with P zeros, cut H×W at (dy, dx), then mirror.</summary>
    private static float[] PadCropFlip(ReadOnlySpan<float> image, int c, int h, int w, int p, Augmentation.RowTransform t, float fill = 0f)
    {
        int ph = h + (2 * p), pw = w + (2 * p);
        var padded = new float[c * ph * pw];
        padded.AsSpan().Fill(fill);
        for (int k = 0; k < c; k++)
        {
            for (int i = 0; i < h; i++)
            {
                for (int j = 0; j < w; j++)
                {
                    padded[(k * ph * pw) + ((i + p) * pw) + j + p] = image[(k * h * w) + (i * w) + j];
                }
            }
        }
        var result = new float[c * h * w];
        for (int k = 0; k < c; k++)
        {
            for (int i = 0; i < h; i++)
            {
                for (int j = 0; j < w; j++)
                {
                    float v = padded[(k * ph * pw) + ((i + t.OffsetY) * pw) + j + t.OffsetX];
                    result[(k * h * w) + (i * w) + (t.Flip ? w - 1 - j : j)] = v;
                }
            }
        }
        return result;
    }

    [Fact]
    public void ASeedReproducesABatchExactly_AndEpochStepAndSeedChangeIt()
    {
        (int c, int h, int w, int rows) = (3, 8, 8, 16);
        float[] images = Images(rows, c * h * w);
        int[] labels = Enumerable.Range(0, rows).Select(i => (i * 7) % 10).ToArray();

        float[] Run(ulong seed, long epoch, long step, out float[] targets, out double lambda)
        {
            var augmentation = new Augmentation(c, h, w, seed) { CropPadding = 2, FlipProbability = 0.5, MixupAlpha = 0.4 };
            var output = new float[images.Length];
            targets = new float[rows * 10];
            lambda = augmentation.Apply(images, labels, 10, output, targets, epoch, step);
            return output;
        }

        float[] a = Run(42, 1, 5, out float[] ta, out double la);
        float[] b = Run(42, 1, 5, out float[] tb, out double lb);
        Assert.Equal(a, b);
        Assert.Equal(ta, tb);
        Assert.Equal(la, lb);
        Assert.NotEqual(a, Run(43, 1, 5, out _, out _));
        Assert.NotEqual(a, Run(42, 2, 5, out _, out _));
        Assert.NotEqual(a, Run(42, 1, 6, out _, out _));
    }

    [Fact]
    public void MixupMixesMirroredRowsAndWritesProbabilityTargets()
    {
        (int c, int h, int w, int rows, int classes) = (1, 4, 4, 7, 5);
        var augmentation = new Augmentation(c, h, w, seed: 8) { MixupAlpha = 0.2 };
        float[] images = Images(rows, c * h * w);
        int[] labels = [0, 1, 2, 3, 4, 0, 0];
        var output = new float[images.Length];
        var targets = new float[rows * classes];

        double lambda = augmentation.Apply(images, labels, classes, output, targets, epoch: 0, step: 4);

        Assert.Equal(augmentation.MixupLambda(0, 4), lambda);
        Assert.InRange(lambda, 0.0, 1.0);
        Assert.NotEqual(1.0, lambda);
        int n = c * h * w;
        for (int r = 0; r < rows; r++)
        {
            int partner = rows - 1 - r;
            for (int i = 0; i < n; i++)
            {
                double expected = (lambda * images[(r * n) + i]) + ((1 - lambda) * images[(partner * n) + i]);
                Assert.True(Math.Abs(expected - output[(r * n) + i]) <= 1e-6 * Math.Abs(expected), $"row {r} value {i}: expected {expected}, got {output[(r * n) + i]}");
            }
            var expectedTarget = new double[classes];
            expectedTarget[labels[r]] += lambda;
            expectedTarget[labels[partner]] += 1 - lambda;
            for (int k = 0; k < classes; k++)
            {
                Assert.Equal(expectedTarget[k], targets[(r * classes) + k], 6);
            }
            Assert.Equal(1.0, targets.AsSpan(r * classes, classes).ToArray().Sum(), 6);
        }
        // The middle row (3) of an odd batch is its own partner: unchanged, one-hot.
        Assert.Equal(images.AsSpan(3 * n, n).ToArray(), output.AsSpan(3 * n, n).ToArray());
    }

    [Fact]
    public void WithoutMixupTheTargetsAreOneHot_AndWithoutTransformsTheImagesAreCopied()
    {
        float[] images = Images(4, 12);
        var augmentation = new Augmentation(3, 2, 2, seed: 1);
        var output = new float[images.Length];
        var targets = new float[4 * 3];

        Assert.Equal(1.0, augmentation.Apply(images, [2, 0, 1, 2], 3, output, targets, 0, 0));

        Assert.Equal(images, output);
        Assert.Equal([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1], targets);
    }

    [Fact]
    public void TrainingAugmentationNeverChangesTheDatasetSoEvaluationReadsItUnaugmented()
    {
        // A training loop as the samples write it: batches copied from the dataset, augmented in the batch buffer.
        float[] features = Images(10, 3 * 4 * 4);
        float[] original = (float[])features.Clone();
        var data = new InMemoryDataset(features, Enumerable.Range(0, 10).ToArray(), 3 * 4 * 4);
        var augmentation = new Augmentation(3, 4, 4, seed: 2) { CropPadding = 1, FlipProbability = 0.5, MixupAlpha = 1 };
        var batches = new Batches(data.Count, 4, seed: 2);
        var x = new float[4 * data.FeatureCount];
        var y = new int[4];
        var targets = new float[4 * 10];
        bool changed = false;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            batches.Shuffle(epoch);
            for (int b = 0; b < batches.BatchCount; b++)
            {
                int rows = batches.CopyBatch(b, data, x, y);
                float[] before = x.AsSpan(0, rows * data.FeatureCount).ToArray();
                Span<float> batch = x.AsSpan(0, rows * data.FeatureCount);
                augmentation.Apply(batch, y.AsSpan(0, rows), 10, batch, targets.AsSpan(0, rows * 10), epoch, b);
                changed |= !before.AsSpan().SequenceEqual(batch);
            }
        }

        Assert.True(changed, "the training batches should have been augmented");
        Assert.Equal(original, data.Features);

        // The evaluation path (a plain copy, as Predict reads it) gives the rows as they are.
        var plain = new Batches(data.Count, 4, seed: 2);
        plain.CopyBatch(0, data, x, y);
        Assert.Equal(original.AsSpan(0, 4 * data.FeatureCount).ToArray(), x.AsSpan(0, 4 * data.FeatureCount).ToArray());
    }

    [Fact]
    public void ApplyDoesNotAllocate()
    {
        var augmentation = new Augmentation(3, 8, 8, seed: 4) { CropPadding = 2, FlipProbability = 0.5, MixupAlpha = 0.3 };
        float[] images = Images(16, 3 * 8 * 8);
        var output = new float[images.Length];
        var targets = new float[16 * 10];
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        var geometry = new Augmentation(3, 8, 8, seed: 4) { CropPadding = 2, FlipProbability = 0.5 };

        void Run(long step)
        {
            augmentation.Apply(images, labels, 10, output, targets, epoch: 1, step);
            geometry.Apply(output, output, epoch: 1, step);
        }

        Run(0); // warm up (JIT)
        long step = 0;
        AllocationProbe.AssertNoAllocation(() => Run(++step), warmups: 0, repeats: 20);
    }

    [Fact]
    public void BadArgumentsThrowNamingTheArgument()
    {
        var augmentation = new Augmentation(1, 4, 4, seed: 0) { CropPadding = 1 };
        var images = new float[32];
        Assert.Equal("FlipProbability", Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation(1, 4, 4, 0) { FlipProbability = 1.5 }).ParamName);
        Assert.Equal("CropPadding", Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation(1, 4, 4, 0) { CropPadding = 5 }).ParamName);
        Assert.Equal("MixupAlpha", Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation(1, 4, 4, 0) { MixupAlpha = -1 }).ParamName);
        Assert.Equal("channels", Assert.Throws<ArgumentOutOfRangeException>(() => new Augmentation(0, 4, 4, 0)).ParamName);
        Assert.Equal("images", Assert.Throws<ArgumentException>(() => augmentation.Apply(new float[31], new float[31], 0, 0)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => augmentation.Apply(images, new float[16], 0, 0)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => augmentation.Apply(images.AsSpan(0, 16), images.AsSpan(1, 16), 0, 0)).ParamName);
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => augmentation.Apply(images, images, -1, 0)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => augmentation.Apply(images, [0, 7], 5, images, new float[10], 0, 0)).ParamName);
        Assert.Equal("targetProbabilities", Assert.Throws<ArgumentException>(() => augmentation.Apply(images, [0, 1], 5, images, new float[9], 0, 0)).ParamName);
        var mixup = new Augmentation(1, 4, 4, 0) { MixupAlpha = 0.2 };
        Assert.Throws<InvalidOperationException>(() => mixup.Apply(images, images, 0, 0));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static float[] Images(int rows, int size)
    {
        var images = new float[rows * size];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = 1 + (i % 97) + ((i / size) * 0.01f);
        }
        return images;
    }

    private static (double Mean, double Variance) Moments(double[] x)
    {
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Sum() / x.Length;
        return (mean, variance);
    }
}
