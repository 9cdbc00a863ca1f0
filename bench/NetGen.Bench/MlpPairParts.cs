using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-pair-parts [--calls N] [--both | --ab columns|join|both]</c>: where the time of one batch-1 <c>Predict</c> of the benchmark MLP goes (ADR 0067).
/// Back-to-back calls (the worker spinning on the other core, as <c>mlp_latency_b1</c> times them), each with
/// <c>Gemv.PairStamps</c> set: a <see cref="Stopwatch.GetTimestamp"/> at every stage of <c>Gemv.ForwardPair</c>, on the
/// caller and on the worker, and around the call. Prints, over the calls whose second half ran on the worker, the median
/// and the 10th percentile of each stage in nanoseconds, then the same calls without the probe (what the stamps cost).
/// </summary>
internal static class MlpPairParts
{
    public static int Run(string[] args)
    {
        int calls = 100_000;
        int at = Array.IndexOf(args, "--calls");
        if (at > 0 && at + 1 < args.Length)
        {
            calls = int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        var mlp = new BenchMlp(1);
        float[] x = NetworkBenchmarks.Fill(784, 7), scores = new float[10];
        int abAt = Array.IndexOf(args, "--ab");
        if (abAt > 0)
        {
            string what = abAt + 1 < args.Length && !args[abAt + 1].StartsWith("--", StringComparison.Ordinal) ? args[abAt + 1] : "columns";
            return Ab(mlp, x, scores, calls, what);
        }

        foreach (bool on in args.Contains("--both") ? new[] { false, true } : [true])
        {
            Gemv.ColumnsInPair = Gemv.JoinInCallersPart = on;
            Stages(mlp, x, scores, calls);
        }

        Gemv.ColumnsInPair = Gemv.JoinInCallersPart = true;
        return 0;
    }

    private static void Stages(BenchMlp mlp, float[] x, float[] scores, int calls)
    {
        long[] stamps = new long[32];
        Console.WriteLine($"batch-1 Predict, stages of one call (Gemv.PairStamps), {calls} back-to-back calls; load {Load()}");
        Console.WriteLine($"switches: PairInOneRegion {Gemv.PairInOneRegion}, ColumnsInPair {Gemv.ColumnsInPair}, JoinInCallersPart {Gemv.JoinInCallersPart}, AlignInput {Gemv.AlignInput}");
        BenchThreads.Cores();
        for (int i = 0; i < 5000; i++)
        {
            mlp.Predict(x, scores);
        }

        // Each stage as the offset of its stamp from the publication of the job (the caller's last write before the
        // hand-off), plus what comes before it and the end of the call.
        (string Name, Gemv.Stamp Stamp)[] stages =
        [
            ("caller: its half starts", Gemv.Stamp.CallerStart),
            ("caller: layer 1 half done (128×784)", Gemv.Stamp.CallerFirstDone),
            ("caller: layer 2 half-depth done", Gemv.Stamp.CallerDone),
            ("worker: its half starts (the hand-off)", Gemv.Stamp.WorkerStart),
            ("worker: layer 1 half done", Gemv.Stamp.WorkerFirstDone),
            ("worker: layer 2 half-depth done", Gemv.Stamp.WorkerDone),
            ("caller sees the worker's flag (in its part)", Gemv.Stamp.SeenDone),
            ("partial sums added (+ ReLU)", Gemv.Stamp.Added),
            ("RunAndRelease returned (the join)", Gemv.Stamp.Joined),
        ];
        var offsets = stages.Select(_ => new List<double>()).ToArray();
        var before = new List<double>();
        var checks = new List<double>();
        var after = new List<double>();
        var whole = new List<double>();
        double toNs = 1e9 / Stopwatch.Frequency;
        int callerThread = Environment.CurrentManagedThreadId, onWorker = 0, seen = 0;
        Gemv.PairStamps = stamps;
        for (int i = 0; i < calls; i++)
        {
            stamps[(int)Gemv.Stamp.SeenDone] = 0;
            long b0 = Stopwatch.GetTimestamp();
            mlp.Predict(x, scores);
            long b1 = Stopwatch.GetTimestamp();
            long S(Gemv.Stamp s) => stamps[(int)s];
            long publish = S(Gemv.Stamp.Publish);
            if (S(Gemv.Stamp.WorkerThread) == callerThread || S(Gemv.Stamp.WorkerStart) < publish)
            {
                continue; // the caller ran both halves (the worker had no core)
            }

            onWorker++;
            seen += S(Gemv.Stamp.SeenDone) > publish ? 1 : 0;
            for (int k = 0; k < stages.Length; k++)
            {
                if (S(stages[k].Stamp) >= publish)
                {
                    offsets[k].Add((S(stages[k].Stamp) - publish) * toNs);
                }
            }
            before.Add((S(Gemv.Stamp.Enter) - b0) * toNs);
            checks.Add((publish - S(Gemv.Stamp.Enter)) * toNs);
            after.Add((b1 - Math.Max(S(Gemv.Stamp.Joined), S(Gemv.Stamp.Added))) * toNs);
            whole.Add((b1 - b0) * toNs);
        }

        Gemv.PairStamps = null;
        Console.WriteLine($"  calls with the second half on the worker: {onWorker} of {calls}; the caller saw the worker's flag in its part in {seen}");
        Console.WriteLine($"  {"stage",-52} {"median",8} {"p10",8} {"p90",8}  ns");
        static void Line(string name, List<double> values)
        {
            if (values.Count == 0)
            {
                return;
            }
            double[] sorted = values.Order().ToArray();
            Console.WriteLine($"  {name,-52} {sorted[sorted.Length / 2],8:F0} {sorted[sorted.Length / 10],8:F0} {sorted[sorted.Length * 9 / 10],8:F0}");
        }
        Line("Predict entry → ForwardPair (guards, Forward)", before);
        Line("ForwardPair checks, panels, operands → publish", checks);
        Console.WriteLine("  from the publication of the job (offsets):");
        for (int k = 0; k < stages.Length; k++)
        {
            Line("  " + stages[k].Name, offsets[k]);
        }
        Line("last of add/join → Predict returns (layer 3, copy)", after);
        Line("whole call", whole);

        var plain = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            long b0 = Stopwatch.GetTimestamp();
            mlp.Predict(x, scores);
            plain[i] = (Stopwatch.GetTimestamp() - b0) * toNs;
        }
        Array.Sort(plain);
        Console.WriteLine($"  without the probe, whole call: median {plain[calls / 2]:F0}, p10 {plain[calls / 10]:F0}, p1 {plain[calls / 100]:F0} ns");
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 1000; i++)
        {
            _ = Stopwatch.GetTimestamp();
        }
        Console.WriteLine($"  one Stopwatch.GetTimestamp: {(Stopwatch.GetTimestamp() - t0) * toNs / 1000:F1} ns; load after {Load()}");
    }

    /// <summary>Old (switch off) and new (on) <c>Predict</c> alternating call by call, each call timed alone, on two cores
    /// (back to back, the worker spinning) and on one thread (the workers held): ns at percentiles 1/5/10/25/50 and the
    /// ratio old/new at each.</summary>
    private static int Ab(BenchMlp mlp, float[] x, float[] scores, int calls, string what)
    {
        Action<bool> set = what switch
        {
            "columns" => on => Gemv.ColumnsInPair = on,
            "join" => on => Gemv.JoinInCallersPart = on,
            "both" => on => Gemv.ColumnsInPair = Gemv.JoinInCallersPart = on,
            _ => throw new ArgumentException($"--ab {what}: unknown switch (columns, join, both)"),
        };
        float[] old = new float[10], now = new float[10];
        set(false);
        mlp.Predict(x, old);
        mlp.Predict(x, old);
        set(true);
        mlp.Predict(x, now);
        mlp.Predict(x, now);
        Console.WriteLine($"batch-1 Predict call by call, switch {what}: off (old) and on (new) alternating, {calls} calls each; ns at percentiles 1/5/10/25/50; load {Load()}");
        Console.WriteLine($"  outputs old vs new: max |Δ| {old.Zip(now, (a, b) => Math.Abs(a - b)).Max():E2} of max |y| {old.Max(Math.Abs):E2}");
        double toNs = 1e9 / Stopwatch.Frequency;
        foreach (bool oneThread in new[] { false, true })
        {
            BenchThreads.Set(oneThread);
            var times = new[] { new double[calls], new double[calls] };
            for (int i = 0; i < 4000; i++)
            {
                set((i & 1) == 1);
                mlp.Predict(x, scores);
            }
            for (int i = 0; i < 2 * calls; i++)
            {
                set((i & 1) == 1);
                long t0 = Stopwatch.GetTimestamp();
                mlp.Predict(x, scores);
                times[i & 1][i >> 1] = (Stopwatch.GetTimestamp() - t0) * toNs;
            }

            int[] percentiles = [1, 5, 10, 25, 50];
            Console.WriteLine($"  {(oneThread ? "one thread (workers held)" : "two cores")}");
            double[][] at = new double[2][];
            for (int way = 0; way < 2; way++)
            {
                double[] sorted = times[way].Order().ToArray();
                at[way] = percentiles.Select(q => sorted[(int)((long)sorted.Length * q / 100)]).ToArray();
                Console.WriteLine($"    {(way == 0 ? "off (old)" : "on (new)"),-12} {string.Join("  ", at[way].Select(v => v.ToString("F0").PadLeft(7)))}");
            }
            Console.WriteLine($"    old / new    {string.Join("  ", at[0].Zip(at[1], (a, b) => (a / b).ToString("F3").PadLeft(7)))}");
        }

        BenchThreads.Cores();
        set(true);
        Console.WriteLine($"load after {Load()}");
        return 0;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
}
