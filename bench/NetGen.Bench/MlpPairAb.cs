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

        Action<int> With(bool pair, Action body) => n =>
        {
            Gemv.PairInOneRegion = pair;
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

        // The outputs of both ways agree within float rounding (the second layer's sums are cut in two).
        float[] old = new float[10], now = new float[10];
        Gemv.PairInOneRegion = false;
        mlp.Predict(x, old);
        Gemv.PairInOneRegion = true;
        mlp.Predict(x, now);
        Console.WriteLine($"batch-1 MLP, two layers in one region (new) against two calls (old), {reps} repetitions, bodies taking turns; median µs/call [best] (median paired ratio old/new); load {Load()}");
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
            Report(oneThread ? "one thread (workers held)" : "two cores", ["3 layers, two calls (old)", "3 layers, pair (new)", "Predict, two calls (old)", "Predict, pair (new)"], t, [(0, 1), (2, 3)]);
        }

        BenchThreads.Cores();
        Gemv.PairInOneRegion = true;
        Console.WriteLine($"load after {Load()}");
        return 0;
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
