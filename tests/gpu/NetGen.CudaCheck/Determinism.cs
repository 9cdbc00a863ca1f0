using System.Runtime.InteropServices;
using NetGen;

namespace NetGen.CudaCheck;

/// <summary>"Deterministic mode gives the same bits run to run" (issue 17): each network is trained twice on Backend.Cuda,
/// fresh instances with the same seed and the same 20 batches, once with CUDA graphs (as shipped) and once launch by launch,
/// and the two runs must agree bit for bit: every loss, every parameter, and the whole training state (parameters,
/// optimizer state, BatchNorm's running statistics and counters, as <c>SaveTrainingState</c> writes them). The graph runs
/// must also equal the launch-by-launch runs bit for bit. NetGen has no separate deterministic mode: its kernels reduce in
/// fixed orders and fixed trees and use no atomics (docs/cuda.md), so every run is deterministic.</summary>
internal static class DeterminismChecks
{
    private const int Steps = 20;

    /// <summary>Runs every network; <paramref name="report"/> prints one PASS/FAIL line and counts a failure.</summary>
    /// <param name="report">Name, passed, detail.</param>
    /// <param name="full">Also the benchmark's networks at their full batch of 64 (on a GPU; too slow under emulation).</param>
    public static void Run(Action<string, bool, string> report, bool full)
    {
        Twice("residual MLP (AdamW, dropout, stochastic depth)", (s, g) => new CheckResidualNet(s, Backend.Cuda) { CudaGraphs = g }, report);
        Twice("LeNet-style CNN (momentum)", (s, g) => new LeNetMomentum(s, Backend.Cuda) { CudaGraphs = g }, report);
        Twice("BatchNorm2D CNN (Adam)", (s, g) => new BatchNorm2DAdam(s, Backend.Cuda) { CudaGraphs = g }, report);
        if (full)
        {
            Twice("benchmark MLP 784-256-128-10 (Adam, batch 64)", (s, g) => new CudaBenchMlp(s, Backend.Cuda) { CudaGraphs = g }, report);
            Twice("benchmark CNN (momentum, batch 64)", (s, g) => new CudaBenchCnn(s, Backend.Cuda) { CudaGraphs = g }, report);
        }
    }

    private static void Twice<T>(string name, Func<ulong, bool, T> create, Action<string, bool, string> report)
        where T : INeuralNetwork<int>, IDisposable
    {
        string what = "determinism " + name;
        try
        {
            Result? previous = null;
            foreach (bool graphs in new[] { true, false })
            {
                string mode = graphs ? "CUDA graphs" : "launch by launch";
                Result first = Train(create, graphs), second = Train(create, graphs);
                report($"{what}, {mode}: two runs, {Steps} steps, same bits", first.SameBits(second, out string detail), detail);
                if (previous is Result p)
                {
                    report($"{what}: CUDA graphs = launch by launch, same bits", p.SameBits(first, out detail), detail);
                }
                previous = first;
            }
        }
        catch (Exception e)
        {
            report(what, false, e.GetType().Name + ": " + e.Message);
        }
    }

    private static Result Train<T>(Func<ulong, bool, T> create, bool graphs)
        where T : INeuralNetwork<int>, IDisposable
    {
        using T net = create(5, graphs);
        int inputs = net.InputSize, classes = net.OutputSize, rows = net.MaxBatch;
        var losses = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            (float[] x, int[] labels) = Batch(inputs, rows, classes, step);
            losses[step] = net.TrainStep(x, labels);
        }

        using var state = new MemoryStream();
        net.SaveTrainingState(state); // device → host first: parameters, optimizer state, buffers, counters
        return new Result(losses, net.Parameters.ToArray(), state.ToArray());
    }

    /// <summary>Rows for <paramref name="step"/>: smooth functions of (step, index) in [−1, 1], the label a function of the row.</summary>
    internal static (float[] X, int[] Labels) Batch(int inputs, int rows, int classes, int step)
    {
        var x = new float[rows * inputs];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int i = 0; i < inputs; i++)
            {
                float v = (float)Math.Sin((0.37 * i) + (1.3 * r) + (0.11 * step));
                x[(r * inputs) + i] = v;
                sum += v * ((i % 7) - 3);
            }

            labels[r] = (int)((uint)Math.Abs(sum * 1000) % (uint)classes);
        }

        return (x, labels);
    }

    private sealed record Result(float[] Losses, float[] Parameters, byte[] TrainingState)
    {
        public bool SameBits(Result other, out string detail)
        {
            int losses = Differing(Losses, other.Losses), parameters = Differing(Parameters, other.Parameters);
            bool state = TrainingState.AsSpan().SequenceEqual(other.TrainingState);
            detail = $"{Losses.Length} losses ({losses} differ), {Parameters.Length} parameters ({parameters} differ), training state of {TrainingState.Length} bytes ({(state ? "identical" : "differs")})";
            return losses == 0 && parameters == 0 && state && Parameters.Length > 0;
        }

        private static int Differing(float[] a, float[] b)
        {
            if (a.Length != b.Length)
            {
                return Math.Max(a.Length, b.Length);
            }

            ReadOnlySpan<uint> x = MemoryMarshal.Cast<float, uint>(a), y = MemoryMarshal.Cast<float, uint>(b);
            int count = 0;
            for (int i = 0; i < x.Length; i++)
            {
                count += x[i] == y[i] ? 0 : 1;
            }

            return count;
        }
    }
}
