using NetGen.Data;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// FitOptions.Mixup: Fit trains on exactly the mixed batches and probability rows of the manual loop (gather →
/// Augmentation.Apply with Mixup → soft-target TrainStep), reports their loss, evaluates the validation rows unmixed,
/// resumes with the same bits, refuses networks and augmentations it cannot use, and allocates nothing per step.
/// λ's distribution is tested in AugmentationTests.
/// </summary>
public sealed class TrainerMixupTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "netgen-mixup-" + Guid.NewGuid().ToString("N"));

    public TrainerMixupTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Rows of 6 features seen as [1, 2, 3] images: Mixup with flips, α = 0.4.</summary>
    private static Augmentation Mixup(ulong seed, double alpha = 0.4) => new(1, 2, 3, seed) { MixupAlpha = alpha, FlipProbability = 0.5 };

    [Fact]
    public void FitWithMixup_EqualsTheManualLoopBitForBit_AndReportsTheSoftTargetLoss()
    {
        InMemoryDataset data = TrainerTests.Clusters(100, 4);
        InMemoryDataset validation = TrainerTests.Clusters(40, 5);
        var fitted = new TrainerMlp(5);
        TrainingHistory history = fitted.Fit(data, new FitOptions
        {
            Epochs = 2, Seed = 9, TrainingEvaluationRows = 0, Mixup = Mixup(3), Progress = TrainingProgress.None,
        }, validation);

        // The manual loop: the same shuffles (seed 9), batches of 16 (the last one of 4 rows), the same Mixup draws.
        var manual = new TrainerMlp(5);
        ISoftTargetNetwork soft = manual;
        Augmentation mixup = Mixup(3);
        var batches = new Batches(100, 16, 9);
        var x = new float[16 * 6];
        var y = new int[16];
        var probabilities = new float[16 * 4];
        var losses = new double[2];
        bool mixed = false;
        for (int epoch = 0; epoch < 2; epoch++)
        {
            batches.Shuffle(epoch);
            double sum = 0;
            for (int b = 0; b < batches.BatchCount; b++)
            {
                int n = batches.CopyBatch(b, data, x, y);
                Span<float> batch = x.AsSpan(0, n * 6);
                double lambda = mixup.Apply(batch, y.AsSpan(0, n), 4, batch, probabilities.AsSpan(0, n * 4), epoch, b);
                mixed |= lambda is > 0.01 and < 0.99;
                sum += (double)soft.TrainStep(batch, probabilities.AsSpan(0, n * 4)) * n;
            }

            losses[epoch] = sum / 100;
        }

        Assert.True(mixed, "no batch was really mixed: the test would not see Mixup");
        Assert.True(fitted.Parameters.SequenceEqual(manual.Parameters), "Fit with Mixup differs from the manual loop");
        Assert.Equal(losses, history.Select(r => r.Loss));

        // Validation is unmixed: the last record's validation loss is the plain evaluation of the validation set.
        Evaluation plain = manual.Evaluate(validation);
        Assert.Equal(plain.Loss, history[^1].ValidationLoss);
        Assert.Equal(plain.Accuracy, history[^1].ValidationAccuracy);

        // And Mixup changes the training: without it the same run ends elsewhere.
        var unmixed = new TrainerMlp(5);
        unmixed.Fit(data, new FitOptions { Epochs = 2, Seed = 9, TrainingEvaluationRows = 0, Progress = TrainingProgress.None }, validation);
        Assert.False(unmixed.Parameters.SequenceEqual(fitted.Parameters), "Mixup had no effect");
    }

    [Fact]
    public void FitWithMixup_AppliesTransformBatchFirst()
    {
        // TransformBatch (here: shift every value by 0.1·(epoch + 1)) runs before the mix, as in the manual loop.
        InMemoryDataset data = TrainerTests.Clusters(64, 6);
        static void Shift(Span<float> x, int rows, int epoch, int batch)
        {
            for (int i = 0; i < rows * 6; i++)
            {
                x[i] += 0.1f * (epoch + 1);
            }
        }

        var fitted = new TrainerPlain(2);
        fitted.Fit(data, new FitOptions
        {
            Epochs = 2, BatchSize = 16, Seed = 4, TrainingEvaluationRows = 0, TransformBatch = Shift, Mixup = Mixup(8, alpha: 1),
            Progress = TrainingProgress.None,
        });

        var manual = new TrainerPlain(2);
        Augmentation mixup = Mixup(8, alpha: 1);
        var batches = new Batches(64, 16, 4);
        var x = new float[16 * 6];
        var y = new int[16];
        var probabilities = new float[16 * 4];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            batches.Shuffle(epoch);
            for (int b = 0; b < batches.BatchCount; b++)
            {
                int n = batches.CopyBatch(b, data, x, y);
                Shift(x, n, epoch, b);
                mixup.Apply(x, y, 4, x, probabilities, epoch, b);
                ((ISoftTargetNetwork)manual).TrainStep(x, probabilities);
            }
        }

        Assert.True(fitted.Parameters.SequenceEqual(manual.Parameters), "Fit with TransformBatch and Mixup differs from the manual loop");
    }

    [Fact]
    public void ResumingAMixupRun_GivesTheBitsOfTheUninterruptedRun()
    {
        InMemoryDataset data = TrainerTests.Clusters(96, 7);
        FitOptions Options(int epochs, string? checkpoint = null, string? resume = null) => new()
        {
            Epochs = epochs, BatchSize = 16, ValidationSplit = 0.25, Mixup = Mixup(11), CheckpointPath = checkpoint, ResumeFrom = resume,
            Progress = TrainingProgress.None,
        };

        var straight = new TrainerMlp(3);
        TrainingHistory all = straight.Fit(data, Options(4));
        string path = Path.Combine(_folder, "mixup.safetensors");
        new TrainerMlp(3).Fit(data, Options(2, checkpoint: path));
        var resumed = new TrainerMlp(8);
        TrainingHistory rest = resumed.Fit(data, Options(4, resume: path));

        Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters), "the resumed Mixup run differs from the uninterrupted one");
        Assert.Equal(all.Select(r => r.Loss), rest.Select(r => r.Loss));
    }

    [Fact]
    public void Mixup_IsRefusedWhereItCannotWork_AndNothingIsTrained()
    {
        InMemoryDataset clusters = TrainerTests.Clusters(64, 1);

        // A classifier without soft targets (multiclass hinge loss).
        var hinge = new InitHinge(1);
        float[] before = hinge.Parameters.ToArray();
        var features = new float[64 * 20];
        var e1 = Assert.Throws<ArgumentException>(() => hinge.Fit(new InMemoryDataset(features, clusters.Labels, 20),
            new FitOptions { Epochs = 1, Mixup = new Augmentation(1, 4, 5, 1) { MixupAlpha = 1 }, Progress = TrainingProgress.None }));
        Assert.Contains("ISoftTargetNetwork", e1.Message);
        Assert.Equal("Mixup", e1.ParamName);
        Assert.True(before.AsSpan().SequenceEqual(hinge.Parameters));

        // A regression network.
        var regression = new TrainerRegression(1);
        var targets = new RegressionDataset(new float[32 * 3], 3, new float[32 * 2], 2);
        var e2 = Assert.Throws<ArgumentException>(() => regression.Fit(targets,
            new FitOptions { Epochs = 1, Mixup = new Augmentation(1, 1, 3, 1) { MixupAlpha = 1 }, Progress = TrainingProgress.None }));
        Assert.Contains("soft targets", e2.Message);

        // An augmentation that does not mix (α = 0), and one of another image size.
        var mlp = new TrainerMlp(1);
        before = mlp.Parameters.ToArray();
        var e3 = Assert.Throws<ArgumentException>(() => mlp.Fit(clusters,
            new FitOptions { Epochs = 1, Mixup = new Augmentation(1, 2, 3, 1) { FlipProbability = 0.5 }, Progress = TrainingProgress.None }));
        Assert.Contains("MixupAlpha = 0", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => mlp.Fit(clusters,
            new FitOptions { Epochs = 1, Mixup = new Augmentation(1, 2, 4, 1) { MixupAlpha = 1 }, Progress = TrainingProgress.None }));
        Assert.Contains("InputSize = 6", e4.Message);
        Assert.True(before.AsSpan().SequenceEqual(mlp.Parameters));
    }

    [Fact]
    public void ATrainingStepWithMixupInsideFitAllocatesNothing()
    {
        // As TrainerTests.ATrainingStepInsideFitAllocatesNothing, with Mixup, crops and flips of [1, 4, 4] images.
        InMemoryDataset data = TrainerTests.Clusters(320, 1);
        var net = new AllocationNet(1);
        var x = new float[320 * 16];
        for (int i = 0; i < 320; i++)
        {
            data.Features.AsSpan(i * 6, 6).CopyTo(x.AsSpan(i * 16, 6));
        }

        var allocated = new long[3 * 10];
        TimeSpan[] pausedBefore = new TimeSpan[3 * 10], pausedAfter = new TimeSpan[3 * 10];
        int calls = 0;
        net.Fit(new InMemoryDataset(x, data.Labels, 16), new FitOptions
        {
            Epochs = 3, Schedule = new ExponentialLR(net, 0.99), ScheduleStep = ScheduleStep.Batch,
            Mixup = new Augmentation(1, 4, 4, 1) { MixupAlpha = 1, FlipProbability = 0.5, CropPadding = 1 },
            OnBatchEnd = p => { pausedBefore[calls] = GC.GetTotalPauseDuration(); allocated[calls] = GC.GetAllocatedBytesForCurrentThread(); pausedAfter[calls++] = GC.GetTotalPauseDuration(); },
            Progress = TrainingProgress.None,
        });

        Assert.Equal(30, calls);
        // A batch during which a garbage collection paused the threads is not counted: the collection adds the unused
        // rest of this thread's allocation context to GetAllocatedBytesForCurrentThread (NetGen.Runtime.Tests.AllocationProbe).
        int checkedBatches = 0;
        for (int epoch = 1; epoch < 3; epoch++)
        {
            for (int b = 1; b < 10; b++)
            {
                int i = (epoch * 10) + b;
                if (pausedBefore[i - 1] == pausedAfter[i]) // no pause from before the first read to after the second
                {
                    Assert.True(allocated[i] - allocated[i - 1] == 0, $"batch {b} of epoch {epoch + 1} allocated {allocated[i] - allocated[i - 1]} bytes");
                    checkedBatches++;
                }
            }
        }

        Assert.True(checkedBatches >= 9, $"only {checkedBatches} of 18 batches ran without a garbage collection");
    }
}
