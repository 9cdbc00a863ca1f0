using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetGen.Data;

namespace NetGen.Bench;

/// <summary>
/// <c>--trainer-overhead OUT.json [--reps N]</c>: what <c>Trainer.Fit</c> costs on top of the training steps it runs. One
/// epoch of the benchmark MLP (784-256-128-10, Adam, batch 64) over 60,000 MNIST-sized rows (seeded random pixels and
/// labels: the step's time does not depend on the values), through <c>Fit</c> (one epoch, shuffled, nothing evaluated,
/// a silent progress reporter) and through a hand-written loop doing the same work: the same permutation
/// (<see cref="Batches.FillPermutation"/>), the rows gathered into one batch buffer, <c>TrainStep</c>. The two take turns
/// (the order alternating from pair to pair),
/// epoch by epoch, on the same network; the overhead is the median over pairs of Fit time / loop time − 1.
/// </summary>
internal static class TrainerOverhead
{
    private const int Rows = 60_000, Batch = 64;

    public static int Run(string[] args)
    {
        string outPath = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : "trainer-overhead.json";
        int reps = 9;
        bool fixedOrder = false, calibrate = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length)
            {
                reps = int.Parse(args[++i]);
            }

            // --fixed-order: Fit first in every pair (by default the order alternates, ABBA, because whichever runs
            // second in a pair measured about 1 % faster on the quiet VM).
            // --calibrate: an A/A run, the loop against itself, to see what the harness resolves.
            fixedOrder |= args[i] == "--fixed-order";
            calibrate |= args[i] == "--calibrate";
        }

        float[] features = NetworkBenchmarks.Fill(Rows * BenchMlp.InputSize, 21);
        int[] labels = Enumerable.Range(0, Rows).Select(i => (int)((uint)(i * 2654435761u) % 10)).ToArray();
        var train = new InMemoryDataset(features, labels, BenchMlp.InputSize);
        var net = new BenchMlp(1);
        var options = new FitOptions { Epochs = 1, BatchSize = Batch, Seed = 5, TrainingEvaluationRows = 0, Progress = new Silent() };

        int[] order = new int[Rows];
        float[] x = new float[Batch * BenchMlp.InputSize];
        int[] y = new int[Batch];
        long epoch = 0;
        void Loop()
        {
            // Fit's epoch: the permutation of (seed, epoch), then each batch gathered and stepped.
            Batches.FillPermutation(order, 5, epoch);
            for (int start = 0; start < Rows; start += Batch)
            {
                int n = Math.Min(Batch, Rows - start);
                for (int r = 0; r < n; r++)
                {
                    int row = order[start + r];
                    features.AsSpan(row * BenchMlp.InputSize, BenchMlp.InputSize).CopyTo(x.AsSpan(r * BenchMlp.InputSize));
                    y[r] = labels[row];
                }
                net.TrainStep(x.AsSpan(0, n * BenchMlp.InputSize), y.AsSpan(0, n));
            }
        }

        void FitEpoch()
        {
            if (calibrate)
            {
                Loop();
            }
            else
            {
                net.Fit(train, options);
            }
        }

        // Warm-up: one epoch each (the JIT, the worker threads, the packing buffers).
        FitEpoch();
        Loop();
        var fit = new double[reps];
        var loop = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            if (!fixedOrder && r % 2 == 1)
            {
                loop[r] = Time(Loop);
                fit[r] = Time(FitEpoch);
            }
            else
            {
                fit[r] = Time(FitEpoch);
                loop[r] = Time(Loop);
            }

            Console.WriteLine($"  pair {r + 1}/{reps}: Fit {fit[r]:F3} s, loop {loop[r]:F3} s, Fit/loop {fit[r] / loop[r]:F4}");
        }

        double[] ratios = fit.Zip(loop, (f, l) => f / l).ToArray();
        double overhead = Compare.Median(ratios) - 1;
        var doc = new JsonObject
        {
            ["workload"] = "trainer_overhead_mlp_epoch",
            ["what"] = "one epoch of MLP 784-256-128-10 (Adam, batch 64) over 60,000 MNIST-sized rows: Trainer.Fit (1 epoch, shuffled, no evaluation, silent progress) against a hand-written loop of TrainStep over the same batches, taking turns",
            ["pairs"] = reps,
            ["order"] = fixedOrder ? "Fit first in each pair" : "alternating: Fit first in odd pairs, the loop first in even pairs",
            ["calibration"] = calibrate ? "A/A: the loop against itself (no Fit)" : "no",
            ["fit_seconds_median"] = Math.Round(Compare.Median(fit), 4),
            ["loop_seconds_median"] = Math.Round(Compare.Median(loop), 4),
            ["overhead_percent_median_of_pairs"] = Math.Round(overhead * 100, 3),
            ["ratios"] = new JsonArray(ratios.Select(v => (JsonNode)Math.Round(v, 4)).ToArray()),
            ["goal"] = "< 2 % of a training epoch",
        };
        File.WriteAllText(outPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Trainer.Fit overhead over a hand-written TrainStep loop: {overhead * 100:F2} % (median of {reps} paired epochs; Fit {Compare.Median(fit):F3} s, loop {Compare.Median(loop):F3} s); wrote {outPath}");
        return 0;
    }

    private static double Time(Action action)
    {
        long t0 = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private sealed class Silent : ITrainingProgress
    {
        public void Begin(FitPlan plan) { }

        public void BatchEnd(in BatchProgress progress) { }

        public void EpochEnd(EpochRecord record) { }

        public void End(TrainingHistory history) { }
    }
}
