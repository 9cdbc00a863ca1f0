using NetGen;

namespace NetGen.CudaCheck;

/// <summary>Generated CNNs (Networks.cs) on Backend.Cuda against Backend.Cpu, as the emulated-driver parity tests check
/// them: the same initial weights bit for bit; Predict and the training loss and every gradient within 1e-4 (relative to
/// each tensor's largest magnitude, floored at 1e-3 for a gradient that is 0 up to round-off); ten training steps within
/// 1e-3; BatchNorm's running statistics within 1e-4 after them.</summary>
internal static class NetworkChecks
{
    /// <summary>Runs every network; <paramref name="report"/> prints one PASS/FAIL line and counts a failure.</summary>
    public static void Run(Action<string, bool, string> report)
    {
        Check("LeNet-style CNN, momentum", (s, b) => new LeNetMomentum(s, b), n => n.CopyFromDevice(), report);
        Check("LeNet-style CNN, Adam", (s, b) => new LeNetAdam(s, b), n => n.CopyFromDevice(), report);
        Check("BatchNorm2D CNN, Adam", (s, b) => new BatchNorm2DAdam(s, b), n => n.CopyFromDevice(), report);
        Check("BatchNorm1D CNN, momentum", (s, b) => new BatchNorm1DMomentum(s, b), n => n.CopyFromDevice(), report);
        Check("grouped, dilated, strided, 'same' convolutions, Adam", (s, b) => new GroupedDilatedAdam(s, b), n => n.CopyFromDevice(), report);
        Check("average and global average pooling, momentum", (s, b) => new AvgPoolMomentum(s, b), n => n.CopyFromDevice(), report);
        Check("LayerNorm CNN, Adam", (s, b) => new LayerNormAdam(s, b), n => n.CopyFromDevice(), report);
        Check("LocalResponseNorm CNN, momentum", (s, b) => new LrnMomentum(s, b), n => n.CopyFromDevice(), report);
        Check("Maxout after Conv2D and Dense, Adam", (s, b) => new MaxoutAdam(s, b), n => n.CopyFromDevice(), report);
        Check("channel PReLU and Dropout2D, momentum", (s, b) => new ChannelPReLUDropout2D(s, b), n => n.CopyFromDevice(), report);
        Check("vanilla dropout, momentum", (s, b) => new VanillaDropoutMomentum(s, b), n => n.CopyFromDevice(), report);
        Check("Gaussian dropout, Adam", (s, b) => new GaussianDropoutAdam(s, b), n => n.CopyFromDevice(), report);
        Check("DropConnect (mean network and moment matching), momentum", (s, b) => new DropConnectMomentum(s, b), n => n.CopyFromDevice(), report);
        Check("standout, Adam", (s, b) => new StandoutAdam(s, b), n => n.CopyFromDevice(), report);
    }

    internal static void Check<T>(string name, Func<ulong, Backend, T> create, Action<T> copyFromDevice, Action<string, bool, string> report)
        where T : INeuralNetwork<int>
    {
        string what = "network " + name;
        try
        {
            T cpu = create(11, Backend.Cpu), gpu = create(11, Backend.Cuda);
            copyFromDevice(gpu);
            report(what + ": initial weights (bit for bit)", cpu.Parameters.SequenceEqual(gpu.Parameters), string.Empty);
            int inputs = cpu.InputSize, outputs = cpu.OutputSize, full = cpu.MaxBatch;
            float[] x = Inputs((full + 3) * inputs, 42);
            float[] expected = new float[(full + 3) * outputs], actual = new float[expected.Length];
            cpu.Predict(x, expected);
            gpu.Predict(x, actual);
            Close(what + ": Predict", expected, actual, 1e-4, 1e-12, report);

            float[] batch = Inputs(full * inputs, 43);
            int[] t = Labels(full, outputs);
            float lossCpu = cpu.ComputeGradients(batch, t), lossGpu = gpu.ComputeGradients(batch, t);
            report(what + ": training loss", Math.Abs(lossCpu - lossGpu) <= 1e-4 * Math.Abs(lossCpu), $"GPU {lossGpu:R}, CPU {lossCpu:R}");
            copyFromDevice(gpu);
            foreach (ParameterInfo p in cpu.ParameterTable)
            {
                Close($"{what}: gradient of {p.Key}", cpu.Gradients.Slice(p.Offset, p.Length).ToArray(), gpu.Gradients.Slice(p.Offset, p.Length).ToArray(), 1e-4, 1e-3, report);
            }

            double worst = 0;
            for (int step = 0; step < 10; step++)
            {
                int rows = step == 4 ? full - 2 : full;
                float[] xs = Inputs(rows * inputs, 100 + step);
                int[] ts = Labels(rows, outputs);
                float a = cpu.TrainStep(xs, ts), b = gpu.TrainStep(xs, ts);
                worst = Math.Max(worst, Math.Abs(a - b) / Math.Abs(a));
            }

            report(what + ": losses of 10 steps", worst <= 1e-3, $"worst relative difference {worst:E2}");
            copyFromDevice(gpu);
            foreach (ParameterInfo p in cpu.ParameterTable)
            {
                Close($"{what}: {p.Key} after 10 steps", cpu.Parameters.Slice(p.Offset, p.Length).ToArray(), gpu.Parameters.Slice(p.Offset, p.Length).ToArray(), 1e-3, 1e-3, report);
            }

            foreach (BufferInfo b in cpu.BufferTable)
            {
                if (b.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                {
                    report($"{what}: {b.Key}", cpu.GetCounter(b.Key) == gpu.GetCounter(b.Key), $"GPU {gpu.GetCounter(b.Key)}, CPU {cpu.GetCounter(b.Key)}");
                }
                else
                {
                    Close($"{what}: {b.Key} after 10 steps", cpu.GetBuffer(b.Key).ToArray(), gpu.GetBuffer(b.Key).ToArray(), 1e-4, 1e-12, report);
                }
            }
        }
        catch (Exception e)
        {
            report(what, false, e.GetType().Name + ": " + e.Message);
        }
    }

    private static void Close(string name, float[] expected, float[] actual, double relative, double floor, Action<string, bool, string> report)
    {
        double scale = 0, difference = 0;
        bool finite = expected.Length == actual.Length;
        for (int i = 0; finite && i < expected.Length; i++)
        {
            finite &= float.IsFinite(actual[i]);
            scale = Math.Max(scale, Math.Abs(expected[i]));
            difference = Math.Max(difference, Math.Abs((double)expected[i] - actual[i]));
        }

        double error = difference / Math.Max(scale, floor);
        report(name, finite && error <= relative, $"{expected.Length} values, largest difference over largest magnitude {error:E2}");
    }

    private static float[] Inputs(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static int[] Labels(int count, int classes)
    {
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (i * 7 + 1) % classes;
        }

        return labels;
    }
}
