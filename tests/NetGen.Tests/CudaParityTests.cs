using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;
using static NetGen.Tests.CudaParity;

namespace NetGen.Tests;

/// <summary>Runs on the emulated CUDA driver (tests/cuda-host: kernels.cu compiled for the host with g++, reached through the
/// same interop); skipped, with the reason, when it cannot be built.</summary>
public sealed class EmulatedCudaTheoryAttribute : TheoryAttribute
{
    public EmulatedCudaTheoryAttribute()
    {
        if (EmulatedCudaDriver.UnavailableReason is string reason)
        {
            Skip = "The emulated CUDA driver cannot be built: " + reason;
        }
    }
}

/// <inheritdoc cref="EmulatedCudaTheoryAttribute"/>
public sealed class EmulatedCudaFactAttribute : FactAttribute
{
    public EmulatedCudaFactAttribute()
    {
        if (EmulatedCudaDriver.UnavailableReason is string reason)
        {
            Skip = "The emulated CUDA driver cannot be built: " + reason;
        }
    }
}

/// <summary>
/// Backend.Cuda against Backend.Cpu on the emulated driver, for the small MLPs of Networks.Cuda.cs (20-16-3, batch 8), one
/// per optimizer: the same initial weights bit for bit; Predict and every gradient within 1e-4 relative; ten training steps
/// within 1e-3; identical dropout masks; files written on one backend loaded on the other. "Relative" is per tensor: the
/// largest difference over the tensor's largest magnitude (an element near 0 has no meaningful relative error of its own).
/// </summary>
public sealed class CudaParityTests
{
    public static TheoryData<string> Networks() => new() { "Sgd", "Momentum", "Nesterov", "Adam", "AdaGrad", "RmsProp" };

    private static INeuralNetwork<int> Create(string name, Backend backend) => name switch
    {
        "Sgd" => new CudaSgdNet(11, backend),
        "Momentum" => new CudaMomentumNet(11, backend),
        "Nesterov" => new CudaNesterovNet(11, backend),
        "Adam" => new CudaAdamNet(11, backend),
        "AdaGrad" => new CudaAdaGradNet(11, backend),
        "RmsProp" => new CudaRmsPropNet(11, backend),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(Networks))]
    public void ForwardGradientsAndTenStepsMatchTheCpu(string optimizer)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> cpu = Create(optimizer, Backend.Cpu);
        INeuralNetwork<int> gpu = Create(optimizer, Backend.Cuda);
        Run(cpu, gpu, rows => Labels(rows, 3));
    }

    [EmulatedCudaFact]
    public void MeanSquaredErrorMatchesTheCpu()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var cpu = new CudaRegressionNet(5, Backend.Cpu);
        var gpu = new CudaRegressionNet(5, Backend.Cuda);
        Run<float>(cpu, gpu, rows => Inputs(rows * 3, 99));
    }

    [EmulatedCudaFact]
    public void DropoutMasksAreTheCpusBitForBit()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var cpu = new CudaDropoutMaskNet(3, Backend.Cpu);
        var gpu = new CudaDropoutMaskNet(3, Backend.Cuda);
        float[] x = Inputs(20, 1);
        for (int i = 0; i < 20; i++)
        {
            x[i] = 0.5f + MathF.Abs(x[i]); // no zero input: a zero of dW is a dropped input
        }

        int dropped = 0;
        for (int step = 0; step < 4; step++)
        {
            // One row: dW[o, i] = dy[o]·x[i]·m[i], so the zeros of dW are the mask's (keyed by seed, layer 0, step).
            cpu.ComputeGradients(x, new[] { step % 3 });
            gpu.ComputeGradients(x, new[] { step % 3 });
            gpu.CopyFromDevice();
            float[] expected = cpu.GetGradient("1.weight").ToArray(), actual = gpu.GetGradient("1.weight").ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True((expected[i] == 0) == (actual[i] == 0), $"step {step}: element {i} is {expected[i]} on the CPU, {actual[i]} on CUDA");
                dropped += expected[i] == 0 ? 1 : 0;
            }

            cpu.TrainStep(x, new[] { 0 }); // the next step's key
            gpu.TrainStep(x, new[] { 0 });
        }

        Assert.InRange(dropped, 4 * 60 / 5, 4 * 60 * 4 / 5); // p = 0.5 over 4 × 3 × 20 weights: some dropped, some kept
    }

    [EmulatedCudaFact]
    public void FilesMoveBetweenBackends()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        float[] x = Inputs(8 * 20, 7);
        int[] y = Labels(8, 3);

        // A model trained on CUDA, saved (the host mirror is refreshed by Save), loads on the CPU and predicts the same.
        var gpu = new CudaAdamNet(2, Backend.Cuda);
        for (int i = 0; i < 3; i++)
        {
            gpu.TrainStep(x, y);
        }

        var saved = new MemoryStream();
        gpu.Save(saved);
        var cpu = new CudaAdamNet(99);
        saved.Position = 0;
        cpu.Load(saved);
        float[] expected = new float[8 * 3], actual = new float[8 * 3];
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-4, "Predict after a CUDA → CPU save and load");

        // A training state written on the CPU resumes on CUDA (LoadTrainingState sends it to the device) step for step.
        var state = new MemoryStream();
        cpu.SaveTrainingState(state);
        var resumed = new CudaAdamNet(0, Backend.Cuda);
        state.Position = 0;
        resumed.LoadTrainingState(state);
        Assert.Equal(cpu.Step, resumed.Step);
        float lossCpu = cpu.TrainStep(x, y), lossGpu = resumed.TrainStep(x, y);
        Assert.Equal(lossCpu, lossGpu, 1e-4 * Math.Abs(lossCpu));
        resumed.CopyFromDevice();
        AssertClose(cpu.Parameters.ToArray(), resumed.Parameters.ToArray(), 1e-4, "parameters after resuming on CUDA");

        // Host writes reach the device only through CopyToDevice.
        resumed.Parameters.Clear();
        resumed.CopyToDevice();
        resumed.Predict(x, actual);
        Assert.All(actual, v => Assert.Equal(0f, v));
    }

    [EmulatedCudaFact]
    public void ANonFiniteStepIsRefusedOnTheDeviceAndChangesNothing()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var gpu = new CudaSgdNet(4, Backend.Cuda);
        float[] x = Inputs(8 * 20, 5);
        int[] y = Labels(8, 3);
        x.AsSpan().Fill(1f);
        gpu.GetParameter("0.weight").Fill(3e38f); // finite weights whose products overflow: the loss is not finite
        gpu.CopyToDevice();
        gpu.CopyFromDevice();
        float[] before = gpu.Parameters.ToArray();
        NonFiniteStepException e = Assert.Throws<NonFiniteStepException>(() => gpu.TrainStep(x, y));
        Assert.Contains("CudaSgdNet", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, gpu.Step);
        gpu.CopyFromDevice();
        Assert.Equal(before, gpu.Parameters.ToArray());
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
        for (int p = 0; p < cpu.ParameterTable.Count; p++)
        {
            ParameterInfo info = cpu.ParameterTable[p];
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
