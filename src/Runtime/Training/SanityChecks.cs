using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using NetGen.Data;

namespace NetGen;

/// <summary>The initial loss of a network against the value at chance.</summary>
/// <param name="Loss">The data loss (no L2 term) of the untrained network on the rows, in inference mode.</param>
/// <param name="Chance">The loss when every score is 0: ln C for softmax cross-entropy, (C − 1)·Δ for the hinge,
/// (C − 1)·Δ² for the squared hinge (the notes' 2.302 and 9 for CIFAR-10's 10 classes).</param>
/// <param name="ScoreStd">σ, the spread of the scores within a row (√ of the mean unbiased variance of each row's scores).</param>
/// <param name="Expected">The mean loss of random scores with that spread: rows of C independent N(0, σ²) scores
/// (4,096 of them, drawn with a fixed seed) under the same loss kernel. With small initial weights σ ≈ 0 and this is
/// <see cref="Chance"/>; He or Glorot initialisation gives σ near 1, which raises it (for cross-entropy by about
/// σ²(C − 1)/(2C)).</param>
/// <param name="Tolerance">The relative difference from <see cref="Expected"/> that passes.</param>
public readonly record struct InitialLossCheck(double Loss, double Chance, double ScoreStd, double Expected, double Tolerance)
{
    /// <summary>|Loss − Expected| / Expected.</summary>
    public double RelativeDifference => Math.Abs(Loss - Expected) / Expected;

    /// <summary>Whether the loss is within <see cref="Tolerance"/> of <see cref="Expected"/>.</summary>
    public bool Passed => RelativeDifference <= Tolerance;

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant(
        $"initial loss {Loss:F4}; at chance {Chance:F4}, with the scores' spread σ = {ScoreStd:F3} {Expected:F4} ({RelativeDifference:P1} off): {(Passed ? "OK" : "check the loss, the initialisation or the labels")}");
}

/// <summary>The result of overfitting a tiny subset.</summary>
/// <param name="Rows">Rows trained on.</param>
/// <param name="Steps">Training steps taken.</param>
/// <param name="Loss">The data loss on the rows at the end (inference mode).</param>
/// <param name="Accuracy">The accuracy on the rows at the end.</param>
/// <param name="TargetLoss">The loss to reach.</param>
public readonly record struct OverfitCheck(int Rows, int Steps, double Loss, double Accuracy, double TargetLoss)
{
    /// <summary>Whether the loss reached <see cref="TargetLoss"/> and every row is classified correctly.</summary>
    public bool Passed => Loss <= TargetLoss && Accuracy == 1;

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant(
        $"overfit {Rows} rows: loss {Loss:G4}, accuracy {Accuracy:F4} after {Steps} steps: {(Passed ? "OK" : "the network cannot fit even a tiny subset")}");
}

/// <summary>
/// The sanity checks of the CS231n notes (Neural Networks Part 3, "before learning: sanity checks"), as calls: the
/// initial loss of an untrained classifier is the chance value, and a fresh network can overfit a tiny subset.
/// </summary>
public static class SanityChecks
{
    /// <summary>
    /// The data loss of the (untrained) network on up to <paramref name="rows"/> rows of <paramref name="data"/>, against
    /// the loss at chance (see <see cref="InitialLossCheck"/>). The regularisation term is left out, as the notes ask.
    /// The network is not changed.
    /// </summary>
    /// <param name="network">The network, normally right after construction.</param>
    /// <param name="data">Rows with labels.</param>
    /// <param name="loss">The loss; null (the default) = the network's declared one (<see cref="INeuralNetwork.Loss"/>, a class-label loss).</param>
    /// <param name="margin">Δ of the hinge losses; null (the default) = the declared one.</param>
    /// <param name="rows">Rows to evaluate (the first ones).</param>
    /// <param name="tolerance">The relative difference from the expected loss that passes.</param>
    public static InitialLossCheck CheckInitialLoss(this INeuralNetwork<int> network, InMemoryDataset data, Loss? loss = null,
        double? margin = null, int rows = 1000, double tolerance = 0.2)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        var options = new FitOptions { Loss = loss, Margin = margin };
        Loss kind = Trainer.LossOf<int>(network, options);
        double delta = margin ?? network.LossMargin;
        int n = Math.Min(rows, data.Count);
        int classes = network.OutputSize;
        var subset = new InMemoryDataset(data.Features.AsSpan(0, n * data.FeatureCount).ToArray(), data.Labels.AsSpan(0, n).ToArray(), data.FeatureCount);
        double measured = network.Evaluate(subset, options).Loss;
        if (kind == Loss.HierarchicalSoftmax)
        {
            // Node parameters start at 0, so every node gives σ(0) = ½ whatever the features: the first loss is exactly
            // ln 2 times the mean path length of the labels (the balanced tree's; a declared ClassTree may differ).
            var tree = Kernels.HierarchicalSoftmaxTree.Balanced(classes);
            double depth = 0;
            for (int r = 0; r < n; r++)
            {
                depth += tree.PathNodes(subset.Labels[r]).Length;
            }

            double expected = Math.Log(2) * depth / Math.Max(n, 1);
            return new InitialLossCheck(measured, expected, 0, expected, tolerance);
        }


        // σ: the spread of the scores within each row, averaged over the rows.
        var scores = new float[n * classes];
        network.Predict(subset.Features, scores);
        double variance = 0;
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = scores.AsSpan(r * classes, classes);
            double mean = 0, squares = 0;
            foreach (float v in row)
            {
                mean += v;
            }

            mean /= classes;
            foreach (float v in row)
            {
                squares += (v - mean) * (v - mean);
            }

            variance += squares / (classes - 1);
        }

        double sigma = Math.Sqrt(variance / n);
        return new InitialLossCheck(measured, RandomScoreLoss(kind, delta, classes, 0), sigma, RandomScoreLoss(kind, delta, classes, sigma), tolerance);
    }

    /// <summary>The mean loss of 4,096 rows of <paramref name="classes"/> N(0, σ²) scores (label 0), with a fixed seed.</summary>
    private static double RandomScoreLoss(Loss loss, double margin, int classes, double sigma)
    {
        const int Rows = 4096;
        var scores = new float[Rows * classes];
        var gradient = new float[Rows * classes];
        var labels = new int[Rows];
        ulong key = CounterRng.Key(0, 0x494E4954 /* "INIT" */, 0, 0);
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = (float)(sigma * CounterRng.Normal(key, (ulong)i));
        }

        double sum = loss switch
        {
            Loss.MulticlassHinge => Kernels.Losses.MulticlassHinge<float>(scores, labels, gradient, Rows, classes, margin),
            Loss.MulticlassSquaredHinge => Kernels.Losses.MulticlassSquaredHinge<float>(scores, labels, gradient, Rows, classes, margin),
            _ => Kernels.Losses.SoftmaxCrossEntropy<float>(scores, labels, gradient, Rows, classes),
        };
        return sum / Rows;
    }

    /// <summary>
    /// Trains a fresh network from <paramref name="create"/> on the first <paramref name="rows"/> rows, full batch, until
    /// their data loss is at most <paramref name="targetLoss"/> and all are classified correctly, or
    /// <paramref name="maxSteps"/> steps. The notes ask for regularisation off: a network's weight decay is part of its
    /// declaration, so pass the factory of a twin declared without <c>WeightDecay</c> and dropout. <paramref name="loss"/> and
    /// <paramref name="margin"/>: null (the default) = the network's declared ones.
    /// </summary>
    public static OverfitCheck OverfitSmallSubset(Func<INeuralNetwork<int>> create, InMemoryDataset data, int rows = 20, int maxSteps = 1000,
        double targetLoss = 0.01, Loss? loss = null, double? margin = null)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(data);
        INeuralNetwork<int> network = create();
        int n = Math.Min(rows, data.Count);
        var subset = new InMemoryDataset(data.Features.AsSpan(0, n * data.FeatureCount).ToArray(), data.Labels.AsSpan(0, n).ToArray(), data.FeatureCount);
        var evaluator = new Evaluator<int>(network, Trainer.LossOf<int>(network, new FitOptions { Loss = loss }), margin ?? network.LossMargin, 1, 1);
        int batch = Math.Min(n, network.MaxBatch);
        Evaluation e = evaluator.Run(subset.Features, subset.Labels, null, n);
        int steps = 0;
        while (steps < maxSteps && !(e.Loss <= targetLoss && e.Accuracy == 1))
        {
            for (int start = 0; start < n && steps < maxSteps; start += batch, steps++)
            {
                int b = Math.Min(batch, n - start);
                network.TrainStep(subset.Features.AsSpan(start * subset.FeatureCount, b * subset.FeatureCount), subset.Labels.AsSpan(start, b));
            }

            e = evaluator.Run(subset.Features, subset.Labels, null, n);
        }

        return new OverfitCheck(n, steps, e.Loss, e.Accuracy, targetLoss);
    }
}

/// <summary>
/// The update-to-weight ratio ‖ΔW‖₂ / ‖W‖₂ of every parameter tensor over one optimizer step (the CS231n notes,
/// "babysitting the learning process": about 1e-3 is healthy; much lower, the learning rate is probably too low; much
/// higher, too high). Call <see cref="Observe"/> after every step, e.g. <c>OnBatchEnd = _ => monitor.Observe()</c>:
/// every <see cref="EverySteps"/> steps it keeps a copy of the parameters, and after the next step it measures. It
/// allocates nothing after construction.
/// </summary>
public sealed class UpdateRatioMonitor
{
    private readonly INeuralNetwork _network;
    private readonly float[] _before;
    private readonly double[] _ratios;
    private bool _armed;

    /// <summary>Creates the monitor.</summary>
    /// <param name="network">The network to watch.</param>
    /// <param name="everySteps">Steps between two measurements, ≥ 1.</param>
    /// <param name="low">Ratios below this are flagged (default 1e-4, ten times below 1e-3).</param>
    /// <param name="high">Ratios above this are flagged (default 1e-2).</param>
    public UpdateRatioMonitor(INeuralNetwork network, int everySteps = 100, double low = 1e-4, double high = 1e-2)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        EverySteps = everySteps >= 1 ? everySteps : throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "everySteps must be ≥ 1.");
        Low = low;
        High = high;
        _before = new float[network.Parameters.Length];
        _ratios = new double[network.ParameterTable.Count];
        Array.Fill(_ratios, double.NaN);
    }

    /// <summary>Steps between two measurements.</summary>
    public int EverySteps { get; }

    /// <summary>The lower bound of the healthy band.</summary>
    public double Low { get; }

    /// <summary>The upper bound of the healthy band.</summary>
    public double High { get; }

    /// <summary>The step at which the ratios were last measured (0 = never).</summary>
    public long MeasuredAtStep { get; private set; }

    /// <summary>The last ratio of each parameter tensor, in the order of <see cref="INeuralNetwork.ParameterTable"/> (NaN before the first measurement).</summary>
    public ReadOnlySpan<double> Ratios => _ratios;

    /// <summary>Call after each optimizer step.</summary>
    public void Observe()
    {
        if (_armed)
        {
            Span<float> after = _network.Parameters;
            IReadOnlyList<ParameterInfo> table = _network.ParameterTable;
            for (int t = 0; t < table.Count; t++)
            {
                ParameterInfo info = table[t];
                double update = 0, weight = 0;
                for (int i = info.Offset; i < info.Offset + info.Length; i++)
                {
                    double d = (double)after[i] - _before[i];
                    update += d * d;
                    weight += (double)_before[i] * _before[i];
                }

                _ratios[t] = weight > 0 ? Math.Sqrt(update / weight) : double.NaN;
            }

            _armed = false;
            MeasuredAtStep = _network.Step;
        }

        if (_network.Step % EverySteps == 0)
        {
            _network.Parameters.CopyTo(_before);
            _armed = true;
        }
    }

    /// <summary>The keys of the tensors whose last ratio is outside [<see cref="Low"/>, <see cref="High"/>].</summary>
    public IReadOnlyList<string> Flagged()
    {
        var flagged = new List<string>();
        for (int t = 0; t < _ratios.Length; t++)
        {
            if (_ratios[t] < Low || _ratios[t] > High)
            {
                flagged.Add(_network.ParameterTable[t].Key);
            }
        }

        return flagged;
    }

    /// <summary>One line per tensor: key, ratio, and "too low"/"too high" where flagged.</summary>
    public string Report()
    {
        var text = new StringBuilder(FormattableString.Invariant($"update/weight ratios at step {MeasuredAtStep} (healthy ≈ 1e-3):")).AppendLine();
        for (int t = 0; t < _ratios.Length; t++)
        {
            string flag = _ratios[t] < Low ? "  too low: learning rate too small?" : _ratios[t] > High ? "  too high: learning rate too large?" : "";
            text.Append("  ").Append(_network.ParameterTable[t].Key.PadRight(24)).Append(_ratios[t].ToString("E2", CultureInfo.InvariantCulture)).Append(flag).AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>Statistics of one tensor's values.</summary>
/// <param name="Key">The state_dict key.</param>
/// <param name="Mean">Mean.</param>
/// <param name="Std">Standard deviation (population).</param>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
/// <param name="Norm">L2 norm.</param>
/// <param name="ZeroFraction">Fraction of exact zeros.</param>
public readonly record struct TensorStatistics(string Key, double Mean, double Std, double Min, double Max, double Norm, double ZeroFraction)
{
    /// <summary>Statistics of <paramref name="values"/>, summed in double.</summary>
    public static TensorStatistics Of(string key, ReadOnlySpan<float> values)
    {
        double sum = 0, squares = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        int zeros = 0;
        foreach (float v in values)
        {
            sum += v;
            squares += (double)v * v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            zeros += v == 0 ? 1 : 0;
        }

        double mean = sum / values.Length;
        return new TensorStatistics(key, mean, Math.Sqrt(Math.Max(squares / values.Length - (mean * mean), 0)), min, max, Math.Sqrt(squares), (double)zeros / values.Length);
    }

    /// <summary>Per parameter tensor: the statistics of its values and of its gradient of the last training step.</summary>
    public static (TensorStatistics Weights, TensorStatistics Gradients)[] OfParameters(INeuralNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        IReadOnlyList<ParameterInfo> table = network.ParameterTable;
        var result = new (TensorStatistics, TensorStatistics)[table.Count];
        ReadOnlySpan<float> parameters = network.Parameters;
        ReadOnlySpan<float> gradients = network.Gradients;
        for (int t = 0; t < table.Count; t++)
        {
            ParameterInfo info = table[t];
            result[t] = (Of(info.Key, parameters.Slice(info.Offset, info.Length)), Of(info.Key, gradients.Slice(info.Offset, info.Length)));
        }

        return result;
    }
}
