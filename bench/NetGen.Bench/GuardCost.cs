using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// `--guard-cost [rounds] [--reps N] [--calibrate]`: what the non-finite checks add to an MLP training step (784-256-128-10,
/// batch 64, Adam), paired in one process. Each round times <c>N</c> (default 20) training steps with the checks (A) and
/// <c>N</c> without (B: <see cref="FiniteCheck.Disabled"/>, a switch for this benchmark only, turns off every check of the
/// step: the kernels' folded checks, the argument reads and the arena reads), in the order AB on odd rounds and BA on even
/// ones, so a machine that slows down within a round biases neither side. The cost is (A − B) / B per round; its median over
/// the rounds is the figure (and, on a loaded machine where preemption spreads the rounds, the ratio of each side's fastest
/// round). Each round also times, against the same B, the separate read the checks replaced
/// (<see cref="Guard.Finite"/> of the inputs and <see cref="Guard.IsFiniteStep(double, float[])"/> of the whole gradient
/// arena, once per step), so one run shows both. <c>--calibrate</c> runs A against A (checks on in both halves) to show what
/// the harness resolves on this machine.
/// </summary>
internal static class GuardCost
{
    public static int Run(string[] args)
    {
        if (args.Length > 3 && args[1] == "--instructions")
        {
            return Instructions(args[2] == "on", int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        }

        int rounds = 30, reps = 20;
        bool calibrate = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length)
            {
                reps = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--calibrate")
            {
                calibrate = true;
            }
            else
            {
                rounds = int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        (BenchMlp net, float[] x, int[] y) = Setup();
        float loss = 0;
        for (int i = 0; i < 100; i++)
        {
            loss = Steps(net, x, y, 1, checks: i % 2 == 0);
        }

        float[] gradients = net.Gradients.ToArray();
        var cost = new double[rounds];
        var read = new double[rounds];
        double sumA = 0, sumB = 0;
        long minA = long.MaxValue, minB = long.MaxValue;
        bool sink = false;
        for (int r = 0; r < rounds; r++)
        {
            bool aFirst = r % 2 == 0;
            long a, b;
            if (aFirst)
            {
                a = Time(() => loss = Steps(net, x, y, reps, checks: true));
                b = Time(() => loss = Steps(net, x, y, reps, checks: calibrate));
            }
            else
            {
                b = Time(() => loss = Steps(net, x, y, reps, checks: calibrate));
                a = Time(() => loss = Steps(net, x, y, reps, checks: true));
            }

            net.Gradients.CopyTo(gradients);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++)
            {
                Guard.Finite(x, "inputs", "BenchMlp");
                sink ^= Guard.IsFiniteStep(loss, gradients);
            }

            long separate = Stopwatch.GetTimestamp() - t0;
            cost[r] = (double)(a - b) / b;
            read[r] = (double)separate / b;
            sumA += a;
            sumB += b;
            minA = Math.Min(minA, a);
            minB = Math.Min(minB, b);
            Console.WriteLine(FormattableString.Invariant(
                $"round {r + 1,2} ({(aFirst ? "AB" : "BA")}): with checks {Us(a, reps),8:F1} µs, without {Us(b, reps),8:F1} µs, cost {cost[r],8:P3}; separate read {Us(separate, reps),6:F2} µs ({read[r]:P3})"));
        }

        Array.Sort(cost);
        Array.Sort(read);
        Console.WriteLine(FormattableString.Invariant(
            $"median cost of the checks (A − B) / B: {cost[rounds / 2]:P3} (quartiles {cost[rounds / 4]:P3} .. {cost[3 * rounds / 4]:P3}; min {cost[0]:P3}, max {cost[^1]:P3}){(calibrate ? " [A/A calibration]" : string.Empty)}"));
        Console.WriteLine(FormattableString.Invariant(
            $"ratio of the sums: {(sumA - sumB) / sumB:P3}; of the fastest rounds (min A − min B) / min B: {(double)(minA - minB) / minB:P3} ({Us(minA, reps):F1} / {Us(minB, reps):F1} µs); the separate read the checks replaced: median {read[rounds / 2]:P3} of the step; {rounds} rounds of {reps} steps per side; loss {loss:G4}; {(sink ? 1 : 0)}"));
        return 0;
    }

    /// <summary>
    /// `--guard-cost --instructions on|off STEPS`: for an instruction count under
    /// <c>valgrind --tool=callgrind</c>: every kernel on this thread (the split of a one-core machine, so no worker spins),
    /// 3 warm-up steps each way (run it with DOTNET_TieredCompilation=0, so every method is compiled once, optimised), then <c>STEPS</c> steps with the checks on or off. The per-step count is the difference of
    /// two runs with different STEPS over the difference of STEPS (start-up and warm-up cancel); bench/README.md.
    /// </summary>
    private static int Instructions(bool checks, int steps)
    {
        Workers.SplitAsIfForTests(1);
        (BenchMlp net, float[] x, int[] y) = Setup();
        for (int i = 0; i < 3; i++)
        {
            Steps(net, x, y, 1, checks: true);
            Steps(net, x, y, 1, checks: false);
        }

        float loss = Steps(net, x, y, steps, checks);
        Console.WriteLine(FormattableString.Invariant($"{steps} steps, checks {(checks ? "on" : "off")}, loss {loss:G6}"));
        return 0;
    }

    private static float Steps(BenchMlp net, float[] x, int[] y, int reps, bool checks)
    {
        FiniteCheck.Disabled = !checks;
        try
        {
            float loss = 0;
            for (int i = 0; i < reps; i++)
            {
                loss = net.TrainStep(x, y);
            }

            return loss;
        }
        finally
        {
            FiniteCheck.Disabled = false;
        }
    }

    private static long Time(Action action)
    {
        long t0 = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetTimestamp() - t0;
    }

    private static double Us(long ticks, int reps) => ticks * 1e6 / Stopwatch.Frequency / reps;

    /// <summary>The benchmark MLP and one fixed batch (x = sin(0.01·i), labels i mod 10) at learning rate 1e-4: 1e-3 on this
    /// fixed batch drives the loss to 0 within a few thousand steps; any finite step will do.</summary>
    private static (BenchMlp Net, float[] X, int[] Y) Setup()
    {
        var net = new BenchMlp(1) { LearningRate = 1e-4 };
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

        return (net, x, y);
    }
}
