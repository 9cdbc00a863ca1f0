using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The generated gradient check (float64 twin, centered differences, h = 1e-5) for every activation, both losses,
/// dropout and L2: the largest relative error of every parameter tensor must be below 1e-7 ("good" in the notes).
/// </summary>
public sealed class GradientCheckTests
{
    public static TheoryData<string> Networks => new()
    {
        nameof(GcReLU), nameof(GcLeakyReLU), nameof(GcPReLU), nameof(GcSigmoid), nameof(GcTanh), nameof(GcElu),
        nameof(GcIdentity), nameof(GcDropout), nameof(GcHinge), nameof(GcWeightDecay), nameof(GcInputActivation),
        nameof(HingeSgd), nameof(GcReLUUnfused), nameof(GcNarrowPair),
        nameof(GcConv), nameof(GcConvStridePool), nameof(GcBatchNorm), nameof(GcResidual), nameof(GcDenseResidual),
        nameof(CnnMomentum), nameof(BnAdam), nameof(GcSquaredHinge), nameof(GcHingeMargin3), nameof(GcAvgPool), nameof(AvgPoolMomentum),
        nameof(GcLayerNorm), nameof(LayerNormAdam),
    };

    private static INeuralNetwork<int> Create(string name) => name switch
    {
        nameof(GcReLU) => new GcReLU(7),
        nameof(GcLeakyReLU) => new GcLeakyReLU(7),
        nameof(GcPReLU) => new GcPReLU(7),
        nameof(GcSigmoid) => new GcSigmoid(7),
        nameof(GcTanh) => new GcTanh(7),
        nameof(GcElu) => new GcElu(7),
        nameof(GcIdentity) => new GcIdentity(7),
        nameof(GcDropout) => new GcDropout(7),
        nameof(GcHinge) => new GcHinge(7),
        nameof(GcWeightDecay) => new GcWeightDecay(7),
        nameof(GcInputActivation) => new GcInputActivation(7),
        nameof(ActsSgd) => new ActsSgd(7),
        nameof(HingeSgd) => new HingeSgd(7),
        nameof(GcReLUUnfused) => new GcReLUUnfused(7),
        nameof(GcNarrowPair) => new GcNarrowPair(7),
        nameof(GcConv) => new GcConv(7),
        nameof(GcConvStridePool) => new GcConvStridePool(7),
        nameof(GcBatchNorm) => new GcBatchNorm(7),
        nameof(GcResidual) => new GcResidual(7),
        nameof(GcDenseResidual) => new GcDenseResidual(7),
        nameof(CnnMomentum) => new CnnMomentum(7),
        nameof(BnAdam) => new BnAdam(7),
        nameof(GcSquaredHinge) => new GcSquaredHinge(7),
        nameof(GcHingeMargin3) => new GcHingeMargin3(7),
        nameof(GcAvgPool) => new GcAvgPool(7),
        nameof(AvgPoolMomentum) => new AvgPoolMomentum(7),
        nameof(GcLayerNorm) => new GcLayerNorm(7),
        nameof(LayerNormAdam) => new LayerNormAdam(7),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>
    /// 1e-7 ("good" in the notes), except where some elements' gradients are ~1e-7 themselves, so the float64 centered
    /// difference's round-off (≈ ε·L/h ≈ 1e-11 absolute) is 1e-5 relative: weights feeding a BatchNorm (which divides
    /// out their scale) and the residual stack (the notes: deeper nets accumulate error). The residual stack is checked
    /// with Tanh (GcResidual): with ReLUs (ResnetSgd, PyTorch-referenced instead) an element whose gradient is ~1e-8 can
    /// sit within h of a kink, where a centered difference is not the derivative. Average pooling divides every gradient
    /// by its window (4, 9, then 16 or 64 for the global mean), so the first convolution's weights get gradients of
    /// ~1e-5 and the same ~1e-11 round-off is ~1e-6 relative (GcAvgPool, AvgPoolMomentum). Layer normalisation's γ has
    /// one element per value of the sample, each summed over 3 rows only, and some are ~1e-5 (GcLayerNorm).
    /// </summary>
    private static double Threshold(string name) => name switch
    {
        nameof(GcBatchNorm) or nameof(BnAdam) or nameof(GcResidual) or nameof(GcAvgPool) or nameof(AvgPoolMomentum) or nameof(GcLayerNorm) => 1e-5,
        _ => 1e-7,
    };

    /// <summary>Inputs of unit scale from a fixed stream, labels cycling through the classes.</summary>
    internal static (float[] X, int[] Labels) Batch(INeuralNetwork net, int rows, ulong seed)
    {
        var x = new float[rows * net.InputSize];
        ulong key = CounterRng.Key(seed, 99, 0, 0);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(1.5 * CounterRng.Normal(key, (ulong)i));
        }

        int[] labels = Enumerable.Range(0, rows).Select(i => i % net.OutputSize).ToArray();
        return (x, labels);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void AnalyticGradientsMatchCenteredDifferences(string name)
    {
        INeuralNetwork<int> net = Create(name);
        // Batch normalisation over 3 rows leaves the weights before it almost no gradient (3 normalised points have 2
        // degrees of freedom): its network is checked on 8.
        (float[] x, int[] labels) = Batch(net, name == nameof(GcBatchNorm) ? 8 : 3, 11);
        // "Burn-in" (CS231n notes): a few steps first, so the check runs at a characteristic point, not at the init.
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
        }

        float[] before = net.Parameters.ToArray();
        GradCheckResult result = net.GradCheck(x, labels);

        Assert.Equal(net.ParameterTable.Count, result.Tensors.Count);
        foreach (GradCheckEntry entry in result.Tensors)
        {
            Assert.True(entry.MaxRelativeError < Threshold(name), $"{name} '{entry.Key}': relative error {entry.MaxRelativeError:E3}\n{result}");
            Assert.True(entry.Checked > 0);
        }

        Assert.Equal(before, net.Parameters.ToArray()); // the check leaves the network as it was
    }

    [Fact]
    public void MeanSquaredErrorGradientsMatchCenteredDifferences()
    {
        var net = new GcMse(7);
        (float[] x, _) = Batch(net, 3, 11);
        float[] targets = Enumerable.Range(0, 3 * GcMse.OutputSize).Select(i => (float)Math.Sin(i)).ToArray();
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, targets);
        }

        GradCheckResult result = net.GradCheck(x, targets);
        Assert.Equal(GcMse.ParameterTable.Count, result.Tensors.Count);
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());
    }

    /// <summary>The dense-target losses beyond the MSE: L1 and Huber against targets 2·sin(i) (errors on both sides of
    /// δ = 0.5), binary cross-entropy against 0/1 labels and probabilities.</summary>
    [Theory]
    [InlineData(nameof(GcL1))]
    [InlineData(nameof(GcHuber))]
    [InlineData(nameof(GcBce))]
    [InlineData(nameof(BceMomentum))]
    public void DenseTargetLossGradientsMatchCenteredDifferences(string name)
    {
        INeuralNetwork<float> net = name switch
        {
            nameof(GcL1) => new GcL1(7),
            nameof(GcHuber) => new GcHuber(7),
            nameof(GcBce) => new GcBce(7),
            nameof(BceMomentum) => new BceMomentum(7),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        (float[] x, _) = Batch(net, 3, 11);
        bool binary = name is nameof(GcBce) or nameof(BceMomentum);
        float[] targets = Enumerable.Range(0, 3 * net.OutputSize)
            .Select(i => binary ? (i % 3 == 2 ? (float)((Math.Sin(i) + 1) / 2) : i % 2) : (float)(2 * Math.Sin(i)))
            .ToArray();
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, targets);
        }

        GradCheckResult result = net.GradCheck(x, targets);
        Assert.Equal(net.ParameterTable.Count, result.Tensors.Count);
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());
    }

    [Fact]
    public void DeepStackOfEveryActivationPassesAtTheDeepNetworkThreshold()
    {
        // 16 layers with sigmoid and tanh: some gradients of the first layers are ~1e-6, where the float64 centered
        // difference's round-off alone (≈ ε·L/h ≈ 1e-11 absolute) is ~1e-5 relative. The notes: deeper nets
        // accumulate error, so the threshold here is 1e-5; each activation alone is checked at 1e-7 above.
        var net = new ActsSgd(7);
        (float[] x, int[] labels) = Batch(net, 4, 11);
        GradCheckResult result = net.GradCheck(x, labels);
        Assert.True(result.MaxRelativeError < 1e-5, result.ToString());
    }

    [Fact]
    public void GradientCheckDetectsAWrongGradient()
    {
        // The check must be able to fail: compare analytic gradients of one network with the loss of a perturbed copy.
        var net = new GcTanh(3);
        (float[] x, int[] labels) = Batch(net, 3, 5);
        double[] parameters = GradCheck.Widen(net.Parameters);
        net.ComputeGradients(x, labels);
        double[] analytic = GradCheck.Widen(net.Gradients);
        analytic[0] *= 1.01; // a 1 % error in one element

        var probe = new GcTanh(3);
        GradCheckResult result = GradCheck.Run(GcTanh.ParameterTable, parameters, analytic, () =>
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                probe.Parameters[i] = (float)parameters[i];
            }

            return probe.ComputeGradients(x, labels);
        }, 1e-2, 0);

        Assert.True(result.Tensors[0].MaxRelativeError > 5e-3, result.ToString());
    }

    [Fact]
    public void SampledCheckVisitsFirstAndLastElements()
    {
        var net = new MnistMlp(1);
        (float[] x, int[] labels) = Batch(net, 2, 3);
        GradCheckResult result = net.GradCheck(x, labels, maxChecksPerTensor: 4);
        Assert.All(result.Tensors, e => Assert.Equal(4, e.Checked));
        Assert.True(result.MaxRelativeError < 1e-6, result.ToString());
    }
}
