using System.Runtime.CompilerServices;
using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>The tests that count the emulated driver's allocations and graph launches: the fake's counters are per process,
/// so they run alone.</summary>
[CollectionDefinition(nameof(CudaCountingCollection), DisableParallelization = true)]
public sealed class CudaCountingCollection;

/// <summary>
/// Backend.Cuda's device memory and launches (docs/cuda.md, docs/adr/0045-device-arenas-dispose-and-cuda-graphs.md), on the
/// emulated driver: two device arenas (state, activations) whose activation arena only grows, so 64 → 1 → 64 rows allocates
/// nothing after the first call; Dispose frees every allocation (and the finalizer what was not disposed); a call after
/// Dispose throws ObjectDisposedException naming the network; the step and Predict as CUDA graphs captured once per batch
/// size and replayed with the per-step values (learning rate, Adam's step, dropout keys), bit for bit the launch-by-launch
/// results.
/// </summary>
[Collection(nameof(CudaCountingCollection))]
public sealed class CudaArenaTests
{
    private const int Inputs = CudaArenaAdamNet.InputSize;

    [EmulatedCudaFact]
    public void SixtyFourThenOneThenSixtyFourRowsAllocateNothingAfterTheFirstStep()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        long before = EmulatedCudaDriver.AllocationCalls;
        using var net = new CudaArenaAdamNet(3, Backend.Cuda);
        long constructed = EmulatedCudaDriver.AllocationCalls;
        Assert.Equal(2, constructed - before); // the state arena and the runtime's one-double reduction
        net.TrainStep(X(64, 1), Labels(64));
        Assert.Equal(1, EmulatedCudaDriver.AllocationCalls - constructed); // the activation arena, for 64 rows
        long afterFirst = EmulatedCudaDriver.AllocationCalls;
        var output = new float[3];
        net.Predict(X(1, 2), output);
        net.TrainStep(X(64, 3), Labels(64));
        net.Predict(X(1, 4), output);
        net.TrainStep(X(64, 5), Labels(64));
        net.ComputeGradients(X(17, 6), Labels(17));
        Assert.Equal(afterFirst, EmulatedCudaDriver.AllocationCalls);
    }

    [EmulatedCudaFact]
    public void TheActivationArenaGrowsOnlyForALargerBatchAndFreesTheOldOne()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var net = new CudaArenaAdamNet(3, Backend.Cuda);
        long live = EmulatedCudaDriver.LiveAllocations, calls = EmulatedCudaDriver.AllocationCalls;
        var output = new float[3];
        net.Predict(X(1, 1), output); // an arena for 1 row
        Assert.Equal(calls + 1, EmulatedCudaDriver.AllocationCalls);
        net.TrainStep(X(64, 2), Labels(64)); // grows to 64 rows: a new arena, the old one freed
        Assert.Equal(calls + 2, EmulatedCudaDriver.AllocationCalls);
        Assert.Equal(live + 1, EmulatedCudaDriver.LiveAllocations);
        net.Predict(X(1, 3), output);
        net.TrainStep(X(32, 4), Labels(32));
        Assert.Equal(calls + 2, EmulatedCudaDriver.AllocationCalls);
    }

    [EmulatedCudaFact]
    public void GraphReplaysAreBitIdenticalToLaunchByLaunchOverTenStepsWithALearningRateChange()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaArenaAdamNet(7, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaArenaAdamNet(7, Backend.Cuda);
        Assert.False(eager.CudaGraphs);
        Assert.True(graphs.CudaGraphs);

        long graphLaunches = EmulatedCudaDriver.GraphLaunches;
        float[] eagerLosses = Train(eager);
        Assert.Equal(graphLaunches, EmulatedCudaDriver.GraphLaunches); // launch by launch: no graph

        long updates = EmulatedCudaDriver.NodeUpdates, instantiations = EmulatedCudaDriver.Instantiations;
        graphLaunches = EmulatedCudaDriver.GraphLaunches;
        float[] graphLosses = Train(graphs);
        Assert.Equal(2 * 10 + 1, EmulatedCudaDriver.GraphLaunches - graphLaunches); // each step: gradients, update; then Predict
        Assert.Equal(3, EmulatedCudaDriver.Instantiations - instantiations); // captured once each: gradients (B = 64), update, Predict
        // Replays rewrote exactly the nodes whose arguments change per step, from the second step on: the Adam update of each
        // of the 7 parameter tensors (bias corrections, learning rate) and the dropout mask (its key).
        Assert.Equal(9 * (7 + 1), EmulatedCudaDriver.NodeUpdates - updates);

        Assert.Equal(eagerLosses, graphLosses);
        eager.CopyFromDevice();
        graphs.CopyFromDevice();
        Assert.Equal(Bits(eager.Parameters), Bits(graphs.Parameters));
        Assert.Equal(Bits(eager.Gradients), Bits(graphs.Gradients));
        var a = new float[64 * 3];
        var b = new float[64 * 3];
        eager.Predict(X(64, 50), a);
        graphs.Predict(X(64, 50), b);
        Assert.Equal(Bits(a), Bits(b));

        // The learning-rate change took effect under replay: a copy that keeps the first rate ends elsewhere.
        using var unchanged = new CudaArenaAdamNet(7, Backend.Cuda);
        Train(unchanged, changeRate: false);
        unchanged.CopyFromDevice();
        Assert.NotEqual(Bits(graphs.Parameters), Bits(unchanged.Parameters));
    }

    [EmulatedCudaFact]
    public void AnotherBatchSizeGetsAGraphOfItsOwnAndTheFirstIsKept()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaArenaRegressionNet(5, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaArenaRegressionNet(5, Backend.Cuda);
        int[] sizes = [64, 64, 32, 64, 32, 7];
        long[] captured = new long[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            float[] x = X(sizes[i], 10 + i), t = X(sizes[i] * 2 / Inputs + 1, 20 + i).AsSpan(0, sizes[i] * 2).ToArray();
            float l1 = eager.TrainStep(x, t);
            long instantiations = EmulatedCudaDriver.Instantiations;
            float l2 = graphs.TrainStep(x, t);
            captured[i] = EmulatedCudaDriver.Instantiations - instantiations;
            Assert.Equal(BitConverter.SingleToInt32Bits(l1), BitConverter.SingleToInt32Bits(l2));
        }

        // 64: the gradient graph of 64 and the update graph; 32: its own gradient graph; 64 and 32 again: replays; 7: a new one.
        Assert.Equal([2L, 0, 1, 0, 0, 1], captured);
        eager.CopyFromDevice();
        graphs.CopyFromDevice();
        Assert.Equal(Bits(eager.Parameters), Bits(graphs.Parameters));
    }

    [EmulatedCudaTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void AStepAllocatesNoManagedMemoryReplayedOrLaunchedOneByOne(bool graphs)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var net = new CudaArenaAdamNet(3, Backend.Cuda) { CudaGraphs = graphs };
        float[] x = X(64, 1);
        int[] y = Labels(64);
        var output = new float[64 * 3];
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, y); // captures, then replays with rewritten nodes
            net.Predict(x, output);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            net.TrainStep(x, y);
            net.Predict(x, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [EmulatedCudaFact]
    public void DisposeReturnsTheLiveAllocationsToWhereTheyWereAndIsIdempotent()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        // Networks other tests left undisposed are freed first, so that their finalizers do not run inside the count below
        // (a finalizer freeing one during this test made the count fall below where it was).
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        long live = EmulatedCudaDriver.LiveAllocations;
        ulong bytes = EmulatedCudaDriver.AllocatedBytes;
        var net = new CudaArenaAdamNet(3, Backend.Cuda);
        net.TrainStep(X(64, 1), Labels(64));
        net.Predict(X(5, 2), new float[15]);
        Assert.True(EmulatedCudaDriver.LiveAllocations > live);
        net.Dispose();
        Assert.Equal(live, EmulatedCudaDriver.LiveAllocations);
        Assert.Equal(bytes, EmulatedCudaDriver.AllocatedBytes);
        net.Dispose();
        Assert.Equal(live, EmulatedCudaDriver.LiveAllocations);
    }

    [EmulatedCudaFact]
    public void AForgottenDisposeIsFreedByTheFinalizers()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        // Networks other tests left undisposed are freed first, so that their finalizers do not run inside the count below.
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        long live = EmulatedCudaDriver.LiveAllocations;
        long allocated = TrainAndForget();
        Assert.True(allocated > live);
        for (int i = 0; i < 5 && EmulatedCudaDriver.LiveAllocations != live; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Equal(live, EmulatedCudaDriver.LiveAllocations);
    }

    [EmulatedCudaFact]
    public void ACallAfterDisposeThrowsObjectDisposedExceptionNamingTheNetwork()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var net = new CudaArenaAdamNet(3, Backend.Cuda);
        net.Dispose();
        AssertDisposed(() => net.TrainStep(X(4, 1), Labels(4)));
        AssertDisposed(() => net.ComputeGradients(X(4, 1), Labels(4)));
        AssertDisposed(() => net.Predict(X(1, 1), new float[3]));
        AssertDisposed(net.CopyFromDevice);
        AssertDisposed(net.CopyToDevice);
        AssertDisposed(() => net.Save(new MemoryStream()));
        var file = new MemoryStream();
        new CudaArenaAdamNet(4).Save(file);
        file.Position = 0;
        AssertDisposed(() => net.Load(file)); // read, then refused at the copy to the device
    }

    [Fact]
    public void DisposeOnTheCpuIsHarmlessAndTheCallsAfterItThrowAsOnTheGpu()
    {
        var net = new CudaArenaAdamNet(3);
        var output = new float[3];
        net.Predict(X(1, 1), output);
        Assert.True(net.CudaGraphs); // no effect on the CPU; reads what was set
        net.Dispose();
        net.Dispose();
        AssertDisposed(() => net.Predict(X(1, 1), output));
        AssertDisposed(() => net.TrainStep(X(4, 1), Labels(4)));
        AssertDisposed(() => net.Save(new MemoryStream()));
        Assert.IsAssignableFrom<IDisposable>(new CudaArenaRegressionNet(1));
    }

    private static void AssertDisposed(Action call)
    {
        var e = Assert.Throws<ObjectDisposedException>(call);
        Assert.Contains("CudaArenaAdamNet", e.Message, StringComparison.Ordinal);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long TrainAndForget()
    {
        var net = new CudaArenaAdamNet(3, Backend.Cuda);
        net.TrainStep(X(64, 1), Labels(64));
        return EmulatedCudaDriver.LiveAllocations;
    }

    /// <summary>Ten steps at batch 64 (the learning rate halved before step 6 unless told otherwise), then a Predict.</summary>
    private static float[] Train(CudaArenaAdamNet net, bool changeRate = true)
    {
        var losses = new float[10];
        for (int step = 0; step < 10; step++)
        {
            if (step == 5 && changeRate)
            {
                net.LearningRate = 0.005;
            }

            losses[step] = net.TrainStep(X(64, 100 + step), Labels(64));
        }

        net.Predict(X(64, 99), new float[64 * 3]);
        return losses;
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        }

        return bits;
    }

    private static float[] X(int rows, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * Inputs];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static int[] Labels(int rows)
    {
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = (i * 7 + 1) % 3;
        }

        return labels;
    }
}
