using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetGen;

/// <summary>
/// What one epoch did: its training loss, the metrics evaluated at its end (NaN where not measured), the learning rate
/// and the speed. The values are plain doubles so a plotting library takes them as they are
/// (<see cref="TrainingHistory.Column"/>, <see cref="TrainingHistory.ToCsv"/>).
/// </summary>
public sealed class EpochRecord
{
    /// <summary>The columns of <see cref="TrainingHistory.ToCsv"/> and <see cref="TrainingHistory.Column"/>, in order.</summary>
    public static IReadOnlyList<string> ColumnNames { get; } =
    [
        "epoch", "learning_rate", "step", "loss", "train_loss", "train_accuracy", "train_top_k_accuracy", "train_mae", "train_rmse",
        "val_loss", "val_accuracy", "val_top_k_accuracy", "val_mae", "val_rmse", "seconds", "samples_per_second",
    ];

    internal EpochRecord(double[] values) => Values = values;

    /// <summary>The values in the order of <see cref="ColumnNames"/>.</summary>
    internal double[] Values { get; }

    /// <summary>The epoch, 1-based.</summary>
    public int Epoch => (int)Values[0];

    /// <summary>The learning rate at the start of the epoch.</summary>
    public double LearningRate => Values[1];

    /// <summary>Optimizer steps taken when the epoch ended.</summary>
    public long Step => (long)Values[2];

    /// <summary>The mean of the epoch's training-step losses, weighted by rows: the loss the optimizer saw (dropout on,
    /// batch statistics, L2 term included), while the parameters moved.</summary>
    public double Loss => Values[3];

    /// <summary>The data loss on the evaluated training rows at the epoch's end (inference mode, no L2 term).</summary>
    public double TrainLoss => Values[4];

    /// <summary>Accuracy on the evaluated training rows at the epoch's end.</summary>
    public double TrainAccuracy => Values[5];

    /// <summary>Top-k accuracy on the evaluated training rows.</summary>
    public double TrainTopKAccuracy => Values[6];

    /// <summary>Mean absolute error on the evaluated training rows (float targets).</summary>
    public double TrainMae => Values[7];

    /// <summary>Root mean squared error on the evaluated training rows (float targets).</summary>
    public double TrainRmse => Values[8];

    /// <summary>The validation data loss (inference mode).</summary>
    public double ValidationLoss => Values[9];

    /// <summary>The validation accuracy.</summary>
    public double ValidationAccuracy => Values[10];

    /// <summary>The validation top-k accuracy.</summary>
    public double ValidationTopKAccuracy => Values[11];

    /// <summary>The validation mean absolute error (float targets).</summary>
    public double ValidationMae => Values[12];

    /// <summary>The validation root mean squared error (float targets).</summary>
    public double ValidationRmse => Values[13];

    /// <summary>Seconds of training in the epoch (evaluation not included).</summary>
    public double Seconds => Values[14];

    /// <summary>Training rows per second.</summary>
    public double SamplesPerSecond => Values[15];

    /// <summary>Train accuracy − validation accuracy: a large gap means overfitting (more regularisation or data), a
    /// gap near zero with a low accuracy means too little capacity.</summary>
    public double AccuracyGap => TrainAccuracy - ValidationAccuracy;

    /// <summary>Validation loss − train loss (both measured the same way at the epoch's end).</summary>
    public double LossGap => ValidationLoss - TrainLoss;

    /// <summary>The value of <paramref name="metric"/> in this record (the fallbacks of <see cref="TrainingMetric"/> applied).</summary>
    public double Get(TrainingMetric metric) => metric switch
    {
        TrainingMetric.ValidationLoss => double.IsNaN(ValidationLoss) ? Loss : ValidationLoss,
        TrainingMetric.ValidationAccuracy => double.IsNaN(ValidationAccuracy) ? TrainAccuracy : ValidationAccuracy,
        _ => Loss,
    };

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < Values.Length; i++)
        {
            if (!double.IsNaN(Values[i]))
            {
                text.Append(text.Length == 0 ? "" : ", ").Append(ColumnNames[i]).Append(' ').Append(Values[i].ToString("G6", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}

/// <summary>
/// Metrics of a network on a dataset in inference mode. For class labels: loss, accuracy, top-k accuracy, the confusion
/// matrix and the per-class accuracy; for float targets: loss, MAE and RMSE over every output (and, for binary
/// cross-entropy, the accuracy of the thresholded outputs). Metrics that do not apply are NaN.
/// </summary>
public sealed class Evaluation
{
    internal Evaluation(int rows, double loss, double accuracy, int topK, double topKAccuracy, double mae, double rmse, int classes, long[]? confusion)
    {
        Rows = rows;
        Loss = loss;
        Accuracy = accuracy;
        TopK = topK;
        TopKAccuracy = topKAccuracy;
        Mae = mae;
        Rmse = rmse;
        Classes = classes;
        _confusion = confusion;
    }

    private readonly long[]? _confusion;

    /// <summary>Rows evaluated.</summary>
    public int Rows { get; }

    /// <summary>The mean data loss.</summary>
    public double Loss { get; }

    /// <summary>Fraction of rows whose highest score is the label (binary cross-entropy: of outputs whose sign matches the target).</summary>
    public double Accuracy { get; }

    /// <summary>k of <see cref="TopKAccuracy"/>.</summary>
    public int TopK { get; }

    /// <summary>Fraction of rows where fewer than k classes score higher than the label (ties count for the label); NaN when k ≥ classes.</summary>
    public double TopKAccuracy { get; }

    /// <summary>Mean absolute error over every output (float targets).</summary>
    public double Mae { get; }

    /// <summary>Root mean squared error over every output (float targets).</summary>
    public double Rmse { get; }

    /// <summary>Number of classes (0 for float targets).</summary>
    public int Classes { get; }

    /// <summary>Rows with label <paramref name="label"/> predicted as <paramref name="predicted"/> (row = truth, column = prediction, as scikit-learn).</summary>
    public long Confusion(int label, int predicted) => _confusion is null
        ? throw new InvalidOperationException("A confusion matrix exists for class labels only.")
        : _confusion[(label * Classes) + predicted];

    /// <summary>The confusion matrix, row-major [label, predicted]; empty for float targets.</summary>
    public ReadOnlySpan<long> ConfusionMatrix => _confusion;

    /// <summary>Per class: the fraction of its rows predicted correctly (its recall); NaN for a class with no row.</summary>
    public double ClassAccuracy(int label)
    {
        long total = 0;
        for (int j = 0; j < Classes; j++)
        {
            total += Confusion(label, j);
        }

        return total == 0 ? double.NaN : (double)Confusion(label, label) / total;
    }

    /// <summary>The confusion matrix as text, one row per true class.</summary>
    public string ConfusionText()
    {
        if (_confusion is null)
        {
            return "";
        }

        var text = new StringBuilder("label \\ predicted");
        text.AppendLine();
        for (int i = 0; i < Classes; i++)
        {
            text.Append(i.ToString(CultureInfo.InvariantCulture).PadLeft(5)).Append(" |");
            for (int j = 0; j < Classes; j++)
            {
                text.Append(Confusion(i, j).ToString(CultureInfo.InvariantCulture).PadLeft(7));
            }

            text.Append("  ").Append(ClassAccuracy(i).ToString("F4", CultureInfo.InvariantCulture)).AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>
/// The result of Fit: one <see cref="EpochRecord"/> per epoch (those of a resumed run included), why training stopped,
/// the best epoch of early stopping, and the final evaluation of the network as it is returned.
/// </summary>
public sealed class TrainingHistory : IReadOnlyList<EpochRecord>
{
    private readonly List<EpochRecord> _records = [];

    /// <summary>Why training stopped.</summary>
    public StopReason StopReason { get; internal set; }

    /// <summary>The best epoch by the early-stopping monitor (1-based), or 0 without early stopping.</summary>
    public int BestEpoch { get; internal set; }

    /// <summary>Whether the best epoch's parameters were restored at the end.</summary>
    public bool RestoredBest { get; internal set; }

    /// <summary>The first epoch this call ran (1-based; above 1 when resumed from a checkpoint).</summary>
    public int FirstEpochRun { get; internal set; } = 1;

    /// <summary>Training steps refused as non-finite and skipped (<see cref="FitOptions.NonFiniteSteps"/> =
    /// <see cref="NonFiniteStepPolicy.Skip"/>) over the whole run, a resumed run's earlier part included.</summary>
    public long SkippedSteps { get; internal set; }

    /// <summary>Metrics of the returned network on the validation set (on the evaluated training rows when there is
    /// none), with the confusion matrix for class labels; null when nothing was evaluated.</summary>
    public Evaluation? Final { get; internal set; }

    /// <inheritdoc/>
    public int Count => _records.Count;

    /// <inheritdoc/>
    public EpochRecord this[int index] => _records[index];

    /// <summary>The last record, or null before the first epoch.</summary>
    public EpochRecord? Last => _records.Count == 0 ? null : _records[^1];

    /// <summary>One column of every record (a name of <see cref="EpochRecord.ColumnNames"/>), e.g. "val_loss", for a plot.</summary>
    public double[] Column(string name)
    {
        int index = -1;
        for (int i = 0; i < EpochRecord.ColumnNames.Count; i++)
        {
            index = EpochRecord.ColumnNames[i] == name ? i : index;
        }

        if (index < 0)
        {
            throw new ArgumentException($"No column '{name}'; the columns are {string.Join(", ", EpochRecord.ColumnNames)}.", nameof(name));
        }

        var column = new double[_records.Count];
        for (int e = 0; e < column.Length; e++)
        {
            column[e] = _records[e].Values[index];
        }

        return column;
    }

    /// <summary>Every record as CSV with a header line (<see cref="EpochRecord.ColumnNames"/>), invariant culture, empty
    /// cells for values not measured.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder(string.Join(",", EpochRecord.ColumnNames)).Append('\n');
        foreach (EpochRecord record in _records)
        {
            for (int i = 0; i < record.Values.Length; i++)
            {
                text.Append(i == 0 ? "" : ",").Append(double.IsNaN(record.Values[i]) ? "" : record.Values[i].ToString("R", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <inheritdoc/>
    public IEnumerator<EpochRecord> GetEnumerator() => _records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(EpochRecord record) => _records.Add(record);
}
