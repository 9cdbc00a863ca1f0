using System.Text.RegularExpressions;
using NetGen.Cuda;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>The CUDA backend without a GPU: the embedded PTX names every kernel with the parameter types the launches
/// pass, CUDA reports what is missing, driver failures name the call. With a GPU, a first parity check (the full one is
/// tests/gpu/run-gpu-checks.sh).</summary>
public sealed class CudaTests
{
    private readonly ITestOutputHelper _output;

    public CudaTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void EmbeddedPtxHasEveryKernelWithTheParameterTypesTheLaunchesPass()
    {
        string ptx = CudaModule.EmbeddedPtxText();
        Assert.Contains(".target sm_80", ptx);
        Assert.Contains(".address_size 64", ptx);
        var entries = new Dictionary<string, string>();
        foreach (Match m in Regex.Matches(ptx, @"\.visible \.entry (\w+)\(([^)]*)\)"))
        {
            string types = string.Join(' ', Regex.Matches(m.Groups[2].Value, @"\.param \.(\w+) ").Select(t => t.Groups[1].Value));
            entries.Add(m.Groups[1].Value, types);
        }
        Assert.Equal(CudaKernels.Signatures.Count, entries.Count);
        foreach ((string name, string parameters) in CudaKernels.Signatures)
        {
            Assert.True(entries.TryGetValue(name, out string? actual), $"the PTX has no .entry {name}");
            Assert.Equal(parameters, actual);
        }
    }

    [Fact]
    public void EmbeddedPtxHasNoFusedMultiplyAddAndNoLibdevice()
    {
        // build-ptx.sh passes -ffp-contract=off (the CPU never fuses); -nocudalib: no __nv_* calls left unresolved.
        string ptx = CudaModule.EmbeddedPtxText();
        Assert.DoesNotContain("fma.", ptx);
        Assert.DoesNotContain("__nv_", ptx);
        Assert.DoesNotContain(".extern .func", ptx);
    }

    [Fact]
    public void WithoutAGpuCudaSaysWhatIsMissing()
    {
        if (CudaDevice.IsAvailable)
        {
            _output.WriteLine("SKIPPED: a CUDA device is available here; this test checks the machines without one.");
            return;
        }

        string reason = CudaDevice.UnavailableReason!;
        Assert.Matches("libcuda.so.1|cuInit|no CUDA device|Linux and Windows", reason);
        var e = Assert.Throws<InvalidOperationException>(() => CudaDevice.Open());
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("CUDA is not available: ", e.Message);
    }

    [Fact]
    public void AFailedDriverCallNamesTheCallAndTheResult()
    {
        var e = Assert.Throws<CudaException>(() => CudaDriver.ThrowIfFailed(2, "cuMemAlloc(4096 bytes)"));
        Assert.Equal("cuMemAlloc(4096 bytes)", e.Call);
        Assert.Equal(2, e.Result);
        Assert.StartsWith("cuMemAlloc(4096 bytes) failed: ", e.Message);
        if (CudaDevice.IsAvailable)
        {
            Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        }
        CudaDriver.ThrowIfFailed(0, "cuInit"); // success does not throw
    }

    [Fact]
    public void KernelArgumentsFillEightByteSlotsAsTheDriverReadsThem()
    {
        Assert.Equal(0xFFFFFFFEUL, ((KernelArg)(-2)).Bits);
        Assert.Equal((ulong)BitConverter.SingleToUInt32Bits(1.5f), ((KernelArg)1.5f).Bits);
        Assert.Equal(BitConverter.DoubleToUInt64Bits(0.25), ((KernelArg)0.25).Bits);
        Assert.Equal(0x9E3779B97F4A7C15UL, ((KernelArg)0x9E3779B97F4A7C15UL).Bits);
    }

    [Fact]
    public void OnAGpuReluSgemmAndDropoutMatchTheCpu()
    {
        if (!CudaDevice.IsAvailable)
        {
            // xunit 2 has no dynamic skip: say why in the output and return.
            _output.WriteLine("SKIPPED: " + CudaDevice.UnavailableReason);
            return;
        }

        using CudaDevice device = CudaDevice.Open();
        using var kernels = new CudaKernels(device);
        const int B = 37, I = 53, O = 19;
        float[] x = Random(B * I, 1), w = Random(O * I, 2), b = Random(O, 3);
        var expected = new float[B * O];
        Kernels.Dense.Forward<float>(x, w, b, expected, B, I, O, fuseReLU: true);
        using DeviceBuffer<float> dx = device.Upload<float>(x), dw = device.Upload<float>(w), db = device.Upload<float>(b);
        using DeviceBuffer<float> dy = device.Allocate<float>(B * O);
        kernels.Sgemm(false, true, B, O, I, dx, I, dw, I, dy, O, 0, db, CudaActivation.ReLU);
        float[] actual = dy.ToArray();
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"y[{i}]: {actual[i]} vs {expected[i]}");
        }

        ulong key = CounterRng.Key(5, CounterRng.DropoutStream, 1, 3);
        var mask = new float[B * I];
        var cpuY = new float[B * I];
        Kernels.Dropout.Forward<float>(x, cpuY, mask, 0.3, key);
        using DeviceBuffer<float> gy = device.Allocate<float>(B * I), gm = device.Allocate<float>(B * I);
        kernels.DropoutForward(dx, gy, gm, 0.3, key);
        Assert.Equal(mask, gm.ToArray());
        Assert.Equal(cpuY, gy.ToArray());
    }

    private static float[] Random(int n, ulong stream)
    {
        ulong key = CounterRng.Key(11, stream, 0, 0);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (CounterRng.Uniform(key, (ulong)i) * 2) - 1;
        }
        return values;
    }
}
