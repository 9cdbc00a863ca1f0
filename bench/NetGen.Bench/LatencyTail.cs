using System.Diagnostics;
using System.Globalization;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--latency-tail [--calls N] [--rounds R] [--gap-us G]</c>: the distribution of single batch-1 <c>Predict</c> calls of
/// the benchmark MLP in a plain loop, each call timed on its own (docs/performance.md, "The batch-1 tail"). A
/// BenchmarkDotNet-style or <c>compare.sh</c> figure is a median of means over many calls; a user's loop sees every
/// call, so the mean and the high percentiles are what it pays. Variants take turns in rounds of <c>N</c> calls
/// (default 20,000, 5 rounds), so load that comes and goes falls on all alike:
/// <list type="bullet">
/// <item><c>Predict</c> as generated (row panels, the first layer split over the cores);</item>
/// <item><c>Predict</c> with the 1 ms pause-only waits of <c>Workers.PauseSpin</c>;</item>
/// <item>the three GEMVs as planned over W as stored (the kernel before ADR 0054);</item>
/// <item>the three layers as one-core GEMVs over W as stored (no hand-off at all);</item>
/// <item>the empty timed loop (the timer's own cost and the machine's interruptions);</item>
/// </list>
/// then, with <c>--gap-us G</c> (default 500: past the workers' 200 µs spin, so every call finds a sleeping worker),
/// calls spaced G µs apart by a busy wait: <c>Predict</c> with ADR 0054's rule (one core while a worker sleeps) and
/// without it (wake the worker and split, as before), and the one-core GEMVs, taking turns. Prints p50, p90, p99, p99.9, max and the mean in µs, the share
/// of calls above 20 µs, 100 µs and 1 ms, and the garbage collections seen.
/// </summary>
internal static class LatencyTail
{
    public static int Run(string[] args)
    {
        int calls = 20_000, rounds = 5, gapUs = 500;
        for (int i = 1; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--calls": calls = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--gap-us": gapUs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            }
        }

        var mlp = new BenchMlp(1);
        float[] p = mlp.Parameters.ToArray();
        float[] w0 = p[..200704], b0 = p[200704..200960], w1 = p[200960..233728], b1 = p[233728..233856], w2 = p[233856..235136], b2 = p[235136..];
        float[] x = NetworkBenchmarks.Fill(784, 7), h0 = new float[256], h1 = new float[128], y = new float[10], scores = new float[10];
        void Serial()
        {
            Gemv.Forward<float>(x, w0, b0, h0, 784, 256, true, GemvMode.Serial);
            Gemv.Forward<float>(h0, w1, b1, h1, 256, 128, true, GemvMode.Serial);
            Gemv.Forward<float>(h1, w2, b2, y, 128, 10, false, GemvMode.Serial);
        }

        // The kernel before ADR 0054: the three GEMVs as the generated code plans them, over W as stored.
        void AsStored()
        {
            Gemv.Forward<float>(x, w0, b0, h0, 784, 256, true, GemvMode.Parallel);
            Gemv.Forward<float>(h0, w1, b1, h1, 256, 128, true, GemvMode.Serial);
            Gemv.Forward<float>(h1, w2, b2, y, 128, 10, false, GemvMode.Serial);
        }

        var variants = new (string Name, Action Body, Action? Before, Action? After)[]
        {
            ("Predict (row panels, default waits)", () => mlp.Predict(x, scores), null, null),
            ("Predict, PauseSpin (1 ms)", () => mlp.Predict(x, scores), () => PauseSpin(true), () => PauseSpin(false)),
            ("3 GEMVs as planned, W as stored", AsStored, null, null),
            ("3 GEMVs on one core, W as stored", Serial, null, null),
            ("empty timed loop", static () => { }, null, null),
        };

        Console.WriteLine(FormattableString.Invariant($"batch-1 Predict one call at a time, {rounds} rounds × {calls} calls per variant, variants taking turns; µs; load {Load()}"));
        var samples = variants.Select(_ => new List<double>(rounds * calls)).ToArray();
        var gcs = new int[variants.Length];
        foreach (var v in variants)
        {
            v.Before?.Invoke();
            for (int i = 0; i < 20_000; i++)
            {
                v.Body();
            }

            v.After?.Invoke();
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int k = 0; k < variants.Length; k++)
            {
                var v = variants[k];
                v.Before?.Invoke();
                int gc0 = GC.CollectionCount(0);
                Measure(v.Body, calls, 0, samples[k]);
                gcs[k] += GC.CollectionCount(0) - gc0;
                v.After?.Invoke();
            }
        }

        for (int k = 0; k < variants.Length; k++)
        {
            Report(variants[k].Name, samples[k], gcs[k]);
        }

        // Spaced calls: the worker has gone to sleep before each one. The one-core-while-asleep rule on and off, in turns.
        var spacedVariants = new (string Name, Action Body, bool OneCore)[]
        {
            ("Predict, one core while asleep", () => mlp.Predict(x, scores), true),
            ("Predict, wake and split (before)", () => mlp.Predict(x, scores), false),
            ("3 GEMVs on one core, W as stored", Serial, true),
        };
        var spaced = spacedVariants.Select(_ => new List<double>(calls)).ToArray();
        long oneCoreBefore = OneCoreRuns();
        for (int r = 0; r < rounds; r++)
        {
            for (int k = 0; k < spacedVariants.Length; k++)
            {
                OneCoreWhileAsleep(spacedVariants[k].OneCore);
                Measure(spacedVariants[k].Body, Math.Max(1, calls / 20), gapUs, spaced[k]);
                OneCoreWhileAsleep(true);
            }
        }

        for (int k = 0; k < spacedVariants.Length; k++)
        {
            Report(FormattableString.Invariant($"{spacedVariants[k].Name}, {gapUs} µs apart"), spaced[k], 0);
        }

        Console.WriteLine($"  spaced calls run on one core because a worker slept: {OneCoreRuns() - oneCoreBefore}");
        Console.WriteLine(FormattableString.Invariant($"load after {Load()}"));
        return 0;
    }

    private static void Measure(Action body, int calls, int gapUs, List<double> into)
    {
        double toUs = 1e6 / Stopwatch.Frequency;
        long gapTicks = Stopwatch.Frequency * gapUs / 1_000_000;
        for (int i = 0; i < calls; i++)
        {
            if (gapTicks > 0)
            {
                long until = Stopwatch.GetTimestamp() + gapTicks;
                while (Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(1);
                }
            }

            long t0 = Stopwatch.GetTimestamp();
            body();
            long t1 = Stopwatch.GetTimestamp();
            into.Add((t1 - t0) * toUs);
        }
    }

    private static void Report(string name, List<double> values, int gcs)
    {
        double[] s = values.Order().ToArray();
        double At(double q) => s[Math.Min(s.Length - 1, (int)(q * s.Length))];
        double Share(double over) => 100.0 * s.Count(v => v > over) / s.Length;
        double mean = s.Average();
        Console.WriteLine(FormattableString.Invariant(
            $"  {name,-38} p50 {At(0.5),7:F2}  p90 {At(0.9),7:F2}  p99 {At(0.99),8:F2}  p99.9 {At(0.999),8:F2}  max {s[^1],9:F1}  mean {mean,7:F2}  >20µs {Share(20),6:F3}%  >100µs {Share(100),6:F3}%  >1ms {Share(1000),6:F3}%  gc {gcs}"));
    }

    private static void OneCoreWhileAsleep(bool on) => WorkersProperty("OneCoreWhileAsleep").SetValue(null, on);

    private static long OneCoreRuns() => (long)WorkersProperty("OneCoreRuns").GetValue(null)!;

    private static System.Reflection.PropertyInfo WorkersProperty(string name) =>
        typeof(Gemv).Assembly.GetType("NetGen.Kernels.Workers")!.GetProperty(name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    private static void PauseSpin(bool on) =>
        typeof(Gemv).Assembly.GetType("NetGen.Kernels.Workers")!
            .GetProperty("PauseSpin", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .SetValue(null, on);

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
}
