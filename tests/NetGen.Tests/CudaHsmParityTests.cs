using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;
using static NetGen.Tests.CudaParity;

namespace NetGen.Tests;

/// <summary>
/// The hierarchical softmax on Backend.Cuda against Backend.Cpu, on the emulated driver, for the networks of
/// Networks.Hsm.cs (a balanced tree under Adam with weight decay on the node vectors, a given tree under momentum, a
/// 9-class tree under SGD): the same initial weights bit for bit (the node parameters start at 0 on both); Predict (the
/// full distribution over the classes) and the training loss and every gradient, the node vectors' and biases' included,
/// within 1e-4 relative; ten training steps within 1e-3; PredictClasses (the greedy descent on the device) the CPU's
/// classes; a CUDA model loaded on the CPU predicting the same. Then the graphs replayed against launch by launch, bit for
/// bit. "Relative" is per tensor, as in <see cref="CudaParityTests"/>.
/// </summary>
[Collection(nameof(CudaCountingCollection))]
public sealed class CudaHsmParityTests
{
    public static TheoryData<string> Networks() => new() { "HsmAdam", "HsmTreeMomentum", "GcHsm" };

    private static INeuralNetwork<int> Create(string name, ulong seed, Backend backend) => name switch
    {
        "HsmAdam" => new HsmAdam(seed, backend),                 // balanced tree of 7 classes, weight decay
        "HsmTreeMomentum" => new HsmTreeMomentum(seed, backend), // a given tree (parent array) of 4 classes
        "GcHsm" => new GcHsm(seed, backend),                     // 9 classes: paths of 3 and 4 steps
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static void PredictClasses(INeuralNetwork<int> network, float[] x, int[] classes)
    {
        switch (network)
        {
            case HsmAdam n: n.PredictClasses(x, classes); break;
            case HsmTreeMomentum n: n.PredictClasses(x, classes); break;
            case GcHsm n: n.PredictClasses(x, classes); break;
            default: throw new ArgumentOutOfRangeException(nameof(network));
        }
    }

    [EmulatedCudaTheory]
    [MemberData(nameof(Networks))]
    public void ForwardGradientsTenStepsAndClassesMatchTheCpu(string name)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> cpu = Create(name, 11, Backend.Cpu);
        INeuralNetwork<int> gpu = Create(name, 11, Backend.Cuda);
        int inputs = cpu.InputSize, outputs = cpu.OutputSize, full = cpu.MaxBatch;
        long launches = EmulatedCudaDriver.Launches;
        Sync(gpu);
        Assert.Equal(cpu.Parameters.ToArray(), gpu.Parameters.ToArray()); // same seed, same weights, bit for bit

        // One step first: the node parameters start at 0, where every branch is ½ and Predict is uniform.
        float[] first = Inputs(full * inputs, 41);
        Assert.Equal(cpu.TrainStep(first, Labels(full, outputs)), gpu.TrainStep(first, Labels(full, outputs)), 1e-4);

        float[] x = Inputs((full + 3) * inputs, 42);
        float[] expected = new float[(full + 3) * outputs], actual = new float[(full + 3) * outputs];
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-4, "Predict (the distribution over the classes)");

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
            int rows = step == 4 ? full - 1 : full;
            float[] xs = Inputs(rows * inputs, 100 + step);
            int[] ts = Labels(rows, outputs);
            lossCpu = cpu.TrainStep(xs, ts);
            lossGpu = gpu.TrainStep(xs, ts);
            losses.Add($"step {step} (B = {rows}): {lossGpu} on CUDA, {lossCpu} on the CPU");
            worst = Math.Max(worst, Math.Abs(lossCpu - lossGpu) / Math.Abs(lossCpu));
        }

        Assert.True(worst <= 1e-3, "the losses of the ten steps differ by more than 1e-3 relative: " + string.Join("; ", losses));
        Assert.True(EmulatedCudaDriver.Launches - launches > 100, "the CUDA instance ran its kernels on the (emulated) device");
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            AssertClose(cpu.Parameters.Slice(info.Offset, info.Length).ToArray(), gpu.Parameters.Slice(info.Offset, info.Length).ToArray(), 1e-3, info.Key + " after 10 steps");
        }

        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-3, "Predict after 10 steps");
        int[] classesCpu = new int[full + 3], classesGpu = new int[full + 3];
        PredictClasses(cpu, x, classesCpu);
        PredictClasses(gpu, x, classesGpu);
        Assert.Equal(classesCpu, classesGpu);
        Assert.True(classesCpu.Distinct().Count() > 1, "the greedy descent reached a single class: the comparison says little");

        var saved = new MemoryStream();
        gpu.Save(saved);
        INeuralNetwork<int> loaded = Create(name, 99, Backend.Cpu);
        saved.Position = 0;
        loaded.Load(saved);
        float[] reloaded = new float[actual.Length];
        loaded.Predict(x, reloaded);
        AssertClose(actual, reloaded, 1e-4, "Predict of the CPU model loaded from the CUDA one");
    }

    [EmulatedCudaFact]
    public void GraphsReplayTheLaunchesBitForBit()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new HsmAdam(21, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new HsmAdam(21, Backend.Cuda);
        const int Steps = 6, Rows = 6, N = HsmAdam.InputSize;
        var eagerLosses = new float[Steps];
        var graphLosses = new float[Steps];
        long graphLaunches = EmulatedCudaDriver.GraphLaunches;
        for (int i = 0; i < Steps; i++)
        {
            eagerLosses[i] = eager.TrainStep(Inputs(Rows * N, 200 + i), Labels(Rows, 7));
        }

        Assert.Equal(graphLaunches, EmulatedCudaDriver.GraphLaunches); // launch by launch: no graph
        for (int i = 0; i < Steps; i++)
        {
            graphLosses[i] = graphs.TrainStep(Inputs(Rows * N, 200 + i), Labels(Rows, 7));
        }

        Assert.Equal(2 * Steps, EmulatedCudaDriver.GraphLaunches - graphLaunches); // each step: the gradient graph and the update graph
        Assert.Equal(Bits(eagerLosses), Bits(graphLosses));
        eager.CopyFromDevice();
        graphs.CopyFromDevice();
        Assert.Equal(Bits(eager.Parameters), Bits(graphs.Parameters));
        Assert.Equal(Bits(eager.Gradients), Bits(graphs.Gradients));
        float[] x = Inputs(9 * N, 99), e = new float[9 * 7], g = new float[9 * 7];
        eager.Predict(x, e);
        graphs.Predict(x, g);
        Assert.Equal(Bits(e), Bits(g));
        int[] ce = new int[9], cg = new int[9];
        graphLaunches = EmulatedCudaDriver.GraphLaunches;
        eager.PredictClasses(x, ce);
        graphs.PredictClasses(x, cg);
        Assert.Equal(ce, cg);
        Assert.Equal(2, EmulatedCudaDriver.GraphLaunches - graphLaunches); // 9 rows = a chunk of 6 and one of 3: two graphs
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
