using System.Text.Json;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Fractional max pooling (Graham, 2014): against PyTorch's F.fractional_max_pool2d with NetGen's samples
/// (tests/reference/make_depth_reference.py) in eval and train mode, the loss, every gradient and 3 optimizer steps; the
/// float64 gradient check; reproducible regions in training and fixed ones at inference.
/// </summary>
public sealed class FractionalMaxPoolTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void FractionalPoolingMatchesPyTorch()
    {
        var reference = ReferenceCase.Load("fractional_pool_momentum");
        var net = new FractionalPoolMomentum(reference.Seed);
        Assert.Equal(reference.InputShape, ((INeuralNetwork)net).InputShape.ToArray());
        reference.CopyParametersInto(net);

        var outputs = new float[reference.Batch * FractionalPoolMomentum.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.InferenceOutput, outputs, Tolerance, "eval output (fixed regions)");

        Close.Scalar(reference.TotalLoss, net.ComputeGradients(reference.X, reference.Labels), Tolerance, "loss");
        foreach (ParameterInfo info in FractionalPoolMomentum.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"gradient of '{info.Key}'");
        }

        var trained = new FractionalPoolMomentum(reference.Seed);
        reference.CopyParametersInto(trained);
        for (int step = 0; step < reference.StepCount; step++)
        {
            Close.Scalar(reference.StepLoss(step), trained.TrainStep(reference.X, reference.Labels), Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in FractionalPoolMomentum.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), trained.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }
        }
    }

    [Fact]
    public void TheReferenceSamplesAreNetGensCounterRng()
    {
        var reference = ReferenceCase.Load("fractional_pool_momentum");
        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("fractional_pool_momentum.json")));
        JsonElement[] pools = json.RootElement.GetProperty("fractional_samples").EnumerateArray().ToArray();
        Assert.Equal(new ulong[] { 2, 5 }, pools.Select(p => p.GetProperty("node").GetUInt64()).ToArray());
        foreach (JsonElement pool in pools)
        {
            ulong node = pool.GetProperty("node").GetUInt64();
            double[][] steps = pool.GetProperty("samples_per_step").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
            Assert.Equal(reference.StepCount, steps.Length);
            for (int step = 0; step < steps.Length; step++)
            {
                ulong key = CounterRng.Key(reference.Seed, CounterRng.DropoutStream, node, (ulong)step);
                for (int i = 0; i < steps[step].Length; i++)
                {
                    Assert.Equal(steps[step][i], CounterRng.Uniform(key, (ulong)i));
                }
            }

            double[] eval = pool.GetProperty("eval_samples").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            ulong evalKey = CounterRng.Key(reference.Seed, CounterRng.DropoutStream, node, global::NetGen.Kernels.FractionalMaxPool2D.InferenceStep);
            for (int i = 0; i < eval.Length; i++)
            {
                Assert.Equal(eval[i], CounterRng.Uniform(evalKey, (ulong)i));
            }
        }
    }

    [Fact]
    public void WithOtherRegionsTheOutputIsNotPyTorchs()
    {
        // The reference test can fail: the same weights with another seed (other eval regions) miss PyTorch's output.
        var reference = ReferenceCase.Load("fractional_pool_momentum");
        var net = new FractionalPoolMomentum(reference.Seed + 1);
        reference.CopyParametersInto(net);
        var outputs = new float[reference.Batch * FractionalPoolMomentum.OutputSize];
        net.Predict(reference.X, outputs);
        Assert.Throws<Xunit.Sdk.TrueException>(() => Close.Tensor(reference.InferenceOutput, outputs, Tolerance, "other regions"));
    }

    [Fact]
    public void AnalyticGradientsMatchCenteredDifferences()
    {
        var net = new GcFractionalPool(7);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 11);
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        GradCheckResult result = net.GradCheck(x, labels);
        Assert.Equal(GcFractionalPool.ParameterTable.Count, result.Tensors.Count);
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());
    }

    [Fact]
    public void TrainingRegionsAreReproducibleFromTheSeed()
    {
        float[] Train(ulong seed)
        {
            var net = new GcFractionalPool(seed);
            new GcFractionalPool(1).Parameters.CopyTo(net.Parameters); // same weights: only the regions differ
            (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 5);
            for (int i = 0; i < 3; i++)
            {
                net.TrainStep(x, labels);
            }

            return net.Parameters.ToArray();
        }

        Assert.Equal(Train(3), Train(3));
        Assert.NotEqual(Train(3), Train(4));
    }

    [Fact]
    public void InferenceRegionsAreFixedAndDoNotDependOnTheRowsPlaceInTheBatch()
    {
        var net = new GcFractionalPool(9);
        (float[] x, _) = GradientCheckTests.Batch(net, 3, 5);
        var all = new float[3 * GcFractionalPool.OutputSize];
        net.Predict(x, all);
        var again = new float[all.Length];
        net.Predict(x, again);
        Assert.Equal(all, again);

        var last = new float[GcFractionalPool.OutputSize];
        net.Predict(x.AsSpan(2 * GcFractionalPool.InputSize), last);
        Assert.Equal(all.AsSpan(2 * GcFractionalPool.OutputSize).ToArray(), last);
    }
}
