using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;
using static NetGen.Tests.CudaParity;

namespace NetGen.Tests;

/// <summary>
/// Backend.Cuda against Backend.Cpu on the emulated driver for the image layers (convolution with stride, padding, 'same',
/// per-axis dilation and groups; max, average and global average pooling; Flatten; batch, layer and local response
/// normalisation; channel dropout; per-channel PReLU; Maxout): the same initial weights bit for bit; Predict (evaluation
/// mode) and the training-mode loss and every gradient within 1e-4 relative; ten training steps (SGD-momentum, Adam…)
/// within 1e-3; BatchNorm's running statistics within 1e-4 and its counter equal after them; a model saved from CUDA loads
/// on the CPU with the same outputs. "Relative" is per tensor, as in <see cref="CudaParityTests"/>.
/// </summary>
public sealed class CudaCnnParityTests
{
    public static TheoryData<string> Networks() => new()
    {
        "LeNetMomentum", "LeNetAdam", "BnAdam2D", "Bn1DMomentum", "FoldMix", "AvgPoolMomentum", "LayerNormAdam", "ConvGeneralAdam",
        "DilationPoolAdam", "LrnMomentum", "MaxoutAdam", "ChwActsMomentum", "Dropout2D", "ResnetSgd", "SdMomentum", "LnShapeAdam",
    };

    private static INeuralNetwork<int> Create(string name, ulong seed, Backend backend) => name switch
    {
        "LeNetMomentum" => new CudaLeNetMomentum(seed, backend),
        "LeNetAdam" => new CudaLeNetAdam(seed, backend),
        "BnAdam2D" => new CudaBnAdamNet(seed, backend),
        "Bn1DMomentum" => new CudaBn1DMomentumNet(seed, backend),
        "FoldMix" => new FoldMix(seed, backend),
        "AvgPoolMomentum" => new AvgPoolMomentum(seed, backend),
        "LayerNormAdam" => new LayerNormAdam(seed, backend),
        "ConvGeneralAdam" => new ConvGeneralAdam(seed, backend),
        "DilationPoolAdam" => new DilationPoolAdam(seed, backend),
        "LrnMomentum" => new LrnMomentum(seed, backend),
        "MaxoutAdam" => new MaxoutAdam(seed, backend),
        "ChwActsMomentum" => new ChwActsMomentum(seed, backend),
        "Dropout2D" => new CudaDropout2DNet(seed, backend),
        "ResnetSgd" => new ResnetSgd(seed, backend), // residual CNN blocks, one with a 1×1 stride-2 projection shortcut
        "SdMomentum" => new SdMomentum(seed, backend), // the same with BatchNorm and stochastic depth (Huang's linear rule)
        "LnShapeAdam" => new LnShapeAdam(seed, backend), // LayerNorm over the last 2 and the last 1 dimensions (NormalizedDims)
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EmulatedCudaTheory]
    [MemberData(nameof(Networks))]
    public void ForwardGradientsTenStepsAndBuffersMatchTheCpu(string name)
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        INeuralNetwork<int> cpu = Create(name, 11, Backend.Cpu);
        INeuralNetwork<int> gpu = Create(name, 11, Backend.Cuda);
        int inputs = cpu.InputSize, outputs = cpu.OutputSize, full = cpu.MaxBatch;
        long launches = EmulatedCudaDriver.Launches;
        Sync(gpu);
        Assert.Equal(cpu.Parameters.ToArray(), gpu.Parameters.ToArray()); // same seed, same weights, bit for bit

        // Evaluation mode: more rows than MaxBatch, so also a shorter chunk.
        float[] x = Inputs((full + 3) * inputs, 42);
        float[] expected = new float[(full + 3) * outputs], actual = new float[(full + 3) * outputs];
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-4, "Predict");

        // Training mode: the loss of the training forward (batch statistics, dropout masks) and every gradient.
        float[] batch = Inputs(full * inputs, 43);
        int[] t = Labels(full, outputs);
        float lossCpu = cpu.ComputeGradients(batch, t), lossGpu = gpu.ComputeGradients(batch, t);
        Assert.Equal(lossCpu, lossGpu, 1e-4 * Math.Abs(lossCpu));
        Sync(gpu);
        foreach (ParameterInfo info in cpu.ParameterTable)
        {
            // A tensor whose gradient is 0 up to round-off (a convolution's bias before a BatchNorm, which removes it: ~1e-8)
            // has no meaningful relative error: its scale is floored at 1e-3, far below any gradient that is not 0.
            AssertClose(cpu.Gradients.Slice(info.Offset, info.Length).ToArray(), gpu.Gradients.Slice(info.Offset, info.Length).ToArray(), 1e-4, "gradient of " + info.Key, floor: 1e-3);
        }

        var losses = new List<string>();
        double worst = 0;
        for (int step = 0; step < 10; step++)
        {
            int rows = step == 4 ? full - 2 : full; // one smaller batch: the device buffers are resized
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
            AssertClose(cpu.Parameters.Slice(info.Offset, info.Length).ToArray(), gpu.Parameters.Slice(info.Offset, info.Length).ToArray(), 1e-3, info.Key + " after 10 steps", floor: 1e-3);
        }

        foreach (BufferInfo info in cpu.BufferTable)
        {
            if (info.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                Assert.Equal(cpu.GetCounter(info.Key), gpu.GetCounter(info.Key));
                Assert.Equal(11, gpu.GetCounter(info.Key)); // ComputeGradients and the ten steps
            }
            else
            {
                AssertClose(cpu.GetBuffer(info.Key).ToArray(), gpu.GetBuffer(info.Key).ToArray(), 1e-4, info.Key + " after 10 steps");
            }
        }

        // Evaluation mode after training (BatchNorm on the running statistics the steps moved).
        cpu.Predict(x, expected);
        gpu.Predict(x, actual);
        AssertClose(expected, actual, 1e-3, "Predict after 10 steps");

        // A model saved from CUDA (Save refreshes the host mirror, buffers included) loads on the CPU with the same outputs.
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
    public void BuffersFollowTheHostMirrorBothWays()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var gpu = new BnAdam(3, Backend.Cuda);
        float[] x = Inputs(5 * BnAdam.InputSize, 8);
        float[] before = new float[5 * 3], after = new float[5 * 3];
        gpu.Predict(x, before);

        // A host write reaches the device through CopyToDevice: running_var 4 halves what BatchNorm2D passes on.
        gpu.GetBuffer("1.running_var").Fill(4f);
        gpu.Predict(x, after);
        Assert.Equal(before, after); // not yet sent
        gpu.CopyToDevice();
        gpu.Predict(x, after);
        Assert.NotEqual(before, after);

        // A training step moves the running statistics on the device; CopyFromDevice brings them back.
        gpu.TrainStep(x, Labels(5, 3));
        float[] host = gpu.GetBuffer("1.running_mean").ToArray();
        Assert.All(host, v => Assert.Equal(0f, v)); // the mirror is stale until CopyFromDevice
        gpu.CopyFromDevice();
        Assert.Contains(gpu.GetBuffer("1.running_mean").ToArray(), v => v != 0f);
        Assert.Equal(1, gpu.GetCounter("1.num_batches_tracked"));

        // A training state written on CUDA resumes on the CPU with the same buffers.
        var state = new MemoryStream();
        gpu.SaveTrainingState(state);
        var cpu = new BnAdam(0);
        state.Position = 0;
        cpu.LoadTrainingState(state);
        Assert.Equal(gpu.GetBuffer("1.running_mean").ToArray(), cpu.GetBuffer("1.running_mean").ToArray());
        Assert.Equal(gpu.GetBuffer("6.running_var").ToArray(), cpu.GetBuffer("6.running_var").ToArray());
    }

    [EmulatedCudaFact]
    public void ARefusedStepPutsTheRunningStatisticsBack()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        var gpu = new BnAdam(4, Backend.Cuda);
        float[] x = Inputs(5 * BnAdam.InputSize, 5);
        int[] y = Labels(5, 3);
        gpu.TrainStep(x, y);
        gpu.CopyFromDevice();
        float[] mean = gpu.GetBuffer("1.running_mean").ToArray(), variance = gpu.GetBuffer("6.running_var").ToArray();
        gpu.GetParameter("8.weight").Fill(float.PositiveInfinity); // the last Dense: the loss is not finite
        gpu.CopyToDevice();
        Assert.Throws<NonFiniteStepException>(() => gpu.TrainStep(x, y));
        Assert.Equal(1, gpu.Step);
        Assert.Equal(1, gpu.GetCounter("1.num_batches_tracked"));
        gpu.CopyFromDevice();
        Assert.Equal(mean, gpu.GetBuffer("1.running_mean").ToArray());
        Assert.Equal(variance, gpu.GetBuffer("6.running_var").ToArray());
    }
}
