using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NetGen;
using NetGen.Cuda;

namespace NetGen.CudaCheck;

/// <summary>
/// The CUDA benchmark (issue 17, "With a GPU"): <c>NetGen.CudaCheck --bench OUT.json [--reps N] [--quick]</c>. Times the
/// generated networks on Backend.Cuda, CUDA graphs on as shipped (and, as a second configuration, launch by launch):
/// the MLP 784-256-128-10 training step at batch 64 and 4096, the small CNN's training step at batch 64, and batch-1
/// <c>Predict</c> latency of both. bench/peers/pytorch_cuda_peer.py times the same networks in PyTorch and
/// bench/cuda_compare.py merges the two files (docs/adr/0051-the-cuda-benchmark.md).
/// </summary>
/// <remarks>
/// Timing (the same on both sides): warm-up (≥ 50 calls and ≥ 0.5 s; the first call, which captures the graphs, is
/// reported on its own), then <c>reps</c> repetitions of back-to-back calls, each ≥ 20 ms and closed by a device-wide
/// synchronisation (<c>cuCtxSynchronize</c>), timed by the host's monotonic clock: per call the repetition's time over its
/// calls; median, mean and minimum over the repetitions. Host time, not CUDA events: the goals are about what a training
/// loop waits for, launch overhead included, and a NetGen step is synchronous anyway (it returns the loss).
/// </remarks>
internal static class Bench
{
    private sealed record Settings(int Reps, int WarmupCalls, double WarmupSeconds, double RepetitionSeconds, bool Quick);

    private sealed record Stats(double MedianUs, double MeanUs, double MinUs, double FirstCallUs, int Reps, int Inner);

    /// <summary>Runs the benchmark; returns the exit status (0: written, or skipped without a GPU; 1: a failure).</summary>
    /// <param name="args">The command line (after the driver override of Program.cs).</param>
    public static int Run(string[] args)
    {
        string output = "netgen-cuda.json";
        int? reps = null;
        var settings = new Settings(Reps: 31, WarmupCalls: 50, WarmupSeconds: 0.5, RepetitionSeconds: 0.02, Quick: false);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--bench" when i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal):
                    output = args[++i];
                    break;
                case "--bench":
                    break;
                case "--reps" when i + 1 < args.Length:
                    reps = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--quick": // the emulated rehearsal: every row once, a few calls each
                    settings = settings with { Reps = 3, WarmupCalls = 1, WarmupSeconds = 0, RepetitionSeconds = 0, Quick = true };
                    break;
                default:
                    Console.Error.WriteLine($"--bench: unknown argument '{args[i]}' (usage: --bench OUT.json [--reps N] [--quick])");
                    return 2;
            }
        }

        settings = settings with { Reps = Math.Max(1, reps ?? settings.Reps) };

        if (!CudaDevice.IsAvailable)
        {
            string reason = CudaDevice.UnavailableReason ?? "?";
            Console.WriteLine("SKIPPED: " + reason);
            Write(output, w =>
            {
                w.WriteString("skipped", reason);
                w.WriteStartArray("results");
                w.WriteEndArray();
            });
            return 0;
        }

        using CudaDevice device = CudaDevice.Open();
        CudaDriver.ThrowIfFailed(CudaDriver.cuDriverGetVersion(out int driverApi), "cuDriverGetVersion");
        bool emulated = Environment.GetEnvironmentVariable("NETGEN_CUDA_DRIVER") is { Length: > 0 };
        Console.WriteLine($"bench: {device.Name}, compute capability {device.ComputeCapability.Major}.{device.ComputeCapability.Minor}, driver API {driverApi / 1000}.{driverApi % 1000 / 10}{(emulated ? " (emulated driver)" : "")}, {settings.Reps} repetitions");

        var rows = new List<Action<Utf8JsonWriter>>();
        int failures = 0;
        void Row(string workload, string what, string unit, int batch, Func<bool, (Action Call, IDisposable Net)> setup)
        {
            var configs = new List<(string Name, Stats Stats)>();
            foreach (bool graphs in new[] { true, false })
            {
                try
                {
                    (Action call, IDisposable net) = setup(graphs);
                    using (net)
                    {
                        configs.Add((graphs ? "cuda_graphs" : "launch_by_launch", Time(device, call, settings)));
                    }
                }
                catch (Exception e)
                {
                    Console.WriteLine($"FAIL bench {workload} ({(graphs ? "CUDA graphs" : "launch by launch")}): {e.GetType().Name}: {e.Message}");
                    failures++;
                }
            }

            foreach ((string name, Stats s) in configs)
            {
                Console.WriteLine($"  {workload,-18} {name,-17} median {s.MedianUs,10:F1} µs  mean {s.MeanUs,10:F1}  min {s.MinUs,10:F1}  first call {s.FirstCallUs / 1000,8:F1} ms  {batch / (s.MedianUs * 1e-6),12:F0} rows/s  ({s.Reps}×{s.Inner})");
            }

            if (configs.Count == 0)
            {
                return;
            }

            Stats shipped = configs[0].Stats;
            rows.Add(w =>
            {
                w.WriteStartObject();
                w.WriteString("workload", workload);
                w.WriteString("what", what);
                w.WriteString("unit", unit);
                w.WriteNumber("batch", batch);
                w.WriteString("config", configs[0].Name);
                WriteStats(w, shipped, batch);
                w.WriteNumber("value", unit == "us" ? Round(shipped.MedianUs) : Round(batch / (shipped.MedianUs * 1e-6)));
                w.WriteStartObject("configs");
                foreach ((string name, Stats s) in configs)
                {
                    w.WriteStartObject(name);
                    WriteStats(w, s, batch);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        int large = settings.Quick ? 256 : 4096; // under emulation a 4096-row step takes minutes: the rehearsal runs 256 rows
        Row("mlp_train_b64", "MLP 784-256-128-10 ReLU, softmax cross-entropy, Adam lr 1e-3: TrainStep (inputs and labels copied from the host, loss back)", "samples/s", 64,
            g => Train(new CudaBenchMlp(1, Backend.Cuda) { CudaGraphs = g }, 64));
        Row("mlp_train_b4096", "the same MLP at batch 4096", "samples/s", large,
            g => Train(new CudaBenchMlp4096(1, Backend.Cuda) { CudaGraphs = g }, large));
        Row("cnn_train_b64", "CNN conv3x3(8)-ReLU-maxpool2-conv3x3(16)-ReLU-maxpool2(pad 1)-Dense(10), SGD momentum 0.9 lr 0.01: TrainStep", "samples/s", 64,
            g => Train(new CudaBenchCnn(1, Backend.Cuda) { CudaGraphs = g }, 64));
        Row("mlp_latency_b1", "the MLP's Predict of one row (input from the host, 10 scores back)", "us", 1,
            g => Predict(new CudaBenchMlp(1, Backend.Cuda) { CudaGraphs = g }));
        Row("cnn_latency_b1", "the CNN's Predict of one image (input from the host, 10 scores back)", "us", 1,
            g => Predict(new CudaBenchCnn(1, Backend.Cuda) { CudaGraphs = g }));

        string? module = null;
        try
        {
            module = File.ReadAllText("/proc/driver/nvidia/version").Split('\n')[0].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        Write(output, w =>
        {
            w.WriteString("side", "netgen");
            w.WriteString("device", device.Name);
            w.WriteString("compute_capability", $"{device.ComputeCapability.Major}.{device.ComputeCapability.Minor}");
            w.WriteNumber("memory_mib", device.TotalMemory >> 20);
            w.WriteString("driver_api_version", $"{driverApi / 1000}.{driverApi % 1000 / 10}");
            if (module is null)
            {
                w.WriteNull("driver_module");
            }
            else
            {
                w.WriteString("driver_module", module);
            }

            w.WriteBoolean("emulated_driver", emulated);
            w.WriteBoolean("quick", settings.Quick);
            w.WriteString("ptx_sha256", Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(CudaModule.EmbeddedPtxText()))));
            w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
            w.WriteString("os", RuntimeInformation.OSDescription);
            w.WriteString("date_utc", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteString("method", $"per call: median, mean and min over {settings.Reps} repetitions of back-to-back calls (each >= {settings.RepetitionSeconds * 1e3:g} ms, closed by cuCtxSynchronize, host monotonic clock), after >= {settings.WarmupCalls} calls and {settings.WarmupSeconds:g} s of warm-up; config cuda_graphs is the shipped default");
            w.WriteStartArray("results");
            foreach (Action<Utf8JsonWriter> row in rows)
            {
                row(w);
            }

            w.WriteEndArray();
        });
        Console.WriteLine($"bench: wrote {output}{(failures == 0 ? "" : $", {failures} FAILED")}");
        return failures == 0 ? 0 : 1;
    }

    private static (Action Call, IDisposable Net) Train<T>(T net, int rows)
        where T : INeuralNetwork<int>, IDisposable
    {
        float[] x = Inputs(rows * net.InputSize, 1);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = i % net.OutputSize;
        }

        return (() =>
        {
            float loss = net.TrainStep(x, labels);
            if (!float.IsFinite(loss))
            {
                throw new InvalidOperationException($"{net.Name}: non-finite loss {loss}");
            }
        }, net);
    }

    private static (Action Call, IDisposable Net) Predict<T>(T net)
        where T : INeuralNetwork<int>, IDisposable
    {
        float[] x = Inputs(net.InputSize, 2), y = new float[net.OutputSize];
        return (() => net.Predict(x, y), net);
    }

    /// <summary>Uniform [0, 1) inputs, like scaled MNIST pixels.</summary>
    private static float[] Inputs(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.NextSingle();
        }

        return values;
    }

    private static Stats Time(CudaDevice device, Action call, Settings s)
    {
        device.Synchronize();
        long start = Stopwatch.GetTimestamp();
        call(); // captures the graphs on the first call
        device.Synchronize();
        double first = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int calls = 1;
        start = Stopwatch.GetTimestamp();
        while (calls < s.WarmupCalls || Stopwatch.GetElapsedTime(start).TotalSeconds < s.WarmupSeconds)
        {
            call();
            calls++;
        }

        device.Synchronize();
        double perCall = Stopwatch.GetElapsedTime(start).TotalSeconds / Math.Max(1, calls - 1);
        int inner = Math.Max(1, (int)Math.Ceiling(s.RepetitionSeconds / Math.Max(perCall, 1e-7)));
        var samples = new double[s.Reps];
        for (int r = 0; r < s.Reps; r++)
        {
            device.Synchronize();
            long t = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++)
            {
                call();
            }

            device.Synchronize();
            samples[r] = Stopwatch.GetElapsedTime(t).TotalSeconds / inner * 1e6;
        }

        Array.Sort(samples);
        double median = samples.Length % 2 == 1 ? samples[samples.Length / 2] : (samples[(samples.Length / 2) - 1] + samples[samples.Length / 2]) / 2;
        return new Stats(median, samples.Average(), samples[0], first * 1e6, s.Reps, inner);
    }

    private static void WriteStats(Utf8JsonWriter w, Stats s, int batch)
    {
        w.WriteNumber("median_us", Round(s.MedianUs));
        w.WriteNumber("mean_us", Round(s.MeanUs));
        w.WriteNumber("min_us", Round(s.MinUs));
        w.WriteNumber("rows_per_s", Round(batch / (s.MedianUs * 1e-6)));
        w.WriteNumber("first_call_us", Round(s.FirstCallUs));
        w.WriteNumber("reps", s.Reps);
        w.WriteNumber("inner", s.Inner);
    }

    private static double Round(double v) => Math.Round(v, 3);

    private static void Write(string path, Action<Utf8JsonWriter> body)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is string directory)
        {
            Directory.CreateDirectory(directory);
        }

        using FileStream file = File.Create(path);
        using var w = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        body(w);
        w.WriteEndObject();
    }
}
