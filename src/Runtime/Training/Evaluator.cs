using System;
using System.Runtime.InteropServices;
using NetGen.Kernels;

namespace NetGen;

/// <summary>
/// Metrics of a network on rows of a dataset, in inference mode (<see cref="INeuralNetwork.Predict"/>), a chunk of rows
/// at a time into buffers allocated once: the data loss (the network's loss kernel, no L2 term), accuracy, top-k accuracy
/// and the confusion matrix for class labels, MAE and RMSE for float targets.
/// </summary>
/// <typeparam name="TTarget"><c>int</c> class labels or <c>float</c> targets.</typeparam>
internal sealed class Evaluator<TTarget>
    where TTarget : unmanaged
{
    private readonly INeuralNetwork _network;
    private readonly Loss _loss;
    private readonly double _margin;
    private readonly double _delta;
    private readonly int _chunk;
    private readonly int _inputs;
    private readonly int _outputs;
    private readonly int _targets;
    // Allocated by the first Run, not by the constructor: a Fit without evaluation rows never pays for them (about
    // 3 MB for an MNIST MLP, which a one-epoch Fit would otherwise allocate and zero on every call).
    private float[]? _x;
    private TTarget[]? _y;
    private float[]? _scores;
    private float[]? _scratch;
    private long[]? _confusion;

    public Evaluator(INeuralNetwork network, Loss loss, double margin, double delta, int topK)
    {
        _network = network;
        _loss = loss;
        _margin = margin;
        _delta = delta;
        _inputs = network.InputSize;
        _outputs = network.OutputSize;
        Classification = typeof(TTarget) == typeof(int);
        _targets = Classification ? 1 : _outputs;
        TopK = topK;
        // Predict runs MaxBatch rows at a time; a chunk of about a thousand rows keeps the buffers small.
        _chunk = network.MaxBatch * Math.Max(1, (1024 + network.MaxBatch - 1) / network.MaxBatch);
    }

    public bool Classification { get; }

    public int TopK { get; }

    /// <summary>Evaluates rows <paramref name="rows"/> (indices; null = all <paramref name="count"/> rows in order) of
    /// (<paramref name="features"/>, <paramref name="targets"/>).</summary>
    public Evaluation Run(float[] features, TTarget[] targets, int[]? rows, int count)
    {
        double lossSum = 0, absSum = 0, squareSum = 0;
        long correct = 0, topKCorrect = 0, elements = 0;
        _x ??= new float[_chunk * _inputs];
        _y ??= new TTarget[_chunk * _targets];
        _scores ??= new float[_chunk * _outputs];
        _scratch ??= new float[_chunk * _outputs];
        if (Classification)
        {
            _confusion ??= new long[_outputs * _outputs];
            _confusion.AsSpan().Clear();
        }

        for (int start = 0; start < count; start += _chunk)
        {
            int n = Math.Min(_chunk, count - start);
            ReadOnlySpan<float> x;
            ReadOnlySpan<TTarget> y;
            if (rows is null)
            {
                x = features.AsSpan(start * _inputs, n * _inputs);
                y = targets.AsSpan(start * _targets, n * _targets);
            }
            else
            {
                ReadOnlySpan<int> chunkRows = rows.AsSpan(start, n);
                Trainer.GatherRows(features, _inputs, chunkRows, _x);
                Trainer.GatherRows(targets, _targets, chunkRows, _y);
                x = _x.AsSpan(0, n * _inputs);
                y = _y.AsSpan(0, n * _targets);
            }

            Span<float> scores = _scores.AsSpan(0, n * _outputs);
            Span<float> scratch = _scratch.AsSpan(0, n * _outputs);
            _network.Predict(x, scores);
            if (Classification)
            {
                ReadOnlySpan<int> labels = MemoryMarshal.Cast<TTarget, int>(y);
                lossSum += _loss switch
                {
                    Loss.MulticlassHinge => Losses.MulticlassHinge<float>(scores, labels, scratch, n, _outputs, _margin),
                    Loss.MulticlassSquaredHinge => Losses.MulticlassSquaredHinge<float>(scores, labels, scratch, n, _outputs, _margin),
                    Loss.HierarchicalSoftmax => NegativeLogProbability(scores, labels, n, _outputs), // Predict gives p(c | x): the loss is −log p(y | x)
                    _ => Losses.SoftmaxCrossEntropy<float>(scores, labels, scratch, n, _outputs),
                };
                for (int r = 0; r < n; r++)
                {
                    ReadOnlySpan<float> s = scores.Slice(r * _outputs, _outputs);
                    int label = labels[r];
                    int best = 0, higher = 0;
                    for (int j = 1; j < s.Length; j++)
                    {
                        best = s[j] > s[best] ? j : best;
                    }

                    for (int j = 0; j < s.Length; j++)
                    {
                        higher += s[j] > s[label] ? 1 : 0;
                    }

                    correct += best == label ? 1 : 0;
                    topKCorrect += higher < TopK ? 1 : 0;
                    _confusion![(label * _outputs) + best]++;
                }
            }
            else
            {
                ReadOnlySpan<float> t = MemoryMarshal.Cast<TTarget, float>(y);
                lossSum += _loss switch
                {
                    Loss.MeanAbsoluteError => Losses.MeanAbsoluteError<float>(scores, t, scratch, n, _outputs),
                    Loss.Huber => Losses.Huber<float>(scores, t, scratch, n, _outputs, _delta),
                    Loss.BinaryCrossEntropyWithLogits => Losses.BinaryCrossEntropyWithLogits<float>(scores, t, scratch, n, _outputs),
                    Loss.BinaryHinge => Losses.BinaryHinge<float>(scores, t, scratch, n, _outputs, _margin),
                    _ => Losses.MeanSquaredError<float>(scores, t, scratch, n, _outputs),
                };
                for (int i = 0; i < t.Length; i++)
                {
                    double e = (double)scores[i] - t[i];
                    absSum += Math.Abs(e);
                    squareSum += e * e;
                    // Binary cross-entropy: output i says "positive" when its logit is > 0.
                    correct += (scores[i] > 0) == (t[i] >= 0.5f) ? 1 : 0;
                }

                elements += t.Length;
            }
        }

        if (Classification)
        {
            return new Evaluation(count, lossSum / count, (double)correct / count, TopK, TopK < _outputs ? (double)topKCorrect / count : double.NaN,
                double.NaN, double.NaN, _outputs, (long[])_confusion!.Clone());
        }

        return new Evaluation(count, lossSum / count, _loss == Loss.BinaryCrossEntropyWithLogits ? (double)correct / elements : double.NaN, 0, double.NaN,
            absSum / elements, Math.Sqrt(squareSum / elements), 0, null);
    }

    /// <summary>Σ_r −log p[r, y_r] over rows of probabilities (the hierarchical softmax's Predict), in double.</summary>
    private static double NegativeLogProbability(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, int rows, int classes)
    {
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            sum -= Math.Log(probabilities[(r * classes) + labels[r]]);
        }

        return sum;
    }
}
