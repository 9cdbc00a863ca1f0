using BenchmarkDotNet.Running;

// Runs the NetGen BenchmarkDotNet suite; pass BenchmarkDotNet arguments, e.g. --filter '*Network*' --job short.
// `--compare OUT.json [--reps N]` runs the quick Stopwatch-based comparison mode that bench/compare.sh drives instead.
// `--guard-cost [ROUNDS] [--reps N] [--calibrate]` times a training step with and without its non-finite checks, paired (docs/performance.md).
// `--inference-ab [--reps N]` the paired batch-1 kernel A/B, `--trainer-overhead OUT.json [--reps N]` Fit against a
// hand-written TrainStep loop (bench/README.md).
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

// `--conv-forward-ab [REPS] [CALLS]` / `--conv-forward-count BODY old|new CALLS`: the forward kernels of ADR 0047 against the
// kernels they replace, paired in one process, or one body for callgrind (ConvForwardAb.cs).
if (args.Length > 0 && args[0] is "--conv-forward-ab" or "--conv-forward-count")
{
    return NetGen.Bench.ConvForwardAb.Run(args);
}

if (args.Length > 0 && args[0] == "--conv-profile")
{
    return NetGen.Bench.ConvProfile.Run(args);
}

// `--train-ab [ROUNDS] [REPS] [SWITCH]` / `--train-profile [CALLS]`: the training kernels of ADR 0052 against the kernels
// they replace, paired in one process, and LeNet's per-kernel profile (TrainAb.cs).
if (args.Length > 0 && args[0] is "--train-ab" or "--train-profile")
{
    return NetGen.Bench.TrainAb.Run(args);
}

if (args.Length > 0 && args[0] == "--trainer-overhead")
{
    return NetGen.Bench.TrainerOverhead.Run(args);
}

if (args.Length > 0 && args[0] == "--inference-ab")
{
    return NetGen.Bench.InferenceAb.Run(args);
}

// `--read-bandwidth [--reps N]` how fast the cores read cached floats: the floor under batch-1 latency (bench/README.md).
if (args.Length > 0 && args[0] == "--read-bandwidth")
{
    return NetGen.Bench.ReadBandwidth.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(NetGen.Bench.NetworkBenchmarks).Assembly).Run(args);
return 0;
