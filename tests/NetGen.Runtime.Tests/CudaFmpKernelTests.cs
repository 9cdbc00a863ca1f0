using NetGen.Cuda;
using NetGen.Cuda.Emulation;
using NetGen.Kernels;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The fractional max pooling kernels of src/Runtime/Cuda/kernels_fmp.cu on the emulated driver (tests/cuda-host: the .cu
/// compiled for the host with g++, reached through CudaKernels' launches), against the C# CPU kernel
/// <see cref="FractionalMaxPool2D"/>: the output, the argmax and the input gradient bit for bit, in training (a region per
/// sample and channel) and at inference (a region per channel), for many keys. The device computes the window starts itself
/// from the key, so equal argmaxes mean equal regions. Inputs are rounded to few distinct values (ties in the windows) and
/// the geometries include k = 1, one output row, heavy overlap (k = 3, α = 1), non-square planes and the most outputs
/// (Ho + k − 1 = H). Skips (with the reason) without g++.
/// </summary>
[Collection(nameof(EmulatedDriverCollection))]
public sealed class CudaFmpKernelTests
{
    private readonly ITestOutputHelper _output;

    public CudaFmpKernelTests(ITestOutputHelper output) => _output = output;

    /// <summary>B, C, H, W, k, Ho, Wo.</summary>
    public static readonly int[][] Cases =
    [
        [3, 2, 8, 8, 2, 5, 5],    // Graham's ratio ≈ 0.7, overlapping 2×2 windows
        [2, 3, 8, 8, 3, 6, 6],    // α = 1, k = 3: every input in up to 3×3 windows
        [2, 2, 9, 7, 2, 7, 4],    // α = 7/6 along H, 5/3 along W: non-square
        [2, 2, 7, 7, 3, 1, 2],    // one output row: start = H − k
        [1, 4, 6, 10, 1, 4, 7],   // k = 1: disjoint single-pixel windows
        [2, 1, 5, 5, 2, 4, 4],    // the most outputs: Ho + k − 1 = H
    ];

    public static TheoryData<int> Indices() => [.. Enumerable.Range(0, Cases.Length)];

    [Theory]
    [MemberData(nameof(Indices))]
    public void ForwardArgmaxAndBackwardAreTheCpusBitForBit(int index)
    {
        if (EmulatedCudaDriver.UnavailableReason is { } reason)
        {
            _output.WriteLine("SKIPPED: " + reason); // xunit 2 has no dynamic skip
            return;
        }

        using IDisposable driver = EmulatedCudaDriver.Use();
        int[] c = Cases[index];
        int batch = c[0];
        var g = new FractionalPool2DGeometry(c[1], c[2], c[3], c[4], c[5], c[6]);
        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);
        int shared = 0;
        for (ulong step = 0; step < 6; step++)
        {
            // Few distinct values (ties: the first in row-major order wins) and a NaN in one case (NaN wins).
            float[] x = Input(100 + step, batch * g.InputLength, 3).Select(MathF.Floor).ToArray();
            if (step == 5)
            {
                x[x.Length / 3] = float.NaN;
            }

            float[] dy = Input(200 + step, batch * g.OutputLength, 1);
            using DeviceBuffer<float> gx = device.Upload<float>(x), gdy = device.Upload<float>(dy);
            using DeviceBuffer<float> gy = device.Allocate<float>(dy.Length), gdx = device.Allocate<float>(x.Length);
            using DeviceBuffer<int> garg = device.Allocate<int>(dy.Length);
            float[] y = new float[dy.Length], dx = new float[x.Length];
            int[] argmax = new int[dy.Length];

            // Training: the key of (seed 5, node 2, step), a region per sample and channel.
            ulong key = CounterRng.Key(5, CounterRng.DropoutStream, 2, step);
            FractionalMaxPool2D.Forward<float>(x, y, argmax, batch, g, key, samplePerRow: true);
            FractionalMaxPool2D.Backward<float>(dy, argmax, dx, batch, g);
            k.FractionalMaxPool2DForward(gx, gy, garg, batch, g, key, samplePerRow: true);
            Assert.Equal(argmax, garg.ToArray());
            Assert.Equal(Bits(y), Bits(gy.ToArray()));
            k.FractionalMaxPool2DBackward(gdy, garg, gdx, batch, g, key, samplePerRow: true);
            Assert.Equal(Bits(dx), Bits(gdx.ToArray()));
            shared += SharedWinners(argmax, batch * g.Channels, g.OutHeight * g.OutWidth);

            // Inference: the regions of channel c for every row, no argmax stored.
            ulong inference = CounterRng.Key(5, CounterRng.DropoutStream, 2, FractionalMaxPool2D.InferenceStep);
            FractionalMaxPool2D.Forward<float>(x, y, default, batch, g, inference, samplePerRow: false);
            k.FractionalMaxPool2DForward(gx, gy, null, batch, g, inference, samplePerRow: false);
            Assert.Equal(Bits(y), Bits(gy.ToArray()));

            // The inference regions again, with the argmax: the same for every sample of a channel.
            FractionalMaxPool2D.Forward<float>(x, y, argmax, batch, g, inference, samplePerRow: false);
            FractionalMaxPool2D.Backward<float>(dy, argmax, dx, batch, g);
            k.FractionalMaxPool2DForward(gx, gy, garg, batch, g, inference, samplePerRow: false);
            Assert.Equal(argmax, garg.ToArray());
            k.FractionalMaxPool2DBackward(gdy, garg, gdx, batch, g, inference, samplePerRow: false);
            Assert.Equal(Bits(dx), Bits(gdx.ToArray()));
        }

        if (Overlap(g.Height, g.Kernel, g.OutHeight) || Overlap(g.Width, g.Kernel, g.OutWidth))
        {
            // Overlapping windows sharing a winner: the gather adds several dy into one dx, as the CPU's scatter does.
            Assert.True(shared > 0, "no two outputs chose the same input: the overlap case was not exercised");
        }
    }

    [Fact]
    public void TheLaunchesCheckTheirBuffers()
    {
        if (EmulatedCudaDriver.UnavailableReason is { } reason)
        {
            _output.WriteLine("SKIPPED: " + reason);
            return;
        }

        using IDisposable driver = EmulatedCudaDriver.Use();
        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);
        var g = new FractionalPool2DGeometry(2, 8, 8, 2, 5, 5);
        using DeviceBuffer<float> x = device.Allocate<float>(2 * g.InputLength), y = device.Allocate<float>(2 * g.OutputLength);
        using DeviceBuffer<int> argmax = device.Allocate<int>(g.OutputLength);
        ArgumentException e = Assert.Throws<ArgumentException>(() => k.FractionalMaxPool2DForward(x, y, argmax, 2, g, 1, samplePerRow: true));
        Assert.Equal("argmax", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => k.FractionalMaxPool2DBackward(y, argmax, x, 3, g, 1, samplePerRow: true));
        Assert.Equal("dx", e.ParamName);
        Assert.Throws<ArgumentException>(() => k.FractionalMaxPool2DForward(x, y, null, 2, default, 1, samplePerRow: false));
    }

    /// <summary>Whether neighbouring windows share inputs along a dimension: α = (N − k)/(n − 1) &lt; k.</summary>
    private static bool Overlap(int input, int kernel, int output) => output > 1 && input - kernel < (long)kernel * (output - 1);

    /// <summary>Outputs whose winner another output of the same plane also chose.</summary>
    private static int SharedWinners(int[] argmax, int planes, int plane)
    {
        int shared = 0;
        for (int p = 0; p < planes; p++)
        {
            var seen = new HashSet<int>();
            for (int o = p * plane; o < (p + 1) * plane; o++)
            {
                shared += seen.Add(argmax[o]) ? 0 : 1;
            }
        }

        return shared;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

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
}

/// <summary>The test classes that open a device on the emulated driver: one at a time, because
/// <c>CudaEmulatedDriverTests.AnOldDeviceAndNoDeviceAreRejectedWithTheirReasons</c> reconfigures the process-wide fake (an
/// old device, then none) while it runs.</summary>
[CollectionDefinition(nameof(EmulatedDriverCollection))]
public sealed class EmulatedDriverCollection;
