using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --conv-profile [calls]</c>): the fastest of many calls of each kernel of
/// <see cref="BenchCnn"/>'s step and of the whole step, so the share of each is visible on a busy machine (the minimum
/// is the call that no other process interrupted).</summary>
internal static class ConvProfile
{
    public static int Run(string[] args)
    {
        int calls = args.Length > 1 ? int.Parse(args[1]) : 300;
        const int B = 64;
        var g1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var g2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p2 = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = NetworkBenchmarks.Fill(B * 784, 1), w1 = NetworkBenchmarks.Fill(72, 2), b1 = NetworkBenchmarks.Fill(8, 3);
        float[] y1 = new float[B * g1.OutputLength], q1 = new float[B * p1.OutputLength];
        float[] w2 = NetworkBenchmarks.Fill(16 * 72, 4), b2 = NetworkBenchmarks.Fill(16, 5);
        float[] y2 = new float[B * g2.OutputLength], q2 = new float[B * p2.OutputLength];
        int[] i1 = new int[q1.Length], i2 = new int[q2.Length];
        float[] dy2 = NetworkBenchmarks.Fill(y2.Length, 6), dq1 = new float[q1.Length], dy1 = NetworkBenchmarks.Fill(y1.Length, 7);
        float[] dw1 = new float[72], db1 = new float[8], dw2 = new float[16 * 72], db2 = new float[16];
        float[] dx = new float[B * 784];
        var net = new BenchCnn(1);
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();
        float[] scores = new float[B * 10];

        var bodies = new (string Name, Action Body)[]
        {
            ("conv1 forward (bias, ReLU)", () => Conv2D.Forward<float>(x, w1, b1, y1, B, g1, fuseReLU: true)),
            ("pool1 forward", () => MaxPool2D.Forward<float>(y1, q1, i1, B, p1)),
            ("conv2 forward (bias, ReLU)", () => Conv2D.Forward<float>(q1, w2, b2, y2, B, g2, fuseReLU: true)),
            ("pool2 forward", () => MaxPool2D.Forward<float>(y2, q2, i2, B, p2)),
            ("conv2 backward (dx, dW, db)", () => Conv2D.Backward<float>(dy2, q1, w2, dq1, dw2, db2, B, g2)),
            ("pool1 backward", () => MaxPool2D.Backward<float>(dq1, i1, dy1, B, p1)),
            ("conv1 backward (dW, db)", () => Conv2D.Backward<float>(dy1, x, w1, default, dw1, db1, B, g1)),
            ("conv1 forward, batch 1", () => Conv2D.Forward<float>(x.AsSpan(0, 784), w1, b1, y1.AsSpan(0, g1.OutputLength), 1, g1, fuseReLU: true)),
            ("conv2 forward, batch 1", () => Conv2D.Forward<float>(q1.AsSpan(0, g2.InputLength), w2, b2, y2.AsSpan(0, g2.OutputLength), 1, g2, fuseReLU: true)),
            ("BenchCnn.TrainStep", () => net.TrainStep(x, labels)),
            ("BenchCnn.Predict, batch 64", () => net.Predict(x, scores)),
            ("BenchCnn.Predict, batch 1", () => net.Predict(x.AsSpan(0, 784), scores.AsSpan(0, 10))),
        };
        foreach ((string name, Action body) in bodies)
        {
            for (int i = 0; i < 20; i++)
            {
                body();
            }
        }
        var best = new double[bodies.Length];
        Array.Fill(best, double.MaxValue);
        for (int i = 0; i < calls; i++)
        {
            for (int b = 0; b < bodies.Length; b++)
            {
                long t0 = Stopwatch.GetTimestamp();
                bodies[b].Body();
                best[b] = Math.Min(best[b], Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        }
        for (int b = 0; b < bodies.Length; b++)
        {
            Console.WriteLine($"{bodies[b].Name,-32} {best[b] * 1e6,10:F1} us (fastest of {calls})");
        }
        return 0;
    }
}
