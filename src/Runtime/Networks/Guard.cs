using System;

namespace NetGen;

/// <summary>
/// Argument checks of generated networks. They run before anything is touched, so a bad call changes nothing, and the
/// messages name the network, the argument and the expected sizes. Nothing is allocated unless a check fails.
/// </summary>
public static class Guard
{
    /// <summary>Rows in <paramref name="inputs"/>: its length must be a positive multiple of <paramref name="inputSize"/>.</summary>
    public static int Rows(ReadOnlySpan<float> inputs, int inputSize, string network)
    {
        if (inputs.Length == 0 || inputs.Length % inputSize != 0)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {inputs.Length} values; expected rows × {inputSize} (InputSize) with at least one row.", "inputs");
        }

        return inputs.Length / inputSize;
    }

    /// <summary>Checks that <paramref name="scores"/> holds exactly <paramref name="length"/> values.</summary>
    public static void Output(Span<float> scores, int length, string network)
    {
        if (scores.Length != length)
        {
            throw new ArgumentException(
                $"Argument 'scores' of network '{network}' has {scores.Length} values; expected {length} (rows × OutputSize).", "scores");
        }
    }

    /// <summary>
    /// A training batch: 1 to <paramref name="maxBatch"/> rows of <paramref name="inputSize"/> features, one label per row,
    /// each label a class index in [0, <paramref name="classes"/>). Returns the row count.
    /// </summary>
    public static int Batch(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int inputSize, int classes, int maxBatch, string network)
    {
        int rows = Rows(inputs, inputSize, network);
        if (rows > maxBatch)
        {
            throw new ArgumentException(
                $"Argument 'inputs' of network '{network}' has {rows} rows; a training call takes at most MaxBatch = {maxBatch} (BatchSize in [Network]). Split the batch or raise BatchSize.", "inputs");
        }

        if (labels.Length != rows)
        {
            throw new ArgumentException(
                $"Argument 'labels' of network '{network}' has {labels.Length} values; expected one per input row ({rows}).", "labels");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(
                    "labels", labels[i], $"labels[{i}] = {labels[i]} is not a class index of network '{network}'; expected 0 ≤ label < {classes}.");
            }
        }

        return rows;
    }
}
