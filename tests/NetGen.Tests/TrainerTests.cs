using NetGen.Data;
using NetGen.Serialization;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Trainer.Fit: batches (the partial last one included), reproducible shuffling, validation split and metrics checked
/// against direct computations, schedules, early stopping restoring the best parameters and buffers, checkpoints that
/// resume with the same bits as an uninterrupted run, cancellation, and no allocation per step.
/// </summary>
public sealed class TrainerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "netgen-trainer-" + Guid.NewGuid().ToString("N"));

    public TrainerTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Four Gaussian clusters in 6-D (class c centred at 2·e_c), σ = <paramref name="noise"/>, rows in class order.</summary>
    internal static InMemoryDataset Clusters(int rows, ulong seed, double noise = 0.7)
    {
        var x = new float[rows * 6];
        var y = new int[rows];
        ulong key = CounterRng.Key(seed, 77, 0, 0);
        for (int i = 0; i < rows; i++)
        {
            int c = i * 4 / rows;
            y[i] = c;
            for (int j = 0; j < 6; j++)
            {
                x[(i * 6) + j] = (float)((j == c ? 2.0 : 0.0) + (noise * CounterRng.Normal(key, (ulong)((i * 6) + j))));
            }
        }

        return new InMemoryDataset(x, y, 6);
    }

    private static RegressionDataset Linear(int rows, ulong seed)
    {
        var x = new float[rows * 3];
        var t = new float[rows * 2];
        ulong key = CounterRng.Key(seed, 78, 0, 0);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                x[(i * 3) + j] = (float)CounterRng.Normal(key, (ulong)((i * 3) + j));
            }

            t[i * 2] = (0.5f * x[i * 3]) - x[(i * 3) + 1];
            t[(i * 2) + 1] = 0.3f * x[(i * 3) + 2];
        }

        return new RegressionDataset(x, 3, t, 2);
    }

    private static FitOptions Quiet(FitOptions o) => new()
    {
        Epochs = o.Epochs, BatchSize = o.BatchSize, DropLast = o.DropLast, Shuffle = o.Shuffle, Seed = o.Seed, ValidationSplit = o.ValidationSplit,
        TrainingEvaluationRows = o.TrainingEvaluationRows, Loss = o.Loss, Margin = o.Margin, Delta = o.Delta, TopK = o.TopK, Schedule = o.Schedule,
        ScheduleStep = o.ScheduleStep, ScheduleMonitor = o.ScheduleMonitor, EarlyStopping = o.EarlyStopping, CheckpointPath = o.CheckpointPath,
        CheckpointEvery = o.CheckpointEvery, ResumeFrom = o.ResumeFrom, StopOnNonFiniteLoss = o.StopOnNonFiniteLoss, OnBatchEnd = o.OnBatchEnd,
        OnEpochEnd = o.OnEpochEnd, TransformBatch = o.TransformBatch, Progress = o.Progress ?? TrainingProgress.None,
    };

    [Fact]
    public void Fit_LearnsTheClustersAndRecordsEveryEpoch()
    {
        var net = new TrainerMlp(1);
        InMemoryDataset data = Clusters(400, 1);
        TrainingHistory history = net.Fit(data, Quiet(new FitOptions { Epochs = 8, ValidationSplit = 0.25, TopK = 2 }));

        Assert.Equal(StopReason.Completed, history.StopReason);
        Assert.Equal(8, history.Count);
        Assert.Equal(Enumerable.Range(1, 8), history.Select(r => r.Epoch));
        Assert.True(history[^1].Loss < history[0].Loss * 0.7, $"loss {history[0].Loss} → {history[^1].Loss}");
        Assert.True(history[^1].ValidationAccuracy > 0.85, history[^1].ToString());
        Assert.True(history[^1].ValidationTopKAccuracy >= history[^1].ValidationAccuracy);
        Assert.Equal(history[^1].TrainAccuracy - history[^1].ValidationAccuracy, history[^1].AccuracyGap);
        Assert.Equal(8L * 19, history[^1].Step); // 300 training rows in batches of 16: 18 full + 1 of 12
        Assert.Equal(history.Select(r => r.ValidationLoss), history.Column("val_loss"));
        Assert.Equal(9, history.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // The final evaluation is of the returned network on the 100 held-out rows.
        Evaluation final = history.Final!;
        Assert.Equal(100, final.Rows);
        Assert.Equal(history[^1].ValidationAccuracy, final.Accuracy);
        long total = 0;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                total += final.Confusion(i, j);
            }
        }

        Assert.Equal(100, total);
    }

    [Fact]
    public void Evaluate_MatchesDirectComputations()
    {
        var net = new TrainerMlp(3);
        InMemoryDataset data = Clusters(150, 2, noise: 1.5);
        net.Fit(data, Quiet(new FitOptions { Epochs = 2 }));
        Evaluation e = net.Evaluate(data, new FitOptions { TopK = 2 });

        var scores = new float[150 * 4];
        net.Predict(data.Features, scores);
        double loss = 0;
        int correct = 0, top2 = 0;
        var confusion = new long[4, 4];
        for (int i = 0; i < 150; i++)
        {
            float[] s = scores.AsSpan(i * 4, 4).ToArray();
            double max = s.Max();
            double logSum = Math.Log(s.Sum(v => Math.Exp(v - max))) + max;
            loss += logSum - s[data.Labels[i]];
            int predicted = Array.IndexOf(s, s.Max());
            correct += predicted == data.Labels[i] ? 1 : 0;
            top2 += s.Count(v => v > s[data.Labels[i]]) < 2 ? 1 : 0;
            confusion[data.Labels[i], predicted]++;
        }

        Assert.Equal(loss / 150, e.Loss, 1e-5);
        Assert.Equal(correct / 150.0, e.Accuracy);
        Assert.Equal(net.Accuracy(data.Features, data.Labels), e.Accuracy);
        Assert.Equal(top2 / 150.0, e.TopKAccuracy);
        for (int i = 0; i < 4; i++)
        {
            long row = 0;
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(confusion[i, j], e.Confusion(i, j));
                row += confusion[i, j];
            }

            Assert.Equal((double)confusion[i, i] / row, e.ClassAccuracy(i));
        }
    }

    [Fact]
    public void Regression_ReportsMaeAndRmseAndTheHuberLoss()
    {
        var net = new TrainerRegression(1);
        RegressionDataset train = Linear(320, 1), validation = Linear(80, 2);
        var options = new FitOptions { Epochs = 6, Loss = Loss.Huber, Delta = 0.5 };
        TrainingHistory history = net.Fit(train, Quiet(options), validation);
        Assert.True(history[^1].ValidationRmse < history[0].ValidationRmse, "RMSE did not fall");
        Assert.True(double.IsNaN(history[^1].ValidationAccuracy));

        var p = new float[80 * 2];
        net.Predict(validation.Features, p);
        double huber = 0, abs = 0, square = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double d = p[i] - validation.Targets[i];
            huber += Math.Abs(d) < 0.5 ? 0.5 * d * d : 0.5 * (Math.Abs(d) - 0.25);
            abs += Math.Abs(d);
            square += d * d;
        }

        Assert.Equal(huber / p.Length, history.Final!.Loss, 1e-5); // per example: mean over its 2 outputs; then over rows
        Assert.Equal(abs / p.Length, history.Final.Mae, 1e-6);
        Assert.Equal(Math.Sqrt(square / p.Length), history.Final.Rmse, 1e-6);
        Assert.Throws<ArgumentException>(() => net.Fit(train, Quiet(new FitOptions { Loss = Loss.SoftmaxCrossEntropy })));
    }

    [Theory]
    [InlineData(false, 13, 4)]
    [InlineData(true, 12, 16)]
    public void Batches_CoverEveryRowOnceWithThePartialLastBatchOrDropIt(bool dropLast, int batches, int lastRows)
    {
        var net = new TrainerMlp(1);
        var rowsPerBatch = new List<int>();
        net.Fit(Clusters(196, 1), Quiet(new FitOptions
        {
            Epochs = 1, DropLast = dropLast, TrainingEvaluationRows = 0,
            OnBatchEnd = p => rowsPerBatch.Add(p.Rows - rowsPerBatch.Sum()),
        }));
        Assert.Equal(batches, rowsPerBatch.Count);
        Assert.Equal(lastRows, rowsPerBatch[^1]);
        Assert.Equal(batches, net.Step);
    }

    [Fact]
    public void Shuffling_IsReproducibleFromTheSeedAndEqualsTheManualLoop()
    {
        InMemoryDataset data = Clusters(100, 4);
        var a = new TrainerMlp(5);
        var b = new TrainerMlp(5);
        var c = new TrainerMlp(5);
        a.Fit(data, Quiet(new FitOptions { Epochs = 2, Seed = 9, TrainingEvaluationRows = 0 }));
        c.Fit(data, Quiet(new FitOptions { Epochs = 2, Seed = 10, TrainingEvaluationRows = 0 }));

        // The loop Fit replaces: Batches' permutation of (seed, epoch), the partial last batch trained on.
        var batches = new Batches(100, 16, 9);
        var x = new float[16 * 6];
        var y = new int[16];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            batches.Shuffle(epoch);
            for (int i = 0; i < batches.BatchCount; i++)
            {
                int n = batches.CopyBatch(i, data, x, y);
                b.TrainStep(x.AsSpan(0, n * 6), y.AsSpan(0, n));
            }
        }

        Assert.True(a.Parameters.SequenceEqual(b.Parameters), "Fit differs from the manual loop");
        Assert.False(a.Parameters.SequenceEqual(c.Parameters), "another shuffle seed gave the same parameters");
    }

    [Fact]
    public void TransformBatch_ChangesEveryTrainingBatchAsTheManualLoopDoesAndNeverTheValidationRows()
    {
        // The transform negates the 6th feature of every row and counts the calls: Fit must train on exactly what the
        // manual loop trains on after the same transform, and evaluate the validation rows untransformed.
        InMemoryDataset data = Clusters(100, 4);
        var calls = new List<(int Rows, int Epoch, int Batch)>();
        void Flip(Span<float> x, int rows, int epoch, int batch)
        {
            calls.Add((rows, epoch, batch));
            for (int r = 0; r < rows; r++)
            {
                x[(r * 6) + 5] = -x[(r * 6) + 5] + (0.1f * epoch) + (0.01f * batch);
            }
        }

        var fitted = new TrainerMlp(5);
        fitted.Fit(data, Quiet(new FitOptions { Epochs = 2, Seed = 9, TrainingEvaluationRows = 0, TransformBatch = Flip }));
        var untransformed = new TrainerMlp(5);
        untransformed.Fit(data, Quiet(new FitOptions { Epochs = 2, Seed = 9, TrainingEvaluationRows = 0 }));

        var manual = new TrainerMlp(5);
        var batches = new Batches(100, 16, 9);
        var x = new float[16 * 6];
        var y = new int[16];
        var expectedCalls = new List<(int Rows, int Epoch, int Batch)>();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            batches.Shuffle(epoch);
            for (int i = 0; i < batches.BatchCount; i++)
            {
                int n = batches.CopyBatch(i, data, x, y);
                expectedCalls.Add((n, epoch, i));
                for (int r = 0; r < n; r++)
                {
                    x[(r * 6) + 5] = -x[(r * 6) + 5] + (0.1f * epoch) + (0.01f * i);
                }

                manual.TrainStep(x.AsSpan(0, n * 6), y.AsSpan(0, n));
            }
        }

        Assert.Equal(expectedCalls, calls);
        Assert.True(fitted.Parameters.SequenceEqual(manual.Parameters), "Fit with TransformBatch differs from the manual loop");
        Assert.False(fitted.Parameters.SequenceEqual(untransformed.Parameters), "the transform had no effect");

        // Validation: the held-out rows are evaluated as given (the transform is not called for them).
        calls.Clear();
        var validated = new TrainerMlp(5);
        validated.Fit(Clusters(96, 1), Quiet(new FitOptions { Epochs = 1, BatchSize = 16, ValidationSplit = 0.25, TransformBatch = Flip }));
        Assert.Equal(72, calls.Sum(c => c.Rows));
    }

    public static TheoryData<string> Schedules => ["none", "step-per-batch", "plateau", "cosine"];

    private static ITrainingSchedule? MakeSchedule(string kind, INeuralNetwork net) => kind switch
    {
        "step-per-batch" => new StepLR(net, stepSize: 7, gamma: 0.8),
        // Watching the falling validation loss as if larger were better: it lowers the rate at almost every epoch.
        "plateau" => new ReduceLROnPlateau(net, PlateauMode.Max, factor: 0.5, patience: 0),
        "cosine" => new CosineAnnealingLR(net, tMax: 4),
        _ => null,
    };

    /// <summary>Adam, dropout (masks keyed by seed and step), a schedule and early stopping (its best snapshot and
    /// counters travel too): 3 epochs, a checkpoint, then 4 more in a new network give the bits of 7 straight epochs.</summary>
    [Theory]
    [MemberData(nameof(Schedules))]
    public void ResumingFromACheckpoint_GivesTheBitsOfAnUninterruptedRun(string scheduleKind)
    {
        InMemoryDataset data = Clusters(150, 6, noise: 1.2);
        FitOptions Options(INeuralNetwork net, int epochs, string? checkpoint, string? resume) => Quiet(new FitOptions
        {
            Epochs = epochs, ValidationSplit = 0.2, Schedule = MakeSchedule(scheduleKind, net),
            ScheduleStep = scheduleKind == "step-per-batch" ? ScheduleStep.Batch : ScheduleStep.Epoch,
            EarlyStopping = new EarlyStopping(patience: 10), CheckpointPath = checkpoint, ResumeFrom = resume,
        });

        var straight = new TrainerMlp(7);
        TrainingHistory all = straight.Fit(data, Options(straight, 7, null, null));

        string path = Path.Combine(_folder, "run.safetensors");
        var first = new TrainerMlp(7);
        first.Fit(data, Options(first, 3, path, null));
        var resumed = new TrainerMlp(1234); // other initial weights and seed: everything must come from the checkpoint
        TrainingHistory rest = resumed.Fit(data, Options(resumed, 7, null, path));

        Assert.Equal(4, rest.FirstEpochRun);
        Assert.Equal(7, rest.Count);
        Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters), "parameters differ after resuming");
        Assert.Equal(straight.Step, resumed.Step);
        Assert.Equal(straight.LearningRate, resumed.LearningRate);
        foreach (string column in new[] { "loss", "train_loss", "val_loss", "val_accuracy", "learning_rate" })
        {
            Assert.Equal(all.Column(column), rest.Column(column));
        }

        Assert.Equal(all.BestEpoch, rest.BestEpoch);
        Assert.Equal(all.RestoredBest, rest.RestoredBest);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void ResumingWithBatchNorm_RestoresTheRunningStatisticsToo()
    {
        InMemoryDataset data = Clusters(128, 8);
        var straight = new TrainerBatchNorm(2);
        straight.Fit(data, Quiet(new FitOptions { Epochs = 4 }));

        string path = Path.Combine(_folder, "bn.safetensors");
        new TrainerBatchNorm(2).Fit(data, Quiet(new FitOptions { Epochs = 2, CheckpointPath = path }));
        var resumed = new TrainerBatchNorm(3);
        resumed.Fit(data, Quiet(new FitOptions { Epochs = 4, ResumeFrom = path }));

        Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters));
        Assert.True(straight.GetBuffer("1.running_mean").SequenceEqual(resumed.GetBuffer("1.running_mean")));
        Assert.True(straight.GetBuffer("1.running_var").SequenceEqual(resumed.GetBuffer("1.running_var")));
    }

    [Fact]
    public void Checkpoints_AreWrittenEveryNEpochsByRenameAndHoldTheNetworkState()
    {
        string path = Path.Combine(_folder, "every.safetensors");
        var seen = new List<string>();
        var net = new TrainerMlp(1);
        net.Fit(Clusters(64, 1), Quiet(new FitOptions
        {
            Epochs = 5, CheckpointPath = path, CheckpointEvery = 2,
            OnEpochEnd = r => seen.Add(File.Exists(path) ? SafeTensorsFile.Read(path).Metadata["netgen.trainer.epochs_done"] : "-"),
        }));

        // Seen before the epoch's checkpoint: none yet, 2 after epoch 2, 4 after epoch 4; the last epoch is always saved.
        Assert.Equal(["-", "-", "2", "2", "4"], seen);
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        Assert.Equal("5", file.Metadata["netgen.trainer.epochs_done"]);
        Assert.Equal(net.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata[Checkpoint.StepMetadata]);
        Assert.Contains(Checkpoint.StateKey("0.weight", "exp_avg"), file.Names);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatienceAndRestoresTheBestParameters()
    {
        InMemoryDataset data = Clusters(160, 3);
        var net = new TrainerBatchNorm(1);
        float[]? atEpoch3 = null;
        float[]? meanAtEpoch3 = null;
        TrainingHistory history = net.Fit(data, Quiet(new FitOptions
        {
            Epochs = 30, ValidationSplit = 0.25, StopOnNonFiniteLoss = false,
            EarlyStopping = new EarlyStopping(patience: 2),
            OnEpochEnd = r =>
            {
                if (r.Epoch == 3)
                {
                    atEpoch3 = net.Parameters.ToArray();
                    meanAtEpoch3 = net.GetBuffer("1.running_mean").ToArray();
                    net.LearningRate = 40; // from here on the validation loss only gets worse
                }
            },
        }));

        Assert.Equal(StopReason.EarlyStopped, history.StopReason);
        Assert.Equal(3, history.BestEpoch);
        Assert.Equal(5, history.Count);
        Assert.True(history.RestoredBest);
        Assert.True(net.Parameters.SequenceEqual(atEpoch3), "the parameters of the best epoch were not restored");
        Assert.True(net.GetBuffer("1.running_mean").SequenceEqual(meanAtEpoch3), "the running statistics were not restored");
        Assert.Equal(history[2].ValidationLoss, history.Final!.Loss);
    }

    [Fact]
    public void Cancellation_StopsBetweenStepsAndLeavesTheModelAfterItsLastStep()
    {
        InMemoryDataset data = Clusters(100, 5);
        using var cancel = new CancellationTokenSource();
        var net = new TrainerMlp(2);
        TrainingHistory history = net.Fit(data, Quiet(new FitOptions
        {
            Epochs = 3, Shuffle = false,
            OnBatchEnd = p =>
            {
                if (p.Epoch == 2 && p.Batch == 3)
                {
                    cancel.Cancel();
                }
            },
        }), cancellationToken: cancel.Token);

        Assert.Equal(StopReason.Cancelled, history.StopReason);
        Assert.Single(history);
        Assert.Equal(7 + 3, net.Step);

        var manual = new TrainerMlp(2);
        for (int step = 0; step < 10; step++)
        {
            int b = step % 7, n = Math.Min(16, 100 - (b * 16));
            manual.TrainStep(data.Features.AsSpan(b * 16 * 6, n * 6), data.Labels.AsSpan(b * 16, n));
        }

        Assert.True(manual.Parameters.SequenceEqual(net.Parameters), "the cancelled model is not the model after its last step");
    }

    [Fact]
    public void ATrainingStepInsideFitAllocatesNothing()
    {
        InMemoryDataset data = Clusters(320, 1);
        var net = new AllocationNet(1);
        var x = new float[320 * 16];
        for (int i = 0; i < 320; i++)
        {
            data.Features.AsSpan(i * 6, 6).CopyTo(x.AsSpan(i * 16, 6));
        }

        var allocated = new long[3 * 10];
        TimeSpan[] pausedBefore = new TimeSpan[3 * 10], pausedAfter = new TimeSpan[3 * 10];
        int calls = 0;
        net.Fit(new InMemoryDataset(x, data.Labels, 16), Quiet(new FitOptions
        {
            Epochs = 3, Schedule = new ExponentialLR(net, 0.99), ScheduleStep = ScheduleStep.Batch,
            OnBatchEnd = p => { pausedBefore[calls] = GC.GetTotalPauseDuration(); allocated[calls] = GC.GetAllocatedBytesForCurrentThread(); pausedAfter[calls++] = GC.GetTotalPauseDuration(); },
        }));

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

    [Fact]
    public void PlainProgress_WritesOneLinePerEpochAndAnEndLine()
    {
        var text = new StringWriter();
        new TrainerMlp(1).Fit(Clusters(96, 2), new FitOptions { Epochs = 3, ValidationSplit = 0.25, Progress = new PlainProgress(text) });
        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("training TrainerMlp: 3 epochs of 5 batches (72 rows), 24 validation rows", lines[0]);
        Assert.Matches(@"^epoch 1/3: loss \d\.\d{4}, train accuracy \d\.\d{4}, val loss \d\.\d{4}, val accuracy \d\.\d{4}, lr 0\.01, .* samples/s, .*, ETA ", lines[1]);
        Assert.DoesNotContain("ETA", lines[3]);
        Assert.Equal("3 epochs done", lines[4].TrimEnd());
    }

    [Fact]
    public void BadInput_ThrowsBeforeTraining()
    {
        var net = new TrainerMlp(1);
        InMemoryDataset data = Clusters(32, 1);
        data.Labels[17] = 4;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.Fit(data, Quiet(new FitOptions())));
        Assert.Contains("row 17", e.Message);
        Assert.Equal(0, net.Step);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Fit(Clusters(32, 1), Quiet(new FitOptions { BatchSize = 17 })));
        Assert.Throws<ArgumentException>(() => net.Fit(Clusters(32, 1), Quiet(new FitOptions { ValidationSplit = 0.5 }), Clusters(8, 2)));
        Assert.Throws<ArgumentException>(() => net.Fit(new InMemoryDataset(new float[10], new int[2], 5), Quiet(new FitOptions())));
        Assert.Equal(0, net.Step);
    }
}
