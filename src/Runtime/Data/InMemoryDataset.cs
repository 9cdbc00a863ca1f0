using System;

namespace NetGen.Data;

/// <summary>
/// A labelled dataset held in memory: <c>Count</c> rows of <c>FeatureCount</c> floats, row-major, and one
/// integer label per row.
/// </summary>
public sealed class InMemoryDataset
{
    /// <summary>Wraps (does not copy) features and labels.</summary>
    /// <param name="features">Row-major [count, featureCount].</param>
    /// <param name="labels">One label per row.</param>
    /// <param name="featureCount">Features per row, &gt; 0.</param>
    public InMemoryDataset(float[] features, int[] labels, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException($"{labels.Length} labels × {featureCount} features = {(long)labels.Length * featureCount}, but there are {features.Length} feature values.", nameof(features));
        }

        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
    }

    /// <summary>The feature values, row-major [Count, FeatureCount].</summary>
    public float[] Features { get; }

    /// <summary>One label per row.</summary>
    public int[] Labels { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Labels.Length;

    /// <summary>The features of row <paramref name="index"/>.</summary>
    /// <param name="index">Row index in [0, Count).</param>
    /// <returns>A view of <see cref="FeatureCount"/> values.</returns>
    public ReadOnlySpan<float> Row(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Row index must be in [0, {Count}).");
        }
        return Features.AsSpan(index * FeatureCount, FeatureCount);
    }
}
