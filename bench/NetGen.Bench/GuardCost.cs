using System.Diagnostics;

namespace NetGen.Bench;

/// <summary>
/// `--guard-cost [rounds]`: the cost of the non-finite checks of a training step against the step itself, paired in one
/// process. Each round times 20 MLP training steps (which include the checks) and then 20 repetitions of the checks alone
/// on the same arrays (the vectorised read of the inputs before the forward pass and of the gradient arena after the
/// backward pass, <see cref="Guard.Finite"/> and <see cref="Guard.IsFiniteStep(double, float[])"/>); the ratio of the two per round is
/// printed with its median, so a machine that slows down between rounds moves both halves of a pair alike.
/// </summary>
internal static class GuardCost
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
        const int Reps = 20;
        var net = new BenchMlp(1);
        var x = new float[BenchMlp.MaxBatch * BenchMlp.InputSize];
        var y = new int[BenchMlp.MaxBatch];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)Math.Sin(i * 0.01);
        }

        for (int i = 0; i < y.Length; i++)
        {
            y[i] = i % 10;
        }

        float loss = 0;
        for (int i = 0; i < 50; i++)
        {
            loss = net.TrainStep(x, y);
        }

        float[] gradients = net.Gradients.ToArray(); // the arena's values; the generated code passes the arena itself (float[])
        var ratios = new double[rounds];
        var old = new double[rounds];
        bool sink = false;
        for (int r = 0; r < rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Reps; i++)
            {
                loss = net.TrainStep(x, y);
            }

            long tStep = Stopwatch.GetTimestamp();
            net.Gradients.CopyTo(gradients);
            long t1 = Stopwatch.GetTimestamp();
            t0 += t1 - tStep; // the copy is not part of the step
            for (int i = 0; i < Reps; i++)
            {
                Guard.Finite(x, "inputs", "BenchMlp");
                sink ^= Guard.IsFiniteStep(loss, gradients);
            }

            long t2 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Reps; i++)
            {
                // The checks as first written: TensorPrimitives.MaxMagnitude, which is NaN or ∞ exactly when a value is.
                sink ^= float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<float>(x));
                sink ^= float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(net.Gradients));
            }

            long t3 = Stopwatch.GetTimestamp();
            ratios[r] = (double)(t2 - t1) / (t1 - t0);
            old[r] = (double)(t3 - t2) / (t1 - t0);
            Console.WriteLine(FormattableString.Invariant($"round {r + 1,2}: step {(t1 - t0) * 1e6 / Stopwatch.Frequency / Reps,8:F1} µs, checks {(t2 - t1) * 1e6 / Stopwatch.Frequency / Reps,6:F2} µs ({ratios[r]:P3}), MaxMagnitude checks {(t3 - t2) * 1e6 / Stopwatch.Frequency / Reps,6:F2} µs ({old[r]:P3})"));
        }

        Array.Sort(ratios);
        Array.Sort(old);
        Console.WriteLine(FormattableString.Invariant($"median ratio checks/step: {ratios[rounds / 2]:P3} (min {ratios[0]:P3}, max {ratios[^1]:P3}); with MaxMagnitude {old[rounds / 2]:P3} (min {old[0]:P3}); {rounds} rounds of {Reps} steps; {(sink ? 1 : 0)}"));
        return 0;
    }
}
