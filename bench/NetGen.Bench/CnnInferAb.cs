using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// Development aid for the inference kernels of ADR 0053 (<see cref="BenchCnn"/>'s forward without argmax), old against new
/// in one process. "old" switches <c>ConvPoolInference.Enabled</c> off (the kernels of ADR 0047: the direct convolution
/// into its wide buffer, then the pool from that buffer with positions), "new" on.
/// <list type="bullet">
/// <item><c>--cnn-infer-ab [REPS] [CALLS]</c>: REPS rounds; in each, every body runs CALLS times old then new (new then old
/// on odd rounds), timed as a block; prints the median time per call of each side and the median of the per-round ratios
/// old/new with its quartiles. Rows marked "1t" run every kernel on the calling thread
/// (<c>Workers.SplitAsIfForTests(1)</c>); the others split as the machine does.</item>
/// <item><c>--cnn-infer-ab --ort [REPS] [CALLS]</c>: the same, then <c>Predict</c> with the new kernels and with the old
/// against ONNX Runtime on the committed <c>bench/models/cnn_b*.onnx</c> (the same weights) with 1 and 2 intra-op
/// threads, the three taking turns in a rotating order round by round; the median of the per-round ratios ORT/NetGen.</item>
/// </list>
/// </summary>
internal static class CnnInferAb
{
    private const int B = 64;

    public static int Run(string[] args)
    {
        bool ort = args.Contains("--ort");
        args = args.Where(a => a != "--ort").ToArray();
        int reps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 31;
        int perBlock = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 40;
        int machineParts = Workers.MaxParts;

        (string Name, bool OneThread, Action Body)[] bodies = Bodies(out BenchCnn net, out float[] x64);
        foreach (bool old in new[] { true, false })
        {
            Set(old);
            foreach ((_, bool oneThread, Action body) in bodies)
            {
                Workers.SplitAsIfForTests(oneThread ? 1 : machineParts);
                for (int i = 0; i < 10; i++)
                {
                    body();
                }
            }
        }
        Set(old: false);

        Console.WriteLine(FormattableString.Invariant($"load average {File.ReadAllText("/proc/loadavg").Trim()}; {reps} rounds"));
        Console.WriteLine($"{"body",-26} {"old us",10} {"new us",10} {"old/new (median of rounds)",28}  [quartiles]  fastest rounds old/new us");
        foreach ((string name, bool oneThread, Action body) in bodies)
        {
            Workers.SplitAsIfForTests(oneThread ? 1 : machineParts);
            var oldTimes = new double[reps];
            var newTimes = new double[reps];
            var ratios = new double[reps];
            int calls = name.Contains("b64", StringComparison.Ordinal) ? Math.Max(1, perBlock / 10) : perBlock;
            for (int r = 0; r < reps; r++)
            {
                bool oldFirst = r % 2 == 0;
                double first = Time(body, calls, old: oldFirst), second = Time(body, calls, old: !oldFirst);
                oldTimes[r] = oldFirst ? first : second;
                newTimes[r] = oldFirst ? second : first;
                ratios[r] = oldTimes[r] / newTimes[r];
            }
            Set(old: false);
            Array.Sort(ratios);
            Console.WriteLine(FormattableString.Invariant($"{name,-26} {Median(oldTimes),10:F2} {Median(newTimes),10:F2} {ratios[reps / 2],28:F3}  [{ratios[reps / 4]:F3}, {ratios[3 * reps / 4]:F3}]  {oldTimes.Min():F2} / {newTimes.Min():F2}"));
        }
        Workers.SplitAsIfForTests(machineParts);

        if (ort)
        {
            Ort(net, x64, reps, perBlock);
        }
        Console.WriteLine(FormattableString.Invariant($"load average {File.ReadAllText("/proc/loadavg").Trim()}"));
        return 0;
    }

    /// <summary>Predict (new kernels, the machine's split) against ONNX Runtime with 1 and 2 intra-op threads on the same
    /// weights, round by round: medians and the median of the per-round ratios ORT/NetGen.</summary>
    private static void Ort(BenchCnn net, float[] x64, int reps, int perBlock)
    {
        byte[] weights = File.ReadAllBytes(Path.Combine("bench", "models", "cnn.weights.bin"));
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weights).CopyTo(net.Parameters);
        foreach (int rows in new[] { 1, 64 })
        {
            byte[] model = File.ReadAllBytes(Path.Combine("bench", "models", $"cnn_b{rows}.onnx"));
            float[] x = x64.AsSpan(0, rows * 784).ToArray();
            float[] netgenY = new float[rows * 10];
            int calls = rows == 1 ? perBlock : Math.Max(1, perBlock / 10);
            foreach (int threads in new[] { 1, 2 })
            {
                using var options = new Microsoft.ML.OnnxRuntime.SessionOptions
                {
                    GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
                    IntraOpNumThreads = threads,
                    InterOpNumThreads = 1,
                    ExecutionMode = Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL,
                };
                using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model, options);
                float[] ortY = new float[rows * 10];
                using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, new long[] { rows, 1, 28, 28 });
                using var output = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(ortY, new long[] { rows, 10 });
                using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
                string[] inputNames = { "input" }, outputNames = { "output" };
                Microsoft.ML.OnnxRuntime.OrtValue[] inputs = { input }, outputs = { output };
                Action ortBody = () => session.Run(runOptions, inputNames, inputs, outputNames, outputs);
                Action netBody = () => net.Predict(x, netgenY);
                ortBody();
                netBody();
                double scale = netgenY.Max(Math.Abs), worst = netgenY.Zip(ortY, (a, b) => Math.Abs(a - b)).Max();
                if (worst > 1e-4 * Math.Max(scale, 1e-6))
                {
                    throw new InvalidOperationException($"ONNX Runtime ({threads} threads) disagrees with NetGen at batch {rows}: max error {worst:E3}.");
                }
                for (int i = 0; i < 20; i++)
                {
                    ortBody();
                    netBody();
                }
                var ortTimes = new double[reps];
                var netTimes = new double[reps];
                var oldTimes = new double[reps];
                var ratios = new double[reps];
                var oldRatios = new double[reps];
                Action oldBody = () =>
                {
                    Set(old: true);
                    netBody();
                    Set(old: false);
                };
                for (int r = 0; r < reps; r++)
                {
                    // The three sides in a rotating order: ORT, new, old; new, old, ORT; old, ORT, new.
                    for (int turn = 0; turn < 3; turn++)
                    {
                        switch ((r + turn) % 3)
                        {
                            case 0: ortTimes[r] = TimePlain(ortBody, calls); break;
                            case 1: netTimes[r] = TimePlain(netBody, calls); break;
                            default: oldTimes[r] = TimePlain(oldBody, calls); break;
                        }
                    }
                    ratios[r] = ortTimes[r] / netTimes[r];
                    oldRatios[r] = ortTimes[r] / oldTimes[r];
                }
                Array.Sort(ratios);
                Array.Sort(oldRatios);
                Console.WriteLine(FormattableString.Invariant($"batch {rows,2}: ORT {threads}t {Median(ortTimes),9:F2} us; NetGen new {Median(netTimes),9:F2} us, ORT/new {ratios[reps / 2]:F3} [{ratios[reps / 4]:F3}, {ratios[3 * reps / 4]:F3}]; old {Median(oldTimes),9:F2} us, ORT/old {oldRatios[reps / 2]:F3} [{oldRatios[reps / 4]:F3}, {oldRatios[3 * reps / 4]:F3}]"));
            }
        }
    }

    private static void Set(bool old)
    {
        ConvPoolInference.Enabled = !old;
        DenseNarrow.Enabled = !old;
    }

    private static double Time(Action body, int calls, bool old)
    {
        Set(old);
        return TimePlain(body, calls);
    }

    private static double TimePlain(Action body, int calls)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            body();
        }
        return Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    /// <summary>The epilogue pool alone over one sample's planes, read from a wide buffer of row stride
    /// <paramref name="stride"/> (new: ConvPoolInference; old: MaxPool2DPairs without positions).</summary>
    private static unsafe void Epilogue(float[] wide, int stride, float[] pooled, Pool2DGeometry p)
    {
        int span = ((p.Height - 1) * stride) + p.Width, plane = p.OutHeight * p.OutWidth;
        float[] stage = MaxPool2DPairs.Stage(MaxPool2DPairs.StageLength(p));
        fixed (float* s = wide)
        fixed (float* y = pooled)
        fixed (float* st = stage)
        {
            for (int c = 0; c < p.Channels; c++)
            {
                if (ConvPoolInference.Enabled)
                {
                    ConvPoolInference.Plane(s + (c * span), stride, y + (c * plane), p);
                }
                else
                {
                    MaxPool2DPairs.Plane(s + (c * span), stride, y + (c * plane), null, p, st);
                }
            }
        }
    }

    private static (string Name, bool OneThread, Action Body)[] Bodies(out BenchCnn net, out float[] x)
    {
        var g1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var g2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p2 = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] xs = NetworkBenchmarks.Fill(B * 784, 1), w1 = NetworkBenchmarks.Fill(72, 2), b1 = NetworkBenchmarks.Fill(8, 3);
        float[] y1 = new float[B * g1.OutputLength], q1 = NetworkBenchmarks.Fill(B * p1.OutputLength, 8);
        float[] w2 = NetworkBenchmarks.Fill(16 * 72, 4), b2 = NetworkBenchmarks.Fill(16, 5);
        float[] y2 = new float[B * g2.OutputLength], q2 = NetworkBenchmarks.Fill(B * p2.OutputLength, 6);
        float[] w3 = NetworkBenchmarks.Fill(5760, 7), b3 = NetworkBenchmarks.Fill(10, 8), d = new float[B * 10];
        var packed = new PackedWeights<float>(576, 10);
        var cnn = new BenchCnn(1);
        float[] scores = new float[B * 10];
        net = cnn;
        x = xs;
        return
        [
            ("conv1 b1 1t", true, () => Conv2D.Forward<float>(xs.AsSpan(0, 784), w1, b1, y1.AsSpan(0, g1.OutputLength), 1, g1, fuseReLU: true)),
            ("conv2 b1 1t", true, () => Conv2D.Forward<float>(q1.AsSpan(0, g2.InputLength), w2, b2, y2.AsSpan(0, g2.OutputLength), 1, g2, fuseReLU: true)),
            ("pool1 epilogue b1 1t", true, () => Epilogue(y1, 28, q1, p1)),
            ("pool2 epilogue b1 1t", true, () => Epilogue(y2, 13, q2, p2)),
            ("conv1+pool1 b1 1t", true, () => ConvPool.Forward<float>(xs.AsSpan(0, 784), w1, b1, y1.AsSpan(0, g1.OutputLength), q1.AsSpan(0, p1.OutputLength), default, 1, g1, p1, fuseReLU: true)),
            ("conv2+pool2 b1 1t", true, () => ConvPool.Forward<float>(q1.AsSpan(0, g2.InputLength), w2, b2, y2.AsSpan(0, g2.OutputLength), q2.AsSpan(0, p2.OutputLength), default, 1, g2, p2, fuseReLU: true)),
            ("dense b1 1t", true, () => Dense.Forward<float>(q2.AsSpan(0, 576), w3, b3, d.AsSpan(0, 10), 1, 576, 10, GemmMode.Packed, packed: packed, rowMode: GemvMode.Serial)),
            ("Predict b1", false, () => cnn.Predict(xs.AsSpan(0, 784), scores.AsSpan(0, 10))),
            ("conv1+pool1 b64 1t", true, () => ConvPool.Forward<float>(xs, w1, b1, y1, q1, default, B, g1, p1, fuseReLU: true)),
            ("conv2+pool2 b64 1t", true, () => ConvPool.Forward<float>(q1, w2, b2, y2, q2, default, B, g2, p2, fuseReLU: true)),
            ("dense b64", false, () => Dense.Forward<float>(q2, w3, b3, d, B, 576, 10, GemmMode.Packed, packed: packed)),
            ("dense b64 1t", true, () => Dense.Forward<float>(q2, w3, b3, d, B, 576, 10, GemmMode.Packed, packed: packed)),
            ("Predict b64 1t", true, () => cnn.Predict(xs, scores)),
            ("Predict b64", false, () => cnn.Predict(xs, scores)),
        ];
    }
}
