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
        bool instructions = args.Length > 1 && args[1] == "--instructions";
        int calls = instructions || (args.Length > 1 && args[1] == "--ab") ? 0 : args.Length > 1 ? int.Parse(args[1]) : 300;
        string? only = instructions && args.Length > 2 ? args[2] : null;
        int reps = instructions && args.Length > 3 ? int.Parse(args[3]) : 0;
        if (instructions)
        {
            // Every kernel on this thread: the workers held for good (a kernel that finds them taken runs all its parts
            // itself), so no worker spins into the count.
            BenchThreads.One();
        }
        if (Environment.GetEnvironmentVariable("NETGEN_CONV_OLD") == "1")
        {
            // The kernels of before this work, for the before/after instruction counts.
            Old(true);
        }
        if (Environment.GetEnvironmentVariable("NETGEN_ONE_THREAD") == "1")
        {
            BenchThreads.One();
        }
        bool ab = args.Length > 1 && args[1] == "--ab";
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
        float[] dq2 = NetworkBenchmarks.Fill(q2.Length, 8), dr2 = new float[y2.Length], dy2r = new float[y2.Length], dr1 = new float[y1.Length];
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
            ("conv2 backward (dW, db only)", () => Conv2D.Backward<float>(dy2, q1, w2, default, dw2, db2, B, g2)),
            ("pool2 backward", () => MaxPool2D.Backward<float>(dq2, i2, dr2, B, p2)),
            ("ReLU2 backward", () => Activations.ReLUBackward<float>(dr2, y2, dy2r)),
            ("ReLU1 backward", () => Activations.ReLUBackward<float>(dy1, y1, dr1)),
            ("conv1 forward, batch 1", () => Conv2D.Forward<float>(x.AsSpan(0, 784), w1, b1, y1.AsSpan(0, g1.OutputLength), 1, g1, fuseReLU: true)),
            ("conv2 forward, batch 1", () => Conv2D.Forward<float>(q1.AsSpan(0, g2.InputLength), w2, b2, y2.AsSpan(0, g2.OutputLength), 1, g2, fuseReLU: true)),
            ("BenchCnn.TrainStep", () => net.TrainStep(x, labels)),
            ("BenchCnn.Predict, batch 64", () => net.Predict(x, scores)),
            ("BenchCnn.Predict, batch 1", () => net.Predict(x.AsSpan(0, 784), scores.AsSpan(0, 10))),
        };
        foreach ((string name, Action body) in bodies)
        {
            for (int i = 0; i < (instructions ? 1 : 20); i++)
            {
                body();
            }
        }
        if (ab)
        {
            return PairedAb(bodies, args.Length > 2 ? int.Parse(args[2]) : 41);
        }
        if (instructions)
        {
            // Under callgrind: every body warmed up above; then body `only` (its index) `reps` times. The count per call is
            // (Ir(reps) − Ir(0)) / reps: start-up and warm-up cancel (bench/README.md).
            if (only is not null)
            {
                Action body = bodies[int.Parse(only)].Body;
                for (int i = 0; i < reps; i++)
                {
                    body();
                }
            }
            Console.WriteLine($"{(only is null ? "base" : bodies[int.Parse(only)].Name)} x {reps}; Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}, Vector128 {System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated}, Vector<float> {System.Numerics.Vector<float>.Count}");
            return 0;
        }
        if (Environment.GetEnvironmentVariable("NETGEN_BACK2BACK") == "1")
        {
            foreach ((string name, Action body) in bodies)
            {
                var t = new double[2];
                for (int side = 0; side < 2; side++)
                {
                    BenchThreads.Set(oneThread: side == 0);
                    double bestT = double.MaxValue;
                    for (int i = 0; i < calls; i++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        body();
                        bestT = Math.Min(bestT, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                    t[side] = bestT;
                }
                Console.WriteLine($"{name,-32} 1 thread {t[0] * 1e6,8:F1} us   2 threads {t[1] * 1e6,8:F1} us   speed-up {t[0] / t[1]:F2}");
            }
            return 0;
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

    /// <summary>Switches the backward kernels of ADR 0046 off (<paramref name="old"/>) or on.</summary>
    private static void Old(bool old)
    {
        Conv2DBackward.DirectInputAllowed = !old;
        MaxPool2DBackward.PairsAllowed = !old;
    }

    /// <summary>`--conv-profile --ab [ROUNDS]`: the paired A/B of the backward kernels (ADR 0046). Each round times every
    /// body with the old kernels (A) and the new (B), back to back, in alternating order (AB, then BA); prints the median
    /// over rounds of A/B per body, its quartiles, and the ratio of the medians. Both sides run in this process, so a
    /// loaded machine slows both alike.</summary>
    private static int PairedAb((string Name, Action Body)[] bodies, int rounds)
    {
        const int Reps = 5;
        string[] names = { "conv2 backward (dx, dW, db)", "pool1 backward", "pool2 backward", "BenchCnn.TrainStep" };
        foreach (string name in names)
        {
            Action body = bodies.First(b => b.Name == name).Body;
            var ratio = new double[rounds];
            var a = new double[rounds];
            var b = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                for (int side = 0; side < 2; side++)
                {
                    bool old = (side == 0) == (r % 2 == 0);
                    Old(old);
                    body();
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < Reps; i++)
                    {
                        body();
                    }
                    double t = Stopwatch.GetElapsedTime(t0).TotalSeconds / Reps;
                    if (old)
                    {
                        a[r] = t;
                    }
                    else
                    {
                        b[r] = t;
                    }
                }
                ratio[r] = a[r] / b[r];
            }
            Old(false);
            Array.Sort(ratio);
            Array.Sort(a);
            Array.Sort(b);
            Console.WriteLine(FormattableString.Invariant(
                $"{name,-32} old/new median {ratio[rounds / 2]:F3} (quartiles {ratio[rounds / 4]:F3} .. {ratio[3 * rounds / 4]:F3}); medians {a[rounds / 2] * 1e6:F1} / {b[rounds / 2] * 1e6:F1} us = {a[rounds / 2] / b[rounds / 2]:F3}; {rounds} rounds of {Reps}"));
        }
        return 0;
    }
}
