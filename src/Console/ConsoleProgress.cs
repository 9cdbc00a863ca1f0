using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Spectre.Console;

namespace NetGen;

/// <summary>
/// Picks the progress output of a training run from where standard output goes: a live bar (<see cref="LiveProgress"/>)
/// on an interactive terminal, one plain line per epoch (<see cref="PlainProgress"/>) otherwise — redirected to a file
/// or a pipe, on a CI runner, or on a terminal without cursor control. Nothing to configure.
/// </summary>
public static class ConsoleProgress
{
    /// <summary>Environment variables that CI services set; any of them means "no live output".</summary>
    private static readonly string[] s_ciVariables = ["CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR"];

    /// <summary>A live bar on an interactive terminal, else <see cref="PlainProgress"/> on standard output.</summary>
    /// <param name="everyEpochs">For the plain output: a line every this many epochs (and for the last).</param>
    public static ITrainingProgress Create(int everyEpochs = 1) =>
        IsInteractiveTerminal() ? new LiveProgress(AnsiConsole.Console) : new PlainProgress(System.Console.Out, everyEpochs);

    /// <summary>Whether standard output is a terminal that can redraw a line: not redirected, not TERM=dumb, not a CI
    /// runner, and Spectre.Console finds it interactive and ANSI-capable.</summary>
    public static bool IsInteractiveTerminal()
    {
        if (System.Console.IsOutputRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb")
        {
            return false;
        }

        foreach (string name in s_ciVariables)
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                return false;
            }
        }

        return AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
    }
}

/// <summary>
/// A live Spectre.Console progress display: one bar per epoch, the running one redrawn with the epoch's loss, the last
/// measured accuracy, samples/s and the run's ETA; a finished epoch's bar keeps its summary (loss, train and validation
/// metrics). The display runs on its own thread (Spectre's <c>Progress.Start</c> holds it from <see cref="Begin"/> to
/// <see cref="End"/>); the training thread only sets the bar's value and, at most ten times a second, its text.
/// </summary>
public sealed class LiveProgress : ITrainingProgress, IDisposable
{
    private const double RedrawSeconds = 0.1;

    private readonly IAnsiConsole _console;
    private readonly ManualResetEventSlim _started = new();
    private readonly ManualResetEventSlim _finish = new();
    private Thread? _thread;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private FitPlan _plan;
    private long _begin;
    private long _lastRedraw;
    private string _accuracy = "";

    /// <summary>Draws on <paramref name="console"/> (e.g. <c>AnsiConsole.Console</c>).</summary>
    public LiveProgress(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        _console = console;
    }

    /// <inheritdoc/>
    public void Begin(FitPlan plan)
    {
        _plan = plan;
        _begin = Stopwatch.GetTimestamp();
        _accuracy = "";
        _task = null;
        _started.Reset();
        _finish.Reset();
        string from = plan.FirstEpoch > 1 ? FormattableString.Invariant($", resuming at epoch {plan.FirstEpoch}") : "";
        _console.MarkupLine(Markup.Escape(FormattableString.Invariant($"training {plan.Network}: {plan.Epochs} epoch{(plan.Epochs == 1 ? "" : "s")} of {plan.BatchesPerEpoch} batches ({plan.TrainingRows} rows){from}")));
        _thread = new Thread(() => _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new PercentageColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _context = context;
                _started.Set();
                _finish.Wait();
            }))
        {
            IsBackground = true,
            Name = "NetGen progress",
        };
        _thread.Start();
        _started.Wait();
    }

    /// <inheritdoc/>
    public void BatchEnd(in BatchProgress progress)
    {
        if (_task is null)
        {
            _task = _context!.AddTask(Describe(progress), maxValue: progress.Batches);
            _lastRedraw = Stopwatch.GetTimestamp();
        }

        _task.Value = progress.Batch;
        if (Stopwatch.GetElapsedTime(_lastRedraw).TotalSeconds >= RedrawSeconds)
        {
            _lastRedraw = Stopwatch.GetTimestamp();
            _task.Description = Describe(progress);
        }
    }

    /// <inheritdoc/>
    public void EpochEnd(EpochRecord record)
    {
        double measured = double.IsNaN(record.ValidationAccuracy) ? record.TrainAccuracy : record.ValidationAccuracy;
        _accuracy = double.IsNaN(measured) ? "" : FormattableString.Invariant($" acc {measured:F4}");
        if (_task is not null)
        {
            _task.Description = Markup.Escape(Summary(record));
            _task.Value = _task.MaxValue;
            _task.StopTask();
            _task = null;
        }
    }

    /// <inheritdoc/>
    public void End(TrainingHistory history)
    {
        _finish.Set();
        _thread?.Join();
        _thread = null;
        _console.MarkupLine(Markup.Escape(TrainingProgress.EndLine(history)));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _finish.Set();
        _thread?.Join();
        _started.Dispose();
        _finish.Dispose();
    }

    /// <summary>A finished epoch in one short line: "epoch 2/6 loss 0.1234 val 0.0800 acc 0.9816/0.9738 6.5 s" (training
    /// loss, validation loss, train/validation accuracy, or MAE and RMSE for float targets).</summary>
    private string Summary(EpochRecord r)
    {
        string text = FormattableString.Invariant($"{EpochText(r.Epoch)} loss {r.Loss:F4}");
        text += double.IsNaN(r.ValidationLoss) ? "" : FormattableString.Invariant($" val {r.ValidationLoss:F4}");
        if (!double.IsNaN(r.TrainAccuracy) || !double.IsNaN(r.ValidationAccuracy))
        {
            text += FormattableString.Invariant($" acc {r.TrainAccuracy:F4}") + (double.IsNaN(r.ValidationAccuracy) ? "" : FormattableString.Invariant($"/{r.ValidationAccuracy:F4}"));
        }
        else if (!double.IsNaN(r.ValidationRmse))
        {
            text += FormattableString.Invariant($" MAE {r.ValidationMae:G4} RMSE {r.ValidationRmse:G4}");
        }

        return text + " " + TrainingProgress.Duration(r.Seconds);
    }

    private string EpochText(int epoch)
    {
        string epochs = _plan.Epochs.ToString(CultureInfo.InvariantCulture);
        return "epoch " + epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.Length) + "/" + epochs;
    }

    /// <summary>The running epoch: "epoch 2/6 loss 0.1234 acc 0.9812 12,345/s ETA 1 min 05 s" (the accuracy is the last
    /// one measured: a training step does not return its scores), escaped for markup.</summary>
    private string Describe(in BatchProgress p)
    {
        // The run's ETA from its average pace so far: the batches left times the seconds per batch.
        int runBatches = (_plan.Epochs - _plan.FirstEpoch + 1) * p.Batches;
        int done = ((p.Epoch - _plan.FirstEpoch) * p.Batches) + p.Batch;
        double eta = Stopwatch.GetElapsedTime(_begin).TotalSeconds / Math.Max(done, 1) * (runBatches - done);
        return Markup.Escape(EpochText(p.Epoch) + FormattableString.Invariant($" loss {p.RunningLoss:F4}{_accuracy} {p.SamplesPerSecond:N0}/s ETA {TrainingProgress.Duration(eta)}"));
    }
}
