using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// Development aid for the direct weight gradient of ADR 0056 (<c>NetGen.Bench --dw-ab [ROUNDS] [REPS] [FILTER]</c>): the
/// convolution dW kernel before ADR 0056 ("old", <see cref="Conv2DWeightGradient.Enabled"/> off) against the new one
/// ("new"), in one process on the same inputs, on one thread (the workers held: every kernel on the calling thread) and
/// then on both cores, after 3 s of warm-up calls. In each round every body runs REPS times per side after one untimed call, the order of the sides
/// alternating from round to round; prints the median of the per-round ratios old/new with its quartiles, each side's
/// median time per call, and the new side's share of one core's FMA peak (218 GFLOP/s, this VM's one-core figure) for
/// the dW-only bodies. FILTER (optional) keeps the bodies whose name contains it.
/// </summary>
internal static class DwAb
{
    private const int B = 64;

    /// <summary>One core's FMA peak on the benchmark VM (12 chains of Vector512 FMAs, bench/compare.sh).</summary>
    private const double PeakGflops = 218;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 31;
        int reps = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
        string? filter = args.Length > 3 ? args[3] : null;
        (string Name, long MultiplyAdds, Action Body)[] bodies = Bodies();
        if (filter is not null)
        {
            bodies = bodies.Where(b => b.Name.Contains(filter, StringComparison.Ordinal)).ToArray();
        }
        Console.WriteLine($"--dw-ab: {rounds} rounds of {reps} calls per side; Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; load average {LoadAverage()}");
        // Every body on both sides and both thread counts first, so that no timed call runs code the JIT has not finished.
        foreach (int threads in new[] { 1, 2 })
        {
            OneThread(threads == 1);
            foreach ((_, _, Action body) in bodies)
            {
                foreach (bool on in new[] { false, true })
                {
                    Set(on);
                    for (int i = 0; i < 40; i++)
                    {
                        body();
                    }
                }
            }
        }
        // Then 3 s more of calls: the JIT promotes a method to its final code only once the process has stopped
        // compiling new ones for a while (TensorPrimitives.Sum, which the old db calls, ran 5–9× slower before).
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 3)
        {
            foreach ((_, _, Action body) in bodies)
            {
                Set(!s_on);
                body();
            }
        }
        OneThread(false);
        foreach (int threads in new[] { 1, 2 })
        {
            OneThread(threads == 1);
            foreach ((string name, long macs, Action body) in bodies)
            {
                var ratio = new double[rounds];
                var a = new double[rounds];
                var b = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    for (int side = 0; side < 2; side++)
                    {
                        bool old = (side == 0) == (r % 2 == 0);
                        Set(!old);
                        body();
                        long t0 = Stopwatch.GetTimestamp();
                        for (int i = 0; i < reps; i++)
                        {
                            body();
                        }
                        double t = Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
                        (old ? a : b)[r] = t;
                    }
                    ratio[r] = a[r] / b[r];
                }
                Set(true);
                Array.Sort(ratio);
                Array.Sort(a);
                Array.Sort(b);
                string peak = macs > 0 ? FormattableString.Invariant($"; fastest new {2.0 * macs / b[0] / 1e9 / (PeakGflops * threads) * 100:F0} % of {threads} core(s)' peak") : "";
                Console.WriteLine(FormattableString.Invariant(
                    $"{threads} thread(s) {name,-34} old/new median {ratio[rounds / 2]:F3} (quartiles {ratio[rounds / 4]:F3} .. {ratio[3 * rounds / 4]:F3}); medians {a[rounds / 2] * 1e6:F1} / {b[rounds / 2] * 1e6:F1} us, fastest {a[0] * 1e6:F1} / {b[0] * 1e6:F1} us{peak}"));
            }
        }
        OneThread(false);
        Console.WriteLine($"load average {LoadAverage()}");
        return 0;
    }

    /// <summary>On: the workers held by this thread, so every kernel runs on it alone (the convolution backward splits
    /// its groups over the worker threads whatever <c>Workers.MaxParts</c> says); off: released.</summary>
    private static void OneThread(bool on) => BenchThreads.Set(on);

    /// <summary>NETGEN_DWAB_SWITCH=outside (lanes): old/new is <see cref="Conv2DWeightGradient.OutsideAllowed"/>
    /// (<see cref="Conv2DWeightGradient.LanesOnRegisters"/>) off/on, the new kernel on both sides; otherwise
    /// <see cref="Conv2DWeightGradient.Enabled"/>.</summary>
    private static readonly bool s_outside = Environment.GetEnvironmentVariable("NETGEN_DWAB_SWITCH") == "outside";

    private static readonly bool s_lanes = Environment.GetEnvironmentVariable("NETGEN_DWAB_SWITCH") == "lanes";

    private static bool s_on = true;

    private static void Set(bool on)
    {
        s_on = on;
        if (s_outside)
        {
            Conv2DWeightGradient.OutsideAllowed = on;
        }
        else if (s_lanes)
        {
            Conv2DWeightGradient.LanesOnRegisters = on;
        }
        else
        {
            Conv2DWeightGradient.Enabled = on;
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static (string Name, long MultiplyAdds, Action Body)[] Bodies()
    {
        // BenchCnn's convolutions at batch 64, on the gradients a real step gives them.
        var c1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var q1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var c2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var q2 = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = NetworkBenchmarks.Fill(B * 784, 1);
        float[] w1 = NetworkBenchmarks.Fill(72, 2), b1 = NetworkBenchmarks.Fill(8, 3), w2 = NetworkBenchmarks.Fill(16 * 72, 4), b2 = NetworkBenchmarks.Fill(16, 5);
        float[] y1 = new float[B * c1.OutputLength], p1 = new float[B * q1.OutputLength], y2 = new float[B * c2.OutputLength], p2 = new float[B * q2.OutputLength];
        int[] i1 = new int[p1.Length], i2 = new int[p2.Length];
        ConvPool.Forward<float>(x, w1, b1, y1, p1, i1, B, c1, q1, fuseReLU: true);
        ConvPool.Forward<float>(p1, w2, b2, y2, p2, i2, B, c2, q2, fuseReLU: true);
        float[] dp1 = NetworkBenchmarks.Fill(p1.Length, 6);
        float[] dy1 = new float[y1.Length], dy2 = NetworkBenchmarks.Fill(y2.Length, 8), dx2 = new float[p1.Length];
        MaxPool2DReLU.Backward<float>(dp1, i1, p1, y1, dy1, B, q1);
        float[] dw1 = new float[72], db1 = new float[8], dw2 = new float[16 * 72], db2 = new float[16];

        // BenchLeNet's convolutions: 1×28×28 → 5×5 ×20 → pool → 20×12×12 → 5×5 ×50.
        var l1 = new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0);
        var l2 = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        float[] lp1 = NetworkBenchmarks.Fill(B * l2.InputLength, 13);
        float[] ldy1 = NetworkBenchmarks.Fill(B * l1.OutputLength, 14), ldy2 = NetworkBenchmarks.Fill(B * l2.OutputLength, 15);
        float[] lw1 = NetworkBenchmarks.Fill(500, 9), lw2 = NetworkBenchmarks.Fill(50 * 500, 11);
        float[] ldw1 = new float[500], ldb1 = new float[20], ldw2 = new float[50 * 500], ldb2 = new float[50];

        var cnn = new BenchCnn(1);
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();
        long Macs(in Conv2DGeometry g) => (long)B * g.WeightLength * g.OutPlane;
        return new (string, long, Action)[]
        {
            ("cnn conv1 dW, db", Macs(c1), () => Conv2D.Backward<float>(dy1, x, w1, default, dw1, db1, B, c1)),
            ("cnn conv1 dW", Macs(c1), () => Conv2D.Backward<float>(dy1, x, w1, default, dw1, default, B, c1)),
            ("cnn conv2 dW, db", Macs(c2), () => Conv2D.Backward<float>(dy2, p1, w2, default, dw2, db2, B, c2)),
            ("cnn conv2 dW", Macs(c2), () => Conv2D.Backward<float>(dy2, p1, w2, default, dw2, default, B, c2)),
            ("cnn conv2 backward (dx, dW, db)", 0, () => Conv2D.Backward<float>(dy2, p1, w2, dx2, dw2, db2, B, c2)),
            ("BenchCnn.TrainStep", 0, () => cnn.TrainStep(x, labels)),
            ("lenet conv1 dW, db", Macs(l1), () => Conv2D.Backward<float>(ldy1, x, lw1, default, ldw1, ldb1, B, l1)),
            ("lenet conv2 dW, db", Macs(l2), () => Conv2D.Backward<float>(ldy2, lp1, lw2, default, ldw2, ldb2, B, l2)),
        };
    }
}
