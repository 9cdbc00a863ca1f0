using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// ADR 0064's fused backward (kernel PoolConvBackward: the second convolution's dx, dW and db over pool 2's sparse
/// gradient) in a generated network against PyTorch 1.13 in float64 (tests/reference/cases_c2bwd.py, run through
/// make_reference.py): the eval and train output, the loss, every gradient and the parameters after each of 3 Adam
/// steps, at 1e-5 relative to each tensor's scale; the same with the fused kernel switched off (the kernels in turn).
/// </summary>
public sealed class PoolConvReferenceTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void TheFusedGeometryIsTheOneThisNetworkTakes()
    {
        var conv = new Conv2DGeometry(16, 10, 10, 8, 3, 3, 1, 1, 0, 0);
        var pool = new Pool2DGeometry(8, 8, 8, 2, 2, 2, 2, 0, 0);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, PoolConvBackward.Fuses<float>(conv, pool));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MatchesPyTorch(bool fused)
    {
        try
        {
            PoolConvBackward.Enabled = fused;
            var reference = ReferenceCase.Load("poolconv_adam");
            INeuralNetwork<int> net = new PoolConvAdam(reference.Seed);
            Assert.Equal(reference.InputShape, net.InputShape.ToArray());
            reference.CopyParametersInto(net);

            var outputs = new float[reference.Batch * net.OutputSize];
            net.Predict(reference.X, outputs);
            Close.Tensor(reference.InferenceOutput, outputs, Tolerance, "eval output");
            Close.Tensor(reference.Doubles("train_output"), outputs, Tolerance, "train output");

            float loss = net.ComputeGradients(reference.X, reference.Labels);
            Close.Scalar(reference.TotalLoss, loss, Tolerance, "loss");
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.Gradient(info.Key), net.Gradients.Slice(info.Offset, info.Length), Tolerance, $"gradient of '{info.Key}'");
            }

            INeuralNetwork<int> trained = new PoolConvAdam(reference.Seed);
            reference.CopyParametersInto(trained);
            Assert.Equal(3, reference.StepCount);
            for (int step = 0; step < reference.StepCount; step++)
            {
                float stepLoss = trained.TrainStep(reference.X, reference.Labels);
                Close.Scalar(reference.StepLoss(step), stepLoss, Tolerance, $"loss of step {step}");
                foreach (ParameterInfo info in trained.ParameterTable)
                {
                    Close.Tensor(reference.ParameterAfterStep(step, info.Key), trained.Parameters.Slice(info.Offset, info.Length), Tolerance, $"'{info.Key}' after step {step}");
                }
            }
        }
        finally
        {
            PoolConvBackward.Enabled = true;
        }
    }
}
