using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;
using static NetGen.Tests.CudaParity;

namespace NetGen.Tests;

/// <summary>
/// Backend.Cuda against Backend.Cpu on the emulated driver (tests/cuda-host) for what the CUDA core lowers beyond the plain
/// MLP (Networks.CudaNet.cs): every optimizer, every loss but the hierarchical softmax (label smoothing and soft targets
/// included), L1, max-norm, NormBound, gradient clipping by value and by norm, and graphs (residual blocks of Dense layers,
/// nested, a tensor read by two nodes, stochastic depth). Each: the same initial weights bit for bit, Predict and every
/// gradient within 1e-4 and ten steps within 1e-3 relative (per tensor, to its largest magnitude, as CudaParityTests).
/// </summary>
public sealed class CudaNetParityTests
{
    public static TheoryData<string> Optimizers() => new() { "AdamW", "AdamWAmsGrad", "AmsGrad", "AdaDelta", "RmsPropMomentum", "RmsPropCentered", "RmsPropCenteredMomentum" };

    private static INeuralNetwork<int> CreateOptimizerNet(string name, Backend backend) => name switch
    {
        "AdamW" => new CudaAdamWNet(21, backend),
        "AdamWAmsGrad" => new CudaAdamWAmsGradNet(21, backend),
        "AmsGrad" => new CudaAmsGradNet(21, backend),
        "AdaDelta" => new CudaAdaDeltaNet(21, backend),
        "RmsPropMomentum" => new CudaRmsPropMomentumNet(21, backend),
        "RmsPropCentered" => new CudaRmsPropCenteredNet(21, backend),
        "RmsPropCenteredMomentum" => new CudaRmsPropCenteredMomentumNet(21, backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(Optimizers))]
    public void EveryOptimizerMatchesTheCpuForTenSteps(string optimizer)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        Run(CreateOptimizerNet(optimizer, Backend.Cpu), CreateOptimizerNet(optimizer, Backend.Cuda), rows => Labels(rows, 3));
    }

    public static TheoryData<string> ClassLosses() => new() { "MulticlassHinge", "MulticlassSquaredHinge", "LabelSmoothing" };

    private static INeuralNetwork<int> CreateClassLossNet(string name, Backend backend) => name switch
    {
        "MulticlassHinge" => new CudaHingeNet(31, backend),
        "MulticlassSquaredHinge" => new CudaSquaredHingeNet(31, backend),
        "LabelSmoothing" => new CudaLabelSmoothingNet(31, backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(ClassLosses))]
    public void EveryClassLossMatchesTheCpu(string loss)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> cpu = CreateClassLossNet(loss, Backend.Cpu), gpu = CreateClassLossNet(loss, Backend.Cuda);
        OutputGradientsMatch(cpu, gpu, rows => Labels(rows, 3));
        Run(cpu, gpu, rows => Labels(rows, 3));
    }

    public static TheoryData<string> DenseLosses() => new() { "MeanAbsoluteError", "Huber", "BinaryCrossEntropyWithLogits", "BinaryHinge" };

    private static INeuralNetwork<float> CreateDenseLossNet(string name, Backend backend) => name switch
    {
        "MeanAbsoluteError" => new CudaMaeNet(41, backend),
        "Huber" => new CudaHuberNet(41, backend),
        "BinaryCrossEntropyWithLogits" => new CudaBceNet(41, backend),
        "BinaryHinge" => new CudaBinaryHingeNet(41, backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(DenseLosses))]
    public void EveryDenseTargetLossMatchesTheCpu(string loss)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<float> cpu = CreateDenseLossNet(loss, Backend.Cpu), gpu = CreateDenseLossNet(loss, Backend.Cuda);
        // Targets in [0, 1] (BCE); exactly 0 or 1 for the binary hinge; the regression losses take anything (the scale of 3 puts
        // some errors beyond the Huber δ and both signs into the absolute error).
        Func<int, float[]> targets = loss switch
        {
            "BinaryHinge" => rows => Array.ConvertAll(Inputs(rows * 3, 77), v => v > 0 ? 1f : 0f),
            "BinaryCrossEntropyWithLogits" => rows => Array.ConvertAll(Inputs(rows * 3, 78), v => (v + 1) / 2),
            _ => rows => Array.ConvertAll(Inputs(rows * 3, 79), v => 3 * v),
        };
        OutputGradientsMatch(cpu, gpu, targets);
        Run(cpu, gpu, targets);
    }

    [EmulatedCudaFact]
    public void SoftTargetsMatchTheCpuWithAndWithoutLabelSmoothing()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        RunSoft(new CudaSoftTargetNet(51, Backend.Cpu), new CudaSoftTargetNet(51, Backend.Cuda));
        RunSoft(new CudaLabelSmoothingNet(52, Backend.Cpu), new CudaLabelSmoothingNet(52, Backend.Cuda));
    }

    [EmulatedCudaFact]
    public void L1MatchesTheCpu()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        Run(new CudaL1Net(61, Backend.Cpu), new CudaL1Net(61, Backend.Cuda), rows => Labels(rows, 3));
    }

    [EmulatedCudaFact]
    public void MaxNormMatchesTheCpu()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var cpu = new CudaMaxNormNet(62, Backend.Cpu);
        var gpu = new CudaMaxNormNet(62, Backend.Cuda);
        Run(cpu, gpu, rows => Labels(rows, 3));
        // The constraint was active: every row of the last weight is within c = 0.4 (up to the 1e-7 of torch.renorm).
        float[] w = cpu.GetParameter("2.weight").ToArray();
        for (int u = 0; u < 3; u++)
        {
            double norm = Math.Sqrt(w.AsSpan(u * 16, 16).ToArray().Sum(v => (double)v * v));
            Assert.InRange(norm, 0.0, 0.4 + 1e-6);
        }
    }

    [EmulatedCudaFact]
    public void NormBoundMatchesTheCpu()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var cpu = new CudaNormBoundNet(63, Backend.Cpu);
        var gpu = new CudaNormBoundNet(63, Backend.Cuda);
        Run(cpu, gpu, rows => Labels(rows, 3));

        // The multipliers α (buffers, kept in the host arena on both backends) went up and agree: saved files compare them.
        var a = new MemoryStream();
        var b = new MemoryStream();
        cpu.Save(a);
        gpu.Save(b);
        var reloaded = new CudaNormBoundNet(0);
        b.Position = 0;
        reloaded.Load(b);
        float[] x = Inputs(8 * 20, 64);
        int[] y = Labels(8, 3);
        float lossCpu = cpu.ComputeGradients(x, y), lossReloaded = reloaded.ComputeGradients(x, y);
        Assert.Equal(lossCpu, lossReloaded, 1e-3 * Math.Abs(lossCpu)); // the loss includes α·(½‖W‖² − k): α came across
        Assert.True(a.Length > 0 && b.Length == a.Length);
    }

    [EmulatedCudaFact]
    public void GradientClippingByValueAndByNormMatchesTheCpu()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        foreach ((double? value, double? norm) in new (double?, double?)[] { (0.02, null), (null, 0.1), (0.02, 0.05) })
        {
            var cpu = new CudaClipNet(71, Backend.Cpu) { ClipGradientValue = value, ClipGradientNorm = norm };
            var gpu = new CudaClipNet(71, Backend.Cuda) { ClipGradientValue = value, ClipGradientNorm = norm };
            int clipped = 0;
            for (int step = 0; step < 10; step++)
            {
                float[] x = Inputs(8 * 20, 200 + step);
                int[] y = Labels(8, 3);
                float lossCpu = cpu.TrainStep(x, y), lossGpu = gpu.TrainStep(x, y);
                Assert.Equal(lossCpu, lossGpu, 1e-3 * Math.Abs(lossCpu));
                if (norm is null)
                {
                    Assert.True(double.IsNaN(gpu.LastGradientNorm));
                }
                else
                {
                    clipped += cpu.LastGradientNorm > norm ? 1 : 0;
                    Assert.Equal(cpu.LastGradientNorm, gpu.LastGradientNorm, 1e-3 * cpu.LastGradientNorm);
                }
            }

            Assert.True(norm is null || clipped > 0, "some steps' gradients were longer than the maximum norm");

            gpu.CopyFromDevice();
            foreach (ParameterInfo info in CudaClipNet.ParameterTable)
            {
                AssertClose(cpu.Parameters.Slice(info.Offset, info.Length).ToArray(), gpu.Parameters.Slice(info.Offset, info.Length).ToArray(), 1e-3, $"{info.Key} after 10 clipped steps ({value}, {norm})");
            }

            if (value is double c && norm is null)
            {
                // The last step's gradients, clipped, then WeightDecay's λ·W added (after clipping, as PyTorch's weight_decay).
                double slack = 1e-3 * gpu.Parameters.ToArray().Max(v => Math.Abs(v)) + 1e-7;
                Assert.All(gpu.Gradients.ToArray(), g => Assert.InRange(g, -c - slack, c + slack));
                Assert.Contains(gpu.Gradients.ToArray(), g => Math.Abs(g) >= c - slack); // and some were clipped
            }
        }
    }

    [EmulatedCudaFact]
    public void ResidualBlocksMatchTheCpu()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        Run(new CudaResidualNet(81, Backend.Cpu), new CudaResidualNet(81, Backend.Cuda), rows => Labels(rows, 3));
    }

    [EmulatedCudaFact]
    public void StochasticDepthMatchesTheCpuWithTheSameMasks()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var cpu = new CudaStochasticDepthNet(91, Backend.Cpu);
        var gpu = new CudaStochasticDepthNet(91, Backend.Cuda);

        // One row at a time: a dropped branch (m = 0) gives its parameters an all-zero gradient, a kept one does not, so the
        // zero tensors are the masks (keyed by seed, node and step); each step moves the key on.
        int zero = 0, total = 0;
        for (int step = 0; step < 12; step++)
        {
            float[] x = Inputs(20, 300 + step);
            cpu.ComputeGradients(x, new[] { step % 3 });
            gpu.ComputeGradients(x, new[] { step % 3 });
            gpu.CopyFromDevice();
            foreach (ParameterInfo info in CudaStochasticDepthNet.ParameterTable)
            {
                if (!info.Key.Contains(".branch.", StringComparison.Ordinal))
                {
                    continue;
                }

                bool cpuZero = cpu.Gradients.Slice(info.Offset, info.Length).ToArray().All(g => g == 0);
                bool gpuZero = gpu.Gradients.Slice(info.Offset, info.Length).ToArray().All(g => g == 0);
                Assert.True(cpuZero == gpuZero, $"step {step}: {info.Key} is {(cpuZero ? "dropped" : "kept")} on the CPU, {(gpuZero ? "dropped" : "kept")} on CUDA");
                zero += cpuZero ? 1 : 0;
                total++;
            }

            cpu.TrainStep(x, new[] { 0 });
            gpu.TrainStep(x, new[] { 0 });
        }

        Assert.InRange(zero, 1, total - 1); // some branches dropped, some kept

        var cpu2 = new CudaStochasticDepthNet(92, Backend.Cpu);
        var gpu2 = new CudaStochasticDepthNet(92, Backend.Cuda);
        Run(cpu2, gpu2, rows => Labels(rows, 3));
    }

    /// <summary>The loss and ∂L/∂output of each row on its own: with one row, the last Dense's bias gradient db = Σ_B dy is
    /// ∂L/∂output itself.</summary>
    private static void OutputGradientsMatch<TTarget>(INeuralNetwork<TTarget> cpu, INeuralNetwork<TTarget> gpu, Func<int, TTarget[]> targets)
        where TTarget : unmanaged
    {
        int inputs = cpu.InputSize, outputs = cpu.OutputSize;
        ParameterInfo bias = cpu.ParameterTable[cpu.ParameterTable.Count - 1];
        Assert.EndsWith(".bias", bias.Key, StringComparison.Ordinal);
        float[] x = Inputs(8 * inputs, 44);
        TTarget[] t = targets(8);
        int perRow = t.Length / 8;
        for (int r = 0; r < 8; r++)
        {
            float lossCpu = cpu.ComputeGradients(x.AsSpan(r * inputs, inputs), t.AsSpan(r * perRow, perRow));
            float lossGpu = gpu.ComputeGradients(x.AsSpan(r * inputs, inputs), t.AsSpan(r * perRow, perRow));
            Assert.Equal(lossCpu, lossGpu, 1e-4 * Math.Max(Math.Abs(lossCpu), 1e-6));
            Sync(gpu);
            AssertClose(cpu.Gradients.Slice(bias.Offset, outputs).ToArray(), gpu.Gradients.Slice(bias.Offset, outputs).ToArray(), 1e-4, $"∂L/∂output of row {r}");
        }
    }

    /// <summary>Gradients and ten steps against target distributions (soft targets), as <see cref="Run{TTarget}"/> does with labels.</summary>
    private static void RunSoft(ISoftTargetNetwork cpu, ISoftTargetNetwork gpu)
    {
        float[] Distributions(int rows, int seed)
        {
            float[] p = Array.ConvertAll(Inputs(rows * 3, seed), v => v + 1.1f);
            for (int r = 0; r < rows; r++)
            {
                float sum = p[3 * r] + p[(3 * r) + 1] + p[(3 * r) + 2];
                for (int j = 0; j < 3; j++)
                {
                    p[(3 * r) + j] /= sum;
                }
            }

            return p;
        }

        float[] x = Inputs(8 * 20, 45);
        float[] t = Distributions(8, 46);
        float lossCpu = cpu.ComputeGradients(x, t), lossGpu = gpu.ComputeGradients(x, t);
        Assert.Equal(lossCpu, lossGpu, 1e-4 * Math.Abs(lossCpu));
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            AssertClose(cpu.Gradients.Slice(info.Offset, info.Length).ToArray(), gpu.Gradients.Slice(info.Offset, info.Length).ToArray(), 1e-4, "soft-target gradient of " + info.Key);
        }

        for (int step = 0; step < 10; step++)
        {
            float[] xs = Inputs(8 * 20, 400 + step);
            float[] ts = Distributions(8, 500 + step);
            lossCpu = cpu.TrainStep(xs, ts);
            lossGpu = gpu.TrainStep(xs, ts);
            Assert.Equal(lossCpu, lossGpu, 1e-3 * Math.Abs(lossCpu));
        }

        Sync(gpu);
        AssertClose(cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), 1e-3, "parameters after 10 soft-target steps");
    }

    /// <summary>Initial weights, Predict (one chunk and a chunk of fewer rows), gradients, then ten steps (one of them on a
    /// smaller batch, which resizes the device buffers) and the parameters after them.</summary>
    private static void Run<TTarget>(INeuralNetwork<TTarget> cpu, INeuralNetwork<TTarget> gpu, Func<int, TTarget[]> targets)
        where TTarget : unmanaged
    {
        int inputs = cpu.InputSize, outputs = cpu.OutputSize;
        Assert.Equal(Backend.Cuda, (Backend)gpu.GetType().GetProperty("Backend")!.GetValue(gpu)!);
        long launches = EmulatedCudaDriver.Launches;
        Sync(gpu);
        Assert.Equal(cpu.Parameters.ToArray(), gpu.Parameters.ToArray()); // same seed, same weights, bit for bit

        float[] x = Inputs(11 * inputs, 42);
        float[] expected = new float[11 * outputs], actual = new float[11 * outputs];
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-4, "Predict");

        float[] batch = Inputs(8 * inputs, 43);
        TTarget[] t = targets(8);
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
            float[] xs = Inputs(rows * inputs, 100 + step);
            TTarget[] ts = targets(rows);
            lossCpu = cpu.TrainStep(xs, ts);
            lossGpu = gpu.TrainStep(xs, ts);
            Assert.Equal(lossCpu, lossGpu, 1e-3 * Math.Abs(lossCpu));
        }

        Assert.Equal(cpu.Step, gpu.Step);
        Assert.True(EmulatedCudaDriver.Launches - launches > 100, "the CUDA instance ran its kernels on the (emulated) device");
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            AssertClose(cpu.Parameters.Slice(info.Offset, info.Length).ToArray(), gpu.Parameters.Slice(info.Offset, info.Length).ToArray(), 1e-3, info.Key + " after 10 steps");
        }
    }
}
