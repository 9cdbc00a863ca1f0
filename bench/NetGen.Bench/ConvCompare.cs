using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;

namespace NetGen.Bench;

/// <summary>
/// The convolution rows of compare mode (issue 13), measured like the rest of <see cref="Compare"/>: <c>cnn_train</c>,
/// <c>cnn_latency_b1</c>, <c>cnn_infer_b64</c> (<see cref="BenchCnn"/>) and <c>lenet_epoch</c> (<see cref="BenchLeNet"/>),
/// each with its FLOPs per sample so that <c>merge_results.py</c> can state the percentage of the FMA peak; and ONNX
/// Runtime 1.31.1 on the same CNN (the committed <c>bench/models/cnn_b*.onnx</c>, exported by
/// <c>bench/peers/export_cnn_onnx.py</c> with <c>torch.onnx.export</c>), taking turns with NetGen repetition by repetition.
/// </summary>
internal static class ConvCompare
{
    /// <summary>Samples in an MNIST training epoch.</summary>
    private const int Epoch = 60000;

    /// <summary>Runs the convolution rows into <paramref name="results"/> and returns the ONNX Runtime object.</summary>
    public static JsonObject Run(JsonArray results, int reps, string modelsDir, Func<int, Action<int>[], double[][]> timeInterleaved)
    {
        double Time(Action body) => Median(timeInterleaved(reps, new Action<int>[] { inner => Repeat(inner, body) })[0]);

        float[] x64 = NetworkBenchmarks.Fill(64 * 784, 1);
        int[] y64 = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        float[] scores1 = new float[10], scores64 = new float[64 * 10];

        var cnn = new BenchCnn(1);
        double train = Time(() => cnn.TrainStep(x64, y64));
        results.Add(Row("cnn_train", "samples/s", 64 / train, train, CnnTrainFlops,
            "conv3×3(8)-ReLU-maxpool2-conv3×3(16)-ReLU-maxpool2(padding 1)-Dense(10), 1×28×28, valid convolutions, softmax CE, SGD momentum 0.9 lr 0.01, batch 64: forward+loss+backward+update"));

        double latency = Time(() => cnn.Predict(x64.AsSpan(0, 784), scores1));
        results.Add(Row("cnn_latency_b1", "us", latency * 1e6, latency, CnnForwardFlops, "the same CNN, Predict of one image"));

        double infer = Time(() => cnn.Predict(x64, scores64));
        results.Add(Row("cnn_infer_b64", "samples/s", 64 / infer, infer, CnnForwardFlops, "the same CNN, Predict of 64 images"));

        var lenet = new BenchLeNet(1);
        double step = Time(() => lenet.TrainStep(x64, y64));
        results.Add(Row("lenet_epoch", "s", step * Epoch / 64, step, LeNetTrainFlops,
            "LeNet-style CNN of samples/Mnist (conv5×5(20)-ReLU-pool-conv5×5(50)-ReLU-pool-500-ReLU-10), Adam 1e-3: one MNIST epoch (60,000 samples) at the median batch-64 step time"));

        return OnnxRuntime(modelsDir, x64, reps, timeInterleaved);
    }

    /// <summary>The convolution rows alone (<c>NetGen.Bench --compare-conv OUT.json [--reps N] [--models DIR]</c>), for
    /// quick A/B runs while working on the kernels: the same JSON shape as <c>--compare</c>.</summary>
    public static int RunAlone(string[] args)
    {
        string outPath = "netgen-conv.json", models = "bench/models";
        int reps = 21;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--reps" when i + 1 < args.Length: reps = int.Parse(args[++i]); break;
                case "--models" when i + 1 < args.Length: models = args[++i]; break;
                default: outPath = args[i]; break;
            }
        }

        var results = new JsonArray();
        JsonObject ort = Run(results, reps, models, Compare.TimeInterleaved);
        var doc = new JsonObject { ["results"] = results, ["onnxruntime_cnn"] = ort };
        File.WriteAllText(outPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    // Multiply-adds per sample, from the layer shapes (2 FLOPs each). A convolution: O·(C·Kh·Kw)·Ho·Wo for the forward,
    // the same for dW and again for dx (skipped for the first layer, whose input needs no gradient); a Dense layer: in·out,
    // likewise. Pooling, ReLU, the loss and the update are not counted.
    private static long Conv(int c, int o, int k, int outSide) => (long)o * c * k * k * outSide * outSide;

    private static readonly long CnnForwardMacs = Conv(1, 8, 3, 26) + Conv(8, 16, 3, 11) + (576 * 10);
    private static readonly long CnnTrainMacs = (2 * Conv(1, 8, 3, 26)) + (3 * Conv(8, 16, 3, 11)) + (3 * 576 * 10);
    private static readonly long LeNetTrainMacs = (2 * Conv(1, 20, 5, 24)) + (3 * Conv(20, 50, 5, 8)) + (3 * 800 * 500) + (3 * 500 * 10);

    private static double CnnForwardFlops => 2.0 * CnnForwardMacs;

    private static double CnnTrainFlops => 2.0 * CnnTrainMacs;

    private static double LeNetTrainFlops => 2.0 * LeNetTrainMacs;

    private static JsonObject Row(string workload, string unit, double value, double secondsPerCall, double flopsPerSample, string what)
    {
        double samples = workload == "cnn_latency_b1" ? 1 : 64;
        double gflops = flopsPerSample * samples / secondsPerCall / 1e9;
        Console.WriteLine($"  {workload,-22} {value,12:F2} {unit,-10} ({secondsPerCall * 1e6:F2} us/call, {gflops:F1} GFLOP/s)");
        return new JsonObject
        {
            ["workload"] = workload,
            ["unit"] = unit,
            ["value"] = Math.Round(value, 4),
            ["seconds_per_call"] = secondsPerCall,
            ["flops_per_sample"] = flopsPerSample,
            ["gflops"] = Math.Round(gflops, 3),
            ["what"] = what,
        };
    }

    /// <summary>ONNX Runtime on the exported CNN, 1 and 2 intra-op threads, ORT_ENABLE_ALL, checked against NetGen (which
    /// loads the same weights) before it takes turns with it.</summary>
    private static JsonObject OnnxRuntime(string modelsDir, float[] x64, int reps, Func<int, Action<int>[], double[][]> timeInterleaved)
    {
        var net = new BenchCnn(1);
        byte[] weights = File.ReadAllBytes(Path.Combine(modelsDir, "cnn.weights.bin"));
        Span<float> parameters = net.Parameters;
        if (weights.Length != parameters.Length * sizeof(float))
        {
            throw new InvalidOperationException($"cnn.weights.bin has {weights.Length / 4} values, BenchCnn {parameters.Length} parameters: rerun bench/peers/export_cnn_onnx.py.");
        }
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weights).CopyTo(parameters);

        var result = new JsonObject
        {
            ["version"] = "Microsoft.ML.OnnxRuntime 1.31.1",
            ["graph_optimization"] = "ORT_ENABLE_ALL",
            ["models"] = "bench/models/cnn_b1.onnx, cnn_b64.onnx (torch.onnx.export, opset 13, static shapes)",
        };
        foreach ((string workload, int rows) in new[] { ("cnn_latency_b1", 1), ("cnn_infer_b64", 64) })
        {
            byte[] model = File.ReadAllBytes(Path.Combine(modelsDir, $"cnn_b{rows}.onnx"));
            float[] x = x64.AsSpan(0, rows * 784).ToArray();
            float[] netgenY = new float[rows * 10];
            var row = new JsonObject { ["rows"] = rows };
            double bestOrt = double.MaxValue, netgenTime = double.MaxValue;
            foreach (int threads in new[] { 1, 2 })
            {
                using var options = new SessionOptions
                {
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    IntraOpNumThreads = threads,
                    InterOpNumThreads = 1,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                };
                using var session = new InferenceSession(model, options);
                float[] ortY = new float[rows * 10];
                using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { rows, 1, 28, 28 });
                using var output = OrtValue.CreateTensorValueFromMemory(ortY, new long[] { rows, 10 });
                using var runOptions = new RunOptions();
                string[] inputNames = { "input" }, outputNames = { "output" };
                OrtValue[] inputs = { input }, outputs = { output };
                void Ort() => session.Run(runOptions, inputNames, inputs, outputNames, outputs);
                void NetGen() => net.Predict(x, netgenY);

                Ort();
                NetGen();
                double scale = netgenY.Max(Math.Abs), worst = netgenY.Zip(ortY, (a, b) => Math.Abs(a - b)).Max();
                if (worst > 1e-4 * Math.Max(scale, 1e-6))
                {
                    throw new InvalidOperationException($"ONNX Runtime ({threads} threads) disagrees with NetGen on {workload}: max error {worst:E3}, scale {scale:E3}.");
                }

                double[][] samples = timeInterleaved(reps, new Action<int>[] { inner => Repeat(inner, NetGen), inner => Repeat(inner, Ort) });
                double ng = Median(samples[0]), ort = Median(samples[1]);
                netgenTime = Math.Min(netgenTime, ng);
                bestOrt = Math.Min(bestOrt, ort);
                row[$"ort_{threads}t_us"] = Math.Round(ort * 1e6, 3);
                row[$"paired_ratio_{threads}t"] = Math.Round(Median(samples[1].Zip(samples[0], (o, n) => o / n)), 3);
                Console.WriteLine($"  {workload} ONNX Runtime {threads} intra-op thread{(threads == 1 ? string.Empty : "s")}: {ort * 1e6:F2} us/call; NetGen {ng * 1e6:F2} us/call");
            }

            row["netgen_us"] = Math.Round(netgenTime * 1e6, 3);
            row["ort_best_us"] = Math.Round(bestOrt * 1e6, 3);
            row["ratio_vs_ort"] = Math.Round(bestOrt / netgenTime, 3);
            result[workload] = row;
        }

        return result;
    }

    private static void Repeat(int count, Action body)
    {
        for (int i = 0; i < count; i++)
        {
            body();
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
