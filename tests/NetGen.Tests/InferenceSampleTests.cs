using NetGen.Data;
using System.Text;
using System.Text.Json;
using Samples.Inference;

namespace NetGen.Tests;

/// <summary>samples/Inference: the model PyTorch trained (samples/Inference/train_mnist.py), loaded from its safetensors
/// file by the sample's network, gives what PyTorch recorded in mnist_mlp.json for the same weights.</summary>
public sealed class InferenceSampleTests
{
    private static string SampleFile(string name) => Path.Combine(TestPaths.RepositoryRoot(), "samples", "Inference", name);

    private static MnistMlp LoadModel()
    {
        var net = new MnistMlp(seed: 1);
        net.Load(SampleFile("mnist_mlp.safetensors"));
        return net;
    }

    private static JsonElement Record()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(SampleFile("mnist_mlp.json")));
        return json.RootElement.Clone();
    }

    [MnistFact]
    public void TestAccuracyIsTheOnePyTorchRecordedForTheSameWeights()
    {
        MnistDataset data = NetGen.Data.Mnist.Load(TestPaths.Mnist()!);
        Digits.Standardise(data.TestImages);
        JsonElement record = Record();

        int correct = Digits.CountCorrect(LoadModel(), data.TestImages, data.TestLabels);

        Assert.Equal(record.GetProperty("test_images").GetInt32(), data.TestCount);
        Assert.Equal(record.GetProperty("test_correct").GetInt32(), correct);
        Assert.True(correct > 9600, $"{correct} of 10,000: the committed model should be a trained one");

        // The first 20 predictions one image at a time (batch 1: the GEMV path), as PyTorch made them.
        MnistMlp net = LoadModel();
        var scores = new float[MnistMlp.OutputSize];
        int[] expected = record.GetProperty("test_predictions_first_20").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            net.Predict(data.TestImages.AsSpan(i * MnistMlp.InputSize, MnistMlp.InputSize), scores);
            Assert.Equal(expected[i], Digits.ArgMax(scores));
        }
    }

    [Fact]
    public void TheCommittedDigitGetsPyTorchsScoresAndProbabilities()
    {
        float[] pixels = Digits.ReadPgm(File.ReadAllBytes(SampleFile("seven.pgm")));
        Digits.Standardise(pixels);
        var scores = new float[MnistMlp.OutputSize];
        LoadModel().Predict(pixels, scores);

        JsonElement record = Record();
        double[] expectedScores = record.GetProperty("seven_pgm_scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double scale = expectedScores.Max(Math.Abs);
        for (int c = 0; c < scores.Length; c++)
        {
            Assert.True(Math.Abs(scores[c] - expectedScores[c]) <= 1e-5 * scale, $"score {c}: {scores[c]} against PyTorch's {expectedScores[c]}");
        }
        Assert.Equal(7, Digits.ArgMax(scores));

        Digits.Softmax(scores);
        double[] expectedProbabilities = record.GetProperty("seven_pgm_probabilities").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int c = 0; c < scores.Length; c++)
        {
            Assert.True(Math.Abs(scores[c] - expectedProbabilities[c]) <= 1e-5, $"probability {c}: {scores[c]} against PyTorch's {expectedProbabilities[c]}");
        }
    }

    [Fact]
    public void PlainPgmReadsLikeBinaryPgm()
    {
        byte[] binary = File.ReadAllBytes(SampleFile("seven.pgm"));
        float[] fromBinary = Digits.ReadPgm(binary);
        byte[] pixels = binary[^784..];
        string plain = "P2\n# the same digit, plain\n28 28\n255\n" + string.Join("\n", pixels.Chunk(28).Select(row => string.Join(" ", row)));
        Assert.Equal(fromBinary, Digits.ReadPgm(Encoding.ASCII.GetBytes(plain)));

        float[] inverted = Digits.ReadPgm(binary, invert: true);
        Assert.Equal(fromBinary.Select(v => 1f - v), inverted);
    }

    [Theory]
    [InlineData("P6\n28 28\n255\n", "magic 'P6'")]
    [InlineData("P5\n27 28\n255\n", "27×28")]
    [InlineData("P5\n28 28\n65535\n", "maxval 65535")]
    [InlineData("P5\n28 28\n255\nabc", "3 pixel bytes")]
    [InlineData("P2\n28 28\n", "ends early")]
    [InlineData("P2\n28 28\n9\n10", "above maxval")]
    public void BadPgmFilesAreRejectedSayingWhy(string file, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Digits.ReadPgm(Encoding.ASCII.GetBytes(file)));
        Assert.Contains(expected, e.Message);
    }
}
