using NetGen.Data;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Monitoring (the generated activation views and <see cref="ActivationMonitor"/>) against a direct float64 computation of
/// the same network, dead and saturated layers made on purpose, and the declared loss the generated class exposes.
/// </summary>
public sealed class PracticeTests
{
    private const int Rows = 16;

    private static (float[] X, int[] Labels) Batch(ulong seed)
    {
        var x = new float[Rows * 6];
        ulong key = CounterRng.Key(seed, 123, 0, 0);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)CounterRng.Normal(key, (ulong)i);
        }

        return (x, Enumerable.Range(0, Rows).Select(i => i % 4).ToArray());
    }

    /// <summary>y[r, o] = Σ_i x[r, i]·W[o, i] + b[o] in double.</summary>
    private static double[] Linear(double[] x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, int inputs, int outputs)
    {
        int rows = x.Length / inputs;
        var y = new double[rows * outputs];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double s = b[o];
                for (int i = 0; i < inputs; i++)
                {
                    s += x[(r * inputs) + i] * w[(o * inputs) + i];
                }

                y[(r * outputs) + o] = s;
            }
        }

        return y;
    }

    /// <summary>dx[r, i] = Σ_o dy[r, o]·W[o, i].</summary>
    private static double[] LinearBackward(double[] dy, ReadOnlySpan<float> w, int inputs, int outputs)
    {
        int rows = dy.Length / outputs;
        var dx = new double[rows * inputs];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                double s = 0;
                for (int o = 0; o < outputs; o++)
                {
                    s += dy[(r * outputs) + o] * w[(o * inputs) + i];
                }

                dx[(r * inputs) + i] = s;
            }
        }

        return dx;
    }

    /// <summary>Every stored output of <see cref="MonitoredNet"/> and its gradient, computed directly in double.</summary>
    private static Dictionary<string, (double[] Y, double[] Dy)> Direct(MonitoredNet net, float[] x, int[] labels)
    {
        double[] input = x.Select(v => (double)v).ToArray();
        double[] h1 = Linear(input, net.GetParameter("0.weight"), net.GetParameter("0.bias"), 6, 8).Select(v => Math.Max(0, v)).ToArray();
        double[] z2 = Linear(h1, net.GetParameter("2.weight"), net.GetParameter("2.bias"), 8, 5);
        double[] h2 = z2.Select(Math.Tanh).ToArray();
        double[] z3 = Linear(h2, net.GetParameter("4.weight"), net.GetParameter("4.bias"), 5, 5);
        double[] h3 = z3.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        double[] s = Linear(h3, net.GetParameter("6.weight"), net.GetParameter("6.bias"), 5, 4);

        // ∂L/∂s = (softmax(s) − onehot(y)) / B, then back through each layer.
        var ds = new double[s.Length];
        for (int r = 0; r < Rows; r++)
        {
            double max = Enumerable.Range(0, 4).Max(j => s[(r * 4) + j]);
            double sum = Enumerable.Range(0, 4).Sum(j => Math.Exp(s[(r * 4) + j] - max));
            for (int j = 0; j < 4; j++)
            {
                ds[(r * 4) + j] = ((Math.Exp(s[(r * 4) + j] - max) / sum) - (labels[r] == j ? 1 : 0)) / Rows;
            }
        }

        double[] dh3 = LinearBackward(ds, net.GetParameter("6.weight"), 5, 4);
        double[] dz3 = dh3.Select((d, i) => d * h3[i] * (1 - h3[i])).ToArray();
        double[] dh2 = LinearBackward(dz3, net.GetParameter("4.weight"), 5, 5);
        double[] dz2 = dh2.Select((d, i) => d * (1 - (h2[i] * h2[i]))).ToArray();
        double[] dh1 = LinearBackward(dz2, net.GetParameter("2.weight"), 8, 5);
        return new Dictionary<string, (double[], double[])>
        {
            ["act1"] = (h1, dh1), ["fc2"] = (z2, dz2), ["act2"] = (h2, dh2), ["fc3"] = (z3, dz3), ["act3"] = (h3, dh3), ["out"] = (s, ds),
        };
    }

    private static int IndexOf(INeuralNetwork net, string layer) => net.ActivationTable.ToList().FindIndex(a => a.Layer == layer);

    [Fact]
    public void ActivationViews_ListTheStoredOutputs()
    {
        // fc1's output is never stored (its ReLU is fused into the store), so act1 represents it.
        Assert.Equal(["act1", "fc2", "act2", "fc3", "act3", "out"], MonitoredNet.ActivationTable.Select(a => a.Layer));
        Assert.Equal(["ReLU", "Dense", "Tanh", "Dense", "Sigmoid", "Dense"], MonitoredNet.ActivationTable.Select(a => a.Kind));
        Assert.Equal([8, 5, 5, 5, 5, 4], MonitoredNet.ActivationTable.Select(a => a.Length));
        Assert.All(MonitoredNet.ActivationTable, a => Assert.True(a.HasGradient));
        var net = new MonitoredNet(1);
        Assert.Equal(0, net.ActivationRows);
        Assert.True(net.GetActivations(0).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.GetActivations(6).Length);
    }

    [Fact]
    public void ActivationsGradientsAndStatistics_AgreeWithADirectComputation()
    {
        var net = new MonitoredNet(3);
        (float[] x, int[] labels) = Batch(1);
        var monitor = new ActivationMonitor(net, everySteps: 1);
        Assert.True(net.RecordActivationGradients);
        net.ComputeGradients(x, labels);
        Dictionary<string, (double[] Y, double[] Dy)> direct = Direct(net, x, labels);
        Assert.Equal(Rows, net.ActivationRows);
        ReadOnlySpan<LayerStatistics> stats = monitor.Measure();
        foreach ((string layer, (double[] y, double[] dy)) in direct)
        {
            int i = IndexOf(net, layer);
            float[] got = net.GetActivations(i).ToArray(), gotGradient = net.GetActivationGradients(i).ToArray();
            Assert.Equal(y.Length, got.Length);
            Assert.Equal(dy.Length, gotGradient.Length);
            for (int k = 0; k < y.Length; k++)
            {
                Assert.True(Math.Abs(got[k] - y[k]) <= 1e-5 * Math.Max(1, Math.Abs(y[k])), $"{layer}[{k}]: {got[k]} vs {y[k]}");
                Assert.True(Math.Abs(gotGradient[k] - dy[k]) <= 1e-5 * Math.Max(1e-3, Math.Abs(dy[k])), $"∂L/∂{layer}[{k}]: {gotGradient[k]} vs {dy[k]}");
            }

            double mean = y.Average(), std = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / y.Length);
            double gMean = dy.Average(), gStd = Math.Sqrt(dy.Sum(v => (v - gMean) * (v - gMean)) / dy.Length);
            LayerStatistics s = stats[i];
            Assert.Equal(layer, s.Layer);
            Assert.Equal(Rows, s.Rows);
            Assert.Equal(mean, s.Mean, 1e-5);
            Assert.Equal(std, s.Std, 1e-5);
            Assert.Equal(gMean, s.GradientMean, 1e-7);
            Assert.Equal(gStd, s.GradientStd, 1e-7);
        }

        // Dead units: the columns of act1 that are 0 in every row; saturation: the share of values in the flat ends.
        double[] h1 = direct["act1"].Y, h2 = direct["act2"].Y, h3 = direct["act3"].Y;
        double dead = Enumerable.Range(0, 8).Count(u => Enumerable.Range(0, Rows).All(r => h1[(r * 8) + u] <= 0)) / 8.0;
        Assert.Equal(dead, stats[IndexOf(net, "act1")].DeadFraction);
        Assert.Equal(h2.Count(v => Math.Abs(v) > 0.99) / (double)h2.Length, stats[IndexOf(net, "act2")].SaturatedFraction);
        Assert.Equal(h3.Count(v => v < 0.01 || v > 0.99) / (double)h3.Length, stats[IndexOf(net, "act3")].SaturatedFraction);
        Assert.True(double.IsNaN(stats[IndexOf(net, "fc2")].DeadFraction));
        Assert.Empty(monitor.Flagged());

        // Histogram data: copies by layer name.
        IReadOnlyDictionary<string, float[]> values = monitor.ActivationValues();
        Assert.Equal(direct.Keys.Order(), values.Keys.Order());
        Assert.Equal(net.GetActivations(IndexOf(net, "act2")).ToArray(), values["act2"]);
        Assert.Equal(net.GetActivationGradients(IndexOf(net, "out")).ToArray(), monitor.GradientValues()["out"]);
    }

    [Fact]
    public void DeadReLULayer_ReportsFractionOneAndIsFlagged()
    {
        var net = new MonitoredNet(3);
        (float[] x, int[] labels) = Batch(2);
        var monitor = new ActivationMonitor(net);
        net.ComputeGradients(x, labels);
        LayerStatistics healthy = monitor.Measure()[IndexOf(net, "act1")];
        Assert.True(healthy.DeadFraction < 0.5, healthy.ToString());
        Assert.DoesNotContain("act1", monitor.Flagged());

        net.GetParameter("0.bias").Fill(-100); // every pre-activation far below 0: the ReLU layer is dead
        net.ComputeGradients(x, labels);
        LayerStatistics dead = monitor.Measure()[IndexOf(net, "act1")];
        Assert.Equal(1.0, dead.DeadFraction);
        Assert.Equal(0.0, dead.Mean);
        Assert.Contains("act1", monitor.Flagged());
        Assert.Contains("dead ReLUs", monitor.Report());
        Assert.All(net.GetGradient("0.weight").ToArray(), g => Assert.Equal(0f, g)); // a dead layer passes no gradient
    }

    [Fact]
    public void SaturatedTanhAndSigmoid_AreFlagged()
    {
        var net = new MonitoredNet(4);
        (float[] x, int[] labels) = Batch(3);
        var monitor = new ActivationMonitor(net);
        net.ComputeGradients(x, labels);
        monitor.Measure();
        Assert.DoesNotContain("act2", monitor.Flagged());
        Assert.DoesNotContain("act3", monitor.Flagged());

        // Weights 100× too large (the notes' "initialised too large → most neurons saturate").
        foreach (string key in new[] { "2.weight", "4.weight" })
        {
            Span<float> w = net.GetParameter(key);
            for (int i = 0; i < w.Length; i++)
            {
                w[i] *= 100;
            }
        }

        net.ComputeGradients(x, labels);
        ReadOnlySpan<LayerStatistics> stats = monitor.Measure();
        Assert.True(stats[IndexOf(net, "act2")].SaturatedFraction > 0.5, stats[IndexOf(net, "act2")].ToString());
        Assert.Contains("act2", monitor.Flagged());
        Assert.Contains("act3", monitor.Flagged());
        Assert.DoesNotContain("fc2", monitor.Flagged());
    }

    [Fact]
    public void GradientsAreRecordedOnlyWhenAskedAndMonitoringAllocatesNothing()
    {
        var net = new MonitoredNet(5);
        (float[] x, int[] labels) = Batch(4);
        net.TrainStep(x, labels);
        Assert.False(net.RecordActivationGradients);
        Assert.True(net.GetActivationGradients(0).IsEmpty);
        Assert.Equal(Rows * 8, net.GetActivations(0).Length);

        var monitor = new ActivationMonitor(net, everySteps: 2);
        net.TrainStep(x, labels);
        monitor.Observe();
        Assert.Equal(2, monitor.MeasuredAtStep);
        Assert.False(double.IsNaN(monitor.Statistics[0].GradientStd));

        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            net.TrainStep(x, labels);
            monitor.Observe();
        }, warmups: 0, repeats: 10);
        Assert.True(net.Step >= 12 && net.Step % 2 == 0, $"step {net.Step}"); // 10 steps per measured window
        Assert.Equal(net.Step, monitor.MeasuredAtStep);

        // Predict's forward is what the views show afterwards (3 rows).
        var scores = new float[3 * 4];
        net.Predict(x.AsSpan(0, 18), scores);
        Assert.Equal(3, net.ActivationRows);
        Assert.Equal(scores, net.GetActivations(IndexOf(net, "out")).ToArray());
        net.RecordActivationGradients = false;
        Assert.True(net.GetActivationGradients(0).IsEmpty);
    }

    [Fact]
    public void GeneratedNetwork_ExposesItsDeclaredLoss()
    {
        Assert.Equal(Loss.MulticlassHinge, DeclaredHinge.Loss);
        INeuralNetwork hinge = new DeclaredHinge(1);
        Assert.Equal(Loss.MulticlassHinge, hinge.Loss);
        Assert.Equal(2.0, hinge.LossMargin);
        INeuralNetwork huber = new TrainerRegression(1);
        Assert.Equal(Loss.Huber, huber.Loss);
        Assert.Equal(0.5, huber.LossDelta);
        Assert.Equal(Loss.SoftmaxCrossEntropy, ((INeuralNetwork)new MonitoredNet(1)).Loss);
    }

    [Fact]
    public void EvaluateFitAndSanityChecks_UseTheDeclaredLossUnlessOverridden()
    {
        InMemoryDataset data = TrainerTests.Clusters(64, 3);
        var net = new DeclaredHinge(2);

        // The Weston–Watkins hinge with the declared Δ = 2, computed from the scores.
        var scores = new float[64 * 4];
        net.Predict(data.Features, scores);
        double hinge = 0;
        for (int r = 0; r < 64; r++)
        {
            int y = data.Labels[r];
            for (int j = 0; j < 4; j++)
            {
                hinge += j == y ? 0 : Math.Max(0, scores[(r * 4) + j] - scores[(r * 4) + y] + 2);
            }
        }

        Assert.Equal(hinge / 64, net.Evaluate(data).Loss, 1e-5);
        Assert.NotEqual(net.Evaluate(data).Loss, net.Evaluate(data, new FitOptions { Loss = Loss.SoftmaxCrossEntropy }).Loss, 3);
        // Overriding Δ: with scores near 0 every term is active, so Δ = 1 lowers the loss by exactly (C − 1)·1.
        Assert.Equal((hinge / 64) - 3, net.Evaluate(data, new FitOptions { Margin = 1 }).Loss, 1e-4);

        // The initial-loss check reads the declared loss: (C − 1)·Δ = 6 at chance, and small weights pass.
        InitialLossCheck check = net.CheckInitialLoss(data);
        Assert.Equal(3 * 2.0, check.Chance);
        Assert.True(check.Passed, check.ToString());

        // Fit's validation loss is the hinge too.
        TrainingHistory history = net.Fit(data, new FitOptions { Epochs = 2, Progress = TrainingProgress.None }, validation: data);
        Assert.Equal(net.Evaluate(data).Loss, history.Final!.Loss, 1e-6);

        // A binary-hinge network (float targets, declared Δ = 0.5) is evaluated with its own loss, no longer with MSE.
        var multiLabel = new GcBinaryHinge(1);
        float[] features = Enumerable.Range(0, 8 * 4).Select(i => (float)Math.Sin(i)).ToArray();
        float[] targets = Enumerable.Range(0, 8 * 3).Select(i => (float)(i % 2)).ToArray();
        var outputs = new float[8 * 3];
        multiLabel.Predict(features, outputs);
        double binaryHinge = outputs.Select((f, i) => Math.Max(0, 0.5 - (((2 * targets[i]) - 1) * f))).Sum() / 8;
        Assert.Equal(binaryHinge, multiLabel.Evaluate(new RegressionDataset(features, 4, targets, 3)).Loss, 1e-5);

        // An override for the wrong target kind is still refused.
        Assert.Throws<ArgumentException>(() => net.Evaluate(data, new FitOptions { Loss = Loss.MeanSquaredError }));
    }
}
