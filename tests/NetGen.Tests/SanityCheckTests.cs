using NetGen.Data;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>The training-practice checks as calls: initial loss at chance, overfitting a tiny subset, the update/weight
/// ratio per parameter tensor and per-tensor statistics, each compared with a direct computation.</summary>
public sealed class SanityCheckTests
{
    [Fact]
    public void InitialLoss_IsComparedWithTheChanceValue()
    {
        InMemoryDataset data = TrainerTests.Clusters(200, 1);
        var net = new TrainerPlain(1);
        InitialLossCheck check = net.CheckInitialLoss(data, rows: 100);
        Assert.Equal(Math.Log(4), check.Chance, 6);
        var first100 = new InMemoryDataset(data.Features[..600], data.Labels[..100], 6);
        Assert.Equal(net.Evaluate(first100).Loss, check.Loss);
        Assert.True(check.Passed, check.ToString());

        // The spread: a fresh network's scores are not all 0, so the expected loss lies above ln C; for cross-entropy by
        // about σ²(C − 1)/(2C) for a small σ.
        var scores = new float[100 * 4];
        net.Predict(first100.Features, scores);
        double variance = 0;
        for (int r = 0; r < 100; r++)
        {
            double[] row = scores.AsSpan(r * 4, 4).ToArray().Select(v => (double)v).ToArray();
            variance += row.Sum(v => (v - row.Average()) * (v - row.Average())) / 3;
        }

        Assert.Equal(Math.Sqrt(variance / 100), check.ScoreStd, 5);
        Assert.True(check.Expected > check.Chance);
        Assert.Equal(check.Chance + (check.ScoreStd * check.ScoreStd * 3 / 8), check.Expected, 0.25 * check.ScoreStd * check.ScoreStd);
        Assert.Equal(0, net.Step); // the network is not changed

        net.Fit(data, new FitOptions { Epochs = 10, Progress = TrainingProgress.None });
        Assert.False(net.CheckInitialLoss(data).Passed, "a trained network is far below the chance loss");
        Assert.Equal(3 * 2.0, new HingeSgd(1).CheckInitialLoss(new InMemoryDataset(new float[10], [0, 1], 5), Loss.MulticlassHinge, margin: 2).Chance);
        Assert.Equal(3 * 4.0, new HingeSgd(1).CheckInitialLoss(new InMemoryDataset(new float[10], [0, 1], 5), Loss.MulticlassSquaredHinge, margin: 2).Chance);
    }

    [Fact]
    public void InitialLoss_OfAHierarchicalSoftmaxIsLn2TimesTheMeanPathLength()
    {
        // 9 classes in the balanced tree: class 0 (lo = 0, mid = 5, then [0, 3), [0, 2), [0, 1)) lies 4 nodes deep, and so
        // on; with the node parameters at 0 every node gives ½, so the first loss is exactly ln 2 per node on the path.
        var tree = NetGen.Kernels.HierarchicalSoftmaxTree.Balanced(9);
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 8, 4];
        var features = new float[labels.Length * 4];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = (float)Math.Sin(i);
        }

        var data = new InMemoryDataset(features, labels, 4);
        InitialLossCheck check = new GcHsm(3).CheckInitialLoss(data);
        double depth = labels.Average(c => tree.PathNodes(c).Length);
        Assert.Equal(Math.Log(2) * depth, check.Expected, 12);
        Assert.NotEqual(Math.Log(9), check.Expected, 3); // not the flat softmax's ln C
        Assert.Equal(check.Expected, check.Loss, 5);
        Assert.True(check.Passed, check.ToString());
    }

    [Fact]
    public void OverfittingTwentyRows_ReachesNearZeroLoss()
    {
        InMemoryDataset data = TrainerTests.Clusters(200, 2, noise: 2.0); // overlapping clusters: only memorising fits them
        OverfitCheck check = SanityChecks.OverfitSmallSubset(() => new TrainerPlain(1), data, rows: 20);
        Assert.True(check.Passed, check.ToString());
        Assert.True(check.Loss <= 0.01);
        Assert.Equal(20, check.Rows);
        Assert.False(SanityChecks.OverfitSmallSubset(() => new TrainerPlain(1), data, rows: 20, maxSteps: 2).Passed);
    }

    [Fact]
    public void UpdateRatio_IsTheNormOfTheStepOverTheNormOfTheWeights()
    {
        InMemoryDataset data = TrainerTests.Clusters(32, 3);
        var net = new TrainerPlain(1);
        var monitor = new UpdateRatioMonitor(net, everySteps: 3);
        monitor.Observe(); // step 0: keeps a copy
        float[] before = net.Parameters.ToArray();
        net.TrainStep(data.Features, data.Labels);
        monitor.Observe(); // measures step 1
        Assert.Equal(1, monitor.MeasuredAtStep);
        float[] after = net.Parameters.ToArray();
        for (int t = 0; t < TrainerPlain.ParameterTable.Count; t++)
        {
            ParameterInfo info = TrainerPlain.ParameterTable[t];
            double update = 0, weight = 0;
            for (int i = info.Offset; i < info.Offset + info.Length; i++)
            {
                update += ((double)after[i] - before[i]) * ((double)after[i] - before[i]);
                weight += (double)before[i] * before[i];
            }

            // A tensor that starts at 0 (the biases) has no ratio.
            Assert.Equal(weight > 0 ? Math.Sqrt(update / weight) : double.NaN, monitor.Ratios[t], 12);
        }

        // Adam's first step moves every weight by about lr = 0.01: the 0.weight ratio is far above 1e-3.
        Assert.Contains("0.weight", monitor.Flagged());
        Assert.Contains("too high", monitor.Report());

        net.TrainStep(data.Features, data.Labels);
        monitor.Observe(); // step 2: neither measured nor kept
        Assert.Equal(1, monitor.MeasuredAtStep);
    }

    [Fact]
    public void TensorStatistics_DescribeWeightsAndGradients()
    {
        InMemoryDataset data = TrainerTests.Clusters(32, 3);
        var net = new TrainerPlain(1);
        net.ComputeGradients(data.Features, data.Labels);
        (TensorStatistics weights, TensorStatistics gradients) = TensorStatistics.OfParameters(net)[2]; // "2.weight"
        float[] w = net.GetParameter("2.weight").ToArray();
        float[] g = net.GetGradient("2.weight").ToArray();
        Assert.Equal("2.weight", weights.Key);
        Assert.Equal(w.Average(v => (double)v), weights.Mean, 12);
        Assert.Equal(w.Max(), weights.Max);
        Assert.Equal(Math.Sqrt(g.Sum(v => (double)v * v)), gradients.Norm, 12);
        Assert.Equal(Math.Sqrt(g.Sum(v => (double)v * v) / g.Length - Math.Pow(g.Average(v => (double)v), 2)), gradients.Std, 10);
    }
}
