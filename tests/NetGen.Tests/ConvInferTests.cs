using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>The forward kernels of ADR 0047 in generated networks: with the pools fused into the convolutions' epilogues
/// (and the padded pool on registers), training and inference give the bits of the two kernels in turn; the odd-sized
/// network gives the same bits on one thread and on every core and allocates nothing after warm-up.</summary>
public sealed class ConvInferTests
{
    [Fact]
    public void FusedNetworks_GiveTheBitsOfTheUnfusedKernels()
    {
        SameAsUnfused(new ConvSpeedCnn(5), new ConvSpeedCnn(5), 64);
        SameAsUnfused(new ConvSpeedCnn(5), new ConvSpeedCnn(5), 1);
        SameAsUnfused(new ConvInferOddCnn(3), new ConvInferOddCnn(3), 11);
    }

    [Fact]
    public void OddFusedNetwork_OneThreadAndAllCores_GiveTheSameBits() =>
        ConvThreadTests.SameBits(new ConvInferOddCnn(9), new ConvInferOddCnn(9), 16);

    [Fact]
    public void OddFusedNetwork_AllocatesNothingAfterWarmUp()
    {
        INeuralNetwork<int> net = new ConvInferOddCnn(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 16, 5);
        float[] scores = new float[16 * net.OutputSize];
        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            net.TrainStep(x, labels);
            net.Predict(x, scores);
            net.Predict(x.AsSpan(0, net.InputSize), scores.AsSpan(0, net.OutputSize));
        }, warmups: 3, repeats: 5);
    }

    private static void SameAsUnfused(INeuralNetwork<int> fused, INeuralNetwork<int> unfused, int rows)
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(fused, rows, 17);
        float[] a = new float[rows * fused.OutputSize], b = new float[a.Length];
        for (int step = 0; step < 3; step++)
        {
            float lossFused = fused.TrainStep(x, labels);
            fused.Predict(x, a);
            float lossUnfused;
            try
            {
                Conv2DForward.Enabled = false;  // ConvPool calls Conv2D (the kernel of ADR 0035) then MaxPool2D
                MaxPool2DPairs.Enabled = false; // and the padded pool takes the scalar scan
                lossUnfused = unfused.TrainStep(x, labels);
                unfused.Predict(x, b);
            }
            finally
            {
                Conv2DForward.Enabled = true;
                MaxPool2DPairs.Enabled = true;
            }
            Assert.Equal(BitConverter.SingleToInt32Bits(lossUnfused), BitConverter.SingleToInt32Bits(lossFused));
            Assert.True(fused.Parameters.SequenceEqual(unfused.Parameters), $"parameters after step {step + 1} differ");
            Assert.True(a.AsSpan().SequenceEqual(b), $"scores after step {step + 1} differ");
        }
        Assert.Contains(a, v => v != 0);
    }
}
