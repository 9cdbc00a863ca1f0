using System.Numerics.Tensors;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--inference-ab [--reps N]</c>: paired A/B of the batch-1 kernels in one process, taking turns repetition by
/// repetition (bench/README.md): for each Dense layer of the benchmark MLP, the batch kernel's one-row path as it ran
/// before the GEMV (bias copied into y, <c>Gemm.MatMulNT</c> Direct, ReLU pass) against <see cref="Gemv"/> on one core and
/// split over the cores; then the three layers chained each way. Prints medians and the median of the paired ratios.
/// </summary>
internal static class InferenceAb
{
    public static int Run(string[] args)
    {
        int reps = 21;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length)
            {
                reps = int.Parse(args[++i]);
            }
        }

        var mlp = new BenchMlp(1);
        float[] p = mlp.Parameters.ToArray();
        float[] w0 = p[..200704], b0 = p[200704..200960], w1 = p[200960..233728], b1 = p[233728..233856], w2 = p[233856..235136], b2 = p[235136..];
        float[] x = NetworkBenchmarks.Fill(784, 7), h0 = new float[256], h1 = new float[128], y = new float[10], scores = new float[10];
        var layers = new (string Name, float[] W, float[] B, float[] X, float[] Y, int I, int O, bool Relu)[]
        {
            ("256x784", w0, b0, x, h0, 784, 256, true),
            ("128x256", w1, b1, h0, h1, 256, 128, true),
            ("10x128", w2, b2, h1, y, 128, 10, false),
        };

        Console.WriteLine($"batch-1 A/B, {reps} repetitions, bodies taking turns; median us/call [best repetition] and median paired ratio old/new");
        foreach (var l in layers)
        {
            var bodies = new Action<int>[]
            {
                n => Compare.Repeat(n, () => Old(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial)),
                n => Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)),
                n => { Policy(Pause10); Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)); Policy(Default); },
                n => { Policy(Pause10Affine20); Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)); Policy(Default); },
                n => { Policy(Pause1ms); Compare.Repeat(n, () => Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Parallel)); Policy(Default); },
            };
            Report(l.Name, ["old direct", "gemv 1 core", "gemv split", "split, pause 10 µs", "split, pause 10 µs + affinity 20 µs", "split, pause 1 ms"], Compare.TimeInterleaved(reps, bodies));
        }

        var chain = new Action<int>[]
        {
            n => Compare.Repeat(n, () => { foreach (var l in layers) { Old(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu); } }),
            n => Compare.Repeat(n, () => { foreach (var l in layers) { Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Serial); } }),
            n => Compare.Repeat(n, () => { foreach (var l in layers) { Gemv.Forward<float>(l.X, l.W, l.B, l.Y, l.I, l.O, l.Relu, GemvMode.Auto); } }),
            n => Compare.Repeat(n, () => mlp.Predict(x, scores)),
            n => { Policy(Pause10); Compare.Repeat(n, () => mlp.Predict(x, scores)); Policy(Default); },
            n => { Policy(SpinOnceOnly); Compare.Repeat(n, () => mlp.Predict(x, scores)); Policy(Default); },
            n => { Policy(Affine20); Compare.Repeat(n, () => mlp.Predict(x, scores)); Policy(Default); },
            n => { Policy(Pause10Affine20); Compare.Repeat(n, () => mlp.Predict(x, scores)); Policy(Default); },
            n => { Policy(Pause1ms); Compare.Repeat(n, () => mlp.Predict(x, scores)); Policy(Default); },
        };
        Report("MLP 784-256-128-10", ["old direct", "gemv 1 core", "gemv Choose", "Predict (default waits)", "Predict, pause 10 µs", "Predict, SpinOnce only", "Predict, affinity 20 µs", "Predict, pause 10 µs + affinity 20 µs", "Predict, pause 1 ms"], Compare.TimeInterleaved(reps, chain));

        // The workers' waits on the batch paths too: SpinOnce only, the default 10 µs pause-only window, 1 ms of pauses.
        float[] x64 = NetworkBenchmarks.Fill(64 * 784, 1), scores64 = new float[64 * 10];
        int[] labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        var batch = new Action<int>[]
        {
            n => { Policy(SpinOnceOnly); Compare.Repeat(n, () => mlp.Predict(x64, scores64)); Policy(Default); },
            n => { Policy(Pause10); Compare.Repeat(n, () => mlp.Predict(x64, scores64)); Policy(Default); },
            n => { Policy(Pause1ms); Compare.Repeat(n, () => mlp.Predict(x64, scores64)); Policy(Default); },
        };
        Report("Predict 64 rows", ["SpinOnce only", "pause 10 µs", "pause 1 ms"], Compare.TimeInterleaved(reps, batch));
        var train = new BenchMlp(2);
        var step = new Action<int>[]
        {
            n => { Policy(SpinOnceOnly); Compare.Repeat(n, () => train.TrainStep(x64, labels)); Policy(Default); },
            n => { Policy(Pause10); Compare.Repeat(n, () => train.TrainStep(x64, labels)); Policy(Default); },
            n => { Policy(Pause1ms); Compare.Repeat(n, () => train.TrainStep(x64, labels)); Policy(Default); },
        };
        Report("TrainStep 64 rows", ["SpinOnce only", "pause 10 µs", "pause 1 ms"], Compare.TimeInterleaved(reps, step));
        return 0;
    }

    // Wait policies of the workers (Workers.CallerPauseMicroseconds, WorkerPauseMicroseconds, AffinityGraceMicroseconds):
    // pause-only spins for that long before SpinWait.SpinOnce, and how long the caller leaves an affine job's parts to
    // the workers. Default = the library's defaults, read at start.
    private static readonly (int Caller, int Worker, int Grace) Default = (Get("CallerPauseMicroseconds"), Get("WorkerPauseMicroseconds"), Get("AffinityGraceMicroseconds"));
    private static readonly (int, int, int) Pause10 = (10, 10, Default.Grace);
    private static readonly (int, int, int) SpinOnceOnly = (0, 0, Default.Grace);
    private static readonly (int, int, int) Affine20 = (Default.Caller, Default.Worker, 20);
    private static readonly (int, int, int) Pause10Affine20 = (10, 10, 20);
    private static readonly (int, int, int) Pause1ms = (1000, 200, Default.Grace);

    private static void Policy((int Caller, int Worker, int Grace) p)
    {
        Set("CallerPauseMicroseconds", p.Caller);
        Set("WorkerPauseMicroseconds", p.Worker);
        Set("AffinityGraceMicroseconds", p.Grace);
    }

    private static System.Reflection.PropertyInfo Property(string name) =>
        typeof(Gemv).Assembly.GetType("NetGen.Kernels.Workers")!.GetProperty(name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    private static int Get(string name) => (int)Property(name).GetValue(null)!;

    private static void Set(string name, int value) => Property(name).SetValue(null, value);

    /// <summary>The one-row path of <c>Dense.Forward</c> before the GEMV: bias into y, x·Wᵀ accumulated by the direct NT
    /// kernel (4 dot products at a time), then a ReLU pass.</summary>
    private static void Old(float[] x, float[] w, float[] b, float[] y, int inputs, int outputs, bool relu)
    {
        b.CopyTo(y, 0);
        Gemm.MatMulNT<float>(x, w, y, 1, outputs, inputs, accumulate: true, GemmMode.Direct);
        if (relu)
        {
            TensorPrimitives.Max(y, 0f, y);
        }
    }

    private static void Report(string what, string[] names, double[][] samples)
    {
        var parts = new List<string>();
        for (int i = 0; i < names.Length; i++)
        {
            string ratio = i == 0 ? string.Empty : $" ({Compare.Median(samples[0].Zip(samples[i], (a, b) => a / b)):F2}x)";
            parts.Add($"{names[i]} {Compare.Median(samples[i]) * 1e6:F2} [best {samples[i].Min() * 1e6:F2}]{ratio}");
        }
        Console.WriteLine($"  {what,-20} {string.Join(", ", parts)}");
    }
}
