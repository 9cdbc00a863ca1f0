using BenchmarkDotNet.Running;

// Runs the NetGen BenchmarkDotNet suite; pass BenchmarkDotNet arguments, e.g. --filter '*Network*' --job short.
// `--compare OUT.json [--reps N]` runs the quick Stopwatch-based comparison mode that bench/compare.sh drives instead.
// `--guard-cost [ROUNDS]` times the non-finite checks of a training step against the step (docs/performance.md).
if (args.Length > 0 && args[0] == "--compare")
{
    return NetGen.Bench.Compare.Run(args);
}

if (args.Length > 0 && args[0] == "--guard-cost")
{
    return NetGen.Bench.GuardCost.Run(args);
}

// `--compare-conv OUT.json [--reps N]` runs only the convolution rows of that mode (ConvCompare.cs).
if (args.Length > 0 && args[0] == "--compare-conv")
{
    return NetGen.Bench.ConvCompare.RunAlone(args);
}

if (args.Length > 0 && args[0] == "--conv-profile")
{
    return NetGen.Bench.ConvProfile.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(NetGen.Bench.NetworkBenchmarks).Assembly).Run(args);
return 0;
