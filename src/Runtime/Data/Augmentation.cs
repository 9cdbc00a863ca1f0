using System;

namespace NetGen.Data;

/// <summary>
/// Training-time data augmentation of image batches <c>[B, C, H, W]</c>: random crop with zero padding, random
/// horizontal flip and Mixup, each drawn from a counter-based stream keyed by (seed, epoch, step, row), so that a seed
/// reproduces every augmented batch exactly, on any thread and after a restart. It is applied by the training loop
/// between <see cref="Batches.CopyBatch"/> and <c>TrainStep</c>; evaluation and <c>Predict</c> read the data as they
/// are (nothing in a network or a dataset is changed by it).
/// </summary>
/// <remarks>
/// <para>Per row r of batch (epoch, step), with key = <c>CounterRng.Key(seed, GeometryStream, epoch, step)</c>:</para>
/// <code>
/// flip   = Uniform(key, 3r) &lt; FlipProbability
/// dy, dx = Bits(key, 3r + 1) mod (2P + 1),  Bits(key, 3r + 2) mod (2P + 1)      (P = CropPadding; uniform on 0..2P)
/// y[c, i, j] = x[c, i + dy − P, j' + dx − P]   (0 outside the image),  j' = W − 1 − j when flip, else j
/// </code>
/// <para>That is torchvision's <c>RandomCrop(H, padding=P)</c> (pad every side with P zeros, cut an H×W window at
/// offset (dy, dx)) followed by <c>RandomHorizontalFlip(p)</c>. The zeros are zeros of the data as given: augment raw
/// pixels and standardize the batch afterwards (torchvision's order) for black borders; on data standardized beforehand
/// they are the channel mean. The modulo bias of the offsets is below (2P + 1)/2⁶⁴.</para>
/// <para>Mixup (Zhang, Cisse, Dauphin and Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018): one
/// λ ~ Beta(α, α) per batch (as the authors' code), <c>λ = RandomVariates.Beta(α, α, CounterRng.Key(seed, MixupStream,
/// epoch, step))</c>, and each row mixed with the row at the mirrored position of the (already shuffled) batch, as in
/// timm's batch-mode Mixup:</para>
/// <code>
/// x̃[r] = λ·x[r] + (1 − λ)·x[B − 1 − r]          ỹ[r, k] = λ·[k = y_r] + (1 − λ)·[k = y_(B−1−r)]
/// </code>
/// <para>The targets ỹ are rows of class probabilities [B, classes] (each sums to 1), for a softmax cross-entropy
/// training step that takes target probabilities. For odd B the middle row is its own partner and stays unmixed.</para>
/// <para>One buffer of one image is allocated at construction; <c>Apply</c> allocates nothing. An instance is not
/// thread-safe (the buffer); use one per training loop.</para>
/// </remarks>
public sealed class Augmentation
{
    /// <summary>The <see cref="CounterRng"/> stream of crops and flips: <c>Key(seed, GeometryStream, epoch, step)</c>.
    /// Far from the streams the networks use (0, 1, 2 and the next few) so that no two draws share a key.</summary>
    public const ulong GeometryStream = 0x4E47_4155_4700; // "NGAUG\0"

    /// <summary>The <see cref="CounterRng"/> stream of Mixup's λ: <c>Key(seed, MixupStream, epoch, step)</c>.</summary>
    public const ulong MixupStream = 0x4E47_4155_4701;

    private float _fillValue;

    private readonly float[] _image;
    private readonly double _flipProbability;
    private readonly int _cropPadding;
    private readonly double _mixupAlpha;

    /// <summary>Creates an augmentation of <c>[channels, height, width]</c> images that changes nothing until
    /// <see cref="FlipProbability"/>, <see cref="CropPadding"/> or <see cref="MixupAlpha"/> is set.</summary>
    /// <param name="channels">C, &gt; 0.</param>
    /// <param name="height">H, &gt; 0.</param>
    /// <param name="width">W, &gt; 0.</param>
    /// <param name="seed">The seed of every draw.</param>
    public Augmentation(int channels, int height, int width, ulong seed)
    {
        int[] shape = Preprocessing.ImageShape(channels, height, width);
        Channels = shape[0];
        Height = shape[1];
        Width = shape[2];
        Seed = seed;
        _image = new float[ImageSize];
    }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>H.</summary>
    public int Height { get; }

    /// <summary>W.</summary>
    public int Width { get; }

    /// <summary>Values per image, C·H·W.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The seed of every draw.</summary>
    public ulong Seed { get; }

    /// <summary>Probability that a row is mirrored left–right, in [0, 1]. Default 0 (off); 0.5 is the usual value for
    /// natural images. Not for digits or text, whose mirror image is another symbol.</summary>
    public double FlipProbability
    {
        get => _flipProbability;
        init
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(FlipProbability), value, "A probability is in [0, 1].");
            }
            _flipProbability = value;
        }
    }

    /// <summary>P: zeros added on each side before an H×W window is cut at a random offset (random crop), in
    /// [0, min(H, W)]. Default 0 (off); 4 for 32×32 CIFAR images, 2 for 28×28 digits.</summary>
    public int CropPadding
    {
        get => _cropPadding;
        init
        {
            if (value < 0 || value > Math.Min(Height, Width))
            {
                throw new ArgumentOutOfRangeException(nameof(CropPadding), value, $"The crop padding is in [0, {Math.Min(Height, Width)}] (at most the image's smaller side).");
            }
            _cropPadding = value;
        }
    }

    /// <summary>The value the crop's padding reads, default 0 (black for pixels in [0, 1], as torchvision's <c>RandomCrop</c>).
    /// For images standardised before they are cropped, use the standardised black, (0 − mean)/std, so that the result is
    /// that of cropping first and standardising after. Must be finite.</summary>
    public float FillValue
    {
        get => _fillValue;
        set
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(nameof(FillValue), value, "FillValue must be finite.");
            }
            _fillValue = value;
        }
    }

    /// <summary>α of Mixup's λ ~ Beta(α, α), finite and ≥ 0. Default 0 (off); the paper uses 0.2 to 1 (1 for CIFAR-10).
    /// With Mixup on, use the <see cref="Apply(ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float}, Span{float}, long, long)"/>
    /// overload that writes target probabilities.</summary>
    public double MixupAlpha
    {
        get => _mixupAlpha;
        init
        {
            if (!double.IsFinite(value) || value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MixupAlpha), value, "Mixup's α must be finite and ≥ 0 (0 turns Mixup off).");
            }
            _mixupAlpha = value;
        }
    }

    /// <summary>A row's crop offsets and flip.</summary>
    /// <param name="Flip">Whether the row is mirrored left–right.</param>
    /// <param name="OffsetY">dy in [0, 2P]: the window starts dy − P rows below the image's top (P means centred).</param>
    /// <param name="OffsetX">dx in [0, 2P], likewise for columns.</param>
    public readonly record struct RowTransform(bool Flip, int OffsetY, int OffsetX);

    /// <summary>The crop and flip of row <paramref name="row"/> of batch (<paramref name="epoch"/>, <paramref name="step"/>).</summary>
    /// <param name="epoch">Epoch, ≥ 0.</param>
    /// <param name="step">Step (the batch index in the epoch, or a global step), ≥ 0.</param>
    /// <param name="row">Row in the batch, ≥ 0.</param>
    /// <returns>The draws the formula in the remarks gives (no flip and offsets P, P for a disabled transform).</returns>
    public RowTransform TransformOf(long epoch, long step, int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        return TransformOf(GeometryKey(epoch, step), row);
    }

    /// <summary>Mixup's λ of batch (<paramref name="epoch"/>, <paramref name="step"/>): Beta(α, α), or 1 when Mixup is off.</summary>
    /// <param name="epoch">Epoch, ≥ 0.</param>
    /// <param name="step">Step, ≥ 0.</param>
    /// <returns>λ in [0, 1].</returns>
    public double MixupLambda(long epoch, long step)
    {
        CheckCoordinates(epoch, step);
        return _mixupAlpha > 0
            ? RandomVariates.Beta(_mixupAlpha, _mixupAlpha, CounterRng.Key(Seed, MixupStream, (ulong)epoch, (ulong)step))
            : 1.0;
    }

    /// <summary>y = crop and flip of each image (see the remarks); labels are unchanged. Mixup is not applied: with
    /// <see cref="MixupAlpha"/> set this throws, use the overload that writes target probabilities.</summary>
    /// <param name="images">The batch, [B, C, H, W] row-major.</param>
    /// <param name="output">B·C·H·W values; may be <paramref name="images"/> itself (in place).</param>
    /// <param name="epoch">Epoch, ≥ 0.</param>
    /// <param name="step">Step, ≥ 0.</param>
    public void Apply(ReadOnlySpan<float> images, Span<float> output, long epoch, long step)
    {
        if (_mixupAlpha > 0)
        {
            throw new InvalidOperationException("Mixup is on (MixupAlpha > 0): its targets are class probabilities, so call the Apply overload that takes the labels and writes target probabilities.");
        }
        CheckCoordinates(epoch, step);
        CheckImages(images, output);
        ApplyGeometry(images, output, GeometryKey(epoch, step));
    }

    /// <summary>Crop and flip each image, then Mixup (when <see cref="MixupAlpha"/> &gt; 0) the images and their one-hot
    /// labels into target probabilities [B, classes] (one-hot rows when Mixup is off).</summary>
    /// <param name="images">The batch, [B, C, H, W] row-major.</param>
    /// <param name="labels">B labels in [0, classes).</param>
    /// <param name="classes">Number of classes, &gt; 0.</param>
    /// <param name="output">B·C·H·W values; may be <paramref name="images"/> itself (in place).</param>
    /// <param name="targetProbabilities">Receives [B, classes] rows, each summing to 1.</param>
    /// <param name="epoch">Epoch, ≥ 0.</param>
    /// <param name="step">Step, ≥ 0.</param>
    /// <returns>The batch's λ (1 when Mixup is off).</returns>
    public double Apply(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int classes, Span<float> output, Span<float> targetProbabilities, long epoch, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        CheckCoordinates(epoch, step);
        int rows = CheckImages(images, output);
        if (labels.Length != rows)
        {
            throw new ArgumentException($"{rows} images need {rows} labels; {labels.Length} were given.", nameof(labels));
        }
        if (targetProbabilities.Length != (long)rows * classes)
        {
            throw new ArgumentException($"'targetProbabilities' has {targetProbabilities.Length} values; {rows} rows of {classes} classes need {(long)rows * classes}.", nameof(targetProbabilities));
        }
        for (int r = 0; r < rows; r++)
        {
            if ((uint)labels[r] >= (uint)classes)
            {
                throw new ArgumentException($"labels[{r}] is {labels[r]}; labels are in [0, {classes}).", nameof(labels));
            }
        }

        ApplyGeometry(images, output, GeometryKey(epoch, step));
        double lambda = MixupLambda(epoch, step);

        // ỹ[r] = λ·onehot(y_r) + (1 − λ)·onehot(y_(B−1−r)); x̃[r] = λ·x[r] + (1 − λ)·x[B−1−r], pairs (r, B−1−r) in place.
        targetProbabilities.Clear();
        float l = (float)lambda, m = (float)(1.0 - lambda);
        for (int r = 0; r < rows; r++)
        {
            Span<float> target = targetProbabilities.Slice(r * classes, classes);
            target[labels[r]] += l;
            target[labels[rows - 1 - r]] += m;
        }
        if (lambda < 1.0)
        {
            int n = ImageSize;
            for (int r = 0; r < rows / 2; r++)
            {
                Span<float> a = output.Slice(r * n, n), b = output.Slice((rows - 1 - r) * n, n);
                for (int i = 0; i < n; i++)
                {
                    float xa = a[i], xb = b[i];
                    a[i] = (l * xa) + (m * xb);
                    b[i] = (l * xb) + (m * xa);
                }
            }
        }
        return lambda;
    }

    private ulong GeometryKey(long epoch, long step)
    {
        CheckCoordinates(epoch, step);
        return CounterRng.Key(Seed, GeometryStream, (ulong)epoch, (ulong)step);
    }

    private RowTransform TransformOf(ulong key, int row)
    {
        ulong i = 3 * (ulong)row;
        bool flip = _flipProbability > 0 && CounterRng.Uniform(key, i) < _flipProbability;
        ulong span = (2 * (ulong)_cropPadding) + 1;
        return new RowTransform(flip, (int)(CounterRng.Bits(key, i + 1) % span), (int)(CounterRng.Bits(key, i + 2) % span));
    }

    // y[c, i, j] = x[c, i + dy − P, j' + dx − P] (FillValue outside), j' = W − 1 − j when flipped; each image through _image.
    private void ApplyGeometry(ReadOnlySpan<float> images, Span<float> output, ulong key)
    {
        int n = ImageSize, rows = images.Length / n, p = _cropPadding, h = Height, w = Width;
        for (int r = 0; r < rows; r++)
        {
            RowTransform t = TransformOf(key, r);
            ReadOnlySpan<float> source = images.Slice(r * n, n);
            Span<float> destination = output.Slice(r * n, n);
            if (!t.Flip && t.OffsetY == p && t.OffsetX == p)
            {
                source.CopyTo(destination); // no-op in place
                continue;
            }

            source.CopyTo(_image);
            int shiftY = t.OffsetY - p, shiftX = t.OffsetX - p;
            // Columns j whose source column j + shiftX is inside the image (before the flip): [j0, j1).
            int j0 = Math.Max(0, -shiftX), j1 = Math.Min(w, w - shiftX);
            for (int c = 0; c < Channels; c++)
            {
                for (int i = 0; i < h; i++)
                {
                    Span<float> line = destination.Slice((c * h * w) + (i * w), w);
                    int si = i + shiftY;
                    if (si < 0 || si >= h || j0 >= j1)
                    {
                        line.Fill(_fillValue);
                        continue;
                    }
                    ReadOnlySpan<float> sourceLine = _image.AsSpan((c * h * w) + (si * w), w);
                    if (!t.Flip)
                    {
                        line.Slice(0, j0).Fill(_fillValue);
                        sourceLine.Slice(j0 + shiftX, j1 - j0).CopyTo(line.Slice(j0, j1 - j0));
                        line.Slice(j1).Fill(_fillValue);
                    }
                    else
                    {
                        // line[j] = cropped[W − 1 − j]: zero where W − 1 − j is outside [j0, j1).
                        for (int j = 0; j < w; j++)
                        {
                            int k = w - 1 - j;
                            line[j] = k >= j0 && k < j1 ? sourceLine[k + shiftX] : _fillValue;
                        }
                    }
                }
            }
        }
    }

    private int CheckImages(ReadOnlySpan<float> images, Span<float> output)
    {
        if (images.Length % ImageSize != 0)
        {
            throw new ArgumentException($"{images.Length} values are not whole images of [{Channels}, {Height}, {Width}] ({ImageSize} values).", nameof(images));
        }
        if (output.Length != images.Length)
        {
            throw new ArgumentException($"'output' has {output.Length} values; the {images.Length / ImageSize} images have {images.Length}.", nameof(output));
        }
        if (images.Overlaps(output, out int offset) && offset != 0)
        {
            throw new ArgumentException("'output' overlaps 'images' at another position; pass the images themselves (in place) or a separate buffer.", nameof(output));
        }
        return images.Length / ImageSize;
    }

    private static void CheckCoordinates(long epoch, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
    }
}
