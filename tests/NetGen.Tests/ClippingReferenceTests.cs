using NetGen;
using NetGen.Tests.Networks;

namespace NetGen.Tests.Networks
{
    // tests/reference/make_schedule_reference.py: clip_cosine_momentum and clip_value_adam.
    [Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3)]
    [Dense(6), ReLU, Dense(3)]
    public partial class ClipMomentum { }

    [Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
    [Dense(6), Tanh, Dense(3)]
    public partial class ClipAdam { }
}

namespace NetGen.Tests
{
    /// <summary>
    /// Gradient clipping against PyTorch 1.13: clip_grad_norm_ with a cosine schedule, momentum and weight decay (added by
    /// the optimizer after clipping), and clip_grad_value_ with Adam; the parameters after every step at 1e-5.
    /// </summary>
    public sealed class ClippingReferenceTests
    {
        private const double Tolerance = 1e-5;

        [Fact]
        public void ClippingByGlobalNormWithACosineScheduleMatchesPyTorch()
        {
            var reference = ReferenceCase.Load("clip_cosine_momentum");
            var net = new ClipMomentum(reference.Seed) { ClipGradientNorm = 0.3 };
            reference.CopyParametersInto(net);
            var schedule = new CosineAnnealingLR(net, tMax: 10, etaMin: 0.001);
            double[] norms = reference.Doubles("grad_norm_per_step");
            double[] rates = reference.LearningRatePerStep;
            for (int step = 0; step < reference.StepCount; step++)
            {
                Assert.Equal(rates[step], net.LearningRate);
                float loss = net.TrainStep(reference.X, reference.Labels);
                schedule.Step();
                Close.Scalar(norms[step], net.LastGradientNorm, Tolerance, $"gradient norm before clipping, step {step}");
                Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"loss of step {step}");
                foreach (ParameterInfo info in ClipMomentum.ParameterTable)
                {
                    Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
                }
            }

            Assert.True(norms.Count(n => n > 0.3) is > 0 and < 10, "the reference clips in some steps and not others");
        }

        [Fact]
        public void ClippingByValueWithAdamMatchesPyTorch()
        {
            var reference = ReferenceCase.Load("clip_value_adam");
            var net = new ClipAdam(reference.Seed) { ClipGradientValue = 0.05 };
            reference.CopyParametersInto(net);
            for (int step = 0; step < reference.StepCount; step++)
            {
                float loss = net.TrainStep(reference.X, reference.Labels);
                Close.Scalar(reference.StepLoss(step), loss, Tolerance, $"loss of step {step}");
                foreach (ParameterInfo info in ClipAdam.ParameterTable)
                {
                    Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
                }
            }
        }

        [Fact]
        public void WithoutClippingTheTrajectoryDiffers()
        {
            // The clipping tests can fail: the same run without ClipGradientNorm leaves PyTorch's clipped trajectory.
            var reference = ReferenceCase.Load("clip_cosine_momentum");
            var net = new ClipMomentum(reference.Seed);
            reference.CopyParametersInto(net);
            net.TrainStep(reference.X, reference.Labels);
            ParameterInfo first = ClipMomentum.ParameterTable[0];
            Assert.Throws<Xunit.Sdk.TrueException>(() =>
                Close.Tensor(reference.ParameterAfterStep(0, first.Key), net.Parameters.Slice(first.Offset, first.Length), Tolerance, "unclipped"));
            Assert.True(double.IsNaN(net.LastGradientNorm));
        }

        [Fact]
        public void ClippingSettingsAreValidatedAndComputeGradientsDoesNotClip()
        {
            var net = new ClipMomentum(1);
            Assert.Throws<ArgumentOutOfRangeException>(() => net.ClipGradientNorm = 0);
            Assert.Throws<ArgumentOutOfRangeException>(() => net.ClipGradientValue = double.NaN);
            Assert.Null(net.ClipGradientNorm);

            (float[] x, int[] labels) = GradientCheckTests.Batch(net, 8, 2);
            net.ComputeGradients(x, labels);
            float[] unclipped = net.Gradients.ToArray();
            net.ClipGradientValue = 1e-4;
            net.ComputeGradients(x, labels);
            Assert.Equal(unclipped, net.Gradients.ToArray()); // the gradient itself; clipping belongs to the training step
        }
    }
}
