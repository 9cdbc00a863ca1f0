using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>ADR 0065 in a whole generated network: LeNet's conv2 → ReLU → pool2 runs as one kernel
/// (<c>ConvPool.Forward</c> → <see cref="ConvGemmPool"/>). Its training steps, <c>Predict</c> and recorded activations give
/// the bits of <see cref="Conv2D.Forward{T}"/> followed by <see cref="MaxPool2D.Forward{T}"/> (the kernel switched off).</summary>
public sealed class ConvGemmPoolStepTests
{
    [Fact]
    public void LeNetSteps_GiveTheBitsOfTheConvolutionThenThePool()
    {
        var fused = new ConvSpeedLeNet(5);
        var two = new ConvSpeedLeNet(5);
        const int rows = 64;
        (float[] x, int[] labels) = GradientCheckTests.Batch(fused, rows, 17);
        float[] scoresFused = new float[rows * ConvSpeedLeNet.OutputSize], scoresTwo = new float[rows * ConvSpeedLeNet.OutputSize];
        int relu = ConvSpeedLeNet.ActivationTable.ToList().FindIndex(a => a.Layer == "relu_4");
        Assert.True(relu >= 0);
        for (int step = 0; step < 3; step++)
        {
            float lossFused = fused.TrainStep(x, labels), lossTwo;
            fused.RecordActivations = true;
            fused.Predict(x, scoresFused);
            fused.RecordActivations = false;
            float[] yFused = fused.GetActivations(relu).ToArray();
            try
            {
                ConvGemmPool.Enabled = false;
                lossTwo = two.TrainStep(x, labels);
                two.RecordActivations = true;
                two.Predict(x, scoresTwo);
                two.RecordActivations = false;
            }
            finally
            {
                ConvGemmPool.Enabled = true;
            }
            float[] yTwo = two.GetActivations(relu).ToArray();
            Assert.Equal(BitConverter.SingleToInt32Bits(lossTwo), BitConverter.SingleToInt32Bits(lossFused));
            Assert.True(two.Parameters.SequenceEqual(fused.Parameters), $"parameters after step {step + 1} differ");
            Assert.True(scoresTwo.AsSpan().SequenceEqual(scoresFused), $"scores after step {step + 1} differ");
            Assert.Equal(yTwo.Length, yFused.Length);
            Assert.True(yTwo.AsSpan().SequenceEqual(yFused), $"conv2's ReLU output after step {step + 1} differs");
            Assert.Contains(yFused, v => v > 0);
        }
        Assert.NotEqual(0f, fused.Parameters[0]);
    }
}
