using NetGen.Data;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>Resuming a <see cref="SequentialLR"/> from a trainer checkpoint: the sequence holds schedules whose own epochs
/// (and base rates, changed at a milestone) decide the next rates, so its saved state must carry them, not only its own
/// epoch.</summary>
public sealed class ScheduleResumeTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "netgen-schedule-resume-" + Guid.NewGuid().ToString("N"));

    public ScheduleResumeTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static FitOptions Options(INeuralNetwork net, int epochs, string? checkpoint, string? resume)
    {
        // 120 rows at 16 per batch: 8 steps an epoch; the warm-up ends inside epoch 1, the cosine runs across the checkpoint.
        var warmup = new LinearLR(net, startFactor: 0.1, totalIters: 5);
        var cosine = new CosineAnnealingLR(net, tMax: 20, etaMin: 1e-4);
        return new FitOptions
        {
            Epochs = epochs, Schedule = new SequentialLR(net, new LearningRateSchedule[] { warmup, cosine }, milestones: new[] { 5 }),
            ScheduleStep = ScheduleStep.Batch, CheckpointPath = checkpoint, ResumeFrom = resume, Progress = TrainingProgress.None,
        };
    }

    [Fact]
    public void ResumingASequentialWarmupThenCosinePerBatch_GivesTheBitsOfAnUninterruptedRun()
    {
        InMemoryDataset data = TrainerTests.Clusters(120, 3);
        var straight = new TrainerMlp(5);
        TrainingHistory all = straight.Fit(data, Options(straight, 4, null, null));

        string path = Path.Combine(_folder, "seq.safetensors");
        var first = new TrainerMlp(5);
        first.Fit(data, Options(first, 2, path, null));
        var resumed = new TrainerMlp(99);
        TrainingHistory rest = resumed.Fit(data, Options(resumed, 4, null, path));

        Assert.Equal(3, rest.FirstEpochRun);
        Assert.Equal(all.Column("learning_rate"), rest.Column("learning_rate"));
        Assert.Equal(straight.LearningRate, resumed.LearningRate);
        Assert.Equal(straight.Step, resumed.Step);
        Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters), "parameters differ after resuming");
        Assert.Equal(all.Column("loss"), rest.Column("loss"));
    }

    [Fact]
    public void ASequentialStateOfOtherSchedulesIsRefused()
    {
        var net = new TrainerMlp(1);
        ITrainingSchedule two = new SequentialLR(net, new LearningRateSchedule[] { new LinearLR(net), new ExponentialLR(net, 0.9) }, new[] { 3 });
        ITrainingSchedule three = new SequentialLR(net, new LearningRateSchedule[] { new LinearLR(net), new ExponentialLR(net, 0.9), new ExponentialLR(net, 0.5) }, new[] { 3, 6 });
        Assert.Throws<ArgumentException>(() => two.RestoreState(three.SaveState()));
    }

    [Fact]
    public void FitOnASoftTargetNetworkStillTrainsOnLabels()
    {
        var net = new TrainerMlp(2);
        Assert.IsAssignableFrom<ISoftTargetNetwork>(net);
        TrainingHistory h = net.Fit(TrainerTests.Clusters(160, 4), new FitOptions { Epochs = 6, Progress = TrainingProgress.None });
        double[] loss = h.Column("loss").ToArray();
        Assert.True(loss[^1] < loss[0], $"loss did not fall: {loss[0]} → {loss[^1]}");
    }
}
