using System.Text.Json;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Every learning-rate schedule against PyTorch 1.13's scheduler over 40 steps (tests/reference/make_schedule_reference.py
/// wrote Reference/schedules.json): the rate the optimizer uses at each step, bit for bit.
/// </summary>
public sealed class ScheduleReferenceTests
{
    public static TheoryData<string> Cases => new() { "exponential", "step", "cosine", "cosine_zero_min", "linear_warmup", "inverse_time", "plateau", "plateau_abs" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheRatesAreThoseOfPyTorchsScheduler(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("schedules.json")));
        JsonElement c = document.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        JsonElement a = c.GetProperty("args");
        double[] expected = c.GetProperty("lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[]? metrics = c.TryGetProperty("metrics", out JsonElement m) ? m.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;

        var net = new StepLrMomentum(1) { LearningRate = c.GetProperty("base_lr").GetDouble() };
        Action<int> step = c.GetProperty("kind").GetString() switch
        {
            "ExponentialLR" => Schedule(new ExponentialLR(net, a.GetProperty("gamma").GetDouble())),
            "StepLR" => Schedule(new StepLR(net, a.GetProperty("step_size").GetInt32(), a.GetProperty("gamma").GetDouble())),
            "CosineAnnealingLR" => Schedule(new CosineAnnealingLR(net, a.GetProperty("T_max").GetInt32(), a.GetProperty("eta_min").GetDouble())),
            "LinearLR" => Schedule(new LinearLR(net, a.GetProperty("start_factor").GetDouble(), a.GetProperty("end_factor").GetDouble(), a.GetProperty("total_iters").GetInt32())),
            "LambdaLR" => Schedule(new InverseTimeLR(net, a.GetProperty("k").GetDouble())),
            "ReduceLROnPlateau" => Plateau(new ReduceLROnPlateau(net,
                a.GetProperty("mode").GetString() == "min" ? PlateauMode.Min : PlateauMode.Max,
                a.GetProperty("factor").GetDouble(), a.GetProperty("patience").GetInt32(), a.GetProperty("threshold").GetDouble(),
                a.GetProperty("threshold_mode").GetString() == "rel", a.GetProperty("cooldown").GetInt32(), a.GetProperty("min_lr").GetDouble(),
                a.GetProperty("eps").GetDouble()), metrics!),
            var kind => throw new InvalidOperationException(kind),
        };

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == net.LearningRate, $"{name}: step {i}: learning rate {net.LearningRate:R}, PyTorch {expected[i]:R}");
            step(i);
        }
    }

    private static Action<int> Schedule(LearningRateSchedule schedule) => _ => schedule.Step();

    private static Action<int> Schedule(StepLR schedule) => _ => schedule.Step();

    private static Action<int> Plateau(ReduceLROnPlateau schedule, double[] metrics) => i => schedule.Step(metrics[i]);

    [Fact]
    public void ATrainingRunWithCosineAnnealingReachesZeroAndKeepsTraining()
    {
        var net = new StepLrMomentum(3) { LearningRate = 0.05 };
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 8, 2);
        var schedule = new CosineAnnealingLR(net, tMax: 4);
        for (int i = 0; i < 4; i++)
        {
            net.TrainStep(x, labels);
            schedule.Step();
        }

        Assert.Equal(0.0, net.LearningRate, 15);
        net.TrainStep(x, labels); // a zero rate is valid: momentum alone moves the weights
        Assert.Equal(5, net.Step);
    }

    [Fact]
    public void BadScheduleArgumentsThrowAndChangeNothing()
    {
        var net = new StepLrMomentum(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(net, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(net, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(net, startFactor: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(net, factor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(net).Step(double.NaN));
        Assert.Equal(0.1, net.LearningRate);
    }
}
