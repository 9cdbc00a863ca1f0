using BenchmarkDotNet.Running;

// Runs the NetGen BenchmarkDotNet suite; pass BenchmarkDotNet arguments, e.g. --filter '*Network*' --job short.
// `--compare OUT.json [--reps N]` runs the quick Stopwatch-based comparison mode that bench/compare.sh drives instead.
// `--guard-cost [ROUNDS] [--reps N] [--calibrate]` times a training step with and without its non-finite checks, paired (docs/performance.md).
// `--inference-ab [--reps N]` the paired batch-1 kernel A/B, `--trainer-overhead OUT.json [--reps N]` Fit against a
// hand-written TrainStep loop (bench/README.md).
if (args.Length > 0 && args[0] == "--mlp-train-ab")
{
    return NetGen.Bench.MlpTrainAb.Run(args);
}

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

// `--cnn-infer-ab [--ort] [REPS] [CALLS]`: the inference kernels of ADR 0053 against those they replace, and Predict
// against ONNX Runtime, paired in one process (CnnInferAb.cs).
if (args.Length > 0 && args[0] == "--cnn-infer-ab")
{
    return NetGen.Bench.CnnInferAb.Run(args);
}

if (args.Length > 0 && args[0] == "--host-probe")
{
    return NetGen.Bench.HostProbe.Run(args);
}

// `--convdx-ab [ROUNDS] [REPS] [FILTER]`: the direct dx and the pool's backward of ADR 0057, old against new (ConvDxAb.cs).
if (args.Length > 0 && args[0] == "--convdx-ab")
{
    return NetGen.Bench.ConvDxAb.Run(args);
}

// `--dw-ab [ROUNDS] [REPS] [FILTER]`: the convolution dW kernel of ADR 0056 against the one before, paired in one process (DwAb.cs).
if (args.Length > 0 && args[0] == "--dw-ab")
{
    return NetGen.Bench.DwAb.Run(args);
}

if (args.Length > 0 && args[0] == "--convfuse-ab")
{
    return NetGen.Bench.ConvFuseAb.Run(args);
}

if (args.Length > 0 && args[0] == "--step-profile")
{
    return NetGen.Bench.StepProfile.Run(args);
}

if (args.Length > 0 && args[0] == "--lenet-dx-ab")
{
    return NetGen.Bench.LeNetDxAb.Run(args);
}

if (args.Length > 0 && args[0] == "--fcadam-ab")
{
    return NetGen.Bench.FcAdamAb.Run(args);
}

if (args.Length > 0 && args[0] == "--c2fwd-ab") return NetGen.Bench.LeNetForwardAb.Run(args);

if (args.Length > 0 && args[0] == "--lenet-poolconv-ab")
{
    return NetGen.Bench.LeNetPoolConvAb.Run(args);
}

if (args.Length > 0 && args[0] == "--lenet-profile")
{
    return NetGen.Bench.LeNetProfile.Run(args);
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

// `--latency-tail [--calls N] [--rounds R] [--gap-us G]` single batch-1 Predict calls timed one by one: p50/p90/p99 (LatencyTail.cs).
if (args.Length > 0 && args[0] == "--latency-tail")
{
    return NetGen.Bench.LatencyTail.Run(args);
}

// `--gemv-layout-probe [--reps N]` the batch-1 GEMV's weight layouts on one core, raw Vector512 (GemvLayoutProbe.cs).
if (args.Length > 0 && args[0] == "--gemv-layout-probe")
{
    return NetGen.Bench.GemvLayoutProbe.Run(args);
}

// `--gemv-block-probe [--calls N] [--rows R]` one core's half of the MLP's first layer from panels: 8 rows per block, 16, prefetch, plain sum (GemvBlockProbe.cs).
if (args.Length > 0 && args[0] == "--gemv-block-probe")
{
    return NetGen.Bench.GemvBlockProbe.Run(args);
}

// `--mlp-pair-ab [--reps N]` the batch-1 MLP's first two layers in one parallel region against two calls (MlpPairAb.cs, ADR 0061).
if (args.Length > 0 && args[0] == "--mlp-pair-ab")
{
    return NetGen.Bench.MlpPairAb.Run(args);
}

// `--mlp-latency-probe [--reps N]` the batch-1 Predict timed as compare.sh times it, fresh and after training (MlpLatencyProbe.cs).
if (args.Length > 0 && args[0] == "--mlp-latency-probe")
{
    return NetGen.Bench.MlpLatencyProbe.Run(args);
}

// `--mlp-pair-parts [--calls N]` where one batch-1 Predict's time goes, stage by stage, caller and worker (MlpPairParts.cs, ADR 0067).
if (args.Length > 0 && args[0] == "--mlp-pair-parts")
{
    return NetGen.Bench.MlpPairParts.Run(args);
}

// `--mlp-pair-cpus [--calls N]` on which vCPUs the caller and the worker run batch-1 Predict calls, and how often they move (MlpPairCpus.cs, ADR 0067).
if (args.Length > 0 && args[0] == "--mlp-pair-cpus")
{
    return NetGen.Bench.MlpPairCpus.Run(args);
}

// `--mlp-latency-ab [--reps N] [--no-ort]` the batch-1 GEMV over W as stored against its row panels, paired, with ONNX
// Runtime in the same rounds (MlpLatencyAb.cs, ADR 0054).
if (args.Length > 0 && args[0] == "--mlp-latency-ab")
{
    return NetGen.Bench.MlpLatencyAb.Run(args);
}

// `--read-bandwidth [--reps N]` how fast the cores read cached floats: the floor under batch-1 latency (bench/README.md).
if (args.Length > 0 && args[0] == "--read-bandwidth")
{
    return NetGen.Bench.ReadBandwidth.Run(args);
}

// `--mlp-b64-profile [--reps N]` the batch-64 Predict layer by layer, 6-row against 8-row panels, paired (MlpB64Profile.cs, ADR 0062).
if (args.Length > 0 && args[0] == "--mlp-b64-profile")
{
    return NetGen.Bench.MlpB64Profile.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(NetGen.Bench.NetworkBenchmarks).Assembly).Run(args);
return 0;
