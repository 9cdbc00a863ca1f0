using NetGen.Cuda;
using NetGen.Cuda.Emulation;
using NetGen.Kernels;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The whole C# CUDA stack without a GPU: CudaDevice, DeviceBuffer, CudaModule and every CudaKernels launch run on the
/// emulated driver of tests/cuda-host (fakecuda.cpp: the driver API over kernels.cu compiled for the host; docs/adr/0037),
/// reached through the same function pointers as libcuda.so.1. Results are compared with the C# CPU kernels (the RNG and
/// dropout bit for bit, the rest within 1e-5 relative), and the error paths give the documented messages. Skips (with the
/// reason) without g++.
/// </summary>
[Collection(nameof(EmulatedDriverCollection))]
public sealed class CudaEmulatedDriverTests
{
    private readonly ITestOutputHelper _output;

    public CudaEmulatedDriverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void TheDeviceOpensWithTheEmulatedNameCapabilityAndMemory()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        Assert.True(CudaDevice.IsAvailable, CudaDevice.UnavailableReason);
        using CudaDevice device = CudaDevice.Open();
        Assert.Equal(0, device.Ordinal);
        Assert.Equal("NetGen host emulation", device.Name);
        Assert.Equal((8, 0), device.ComputeCapability);
        Assert.Equal(4UL << 30, device.TotalMemory);
        device.Synchronize();
    }

    [Fact]
    public async Task TheDriverChoiceFlowsIntoTasksButNotIntoOtherTests()
    {
        if (EmulatedCudaDriver.UnavailableReason is { } reason)
        {
            _output.WriteLine("SKIPPED: " + reason);
            return;
        }
        CudaDriver.Exports outside = CudaDriver.Current;
        using (EmulatedCudaDriver.Use())
        {
            Assert.NotSame(outside, CudaDriver.Current);
            string name = await Task.Run(() =>
            {
                using CudaDevice device = CudaDevice.Open();
                return device.Name;
            });
            Assert.Equal("NetGen host emulation", name);
        }
        Assert.Same(outside, CudaDriver.Current);
        Assert.Equal(CudaDriver.Library, CudaDriver.Current.Path);
    }

    [Fact]
    public void BuffersRoundTripAndAreFreedWhenDisposed()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        ulong before = EmulatedCudaDriver.AllocatedBytes;
        float[] values = Input(1, 1001, 3);
        using (DeviceBuffer<float> f = device.Upload<float>(values))
        using (DeviceBuffer<int> i = device.Upload<int>([1, -2, int.MaxValue]))
        using (DeviceBuffer<double> d = device.Allocate<double>(5))
        {
            Assert.Equal(before + (1001 * 4) + (3 * 4) + (5 * 8), EmulatedCudaDriver.AllocatedBytes);
            Assert.Equal(values, f.ToArray());
            Assert.Equal([1, -2, int.MaxValue], i.ToArray());
            d.CopyFrom([0.5, 1e300, -0.0, double.Epsilon, 3]);
            Assert.Equal([0.5, 1e300, -0.0, double.Epsilon, 3], d.ToArray());
            d.Clear();
            Assert.Equal(new double[5], d.ToArray());

            var e = Assert.Throws<ArgumentException>(() => f.CopyFrom(new float[1000]));
            Assert.StartsWith("The buffer holds 1001 elements, the source 1000.", e.Message);
            e = Assert.Throws<ArgumentException>(() => i.CopyTo(new int[4]));
            Assert.StartsWith("The buffer holds 3 elements, the destination 4.", e.Message);
        }
        using (DeviceBuffer<float> empty = device.Allocate<float>(0))
        {
            Assert.Empty(empty.ToArray()); // one byte behind it: cuMemAlloc rejects 0 bytes
        }
        Assert.Equal(before, EmulatedCudaDriver.AllocatedBytes);
    }

    [Fact]
    public void EveryKernelOfTheEmbeddedPtxIsLaunchableWithTheParameterTypesOfKernelsCu()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        // The fake's kernel table comes from kernels.cu (build-fakecuda.sh): a kernel the PTX has but the table lacks is
        // CUDA_ERROR_NOT_FOUND, one whose C++ parameters differ from the PTX's (a stale PTX) CUDA_ERROR_INVALID_PTX.
        using CudaDevice device = CudaDevice.Open();
        using CudaModule module = device.LoadKernels();
        string[] entries = System.Text.RegularExpressions.Regex.Matches(CudaModule.EmbeddedPtxText(), @"\.visible \.entry (\w+)\(")
            .Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(entries);
        foreach (string name in entries)
        {
            Assert.Equal(name, module.GetFunction(name).Name);
        }
    }

    [Fact]
    public void ErrorPathsGiveTheDocumentedMessages()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => CudaDevice.Open(1));
        Assert.Equal("ordinal", range.ParamName);
        Assert.StartsWith("There are 1 CUDA device(s).", range.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaDevice.Open(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Allocate<float>(-1));

        // More than the device has: the driver's CUDA_ERROR_OUT_OF_MEMORY, named with the call and its size.
        var oom = Assert.Throws<CudaException>(() => device.Allocate<double>(int.MaxValue));
        Assert.Equal($"cuMemAlloc({(long)int.MaxValue * 8} bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", oom.Message);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", oom.ErrorName);
        Assert.Equal(2, oom.Result);

        // A double free (a raw call: DeviceBuffer itself frees once) is the driver's CUDA_ERROR_INVALID_VALUE.
        device.MakeCurrent();
        Assert.Equal(0, CudaDriver.cuMemAlloc_v2(out ulong pointer, 64));
        Assert.Equal(0, CudaDriver.cuMemFree_v2(pointer));
        int again = CudaDriver.cuMemFree_v2(pointer);
        var free = Assert.Throws<CudaException>(() => CudaDriver.ThrowIfFailed(again, "cuMemFree"));
        Assert.Equal("cuMemFree failed: CUDA_ERROR_INVALID_VALUE (1): invalid argument", free.Message);

        // A kernel the module does not have; a launch of more than 1024 threads per block.
        using CudaModule module = device.LoadKernels();
        var missing = Assert.Throws<CudaException>(() => module.GetFunction("ng_no_such_kernel"));
        Assert.Equal("cuModuleGetFunction(ng_no_such_kernel) failed: CUDA_ERROR_NOT_FOUND (500): named symbol not found", missing.Message);
        CudaFunction relu = module.GetFunction("ng_relu_forward");
        using DeviceBuffer<float> x = device.Allocate<float>(4);
        var launch = Assert.Throws<CudaException>(() => relu.Launch((1, 1), (2048, 1), null, x, x, 4));
        Assert.Equal("cuLaunchKernel(ng_relu_forward, grid 1×1, block 2048×1) failed: CUDA_ERROR_INVALID_VALUE (1): invalid argument", launch.Message);

        // A freed buffer's address as a kernel argument (a GPU would fault on access; the emulation refuses the launch).
        DeviceBuffer<float> freed = device.Allocate<float>(4);
        ulong stale = freed.Pointer;
        freed.Dispose();
        var illegal = Assert.Throws<CudaException>(() => relu.Launch((1, 1), (32, 1), null, stale, x, 4));
        Assert.Equal("cuLaunchKernel(ng_relu_forward, grid 1×1, block 32×1) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was encountered", illegal.Message);
    }

    [Fact]
    public void AnOldDeviceAndNoDeviceAreRejectedWithTheirReasons()
    {
        if (EmulatedCudaDriver.UnavailableReason is { } reason)
        {
            _output.WriteLine("SKIPPED: " + reason);
            return;
        }
        try
        {
            EmulatedCudaDriver.Configure(1, 7, 5, 1UL << 30);
            using (EmulatedCudaDriver.Use())
            {
                Assert.True(CudaDevice.IsAvailable);
                var e = Assert.Throws<InvalidOperationException>(() => CudaDevice.Open());
                Assert.Equal("CUDA device 0 (NetGen host emulation) has compute capability 7.5; NetGen's kernels need 8.0 or newer.", e.Message);
            }
            EmulatedCudaDriver.Configure(0, 8, 0, 1UL << 30);
            using (EmulatedCudaDriver.Use())
            {
                Assert.Equal("the NVIDIA driver reports no CUDA device.", CudaDevice.UnavailableReason);
                var e = Assert.Throws<InvalidOperationException>(() => CudaDevice.Open());
                Assert.Equal("CUDA is not available: the NVIDIA driver reports no CUDA device.", e.Message);
            }
        }
        finally
        {
            EmulatedCudaDriver.Reset();
        }
    }

    [Fact]
    public void WithoutTheDriverLibraryCudaSaysItCannotBeLoaded()
    {
        using (CudaDriver.Use("/nonexistent/netgen/libcuda.so.1"))
        {
            Assert.False(CudaDevice.IsAvailable);
            Assert.Equal("the NVIDIA driver library /nonexistent/netgen/libcuda.so.1 cannot be loaded (no NVIDIA driver installed).", CudaDevice.UnavailableReason);
            var e = Assert.Throws<InvalidOperationException>(() => CudaDevice.Open());
            Assert.StartsWith("CUDA is not available: the NVIDIA driver library", e.Message);
            var call = Assert.Throws<CudaException>(() => CudaDriver.ThrowIfFailed(2, "cuMemAlloc(4096 bytes)"));
            Assert.Equal("cuMemAlloc(4096 bytes) failed: CUDA error 2 (2): (no description: /nonexistent/netgen/libcuda.so.1 cannot be loaded)", call.Message);
        }
    }

    [Fact]
    public void ElementWiseKernelsMatchTheCpu()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);
        const int n = 1000;
        float[] x = Input(1, n, 3), dy = Input(2, n, 1);
        using DeviceBuffer<float> gx = device.Upload<float>(x), gdy = device.Upload<float>(dy);
        using DeviceBuffer<float> gy = device.Allocate<float>(n), gdx = device.Allocate<float>(n);

        // the RNG and dropout: bit for bit
        ulong key = CounterRng.Key(7, CounterRng.DropoutStream, 2, 3);
        k.Uniform(gy, key);
        Assert.Equal(Enumerable.Range(0, n).Select(i => CounterRng.Uniform(key, (ulong)i)).ToArray(), gy.ToArray());
        float[] y = new float[n], mask = new float[n], dx = new float[n];
        Dropout.Forward<float>(x, y, mask, 0.3, key);
        using DeviceBuffer<float> gmask = device.Allocate<float>(n);
        k.DropoutForward(gx, gy, gmask, 0.3, key);
        Assert.Equal(mask, gmask.ToArray());
        Assert.Equal(y, gy.ToArray());
        Dropout.Backward<float>(dy, mask, dx);
        k.Multiply(gdy, gmask, gdx);
        Assert.Equal(dx, gdx.ToArray());

        foreach ((CudaActivation act, float alpha) in new[] { (CudaActivation.ReLU, 0f), (CudaActivation.LeakyReLU, 0.01f), (CudaActivation.Sigmoid, 0f), (CudaActivation.Tanh, 0f), (CudaActivation.Elu, 1f) })
        {
            switch (act)
            {
                case CudaActivation.ReLU: Activations.ReLUForward<float>(x, y); Activations.ReLUBackward<float>(dy, y, dx); break;
                case CudaActivation.LeakyReLU: Activations.LeakyReLUForward<float>(x, y, alpha); Activations.LeakyReLUBackward<float>(dy, x, dx, alpha); break;
                case CudaActivation.Sigmoid: Activations.SigmoidForward<float>(x, y); Activations.SigmoidBackward<float>(dy, y, dx); break;
                case CudaActivation.Tanh: Activations.TanhForward<float>(x, y); Activations.TanhBackward<float>(dy, y, dx); break;
                default: Activations.EluForward<float>(x, y, alpha); Activations.EluBackward<float>(dy, x, y, dx, alpha); break;
            }
            k.ActivationForward(act, gx, gy, alpha);
            Close(gy.ToArray(), y, $"{act} forward");
            k.ActivationBackward(act, gdy, gx, gy, gdx, alpha);
            Close(gdx.ToArray(), dx, $"{act} backward", 1);
        }

        Activations.PReLUForward<float>(x, y, 0.25f);
        float da = Activations.PReLUBackward<float>(dy, x, dx, 0.25f);
        using DeviceBuffer<float> ga = device.Upload<float>([0.25f]), gda = device.Upload<float>([0.5f]);
        k.PReLUForward(gx, gy, ga);
        Close(gy.ToArray(), y, "PReLU forward");
        k.PReLUBackward(gdy, gx, gdx, ga, gda);
        Close(gdx.ToArray(), dx, "PReLU backward dx", 1);
        Close(gda.ToArray(), [0.5f + da], "PReLU backward da (accumulated)", 1);

        // the epilogue y = act(y + b[c]) over [40, 25], every activation, and without a bias
        float[] b = Input(5, 25, 1);
        float[] z = new float[n];
        for (int i = 0; i < n; i++)
        {
            z[i] = x[i] + b[i % 25];
        }
        using DeviceBuffer<float> gb = device.Upload<float>(b);
        foreach ((CudaActivation act, float alpha) in new[] { (CudaActivation.Identity, 0f), (CudaActivation.ReLU, 0f), (CudaActivation.LeakyReLU, 0.01f), (CudaActivation.Sigmoid, 0f), (CudaActivation.Tanh, 0f), (CudaActivation.Elu, 1f) })
        {
            Activate(act, z, y, alpha);
            gy.CopyFrom(x);
            k.BiasActivation(gy, gb, 40, 25, act, alpha);
            Close(gy.ToArray(), y, $"bias + {act}");
        }
        Activations.TanhForward<float>(x, y);
        gy.CopyFrom(x);
        k.BiasActivation(gy, null, 40, 25, CudaActivation.Tanh);
        Close(gy.ToArray(), y, "no bias + Tanh");
    }

    [Fact]
    public void SgemmGivesDenseForwardAndBackwardOnShapesThatAreNotMultiplesOfTheTile()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);
        foreach ((int B, int I, int O) in new[] { (37, 53, 19), (1, 40, 10), (16, 16, 16), (3, 1, 33) })
        {
            float[] x = Input(3, B * I, 1), w = Input(4, O * I, 1), b = Input(5, O, 1), dy = Input(6, B * O, 1);
            float[] y = new float[B * O], dx = new float[B * I], dw = new float[O * I], db = new float[O];
            Dense.Forward<float>(x, w, b, y, B, I, O, fuseReLU: true);
            Dense.Backward<float>(dy, x, w, dx, dw, db, B, I, O, accumulate: false);
            using DeviceBuffer<float> gx = device.Upload<float>(x), gw = device.Upload<float>(w), gb = device.Upload<float>(b), gdy = device.Upload<float>(dy);
            using DeviceBuffer<float> gy = device.Allocate<float>(B * O), gdx = device.Allocate<float>(B * I), gdw = device.Allocate<float>(O * I), gdb = device.Allocate<float>(O);
            k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O, 0, gb, CudaActivation.ReLU);
            k.Sgemm(false, false, B, I, O, gdy, O, gw, I, gdx, I);
            k.Sgemm(true, false, O, I, B, gdy, O, gx, I, gdw, I);
            k.ColumnSums(gdy, gdb, B, O, accumulate: false);
            string shape = $"{B}x{I}->{O}";
            Close(gy.ToArray(), y, $"{shape} y", 1);
            Close(gdx.ToArray(), dx, $"{shape} dx", 1);
            Close(gdw.ToArray(), dw, $"{shape} dW", 1);
            Close(gdb.ToArray(), db, $"{shape} db", 1);

            // β = 1 accumulates into C; accumulate = true adds the column sums to db.
            k.Sgemm(true, false, O, I, B, gdy, O, gx, I, gdw, I, beta: 1);
            Close(gdw.ToArray(), dw.Select(v => v + v).ToArray(), $"{shape} dW + dW", 1);
            k.ColumnSums(gdy, gdb, B, O, accumulate: true);
            Close(gdb.ToArray(), db.Select(v => v + v).ToArray(), $"{shape} db + db", 1);
        }
    }

    [Fact]
    public void LossesAndTheSumMatchTheCpu()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);

        // softmax cross-entropy over B = 300 rows (more than one block of rows), C = 7; the losses summed by one block
        const int B = 300, C = 7;
        float[] logits = Input(12, B * C, 3), d = new float[B * C];
        ulong key = CounterRng.Key(11, 13, 0, 0);
        int[] labels = Enumerable.Range(0, B).Select(i => (int)(CounterRng.Bits(key, (ulong)i) % C)).ToArray();
        double loss = Losses.SoftmaxCrossEntropy<float>(logits, labels, d, B, C);
        using DeviceBuffer<float> gl = device.Upload<float>(logits), gd = device.Allocate<float>(B * C);
        using DeviceBuffer<int> gy = device.Upload<int>(labels);
        using DeviceBuffer<double> rows = device.Allocate<double>(B), total = device.Allocate<double>(1);
        k.SoftmaxCrossEntropy(gl, gy, gd, rows, B, C);
        k.Sum(rows, B, total);
        Assert.True(Math.Abs(total.ToArray()[0] - loss) <= 1e-5 * Math.Abs(loss), $"cross-entropy loss: emulated {total.ToArray()[0]:R}, CPU {loss:R}"); // both Σ over rows
        Close(gd.ToArray(), d, "cross-entropy gradient", 1.0 / B);

        // in place: dlogits = logits
        k.SoftmaxCrossEntropy(gl, gy, gl, rows, B, C);
        Close(gl.ToArray(), d, "cross-entropy gradient in place", 1.0 / B);

        // MSE over 600 values
        const int m = 600;
        float[] pred = Input(14, m, 1), target = Input(15, m, 1), dp = new float[m];
        double mse = Losses.MeanSquaredError<float>(pred, target, dp, 1, m);
        using DeviceBuffer<float> gp = device.Upload<float>(pred), gt = device.Upload<float>(target), gdp = device.Allocate<float>(m);
        using DeviceBuffer<double> squares = device.Allocate<double>(m);
        k.MeanSquaredError(gp, gt, gdp, squares);
        k.Sum(squares, m, total);
        // One row of 600 outputs: the CPU gives the mean of the squares, the kernels their sum.
        Assert.True(Math.Abs((total.ToArray()[0] / m) - mse) <= 1e-5 * mse, $"MSE loss: emulated {total.ToArray()[0] / m:R}, CPU {mse:R}");
        Close(gdp.ToArray(), dp, "MSE gradient");

        // the sum of fewer values than the buffer holds
        double[] values = Enumerable.Range(0, 1000).Select(i => 1.0 / (i + 1)).ToArray();
        using DeviceBuffer<double> gv = device.Upload<double>(values);
        k.Sum(gv, 777, total);
        Assert.Equal(values.Take(777).Sum(), total.ToArray()[0], 12);
    }

    [Fact]
    public void EveryOptimizerMatchesTheCpuOverThreeSteps()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);
        const int n = 1000;
        const float lr = 0.01f, mu = 0.9f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, alpha = 0.99f;
        float[][] p = Enumerable.Range(0, 7).Select(_ => Input(7, n, 1)).ToArray();
        float[][] s1 = Enumerable.Range(0, 7).Select(_ => new float[n]).ToArray();
        float[] s2 = new float[n];
        DeviceBuffer<float>[] gp = p.Select(v => device.Upload<float>(v)).ToArray();
        DeviceBuffer<float>[] gs1 = s1.Select(v => device.Upload<float>(v)).ToArray();
        using DeviceBuffer<float> gs2 = device.Upload<float>(s2), gg = device.Allocate<float>(n);
        try
        {
            for (int t = 1; t <= 3; t++)
            {
                float[] g = Input((ulong)(7 + t), n, 1);
                Optimizers.Sgd<float>(p[0], g, lr);
                Optimizers.Momentum<float>(p[1], g, s1[1], lr, mu);
                Optimizers.Nesterov<float>(p[2], g, s1[2], lr, mu);
                Optimizers.Adam<float>(p[3], g, s1[3], s2, lr, b1, b2, eps, t);
                Optimizers.AdaGrad<float>(p[4], g, s1[4], lr, 1e-10f);
                Optimizers.RmsProp<float>(p[5], g, s1[5], lr, alpha, eps);
                gg.CopyFrom(g);
                k.Sgd(gp[0], gg, lr);
                k.Momentum(gp[1], gg, gs1[1], lr, mu, nesterov: false);
                k.Momentum(gp[2], gg, gs1[2], lr, mu, nesterov: true);
                k.Adam(gp[3], gg, gs1[3], gs2, lr, b1, b2, eps, t);
                k.AdaGrad(gp[4], gg, gs1[4], lr, 1e-10f);
                k.RmsProp(gp[5], gg, gs1[5], lr, alpha, eps);
            }
            string[] names = ["SGD", "momentum", "Nesterov", "Adam", "AdaGrad", "RMSProp"];
            for (int o = 0; o < 6; o++)
            {
                Close(gp[o].ToArray(), p[o], names[o]);
                Close(gs1[o].ToArray(), s1[o], names[o] + " state");
            }
            Close(gs2.ToArray(), s2, "Adam second moment");
            Assert.Throws<ArgumentOutOfRangeException>(() => k.Adam(gp[3], gg, gs1[3], gs2, lr, b1, b2, eps, 0));
        }
        finally
        {
            foreach (DeviceBuffer<float> b in gp.Concat(gs1))
            {
                b.Dispose();
            }
        }
    }

    [Fact]
    public void LaunchesOnAStreamAndEventsWork()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using CudaStream stream = device.CreateStream();
        using var k = new CudaKernels(device, stream);
        using CudaEvent start = device.CreateEvent(), end = device.CreateEvent();
        float[] x = Input(1, 500, 2), y = new float[500];
        using DeviceBuffer<float> gx = device.Upload<float>(x), gy = device.Allocate<float>(500);
        start.Record(stream);
        k.ActivationForward(CudaActivation.ReLU, gx, gy);
        end.Record(stream);
        end.Synchronize();
        stream.Synchronize();
        Assert.True(end.MillisecondsSince(start) >= 0);
        Activations.ReLUForward<float>(x, y);
        Assert.Equal(y, gy.ToArray());
    }

    [Fact]
    public void ACapturedGraphRecordsLaunchesAndReplaysThemAsOneLaunch()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using CudaStream stream = device.CreateStream();
        using var k = new CudaKernels(device, stream);

        // One SGD step of y = relu(x·Wᵀ + b) against dy = y (the gradient of ½‖y‖²): forward, backward, update.
        const int B = 20, I = 33, O = 17;
        float[] x = Input(3, B * I, 1), w = Input(4, O * I, 1), b = Input(5, O, 1);
        using DeviceBuffer<float> gx = device.Upload<float>(x), gw = device.Upload<float>(w), gb = device.Upload<float>(b);
        using DeviceBuffer<float> gy = device.Allocate<float>(B * O), gdw = device.Allocate<float>(O * I), gdb = device.Allocate<float>(O);
        void Step()
        {
            k.Sgemm(false, true, B, O, I, gx, I, gw, I, gy, O, 0, gb, CudaActivation.ReLU);
            k.Sgemm(true, false, O, I, B, gy, O, gx, I, gdw, I);
            k.ColumnSums(gy, gdb, B, O, accumulate: false);
            k.Sgd(gw, gdw, 0.01f);
            k.Sgd(gb, gdb, 0.01f);
        }

        // The same two steps launched one kernel at a time: the expected weights.
        Step();
        Step();
        float[] expectedW = gw.ToArray(), expectedB = gb.ToArray();
        gw.CopyFrom(w);
        gb.CopyFrom(b);

        long before = EmulatedCudaDriver.Launches;
        using CudaGraph graph = CudaGraph.Capture(stream, Step);
        Assert.Equal(before, EmulatedCudaDriver.Launches); // recorded, not run
        Assert.Equal(w, gw.ToArray());
        graph.Launch(stream);
        graph.Launch(stream);
        stream.Synchronize();
        Assert.Equal(before + 10, EmulatedCudaDriver.Launches);
        Assert.Equal(expectedW, gw.ToArray());
        Assert.Equal(expectedB, gb.ToArray());
    }

    [Fact]
    public void AForbiddenCallDuringCaptureEndsTheCaptureWithTheDriversError()
    {
        using IDisposable? driver = Use();
        if (driver is null)
        {
            return;
        }
        using CudaDevice device = CudaDevice.Open();
        using CudaStream stream = device.CreateStream();
        using var k = new CudaKernels(device, stream);
        using DeviceBuffer<float> x = device.Upload<float>([1, -1, 2]), y = device.Allocate<float>(3);
        var e = Assert.Throws<CudaException>(() => CudaGraph.Capture(stream, () =>
        {
            k.ActivationForward(CudaActivation.ReLU, x, y);
            stream.Synchronize();
        }));
        Assert.Equal("cuStreamSynchronize failed: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900): operation not permitted when stream is capturing", e.Message);
        e = Assert.Throws<CudaException>(() => CudaGraph.Capture(stream, () => device.Allocate<float>(4).Dispose()));
        Assert.StartsWith("cuMemAlloc(16 bytes) failed: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900)", e.Message);

        // The stream has left capture mode: work runs again, and a new capture succeeds.
        k.ActivationForward(CudaActivation.ReLU, x, y);
        Assert.Equal([1f, 0f, 2f], y.ToArray());
        using CudaGraph graph = CudaGraph.Capture(stream, () => k.Multiply(x, x, y));
        graph.Launch(stream);
        Assert.Equal([1f, 1f, 4f], y.ToArray());
    }

    private static void Activate(CudaActivation act, float[] z, float[] y, float alpha)
    {
        switch (act)
        {
            case CudaActivation.Identity: z.CopyTo(y, 0); break;
            case CudaActivation.ReLU: Activations.ReLUForward<float>(z, y); break;
            case CudaActivation.LeakyReLU: Activations.LeakyReLUForward<float>(z, y, alpha); break;
            case CudaActivation.Sigmoid: Activations.SigmoidForward<float>(z, y); break;
            case CudaActivation.Tanh: Activations.TanhForward<float>(z, y); break;
            default: Activations.EluForward<float>(z, y, alpha); break;
        }
    }

    /// <summary>The emulated driver for this thread, or null (and a SKIPPED line) without g++.</summary>
    private IDisposable? Use()
    {
        if (EmulatedCudaDriver.UnavailableReason is { } reason)
        {
            // xunit 2 has no dynamic skip: say why in the output and return.
            _output.WriteLine("SKIPPED: " + reason);
            return null;
        }
        return EmulatedCudaDriver.Use();
    }

    /// <summary>(Uniform(Key(11, stream, 0, 0), i) · 2 − 1) · scale.</summary>
    private static float[] Input(ulong stream, int n, float scale)
    {
        ulong key = CounterRng.Key(11, stream, 0, 0);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = ((CounterRng.Uniform(key, (ulong)i) * 2.0f) - 1.0f) * scale;
        }
        return v;
    }

    /// <summary>|emulated − CPU| ≤ 1e-5 · max(|CPU|, <paramref name="scale"/>) (CudaHostEmulationTests' measure).</summary>
    private static void Close(float[] emulated, float[] cpu, string what, double scale = 1e-2)
    {
        Assert.Equal(cpu.Length, emulated.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            double tolerance = 1e-5 * Math.Max(Math.Abs(cpu[i]), scale);
            Assert.True(Math.Abs(emulated[i] - cpu[i]) <= tolerance, $"{what}[{i}]: emulated {emulated[i]:R}, CPU {cpu[i]:R}");
        }
    }
}
