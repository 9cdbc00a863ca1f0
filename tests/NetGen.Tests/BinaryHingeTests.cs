using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The binary (per-attribute) hinge loss, L = (1/B) Σ_i Σ_j max(0, Δ − (2t − 1)·f): against the script's reference
/// (tests/reference/make_loss_reference.py, case binary_hinge_sgd, whose weights make some terms inactive), the float64
/// gradient check, and the 0/1 check of its targets.
/// </summary>
public sealed class BinaryHingeTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void MatchesTheReferenceLossGradientsAndThreeSteps()
    {
        var reference = ReferenceCase.Load("binary_hinge_sgd");
        var net = new BinaryHingeSgd(reference.Seed);
        reference.CopyParametersInto(net);
        var outputs = new float[reference.Batch * BinaryHingeSgd.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.InferenceOutput, outputs, Tolerance, "inference output");

        // Some terms are inactive (margin met), some active: both branches of the derivative are exercised.
        double[] f = reference.InferenceOutput;
        float[] t = reference.Targets;
        int active = Enumerable.Range(0, f.Length).Count(i => 1 - (((2 * t[i]) - 1) * f[i]) > 0);
        Assert.InRange(active, 1, f.Length - 1);

        float loss = net.ComputeGradients(reference.X, t);
        Close.Scalar(reference.TotalLoss, loss, Tolerance, "loss");
        foreach (ParameterInfo info in BinaryHingeSgd.ParameterTable)
        {
            Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"gradient of '{info.Key}'");
        }

        for (int step = 0; step < reference.StepCount; step++)
        {
            Close.Scalar(reference.StepLoss(step), net.TrainStep(reference.X, t), Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in BinaryHingeSgd.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }
        }
    }

    [Fact]
    public void GradientsMatchCenteredDifferences()
    {
        var net = new GcBinaryHinge(7);
        (float[] x, _) = GradientCheckTests.Batch(net, 3, 11);
        float[] t = { 1, 0, 1, 0, 0, 1, 1, 1, 0 };
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, t);
        }

        GradCheckResult result = net.GradCheck(x, t);
        Assert.Equal(GcBinaryHinge.ParameterTable.Count, result.Tensors.Count);
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    public void TargetsOtherThanZeroOrOneThrowAndChangeNothing(float bad)
    {
        var net = new GcBinaryHinge(7);
        (float[] x, _) = GradientCheckTests.Batch(net, 3, 11);
        float[] t = { 1, 0, 1, 0, 0, 1, 1, 1, 0 };
        t[4] = bad;
        float[] before = net.Parameters.ToArray();
        var error = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => net.TrainStep(x, t));
        Assert.Equal("targets", error.ParamName);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Equal(0, net.Step);
    }
}
