using System.Diagnostics;
using NetGen;
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
var clock = Stopwatch.StartNew();
for (int step = 1; step <= steps; step++)
{
    float loss = net.TrainStep(x, y); // full batch: 300 points
    if (step % (steps / 10) == 0 || step == 1)
    {
        Console.WriteLine($"step {step,5}: loss {loss:F4}, train accuracy {net.Accuracy(x, y):F2}");
    }
}

Console.WriteLine($"{steps} steps in {clock.Elapsed.TotalMilliseconds:F0} ms ({clock.Elapsed.TotalMilliseconds * 1000 / steps:F1} µs per step)");
Console.WriteLine($"train accuracy: {net.Accuracy(x, y):F2}");
