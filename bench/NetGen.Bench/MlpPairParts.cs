using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-pair-parts [--calls N] [--both | --split a,b,… | --ab columns|join|both]</c>: where the time of one batch-1 <c>Predict</c> of the benchmark MLP goes (ADR 0067).
/// Back-to-back calls (the worker spinning on the other core, as <c>mlp_latency_b1</c> times them), each with
/// <c>Gemv.PairStamps</c> set: a <see cref="Stopwatch.GetTimestamp"/> at every stage of <c>Gemv.ForwardPair</c>, on the
/// caller and on the worker, and around the call. Prints, over the calls whose second half ran on the worker, the median
/// and the 10th percentile of each stage in nanoseconds, then the same calls without the probe (what the stamps cost).
/// </summary>
internal static class MlpPairParts
{
    private static readonly bool JoinDefault = Gemv.JoinInCallersPart;
    private static readonly int SplitDefault = Gemv.PairCallerSixteenths;

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
        if (args.Contains("--layer2"))
        {
            return SecondLayer(calls);
        }

        int abAt = Array.IndexOf(args, "--ab");
        if (abAt > 0)
        {
            string what = abAt + 1 < args.Length && !args[abAt + 1].StartsWith("--", StringComparison.Ordinal) ? args[abAt + 1] : "columns";
            return Ab(mlp, x, scores, calls, what);
        }

        // --both: ADR 0061 (rows, the add after the join), columns, columns + the join in the caller's part, alternating
        // call by call; --split a,b,…: columns with the caller's share at a, b, … sixteenths. Stages of each.
        (string Name, bool Columns, bool Join, int Sixteenths)[] ways = [("columns, even cut (new)", true, false, 8)];
        if (args.Contains("--both"))
        {
            ways = [("rows, add after the join (ADR 0061)", false, false, 8), ("columns", true, false, 8), ("columns, add in the caller's part", true, true, 8)];
        }
        int splitAt = Array.IndexOf(args, "--split");
        if (splitAt > 0 && splitAt + 1 < args.Length)
        {
            ways = args[splitAt + 1].Split(',').Select(v => ($"columns, caller's share {v}/16", true, false, int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        }
        void Set(int way)
        {
            Gemv.ColumnsInPair = ways[way].Columns;
            Gemv.JoinInCallersPart = ways[way].Join;
            Gemv.PairCallerSixteenths = ways[way].Sixteenths;
        }

        var stages = ways.Select(_ => new StageTimes()).ToArray();
        long[] stamps = new long[32];
        Console.WriteLine($"batch-1 Predict, stages of one call (Gemv.PairStamps), {calls} back-to-back calls{(ways.Length > 1 ? " each, the ways alternating" : "")}; load {Load()}");
        BenchThreads.Cores();
        for (int i = 0; i < 5000; i++)
        {
            Set(i % ways.Length);
            mlp.Predict(x, scores);
        }
        Gemv.PairStamps = stamps;
        for (int i = 0; i < calls * ways.Length; i++)
        {
            int way = i % ways.Length;
            Set(way);
            stages[way].Call(mlp, x, scores, stamps);
        }
        Gemv.PairStamps = null;
        for (int way = 0; way < ways.Length; way++)
        {
            Console.WriteLine($"{ways[way].Name}:");
            stages[way].Print(calls);
        }

        // The defaults again, without the probe.
        Gemv.ColumnsInPair = true;
        Gemv.JoinInCallersPart = JoinDefault;
        Gemv.PairCallerSixteenths = SplitDefault;
        var plain = new double[calls];
        double toNs = 1e9 / Stopwatch.Frequency;
        for (int i = 0; i < calls; i++)
        {
            long b0 = Stopwatch.GetTimestamp();
            mlp.Predict(x, scores);
            plain[i] = (Stopwatch.GetTimestamp() - b0) * toNs;
        }
        Array.Sort(plain);
        Console.WriteLine($"  defaults, without the probe, whole call: median {plain[calls / 2]:F0}, p10 {plain[calls / 10]:F0}, p1 {plain[calls / 100]:F0} ns");
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 1000; i++)
        {
            _ = Stopwatch.GetTimestamp();
        }
        Console.WriteLine($"  one Stopwatch.GetTimestamp: {(Stopwatch.GetTimestamp() - t0) * toNs / 1000:F1} ns; load after {Load()}");
        return 0;
    }

    /// <summary>The stages of the calls of one way.</summary>
    private sealed class StageTimes
    {

        // Each stage as the offset of its stamp from the publication of the job (the caller's last write before the
        // hand-off), plus what comes before it and the end of the call.
        private static readonly (string Name, Gemv.Stamp Stamp)[] Stages =
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

        private readonly List<double>[] _offsets = Stages.Select(_ => new List<double>()).ToArray();
        private readonly List<double> _before = new(), _checks = new(), _after = new(), _whole = new();
        private readonly double _toNs = 1e9 / Stopwatch.Frequency;
        private readonly int _callerThread = Environment.CurrentManagedThreadId;
        private int _onWorker, _seen;

        public void Call(BenchMlp mlp, float[] x, float[] scores, long[] stamps)
        {
            stamps[(int)Gemv.Stamp.SeenDone] = 0;
            long b0 = Stopwatch.GetTimestamp();
            mlp.Predict(x, scores);
            long b1 = Stopwatch.GetTimestamp();
            long S(Gemv.Stamp s) => stamps[(int)s];
            long publish = S(Gemv.Stamp.Publish);
            if (S(Gemv.Stamp.WorkerThread) == _callerThread || S(Gemv.Stamp.WorkerStart) < publish || S(Gemv.Stamp.Enter) < b0)
            {
                return; // the caller ran both halves (the worker had no core)
            }

            _onWorker++;
            _seen += S(Gemv.Stamp.SeenDone) > publish ? 1 : 0;
            for (int k = 0; k < Stages.Length; k++)
            {
                if (S(Stages[k].Stamp) >= publish)
                {
                    _offsets[k].Add((S(Stages[k].Stamp) - publish) * _toNs);
                }
            }
            _before.Add((S(Gemv.Stamp.Enter) - b0) * _toNs);
            _checks.Add((publish - S(Gemv.Stamp.Enter)) * _toNs);
            _after.Add((b1 - Math.Max(S(Gemv.Stamp.Joined), S(Gemv.Stamp.Added))) * _toNs);
            _whole.Add((b1 - b0) * _toNs);
        }

        public void Print(int calls)
        {
            Console.WriteLine($"  calls with the second half on the worker: {_onWorker} of {calls}; the caller saw the worker's flag in its part in {_seen}");
            Console.WriteLine($"  {"stage",-52} {"median",8} {"p10",8} {"p90",8}  ns");
            Line("Predict entry → ForwardPair (guards, Forward)", _before);
            Line("ForwardPair checks, panels, operands → publish", _checks);
            Console.WriteLine("  from the publication of the job (offsets):");
            for (int k = 0; k < Stages.Length; k++)
            {
                Line("  " + Stages[k].Name, _offsets[k]);
            }
            Line("last of add/join → Predict returns (layer 3, copy)", _after);
            Line("whole call", _whole);
        }

        private static void Line(string name, List<double> values)
        {
            if (values.Count == 0)
            {
                return;
            }
            double[] sorted = values.Order().ToArray();
            Console.WriteLine($"  {name,-52} {sorted[sorted.Length / 2],8:F0} {sorted[sorted.Length / 10],8:F0} {sorted[sorted.Length * 9 / 10],8:F0}");
        }
    }

    /// <summary>The second product alone, as the pair runs it on one thread: <c>Gemv.ForwardPair</c> of 64 → 256 → 128 (a
    /// first layer of 16,384 weights, small but read from row panels, so the 256 → 128 product, both halves, is most of
    /// the call) with the workers held, row dot products (old) and columns (new) alternating call by call; ns at
    /// percentiles. The lowest percentiles are the calls no other process interrupted.</summary>
    private static int SecondLayer(int calls)
    {
        const int inputs = 64, hidden = 256, outputs = 128;
        float[] x = NetworkBenchmarks.Fill(inputs, 1), w = NetworkBenchmarks.Fill(hidden * inputs, 2), b = NetworkBenchmarks.Fill(hidden, 3);
        float[] w1 = NetworkBenchmarks.Fill(outputs * hidden, 4), b1 = NetworkBenchmarks.Fill(outputs, 5), h = new float[hidden], y = new float[outputs];
        var packed = new PackedWeights<float>(inputs, hidden);
        var nextPacked = new PackedWeights<float>(hidden, outputs);
        double toNs = 1e9 / Stopwatch.Frequency;
        Console.WriteLine($"64 → 256 → 128 pair on one thread (workers held): the second product's halves as row dot products (old) and over columns (new), alternating, {calls} calls each; ns at percentiles 0.1/1/5/10/50; load {Load()}");
        foreach (bool oneThread in new[] { true, false })
        {
            BenchThreads.Set(oneThread);
            var times = new[] { new double[calls], new double[calls] };
            for (int i = 0; i < 2 * calls + 4000; i++)
            {
                Gemv.ColumnsInPair = (i & 1) == 1;
                long t0 = Stopwatch.GetTimestamp();
                Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: true, packed, nextPacked);
                long t = Stopwatch.GetTimestamp() - t0;
                if (i >= 4000)
                {
                    times[i & 1][(i - 4000) >> 1] = t * toNs;
                }
            }

            double[] q = [0.1, 1, 5, 10, 50];
            double[][] at = times.Select(t => { double[] sorted = t.Order().ToArray(); return q.Select(p => sorted[(int)(sorted.Length * p / 100)]).ToArray(); }).ToArray();
            Console.WriteLine($"  {(oneThread ? "one thread" : "two cores (each its half)")}");
            Console.WriteLine($"    rows (old)   {string.Join("  ", at[0].Select(v => v.ToString("F0").PadLeft(7)))}");
            Console.WriteLine($"    columns (new){string.Join("  ", at[1].Select(v => v.ToString("F0").PadLeft(7)))}");
            Console.WriteLine($"    old / new    {string.Join("  ", at[0].Zip(at[1], (a, c) => (a / c).ToString("F3").PadLeft(7)))}");
        }

        BenchThreads.Cores();
        Gemv.ColumnsInPair = true;
        return 0;
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
        Gemv.ColumnsInPair = true;
        Gemv.JoinInCallersPart = JoinDefault;
        Console.WriteLine($"load after {Load()}");
        return 0;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
}
