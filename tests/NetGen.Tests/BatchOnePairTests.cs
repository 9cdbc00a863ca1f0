using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// A generated MLP whose first two layers run at batch 1 in one parallel region (ADR 0061: the second layer's sums cut in
/// two halves of its depth): its one-row Predict agrees with a float64 forward pass of the same parameters and with the
/// rows of a batch Predict (the GEMM's own order) within float rounding. The bits across calls and thread counts are
/// checked by <see cref="BatchOneRowPanelTests"/> on the same network.
/// </summary>
[Collection(nameof(SplitChangingCollection))]
public sealed class BatchOnePairTests
{
    [Fact]
    public void OneRowPredict_MatchesAFloat64ForwardPass_AndTheBatchRows()
    {
        var net = new MnistMlp(11);
        float[] p = net.Parameters.ToArray();
        (float[] x, _) = GradientCheckTests.Batch(net, 5, 7);
        float[] batch = new float[5 * MnistMlp.OutputSize];
        net.Predict(x, batch);
        for (int row = 0; row < 5; row++)
        {
            float[] input = x.AsSpan(row * 784, 784).ToArray();
            float[] scores = new float[MnistMlp.OutputSize];
            for (int call = 0; call < 3; call++) // as stored, packing, then from the panels
            {
                net.Predict(input, scores);
                (double[] expected, double[] magnitude) = Reference(p, input);
                for (int o = 0; o < MnistMlp.OutputSize; o++)
                {
                    Assert.True(Math.Abs(scores[o] - expected[o]) <= 1e-5 * magnitude[o], $"row {row}, output {o}: {scores[o]} against {expected[o]}");
                    Assert.True(Math.Abs(scores[o] - batch[(row * MnistMlp.OutputSize) + o]) <= 2e-5 * magnitude[o], $"row {row}, output {o}: one row {scores[o]}, batch {batch[(row * MnistMlp.OutputSize) + o]}");
                }
            }
        }
    }

    /// <summary>784 → 256 → ReLU → 128 → ReLU → 10 in float64, and for each output the sum of the magnitudes of what
    /// entered it (through each layer: |b| + Σ|w·x| with x's own magnitudes), the scale of float32's rounding.</summary>
    private static (double[] Y, double[] Magnitude) Reference(float[] p, float[] x)
    {
        (int Inputs, int Outputs, bool Relu)[] layers = [(784, 256, true), (256, 128, true), (128, 10, false)];
        double[] a = x.Select(v => (double)v).ToArray(), m = a.Select(Math.Abs).ToArray();
        int offset = 0;
        foreach ((int inputs, int outputs, bool relu) in layers)
        {
            double[] y = new double[outputs], my = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double bias = p[offset + (outputs * inputs) + o], s = bias, mag = Math.Abs(bias);
                for (int i = 0; i < inputs; i++)
                {
                    double w = p[offset + (o * inputs) + i];
                    s += w * a[i];
                    mag += Math.Abs(w) * m[i];
                }
                y[o] = relu ? Math.Max(0, s) : s;
                my[o] = mag;
            }
            offset += (outputs * inputs) + outputs;
            a = y;
            m = my;
        }
        return (a, m);
    }
}
