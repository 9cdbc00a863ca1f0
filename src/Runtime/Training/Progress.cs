using System;
using System.Globalization;
using System.IO;

namespace NetGen;

/// <summary>What a Fit call is about to do, for a progress reporter.</summary>
/// <param name="Network">The network's name.</param>
/// <param name="Epochs">Epochs in all.</param>
/// <param name="FirstEpoch">The first epoch this call runs, 1-based (above 1 when resumed).</param>
/// <param name="BatchesPerEpoch">Training steps per epoch.</param>
/// <param name="TrainingRows">Rows trained on per epoch.</param>
/// <param name="ValidationRows">Validation rows (0 = none).</param>
/// <param name="Classification">Class labels (accuracy applies) rather than float targets.</param>
public readonly record struct FitPlan(string Network, int Epochs, int FirstEpoch, int BatchesPerEpoch, int TrainingRows, int ValidationRows, bool Classification);

/// <summary>The state after one training step. A struct passed by value: reporting it allocates nothing.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="Epochs">Epochs in all.</param>
/// <param name="Batch">The batch just trained on, 1-based.</param>
/// <param name="Batches">Batches in the epoch.</param>
/// <param name="Loss">The loss of this step.</param>
/// <param name="RunningLoss">The mean loss of the epoch so far, weighted by rows.</param>
/// <param name="Rows">Rows trained on in the epoch so far.</param>
/// <param name="Seconds">Seconds since the epoch started.</param>
/// <param name="LearningRate">The learning rate the step used.</param>
/// <param name="Step">Optimizer steps taken so far.</param>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double RunningLoss, int Rows, double Seconds, double LearningRate, long Step)
{
    /// <summary>Rows per second in the epoch so far.</summary>
    public double SamplesPerSecond => Seconds > 0 ? Rows / Seconds : 0;
}

/// <summary>
/// Receives the progress of a Fit call. The runtime ships <see cref="PlainProgress"/> (one line per epoch, for logs, CI
/// and pipes); NetGen.Console adds a live bar for terminals. <see cref="BatchEnd"/> runs after every step, on the
/// training thread, so it must be cheap (and allocation-free for an allocation-free step).
/// </summary>
public interface ITrainingProgress
{
    /// <summary>Before the first epoch.</summary>
    void Begin(FitPlan plan);

    /// <summary>After each training step.</summary>
    void BatchEnd(in BatchProgress progress);

    /// <summary>After each epoch, with its record.</summary>
    void EpochEnd(EpochRecord record);

    /// <summary>When Fit returns.</summary>
    void End(TrainingHistory history);
}

/// <summary>Progress reporters of the runtime.</summary>
public static class TrainingProgress
{
    /// <summary>Reports nothing.</summary>
    public static ITrainingProgress None { get; } = new NoProgress();

    /// <summary>Formats seconds as "42 s", "3 min 05 s" or "1 h 02 min".</summary>
    public static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0)
        {
            return "?";
        }

        var s = (long)Math.Round(seconds);
        return s < 60 ? FormattableString.Invariant($"{seconds:F1} s")
            : s < 3600 ? FormattableString.Invariant($"{s / 60} min {s % 60:D2} s")
            : FormattableString.Invariant($"{s / 3600} h {s % 3600 / 60:D2} min");
    }

    /// <summary>The one-line summary of an epoch that <see cref="PlainProgress"/> prints.</summary>
    public static string EpochLine(EpochRecord r, int epochs, double etaSeconds)
    {
        var line = FormattableString.Invariant($"epoch {r.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}: loss {r.Loss:F4}");
        if (!double.IsNaN(r.TrainAccuracy))
        {
            line += FormattableString.Invariant($", train accuracy {r.TrainAccuracy:F4}");
        }

        if (!double.IsNaN(r.TrainRmse))
        {
            line += FormattableString.Invariant($", train RMSE {r.TrainRmse:G4}");
        }

        if (!double.IsNaN(r.ValidationLoss))
        {
            line += FormattableString.Invariant($", val loss {r.ValidationLoss:F4}");
        }

        if (!double.IsNaN(r.ValidationAccuracy))
        {
            line += FormattableString.Invariant($", val accuracy {r.ValidationAccuracy:F4}");
        }

        if (!double.IsNaN(r.ValidationRmse))
        {
            line += FormattableString.Invariant($", val MAE {r.ValidationMae:G4}, val RMSE {r.ValidationRmse:G4}");
        }

        line += FormattableString.Invariant($", lr {r.LearningRate:G3}, {r.SamplesPerSecond:N0} samples/s, {Duration(r.Seconds)}");
        return r.Epoch < epochs ? line + ", ETA " + Duration(etaSeconds) : line;
    }

    /// <summary>The line that says how training ended.</summary>
    public static string EndLine(TrainingHistory history)
    {
        string how = history.StopReason switch
        {
            StopReason.EarlyStopped => FormattableString.Invariant($"stopped early after epoch {history.Last?.Epoch}: no improvement since epoch {history.BestEpoch}"),
            StopReason.Cancelled => FormattableString.Invariant($"cancelled after epoch {history.Last?.Epoch ?? 0} (the model is as after its last step)"),
            StopReason.NonFiniteLoss => "stopped: a training step returned a NaN or infinite loss",
            _ => FormattableString.Invariant($"{history.Count} epoch{(history.Count == 1 ? "" : "s")} done"),
        };
        if (history.RestoredBest)
        {
            how += FormattableString.Invariant($"; the parameters of epoch {history.BestEpoch} were restored");
        }

        if (history.SkippedSteps > 0)
        {
            how += FormattableString.Invariant($"; {history.SkippedSteps} step{(history.SkippedSteps == 1 ? "" : "s")} refused as non-finite and skipped");
        }

        return how;
    }

    private sealed class NoProgress : ITrainingProgress
    {
        public void Begin(FitPlan plan)
        {
        }

        public void BatchEnd(in BatchProgress progress)
        {
        }

        public void EpochEnd(EpochRecord record)
        {
        }

        public void End(TrainingHistory history)
        {
        }
    }
}

/// <summary>
/// One line per epoch on a <see cref="TextWriter"/> (loss, accuracy, validation metrics, learning rate, samples/s, ETA)
/// and a closing line; nothing per step. The output of CI runs, pipes and redirected output.
/// </summary>
public sealed class PlainProgress : ITrainingProgress
{
    private readonly TextWriter _writer;
    private readonly int _every;
    private FitPlan _plan;
    private long _start;
    private int _epochsTimed;

    /// <summary>Writes to <paramref name="writer"/> every <paramref name="everyEpochs"/> epochs (and the last).</summary>
    public PlainProgress(TextWriter writer, int everyEpochs = 1)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _every = everyEpochs >= 1 ? everyEpochs : throw new ArgumentOutOfRangeException(nameof(everyEpochs), everyEpochs, "everyEpochs must be ≥ 1.");
    }

    /// <summary>Writes to the console's standard output.</summary>
    public PlainProgress()
        : this(Console.Out)
    {
    }

    /// <inheritdoc/>
    public void Begin(FitPlan plan)
    {
        _plan = plan;
        _start = System.Diagnostics.Stopwatch.GetTimestamp();
        _epochsTimed = 0;
        string validation = plan.ValidationRows > 0 ? FormattableString.Invariant($", {plan.ValidationRows} validation rows") : "";
        string from = plan.FirstEpoch > 1 ? FormattableString.Invariant($", resuming at epoch {plan.FirstEpoch}") : "";
        _writer.WriteLine(FormattableString.Invariant($"training {plan.Network}: {plan.Epochs} epoch{(plan.Epochs == 1 ? "" : "s")} of {plan.BatchesPerEpoch} batches ({plan.TrainingRows} rows){validation}{from}"));
    }

    /// <inheritdoc/>
    public void BatchEnd(in BatchProgress progress)
    {
    }

    /// <inheritdoc/>
    public void EpochEnd(EpochRecord record)
    {
        _epochsTimed++;
        if (record.Epoch % _every == 0 || record.Epoch == _plan.Epochs || record.Epoch == _plan.FirstEpoch)
        {
            // Wall time per epoch so far (training and evaluation) times the epochs left.
            double eta = System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds / _epochsTimed * (_plan.Epochs - record.Epoch);
            _writer.WriteLine(TrainingProgress.EpochLine(record, _plan.Epochs, eta));
        }
    }

    /// <inheritdoc/>
    public void End(TrainingHistory history) => _writer.WriteLine(TrainingProgress.EndLine(history));
}
