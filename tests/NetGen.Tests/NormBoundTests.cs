using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The explicit norm constraint of a Dense weight, <c>NormBound = k</c>: Ω(W) = ½·‖W‖²_F ≤ k, trained by the generalised
/// Lagrangian J + α·(Ω − k) with dual ascent α ← max(0, α + ρ·(Ω − k)). Checked against PyTorch 1.13 in float64
/// (tests/reference/make_constraint_reference.py wrote normbound_sgd.json), by a float64 gradient check at a fixed α,
/// by training long (the constraint holds in the limit, and does not without it), and through a training-state round trip.
/// </summary>
public sealed class NormBoundTests
{
    private const double Tolerance = 1e-5;
    private const string Alpha = "0.constraint_alpha";

    [Fact]
    public void LossGradientsMultiplierAndThreeStepsMatchPyTorch()
    {
        var reference = ReferenceCase.Load("normbound_sgd");
        var net = new NormBoundSgd(reference.Seed);
        reference.CopyParametersInto(net);
        Assert.Equal(0f, net.GetBuffer(Alpha)[0]);

        var outputs = new float[reference.Batch * NormBoundSgd.OutputSize];
        net.Predict(reference.X, outputs);
        Close.Tensor(reference.InferenceOutput, outputs, Tolerance, "inference output");

        double[] alphas = reference.Doubles("alphas");
        for (int step = 0; step < 3; step++)
        {
            // The gradients of this step's Lagrangian (from step 1 on with α > 0: they include α·W).
            var probe = new NormBoundSgd(reference.Seed);
            net.Parameters.CopyTo(probe.Parameters);
            net.GetBuffer(Alpha).CopyTo(probe.GetBuffer(Alpha));
            float probeLoss = probe.ComputeGradients(reference.X, reference.Labels);
            Close.Scalar(reference.StepLoss(step), probeLoss, Tolerance, $"Lagrangian of step {step}");
            foreach (ParameterInfo info in NormBoundSgd.ParameterTable)
            {
                Close.Tensor(reference.StepGradient(step, info.Key), probe.Gradients.Slice(info.Offset, info.Length), Tolerance, $"gradient of '{info.Key}' at step {step}");
            }

            float loss = net.TrainStep(reference.X, reference.Labels);
            Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"loss of step {step}");
            foreach (ParameterInfo info in NormBoundSgd.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
            }

            Close.Scalar(alphas[step], net.GetBuffer(Alpha)[0], Tolerance, $"α after step {step}");
        }

        Assert.True(alphas[0] > 0, "the case makes α positive, so steps 1 and 2 test the α·W term");
    }

    [Fact]
    public void LagrangianGradientsAtAFixedMultiplierMatchCenteredDifferences()
    {
        var net = new GcNormBound(11);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 3, 11);
        net.GetBuffer(Alpha)[0] = 0.7f;
        net.GetBuffer("2.constraint_alpha")[0] = 1.3f;
        GradCheckResult result = net.GradCheck(x, labels);
        Assert.Equal(GcNormBound.ParameterTable.Count, result.Tensors.Count);
        Assert.True(result.MaxRelativeError < 1e-7, result.ToString());

        // The α term is in the loss: removing α changes it by α·(½·‖W‖² − k).
        double with = net.ComputeGradients(x, labels);
        double omega = 0.5 * net.GetParameter("0.weight").ToArray().Sum(v => (double)v * v);
        net.GetBuffer(Alpha)[0] = 0f;
        double without = net.ComputeGradients(x, labels);
        Close.Scalar(0.7 * (omega - 0.2), with - without, 1e-4, "α·(Ω − k) in the loss");
    }

    [Fact]
    public void TrainingEndsWithTheConstraintNearlyHeldAndWithoutItTheNormExceedsTheBound()
    {
        const double k = 1.0;
        var constrained = new NormBoundLong(5);
        var free = new NormBoundLongFree(5);
        constrained.Parameters.CopyTo(free.Parameters);
        var random = new Random(3);
        var x = new float[16 * 8];
        var labels = new int[16];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 4) - 2);
        }

        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = random.Next(3);
        }

        for (int step = 0; step < 600; step++)
        {
            constrained.TrainStep(x, labels);
            free.TrainStep(x, labels);
        }

        double Omega(INeuralNetwork net) => 0.5 * net.Parameters.Slice(0, 16 * 8).ToArray().Sum(v => (double)v * v);
        Assert.True(Omega(free) > 1.5 * k, $"without the constraint Ω = {Omega(free)} should exceed k = {k} by far");
        Assert.True(Omega(constrained) <= 1.05 * k, $"with it Ω = {Omega(constrained)} should end near or below k = {k}");
        Assert.True(constrained.GetBuffer(Alpha)[0] > 0, "the multiplier is active");
    }

    [Fact]
    public void TrainingStateKeepsTheMultiplierAndResumesBitIdentically()
    {
        var reference = ReferenceCase.Load("normbound_sgd");
        var a = new NormBoundSgd(reference.Seed);
        reference.CopyParametersInto(a);
        a.TrainStep(reference.X, reference.Labels);
        a.TrainStep(reference.X, reference.Labels);
        float alpha = a.GetBuffer(Alpha)[0];
        Assert.True(alpha > 0);
        using var stream = new MemoryStream();
        a.SaveTrainingState(stream);

        var b = new NormBoundSgd(99);
        stream.Position = 0;
        b.LoadTrainingState(stream);
        Assert.Equal(alpha, b.GetBuffer(Alpha)[0]);

        a.TrainStep(reference.X, reference.Labels);
        b.TrainStep(reference.X, reference.Labels);
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.Equal(a.GetBuffer(Alpha)[0], b.GetBuffer(Alpha)[0]);
    }
}
