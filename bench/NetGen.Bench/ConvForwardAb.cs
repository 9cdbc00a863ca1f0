using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// Development aid for the forward kernels of ADR 0047 (<see cref="BenchCnn"/>'s layers), old against new in one process:
/// "old" switches <c>Conv2DForward.Enabled</c> and <c>MaxPool2DPairs.Enabled</c> off (the direct kernel of ADR 0035,
/// then the pool as its own kernel, the padded pool on the scalar scan), "new" on. Everything runs on the calling thread
/// (<c>Workers.SplitAsIfForTests(1)</c>), so a loaded 2-core machine's second core does not enter the figures.
/// <list type="bullet">
/// <item><c>--conv-forward-ab [REPS] [CALLS]</c>: REPS rounds; in each, every body runs CALLS times old then new (or new then
/// old on odd rounds), timed as a block; prints the median time per call of each side and the median of the per-round
/// ratios old/new.</item>
/// <item><c>--conv-forward-count BODY old|new CALLS</c>: warms up every body on both sides, then runs BODY CALLS times, for an
/// instruction count under <c>valgrind --tool=callgrind</c> (run with DOTNET_TieredCompilation=0; BODY "none" is the
/// baseline that the per-call count subtracts: (Ir(BODY) − Ir(none)) / CALLS).</item>
/// </list>
/// </summary>
internal static class ConvForwardAb
{
    private const int B = 64;

    public static int Run(string[] args)
    {
        Workers.SplitAsIfForTests(1);
        if (args.Contains("--four"))
        {
            Conv2DForward.EightChannels = false; // the new side with 4-channel register blocks only
            args = args.Where(a => a != "--four").ToArray();
        }
        (string Name, Action Body)[] bodies = Bodies();
        if (args[0] == "--conv-forward-count")
        {
            // Under valgrind the training step's backward stops with an access violation in MaxPool2D.BackwardPlane
            // (unchanged code that runs clean natively, with AVX-512 on or off): count the forward bodies only.
            bodies = bodies.Where(b => !b.Name.StartsWith("TrainStep", StringComparison.Ordinal)).ToArray();
        }
        foreach (bool old in new[] { true, false })
        {
            Set(old);
            foreach ((_, Action body) in bodies)
            {
                for (int i = 0; i < 10; i++)
                {
                    body();
                }
            }
        }
        Set(old: false);

        if (args[0] == "--conv-forward-count")
        {
            string name = args[1];
            Set(args[2] == "old");
            int calls = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
            if (name != "none")
            {
                Action body = bodies.Single(b => b.Name == name).Body;
                for (int i = 0; i < calls; i++)
                {
                    body();
                }
            }
            Set(old: false);
            Console.WriteLine($"{name} {args[2]} x{calls}");
            return 0;
        }

        int reps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 31;
        int perBlock = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50;
        Console.WriteLine($"{"body",-26} {"old us",10} {"new us",10} {"old/new (median of rounds)",28}  [quartiles]");
        foreach ((string name, Action body) in bodies)
        {
            var oldTimes = new double[reps];
            var newTimes = new double[reps];
            var ratios = new double[reps];
            int calls = name.EndsWith("b64", StringComparison.Ordinal) || name.StartsWith("TrainStep", StringComparison.Ordinal) ? Math.Max(1, perBlock / 10) : perBlock;
            for (int r = 0; r < reps; r++)
            {
                bool oldFirst = r % 2 == 0;
                double first = Time(body, calls, old: oldFirst), second = Time(body, calls, old: !oldFirst);
                oldTimes[r] = oldFirst ? first : second;
                newTimes[r] = oldFirst ? second : first;
                ratios[r] = oldTimes[r] / newTimes[r];
            }
            Set(old: false);
            Array.Sort(ratios);
            Console.WriteLine(FormattableString.Invariant($"{name,-26} {Median(oldTimes),10:F2} {Median(newTimes),10:F2} {ratios[reps / 2],28:F3}  [{ratios[reps / 4]:F3}, {ratios[3 * reps / 4]:F3}]"));
        }
        return 0;
    }

    private static void Set(bool old)
    {
        Conv2DForward.Enabled = !old;
        MaxPool2DPairs.Enabled = !old;
    }

    private static double Time(Action body, int calls, bool old)
    {
        Set(old);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            body();
        }
        return Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static (string Name, Action Body)[] Bodies()
    {
        var g1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var g2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p2 = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = NetworkBenchmarks.Fill(B * 784, 1), w1 = NetworkBenchmarks.Fill(72, 2), b1 = NetworkBenchmarks.Fill(8, 3);
        float[] y1 = new float[B * g1.OutputLength], q1 = NetworkBenchmarks.Fill(B * p1.OutputLength, 8);
        float[] w2 = NetworkBenchmarks.Fill(16 * 72, 4), b2 = NetworkBenchmarks.Fill(16, 5);
        float[] y2 = new float[B * g2.OutputLength], q2 = new float[B * p2.OutputLength];
        int[] i1 = new int[q1.Length], i2 = new int[q2.Length];
        var net = new BenchCnn(1);
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();
        float[] scores = new float[B * 10];
        float[] y2b = NetworkBenchmarks.Fill(y2.Length, 9);
        return
        [
            ("conv1 b1", () => Conv2D.Forward<float>(x.AsSpan(0, 784), w1, b1, y1.AsSpan(0, g1.OutputLength), 1, g1, fuseReLU: true)),
            ("conv2 b1", () => Conv2D.Forward<float>(q1.AsSpan(0, g2.InputLength), w2, b2, y2.AsSpan(0, g2.OutputLength), 1, g2, fuseReLU: true)),
            ("pool2 b1", () => MaxPool2D.Forward<float>(y2b.AsSpan(0, g2.OutputLength), q2.AsSpan(0, p2.OutputLength), default, 1, p2)),
            ("conv1+pool1 b1", () => ConvPool.Forward<float>(x.AsSpan(0, 784), w1, b1, y1.AsSpan(0, g1.OutputLength), q1.AsSpan(0, p1.OutputLength), default, 1, g1, p1, fuseReLU: true)),
            ("conv2+pool2 b1", () => ConvPool.Forward<float>(q1.AsSpan(0, g2.InputLength), w2, b2, y2.AsSpan(0, g2.OutputLength), q2.AsSpan(0, p2.OutputLength), default, 1, g2, p2, fuseReLU: true)),
            ("Predict b1", () => net.Predict(x.AsSpan(0, 784), scores.AsSpan(0, 10))),
            ("pool2 b64", () => MaxPool2D.Forward<float>(y2b, q2, i2, B, p2)),
            ("conv1+pool1 train b64", () => ConvPool.Forward<float>(x, w1, b1, y1, q1, i1, B, g1, p1, fuseReLU: true)),
            ("conv2+pool2 train b64", () => ConvPool.Forward<float>(q1, w2, b2, y2, q2, i2, B, g2, p2, fuseReLU: true)),
            ("Predict b64", () => net.Predict(x, scores)),
            ("TrainStep b64", () => net.TrainStep(x, labels)),
        ];
    }
}
