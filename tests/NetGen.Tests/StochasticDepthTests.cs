using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Stochastic depth (Huang et al., 2016) on residual blocks: against PyTorch (tests/reference/make_depth_reference.py,
/// torchvision's StochasticDepth(p, "row") with NetGen's per-sample noise) in train and eval mode, the loss, every
/// gradient, the BatchNorm buffers and 3 optimizer steps; the float64 gradient check; Huang's linear rule; masks
/// reproducible from (seed, node, step).
/// </summary>
public sealed class StochasticDepthTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void ResNetWithStochasticDepthMatchesPyTorch()
    {
        var reference = ReferenceCase.Load("stochastic_depth_momentum");
        var net = new SdMomentum(reference.Seed);
        Assert.Equal(reference.BufferOrder, SdMomentum.BufferTable.Select(b => b.Key).ToArray());
        reference.CopyParametersInto(net);

        // Eval mode: every branch kept, unscaled.
        var outputs = new float[reference.Batch * SdMomentum.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.InferenceOutput, outputs, Tolerance, "eval output");

        // Step 0 in train mode: the per-sample noise of NetGen's counter-based stream.
        float loss = net.ComputeGradients(reference.X, reference.Labels);
        Close.Scalar(reference.TotalLoss, loss, Tolerance, "loss");
        foreach (ParameterInfo info in SdMomentum.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"gradient of '{info.Key}'");
        }

        var trained = new SdMomentum(reference.Seed);
        reference.CopyParametersInto(trained);
        for (int step = 0; step < reference.StepCount; step++)
        {
            Close.Scalar(reference.StepLoss(step), trained.TrainStep(reference.X, reference.Labels), Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in SdMomentum.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), trained.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }

            foreach (BufferInfo info in SdMomentum.BufferTable)
            {
                double[] expected = reference.BufferAfterStep(step, info.Key);
                if (info.Dtype == BufferDtype.I64)
                {
                    Assert.Equal((long)expected[0], trained.GetCounter(info.Key));
                }
                else
                {
                    Close.Tensor(expected, trained.GetBuffer(info.Key), Tolerance, $"buffer '{info.Key}' after step {step}");
                }
            }
        }

        trained.Predict(reference.X, outputs);
        Close.Tensor(reference.EvalOutputAfterSteps, outputs, Tolerance, "eval output after 3 steps");
    }

    [Fact]
    public void TheReferenceNoiseIsNetGensCounterRngAndDropsSomeBranches()
    {
        // The PyTorch run used these per-sample factors; recompute them from (seed, node, step) as the kernel does.
        var reference = ReferenceCase.Load("stochastic_depth_momentum");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("stochastic_depth_momentum.json")));
        var blocks = json.RootElement.GetProperty("stochastic_depth").EnumerateArray().ToArray();
        Assert.Equal(new[] { 1.0 / 6, 0.3, 0.5 }, blocks.Select(b => b.GetProperty("p").GetDouble()).ToArray());
        int dropped = 0;
        foreach (var block in blocks)
        {
            double p = block.GetProperty("p").GetDouble();
            ulong node = block.GetProperty("node").GetUInt64();
            var noise = block.GetProperty("noise_per_step").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
            Assert.Equal(reference.StepCount, noise.Length);
            for (int step = 0; step < noise.Length; step++)
            {
                var mask = new double[reference.Batch];
                global::NetGen.Kernels.StochasticDepth.Forward<double>(new double[reference.Batch], new double[reference.Batch], mask, p, CounterRng.Key(reference.Seed, CounterRng.DropoutStream, node, (ulong)step));
                for (int b = 0; b < mask.Length; b++)
                {
                    Assert.Equal(noise[step][b], mask[b], 1e-15);
                }

                dropped += mask.Count(m => m == 0);
            }
        }

        Assert.InRange(dropped, 1, blocks.Length * 3 * reference.Batch - 1);
    }

    [Fact]
    public void WithoutTheNoiseTheTrainingLossIsNotPyTorchs()
    {
        // The reference test can fail: the train-mode loss differs from the eval-mode (no drop) loss by more than the tolerance.
        var reference = ReferenceCase.Load("stochastic_depth_momentum");
        var net = new SdMomentum(reference.Seed);
        reference.CopyParametersInto(net);
        var outputs = new float[reference.Batch * SdMomentum.OutputSize];
        net.Predict(reference.X, outputs);
        double[] train = reference.Doubles("train_output");
        Assert.Throws<Xunit.Sdk.TrueException>(() => Close.Tensor(train, outputs, Tolerance, "eval output as train output"));
    }

    [Theory]
    [InlineData(nameof(GcStochasticDepth))]
    [InlineData(nameof(GcDenseStochasticDepth))]
    public void AnalyticGradientsMatchCenteredDifferences(string name)
    {
        INeuralNetwork<int> net = name == nameof(GcStochasticDepth) ? new GcStochasticDepth(7) : new GcDenseStochasticDepth(7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 6, 11);
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        GradCheckResult result = net.GradCheck(x, labels);
        Assert.Equal(net.ParameterTable.Count, result.Tensors.Count);
        foreach (GradCheckEntry entry in result.Tensors)
        {
            // As GcResidual: the residual stack's smallest gradients make float64 round-off ~1e-5 relative.
            Assert.True(entry.MaxRelativeError < 1e-5, $"{name} '{entry.Key}': relative error {entry.MaxRelativeError:E3}\n{result}");
        }
    }

    [Fact]
    public void TheLinearRuleGivesBlockLOfLTheShareLOverLAndAnOwnValueWins()
    {
        string summary = new SdMomentum(1).Summary();
        Assert.Contains("StochasticDepth(0.166666666666667, \"row\")", summary);
        Assert.Contains("StochasticDepth(0.3, \"row\")", summary);
        Assert.Contains("StochasticDepth(0.5, \"row\")", summary);

        // A block with DropProbability = 0 has no stochastic-depth node at all.
        string dense = new GcDenseStochasticDepth(1).Summary();
        Assert.Equal(2, dense.Split("StochasticDepth(").Length - 1);
    }

    [Fact]
    public void TrainingIsReproducibleFromTheSeedAndTheMasksChangeWithIt()
    {
        float[] Train(ulong seed)
        {
            var net = new GcStochasticDepth(seed);
            var same = new GcStochasticDepth(1); // same initial weights for every seed: only the masks differ
            same.Parameters.CopyTo(net.Parameters);
            (float[] x, int[] labels) = GradientCheckTests.Batch(net, 6, 3);
            for (int i = 0; i < 3; i++)
            {
                net.TrainStep(x, labels);
            }

            return net.Parameters.ToArray();
        }

        Assert.Equal(Train(5), Train(5));
        Assert.NotEqual(Train(5), Train(6));
    }

    [Fact]
    public void InferenceKeepsEveryBranchAndIsDeterministic()
    {
        var net = new GcStochasticDepth(3);
        (float[] x, _) = GradientCheckTests.Batch(net, 6, 3);
        var first = new float[6 * GcStochasticDepth.OutputSize];
        var second = new float[first.Length];
        net.Predict(x, first);
        net.Predict(x, second);
        Assert.Equal(first, second);
    }
}
