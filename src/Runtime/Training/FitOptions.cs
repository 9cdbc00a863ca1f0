using System;

namespace NetGen;

/// <summary>When <see cref="FitOptions.Schedule"/> is stepped.</summary>
public enum ScheduleStep
{
    /// <summary>After each epoch (PyTorch's usual <c>scheduler.step()</c> at the end of the epoch loop).</summary>
    Epoch,

    /// <summary>After each optimizer step (mini-batch).</summary>
    Batch,
}

/// <summary>What <see cref="Trainer"/>'s Fit does with a step refused as non-finite (<see cref="FitOptions.NonFiniteSteps"/>).</summary>
public enum NonFiniteStepPolicy
{
    /// <summary>The <see cref="NonFiniteStepException"/> ends Fit (the model is as after the last accepted step).</summary>
    Throw,

    /// <summary>The batch is skipped and counted in <see cref="TrainingHistory.SkippedSteps"/>; training goes on.</summary>
    Skip,
}

/// <summary>A value the trainer can watch (early stopping, plateau schedules).</summary>
public enum TrainingMetric
{
    /// <summary>The validation loss (smaller is better); the epoch's training loss when there is no validation set.</summary>
    ValidationLoss,

    /// <summary>The validation accuracy (larger is better); the training-set accuracy when there is no validation set.</summary>
    ValidationAccuracy,

    /// <summary>The epoch's mean training loss (smaller is better).</summary>
    TrainingLoss,
}

/// <summary>Why <see cref="Trainer"/>'s Fit returned.</summary>
public enum StopReason
{
    /// <summary>Every epoch ran.</summary>
    Completed,

    /// <summary>Early stopping: the monitored value did not improve for <see cref="EarlyStopping.Patience"/> epochs.</summary>
    EarlyStopped,

    /// <summary>The cancellation token was signalled; the model is as it was after the last completed training step.</summary>
    Cancelled,

    /// <summary>A training step returned a loss that is NaN or infinite (<see cref="FitOptions.StopOnNonFiniteLoss"/>).</summary>
    NonFiniteLoss,
}

/// <summary>
/// Early stopping (Prechelt, "Early Stopping — But When?", 1998; Keras's <c>EarlyStopping</c>): training stops when the
/// monitored value has not improved by more than <see cref="MinDelta"/> for <see cref="Patience"/> consecutive epochs,
/// and, with <see cref="RestoreBest"/>, the parameters and float buffers of the best epoch are put back.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Creates the rule.</summary>
    /// <param name="patience">Epochs without improvement before stopping, ≥ 1.</param>
    /// <param name="monitor">The watched value.</param>
    /// <param name="minDelta">The least change that counts as an improvement, ≥ 0.</param>
    /// <param name="restoreBest">Whether to restore the parameters of the best epoch when training ends.</param>
    public EarlyStopping(int patience, TrainingMetric monitor = TrainingMetric.ValidationLoss, double minDelta = 0, bool restoreBest = true)
    {
        Patience = patience >= 1 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "EarlyStopping's patience must be ≥ 1.");
        MinDelta = minDelta >= 0 && double.IsFinite(minDelta) ? minDelta : throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "EarlyStopping's minDelta must be a finite value ≥ 0.");
        Monitor = monitor;
        RestoreBest = restoreBest;
    }

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }

    /// <summary>The watched value.</summary>
    public TrainingMetric Monitor { get; }

    /// <summary>The least change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Whether the best epoch's parameters and float buffers are restored when training ends (however it ends).</summary>
    public bool RestoreBest { get; }
}

/// <summary>
/// Settings of <see cref="Trainer"/>'s Fit. Every property has a default; the smallest call is
/// <c>net.Fit(train, new FitOptions { Epochs = 10 })</c>.
/// </summary>
public sealed class FitOptions
{
    /// <summary>Epochs in all (a resumed run continues up to this number). Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Rows per mini-batch, 1 to the network's MaxBatch; null = MaxBatch.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Skip the last batch of an epoch when it is partial (PyTorch's <c>drop_last=True</c>); by default it is
    /// trained on like the others (its mean loss weighs its rows only, as PyTorch's DataLoader does). Networks with batch
    /// normalisation refuse a one-row batch: drop it, or pick a batch size that leaves at least two rows.</summary>
    public bool DropLast { get; init; }

    /// <summary>Shuffle the rows each epoch (default). The order of epoch <c>e</c> depends only on (<see cref="Seed"/>, e).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>The seed of the shuffles and of the validation split; null = the network's <see cref="INeuralNetwork.Seed"/>. A run resumed from a checkpoint uses the checkpoint's.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Fraction of the training rows held out for validation (a seeded random subset), in [0, 1); used only when
    /// no validation set is passed. 0 = none.</summary>
    public double ValidationSplit { get; init; }

    /// <summary>Training rows evaluated at each epoch's end (inference mode, the same rows every epoch, spread evenly over
    /// the set) for the training accuracy and the train/validation gap; 0 = none. Default 10,000.</summary>
    public int TrainingEvaluationRows { get; init; } = 10_000;

    /// <summary>The loss the validation loss is computed with; null (the default) = the network's declared one
    /// (<see cref="INeuralNetwork.Loss"/>). An override must compare the outputs with the same kind of targets.</summary>
    public Loss? Loss { get; init; }

    /// <summary>The hinge losses' margin Δ; null (the default) = the declared one (<see cref="INeuralNetwork.LossMargin"/>).</summary>
    public double? Margin { get; init; }

    /// <summary>The Huber loss's δ; null (the default) = the declared one (<see cref="INeuralNetwork.LossDelta"/>).</summary>
    public double? Delta { get; init; }

    /// <summary>k of the top-k accuracy (reported when k is below the number of classes). Default 5.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>A learning-rate schedule (<see cref="LearningRateSchedule"/> subclasses, <see cref="StepLR"/>,
    /// <see cref="ReduceLROnPlateau"/>) created on the same network; null = a constant rate.</summary>
    public ITrainingSchedule? Schedule { get; init; }

    /// <summary>When <see cref="Schedule"/> is stepped. Default: after each epoch.</summary>
    public ScheduleStep ScheduleStep { get; init; } = ScheduleStep.Epoch;

    /// <summary>The value a <see cref="ReduceLROnPlateau"/> schedule watches (stepped per epoch). Default: the validation loss.</summary>
    public TrainingMetric ScheduleMonitor { get; init; } = TrainingMetric.ValidationLoss;

    /// <summary>Early stopping; null = off.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>The checkpoint file written every <see cref="CheckpointEvery"/> epochs (atomically: a temporary file in
    /// the same folder, flushed to disk, then renamed over this path); null = none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Epochs between checkpoints, ≥ 1. Default 1.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>A checkpoint written by a previous Fit to resume from: the run continues with the same bits as if it had
    /// not stopped. null = start afresh.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>What happens to a training step the network refuses because its loss or a gradient is NaN or ±∞ (it throws
    /// <see cref="NonFiniteStepException"/> and changes nothing): <see cref="NonFiniteStepPolicy.Throw"/> (default) lets
    /// the exception end Fit; <see cref="NonFiniteStepPolicy.Skip"/> skips the batch (no update, no step, the schedule is
    /// not stepped, the batch's loss is left out of the epoch's mean) and counts it in
    /// <see cref="TrainingHistory.SkippedSteps"/>, for long runs where an occasional overflow should not stop training.</summary>
    public NonFiniteStepPolicy NonFiniteSteps { get; init; } = NonFiniteStepPolicy.Throw;

    /// <summary>Stop when a training step returns a NaN or infinite loss. Default true.</summary>
    public bool StopOnNonFiniteLoss { get; init; } = true;

    /// <summary>Applied to the inputs of every training batch after they are gathered and before the step, with the 0-based
    /// epoch and batch index: where data augmentation goes (for example <c>(x, rows, e, b) =&gt; augmentation.Apply(x, x, e, b)</c>
    /// with <see cref="Data.Augmentation"/>, whose draws depend only on (seed, epoch, batch, row), so a resumed run sees
    /// the same batches). Validation and evaluation rows are never transformed. It must not allocate if the step is to
    /// stay allocation-free.</summary>
    public BatchTransform? TransformBatch { get; init; }

    /// <summary>Mixup (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018) of every training batch: an
    /// <see cref="Data.Augmentation"/> with <see cref="Data.Augmentation.MixupAlpha"/> &gt; 0 and the network's input shape,
    /// for a classifier that trains on soft targets (<see cref="ISoftTargetNetwork"/>, softmax cross-entropy). After
    /// <see cref="TransformBatch"/>, each batch goes through <c>Mixup.Apply(x, labels, classes, x, probabilities, epoch,
    /// batch)</c> (which also crops and flips if that augmentation is set to) into target-probability rows allocated once,
    /// and is trained with the soft-target <c>TrainStep</c>. The epoch's training loss is then the loss against the mixed
    /// targets; validation and evaluation use the unmixed rows and labels. λ depends only on (the augmentation's seed,
    /// epoch, batch), so a resumed run mixes the same batches. null = off.</summary>
    public Data.Augmentation? Mixup { get; init; }

    /// <summary>Called after each training step, on the training thread. It must not allocate if the step is to stay
    /// allocation-free.</summary>
    public Action<BatchProgress>? OnBatchEnd { get; init; }

    /// <summary>Called after each epoch with its record (after early stopping and the schedule have seen it).</summary>
    public Action<EpochRecord>? OnEpochEnd { get; init; }

    /// <summary>Where progress goes. Default: <see cref="PlainProgress"/> on the console, one line per epoch;
    /// <see cref="TrainingProgress.None"/> for silence; NetGen.Console's <c>ConsoleProgress.Create()</c> for a live bar
    /// on a terminal.</summary>
    public ITrainingProgress? Progress { get; init; }
}

/// <summary>Changes the inputs of a training batch in place: <paramref name="inputs"/> holds <paramref name="rows"/> rows
/// of the network's input size; <paramref name="epoch"/> and <paramref name="batch"/> are 0-based.</summary>
public delegate void BatchTransform(Span<float> inputs, int rows, int epoch, int batch);
