using System.Diagnostics;
using System.Globalization;
using NetGen;
using NetGen.Data;
using Samples.Cifar;

// CIFAR-10 with a small NetGen ResNet (residual blocks with batch normalisation, global average pooling), trained on
// random 32×32 crops of the images padded by 4 zeros, mirrored left–right with probability 1/2, and optionally Mixup
// (--mixup ALPHA, the paper uses 1 on CIFAR-10); the test set is never augmented. Trainer.Fit runs the loop.
//   dotnet run -c Release --project samples/Cifar -- [--data DIR] [--epochs N] [--seed S] [--no-augment] [--mixup ALPHA]
// Data: --data DIR (the binary version, cifar-10-binary.tar.gz, unpacked: data_batch_1.bin … data_batch_5.bin,
// test_batch.bin, batches.meta.txt, or the cifar-10-batches-bin folder holding them), else $NETGEN_CIFAR10_DIR. Without
// them it says so and trains on a small synthetic set instead.
string? dataDirectory = null;
int epochs = 30;
ulong seed = 1;
bool augment = true;
double mixupAlpha = 0;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--no-augment")
    {
        augment = false;
        continue;
    }
    if (i + 1 >= args.Length)
    {
        return Usage($"option '{args[i]}' needs a value");
    }
    string value = args[++i];
    switch (args[i - 1])
    {
        case "--data": dataDirectory = value; break;
        case "--epochs": epochs = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(value, CultureInfo.InvariantCulture); break;
        case "--mixup": mixupAlpha = double.Parse(value, CultureInfo.InvariantCulture); break;
        default: return Usage($"unknown option '{args[i - 1]}'");
    }
}
if (epochs < 1)
{
    return Usage("--epochs must be at least 1");
}
if (!(mixupAlpha >= 0 && double.IsFinite(mixupAlpha)))
{
    return Usage("--mixup must be a finite α ≥ 0 (0 = off)");
}

INeuralNetwork<int> net = new SmallResNet(seed);
Cifar10Dataset data = LoadOrSynthesize(dataDirectory, seed);

// Per-channel standardisation with the training set's statistics (CIFAR-10: means ≈ 0.491, 0.482, 0.447; standard
// deviations ≈ 0.247, 0.243, 0.262). The test set is standardised once; the training images stay in [0, 1] so that the
// crop's zero padding is black, and each batch is standardised after it is augmented (torchvision's order).
Standardizer standardize = Standardizer.Fit(data.Train, Cifar10.Channels, Cifar10.Height, Cifar10.Width);
standardize.Apply(data.TestImages, data.TestImages);
var augmentation = new Augmentation(Cifar10.Channels, Cifar10.Height, Cifar10.Width, seed)
{
    CropPadding = augment ? 4 : 0,
    FlipProbability = augment ? 0.5 : 0,
};
// Mixup (Zhang et al., ICLR 2018) after the crops, flips and standardisation: one λ ~ Beta(α, α) per batch, each row
// mixed with its mirror in the batch, trained against the mixed class probabilities (soft targets).
Augmentation? mixup = mixupAlpha > 0 ? new Augmentation(Cifar10.Channels, Cifar10.Height, Cifar10.Width, seed) { MixupAlpha = mixupAlpha } : null;
Console.WriteLine($"{data.TrainCount} training and {data.TestCount} test images; channel means {Format(standardize.Mean)}, " +
                  $"standard deviations {Format(standardize.Std)}; {(augment ? "augmented: random crops (padding 4) and horizontal flips" : "not augmented")}" +
                  (mixup is null ? "" : $", Mixup α = {mixupAlpha.ToString(CultureInfo.InvariantCulture)}"));
Console.WriteLine(net.Summary());

// Nesterov SGD 0.05 annealed to 0 over the epochs by a cosine (PyTorch's CosineAnnealingLR, stepped once per epoch).
// Fit prints one line per epoch: the training loss (against the mixed targets with --mixup), the test ("val") loss and
// accuracy, the learning rate and the throughput.
var options = new FitOptions
{
    Epochs = epochs,
    Seed = seed,
    DropLast = true, // full batches only (PyTorch's drop_last=True): batch normalisation of a 1-row remainder has no variance
    TrainingEvaluationRows = 0, // no extra pass over the training images per epoch
    Schedule = new CosineAnnealingLR(net, tMax: epochs),
    // In place on the raw pixels; row r's crop and flip come from (seed, epoch, batch, r); then standardised.
    TransformBatch = (x, rows, epoch, batch) =>
    {
        augmentation.Apply(x, x, epoch, batch);
        standardize.Apply(x, x);
    },
    Mixup = mixup,
};
var total = Stopwatch.StartNew();
TrainingHistory history = net.Fit(data.Train, options, validation: data.Test);

int epochsRun = history.Count;
Console.WriteLine($"{epochsRun} epoch{(epochsRun == 1 ? "" : "s")} in {total.Elapsed.TotalSeconds:F1} s ({total.Elapsed.TotalSeconds / Math.Max(epochsRun, 1):F1} s per epoch)");
Console.WriteLine($"test accuracy: {history.Final?.Accuracy ?? double.NaN:F4}");
return 0;

static int Usage(string error)
{
    Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine("usage: dotnet run -c Release --project samples/Cifar -- [--data DIR] [--epochs N] [--seed S] [--no-augment] [--mixup ALPHA]");
    return 2;
}

static string Format(ReadOnlySpan<double> values)
{
    var parts = new string[values.Length];
    for (int i = 0; i < values.Length; i++)
    {
        parts[i] = values[i].ToString("F3", CultureInfo.InvariantCulture);
    }
    return "[" + string.Join(", ", parts) + "]";
}

static Cifar10Dataset LoadOrSynthesize(string? directory, ulong seed)
{
    if (directory is not null)
    {
        Console.WriteLine($"CIFAR-10 from {directory}");
        return Cifar10.Load(directory); // a wrong --data is an error, not a reason to train on something else
    }
    if (Cifar10.TryFindDirectory(out string? found))
    {
        Console.WriteLine($"CIFAR-10 from {found} (${Cifar10.EnvironmentVariable})");
        return Cifar10.Load(found);
    }

    Console.WriteLine("CIFAR-10 not found: pass --data DIR or set " + Cifar10.EnvironmentVariable + " to the unpacked binary version");
    Console.WriteLine("  (cifar-10-binary.tar.gz: data_batch_1.bin … data_batch_5.bin, test_batch.bin, batches.meta.txt).");
    Console.WriteLine("Training on a small SYNTHETIC set instead: its accuracy says nothing about CIFAR-10.");
    return Synthetic(trainCount: 2560, testCount: 500, seed);
}

// Class k is a 10×10 patch of colour (k mod 3 bright, the others dim) at cell (k mod 5, k div 5) of a 5×2 grid, moved by
// up to 3 pixels, on noise: learnable, and the crops and flips keep it learnable.
static Cifar10Dataset Synthetic(int trainCount, int testCount, ulong seed)
{
    return new Cifar10Dataset(Make(trainCount, stream: 0), Make(testCount, stream: 1), Cifar10.DefaultClassNames);

    InMemoryDataset Make(int count, ulong stream)
    {
        const int size = Cifar10.Height * Cifar10.Width;
        var images = new float[count * Cifar10.ImageSize];
        var labels = new int[count];
        ulong key = CounterRng.Key(seed, 1000 + stream, 0, 0);
        for (int n = 0; n < count; n++)
        {
            int label = n % Cifar10.Classes;
            labels[n] = label;
            int top = 4 + (14 * (label / 5)) + (int)(CounterRng.Bits(key, (ulong)(2 * n)) % 7) - 3;
            int left = 1 + (6 * (label % 5)) + (int)(CounterRng.Bits(key, (ulong)((2 * n) + 1)) % 7) - 3;
            for (int c = 0; c < Cifar10.Channels; c++)
            {
                Span<float> plane = images.AsSpan((n * Cifar10.ImageSize) + (c * size), size);
                double level = c == label % 3 ? 0.9 : 0.3;
                for (int p = 0; p < size; p++)
                {
                    int r = p / Cifar10.Width, col = p % Cifar10.Width;
                    bool inPatch = r >= top && r < top + 10 && col >= left && col < left + 10;
                    double noise = 0.15 * Math.Abs(CounterRng.Normal(key, (ulong)((2 * count) + (((n * Cifar10.Channels) + c) * size) + p)));
                    plane[p] = (float)Math.Clamp((inPatch ? level : 0.0) + noise, 0.0, 1.0);
                }
            }
        }
        return new InMemoryDataset(images, labels, Cifar10.ImageSize);
    }
}
