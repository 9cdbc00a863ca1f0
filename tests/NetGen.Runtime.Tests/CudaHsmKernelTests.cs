using NetGen.Cuda;
using NetGen.Cuda.Emulation;
using NetGen.Kernels;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The hierarchical softmax kernels of src/Runtime/Cuda/kernels_hsm.cu on the emulated driver (tests/cuda-host), against
/// the C# CPU kernels <see cref="HierarchicalSoftmax"/>: the loss terms, ∂L/∂h, ∂L/∂V and ∂L/∂b within 1e-5 (the scores are
/// the CPU's float dot products bit for bit; e^x and ln(1 + x) are the device's), the distribution within 1e-5, the greedy
/// classes equal; over a balanced tree of 13 classes (paths of 3 and 4 steps), a skewed tree given as a parent array, and
/// rows whose paths share nodes. The node gradients are a gather in row order: launched twice, the same bits. Skips (with
/// the reason) without g++.
/// </summary>
[Collection(nameof(EmulatedDriverCollection))]
public sealed class CudaHsmKernelTests
{
    private readonly ITestOutputHelper _output;

    public CudaHsmKernelTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Trees() => new() { "balanced", "parents" };

    [Theory]
    [MemberData(nameof(Trees))]
    public void LossGradientsDistributionAndGreedyClassesMatchTheCpu(string kind)
    {
        if (EmulatedCudaDriver.UnavailableReason is { } reason)
        {
            _output.WriteLine("SKIPPED: " + reason); // xunit 2 has no dynamic skip
            return;
        }

        using IDisposable driver = EmulatedCudaDriver.Use();
        HierarchicalSoftmaxTree tree = kind == "balanced"
            ? HierarchicalSoftmaxTree.Balanced(13)
            : HierarchicalSoftmaxTree.FromParents([-1, 0, 1, 2, 0, 1, 2, 3, 3, 4, 4]); // 6 classes, paths of 2 to 4 steps
        int classes = tree.Classes, batch = 11, features = 7;
        float[] h = Input(1, batch * features, 1), v = Input(2, tree.Nodes * features, 0.8f), b = Input(3, tree.Nodes, 0.5f);
        int[] labels = Enumerable.Range(0, batch).Select(i => (i * 5 + 2) % ((classes + 1) / 2)).ToArray(); // the first half: some nodes unused
        float[] dh = new float[h.Length], dv = new float[v.Length], db = new float[b.Length], p = new float[batch * classes];
        int[] greedy = new int[batch];
        double loss = HierarchicalSoftmax.Loss<float>(h, labels, dh, batch, features, v, b, dv, db, tree);
        HierarchicalSoftmax.Probabilities<float>(h, batch, features, v, b, p, tree);
        HierarchicalSoftmax.GreedyClasses<float>(h, batch, features, v, b, greedy, tree);

        using CudaDevice device = CudaDevice.Open();
        using var k = new CudaKernels(device);
        int[] table = CudaKernels.HierarchicalSoftmaxTable(tree);
        using DeviceBuffer<int> gt = device.Upload<int>(table), gl = device.Upload<int>(labels), gc = device.Allocate<int>(batch);
        using DeviceBuffer<float> gh = device.Upload<float>(h), gv = device.Upload<float>(v), gb = device.Upload<float>(b);
        using DeviceBuffer<float> gdh = device.Allocate<float>(dh.Length), gdv = device.Upload<float>(Input(4, v.Length, 9)), gdb = device.Upload<float>(Input(5, b.Length, 9));
        using DeviceBuffer<float> steps = device.Allocate<float>(batch * tree.MaxDepth), gp = device.Allocate<float>(p.Length);
        using DeviceBuffer<double> terms = device.Allocate<double>(batch);
        k.HierarchicalSoftmaxLoss(gh, gl, gv, gb, gt, gdh, steps, terms, batch, features, classes, tree.MaxDepth);
        k.HierarchicalSoftmaxNodeGradients(gh, gl, steps, gt, gdv, gdb, batch, features, classes, tree.MaxDepth);
        Assert.Equal(loss, terms.ToArray().Sum(), 1e-5 * loss);
        Close(gdh.ToArray(), dh, "dh");
        Close(gdv.ToArray(), dv, "dV");
        Close(gdb.ToArray(), db, "db");
        Assert.Contains(db, g => g == 0); // a node no row's path passes: 0 on the CPU, and the device overwrote its garbage
        float[] first = gdv.ToArray();
        k.HierarchicalSoftmaxNodeGradients(gh, gl, steps, gt, gdv, gdb, batch, features, classes, tree.MaxDepth);
        Assert.Equal(first, gdv.ToArray()); // no atomics: the same bits run to run

        k.HierarchicalSoftmaxProbabilities(gh, gv, gb, gt, gp, batch, features, classes);
        Close(gp.ToArray(), p, "p");
        k.HierarchicalSoftmaxGreedy(gh, gv, gb, gt, gc, batch, features, classes);
        Assert.Equal(greedy, gc.ToArray());
    }

    [Fact]
    public void TheTableHoldsThePathsDepthsAndChildren()
    {
        HierarchicalSoftmaxTree tree = HierarchicalSoftmaxTree.Balanced(5); // node 0: {0,1,2} | {3,4}; node 1: {0,1} | {2}; node 2: 0 | 1; node 3: 3 | 4
        int[] table = CudaKernels.HierarchicalSoftmaxTable(tree);
        int[] expected =
        [
            0, 3, 6, 8, 10, 12,        // path starts, P = 12 steps
            0, 1, 2, 0, 1, 2, 0, 1, 0, 3, 0, 3, // nodes
            1, 1, 1, 1, 1, -1, 1, -1, -1, 1, -1, -1, // codes
            0, 1, 2, 1,                // depths
            1, 2, ~0, ~3,              // left children
            3, ~2, ~1, ~4,             // right children
        ];
        Assert.Equal(expected, table);
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
        using DeviceBuffer<float> h = device.Allocate<float>(4 * 3), v = device.Allocate<float>(3 * 3), b = device.Allocate<float>(4), p = device.Allocate<float>(4 * 5);
        using DeviceBuffer<int> t = device.Upload<int>(CudaKernels.HierarchicalSoftmaxTable(HierarchicalSoftmaxTree.Balanced(5)));
        ArgumentException e = Assert.Throws<ArgumentException>(() => k.HierarchicalSoftmaxProbabilities(h, v, b, t, p, 4, 3, 5)); // V of 3 nodes for 5 classes
        Assert.Equal("nodeWeight", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => k.HierarchicalSoftmaxProbabilities(h, b, b, t, p, 5, 1, 5)); // 20 probabilities for 5 rows of 5 classes
        Assert.Equal("probabilities", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => k.HierarchicalSoftmaxProbabilities(h, v, b, t, p, 4, 3, 1));
    }

    /// <summary>|emulated − CPU| ≤ 1e-5 · max over the tensor of |CPU| (floored at 1e-3).</summary>
    private static void Close(float[] emulated, float[] cpu, string what)
    {
        Assert.Equal(cpu.Length, emulated.Length);
        double scale = Math.Max(1e-3, cpu.Max(MathF.Abs)), worst = 0;
        for (int i = 0; i < cpu.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)emulated[i] - cpu[i]));
        }

        Assert.True(worst <= 1e-5 * scale, $"{what}: largest difference {worst:G4} over largest magnitude {scale:G4}");
    }

    /// <summary>(Uniform(Key(13, stream, 0, 0), i) · 2 − 1) · scale.</summary>
    private static float[] Input(ulong stream, int n, float scale)
    {
        ulong key = CounterRng.Key(13, stream, 0, 0);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = ((CounterRng.Uniform(key, (ulong)i) * 2.0f) - 1.0f) * scale;
        }

        return values;
    }
}
