using System.Diagnostics;
using NetGen;
using NetGen.Data;
using Samples.Spiral;

// The spiral data of the CS231n notes: K = 3 arms of N = 100 points in 2-D, radius r ∈ [0, 1],
// angle t = 4k + 4r + 0.2·noise. Generated from a counter-based stream, so every run sees the same points.
const int N = 100, K = 3;
int steps = args.Length > 1 && args[0] == "--steps" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000;

var x = new float[N * K * 2];
var y = new int[N * K];
ulong noise = CounterRng.Key(seed: 0, stream: 100, 0, 0);
for (int k = 0; k < K; k++)
{
    for (int i = 0; i < N; i++)
    {
        int row = (k * N) + i;
        double r = i / (double)(N - 1);
        double t = (k * 4) + (4 * r) + (0.2 * CounterRng.Normal(noise, (ulong)row));
        x[2 * row] = (float)(r * Math.Sin(t));
        x[(2 * row) + 1] = (float)(r * Math.Cos(t));
        y[row] = k;
    }
}

var net = new SpiralNet(seed: 1);
Console.WriteLine(net.Summary());

// Full-batch gradient descent, as in the CS231n notes: every epoch is one step on all 300 points, so shuffling would
// only reorder the rows of the one batch; a line every 200 epochs (the output is read by CI, so it is plain text).
var clock = Stopwatch.StartNew();
TrainingHistory history = net.Fit(new InMemoryDataset(x, y, featureCount: 2), new FitOptions
{
    Epochs = steps,
    Shuffle = false,
    Progress = new PlainProgress(Console.Out, everyEpochs: Math.Max(1, steps / 10)),
});

double trainingMs = history.Sum(epoch => epoch.Seconds) * 1000;
Console.WriteLine($"{history.Count} steps in {trainingMs:F0} ms ({trainingMs * 1000 / history.Count:F1} µs per step), {clock.Elapsed.TotalMilliseconds:F0} ms with the per-epoch evaluation");
Console.WriteLine($"train accuracy: {net.Accuracy(x, y):F2}");
