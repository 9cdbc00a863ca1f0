using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// The Stopwatch-based "compare" mode that <c>bench/compare.sh</c> drives: the workloads of the performance issue,
/// measured the same way as <c>bench/peers/pytorch_peer.py</c> measures PyTorch, plus a probe of this core's FMA peak.
/// </summary>
/// <remarks>
/// <para>Method, per workload: warm up (at least <see cref="WarmupCalls"/> calls and <see cref="WarmupSeconds"/>
/// seconds, so the JIT has promoted everything to tier 1), choose an inner count so that one repetition lasts at
/// least <see cref="RepetitionSeconds"/>, then time <c>reps</c> repetitions and report the median time per call.
/// The PyTorch peer uses the same constants. The one-core GEMM rows run on this thread alone; <c>gemm_*_2t</c> and the
/// layers the generator planned as PackedParallel also use the worker thread of the second core. At 512³ the one-core,
/// two-core and two-independent-products measurements take turns repetition by repetition (<see cref="TimeInterleaved"/>),
/// so their ratios are taken under the same conditions.</para>
/// <para>BenchmarkDotNet (the rest of this project) remains the reference for careful single-workload figures; this
/// mode exists because <c>compare.sh</c> must finish in minutes and measure both libraries in the same run.</para>
/// </remarks>
internal static class Compare
{
    private const int WarmupCalls = 50;
    private const double WarmupSeconds = 0.5;
    private const double RepetitionSeconds = 0.02;

    public static int Run(string[] args)
    {
        string outPath = "netgen.json";
        string? openBlasPath = null;
        int reps = 31;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--compare" when i + 1 < args.Length: outPath = args[++i]; break;
                case "--reps" when i + 1 < args.Length: reps = int.Parse(args[++i]); break;
                case "--openblas" when i + 1 < args.Length: openBlasPath = args[++i]; break;
                default:
                    Console.Error.WriteLine($"usage: NetGen.Bench --compare OUT.json [--reps N] [--openblas LIB.so]   (unknown: {args[i]})");
                    return 2;
            }
        }

        var results = new JsonArray();
        var machine = Machine();
        Console.WriteLine($"NetGen compare mode: {machine.ToJsonString()}");

        var peak = FmaPeak(reps);
        Console.WriteLine($"  fma_peak: {peak["gflops"]} GFLOP/s ({peak["isa"]})");

        // OpenBLAS in this process (the library PyTorch's torch.mm runs on), when compare.sh names it: its sgemm then
        // takes turns with ours, repetition by repetition, for a ratio taken under the same conditions.
        OpenBlas? openBlas = OpenBlas.Load(openBlasPath);
        foreach ((int m, int k, int n) in new[] { (64, 784, 256), (64, 256, 128), (512, 512, 512) })
        {
            float[] a = NetworkBenchmarks.Fill(m * k, 3), b = NetworkBenchmarks.Fill(n * k, 4), c = new float[m * n];
            double flops = 2.0 * m * n * k;
            var bodies = new List<Action<int>>
            {
                // One core: the packed kernel on this thread (percent of the one-core FMA peak).
                inner => Repeat(inner, () => Gemm.MatMulNT<float>(a, b, c, m, n, k, accumulate: false, GemmMode.Packed)),
            };
            if (openBlas != null)
            {
                bodies.Add(inner => Repeat(inner, () => openBlas.MatMulNT(a, b, c, m, n, k)));
            }

            // At 512³ also two independent one-core products at once (the second on its own thread, on its own
            // matrices): what this machine gives two cores on this workload, however the work is split; then both
            // cores. The independent pair follows a one-core body, not the two-core one: the worker thread spins for
            // a while after a job and would compete with the partner for the second core.
            Partner? partner = null;
            if (m == 512)
            {
                float[] a2 = NetworkBenchmarks.Fill(m * k, 5), b2 = NetworkBenchmarks.Fill(n * k, 6), c2 = new float[m * n];
                Partner p = partner = new Partner(() => Gemm.MatMulNT<float>(a2, b2, c2, m, n, k, accumulate: false, GemmMode.Packed));
                bodies.Add(inner => { p.Start(inner); Repeat(inner, () => Gemm.MatMulNT<float>(a, b, c, m, n, k, accumulate: false, GemmMode.Packed)); p.Wait(); });
                bodies.Add(inner => Repeat(inner, () => Gemm.MatMulNT<float>(a, b, c, m, n, k, accumulate: false, GemmMode.PackedParallel)));
            }

            double[][] samples = TimeInterleaved(reps, [.. bodies]);
            partner?.Dispose();
            double one = Median(samples[0]);
            JsonObject row = Result($"gemm_{m}x{k}x{n}", "GFLOP/s", flops / one / 1e9, one,
                $"C[{m},{n}] = A[{m},{k}]·B[{n},{k}]ᵀ, Gemm.MatMulNT<float>, GemmMode.Packed (one thread)");
            results.Add(row);
            if (openBlas != null)
            {
                // Per repetition: OpenBLAS time / NetGen time (> 1: NetGen faster).
                row["openblas_in_process_gflops"] = Math.Round(flops / Median(samples[1]) / 1e9, 2);
                row["ratio_vs_openblas_in_process"] = Math.Round(Median(samples[1].Zip(samples[0], (x, y) => x / y)), 3);
                Console.WriteLine($"    OpenBLAS in this process, taking turns: {row["openblas_in_process_gflops"]} GFLOP/s; NetGen {row["ratio_vs_openblas_in_process"]}× (median of paired repetitions)");
            }

            if (m == 512)
            {
                double[] pair = samples[^2], two = samples[^1];
                JsonObject row2 = Result($"gemm_{m}x{k}x{n}_2t", "GFLOP/s", flops / Median(two) / 1e9, Median(two),
                    $"the same, GemmMode.PackedParallel on {Environment.ProcessorCount} cores (same bits as one thread)");
                // Per repetition: one-core time / two-core time, and the two-core product against two independent ones.
                row2["speedup_vs_one_core"] = Math.Round(Median(samples[0].Zip(two, (x, y) => x / y)), 3);
                row2["two_independent_gflops"] = Math.Round(2 * flops / Median(pair) / 1e9, 2);
                row2["fraction_of_two_independent"] = Math.Round(Median(pair.Zip(two, (x, y) => x / (2 * y))), 3);
                Console.WriteLine($"    two cores: {row2["speedup_vs_one_core"]}× one core (median of paired repetitions); two independent one-core products: {row2["two_independent_gflops"]} GFLOP/s together, the split reaches {row2["fraction_of_two_independent"]} of that");
                results.Add(row2);
            }
        }

        var mlp = new BenchMlp(1);
        float[] mlpX = NetworkBenchmarks.Fill(64 * 784, 1), scores = new float[10];
        int[] mlpY = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        double train = Time(() => mlp.TrainStep(mlpX, mlpY), reps);
        results.Add(Result("mlp_train", "samples/s", 64 / train, train,
            "MLP 784-256-128-10 ReLU, softmax CE, Adam lr 1e-3, batch 64: forward+loss+backward+update"));

        double latency = Time(() => mlp.Predict(mlpX.AsSpan(0, 784), scores), reps);
        results.Add(Result("mlp_latency_b1", "us", latency * 1e6, latency, "the same MLP, Predict of one row"));

        // ONNX Runtime, the inference peer, on the same MLP exported with ExportOnnx (bench/README.md).
        JsonObject onnxRuntime = OnnxRuntimePeer.Run(mlp, mlpX, reps, TimeInterleaved);

        var spiral = new BenchSpiral(1);
        float[] spiralX = NetworkBenchmarks.Fill(300 * 2, 2);
        int[] spiralY = Enumerable.Range(0, 300).Select(i => i / 100).ToArray();
        double step = Time(() => spiral.TrainStep(spiralX, spiralY), reps);
        results.Add(Result("spiral_step", "us", step * 1e6, step,
            "spiral 2-100-3 ReLU, softmax CE, SGD lr 1, L2 1e-3 on weights, full batch of 300"));

        // The convolution rows (issue 13) and ONNX Runtime on the same CNN: ConvCompare.cs.
        JsonObject onnxRuntimeCnn = ConvCompare.Run(results, reps, "bench/models", TimeInterleaved);

        var doc = new JsonObject
        {
            ["machine"] = machine,
            ["fma_peak"] = peak,
            ["method"] = $"median of {reps} repetitions, each >= {RepetitionSeconds * 1e3} ms of back-to-back calls, after >= {WarmupCalls} calls and {WarmupSeconds} s of warm-up",
            ["results"] = results,
            ["onnxruntime"] = onnxRuntime,
            ["onnxruntime_cnn"] = onnxRuntimeCnn,
        };
        File.WriteAllText(outPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    private static JsonObject Result(string workload, string unit, double value, double secondsPerCall, string what)
    {
        Console.WriteLine($"  {workload,-22} {value,12:F2} {unit,-10} ({secondsPerCall * 1e6:F2} us/call)");
        return new JsonObject
        {
            ["workload"] = workload,
            ["unit"] = unit,
            ["value"] = Math.Round(value, 4),
            ["seconds_per_call"] = secondsPerCall,
            ["what"] = what,
        };
    }

    /// <summary>Median seconds per call of <paramref name="body"/>, measured as described on the class.</summary>
    private static double Time(Action body, int reps) => Median(TimeInterleaved(reps, inner => Repeat(inner, body))[0]);

    /// <summary>
    /// Seconds per call of each body, per repetition (in repetition order), measured as described on the class with
    /// the bodies taking turns, one repetition each: noise that comes and goes on this machine then falls on all of
    /// them alike. A body runs <c>inner</c> calls.
    /// </summary>
    internal static double[][] TimeInterleaved(int reps, params Action<int>[] bodies)
    {
        var inners = new int[bodies.Length];
        for (int b = 0; b < bodies.Length; b++)
        {
            var sw = Stopwatch.StartNew();
            int calls = 0;
            while (calls < WarmupCalls || sw.Elapsed.TotalSeconds < WarmupSeconds)
            {
                bodies[b](1);
                calls++;
            }

            inners[b] = Math.Max(1, (int)Math.Ceiling(RepetitionSeconds / (sw.Elapsed.TotalSeconds / calls)));
        }

        var samples = new double[bodies.Length][];
        for (int b = 0; b < bodies.Length; b++)
        {
            samples[b] = new double[reps];
        }

        for (int r = 0; r < reps; r++)
        {
            for (int b = 0; b < bodies.Length; b++)
            {
                long t0 = Stopwatch.GetTimestamp();
                bodies[b](inners[b]);
                samples[b][r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / inners[b];
            }
        }

        return samples;
    }

    internal static void Repeat(int count, Action body)
    {
        for (int i = 0; i < count; i++)
        {
            body();
        }
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>OpenBLAS's <c>cblas_sgemm</c>, loaded into this process (one thread: <c>compare.sh</c> sets
    /// <c>OPENBLAS_NUM_THREADS=1</c>, and <c>openblas_set_num_threads(1)</c> is called where the library exports it).</summary>
    private sealed unsafe class OpenBlas
    {
        private const int RowMajor = 101, NoTrans = 111, Trans = 112;
        private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;

        private OpenBlas(nint sgemm)
        {
            _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        }

        public static OpenBlas? Load(string? path)
        {
            if (path == null)
            {
                return null;
            }

            nint handle = NativeLibrary.Load(path);
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
            {
                ((delegate* unmanaged<int, void>)setThreads)(1);
            }

            return new OpenBlas(NativeLibrary.GetExport(handle, "cblas_sgemm")); // never freed: OpenBLAS keeps threads
        }

        /// <summary>C[m,n] = A[m,k]·B[n,k]ᵀ, row-major: the layout of <c>Gemm.MatMulNT</c>.</summary>
        public void MatMulNT(float[] a, float[] b, float[] c, int m, int n, int k)
        {
            fixed (float* pa = a, pb = b, pc = c)
            {
                _sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
            }
        }
    }

    /// <summary>A dedicated thread that runs a body a given number of times when started, for two independent products
    /// at once. (Not the thread pool: its threads come and go, and may share a core with the caller.)</summary>
    private sealed class Partner : IDisposable
    {
        private readonly Action _body;
        private readonly Thread _thread;
        private readonly SemaphoreSlim _go = new(0), _done = new(0);
        private int _count;
        private bool _stop;

        public Partner(Action body)
        {
            _body = body;
            _thread = new Thread(Loop) { IsBackground = true, Name = "compare partner" };
            _thread.Start();
        }

        public void Start(int count)
        {
            _count = count;
            _go.Release();
        }

        public void Wait() => _done.Wait();

        public void Dispose()
        {
            _stop = true;
            _go.Release();
            _thread.Join();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                if (_stop)
                {
                    return;
                }

                Repeat(_count, _body);
                _done.Release();
            }
        }
    }

    /// <summary>
    /// Single-core FMA throughput: <see cref="Chains"/> independent chains of fused multiply-adds in registers of the
    /// widest hardware-accelerated width (2 FLOPs per lane per FMA). Enough chains to cover FMA latency × FMA ports
    /// of current x64 cores (4 cycles × 2 ports = 8), few enough to stay in the 16 AVX2 registers.
    /// </summary>
    private static JsonObject FmaPeak(int reps)
    {
        const int iterations = 1 << 20;
        string isa;
        int lanes;
        Func<int, float> probe;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            (isa, lanes, probe) = ("Vector512 FMA (AVX-512F)", Vector512<float>.Count, FmaChains512);
        }
        else if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
        {
            (isa, lanes, probe) = ("Vector256 FMA (AVX2+FMA3)", Vector256<float>.Count, FmaChains256);
        }
        else
        {
            return new JsonObject { ["isa"] = "none (no hardware FMA vectors)", ["gflops"] = 0.0 };
        }

        float sink = 0;
        double s = Time(() => sink += probe(iterations), reps);
        double flops = 2.0 * lanes * Chains * iterations;

        // The same probe on every core at once: what the cores deliver together right now. On a VM whose vCPUs share
        // physical cores with other guests this can be far below cores × the one-core figure, and it bounds any
        // two-core kernel measured in the same run.
        int cores = Math.Min(Environment.ProcessorCount, 2);
        float[] sinks = new float[cores];
        double both = Time(() => Parallel.For(0, cores, c => sinks[c] += probe(iterations)), reps);
        return new JsonObject
        {
            ["isa"] = isa,
            ["gflops"] = Math.Round(flops / s / 1e9, 2),
            ["gflops_all_cores"] = Math.Round(cores * flops / both / 1e9, 2),
            ["cores_probed"] = cores,
            ["flops_per_cycle_note"] = "GFLOP/s / clock GHz = FLOPs per cycle (e.g. 32 for 2 FMA ports × 8 lanes × 2)",
            ["chains"] = Chains,
            ["sink"] = sink + sinks.Sum(),
        };
    }

    private const int Chains = 12;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaChains256(int iterations)
    {
        Vector256<float> m = Vector256.Create(0.9999999f), a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(0.1f), c1 = Vector256.Create(0.2f), c2 = Vector256.Create(0.3f);
        Vector256<float> c3 = Vector256.Create(0.4f), c4 = Vector256.Create(0.5f), c5 = Vector256.Create(0.6f);
        Vector256<float> c6 = Vector256.Create(0.7f), c7 = Vector256.Create(0.8f), c8 = Vector256.Create(0.9f);
        Vector256<float> c9 = Vector256.Create(1.0f), c10 = Vector256.Create(1.1f), c11 = Vector256.Create(1.2f);
        for (int i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a);
            c1 = Fma.MultiplyAdd(c1, m, a);
            c2 = Fma.MultiplyAdd(c2, m, a);
            c3 = Fma.MultiplyAdd(c3, m, a);
            c4 = Fma.MultiplyAdd(c4, m, a);
            c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a);
            c7 = Fma.MultiplyAdd(c7, m, a);
            c8 = Fma.MultiplyAdd(c8, m, a);
            c9 = Fma.MultiplyAdd(c9, m, a);
            c10 = Fma.MultiplyAdd(c10, m, a);
            c11 = Fma.MultiplyAdd(c11, m, a);
        }

        Vector256<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector256.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaChains512(int iterations)
    {
        Vector512<float> m = Vector512.Create(0.9999999f), a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(0.1f), c1 = Vector512.Create(0.2f), c2 = Vector512.Create(0.3f);
        Vector512<float> c3 = Vector512.Create(0.4f), c4 = Vector512.Create(0.5f), c5 = Vector512.Create(0.6f);
        Vector512<float> c6 = Vector512.Create(0.7f), c7 = Vector512.Create(0.8f), c8 = Vector512.Create(0.9f);
        Vector512<float> c9 = Vector512.Create(1.0f), c10 = Vector512.Create(1.1f), c11 = Vector512.Create(1.2f);
        for (int i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a);
            c1 = Avx512F.FusedMultiplyAdd(c1, m, a);
            c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
            c3 = Avx512F.FusedMultiplyAdd(c3, m, a);
            c4 = Avx512F.FusedMultiplyAdd(c4, m, a);
            c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a);
            c7 = Avx512F.FusedMultiplyAdd(c7, m, a);
            c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
            c9 = Avx512F.FusedMultiplyAdd(c9, m, a);
            c10 = Avx512F.FusedMultiplyAdd(c10, m, a);
            c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }

        Vector512<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector512.Sum(sum);
    }

    private static JsonObject Machine()
    {
        string model = "unknown", family = "?", modelNumber = "?";
        var flags = new HashSet<string>();
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && model == "unknown")
                {
                    model = line[(line.IndexOf(':') + 1)..].Trim();
                }
                else if (line.StartsWith("cpu family", StringComparison.Ordinal) && family == "?")
                {
                    family = line[(line.IndexOf(':') + 1)..].Trim();
                }
                else if (line.StartsWith("model\t", StringComparison.Ordinal) && modelNumber == "?")
                {
                    modelNumber = line[(line.IndexOf(':') + 1)..].Trim();
                }
                else if (line.StartsWith("flags", StringComparison.Ordinal) && flags.Count == 0)
                {
                    flags.UnionWith(line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }
            }
        }

        return new JsonObject
        {
            ["cpu_model"] = model,
            ["cpu_family"] = family,
            ["cpu_model_number"] = modelNumber,
            ["cpuinfo_avx2"] = flags.Contains("avx2"),
            ["cpuinfo_fma"] = flags.Contains("fma"),
            ["cpuinfo_avx512f"] = flags.Contains("avx512f"),
            ["logical_cpus"] = Environment.ProcessorCount,
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["jit_vector512_accelerated"] = Vector512.IsHardwareAccelerated,
            ["jit_vector256_accelerated"] = Vector256.IsHardwareAccelerated,
            ["jit_avx512f"] = Avx512F.IsSupported,
            ["jit_avx2"] = Avx2.IsSupported,
            ["jit_fma"] = Fma.IsSupported,
            ["threads_used"] = $"1 for gemm_* (Packed), {Environment.ProcessorCount} for gemm_*_2t and for the layers the generator planned as PackedParallel",
        };
    }
}
