using System.Text.Json;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Linear warm-up followed by another schedule against PyTorch 1.13 (tests/reference/make_optimizer_reference.py):
/// SequentialLR([LinearLR, X], milestones) and LinearLR chained with X, the rate of every step bit for bit over 30
/// steps (Reference/schedules_warmup.json); and three 10-step training runs: warm-up + cosine with AdamW and gradient
/// clipping, warm-up + step decay with momentum (stepped per batch), warm-up + exponential with Adam stepped per epoch of
/// two batches — the rate, the loss and every parameter after every step at 1e-5.
/// </summary>
public sealed class WarmupScheduleTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Sequences => new()
    {
        "seq_linear_cosine", "seq_linear_step", "seq_linear_exponential", "seq_linear_inverse_time", "seq_linear_cosine_late",
        "chained_linear_exponential", "chained_linear_step",
    };

    /// <summary>The schedules of a case, built as the PyTorch code in the reference file builds them; the returned action
    /// is what the training loop calls where PyTorch calls scheduler.step().</summary>
    private static Action Build(string name, INeuralNetwork net) => name switch
    {
        "seq_linear_cosine" => new SequentialLR(net, [new LinearLR(net, 0.1, totalIters: 5), new CosineAnnealingLR(net, 20, 0.001)], [5]).Step,
        "seq_linear_step" => new SequentialLR(net, [new LinearLR(net, 0.25, totalIters: 4), new StepLR(net, 3, 0.5)], [4]).Step,
        "seq_linear_exponential" => new SequentialLR(net, [new LinearLR(net, 0.5, totalIters: 3), new ExponentialLR(net, 0.9)], [3]).Step,
        "seq_linear_inverse_time" => new SequentialLR(net, [new LinearLR(net, 0.2, totalIters: 5), new InverseTimeLR(net, 0.5)], [5]).Step,
        "seq_linear_cosine_late" => new SequentialLR(net, [new LinearLR(net, 0.1, totalIters: 4), new CosineAnnealingLR(net, 10)], [6]).Step,
        "chained_linear_exponential" => Both(new LinearLR(net, 0.25, totalIters: 4), new ExponentialLR(net, 0.9)),
        "chained_linear_step" => Both(new LinearLR(net, 0.5, totalIters: 6), new StepLR(net, 4, 0.3)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
    };

    private static Action Both(LearningRateSchedule first, LearningRateSchedule second) => () =>
    {
        first.Step();
        second.Step();
    };

    [Theory]
    [MemberData(nameof(Sequences))]
    public void TheRatesAreThoseOfPyTorchsSchedulers(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("schedules_warmup.json")));
        JsonElement c = document.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        double[] expected = c.GetProperty("lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var net = new StepLrMomentum(1) { LearningRate = c.GetProperty("base_lr").GetDouble() };
        Action step = Build(name, net);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == net.LearningRate, $"{name}: step {i}: learning rate {net.LearningRate:R}, PyTorch {expected[i]:R}");
            step();
        }
    }

    [Fact]
    public void WarmupThenCosineWithAdamWAndClippingMatchesPyTorch()
    {
        var reference = ReferenceCase.Load("optim_warmup_cosine_adamw");
        var net = new WarmAdamW(reference.Seed) { ClipGradientNorm = 0.5 };
        reference.CopyParametersInto(net);
        var schedule = new SequentialLR(net, [new LinearLR(net, 0.1, totalIters: 4), new CosineAnnealingLR(net, 6)], [4]);
        double[] norms = reference.Doubles("grad_norm_per_step");
        Run(reference, net, schedule.Step, 1, (step, n) => Close.Scalar(norms[step], net.LastGradientNorm, Tolerance, $"gradient norm before clipping, step {step}"));
        Assert.True(norms.Count(n => n > 0.5) is > 0 and < 10, "the reference clips in some steps and not others");
    }

    [Fact]
    public void WarmupThenStepDecayWithMomentumMatchesPyTorch()
    {
        var reference = ReferenceCase.Load("optim_warmup_step_momentum");
        var net = new WarmMomentum(reference.Seed);
        reference.CopyParametersInto(net);
        var schedule = new SequentialLR(net, [new LinearLR(net, 0.25, totalIters: 3), new StepLR(net, 2, 0.5)], [3]);
        Run(reference, net, schedule.Step, 1, null);
    }

    [Fact]
    public void WarmupSteppedPerEpochMatchesPyTorch()
    {
        // An epoch is two batches of 4 rows; the schedule steps after the second: the rate changes every other step.
        var reference = ReferenceCase.Load("optim_warmup_epoch_adam");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("optim_warmup_epoch_adam.json")));
        int batchesPerEpoch = document.RootElement.GetProperty("batches_per_epoch").GetInt32();
        Assert.Equal(2, batchesPerEpoch);
        var net = new WarmAdam(reference.Seed);
        reference.CopyParametersInto(net);
        var schedule = new SequentialLR(net, [new LinearLR(net, 0.2, totalIters: 2), new ExponentialLR(net, 0.7)], [2]);
        Run(reference, net, schedule.Step, batchesPerEpoch, null);
        Assert.Equal(5, schedule.Epoch);
        Assert.IsType<ExponentialLR>(schedule.Current);
    }

    [Fact]
    public void BadSequencesThrowAndLeaveTheRateAsItWas()
    {
        var net = new StepLrMomentum(1);
        var other = new StepLrMomentum(2);
        var warmup = new LinearLR(net, 0.5, totalIters: 2);
        var decay = new ExponentialLR(net, 0.9);
        double rate = net.LearningRate;
        Assert.Throws<ArgumentException>(() => new SequentialLR(net, [warmup, decay], []));
        Assert.Throws<ArgumentException>(() => new SequentialLR(net, [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequentialLR(net, [warmup, decay], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequentialLR(net, [warmup, decay, new StepLR(net, 2)], [3, 3]));
        Assert.Throws<ArgumentException>(() => new SequentialLR(net, [warmup, new ExponentialLR(other, 0.9)], [2]));
        Assert.Throws<ArgumentException>(() => new SequentialLR(net, [warmup, warmup], [2]));
        Assert.Throws<ArgumentException>(() => new SequentialLR(other, [new SequentialLR(other, [new ExponentialLR(other, 0.9)], [])], []));
        Assert.Equal(rate, net.LearningRate);
    }

    [Fact]
    public void WithoutTheMilestoneRestartTheRatesDiffer()
    {
        // The sequence test can fail: stepping the two schedules one after the other by hand (no restart of the second at
        // the milestone, whose base was captured after the warm-up's first factor) does not give PyTorch's rates.
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("schedules_warmup.json")));
        double[] expected = document.RootElement.GetProperty("cases").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "seq_linear_cosine").GetProperty("lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var net = new StepLrMomentum(1) { LearningRate = 0.1 };
        var warmup = new LinearLR(net, 0.1, totalIters: 5);
        var cosine = new CosineAnnealingLR(net, 20, 0.001);
        var rates = new double[expected.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            rates[i] = net.LearningRate;
            if (i < 5)
            {
                warmup.Step();
            }
            else
            {
                cosine.Step();
            }
        }

        Assert.NotEqual(expected, rates);
    }

    private static void Run(ReferenceCase reference, INeuralNetwork<int> net, Action scheduleStep, int batchesPerEpoch, Action<int, INeuralNetwork<int>>? check)
    {
        float[] x = reference.X;
        int[] labels = reference.Labels;
        int rows = labels.Length / batchesPerEpoch;
        double[] rates = reference.LearningRatePerStep;
        for (int step = 0; step < reference.StepCount; step++)
        {
            Assert.True(rates[step] == net.LearningRate, $"step {step}: learning rate {net.LearningRate:R}, PyTorch {rates[step]:R}");
            int first = step % batchesPerEpoch * rows;
            float loss = net.TrainStep(x.AsSpan(first * net.InputSize, rows * net.InputSize), labels.AsSpan(first, rows));
            if ((step + 1) % batchesPerEpoch == 0)
            {
                scheduleStep();
            }

            check?.Invoke(step, net);
            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }
        }
    }
}
