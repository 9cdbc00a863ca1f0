using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-b64-profile [--reps N]</c>: where the batch-64 <c>Predict</c> of the benchmark MLP (784-256-128-10, ReLU) spends
/// its time, and the 8-row panels of the packed GEMM on AVX-512 (<c>PackedGemm.EightRowPanels</c>, ADR 0062) against the
/// 6-row panels before them, paired in one process: each layer's <c>Dense.Forward</c> as the generated code plans it
/// (pre-packed weights, current), on one thread and on two, old and new kernel taking turns repetition by repetition;
/// then the generated <c>Predict</c> of 64 rows, the same way. Medians, best repetition, GFLOP/s, and the median of
/// the paired ratios old/new (&gt; 1: the 8-row panels faster). On a loaded machine, <c>--cpu-time</c> times the one-thread
/// rows by the calling thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>) instead of the wall clock, so the time the thread
/// spends descheduled does not count (what other processes do to the caches still does).
/// </summary>
internal static class MlpB64Profile
{
    private const int Rows = 64;

    public static int Run(string[] args)
    {
        int reps = 31;
        bool cpuTime = args.Contains("--cpu-time");
        s_twelve = args.Contains("--twelve");
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
        float[] x = NetworkBenchmarks.Fill(Rows * 784, 1), h0 = new float[Rows * 256], h1 = new float[Rows * 128], y = new float[Rows * 10], scores = new float[Rows * 10];
        PackedWeights<float> pw0 = new(784, 256), pw1 = new(256, 128), pw2 = new(128, 10);
        var layers = new (string Name, float[] W, float[] B, float[] X, float[] Y, int I, int O, bool Relu, PackedWeights<float> Packed, GemmMode Planned)[]
        {
            ("64x784x256", w0, b0, x, h0, 784, 256, true, pw0, GemmMode.PackedParallel),
            ("64x256x128", w1, b1, h0, h1, 256, 128, true, pw1, GemmMode.PackedParallel),
            ("64x128x10", w2, b2, h1, y, 128, 10, false, pw2, GemmMode.Packed),
        };

        // The same bits either way, checked before anything is timed.
        float[] old = new float[Rows * 10];
        PackedGemm.EightRowPanels = false;
        mlp.Predict(x, old);
        PackedGemm.EightRowPanels = true;
        PackedGemm.TwelveRowPanels = s_twelve;
        mlp.Predict(x, scores);
        if (!old.AsSpan().SequenceEqual(scores))
        {
            throw new InvalidOperationException("The 8-row panels changed the bits of Predict.");
        }

        Console.WriteLine($"batch-64 MLP inference: {(s_twelve ? "8-row panels (old) against 12-row panels before them (new)" : "6-row panels (old) against 8-row panels (new)")}, {reps} repetitions, bodies taking turns; median µs/call [best] GFLOP/s (median paired ratio old/new); AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; load {Load()}");
        foreach (bool oneThread in new[] { true, false })
        {
            string threads = oneThread ? "1 thread" : "2 threads";
            foreach (var l in layers)
            {
                double flop = 2.0 * Rows * l.I * l.O;
                void Layer() => Dense.Forward<float>(l.X, l.W, l.B, l.Y, Rows, l.I, l.O, l.Planned, l.Relu, l.Packed);
                Report($"{l.Name} ({threads})", flop, Time(reps, oneThread && cpuTime, Body(oneThread, false, Layer), Body(oneThread, true, Layer)));
            }

            Report($"Predict, 64 rows ({threads})", 2.0 * Rows * 234752, Time(reps, oneThread && cpuTime, Body(oneThread, false, () => mlp.Predict(x, scores)), Body(oneThread, true, () => mlp.Predict(x, scores))));
        }

        // Elsewhere: a large square product (MC row blocks of 72 = 9 panels of 8) and the training backward's dy·W.
        float[] a512 = NetworkBenchmarks.Fill(512 * 512, 3), b512 = NetworkBenchmarks.Fill(512 * 512, 4), c512 = new float[512 * 512];
        float[] dy = NetworkBenchmarks.Fill(Rows * 256, 5), dx = new float[Rows * 784];
        void Square() => Gemm.MatMulNT<float>(a512, b512, c512, 512, 512, 512, false, GemmMode.Packed);
        void DyW() => Gemm.MatMulNN<float>(dy, w0, dx, Rows, 784, 256, false, GemmMode.Packed);
        Report("GEMM 512^3 (1 thread)", 2.0 * 512 * 512 * 512, Time(Math.Max(11, reps / 2), cpuTime, 10, Body(true, false, Square), Body(true, true, Square)));
        Report("dy.W 64x256x784 (1 thread)", 2.0 * Rows * 256 * 784, Time(reps, cpuTime, Body(true, false, DyW), Body(true, true, DyW)));

        BenchThreads.Cores();
        PackedGemm.EightRowPanels = true;
        PackedGemm.TwelveRowPanels = false;
        Console.WriteLine($"load after {Load()}");
        return 0;
    }

    /// <summary><see cref="Compare.TimeInterleaved"/>, or the same turns timed by this thread's CPU time.</summary>
    private static double[][] Time(int reps, bool cpuTime, params Action<int>[] bodies) => Time(reps, cpuTime, 200, bodies);

    private static double[][] Time(int reps, bool cpuTime, int inner, params Action<int>[] bodies)
    {
        if (!cpuTime)
        {
            return Compare.TimeInterleaved(reps, bodies);
        }

        var samples = new double[bodies.Length][];
        for (int b = 0; b < bodies.Length; b++)
        {
            bodies[b](inner); // warm-up
            samples[b] = new double[reps];
        }

        for (int r = 0; r < reps; r++)
        {
            for (int b = 0; b < bodies.Length; b++)
            {
                double t0 = ThreadCpuSeconds();
                bodies[b](inner);
                samples[b][r] = (ThreadCpuSeconds() - t0) / inner;
            }
        }

        return samples;
    }

    private static double ThreadCpuSeconds()
    {
        if (ClockGetTime(3, out TimeSpec t) != 0) // CLOCK_THREAD_CPUTIME_ID
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }

        return t.Seconds + (t.Nanoseconds * 1e-9);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>A body: the thread count and the panels set, then <paramref name="call"/> n times.</summary>
    private static Action<int> Body(bool oneThread, bool eight, Action call) => n =>
    {
        BenchThreads.Set(oneThread);
        PackedGemm.EightRowPanels = eight || s_twelve;
        PackedGemm.TwelveRowPanels = eight && s_twelve;
        Compare.Repeat(n, call);
    };

    /// <summary><c>--twelve</c>: "old" is the 8-row panels, "new" the 12-row panels before them.</summary>
    private static bool s_twelve;

    private static void Report(string what, double flop, double[][] s)
    {
        double o = Compare.Median(s[0]), n = Compare.Median(s[1]);
        double ratio = Compare.Median(s[0].Zip(s[1], (a, b) => a / b).ToArray());
        Console.WriteLine($"  {what,-30} old {o * 1e6,7:F2} [best {s[0].Min() * 1e6,7:F2}] {flop / o / 1e9,6:F1} GFLOP/s | new {n * 1e6,7:F2} [best {s[1].Min() * 1e6,7:F2}] {flop / n / 1e9,6:F1} GFLOP/s | old/new {ratio:F3}");
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
}
