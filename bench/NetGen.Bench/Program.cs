using BenchmarkDotNet.Running;

// Runs the NetGen BenchmarkDotNet suite; pass BenchmarkDotNet arguments, e.g. --filter '*Network*' --job short.
// `--compare OUT.json [--reps N]` runs the quick Stopwatch-based comparison mode that bench/compare.sh drives instead.
if (args.Length > 0 && args[0] == "--compare")
{
    return NetGen.Bench.Compare.Run(args);
}

if (args.Length > 0 && args[0] == "--inference-ab")
{
    return NetGen.Bench.InferenceAb.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(NetGen.Bench.NetworkBenchmarks).Assembly).Run(args);
return 0;
