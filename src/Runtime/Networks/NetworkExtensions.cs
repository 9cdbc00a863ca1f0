using System;

namespace NetGen;

/// <summary>Helpers that work with any generated network.</summary>
public static class NetworkExtensions
{
    /// <summary>The class with the highest score in each row of <paramref name="scores"/>[rows, classes].</summary>
    public static void ArgMax(ReadOnlySpan<float> scores, int classes, Span<int> predictions)
    {
        for (int row = 0; row < predictions.Length; row++)
        {
            ReadOnlySpan<float> s = scores.Slice(row * classes, classes);
            int best = 0;
            for (int j = 1; j < classes; j++)
            {
                if (s[j] > s[best])
                {
                    best = j;
                }
            }

            predictions[row] = best;
        }
    }

    /// <summary>Fraction of rows of <paramref name="inputs"/> whose highest-scoring class equals the label (inference mode).</summary>
    public static double Accuracy(this INeuralNetwork network, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        int rows = Guard.Rows(inputs, network.InputSize, network.Name);
        if (labels.Length != rows)
        {
            throw new ArgumentException($"Argument 'labels' has {labels.Length} values; expected one per input row ({rows}).", nameof(labels));
        }

        var scores = new float[checked(rows * network.OutputSize)];
        var predictions = new int[rows];
        network.Predict(inputs, scores);
        ArgMax(scores, network.OutputSize, predictions);
        int correct = 0;
        for (int i = 0; i < rows; i++)
        {
            correct += predictions[i] == labels[i] ? 1 : 0;
        }

        return (double)correct / rows;
    }
}
