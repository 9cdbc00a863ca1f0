using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;
using static NetGen.Tests.CudaParity;

namespace NetGen.Tests;

/// <summary>
/// Backend.Cuda against Backend.Cpu on the emulated driver (tests/cuda-host) for the dropout variants of
/// Networks.CudaDropout.cs: the same initial weights bit for bit, Predict (the variants' inference) and every gradient in
/// training (the same masks: the CPU's counter RNG and key) within 1e-4, ten steps within 1e-3 relative (per tensor, to its
/// largest magnitude, as CudaParityTests), and the masks themselves: identical where they are bits.
/// </summary>
public sealed class CudaDropoutParityTests
{
    public static TheoryData<string> Networks() => new() { "VanillaDropout", "GaussianDropout", "DropConnect", "DropConnectMomentMatching", "Standout" };

    private static INeuralNetwork<int> Create(string name, Backend backend) => name switch
    {
        "VanillaDropout" => new CudaVanillaDropoutNet(23, backend),
        "GaussianDropout" => new CudaGaussianDropoutNet(24, backend),
        "DropConnect" => new CudaDropConnectNet(25, backend),
        "DropConnectMomentMatching" => new CudaDropConnectMomentMatchingNet(26, backend),
        "Standout" => new CudaStandoutNet(27, backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(Networks))]
    public void EveryVariantMatchesTheCpuInTrainingAndInference(string network)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        Run(Create(network, Backend.Cpu), Create(network, Backend.Cuda));
    }

    public static TheoryData<string> MaskNetworks() => new() { "VanillaDropout", "DropConnect", "Standout" };

    private static INeuralNetwork<int> CreateMaskNet(string name, Backend backend) => name switch
    {
        "VanillaDropout" => new CudaVanillaDropoutMaskNet(3, backend),
        "DropConnect" => new CudaDropConnectMaskNet(3, backend),
        "Standout" => new CudaStandoutMaskNet(3, backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>One row at a time through the variant and one Dense: dW[o, i] = dy[o]·x[i]·m[i] (DropConnect: dy[o]·x[i]·M[o, i]),
    /// so the zeros of the first weight gradient are the mask's; four steps, each with the next key.</summary>
    [EmulatedCudaTheory]
    [MemberData(nameof(MaskNetworks))]
    public void MasksAreTheCpusBitForBit(string network)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> cpu = CreateMaskNet(network, Backend.Cpu), gpu = CreateMaskNet(network, Backend.Cuda);
        string weight = cpu.ParameterTable[0].Key;
        float[] x = Inputs(20, 1);
        for (int i = 0; i < 20; i++)
        {
            x[i] = 0.5f + MathF.Abs(x[i]); // no zero input: a zero of dW is a dropped value
        }

        int dropped = 0, total = 0;
        for (int step = 0; step < 4; step++)
        {
            cpu.ComputeGradients(x, new[] { step % 3 });
            gpu.ComputeGradients(x, new[] { step % 3 });
            Sync(gpu);
            float[] expected = Gradient(cpu, weight), actual = Gradient(gpu, weight);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True((expected[i] == 0) == (actual[i] == 0), $"{network}, step {step}: element {i} is {expected[i]} on the CPU, {actual[i]} on CUDA");
                dropped += expected[i] == 0 ? 1 : 0;
            }

            total += expected.Length;
            AssertClose(expected, actual, 1e-4, $"{network}: {weight}'s gradient at step {step}");
            cpu.TrainStep(x, new[] { 0 }); // the next step's key
            gpu.TrainStep(x, new[] { 0 });
        }

        Assert.InRange(dropped, total / 10, total * 9 / 10); // some dropped, some kept
    }

    /// <summary>Gaussian dropout's mask is real-valued: with one row through [GaussianDropout, Dense], dW[o, i] = dy[o]·x[i]·m[i],
    /// so dW over x is the mask times dy; CUDA's (Box–Muller on the device, in double) is the CPU's within float round-off.</summary>
    [EmulatedCudaFact]
    public void GaussianNoiseIsTheCpusUpToRoundOff()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var cpu = new CudaGaussianDropoutMaskNet(3, Backend.Cpu);
        var gpu = new CudaGaussianDropoutMaskNet(3, Backend.Cuda);
        float[] x = Inputs(20, 1);
        for (int i = 0; i < 20; i++)
        {
            x[i] = 0.5f + MathF.Abs(x[i]);
        }

        for (int step = 0; step < 4; step++)
        {
            cpu.ComputeGradients(x, new[] { step % 3 });
            gpu.ComputeGradients(x, new[] { step % 3 });
            gpu.CopyFromDevice();
            float[] expected = Gradient(cpu, "1.weight"), actual = Gradient(gpu, "1.weight");
            AssertClose(expected, actual, 1e-5, $"step {step}: dW = dy·x·m");

            // The noise itself, m[i] = dW[0, i]/(dy[0]·x[i]), up to the common factor dy[0]: its spread is σ = 1 for p = 0.5.
            double[] m = Enumerable.Range(0, 20).Select(i => (double)expected[i] / x[i]).ToArray();
            double mean = m.Average(), spread = Math.Sqrt(m.Select(v => (v - mean) * (v - mean)).Average());
            Assert.True(spread > 0.2 * Math.Abs(mean), $"step {step}: the gradient varies with the noise");
            cpu.TrainStep(x, new[] { 0 });
            gpu.TrainStep(x, new[] { 0 });
        }
    }

    private static float[] Gradient(INeuralNetwork network, string key)
    {
        ParameterInfo info = network.ParameterTable.Single(p => p.Key == key);
        return network.Gradients.Slice(info.Offset, info.Length).ToArray();
    }

    /// <summary>Initial weights, Predict (one chunk and a chunk of fewer rows), gradients, then ten steps (one of them on a
    /// smaller batch, which resizes the device buffers) and the parameters after them.</summary>
    internal static void Run(INeuralNetwork<int> cpu, INeuralNetwork<int> gpu)
    {
        int inputs = cpu.InputSize, outputs = cpu.OutputSize;
        long launches = EmulatedCudaDriver.Launches;
        Sync(gpu);
        Assert.Equal(cpu.Parameters.ToArray(), gpu.Parameters.ToArray()); // same seed, same weights, bit for bit

        float[] x = Inputs(11 * inputs, 42);
        float[] expected = new float[11 * outputs], actual = new float[11 * outputs];
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-4, "Predict");

        float[] batch = Inputs(8 * inputs, 43);
        int[] t = Labels(8, 3);
        float lossCpu = cpu.ComputeGradients(batch, t), lossGpu = gpu.ComputeGradients(batch, t);
        Assert.Equal(lossCpu, lossGpu, 1e-4 * Math.Abs(lossCpu));
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            AssertClose(cpu.Gradients.Slice(info.Offset, info.Length).ToArray(), gpu.Gradients.Slice(info.Offset, info.Length).ToArray(), 1e-4, "gradient of " + info.Key);
        }

        for (int step = 0; step < 10; step++)
        {
            int rows = step == 4 ? 5 : 8;
            lossCpu = cpu.TrainStep(Inputs(rows * inputs, 100 + step), Labels(rows, 3));
            lossGpu = gpu.TrainStep(Inputs(rows * inputs, 100 + step), Labels(rows, 3));
            Assert.Equal(lossCpu, lossGpu, 1e-3 * Math.Abs(lossCpu));
        }

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
    }
}

/// <summary>
/// The dropout variants under the CUDA graphs of docs/adr/0045: trained with graphs replayed against the same network launched
/// one by one (CudaGraphs = false), six steps give the same losses, parameters and predictions bit for bit, so each step's
/// key (rewritten in the replayed graph) draws that step's noise.
/// </summary>
[Collection(nameof(CudaCountingCollection))]
public sealed class CudaDropoutGraphTests
{
    private const int Steps = 6;

    public static TheoryData<string> Networks() => new() { "GaussianDropout", "DropConnect", "Standout" };

    private static INeuralNetwork<int> Create(string name, bool graphs)
    {
        INeuralNetwork<int> network = name switch
        {
            "GaussianDropout" => new CudaGaussianDropoutNet(31, Backend.Cuda),
            "DropConnect" => new CudaDropConnectNet(32, Backend.Cuda),
            "Standout" => new CudaStandoutNet(33, Backend.Cuda),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        network.GetType().GetProperty("CudaGraphs")!.SetValue(network, graphs);
        return network;
    }

    [EmulatedCudaTheory]
    [MemberData(nameof(Networks))]
    public void GraphsReplayTheLaunchesBitForBit(string network)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> eager = Create(network, graphs: false), graphs = Create(network, graphs: true);
        var eagerLosses = new float[Steps];
        var graphLosses = new float[Steps];
        long graphLaunches = EmulatedCudaDriver.GraphLaunches;
        for (int i = 0; i < Steps; i++)
        {
            eagerLosses[i] = eager.TrainStep(Inputs(8 * 20, 600 + i), Labels(8, 3));
        }

        Assert.Equal(graphLaunches, EmulatedCudaDriver.GraphLaunches); // launch by launch: no graph
        for (int i = 0; i < Steps; i++)
        {
            graphLosses[i] = graphs.TrainStep(Inputs(8 * 20, 600 + i), Labels(8, 3));
        }

        Assert.Equal(2 * Steps, EmulatedCudaDriver.GraphLaunches - graphLaunches); // each step: the gradient graph and the update graph
        Assert.Equal(Bits(eagerLosses), Bits(graphLosses));
        Assert.True(eagerLosses.Distinct().Count() == Steps, "each step trained on its own noise");
        Sync(eager);
        Sync(graphs);
        Assert.Equal(Bits(eager.Parameters.ToArray()), Bits(graphs.Parameters.ToArray()));
        float[] x = Inputs(7 * 20, 99), a = new float[7 * 3], b = new float[7 * 3];
        eager.Predict(x, a);
        graphs.Predict(x, b);
        Assert.Equal(Bits(a), Bits(b));
        ((IDisposable)eager).Dispose();
        ((IDisposable)graphs).Dispose();
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
