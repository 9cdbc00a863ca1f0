using System;
using System.Diagnostics;
using System.Threading;
using NetGen.Data;

namespace NetGen;

/// <summary>
/// The training loop every user would otherwise write: epochs of shuffled mini-batches, validation, metrics, a
/// learning-rate schedule, early stopping, atomic checkpoints that resume with the same bits, callbacks, progress and
/// cancellation. The loop only gathers rows into buffers allocated before the first epoch and calls
/// <see cref="INeuralNetwork{TTarget}.TrainStep"/> (the soft-target one with <see cref="FitOptions.Mixup"/>): a step allocates nothing (<c>TrainerTests</c> checks it).
/// </summary>
/// <remarks>
/// Each epoch <c>e</c> (0-based):
/// <code>
/// order = Fisher–Yates permutation keyed by (seed, e)            (identity without shuffling; see Batches.FillPermutation)
/// for each batch b: rows order[b·B .. b·B + B) (the last one partial unless DropLast)
///     x_b = TransformBatch(x_b, e, b) when set (augmentation)
///     with Mixup: (x_b, p_b) = Mixup.Apply(x_b, y_b, e, b);  loss_b = TrainStep(x_b, p_b)   (soft targets [B, classes])
///     else:       loss_b = TrainStep(x_b, y_b)
///     schedule.Step() when stepped per batch
/// evaluate (inference mode) the training rows kept for evaluation and the validation rows
/// schedule.Step(monitored) when stepped per epoch;  early stopping;  checkpoint every N epochs
/// </code>
/// The order of epoch e depends on (seed, e) alone and the network's dropout masks on (seed, step), so a run resumed
/// from a checkpoint continues exactly.
/// </remarks>
public static class Trainer
{
    /// <summary>The <see cref="CounterRng"/> stream of the validation split: <c>Key(seed, ValidationSplitStream, 0, 0)</c>
    /// keys a Fisher–Yates permutation of the rows whose first ⌊fraction·N⌋ entries are held out.</summary>
    public const ulong ValidationSplitStream = 0x53504C4954; // "SPLIT"

    /// <summary>Trains a classifier on <paramref name="train"/> (class labels).</summary>
    /// <param name="network">The network; it is trained in place.</param>
    /// <param name="train">Training rows and labels.</param>
    /// <param name="options">Settings; null = the defaults of <see cref="FitOptions"/>.</param>
    /// <param name="validation">A validation set; null = <see cref="FitOptions.ValidationSplit"/> of the training rows, or none.</param>
    /// <param name="cancellationToken">Stops training between two steps: Fit then returns with <see cref="StopReason.Cancelled"/>.</param>
    /// <returns>One record per epoch, the stop reason and the final evaluation.</returns>
    public static TrainingHistory Fit(this INeuralNetwork<int> network, InMemoryDataset train, FitOptions? options = null, InMemoryDataset? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        RequireFeatures(network, train.FeatureCount, nameof(train));
        RequireLabels(network, train.Labels, nameof(train));
        if (validation is not null)
        {
            RequireFeatures(network, validation.FeatureCount, nameof(validation));
            RequireLabels(network, validation.Labels, nameof(validation));
        }

        var run = new FitRun<int>(network, options ?? new FitOptions(), train.Features, train.Labels, validation?.Features, validation?.Labels);
        return run.Run(cancellationToken);
    }

    /// <summary>Trains a network with float targets (regression, multi-label) on <paramref name="train"/>.</summary>
    /// <param name="network">The network; it is trained in place.</param>
    /// <param name="train">Training rows and targets (TargetCount = OutputSize).</param>
    /// <param name="options">Settings; null = the defaults of <see cref="FitOptions"/>.</param>
    /// <param name="validation">A validation set; null = <see cref="FitOptions.ValidationSplit"/> of the training rows, or none.</param>
    /// <param name="cancellationToken">Stops training between two steps: Fit then returns with <see cref="StopReason.Cancelled"/>.</param>
    /// <returns>One record per epoch, the stop reason and the final evaluation.</returns>
    public static TrainingHistory Fit(this INeuralNetwork<float> network, RegressionDataset train, FitOptions? options = null, RegressionDataset? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        RequireFeatures(network, train.FeatureCount, nameof(train));
        RequireTargets(network, train, nameof(train));
        if (validation is not null)
        {
            RequireFeatures(network, validation.FeatureCount, nameof(validation));
            RequireTargets(network, validation, nameof(validation));
        }

        var run = new FitRun<float>(network, options ?? new FitOptions(), train.Features, train.Targets, validation?.Features, validation?.Targets);
        return run.Run(cancellationToken);
    }

    /// <summary>Metrics of a classifier on <paramref name="data"/> in inference mode: loss (<see cref="FitOptions.Loss"/>),
    /// accuracy, top-k accuracy, confusion matrix and per-class accuracy.</summary>
    public static Evaluation Evaluate(this INeuralNetwork<int> network, InMemoryDataset data, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        RequireFeatures(network, data.FeatureCount, nameof(data));
        RequireLabels(network, data.Labels, nameof(data));
        options ??= new FitOptions();
        return new Evaluator<int>(network, LossOf<int>(network, options), options.Margin ?? network.LossMargin, options.Delta ?? network.LossDelta, options.TopK).Run(data.Features, data.Labels, null, data.Count);
    }

    /// <summary>Metrics of a network with float targets on <paramref name="data"/> in inference mode: loss
    /// (<see cref="FitOptions.Loss"/>), MAE and RMSE.</summary>
    public static Evaluation Evaluate(this INeuralNetwork<float> network, RegressionDataset data, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        RequireFeatures(network, data.FeatureCount, nameof(data));
        RequireTargets(network, data, nameof(data));
        options ??= new FitOptions();
        return new Evaluator<float>(network, LossOf<float>(network, options), options.Margin ?? network.LossMargin, options.Delta ?? network.LossDelta, options.TopK).Run(data.Features, data.Targets, null, data.Count);
    }

    /// <summary>destination[r, :] = source[rows[r], :] for each r.</summary>
    internal static void GatherRows<T>(ReadOnlySpan<T> source, int rowLength, ReadOnlySpan<int> rows, Span<T> destination)
    {
        for (int r = 0; r < rows.Length; r++)
        {
            source.Slice(rows[r] * rowLength, rowLength).CopyTo(destination.Slice(r * rowLength, rowLength));
        }
    }

    /// <summary>The loss of the validation metrics: the option (checked against the target type), else the network's
    /// declared one (which takes the network's targets by construction; a loss the evaluator does not know is measured as
    /// softmax cross-entropy for class labels and mean squared error for float targets).</summary>
    internal static Loss LossOf<TTarget>(INeuralNetwork network, FitOptions options)
    {
        if (options.Loss is not Loss loss)
        {
            return network.Loss;
        }

        bool labels = typeof(TTarget) == typeof(int);
        bool forLabels = loss is Loss.SoftmaxCrossEntropy or Loss.MulticlassHinge or Loss.MulticlassSquaredHinge or Loss.HierarchicalSoftmax;
        if (forLabels != labels)
        {
            throw new ArgumentException(
                $"FitOptions.Loss = {loss} compares the outputs with {(forLabels ? "class labels" : "float targets")}, but this network is trained with {(labels ? "class labels" : "float targets")}.", nameof(options));
        }

        return loss;
    }

    private static void RequireFeatures(INeuralNetwork network, int featureCount, string argument)
    {
        if (featureCount != network.InputSize)
        {
            throw new ArgumentException($"Argument '{argument}' has {featureCount} features per row; network '{network.Name}' takes InputSize = {network.InputSize}.", argument);
        }
    }

    private static void RequireLabels(INeuralNetwork network, int[] labels, string argument)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)network.OutputSize)
            {
                throw new ArgumentOutOfRangeException(argument, labels[i], $"Label {labels[i]} of row {i} of '{argument}' is not a class of network '{network.Name}'; expected 0 ≤ label < {network.OutputSize}. Nothing was trained.");
            }
        }
    }

    private static void RequireTargets(INeuralNetwork network, RegressionDataset data, string argument)
    {
        if (data.TargetCount != network.OutputSize)
        {
            throw new ArgumentException($"Argument '{argument}' has {data.TargetCount} targets per row; network '{network.Name}' has OutputSize = {network.OutputSize}.", argument);
        }

        for (int i = 0; i < data.Targets.Length; i++)
        {
            if (!float.IsFinite(data.Targets[i]))
            {
                throw new ArgumentOutOfRangeException(argument, data.Targets[i], $"Target {i % data.TargetCount} of row {i / data.TargetCount} of '{argument}' is {data.Targets[i]}, not a finite number. Nothing was trained.");
            }
        }
    }
}

/// <summary>One call of Fit: the settings checked, the rows split, every buffer allocated, then <see cref="Run"/>.</summary>
internal sealed class FitRun<TTarget>
    where TTarget : unmanaged
{
    private readonly INeuralNetwork<TTarget> _network;
    private readonly FitOptions _options;
    private readonly float[] _features;
    private readonly TTarget[] _targets;
    private readonly int _inputs;
    private readonly int _targetsPerRow;
    private readonly int _batchSize;
    private readonly int[]? _trainRows; // null: every row, in order (no validation split)
    private readonly int _trainCount;
    private readonly int[] _order;
    private readonly float[] _x;
    private readonly TTarget[] _y;
    private readonly int[] _batchRows;
    private readonly Augmentation? _mixup;
    private readonly ISoftTargetNetwork? _softTargetNetwork;
    private readonly int[]? _labels;
    private readonly float[]? _probabilities;
    private readonly float[] _validationFeatures;
    private readonly TTarget[] _validationTargets;
    private readonly int[]? _validationRows;
    private readonly int _validationCount;
    private readonly int[] _trainEvaluationRows;
    private readonly Evaluator<TTarget> _evaluator;
    private readonly ITrainingProgress _progress;
    private readonly EarlyStopping? _early;
    private readonly float[]? _bestParameters;
    private readonly float[]? _bestBuffers;
    private ulong _seed;

    // Early-stopping state (saved in checkpoints).
    private int _bestEpoch;
    private double _bestValue;
    private int _badEpochs;
    private long _skippedSteps;
    private bool _haveBest;

    public FitRun(INeuralNetwork<TTarget> network, FitOptions options, float[] features, TTarget[] targets, float[]? validationFeatures, TTarget[]? validationTargets)
    {
        _network = network;
        _options = options;
        _features = features;
        _targets = targets;
        _inputs = network.InputSize;
        _targetsPerRow = typeof(TTarget) == typeof(int) ? 1 : network.OutputSize;
        int count = features.Length / _inputs;
        Check(options, network, validationFeatures is not null, count);
        _batchSize = options.BatchSize ?? network.MaxBatch;
        // A resumed run continues with the checkpoint's seed: the same validation split and the same shuffles.
        _seed = options.ResumeFrom is { } resume ? TrainerCheckpoint.ReadSeed(resume) : options.Seed ?? network.Seed;
        _early = options.EarlyStopping;
        _progress = options.Progress ?? new PlainProgress();
        _evaluator = new Evaluator<TTarget>(network, Trainer.LossOf<TTarget>(network, options), options.Margin ?? network.LossMargin, options.Delta ?? network.LossDelta, options.TopK);

        if (validationFeatures is not null)
        {
            _trainRows = null;
            _validationFeatures = validationFeatures;
            _validationTargets = validationTargets!;
            _validationCount = validationFeatures.Length / _inputs;
        }
        else if (options.ValidationSplit > 0)
        {
            // A seeded permutation: its first ⌊fraction·N⌋ rows are held out; both parts are kept in row order.
            var permutation = new int[count];
            ulong key = CounterRng.Key(_seed, Trainer.ValidationSplitStream, 0, 0);
            for (int i = 0; i < count; i++)
            {
                permutation[i] = i;
            }

            for (int i = count - 1; i > 0; i--)
            {
                int j = (int)(CounterRng.Bits(key, (ulong)i) % (ulong)(i + 1));
                (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
            }

            _validationCount = (int)(count * options.ValidationSplit);
            if (_validationCount < 1 || _validationCount >= count)
            {
                throw new ArgumentOutOfRangeException(nameof(options), options.ValidationSplit, $"ValidationSplit = {options.ValidationSplit} of {count} rows leaves {_validationCount} validation and {count - _validationCount} training rows; both need at least one.");
            }

            _validationRows = permutation[.._validationCount];
            _trainRows = permutation[_validationCount..];
            Array.Sort(_validationRows);
            Array.Sort(_trainRows);
            _validationFeatures = features;
            _validationTargets = targets;
        }
        else
        {
            _trainRows = null;
            _validationFeatures = [];
            _validationTargets = [];
        }

        int trainCount = _trainCount = _trainRows?.Length ?? count;
        int evaluated = Math.Min(options.TrainingEvaluationRows, trainCount);
        _trainEvaluationRows = new int[evaluated];
        for (int i = 0; i < evaluated; i++)
        {
            int row = (int)((long)i * trainCount / evaluated);
            _trainEvaluationRows[i] = _trainRows is null ? row : _trainRows[row];
        }

        if (BatchCount == 0)
        {
            throw new ArgumentException($"DropLast with {trainCount} training rows and batches of {_batchSize} leaves no batch to train on.", nameof(options));
        }

        _order = new int[trainCount];
        _x = new float[_batchSize * _inputs];
        _y = new TTarget[_batchSize * _targetsPerRow];
        _batchRows = new int[_batchSize];
        if (options.Mixup is { } mixup)
        {
            // Checked in Check: TTarget is int and the network trains on soft targets.
            _mixup = mixup;
            _softTargetNetwork = (ISoftTargetNetwork)network;
            _labels = (int[])(object)_y;
            _probabilities = new float[_batchSize * network.OutputSize];
        }
        if (_early is { RestoreBest: true })
        {
            _bestParameters = new float[network.Parameters.Length];
            _bestBuffers = new float[FloatBufferLength(network)];
        }
    }

    private int BatchCount => _options.DropLast ? _trainCount / _batchSize : (_trainCount + _batchSize - 1) / _batchSize;

    public TrainingHistory Run(CancellationToken cancellationToken)
    {
        var history = new TrainingHistory();
        int firstEpoch = 0;
        StopReason stop = StopReason.Completed;
        _bestValue = double.NaN;
        if (_options.ResumeFrom is { } resumeFrom)
        {
            TrainerCheckpoint.State state = TrainerCheckpoint.Read(resumeFrom, _network, _options.Schedule, _bestParameters, _bestBuffers);
            foreach (EpochRecord record in state.History)
            {
                history.Add(record);
            }

            firstEpoch = state.EpochsDone;
            stop = state.StopReason;
            (_bestEpoch, _bestValue, _badEpochs, _haveBest) = (state.BestEpoch, state.BestValue, state.BadEpochs, state.HaveBest);
            _skippedSteps = state.SkippedSteps;
        }

        history.FirstEpochRun = firstEpoch + 1;
        int batches = BatchCount;
        _progress.Begin(new FitPlan(_network.Name, _options.Epochs, firstEpoch + 1, batches, _trainCount, _validationCount, _evaluator.Classification));
        for (int epoch = firstEpoch; epoch < _options.Epochs && stop == StopReason.Completed; epoch++)
        {
            stop = TrainEpoch(epoch, batches, cancellationToken, out double loss, out double seconds, out double learningRate);
            if (stop != StopReason.Completed)
            {
                break;
            }

            EpochRecord record = Evaluate(epoch, loss, seconds, learningRate);
            if (_options.Schedule is { } schedule && _options.ScheduleStep == ScheduleStep.Epoch)
            {
                schedule.Step(record.Get(_options.ScheduleMonitor));
            }

            if (_early is not null && EarlyStoppingSaysStop(record))
            {
                stop = StopReason.EarlyStopped;
            }

            history.Add(record);
            _options.OnEpochEnd?.Invoke(record);
            _progress.EpochEnd(record);
            if (_options.CheckpointPath is { } path && ((epoch + 1) % _options.CheckpointEvery == 0 || epoch + 1 == _options.Epochs || stop != StopReason.Completed))
            {
                TrainerCheckpoint.Write(path, _network, new TrainerCheckpoint.State(epoch + 1, _seed, stop, _bestEpoch, _bestValue, _badEpochs, _haveBest, history, _skippedSteps), _options.Schedule, _bestParameters, _bestBuffers);
            }
        }

        history.StopReason = stop;
        history.SkippedSteps = _skippedSteps;
        history.BestEpoch = _early is null ? 0 : _bestEpoch;
        if (_bestParameters is not null && _haveBest && history.Last is { } last && last.Epoch != _bestEpoch)
        {
            _bestParameters.CopyTo(_network.Parameters);
            RestoreBuffers(_network, _bestBuffers!);
            history.RestoredBest = true;
        }

        if (_validationCount > 0)
        {
            history.Final = _evaluator.Run(_validationFeatures, _validationTargets, _validationRows, _validationCount);
        }
        else if (_trainEvaluationRows.Length > 0)
        {
            history.Final = _evaluator.Run(_features, _targets, _trainEvaluationRows, _trainEvaluationRows.Length);
        }

        _progress.End(history);
        return history;
    }

    /// <summary>The hot loop: gather, step, report. Allocates nothing.</summary>
    private StopReason TrainEpoch(int epoch, int batches, CancellationToken cancellationToken, out double loss, out double seconds, out double learningRate)
    {
        learningRate = _network.LearningRate;
        if (_options.Shuffle)
        {
            Data.Batches.FillPermutation(_order, _seed, epoch);
        }
        else
        {
            for (int i = 0; i < _order.Length; i++)
            {
                _order[i] = i;
            }
        }

        long start = Stopwatch.GetTimestamp();
        double lossSum = 0;
        int rows = 0;
        loss = double.NaN;
        seconds = 0;
        for (int b = 0; b < batches; b++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return StopReason.Cancelled;
            }

            int n = Math.Min(_batchSize, _order.Length - (b * _batchSize));
            ReadOnlySpan<int> batchRows = _order.AsSpan(b * _batchSize, n);
            if (_trainRows is not null)
            {
                // With a validation split the permutation is over positions in the training part.
                for (int r = 0; r < n; r++)
                {
                    _batchRows[r] = _trainRows[batchRows[r]];
                }

                batchRows = _batchRows.AsSpan(0, n);
            }

            Trainer.GatherRows<float>(_features, _inputs, batchRows, _x);
            Trainer.GatherRows<TTarget>(_targets, _targetsPerRow, batchRows, _y);
            _options.TransformBatch?.Invoke(_x.AsSpan(0, n * _inputs), n, epoch, b);
            double stepLearningRate = _network.LearningRate;
            float batchLoss;
            try
            {
                if (_mixup is not null)
                {
                    // x̃ = λ·x[r] + (1 − λ)·x[B − 1 − r] in place, ỹ = the matching class probabilities [n, classes].
                    Span<float> x = _x.AsSpan(0, n * _inputs);
                    Span<float> probabilities = _probabilities.AsSpan(0, n * _network.OutputSize);
                    _mixup.Apply(x, _labels.AsSpan(0, n), _network.OutputSize, x, probabilities, epoch, b);
                    batchLoss = _softTargetNetwork!.TrainStep(x, probabilities);
                }
                else
                {
                    batchLoss = _network.TrainStep(_x.AsSpan(0, n * _inputs), _y.AsSpan(0, n * _targetsPerRow));
                }
            }
            catch (NonFiniteStepException) when (_options.NonFiniteSteps == NonFiniteStepPolicy.Skip)
            {
                // The network refused the step and changed nothing: skip the batch, count it (TrainingHistory.SkippedSteps).
                _skippedSteps++;
                continue;
            }
            if (!float.IsFinite(batchLoss) && _options.StopOnNonFiniteLoss)
            {
                return StopReason.NonFiniteLoss;
            }

            lossSum += (double)batchLoss * n;
            rows += n;
            if (_options.Schedule is { } schedule && _options.ScheduleStep == ScheduleStep.Batch)
            {
                schedule.Step(batchLoss);
            }

            var progress = new BatchProgress(epoch + 1, _options.Epochs, b + 1, batches, batchLoss, lossSum / rows, rows,
                Stopwatch.GetElapsedTime(start).TotalSeconds, stepLearningRate, _network.Step);
            _options.OnBatchEnd?.Invoke(progress);
            _progress.BatchEnd(progress);
        }

        seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        loss = rows > 0 ? lossSum / rows : double.NaN;
        return StopReason.Completed;
    }

    private EpochRecord Evaluate(int epoch, double loss, double seconds, double learningRate)
    {
        var values = new double[EpochRecord.ColumnNames.Count];
        Array.Fill(values, double.NaN);
        values[0] = epoch + 1;
        values[1] = learningRate;
        values[2] = _network.Step;
        values[3] = loss;
        if (_trainEvaluationRows.Length > 0)
        {
            Fill(values, 4, _evaluator.Run(_features, _targets, _trainEvaluationRows, _trainEvaluationRows.Length));
        }

        if (_validationCount > 0)
        {
            Fill(values, 9, _evaluator.Run(_validationFeatures, _validationTargets, _validationRows, _validationCount));
        }

        values[14] = seconds;
        values[15] = seconds > 0 ? _trainCount / seconds : double.NaN;
        return new EpochRecord(values);

        static void Fill(double[] values, int at, Evaluation e)
        {
            values[at] = e.Loss;
            values[at + 1] = e.Accuracy;
            values[at + 2] = e.TopKAccuracy;
            values[at + 3] = e.Mae;
            values[at + 4] = e.Rmse;
        }
    }

    /// <summary>Updates the best value, snapshots the best parameters, and says whether patience has run out.</summary>
    private bool EarlyStoppingSaysStop(EpochRecord record)
    {
        double value = record.Get(_early!.Monitor);
        bool larger = _early.Monitor == TrainingMetric.ValidationAccuracy;
        bool improved = !double.IsNaN(value) && (!_haveBest || (larger ? value > _bestValue + _early.MinDelta : value < _bestValue - _early.MinDelta));
        if (improved)
        {
            (_bestValue, _bestEpoch, _badEpochs, _haveBest) = (value, record.Epoch, 0, true);
            if (_bestParameters is not null)
            {
                _network.Parameters.CopyTo(_bestParameters);
                SnapshotBuffers(_network, _bestBuffers!);
            }

            return false;
        }

        _badEpochs++;
        return _badEpochs >= _early.Patience;
    }

    private static void Check(FitOptions o, INeuralNetwork network, bool haveValidation, int count)
    {
        if (o.Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(o.Epochs), o.Epochs, "FitOptions.Epochs must be ≥ 1.");
        }

        if (o.BatchSize is int b && (b < 1 || b > network.MaxBatch))
        {
            throw new ArgumentOutOfRangeException(nameof(o.BatchSize), b, $"FitOptions.BatchSize must be in [1, {network.MaxBatch}] (MaxBatch of '{network.Name}', BatchSize in [Network]).");
        }

        if (!(o.ValidationSplit >= 0 && o.ValidationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(o.ValidationSplit), o.ValidationSplit, "FitOptions.ValidationSplit must be in [0, 1).");
        }

        if (haveValidation && o.ValidationSplit > 0)
        {
            throw new ArgumentException("Pass a validation set or set FitOptions.ValidationSplit, not both.", nameof(o.ValidationSplit));
        }

        if (o.TrainingEvaluationRows < 0 || o.TopK < 1 || o.CheckpointEvery < 1)
        {
            throw new ArgumentOutOfRangeException(o.TopK < 1 ? nameof(o.TopK) : o.CheckpointEvery < 1 ? nameof(o.CheckpointEvery) : nameof(o.TrainingEvaluationRows),
                "FitOptions.TrainingEvaluationRows must be ≥ 0, TopK and CheckpointEvery ≥ 1.");
        }

        if (count < 1)
        {
            throw new ArgumentException($"The training set of '{network.Name}' is empty.", "train");
        }

        if (o.Mixup is { } mixup)
        {
            if (network is not ISoftTargetNetwork || typeof(TTarget) != typeof(int))
            {
                throw new ArgumentException(
                    $"FitOptions.Mixup trains on mixed class probabilities, so it needs a classifier with soft targets (ISoftTargetNetwork: softmax cross-entropy trained on class labels); '{network.Name}' is not one.", nameof(o.Mixup));
            }

            if (!(mixup.MixupAlpha > 0))
            {
                throw new ArgumentException("FitOptions.Mixup is an Augmentation with MixupAlpha = 0, which mixes nothing; set MixupAlpha > 0 (1 for CIFAR-10 in the paper), or use TransformBatch for crops and flips alone.", nameof(o.Mixup));
            }

            if (mixup.ImageSize != network.InputSize)
            {
                throw new ArgumentException($"FitOptions.Mixup augments images of [{mixup.Channels}, {mixup.Height}, {mixup.Width}] ({mixup.ImageSize} values); '{network.Name}' takes InputSize = {network.InputSize}.", nameof(o.Mixup));
            }
        }

        if (o.Schedule is LearningRateSchedule s && !ReferenceEquals(s.Network, network))
        {
            throw new ArgumentException("FitOptions.Schedule was created for another network.", nameof(o.Schedule));
        }
    }

    internal static int FloatBufferLength(INeuralNetwork network)
    {
        int length = 0;
        foreach (BufferInfo info in network.BufferTable)
        {
            length += info.Dtype == BufferDtype.F32 ? info.Length : 0;
        }

        return length;
    }

    internal static void SnapshotBuffers(INeuralNetwork network, float[] destination)
    {
        int at = 0;
        foreach (BufferInfo info in network.BufferTable)
        {
            if (info.Dtype == BufferDtype.F32)
            {
                network.GetBuffer(info.Key).CopyTo(destination.AsSpan(at, info.Length));
                at += info.Length;
            }
        }
    }

    internal static void RestoreBuffers(INeuralNetwork network, float[] source)
    {
        int at = 0;
        foreach (BufferInfo info in network.BufferTable)
        {
            if (info.Dtype == BufferDtype.F32)
            {
                source.AsSpan(at, info.Length).CopyTo(network.GetBuffer(info.Key));
                at += info.Length;
            }
        }
    }
}
