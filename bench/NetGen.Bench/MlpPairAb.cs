using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-pair-ab [--reps N]</c>: the benchmark MLP's batch-1 forward with its first two layers in one parallel region
/// (<c>Gemv.ForwardPair</c>, ADR 0061) against the two calls it replaced (the first layer split by rows, the second on
/// the caller), switched by <c>Gemv.PairInOneRegion</c> in one process, bodies taking turns repetition by repetition:
/// the three layers called directly and the generated <c>Predict</c>, on two cores and on one (the workers held).
/// Prints medians, the best repetition and the median of the paired ratios old/new.
/// </summary>
internal static class MlpPairAb
{
    public static int Run(string[] args)
    {
        int reps = 41;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length)
            {
                reps = int.Parse(args[++i]);
            }
        }

        var mlp = new BenchMlp(1);
        float[] p = mlp.Parameters.ToArray();
        float[] w0 = p[..200704], b0 = p[200704..200960], w1 = p[200960..233728], b1 = p[233728..233856], w2 = p[233856..235136], b2 = p[235136..];
        float[] x = NetworkBenchmarks.Fill(784, 7), h0 = new float[256], h1 = new float[128], y = new float[10], scores = new float[10];
        PackedWeights<float> pw0 = new(784, 256), pw1 = new(256, 128);

        void Layers()
        {
            Gemv.ForwardPair<float>(x, w0, b0, h0, w1, b1, h1, 784, 256, 128, relu: true, nextReLU: true, pw0, pw1);
            Gemv.Forward<float>(h1, w2, b2, y, 128, 10, relu: false, GemvMode.Serial);
        }

        int switchAt0 = Array.IndexOf(args, "--switch");
        bool xalign = switchAt0 > 0 && switchAt0 + 1 < args.Length && args[switchAt0 + 1] == "xalign";
        Action<int> With(bool on, Action body) => n =>
        {
            if (xalign)
            {
                Gemv.AlignInput = on;
            }
            else
            {
                Gemv.PairInOneRegion = on;
            }
            Compare.Repeat(n, body);
        };

        int loop = Array.IndexOf(args, "--loop");
        if (loop > 0 && loop + 1 < args.Length)
        {
            // For a profiler: Predict one way ("old" or "new") for about 3 s, [--one-thread].
            Gemv.PairInOneRegion = args[loop + 1] == "new";
            BenchThreads.Set(args.Contains("--one-thread"));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            long calls = 0;
            while (sw.Elapsed.TotalSeconds < 3)
            {
                mlp.Predict(x, scores);
                calls++;
            }

            BenchThreads.Cores();
            Console.WriteLine($"{args[loop + 1]}: {sw.Elapsed.TotalMilliseconds * 1e3 / calls:F2} µs/call over {calls} calls");
            return 0;
        }

        int alignAt = Array.IndexOf(args, "--align");
        if (alignAt > 0 && alignAt + 1 < args.Length)
        {
            // Row panels where the array's data starts (old) against panels on a 64-byte line (new): the first layer's
            // GEMV, call by call, alternating, on two cores and on one.
            int n = int.Parse(args[alignAt + 1]);
            Gemv.AlignPanels = false;
            PackedWeights<float> unaligned = new(784, 256);
            Gemv.AlignPanels = true;
            PackedWeights<float> aligned = new(784, 256);
            PackedWeights<float>[] ways = [unaligned, aligned];
            for (int i = 0; i < 4; i++)
            {
                Gemv.Forward<float>(x, w0, b0, h0, 784, 256, true, GemvMode.Parallel, ways[i & 1]); // pack both
            }
            unsafe
            {
                fixed (float* a = unaligned.RowPanels, b = aligned.RowPanels)
                {
                    Console.WriteLine($"panels mod 64 bytes: old {(nint)a & 63}, new {((nint)b + (aligned.RowPanelOffset * 4)) & 63}");
                }
            }

            Console.WriteLine($"batch-1 GEMV 256×784 call by call, row panels unaligned (old) and on cache lines (new) alternating, {n} calls each; µs at percentiles 5/10/25/50; load {Load()}");
            foreach (bool oneThread in new[] { false, true })
            {
                BenchThreads.Set(oneThread);
                Percentiles(oneThread ? "one thread (workers held)" : "two cores", ["256x784, unaligned (old)", "256x784, aligned (new)"], n, way => Gemv.Forward<float>(x, w0, b0, h0, 784, 256, true, GemvMode.Parallel, ways[way]));
            }

            BenchThreads.Cores();
            Console.WriteLine($"load after {Load()}");
            return 0;
        }

        int callsAt = Array.IndexOf(args, "--calls");
        if (callsAt > 0 && callsAt + 1 < args.Length)
        {
            // Call by call: old and new Predict alternate, each call timed alone; percentiles of each way's calls. On a
            // loaded machine the lower percentiles are the calls no other process interrupted. --switch pair (default):
            // the two layers in one region or two calls; xalign: x copied onto cache lines or read where it is; both.
            int n = int.Parse(args[callsAt + 1]);
            int switchAt = Array.IndexOf(args, "--switch");
            string what = switchAt > 0 && switchAt + 1 < args.Length ? args[switchAt + 1] : "pair";
            Action<int> set = what switch
            {
                "xalign" => way => Gemv.AlignInput = way == 1,
                "both" => way => Gemv.PairInOneRegion = Gemv.AlignInput = way == 1,
                _ => way => Gemv.PairInOneRegion = way == 1,
            };
            Console.WriteLine($"batch-1 Predict call by call, switch {what}: off (old) and on (new) alternating, {n} calls each; µs at percentiles 5/10/25/50; load {Load()}");
            foreach (bool oneThread in new[] { false, true })
            {
                BenchThreads.Set(oneThread);
                Percentiles(oneThread ? "one thread (workers held)" : "two cores", [$"Predict, {what} off (old)", $"Predict, {what} on (new)"], n, way =>
                {
                    set(way);
                    mlp.Predict(x, scores);
                });
            }

            BenchThreads.Cores();
            Gemv.PairInOneRegion = true;
            Gemv.AlignInput = true;
            Console.WriteLine($"load after {Load()}");
            return 0;
        }

        // The outputs of both ways agree within float rounding (the second layer's sums are cut in two).
        float[] old = new float[10], now = new float[10];
        Gemv.PairInOneRegion = false;
        mlp.Predict(x, old);
        Gemv.PairInOneRegion = true;
        mlp.Predict(x, now);
        Console.WriteLine($"batch-1 MLP, switch {(xalign ? "xalign (x copied onto cache lines)" : "pair (two layers in one region)")}: off (old) against on (new), {reps} repetitions, bodies taking turns; median µs/call [best] (median paired ratio old/new); load {Load()}");
        Console.WriteLine($"  Predict old vs new: max |Δ| {old.Zip(now, (a, b) => Math.Abs(a - b)).Max():E2} of max |y| {old.Max(Math.Abs):E2}");
        foreach (bool oneThread in new[] { false, true })
        {
            BenchThreads.Set(oneThread);
            var bodies = new Action<int>[]
            {
                With(false, Layers),
                With(true, Layers),
                With(false, () => mlp.Predict(x, scores)),
                With(true, () => mlp.Predict(x, scores)),
            };
            for (int i = 0; i < 60; i++)
            {
                bodies[i % 4](1); // pack the row panels both ways
            }

            double[][] t = Compare.TimeInterleaved(reps, bodies);
            Report(oneThread ? "one thread (workers held)" : "two cores", ["3 layers, off (old)", "3 layers, on (new)", "Predict, off (old)", "Predict, on (new)"], t, [(0, 1), (2, 3)]);
        }

        BenchThreads.Cores();
        Gemv.PairInOneRegion = true;
        Gemv.AlignInput = true;
        Console.WriteLine($"load after {Load()}");
        return 0;
    }

    private static void Percentiles(string what, string[] names, int n, Action<int> call)
    {
        var times = new double[2][];
        times[0] = new double[n];
        times[1] = new double[n];
        for (int i = 0; i < 2000; i++)
        {
            call(i & 1);
        }
        for (int i = 0; i < 2 * n; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            call(i & 1);
            times[i & 1][i >> 1] = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        Console.WriteLine($"  {what}");
        int[] percentiles = [5, 10, 25, 50];
        double[][] at = new double[2][];
        for (int way = 0; way < 2; way++)
        {
            double[] sorted = times[way].Order().ToArray();
            at[way] = percentiles.Select(q => sorted[(int)((long)sorted.Length * q / 100)]).ToArray();
            Console.WriteLine($"    {names[way],-26} {string.Join("  ", at[way].Select(v => v.ToString("F2").PadLeft(7)))}");
        }
        Console.WriteLine($"    old / new at each percentile:  {string.Join("  ", at[0].Zip(at[1], (a, b) => (a / b).ToString("F3").PadLeft(7)))}");
    }

    private static void Report(string what, string[] names, double[][] samples, (int Num, int Den)[] ratios)
    {
        Console.WriteLine($"  {what}");
        for (int i = 0; i < names.Length; i++)
        {
            Console.WriteLine($"    {names[i],-28} {Compare.Median(samples[i]) * 1e6,7:F2} [best {samples[i].Min() * 1e6,6:F2}]");
        }

        foreach ((int num, int den) in ratios)
        {
            Console.WriteLine($"    ratio {names[num]} / {names[den]}: {Compare.Median(samples[num].Zip(samples[den], (a, b) => a / b)):F3}");
        }
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
}
