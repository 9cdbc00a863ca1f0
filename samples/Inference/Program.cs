using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NetGen.Data;
using Samples.Inference;

// Classifies handwritten digits with an MLP trained by PyTorch (train_mnist.py) and loaded from its safetensors file:
//   Inference [--model FILE] [--invert] IMAGE.pgm...   each image's class and the ten probabilities (28×28 PGM, white on black)
//   Inference [--model FILE] [--data DIR]              the accuracy on the 10,000 MNIST test images, against PyTorch's
// Data: --data DIR, else $NETGEN_MNIST_DIR, else data/mnist in or above the working directory or the program, or in a
// folder beside one of those (Mnist.TryFindDirectory), as the tests find it. The model: mnist_mlp.safetensors beside the
// program unless --model. Both modes also print the time to load the model and (unless --no-latency) the per-image
// latency of Predict.
var clock = Stopwatch.StartNew();
string modelPath = Path.Combine(AppContext.BaseDirectory, "mnist_mlp.safetensors");
string? dataDirectory = null;
bool invert = false, latency = true;
var images = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model" when i + 1 < args.Length: modelPath = args[++i]; break;
        case "--data" when i + 1 < args.Length: dataDirectory = args[++i]; break;
        case "--invert": invert = true; break;
        case "--no-latency": latency = false; break;
        case "-h" or "--help":
            Console.WriteLine("usage: Inference [--model FILE] [--no-latency] [--invert] IMAGE.pgm...  |  Inference [--model FILE] [--no-latency] [--data DIR]");
            return 0;
        default:
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"unknown option '{args[i]}' (or it lacks its value); --help for usage");
                return 2;
            }
            images.Add(args[i]);
            break;
    }
}

var net = new MnistMlp(seed: 1);
net.Load(modelPath);
var input = new float[MnistMlp.InputSize];
var scores = new float[MnistMlp.OutputSize];
net.Predict(input, scores); // the first call: lazily created worker threads and buffers
double startupMs = clock.Elapsed.TotalMilliseconds;
Console.WriteLine($"model: {Path.GetFileName(modelPath)}, MLP 784-128-10, {MnistMlp.ParameterCount:N0} parameters");
Console.WriteLine($"loaded and first prediction made {startupMs:F1} ms after Main started");

int status = 0;
if (images.Count > 0)
{
    foreach (string path in images)
    {
        float[] pixels;
        try
        {
            pixels = Digits.ReadPgm(File.ReadAllBytes(path), invert);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{path}: {e.Message}");
            status = 1;
            continue;
        }
        Digits.Standardise(pixels);
        pixels.CopyTo(input, 0);
        net.Predict(input, scores);
        int digit = Digits.ArgMax(scores);
        Digits.Softmax(scores);
        Console.WriteLine($"{path}: class {digit} (p = {scores[digit]:F4})");
        Console.WriteLine("  probabilities: " + string.Join(" ", scores.Select((p, c) => $"{c}:{p.ToString("F4", CultureInfo.InvariantCulture)}")));
    }
}
else
{
    dataDirectory ??= Mnist.TryFindDirectory(out string? found) || Mnist.TryFindDirectory(out found, Directory.GetCurrentDirectory()) ? found : null;
    if (dataDirectory is null)
    {
        Console.Error.WriteLine("MNIST not found: pass --data DIR (the four IDX files), set NETGEN_MNIST_DIR, or give PGM files to classify.");
        return 2;
    }
    MnistDataset data = Mnist.Load(dataDirectory);
    Digits.Standardise(data.TestImages);
    var evaluation = Stopwatch.StartNew();
    int correct = Digits.CountCorrect(net, data.TestImages, data.TestLabels);
    evaluation.Stop();
    Console.WriteLine($"test accuracy: {(double)correct / data.TestCount:F4} ({correct} of {data.TestCount}, {dataDirectory}); " +
                      $"{evaluation.Elapsed.TotalMilliseconds:F1} ms in batches of {MnistMlp.MaxBatch}");
    string record = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "mnist_mlp.json");
    if (File.Exists(record))
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(record));
        int expected = json.RootElement.GetProperty("test_correct").GetInt32();
        Console.WriteLine(expected == correct
            ? $"PyTorch recorded {expected} of {data.TestCount} with these weights: the same"
            : $"PyTorch recorded {expected} of {data.TestCount} with these weights: DIFFERENT");
        status = expected == correct ? 0 : 1;
    }
    data.TestImages.AsSpan(0, MnistMlp.InputSize).CopyTo(input);
}

if (!latency)
{
    return status;
}

// Per-image latency: one image at a time, as an application classifying digits as they come would call it.
const int calls = 2000;
var perCall = new double[9];
for (int w = 0; w < calls; w++)
{
    net.Predict(input, scores);
}
for (int r = 0; r < perCall.Length; r++)
{
    long t0 = Stopwatch.GetTimestamp();
    for (int c = 0; c < calls; c++)
    {
        net.Predict(input, scores);
    }
    perCall[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
}
Array.Sort(perCall);
Console.WriteLine($"latency: {perCall[perCall.Length / 2]:F2} us per image (median of {perCall.Length} runs of {calls} one-image Predict calls; best {perCall[0]:F2})");
return status;
