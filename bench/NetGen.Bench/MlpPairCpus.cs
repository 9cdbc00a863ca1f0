using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-pair-cpus [--calls N]</c>: on which vCPU the caller and the worker thread run during back-to-back batch-1
/// <c>Predict</c> calls (ADR 0067): every 64th call, the caller's <see cref="Thread.GetCurrentProcessorId"/> and the
/// worker's last CPU from <c>/proc/self/task/&lt;tid&gt;/stat</c> (field 39). Prints how often each pair of CPUs was seen
/// and how often either thread had moved since the last sample: a move puts each core's half of the weights in the
/// other core's cache.
/// </summary>
internal static class MlpPairCpus
{
    public static int Run(string[] args)
    {
        int calls = 200_000;
        int at = Array.IndexOf(args, "--calls");
        if (at > 0 && at + 1 < args.Length)
        {
            calls = int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        var mlp = new BenchMlp(1);
        float[] x = NetworkBenchmarks.Fill(784, 7), scores = new float[10];
        BenchThreads.Cores();
        for (int i = 0; i < 5000; i++)
        {
            mlp.Predict(x, scores);
        }

        string? workerStat = null;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            string comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
            if (comm.StartsWith("NetGen worker", StringComparison.Ordinal))
            {
                workerStat = Path.Combine(task, "stat");
            }
        }
        if (workerStat is null)
        {
            Console.WriteLine("no worker thread found");
            return 1;
        }

        var pairs = new Dictionary<(int Caller, int Worker), int>();
        int samples = 0, callerMoves = 0, workerMoves = 0, lastCaller = -1, lastWorker = -1;
        for (int i = 0; i < calls; i++)
        {
            mlp.Predict(x, scores);
            if ((i & 63) != 0)
            {
                continue;
            }

            int caller = Thread.GetCurrentProcessorId();
            string stat = File.ReadAllText(workerStat);
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            int worker = int.Parse(fields[36], System.Globalization.CultureInfo.InvariantCulture); // field 39 of stat
            pairs[(caller, worker)] = pairs.GetValueOrDefault((caller, worker)) + 1;
            callerMoves += lastCaller >= 0 && caller != lastCaller ? 1 : 0;
            workerMoves += lastWorker >= 0 && worker != lastWorker ? 1 : 0;
            (lastCaller, lastWorker) = (caller, worker);
            samples++;
        }

        Console.WriteLine($"batch-1 Predict back to back, {calls} calls, a sample every 64: {samples} samples; load {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?")}");
        foreach (var pair in pairs.OrderByDescending(p => p.Value))
        {
            Console.WriteLine($"  caller on CPU {pair.Key.Caller}, worker last on CPU {pair.Key.Worker}: {pair.Value} samples ({100.0 * pair.Value / samples:F1} %)");
        }
        Console.WriteLine($"  moves between samples: caller {callerMoves}, worker {workerMoves}");
        return 0;
    }
}
