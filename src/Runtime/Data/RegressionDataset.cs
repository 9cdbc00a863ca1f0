using System;

namespace NetGen.Data;

/// <summary>
/// A dataset with float targets held in memory: <c>Count</c> rows of <c>FeatureCount</c> floats and
/// <c>TargetCount</c> targets per row, both row-major (regression, multi-label targets in [0, 1]).
/// </summary>
public sealed class RegressionDataset
{
    /// <summary>Wraps (does not copy) features and targets.</summary>
    /// <param name="features">Row-major [count, featureCount].</param>
    /// <param name="featureCount">Features per row, &gt; 0.</param>
    /// <param name="targets">Row-major [count, targetCount].</param>
    /// <param name="targetCount">Targets per row, &gt; 0 (the network's OutputSize).</param>
    public RegressionDataset(float[] features, int featureCount, float[] targets, int targetCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetCount);
        if (features.Length % featureCount != 0 || targets.Length % targetCount != 0 || features.Length / featureCount != targets.Length / targetCount)
        {
            throw new ArgumentException($"{features.Length} feature values in rows of {featureCount} and {targets.Length} target values in rows of {targetCount} are not the same whole number of rows.", nameof(targets));
        }

        Features = features;
        FeatureCount = featureCount;
        Targets = targets;
        TargetCount = targetCount;
    }

    /// <summary>The feature values, row-major [Count, FeatureCount].</summary>
    public float[] Features { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>The target values, row-major [Count, TargetCount].</summary>
    public float[] Targets { get; }

    /// <summary>Targets per row.</summary>
    public int TargetCount { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Features.Length / FeatureCount;
}
