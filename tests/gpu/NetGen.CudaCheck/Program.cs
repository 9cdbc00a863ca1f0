// The CUDA parity check: each kernel on the GPU against the C# CPU kernels on the same random data, one PASS/FAIL line
// per check, exit 1 on any FAIL; without a GPU one "SKIPPED: reason" line and exit 0. Run by tests/gpu/run-gpu-checks.sh.
using System.Diagnostics;
using NetGen;
using NetGen.CudaCheck;
using NetGen.Cuda;
using NetGen.Kernels;

// NETGEN_CUDA_DRIVER=path: the driver library to use instead of libcuda.so.1 (the emulated driver of tests/cuda-host,
// to rehearse this check without a GPU: tests/gpu/run-gpu-checks.sh --emulated).
using IDisposable? driver = Environment.GetEnvironmentVariable("NETGEN_CUDA_DRIVER") is { Length: > 0 } library ? CudaDriver.Use(library) : null;
if (args.Length > 0 && args[0] == "--bench")
{
    return Bench.Run(args); // the CUDA benchmark (Bench.cs): timings, not checks
}
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

// ------------------------------------------------------------------ convolution (implicit GEMM), pooling, normalisation
foreach ((string name, int B, Conv2DGeneralGeometry g) in new[]
{
    ("LeNet conv1 1->6 5x5 pad 2", 64, new Conv2DGeneralGeometry(1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1)),
    ("LeNet conv2 6->16 5x5", 64, new Conv2DGeneralGeometry(6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1)),
    ("3x3 stride 2 pad 1, 32->64", 16, new Conv2DGeneralGeometry(32, 17, 15, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1)),
    ("grouped dilated 8->12 groups 4 dilation 2", 8, new Conv2DGeneralGeometry(8, 13, 11, 12, 3, 3, 1, 1, 2, 2, 2, 2, 4)),
})
{
    float[] x = Random(40, B * g.InputLength, 1), w = Random(41, g.WeightLength, 0.2f), b = Random(42, g.OutChannels, 0.1f);
    float[] dy = Random(43, B * g.OutputLength, 1);
    float[] y = new float[dy.Length], dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
    Conv2DGeneral.Forward<float>(x, w, b, y, B, g, fuseReLU: true);
    Conv2DGeneral.Backward<float>(dy, x, w, dx, dw, db, B, g);
    using DeviceBuffer<float> gx = Up(x), gw = Up(w), gb = Up(b), gdy = Up(dy);
    using DeviceBuffer<float> gy = device.Allocate<float>(y.Length), gdx = device.Allocate<float>(x.Length), gdw = device.Allocate<float>(w.Length), gdb = device.Allocate<float>(db.Length);
    k.Conv2DForward(gx, gw, gb, gy, B, g, CudaActivation.ReLU);
    k.Conv2DWeightGradient(gdy, gx, gdw, B, g);
    k.Conv2DInputGradient(gdy, gw, gdx, B, g);
    k.ChannelSums(gdy, gdb, B, g.OutChannels, g.OutHeight * g.OutWidth, accumulate: false);
    Check($"Conv2D {name} forward (+ bias + ReLU)", gy.ToArray(), y, 1e-4, 1);
    // dW sums B·OH·OW products per weight (50,176 for LeNet's conv1) in float, in another order than the CPU's GEMM: a weight
    // whose sum cancels to near 0 carries the round-off of the large partial sums, so the error is measured against the
    // tensor's largest magnitude (as CudaParityTests does), not against 1.
    Check($"Conv2D {name} dW", gdw.ToArray(), dw, 1e-4, dw.Max(MathF.Abs));
    Check($"Conv2D {name} dx", gdx.ToArray(), dx, 1e-4, 1);
    Check($"Conv2D {name} db", gdb.ToArray(), db, 1e-4, 1);
}

foreach ((string name, int B, Pool2DGeometry g) in new[]
{
    ("2x2 stride 2", 64, new Pool2DGeometry(16, 28, 28, 2, 2, 2, 2, 0, 0)),
    ("3x3 stride 2 pad 1", 16, new Pool2DGeometry(8, 15, 17, 3, 3, 2, 2, 1, 1)),
    ("global 7x7", 64, new Pool2DGeometry(32, 7, 7, 7, 7, 1, 1, 0, 0)),
})
{
    float[] x = Random(44, B * g.InputLength, 3).Select(MathF.Floor).ToArray(), dy = Random(45, B * g.OutputLength, 1);
    float[] y = new float[dy.Length], dx = new float[x.Length];
    int[] argmax = new int[dy.Length];
    using DeviceBuffer<float> gx = Up(x), gdy = Up(dy), gy = device.Allocate<float>(y.Length), gdx = device.Allocate<float>(x.Length);
    using DeviceBuffer<int> ga = device.Allocate<int>(argmax.Length);
    MaxPool2D.Forward<float>(x, y, argmax, B, g);
    MaxPool2D.Backward<float>(dy, argmax, dx, B, g);
    k.MaxPool2DForward(gx, gy, ga, B, g);
    Check($"MaxPool2D {name} forward (bit for bit)", gy.ToArray(), y, 0);
    Check($"MaxPool2D {name} argmax (bit for bit)", ga.ToArray().Select(i => (float)i).ToArray(), argmax.Select(i => (float)i).ToArray(), 0);
    k.MaxPool2DBackward(gdy, ga, gdx, B, g);
    Check($"MaxPool2D {name} backward (bit for bit)", gdx.ToArray(), dx, 0);
    AvgPool2D.Forward<float>(x, y, B, g);
    AvgPool2D.Backward<float>(dy, dx, B, g);
    k.AvgPool2DForward(gx, gy, B, g);
    Check($"AvgPool2D {name} forward (bit for bit)", gy.ToArray(), y, 0);
    k.AvgPool2DBackward(gdy, gdx, B, g);
    Check($"AvgPool2D {name} backward (bit for bit)", gdx.ToArray(), dx, 0);
}

foreach ((int B, int C, int S) in new[] { (64, 16, 14 * 14), (256, 100, 1) })
{
    int n = B * C * S;
    float[] x = Random(46, n, 2).Select(v => v + 1f).ToArray(), dy = Random(47, n, 1), gamma = Random(48, C, 1), beta = Random(49, C, 1);
    float[] rm = new float[C], rv = Enumerable.Repeat(1f, C).ToArray(), y = new float[n], mean = new float[C], inv = new float[C];
    float[] dx = new float[n], dg = new float[C], db = new float[C];
    using DeviceBuffer<float> gx = Up(x), gdy = Up(dy), gg = Up(gamma), gbeta = Up(beta), grm = Up(rm), grv = Up(rv);
    using DeviceBuffer<float> gy = device.Allocate<float>(n), gmean = device.Allocate<float>(C), ginv = device.Allocate<float>(C);
    using DeviceBuffer<float> gdx = device.Allocate<float>(n), gdg = device.Allocate<float>(C), gdb = device.Allocate<float>(C);
    BatchNorm.ForwardTraining<float>(x, gamma, beta, y, mean, inv, rm, rv, B, C, S, 0.1f, 1e-5f);
    BatchNorm.Backward<float>(dy, x, gamma, mean, inv, dx, dg, db, B, C, S);
    k.BatchNormForwardTraining(gx, gg, gbeta, gy, gmean, ginv, grm, grv, B, C, S, 0.1f, 1e-5f);
    k.BatchNormBackward(gdy, gx, gg, gmean, ginv, gdx, gdg, gdb, B, C, S);
    string shape = $"[{B}, {C}, {S}]";
    Check($"BatchNorm {shape} training forward", gy.ToArray(), y, 1e-5);
    Check($"BatchNorm {shape} running variance", grv.ToArray(), rv, 1e-5);
    Check($"BatchNorm {shape} dx", gdx.ToArray(), dx, 1e-5, 1);
    Check($"BatchNorm {shape} dgamma", gdg.ToArray(), dg, 1e-5, 1);
    BatchNorm.ForwardInference<float>(x, gamma, beta, rm, rv, y, B, C, S, 1e-5f);
    k.BatchNormForwardInference(gx, gg, gbeta, grm, grv, gy, B, C, S, 1e-5f);
    Check($"BatchNorm {shape} evaluation", gy.ToArray(), y, 1e-5);
}

{
    const int B = 64, F = 300;
    float[] x = Random(50, B * F, 2), dy = Random(51, B * F, 1), gamma = Random(52, F, 1), beta = Random(53, F, 1);
    float[] y = new float[B * F], mean = new float[B], inv = new float[B], dx = new float[B * F], dg = new float[F], db = new float[F];
    LayerNorm.Forward<float>(x, gamma, beta, y, mean, inv, B, F, 1e-5f);
    LayerNorm.Backward<float>(dy, x, gamma, mean, inv, dx, dg, db, B, F);
    using DeviceBuffer<float> gx = Up(x), gdy = Up(dy), gg = Up(gamma), gbeta = Up(beta), gy = device.Allocate<float>(B * F);
    using DeviceBuffer<float> gmean = device.Allocate<float>(B), ginv = device.Allocate<float>(B), gdx = device.Allocate<float>(B * F), gdg = device.Allocate<float>(F), gdb = device.Allocate<float>(F);
    k.LayerNormForward(gx, gg, gbeta, gy, gmean, ginv, B, F, 1e-5f);
    k.LayerNormBackward(gdy, gx, gg, gmean, ginv, gdx, gdg, gdb, B, F);
    Check("LayerNorm forward", gy.ToArray(), y, 1e-5);
    Check("LayerNorm dx", gdx.ToArray(), dx, 1e-5, 1);
    Check("LayerNorm dgamma (bit for bit)", gdg.ToArray(), dg, 0);
    Check("LayerNorm dbeta (bit for bit)", gdb.ToArray(), db, 0);
}

// ------------------------------------------------------------------ the other losses, optimizers and clipping
{
    const int B = 64, O = 10, n = B * O;
    float[] p = Random(54, n, 3), t = Random(55, n, 1), d = new float[n];
    using DeviceBuffer<float> gp = Up(p), gt = Up(t), gd = device.Allocate<float>(n);
    using DeviceBuffer<double> terms = device.Allocate<double>(n), total = device.Allocate<double>(1);
    double loss = Losses.MeanAbsoluteError<float>(p, t, d, B, O);
    k.MeanAbsoluteError(gp, gt, gd, terms);
    k.Sum(terms, n, total);
    CheckValue("MAE loss", total.ToArray()[0] / O, loss, 1e-5);
    Check("MAE gradient", gd.ToArray(), d, 1e-5);
    loss = Losses.Huber<float>(p, t, d, B, O, 1.0);
    k.Huber(gp, gt, gd, terms, 1.0);
    k.Sum(terms, n, total);
    CheckValue("Huber loss", total.ToArray()[0] / O, loss, 1e-5);
    Check("Huber gradient", gd.ToArray(), d, 1e-5);
    float[] prob = t.Select(v => (v * 0.5f) + 0.5f).ToArray();
    using DeviceBuffer<float> gprob = Up(prob);
    loss = Losses.BinaryCrossEntropyWithLogits<float>(p, prob, d, B, O);
    k.BinaryCrossEntropyWithLogits(gp, gprob, gd, terms);
    k.Sum(terms, n, total);
    CheckValue("BCE-with-logits loss", total.ToArray()[0] / O, loss, 1e-5);
    Check("BCE-with-logits gradient", gd.ToArray(), d, 1e-5, 1.0 / n);

    ulong key = CounterRng.Key(2024, 56, 0, 0);
    int[] labels = Enumerable.Range(0, B).Select(i => (int)(CounterRng.Bits(key, (ulong)i) % O)).ToArray();
    using DeviceBuffer<int> gl = device.Upload<int>(labels);
    using DeviceBuffer<double> rows = device.Allocate<double>(B);
    loss = Losses.MulticlassSquaredHinge<float>(p, labels, d, B, O, 1.0);
    k.MulticlassHinge(gp, gl, gd, rows, B, O, 1.0, squared: true);
    k.Sum(rows, B, total);
    CheckValue("multiclass squared hinge loss", total.ToArray()[0], loss, 1e-5);
    Check("multiclass squared hinge gradient (bit for bit)", gd.ToArray(), d, 0);
    loss = Losses.SoftmaxCrossEntropy<float>(p, labels, d, B, O, 0.1);
    k.SoftmaxCrossEntropy(gp, gl, gd, rows, B, O, 0.1);
    k.Sum(rows, B, total);
    CheckValue("cross-entropy with label smoothing 0.1 loss", total.ToArray()[0], loss, 1e-5);
    Check("cross-entropy with label smoothing 0.1 gradient", gd.ToArray(), d, 1e-5, 1.0 / B);

    float[] grad = Random(57, 50_000, 1), clipped = (float[])grad.Clone();
    Clipping.ByGlobalNorm<float>(clipped, 5.0);
    using DeviceBuffer<float> gg = Up(grad);
    k.ClipByGlobalNorm(gg, 5.0, total);
    Check("clip by global norm", gg.ToArray(), clipped, 1e-6);
}

{
    const int n = 50_000;
    string[] names = ["AdamW", "AMSGrad", "RMSProp centered + momentum", "AdaDelta"];
    for (int o = 0; o < names.Length; o++)
    {
        float[] p = Random(60, n, 1), s1 = new float[n], s2 = new float[n], s3 = new float[n];
        using DeviceBuffer<float> gp = Up(p), gs1 = device.Allocate<float>(n), gs2 = device.Allocate<float>(n), gs3 = device.Allocate<float>(n), gg = device.Allocate<float>(n);
        gs1.Clear();
        gs2.Clear();
        gs3.Clear();
        for (int t = 1; t <= 10; t++)
        {
            float[] g = Random((ulong)(60 + t), n, 1);
            gg.CopyFrom(g);
            switch (o)
            {
                case 0:
                    Optimizers.DecoupledWeightDecay<float>(p, 1e-3, 0.01);
                    Optimizers.Adam<float>(p, g, s1, s2, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    k.DecoupledWeightDecay(gp, 1e-3, 0.01);
                    k.Adam(gp, gg, gs1, gs2, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    break;
                case 1:
                    Optimizers.AmsGrad<float>(p, g, s1, s2, s3, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    k.AmsGrad(gp, gg, gs1, gs2, gs3, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    break;
                case 2:
                    Optimizers.RmsProp<float>(p, g, s1, s2, s3, 0.01f, 0.99f, 1e-8f, 0.9f);
                    k.RmsProp(gp, gg, gs1, gs2, gs3, 0.01f, 0.99f, 1e-8f, 0.9f);
                    break;
                default:
                    Optimizers.AdaDelta<float>(p, g, s1, s2, 1f, 0.9f, 1e-6f);
                    k.AdaDelta(gp, gg, gs1, gs2, 1f, 0.9f, 1e-6f);
                    break;
            }
        }
        Check($"{names[o]} 10 steps", gp.ToArray(), p, 1e-5);
    }
}

// ------------------------------------------------------------------ what the generated CUDA core of graphs, losses and regularisers launches (ADR 0044)
{
    const int B = 64, O = 10, n = B * O;
    float[] p = Random(80, n, 3), t01 = Random(81, n, 1).Select(v => v > 0 ? 1f : 0f).ToArray(), d = new float[n];
    using DeviceBuffer<float> gp = Up(p), gd = device.Allocate<float>(n), gt01 = Up(t01);
    using DeviceBuffer<double> terms = device.Allocate<double>(n), rows = device.Allocate<double>(B), total = device.Allocate<double>(1);
    ulong key = CounterRng.Key(2024, 82, 0, 0);
    int[] labels = Enumerable.Range(0, B).Select(i => (int)(CounterRng.Bits(key, (ulong)i) % O)).ToArray();
    using DeviceBuffer<int> gl = device.Upload<int>(labels);

    double loss = Losses.MulticlassHinge<float>(p, labels, d, B, O, 2.0);
    k.MulticlassHinge(gp, gl, gd, rows, B, O, 2.0, squared: false);
    k.Sum(rows, B, total);
    CheckValue("multiclass hinge loss (margin 2)", total.ToArray()[0], loss, 1e-5);
    Check("multiclass hinge gradient (bit for bit)", gd.ToArray(), d, 0);

    loss = Losses.BinaryHinge<float>(p, t01, d, B, O, 0.5);
    k.BinaryHinge(gp, gt01, gd, terms, B, 0.5);
    k.Sum(terms, n, total);
    CheckValue("binary hinge loss", total.ToArray()[0], loss, 1e-5);
    Check("binary hinge gradient", gd.ToArray(), d, 1e-6);

    // Soft targets: rows of a distribution (not renormalised by the kernels, as PyTorch), with and without label smoothing.
    float[] q = Random(83, n, 1).Select(v => v + 1.1f).ToArray();
    for (int r = 0; r < B; r++)
    {
        float sum = q.AsSpan(r * O, O).ToArray().Sum();
        for (int j = 0; j < O; j++)
        {
            q[(r * O) + j] /= sum;
        }
    }
    using DeviceBuffer<float> gq = Up(q);
    foreach (double epsilon in new[] { 0.0, 0.1 })
    {
        loss = Losses.SoftmaxCrossEntropy<float>(p, q, d, B, O, epsilon);
        k.SoftmaxCrossEntropy(gp, gq, gd, rows, B, O, epsilon);
        k.Sum(rows, B, total);
        CheckValue($"cross-entropy with soft targets, ε = {epsilon} loss", total.ToArray()[0], loss, 1e-5);
        Check($"cross-entropy with soft targets, ε = {epsilon} gradient", gd.ToArray(), d, 1e-5, 1.0 / B);
    }

    // L1, max-norm, clipping by value, the scale of clipping by norm.
    const int units = 32, fanIn = 200;
    float[] w = Random(84, units * fanIn, 0.2f), dw = Random(85, units * fanIn, 0.5f);
    using DeviceBuffer<float> gw = Up(w), gdw = Up(dw);
    k.SumOfAbsolutes(gw, total);
    CheckValue("L1 Σ|w|", total.ToArray()[0], Regularization.SumOfAbsolutes<float>(w), 1e-9);
    Regularization.AddL1Gradient<float>(w, dw, 1e-3f);
    k.AddL1Gradient(gw, gdw, 1e-3f);
    Check("L1 gradient dW += λ·sign(W)", gdw.ToArray(), dw, 1e-6);
    Regularization.MaxNorm<float>(w, units, 1.0);
    k.MaxNorm(gw, units, 1.0);
    Check("max-norm (torch.renorm) per row", gw.ToArray(), w, 1e-6);
    Clipping.ByValue<float>(dw, 0.2);
    k.ClipByValue(gdw, 0.2);
    Check("clip by value (bit for bit)", gdw.ToArray(), dw, 0);
    for (int i = 0; i < dw.Length; i++)
    {
        dw[i] *= 0.37f;
    }
    k.Scale(gdw, 0.37f);
    Check("scale (clip by norm over several tensors, bit for bit)", gdw.ToArray(), dw, 0);

    // Residual addition and the accumulation of a tensor read twice; stochastic depth's per-sample masks, bit for bit.
    float[] a = Random(86, n, 1), b = Random(87, n, 1), y = new float[n];
    using DeviceBuffer<float> ga = Up(a), gb = Up(b), gy = device.Allocate<float>(n);
    Residual.Add<float>(a, b, y);
    k.Add(ga, gb, gy);
    Check("residual add (bit for bit)", gy.ToArray(), y, 0);
    Residual.Accumulate<float>(a, b);
    k.Accumulate(ga, gb);
    Check("gradient accumulation (bit for bit)", ga.ToArray(), a, 0);
    float[] mask = new float[B], dx = new float[n];
    using DeviceBuffer<float> gmask = device.Allocate<float>(B), gdx = device.Allocate<float>(n);
    ulong depthKey = CounterRng.Key(7, CounterRng.DropoutStream, 5, 3);
    StochasticDepth.Forward<float>(b, y, mask, 0.3, depthKey);
    k.RowDropoutForward(gb, gy, gmask, O, 0.3, depthKey);
    Check("stochastic depth masks (bit for bit)", gmask.ToArray(), mask, 0);
    Check("stochastic depth forward (bit for bit)", gy.ToArray(), y, 0);
    StochasticDepth.Backward<float>(a, mask, dx);
    k.RowDropoutBackward(ga, gmask, gdx, O);
    Check("stochastic depth backward (bit for bit)", gdx.ToArray(), dx, 0);
}

{
    const int n = 50_000;
    string[] names = ["AdamW with AMSGrad", "RMSProp with momentum", "RMSProp centered"];
    for (int o = 0; o < names.Length; o++)
    {
        float[] p = Random(90, n, 1), s1 = new float[n], s2 = new float[n], s3 = new float[n];
        using DeviceBuffer<float> gp = Up(p), gs1 = device.Allocate<float>(n), gs2 = device.Allocate<float>(n), gs3 = device.Allocate<float>(n), gg = device.Allocate<float>(n);
        gs1.Clear();
        gs2.Clear();
        gs3.Clear();
        for (int t = 1; t <= 10; t++)
        {
            float[] g = Random((ulong)(90 + t), n, 1);
            gg.CopyFrom(g);
            switch (o)
            {
                case 0:
                    Optimizers.DecoupledWeightDecay<float>(p, 1e-3, 0.05);
                    Optimizers.AmsGrad<float>(p, g, s1, s2, s3, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    k.DecoupledWeightDecay(gp, 1e-3, 0.05);
                    k.AmsGrad(gp, gg, gs1, gs2, gs3, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    break;
                case 1:
                    Optimizers.RmsProp<float>(p, g, s1, s2, default, 0.01f, 0.99f, 1e-8f, 0.9f);
                    k.RmsProp(gp, gg, gs1, gs2, null, 0.01f, 0.99f, 1e-8f, 0.9f);
                    break;
                default:
                    Optimizers.RmsProp<float>(p, g, s1, default, s3, 0.01f, 0.99f, 1e-8f, 0f);
                    k.RmsProp(gp, gg, gs1, null, gs3, 0.01f, 0.99f, 1e-8f, 0f);
                    break;
            }
        }
        Check($"{names[o]} 10 steps", gp.ToArray(), p, 1e-5);
    }
}

// ------------------------------------------------------------------ generated networks: Backend.Cuda against Backend.Cpu
// The same seed gives the same weights; every gradient within 1e-4 of each tensor's largest magnitude; ten training steps
// within 1e-3 (ADR 0044: residual graphs, stochastic depth, soft targets, the regularisers).
void CheckNetwork(string name, ISoftTargetNetwork cpu, ISoftTargetNetwork gpu, Action sync, bool soft)
{
    const int B = 16;
    float[] Inputs(int seed) => Random((ulong)seed, B * cpu.InputSize, 1);
    float[] Targets(int seed)
    {
        float[] q = Random((ulong)seed, B * cpu.OutputSize, 1).Select(v => v + 1.1f).ToArray();
        for (int r = 0; r < B; r++)
        {
            float sum = q.AsSpan(r * cpu.OutputSize, cpu.OutputSize).ToArray().Sum();
            for (int j = 0; j < cpu.OutputSize; j++)
            {
                q[(r * cpu.OutputSize) + j] /= sum;
            }
        }
        return q;
    }
    int[] Labels(int seed) => Enumerable.Range(0, B).Select(i => (int)(CounterRng.Bits(CounterRng.Key(2024, (ulong)seed, 0, 0), (ulong)i) % (ulong)cpu.OutputSize)).ToArray();
    float Step(ISoftTargetNetwork net, int seed, bool update) => soft
        ? (update ? net.TrainStep(Inputs(seed), Targets(seed + 1)) : net.ComputeGradients(Inputs(seed), Targets(seed + 1)))
        : (update ? net.TrainStep(Inputs(seed), Labels(seed + 1)) : net.ComputeGradients(Inputs(seed), Labels(seed + 1)));
    void Tensors(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            float[] e = expected.Slice(info.Offset, info.Length).ToArray();
            Check($"{name} {what} {info.Key}", actual.Slice(info.Offset, info.Length).ToArray(), e, tolerance, Math.Max(e.Max(MathF.Abs), 1e-12));
        }
    }

    sync();
    Check($"{name} initial weights (bit for bit)", gpu.Parameters.ToArray(), cpu.Parameters.ToArray(), 0);
    CheckValue($"{name} loss", Step(gpu, 100, update: false), Step(cpu, 100, update: false), 1e-4);
    sync();
    Tensors("gradient", cpu.Gradients, gpu.Gradients, 1e-4);
    for (int step = 0; step < 10; step++)
    {
        Step(cpu, 200 + (2 * step), update: true);
        Step(gpu, 200 + (2 * step), update: true);
    }
    sync();
    Tensors("after 10 steps", cpu.Parameters, gpu.Parameters, 1e-3);
}

{
    var cpu = new CheckResidualNet(3);
    var gpu = new CheckResidualNet(3, Backend.Cuda);
    CheckNetwork("residual MLP + stochastic depth (AdamW)", cpu, gpu, gpu.CopyFromDevice, soft: false);
    var cpu2 = new CheckRegularisedNet(4);
    var gpu2 = new CheckRegularisedNet(4, Backend.Cuda);
    CheckNetwork("soft targets + L1 + max-norm + NormBound (RMSProp)", cpu2, gpu2, gpu2.CopyFromDevice, soft: true);
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

// ---------------------------------- CUDA graph replayed with per-step values = launched one by one (bit for bit, 10 steps)
// The generated step's scheme (docs/adr/0045): captured once, then each replay rewrites the kernel nodes whose arguments
// changed (a dropout key, Adam's step and learning rate) before one graph launch.
{
    const int B = 64, I = 256, O = 128;
    float[] x = Random(50, B * I, 1), w = Random(51, O * I, 0.1f), b = Random(52, O, 0.1f);
    using DeviceBuffer<float> gx = Up(x), gw = Up(w), gb = Up(b), gm = device.Allocate<float>(O * I), gv = device.Allocate<float>(O * I);
    using DeviceBuffer<float> gm2 = device.Allocate<float>(O), gv2 = device.Allocate<float>(O);
    using DeviceBuffer<float> gd = device.Allocate<float>(B * I), gmask = device.Allocate<float>(B * I);
    using DeviceBuffer<float> gy = device.Allocate<float>(B * O), gdw = device.Allocate<float>(O * I), gdb = device.Allocate<float>(O);
    using CudaStream stream = device.CreateStream();
    k.Stream = stream;
    void Step(int t)
    {
        k.DropoutForward(gx, gd, gmask, 0.25, CounterRng.Key(9, CounterRng.DropoutStream, 0, (ulong)t));
        k.Sgemm(false, true, B, O, I, gd, I, gw, I, gy, O, 0, gb, CudaActivation.ReLU);
        k.Sgemm(true, false, O, I, B, gy, O, gd, I, gdw, I);
        k.ColumnSums(gy, gdb, B, O, accumulate: false);
        float lr = t < 5 ? 1e-3f : 5e-4f;
        k.Adam(gw, gdw, gm, gv, lr, 0.9f, 0.999f, 1e-8f, t + 1);
        k.Adam(gb, gdb, gm2, gv2, lr, 0.9f, 0.999f, 1e-8f, t + 1);
    }
    void Reset()
    {
        gw.CopyFrom(w);
        gb.CopyFrom(b);
        foreach (DeviceBuffer<float> z in new[] { gm, gv, gm2, gv2 })
        {
            z.Clear();
        }
    }
    Reset();
    for (int t = 0; t < 10; t++)
    {
        Step(t);
    }
    stream.Synchronize();
    float[] eager = gw.ToArray();
    Reset();
    int step = 0;
    using CudaGraph graph = CudaGraph.Capture(stream, () => Step(step));
    graph.Launch(stream);
    for (step = 1; step < 10; step++)
    {
        graph.Replay(stream, () => Step(step));
    }
    stream.Synchronize();
    Check($"CUDA graph replayed with per-step dropout key, Adam step and learning rate = eager (10 steps, {graph.NodeUpdates} node updates, bit for bit)", gw.ToArray(), eager, 0);
    k.Stream = null;
}

// ------------------------------------------------------------------ determinism: two runs of a generated network, same bits
// Fresh instances, same seed, 20 steps, with CUDA graphs and launch by launch (Determinism.cs); the benchmark's networks too
// on a GPU (under the emulated driver their batch of 64 takes minutes: NETGEN_DETERMINISM_FULL=1 asks for them there).
DeterminismChecks.Run((name, ok, detail) =>
{
    Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}" + (detail.Length > 0 ? ": " + detail : ""));
    failures += ok ? 0 : 1;
}, full: Environment.GetEnvironmentVariable("NETGEN_CUDA_DRIVER") is not { Length: > 0 } || Environment.GetEnvironmentVariable("NETGEN_DETERMINISM_FULL") == "1");

// ------------------------------------------------------------------ dropout variants (kernels_dropout.cu)
// Box–Muller in double on the device (e^x, ln x, cos x by arithmetic alone: the CPU's values up to round-off), Gaussian
// dropout's masks within a float ulp, standout's and DropConnect's masks and sums bit for bit.
{
    const int n = 100_003;
    ulong key = CounterRng.Key(7, CounterRng.DropoutStream, 4, 9);
    float[] normals = new float[n];
    for (int i = 0; i < n; i++)
    {
        normals[i] = (float)CounterRng.Normal(key, (ulong)i);
    }
    using DeviceBuffer<float> gn = device.Allocate<float>(n);
    k.Normal(gn, key);
    Check("rng normal (Box–Muller in double)", gn.ToArray(), normals, 1e-6, 1);

    float[] x = Random(120, n, 3), y = new float[n], mask = new float[n];
    using DeviceBuffer<float> gx = Up(x), gy = device.Allocate<float>(n), gm = device.Allocate<float>(n);
    GaussianDropout.Forward<float>(x, y, mask, 0.3, key);
    k.GaussianDropoutForward(gx, gy, gm, 0.3, key);
    Check("Gaussian dropout mask", gm.ToArray(), mask, 1e-6);
    Check("Gaussian dropout output", gy.ToArray(), y, 1e-6);

    Standout.Forward<float>(x, y, mask, 1.5, -0.5, key);
    k.StandoutForward(gx, gy, gm, 1.5, -0.5, key);
    Check("standout mask (bit for bit)", gm.ToArray(), mask, 0);
    Check("standout output (bit for bit)", gy.ToArray(), y, 0);
    Standout.Inference<float>(x, y, 1.5, -0.5);
    k.StandoutInference(gx, gy, 1.5, -0.5);
    Check("standout inference", gy.ToArray(), y, 1e-6);

    const int B = 33, I = 70, O = 45;
    float[] cx = Random(121, B * I, 1), w = Random(122, O * I, 0.3f), b = Random(123, O, 0.3f), dy = Random(124, B * O, 1);
    float[] dcY = new float[B * O], dcDx = new float[B * I], dcDw = new float[O * I], dcDb = new float[O];
    using DeviceBuffer<float> gcx = Up(cx), gw = Up(w), gb = Up(b), gdy = Up(dy), gdcY = device.Allocate<float>(B * O), gdcDx = device.Allocate<float>(B * I),
        gdcDw = device.Allocate<float>(O * I), gdcDb = device.Allocate<float>(O);
    DropConnect.Forward<float>(cx, w, b, dcY, B, I, O, 0.4, key);
    k.DropConnectForward(gcx, gw, gb, gdcY, B, I, O, 0.4, key);
    Check("DropConnect forward (bit for bit)", gdcY.ToArray(), dcY, 0);
    DropConnect.Backward<float>(dy, cx, w, dcDx, dcDw, dcDb, B, I, O, 0.4, key);
    k.DropConnectBackward(gdy, gcx, gw, gdcDx, gdcDw, gdcDb, B, I, O, 0.4, key);
    Check("DropConnect dW (bit for bit)", gdcDw.ToArray(), dcDw, 0);
    Check("DropConnect dx (bit for bit)", gdcDx.ToArray(), dcDx, 0);
    Check("DropConnect db (bit for bit)", gdcDb.ToArray(), dcDb, 0);
    DropConnect.MomentMatchingReLU<float>(cx, w, b, dcY, B, I, O, 0.4, 500, key);
    k.DropConnectMomentMatchingReLU(gcx, gw, gb, gdcY, B, I, O, 0.4, 500, key);
    Check("DropConnect moment matching with ReLU", gdcY.ToArray(), dcY, 1e-5);
}

// ----------------- fractional max pooling and the hierarchical softmax: kernels and a network each (FmpHsmChecks.cs)
FmpHsmChecks.Run(device, k, (name, ok, detail) =>
{
    Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}" + (detail.Length > 0 ? ": " + detail : ""));
    failures += ok ? 0 : 1;
});

// ------------------------------------------------------------------ generated CNNs: Backend.Cuda against Backend.Cpu
NetGen.CudaCheck.NetworkChecks.Run((name, ok, detail) =>
{
    Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}" + (detail.Length > 0 ? ": " + detail : ""));
    failures += ok ? 0 : 1;
});

Console.WriteLine($"{(failures == 0 ? "ALL PASS" : $"{failures} FAILED")} in {clock.Elapsed.TotalSeconds:F1} s");
return failures == 0 ? 0 : 1;
