using Microsoft.ML.OnnxRuntime;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-latency-ab [--reps N]</c>: the batch-1 GEMV over W as stored (the kernel before ADR 0054) against the same
/// arithmetic over the row panels, paired in one process (bodies taking turns repetition by repetition; medians, best
/// repetition, median of the paired ratios old/new): each layer of the benchmark MLP on one core and split over the
/// cores, the three layers chained as the generated code plans them, the generated <c>Predict</c> itself, and ONNX
/// Runtime 1.31.1 (1 and 2 intra-op threads) on the same input in the same rounds, for a paired estimate against it.
/// </summary>
internal static class MlpLatencyAb
{
    public static int Run(string[] args)
    {
        int reps = 41;
        bool ort = true;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length)
            {
                reps = int.Parse(args[++i]);
            }
            else if (args[i] == "--no-ort")
            {
                ort = false;
            }
        }

        var mlp = new BenchMlp(1);
        float[] p = mlp.Parameters.ToArray();
        float[] w0 = p[..200704], b0 = p[200704..200960], w1 = p[200960..233728], b1 = p[233728..233856], w2 = p[233856..235136], b2 = p[235136..];
        float[] x = NetworkBenchmarks.Fill(784, 7), h0 = new float[256], h1 = new float[128], y = new float[10], scores = new float[10];
        PackedWeights<float> pw0 = new(784, 256), pw1 = new(256, 128), pw2 = new(128, 10);
        var layers = new (string Name, float[] W, float[] B, float[] X, float[] Y, int I, int O, bool Relu, PackedWeights<float> Packed, GemvMode Planned)[]
        {
            ("256x784", w0, b0, x, h0, 784, 256, true, pw0, GemvMode.Parallel),
            ("128x256", w1, b1, h0, h1, 256, 128, true, pw1, GemvMode.Serial),
            ("10x128", w2, b2, h1, y, 128, 10, false, pw2, GemvMode.Serial),
        };

        if (args.Contains("--loop-split-panels"))
        {
            // For a profiler: the split GEMV over row panels in a loop for about 5 s.
            var l = layers[0];
            var sw = System.Diagnostics.Stopwatch.StartNew();
            long calls = 0;
            while (sw.Elapsed.TotalSeconds < 5)
            {
                Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel, args.Contains("--stored") ? null : l.Packed);
                calls++;
            }

            Console.WriteLine($"{sw.Elapsed.TotalMilliseconds * 1e3 / calls:F2} µs/call over {calls} calls");
            return 0;
        }

        if (args.Contains("--split-only"))
        {
            // Split bodies only, and panels packed by the split call itself (each core its rows) as well as by one core.
            var l = layers[0];
            PackedWeights<float> bySplit = new(784, 256);
            var only = new Action<int>[]
            {
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel, l.Packed)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel, bySplit)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial, l.Packed)),
            };
            Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial, l.Packed);
            Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial, l.Packed);
            Report(l.Name, ["split, as stored", "split, panels packed on 1 core", "split, panels packed split", "split, as stored (again)", "1 core, panels"], Compare.TimeInterleaved(reps, only), [(0, 1), (0, 2), (0, 3), (0, 4)]);
            long oneCore = (long)typeof(Gemv).Assembly.GetType("NetGen.Kernels.Workers")!.GetProperty("OneCoreRuns", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
            Console.WriteLine($"  one-core runs (a worker asleep): {oneCore}");
            return 0;
        }

        Console.WriteLine($"batch-1 GEMV: W as stored (old) against row panels (new), {reps} repetitions, bodies taking turns; median µs/call [best repetition] (median paired ratio old/new); load {Load()}");
        foreach (var l in layers)
        {
            var bodies = new Action<int>[]
            {
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial, l.Packed)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel, l.Packed)),
            };
            Report(l.Name, ["1 core, as stored", "1 core, panels", "split, as stored", "split, panels"], Compare.TimeInterleaved(reps, bodies), [(0, 1), (2, 3), (0, 3)]);
        }

        var chain = new List<Action<int>>
        {
            n => Compare.Repeat(n, () => { foreach (var l in layers) { Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, l.Planned); } }),
            n => Compare.Repeat(n, () => { foreach (var l in layers) { Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, l.Planned, l.Packed); } }),
            n => Compare.Repeat(n, () => mlp.Predict(x, scores)),
        };
        List<string> names = ["3 layers as planned, as stored", "3 layers as planned, panels", "Predict (generated)"];
        var sessions = new List<IDisposable>();
        if (ort)
        {
            byte[] model;
            using (var stream = new MemoryStream())
            {
                mlp.ExportOnnx(stream);
                model = stream.ToArray();
            }

            foreach (int threads in new[] { 1, 2 })
            {
                var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
                var session = new InferenceSession(model, options);
                float[] ortY = new float[10];
                var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { 1, 784 });
                var output = OrtValue.CreateTensorValueFromMemory(ortY, new long[] { 1, 10 });
                var runOptions = new RunOptions();
                string[] inputNames = { "input" }, outputNames = { "output" };
                OrtValue[] inputs = { input }, outputs = { output };
                session.Run(runOptions, inputNames, inputs, outputNames, outputs);
                mlp.Predict(x, scores);
                double worst = scores.Zip(ortY, (a, b) => Math.Abs(a - b)).Max();
                if (worst > 1e-4 * Math.Max(scores.Max(Math.Abs), 1e-6))
                {
                    throw new InvalidOperationException($"ONNX Runtime disagrees with NetGen: max error {worst:E3}");
                }

                chain.Add(n => Compare.Repeat(n, () => session.Run(runOptions, inputNames, inputs, outputNames, outputs)));
                names.Add($"ORT {threads} thread{(threads == 1 ? string.Empty : "s")}");
                sessions.AddRange([session, options, input, output, runOptions]);
            }
        }

        double[][] t = Compare.TimeInterleaved(reps, [.. chain]);
        var pairs = new List<(int, int)> { (0, 1), (0, 2) };
        for (int o = 3; o < chain.Count; o++)
        {
            pairs.Add((o, 2)); // ORT / Predict: NetGen's advantage
        }

        Report("MLP 784-256-128-10", [.. names], t, [.. pairs]);
        foreach (IDisposable d in sessions)
        {
            d.Dispose();
        }

        Console.WriteLine($"load after {Load()}");
        return 0;
    }

    private static void Report(string what, string[] names, double[][] samples, (int Num, int Den)[] ratios)
    {
        Console.WriteLine($"  {what}");
        for (int i = 0; i < names.Length; i++)
        {
            Console.WriteLine($"    {names[i],-34} {Compare.Median(samples[i]) * 1e6,7:F2} [best {samples[i].Min() * 1e6,6:F2}]");
        }

        foreach ((int num, int den) in ratios)
        {
            Console.WriteLine($"    ratio {names[num]} / {names[den]}: {Compare.Median(samples[num].Zip(samples[den], (a, b) => a / b)):F3}");
        }
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
}
