// The CUDA parity check: each kernel on the GPU against the C# CPU kernels on the same random data, one PASS/FAIL line
// per check, exit 1 on any FAIL; without a GPU one "SKIPPED: reason" line and exit 0. Run by tests/gpu/run-gpu-checks.sh.
using System.Diagnostics;
using NetGen;
using NetGen.Cuda;
using NetGen.Kernels;

// NETGEN_CUDA_DRIVER=path: the driver library to use instead of libcuda.so.1 (the emulated driver of tests/cuda-host,
// to rehearse this check without a GPU: tests/gpu/run-gpu-checks.sh --emulated).
using IDisposable? driver = Environment.GetEnvironmentVariable("NETGEN_CUDA_DRIVER") is { Length: > 0 } library ? CudaDriver.Use(library) : null;
if (!CudaDevice.IsAvailable)
{
    Console.WriteLine("SKIPPED: " + CudaDevice.UnavailableReason);
    return 0;
}

var clock = Stopwatch.StartNew();
using CudaDevice device = CudaDevice.Open();
Console.WriteLine($"device: {device.Name}, compute capability {device.ComputeCapability.Major}.{device.ComputeCapability.Minor}, {device.TotalMemory >> 20} MiB");
using var k = new CudaKernels(device);
Console.WriteLine($"kernels loaded (PTX JIT) in {clock.ElapsedMilliseconds} ms");
int failures = 0;

void Check(string name, float[] gpu, float[] cpu, double tolerance, double scale = 1e-2)
{
    double worst = 0;
    int at = -1;
    bool ok = gpu.Length == cpu.Length;
    for (int i = 0; ok && i < cpu.Length; i++)
    {
        double error = Math.Abs(gpu[i] - cpu[i]) / Math.Max(Math.Abs(cpu[i]), scale);
        if (!(error <= worst))
        {
            worst = error;
            at = i;
        }
    }
    ok &= worst <= tolerance;
    Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}: {cpu.Length} values, worst relative error {worst:E2}" + (ok || at < 0 ? "" : $" at [{at}]: GPU {gpu[at]:R}, CPU {cpu[at]:R}"));
    failures += ok ? 0 : 1;
}

void CheckValue(string name, double gpu, double cpu, double tolerance)
{
    double error = Math.Abs(gpu - cpu) / Math.Max(Math.Abs(cpu), 1e-2);
    bool ok = error <= tolerance;
    Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}: GPU {gpu:R}, CPU {cpu:R}, relative error {error:E2}");
    failures += ok ? 0 : 1;
}

float[] Random(ulong stream, int n, float scale)
{
    ulong key = CounterRng.Key(2024, stream, 0, 0);
    var v = new float[n];
    for (int i = 0; i < n; i++)
    {
        v[i] = ((CounterRng.Uniform(key, (ulong)i) * 2f) - 1f) * scale;
    }
    return v;
}

DeviceBuffer<float> Up(float[] values) => device.Upload<float>(values);

// ------------------------------------------------------------------ RNG and dropout: bit for bit
{
    const int n = 1 << 20;
    ulong key = CounterRng.Key(7, CounterRng.DropoutStream, 3, 11);
    using DeviceBuffer<float> u = device.Allocate<float>(n);
    k.Uniform(u, key);
    var cpu = new float[n];
    for (int i = 0; i < n; i++)
    {
        cpu[i] = CounterRng.Uniform(key, (ulong)i);
    }
    Check("rng uniform (bit for bit)", u.ToArray(), cpu, 0);

    float[] x = Random(1, n, 3);
    float[] y = new float[n], mask = new float[n];
    Dropout.Forward<float>(x, y, mask, 0.25, key);
    using DeviceBuffer<float> gx = Up(x), gy = device.Allocate<float>(n), gm = device.Allocate<float>(n);
    k.DropoutForward(gx, gy, gm, 0.25, key);
    Check("dropout mask (bit for bit)", gm.ToArray(), mask, 0);
    Check("dropout output (bit for bit)", gy.ToArray(), y, 0);
}

// ------------------------------------------------------------------ activations
{
    const int n = 100_003;
    float[] x = Random(2, n, 4), dy = Random(3, n, 1);
    using DeviceBuffer<float> gx = Up(x), gdy = Up(dy), gy = device.Allocate<float>(n), gdx = device.Allocate<float>(n);
    foreach ((CudaActivation act, float alpha) in new[] { (CudaActivation.ReLU, 0f), (CudaActivation.LeakyReLU, 0.01f), (CudaActivation.Sigmoid, 0f), (CudaActivation.Tanh, 0f), (CudaActivation.Elu, 1f) })
    {
        float[] y = new float[n], dx = new float[n];
        switch (act)
        {
            case CudaActivation.ReLU: Activations.ReLUForward<float>(x, y); Activations.ReLUBackward<float>(dy, y, dx); break;
            case CudaActivation.LeakyReLU: Activations.LeakyReLUForward<float>(x, y, alpha); Activations.LeakyReLUBackward<float>(dy, x, dx, alpha); break;
            case CudaActivation.Sigmoid: Activations.SigmoidForward<float>(x, y); Activations.SigmoidBackward<float>(dy, y, dx); break;
            case CudaActivation.Tanh: Activations.TanhForward<float>(x, y); Activations.TanhBackward<float>(dy, y, dx); break;
            default: Activations.EluForward<float>(x, y, alpha); Activations.EluBackward<float>(dy, x, y, dx, alpha); break;
        }
        k.ActivationForward(act, gx, gy, alpha);
        Check($"{act} forward", gy.ToArray(), y, 1e-5);
        k.ActivationBackward(act, gdy, gx, gy, gdx, alpha);
        Check($"{act} backward", gdx.ToArray(), dx, 1e-5, 1);
    }

    float[] py = new float[n], pdx = new float[n];
    Activations.PReLUForward<float>(x, py, 0.2f);
    float da = Activations.PReLUBackward<float>(dy, x, pdx, 0.2f);
    using DeviceBuffer<float> ga = Up([0.2f]), gda = Up([0f]);
    k.PReLUForward(gx, gy, ga);
    Check("PReLU forward", gy.ToArray(), py, 1e-5);
    k.PReLUBackward(gdy, gx, gdx, ga, gda);
    Check("PReLU backward dx", gdx.ToArray(), pdx, 1e-5, 1);
    CheckValue("PReLU backward da", gda.ToArray()[0], da, 1e-4);
}

// ------------------------------------------------------------------ Dense (tiled GEMM + epilogue, backward, bias sums)
foreach ((int B, int I, int O) in new[] { (64, 784, 256), (37, 53, 19), (1, 128, 10), (4096, 256, 128) })
{
    float[] x = Random(4, B * I, 1), w = Random(5, O * I, 0.1f), b = Random(6, O, 0.1f), dy = Random(7, B * O, 1);
    float[] y = new float[B * O], dx = new float[B * I], dw = new float[O * I], db = new float[O];
    Dense.Forward<float>(x, w, b, y, B, I, O, fuseReLU: true);
    Dense.Backward<float>(dy, x, w, dx, dw, db, B, I, O, accumulate: false);
    using DeviceBuffer<float> gx = Up(x), gw = Up(w), gb = Up(b), gdy = Up(dy);
    using DeviceBuffer<float> gy = device.Allocate<float>(B * O), gdx = device.Allocate<float>(B * I), gdw = device.Allocate<float>(O * I), gdb = device.Allocate<float>(O);
    k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O, 0, gb, CudaActivation.ReLU);
    k.Sgemm(false, false, B, I, O, gdy, O, gw, I, gdx, I);
    k.Sgemm(true, false, O, I, B, gdy, O, gx, I, gdw, I);
    k.ColumnSums(gdy, gdb, B, O, accumulate: false);
    string shape = $"{B}x{I}->{O}";
    Check($"Dense {shape} forward (GEMM + bias + ReLU)", gy.ToArray(), y, 1e-4, 1);
    Check($"Dense {shape} dx = dy·W", gdx.ToArray(), dx, 1e-4, 1);
    Check($"Dense {shape} dW = dyᵀ·x", gdw.ToArray(), dw, 1e-4, 1);
    Check($"Dense {shape} db = column sums", gdb.ToArray(), db, 1e-4, 1);
}

// ------------------------------------------------------------------ losses
{
    const int B = 4096, C = 10;
    float[] logits = Random(8, B * C, 5), d = new float[B * C];
    ulong key = CounterRng.Key(2024, 9, 0, 0);
    int[] labels = Enumerable.Range(0, B).Select(i => (int)(CounterRng.Bits(key, (ulong)i) % C)).ToArray();
    double loss = Losses.SoftmaxCrossEntropy<float>(logits, labels, d, B, C);
    using DeviceBuffer<float> gl = Up(logits), gd = device.Allocate<float>(B * C);
    using DeviceBuffer<int> gy = device.Upload<int>(labels);
    using DeviceBuffer<double> rows = device.Allocate<double>(B), total = device.Allocate<double>(1);
    k.SoftmaxCrossEntropy(gl, gy, gd, rows, B, C);
    k.Sum(rows, B, total);
    CheckValue("softmax cross-entropy loss", total.ToArray()[0], loss, 1e-5);
    Check("softmax cross-entropy gradient", gd.ToArray(), d, 1e-5, 1.0 / B);

    const int n = 64 * 10;
    float[] p = Random(10, n, 1), t = Random(11, n, 1), dp = new float[n];
    double mse = Losses.MeanSquaredError<float>(p, t, dp, 1, n);
    using DeviceBuffer<float> gp = Up(p), gt = Up(t), gdp = device.Allocate<float>(n);
    using DeviceBuffer<double> sq = device.Allocate<double>(n);
    k.MeanSquaredError(gp, gt, gdp, sq);
    k.Sum(sq, n, total);
    CheckValue("MSE loss", total.ToArray()[0] / n, mse, 1e-5);
    Check("MSE gradient", gdp.ToArray(), dp, 1e-5);
}

// ------------------------------------------------------------------ optimizers: 10 steps each
{
    const int n = 50_000;
    string[] names = ["SGD", "Momentum", "Nesterov", "Adam", "AdaGrad", "RMSProp"];
    for (int o = 0; o < names.Length; o++)
    {
        float[] p = Random(12, n, 1), s1 = new float[n], s2 = new float[n];
        using DeviceBuffer<float> gp = Up(p), gs1 = device.Allocate<float>(n), gs2 = device.Allocate<float>(n), gg = device.Allocate<float>(n);
        gs1.Clear();
        gs2.Clear();
        for (int t = 1; t <= 10; t++)
        {
            float[] g = Random((ulong)(20 + t), n, 1);
            gg.CopyFrom(g);
            switch (o)
            {
                case 0: Optimizers.Sgd<float>(p, g, 0.01f); k.Sgd(gp, gg, 0.01f); break;
                case 1: Optimizers.Momentum<float>(p, g, s1, 0.01f, 0.9f); k.Momentum(gp, gg, gs1, 0.01f, 0.9f, false); break;
                case 2: Optimizers.Nesterov<float>(p, g, s1, 0.01f, 0.9f); k.Momentum(gp, gg, gs1, 0.01f, 0.9f, true); break;
                case 3: Optimizers.Adam<float>(p, g, s1, s2, 1e-3f, 0.9f, 0.999f, 1e-8f, t); k.Adam(gp, gg, gs1, gs2, 1e-3f, 0.9f, 0.999f, 1e-8f, t); break;
                case 4: Optimizers.AdaGrad<float>(p, g, s1, 0.01f, 1e-10f); k.AdaGrad(gp, gg, gs1, 0.01f, 1e-10f); break;
                default: Optimizers.RmsProp<float>(p, g, s1, 0.01f, 0.99f, 1e-8f); k.RmsProp(gp, gg, gs1, 0.01f, 0.99f, 1e-8f); break;
            }
        }
        Check($"{names[o]} 10 steps", gp.ToArray(), p, 1e-5);
    }
}

// ------------------------------------------------------------------ determinism: the same launches give the same bits
{
    const int B = 256, I = 784, O = 256;
    float[] x = Random(30, B * I, 1), w = Random(31, O * I, 0.1f);
    using DeviceBuffer<float> gx = Up(x), gw = Up(w), gy = device.Allocate<float>(B * O);
    k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O);
    float[] first = gy.ToArray();
    k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O);
    Check("GEMM run twice (bit for bit)", gy.ToArray(), first, 0);

    using CudaStream stream = device.CreateStream();
    using CudaEvent start = device.CreateEvent(), stop = device.CreateEvent();
    k.Stream = stream;
    start.Record(stream);
    int launches = driver is null ? 100 : 2; // the emulated driver runs a launch in about a second
    for (int i = 0; i < launches; i++)
    {
        k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O);
    }
    stop.Record(stream);
    stop.Synchronize();
    float ms = stop.MillisecondsSince(start) / launches;
    Console.WriteLine($"INFO GEMM {B}x{I}x{O} on a stream: {ms:F3} ms per launch, {2.0 * B * I * O / (ms * 1e6):F0} GFLOP/s");
    k.Stream = null;
}

// ------------------------------------------------------------------ CUDA graph: a captured SGD step replays bit for bit
{
    const int B = 64, I = 784, O = 256;
    float[] x = Random(40, B * I, 1), w = Random(41, O * I, 0.1f), b = Random(42, O, 0.1f);
    using DeviceBuffer<float> gx = Up(x), gw = Up(w), gb = Up(b);
    using DeviceBuffer<float> gy = device.Allocate<float>(B * O), gdw = device.Allocate<float>(O * I), gdb = device.Allocate<float>(O);
    using CudaStream stream = device.CreateStream();
    k.Stream = stream;
    void Step()
    {
        k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O, 0, gb, CudaActivation.ReLU);
        k.Sgemm(true, false, O, I, B, gy, O, gx, I, gdw, I);
        k.ColumnSums(gy, gdb, B, O, accumulate: false);
        k.Sgd(gw, gdw, 1e-4f);
        k.Sgd(gb, gdb, 1e-4f);
    }
    Step();
    Step();
    stream.Synchronize();
    float[] expected = gw.ToArray();
    gw.CopyFrom(w);
    gb.CopyFrom(b);
    using CudaGraph graph = CudaGraph.Capture(stream, Step);
    graph.Launch(stream);
    graph.Launch(stream);
    stream.Synchronize();
    Check("CUDA graph: 2 captured SGD steps = 2 launched (bit for bit)", gw.ToArray(), expected, 0);

    using CudaEvent start = device.CreateEvent(), stop = device.CreateEvent();
    int steps = driver is null ? 200 : 2;
    start.Record(stream);
    for (int i = 0; i < steps; i++)
    {
        Step();
    }
    stop.Record(stream);
    stop.Synchronize();
    float launched = stop.MillisecondsSince(start) / steps;
    start.Record(stream);
    for (int i = 0; i < steps; i++)
    {
        graph.Launch(stream);
    }
    stop.Record(stream);
    stop.Synchronize();
    float replayed = stop.MillisecondsSince(start) / steps;
    Console.WriteLine($"INFO Dense {B}x{I}->{O} SGD step (5 kernels): {launched:F3} ms launched one by one, {replayed:F3} ms as one graph launch");
    k.Stream = null;
}

Console.WriteLine($"{(failures == 0 ? "ALL PASS" : $"{failures} FAILED")} in {clock.Elapsed.TotalSeconds:F1} s");
return failures == 0 ? 0 : 1;
