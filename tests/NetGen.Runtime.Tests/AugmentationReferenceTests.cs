using System.Text.Json;
using NetGen.Data;

namespace NetGen.Runtime.Tests;

/// <summary>
/// Augmentation against PyTorch (tests/reference/make_augmentation_reference.py → Reference/augmentation.json): the
/// script recomputes NetGen's counter-based draws for a batch and applies torchvision's transforms with them
/// (<c>F.pad</c>, the window slice, <c>torch.flip</c>) and Mixup with <c>x.flip(0)</c> and <c>one_hot</c>. Crops and flips
/// copy values, so they must match bit for bit; λ to 1e-12 (the same double arithmetic); mixed images to one float
/// rounding.
/// </summary>
public class AugmentationReferenceTests
{
    [Theory]
    [InlineData("cifar_like")]
    [InlineData("digits_like")]
    public void DrawsCropsFlipsAndMixupMatchPyTorch(string name)
    {
        JsonElement c = Load(name);
        int[] shape = Ints(c, "shape");
        int rows = c.GetProperty("rows").GetInt32(), classes = c.GetProperty("classes").GetInt32();
        ulong seed = c.GetProperty("seed").GetUInt64();
        long epoch = c.GetProperty("epoch").GetInt64(), step = c.GetProperty("step").GetInt64();
        double alpha = c.GetProperty("alpha").GetDouble();
        var augmentation = new Augmentation(shape[0], shape[1], shape[2], seed)
        {
            CropPadding = c.GetProperty("padding").GetInt32(),
            FlipProbability = c.GetProperty("flip_probability").GetDouble(),
            MixupAlpha = alpha,
        };
        float[] images = Floats(c, "images");
        int[] labels = Ints(c, "labels");

        // The draws.
        bool[] flips = c.GetProperty("flips").EnumerateArray().Select(v => v.GetBoolean()).ToArray();
        int[] dy = Ints(c, "offsets_y"), dx = Ints(c, "offsets_x");
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(new Augmentation.RowTransform(flips[r], dy[r], dx[r]), augmentation.TransformOf(epoch, step, r));
        }

        // Crop and flip alone: copies of input values, bit for bit.
        var geometryOnly = new Augmentation(shape[0], shape[1], shape[2], seed)
        {
            CropPadding = augmentation.CropPadding,
            FlipProbability = augmentation.FlipProbability,
        };
        var cropped = new float[images.Length];
        geometryOnly.Apply(images, cropped, epoch, step);
        Assert.Equal(Floats(c, "augmented"), cropped);

        // With Mixup: λ, the mixed images and the target probabilities.
        var mixed = new float[images.Length];
        var targets = new float[rows * classes];
        double lambda = augmentation.Apply(images, labels, classes, mixed, targets, epoch, step);
        double expectedLambda = c.GetProperty("lambda").GetDouble();
        Assert.True(Math.Abs(lambda - expectedLambda) <= 1e-12 * Math.Abs(expectedLambda), $"λ: expected {expectedLambda:R}, got {lambda:R}");
        TestUtil.AssertClose(c.GetProperty("mixed").EnumerateArray().Select(v => v.GetDouble()).ToArray(), mixed, 1e-7, 1e-6, $"{name}.mixed");
        TestUtil.AssertClose(c.GetProperty("targets").EnumerateArray().Select(v => v.GetDouble()).ToArray(), targets, 1e-7, 1e-6, $"{name}.targets");
    }

    private static JsonElement Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Reference", "augmentation.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty(name).Clone();
    }

    private static float[] Floats(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static int[] Ints(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
