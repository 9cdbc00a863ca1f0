using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;
using static NetGen.Tests.CudaParity;

namespace NetGen.Tests;

/// <summary>
/// Fractional max pooling on Backend.Cuda against Backend.Cpu, on the emulated driver: the same initial weights bit for
/// bit; Predict (the inference regions of each channel) and the training-mode loss and every gradient (a region per sample
/// and channel, drawn on the device from the CPU's key) within 1e-4 relative; ten training steps within 1e-3 (each step a
/// new key, rewritten into the replayed graph); a CUDA model saved and loaded on the CPU predicting the same. Then the graphs
/// replayed against the same network launched one by one: the same losses, parameters and predictions bit for bit.
/// "Relative" is per tensor, as in <see cref="CudaParityTests"/>.
/// </summary>
[Collection(nameof(CudaCountingCollection))]
public sealed class CudaFmpParityTests
{
    public static TheoryData<string> Networks() => new() { "FmpAdam", "FractionalPoolMomentum", "GcFractionalPool" };

    private static INeuralNetwork<int> Create(string name, ulong seed, Backend backend) => name switch
    {
        "FmpAdam" => new CudaFmpAdamNet(seed, backend),
        "FractionalPoolMomentum" => new FractionalPoolMomentum(seed, backend), // by ratio and by size, weight decay
        "GcFractionalPool" => new GcFractionalPool(seed, backend),             // a pooling of a pooling (its dx gathered twice)
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(Networks))]
    public void ForwardGradientsAndTenStepsMatchTheCpu(string name)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> cpu = Create(name, 11, Backend.Cpu);
        INeuralNetwork<int> gpu = Create(name, 11, Backend.Cuda);
        int inputs = cpu.InputSize, outputs = cpu.OutputSize, full = cpu.MaxBatch;
        long launches = EmulatedCudaDriver.Launches;
        Sync(gpu);
        Assert.Equal(cpu.Parameters.ToArray(), gpu.Parameters.ToArray()); // same seed, same weights, bit for bit

        // Inference: the fixed regions of each channel; more rows than MaxBatch, so also a shorter chunk.
        float[] x = Inputs((full + 3) * inputs, 42);
        float[] expected = new float[(full + 3) * outputs], actual = new float[(full + 3) * outputs];
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-4, "Predict");

        // Training: the regions of (seed, node, step) per sample and channel, the loss and every gradient.
        float[] batch = Inputs(full * inputs, 43);
        int[] t = Labels(full, outputs);
        float lossCpu = cpu.ComputeGradients(batch, t), lossGpu = gpu.ComputeGradients(batch, t);
        Assert.Equal(lossCpu, lossGpu, 1e-4 * Math.Abs(lossCpu));
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            AssertClose(cpu.Gradients.Slice(info.Offset, info.Length).ToArray(), gpu.Gradients.Slice(info.Offset, info.Length).ToArray(), 1e-4, "gradient of " + info.Key);
        }

        var losses = new List<string>();
        double worst = 0;
        for (int step = 0; step < 10; step++)
        {
            int rows = step == 4 ? full - 1 : full; // one smaller batch: the device views are laid out again
            float[] xs = Inputs(rows * inputs, 100 + step);
            int[] ts = Labels(rows, outputs);
            lossCpu = cpu.TrainStep(xs, ts);
            lossGpu = gpu.TrainStep(xs, ts);
            losses.Add($"step {step} (B = {rows}): {lossGpu} on CUDA, {lossCpu} on the CPU");
            worst = Math.Max(worst, Math.Abs(lossCpu - lossGpu) / Math.Abs(lossCpu));
        }

        Assert.True(worst <= 1e-3, "the losses of the ten steps differ by more than 1e-3 relative: " + string.Join("; ", losses));
        Assert.Equal(cpu.Step, gpu.Step);
        Assert.True(EmulatedCudaDriver.Launches - launches > 100, "the CUDA instance ran its kernels on the (emulated) device");
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            AssertClose(cpu.Parameters.Slice(info.Offset, info.Length).ToArray(), gpu.Parameters.Slice(info.Offset, info.Length).ToArray(), 1e-3, info.Key + " after 10 steps");
        }

        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-3, "Predict after 10 steps");

        // The inference regions are keyed by the seed (not saved): the loading network has the same seed.
        var saved = new MemoryStream();
        gpu.Save(saved);
        INeuralNetwork<int> loaded = Create(name, 11, Backend.Cpu);
        loaded.TrainStep(Inputs(full * inputs, 7), Labels(full, outputs)); // other weights before the load
        saved.Position = 0;
        loaded.Load(saved);
        float[] reloaded = new float[actual.Length];
        loaded.Predict(x, reloaded);
        AssertClose(actual, reloaded, 1e-4, "Predict of the CPU model loaded from the CUDA one");
    }

    [EmulatedCudaFact]
    public void TheRegionsOfEachStepTakeEffectUnderReplay()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaFmpAdamNet(21, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaFmpAdamNet(21, Backend.Cuda);
        const int Steps = 6, N = 2 * 9 * 9;
        var eagerLosses = new float[Steps];
        var graphLosses = new float[Steps];
        long graphLaunches = EmulatedCudaDriver.GraphLaunches;
        for (int i = 0; i < Steps; i++)
        {
            eagerLosses[i] = eager.TrainStep(Inputs(4 * N, 200 + i), Labels(4, 3));
        }

        Assert.Equal(graphLaunches, EmulatedCudaDriver.GraphLaunches); // launch by launch: no graph
        for (int i = 0; i < Steps; i++)
        {
            graphLosses[i] = graphs.TrainStep(Inputs(4 * N, 200 + i), Labels(4, 3));
        }

        Assert.Equal(2 * Steps, EmulatedCudaDriver.GraphLaunches - graphLaunches); // each step: the gradient graph and the update graph
        Assert.Equal(Bits(eagerLosses), Bits(graphLosses));
        eager.CopyFromDevice();
        graphs.CopyFromDevice();
        Assert.Equal(Bits(eager.Parameters), Bits(graphs.Parameters));
        float[] x = Inputs(7 * N, 99), e = new float[7 * 3], g = new float[7 * 3];
        eager.Predict(x, e);
        graphs.Predict(x, g);
        Assert.Equal(Bits(e), Bits(g));

        // Learning rate 0: the parameters stay, only the step's key moves the regions. The gradients of step 0 and step 1
        // differ, and each is the CPU's at that step.
        var cpu = new CudaFmpAdamNet(21) { LearningRate = 0 };
        using var gpu = new CudaFmpAdamNet(21, Backend.Cuda) { LearningRate = 0 };
        float[] same = Inputs(4 * N, 300);
        int[] labels = Labels(4, 3);
        var steps = new List<int[]>();
        for (int step = 0; step < 2; step++)
        {
            cpu.ComputeGradients(same, labels);
            gpu.ComputeGradients(same, labels);
            gpu.CopyFromDevice();
            AssertClose(cpu.Gradients.ToArray(), gpu.Gradients.ToArray(), 1e-4, $"gradients at step {step}");
            steps.Add(Bits(gpu.Gradients));
            cpu.TrainStep(same, labels);
            gpu.TrainStep(same, labels);
        }

        Assert.NotEqual(steps[0], steps[1]);
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
}
