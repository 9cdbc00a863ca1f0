using System.Globalization;
using System.Text;
using NetGen;

namespace Samples.Inference;

/// <summary>The network PyTorch trained (train_mnist.py): nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)),
/// whose state_dict keys 0.weight, 0.bias, 2.weight, 2.bias are this declaration's. BatchSize is the most rows one
/// forward pass takes: Predict cuts the 10,000 test images into chunks of 100.</summary>
[Network(InputSize = 784, BatchSize = 100)]
[Dense(128), ReLU, Dense(10)]
public partial class MnistMlp { }

/// <summary>What the sample does with images, shared with its test (tests/NetGen.Tests/InferenceSampleTests.cs).</summary>
public static class Digits
{
    /// <summary>MNIST's pixel mean and standard deviation, as train_mnist.py standardises with them.</summary>
    public const float Mean = 0.1307f, Std = 0.3081f;

    /// <summary>(pixel − mean) / std per pixel, pixels in [0, 1] (byte / 255): train_mnist.py's arithmetic in float32.</summary>
    public static void Standardise(Span<float> pixels)
    {
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (pixels[i] - Mean) / Std;
        }
    }

    /// <summary>The class of each row of <paramref name="scores"/> [rows, 10]: the first largest score, as torch.argmax.</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int c = 1; c < scores.Length; c++)
        {
            if (scores[c] > scores[best])
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>How many of <paramref name="labels"/> the network predicts from <paramref name="images"/> (standardised).</summary>
    public static int CountCorrect(MnistMlp net, float[] images, int[] labels)
    {
        var scores = new float[labels.Length * MnistMlp.OutputSize];
        net.Predict(images, scores);
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            correct += ArgMax(scores.AsSpan(i * MnistMlp.OutputSize, MnistMlp.OutputSize)) == labels[i] ? 1 : 0;
        }

        return correct;
    }

    /// <summary>softmax(scores) in place.</summary>
    public static void Softmax(Span<float> scores)
    {
        float max = scores[0];
        foreach (float s in scores)
        {
            max = Math.Max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < scores.Length; c++)
        {
            scores[c] = MathF.Exp(scores[c] - max);
            sum += scores[c];
        }
        for (int c = 0; c < scores.Length; c++)
        {
            scores[c] = (float)(scores[c] / sum);
        }
    }

    /// <summary>
    /// Reads a 28×28 grey-scale PGM (binary P5 or plain P2, maxval up to 255, '#' comments) as pixels in [0, 1]
    /// (value / maxval): white digit on black, as MNIST; <paramref name="invert"/> for a dark digit on light paper.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a PGM this reads, or not 28×28.</exception>
    public static float[] ReadPgm(byte[] file, bool invert = false)
    {
        int position = 0;
        string magic = Token(file, ref position);
        if (magic is not ("P5" or "P2"))
        {
            throw new InvalidDataException($"not a grey-scale PGM: magic '{magic}', expected P5 or P2");
        }
        int width = Number(file, ref position, "width"), height = Number(file, ref position, "height"), maxval = Number(file, ref position, "maxval");
        if (width != 28 || height != 28)
        {
            throw new InvalidDataException($"the image is {width}×{height}; the model reads 28×28 MNIST-style digits");
        }
        if (maxval is < 1 or > 255)
        {
            throw new InvalidDataException($"maxval {maxval}: only 8-bit PGM (maxval 1–255) is read");
        }

        var pixels = new float[width * height];
        if (magic == "P5")
        {
            position++; // the single whitespace after maxval
            if (file.Length - position < pixels.Length)
            {
                throw new InvalidDataException($"the PGM holds {Math.Max(0, file.Length - position)} pixel bytes, {pixels.Length} expected");
            }
        }
        for (int i = 0; i < pixels.Length; i++)
        {
            int value = magic == "P5" ? file[position + i] : Number(file, ref position, "pixel");
            if (value > maxval)
            {
                throw new InvalidDataException($"pixel {i} is {value}, above maxval {maxval}");
            }
            float v = (float)value / maxval;
            pixels[i] = invert ? 1f - v : v;
        }

        return pixels;
    }

    private static int Number(byte[] file, ref int position, string what)
    {
        string token = Token(file, ref position);
        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidDataException($"PGM {what}: '{token}' is not a number");
    }

    private static string Token(byte[] file, ref int position)
    {
        while (position < file.Length && (char.IsWhiteSpace((char)file[position]) || file[position] == '#'))
        {
            if (file[position] == '#')
            {
                while (position < file.Length && file[position] != '\n')
                {
                    position++;
                }
            }
            else
            {
                position++;
            }
        }
        var token = new StringBuilder();
        while (position < file.Length && !char.IsWhiteSpace((char)file[position]) && file[position] != '#')
        {
            token.Append((char)file[position++]);
        }
        return token.Length > 0 ? token.ToString() : throw new InvalidDataException("the PGM header ends early");
    }
}
