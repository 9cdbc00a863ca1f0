using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>ADR 0052 in whole generated networks: a ReLU read only by a MaxPool2D has its backward folded into the pool's
/// (kernel MaxPool2DReLU). The training steps give the bits of the two kernels in turn, and the activation gradients a
/// monitored network keeps are the ReLU's unmasked ∂L/∂y.</summary>
public sealed class ConvTrainStepTests
{
    [Fact]
    public void CnnSteps_WithTheMaskInThePoolBackward_GiveTheBitsOfTheTwoKernels()
    {
        SameSteps(new ConvSpeedCnn(7), new ConvSpeedCnn(7), new ConvSpeedCnn(7), 64);
        SameSteps(new ConvSpeedCnn(7), new ConvSpeedCnn(7), new ConvSpeedCnn(7), 13);
    }

    [Fact]
    public void LeNetSteps_WithTheMaskInThePoolBackward_GiveTheBitsOfTheTwoKernels() =>
        SameSteps(new ConvSpeedLeNet(3), new ConvSpeedLeNet(3), new ConvSpeedLeNet(3), 64);

    [Fact]
    public void AMonitoredNetwork_KeepsTheReLUsUnmaskedGradient()
    {
        var net = new ConvSpeedCnn(5) { RecordActivationGradients = true };
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 16, 3);
        net.TrainStep(x, labels);
        int relu = ConvSpeedCnn.ActivationTable.ToList().FindIndex(a => a.Layer == "relu_1");
        Assert.True(relu >= 0);
        float[] y = net.GetActivations(relu).ToArray(), dy = net.GetActivationGradients(relu).ToArray();
        // ∂L/∂y of the ReLU is the pool's ∂L/∂x: nonzero at argmax positions whatever y is, among them some where y = 0
        // (the ReLU's mask, applied after this was kept, zeroes those).
        Assert.Contains(Enumerable.Range(0, y.Length), i => dy[i] != 0f && y[i] <= 0f);
        Assert.Contains(Enumerable.Range(0, y.Length), i => dy[i] != 0f && y[i] > 0f);
    }

    /// <summary>Three copies trained on the same batches: the generated kernels (the fused pass), the two kernels of before
    /// (<see cref="MaxPool2DReLU.Fused"/> off), and with activation gradients recorded (the generated code's other branch).</summary>
    private static void SameSteps(INeuralNetwork<int> fused, INeuralNetwork<int> two, INeuralNetwork<int> monitored, int rows)
    {
        monitored.RecordActivationGradients = true;
        (float[] x, int[] labels) = GradientCheckTests.Batch(fused, rows, 11);
        for (int step = 0; step < 3; step++)
        {
            float lossFused = fused.TrainStep(x, labels), lossMonitored = monitored.TrainStep(x, labels), lossTwo;
            try
            {
                MaxPool2DReLU.Fused = false;
                lossTwo = two.TrainStep(x, labels);
            }
            finally
            {
                MaxPool2DReLU.Fused = true;
            }
            Assert.Equal(BitConverter.SingleToInt32Bits(lossTwo), BitConverter.SingleToInt32Bits(lossFused));
            Assert.Equal(BitConverter.SingleToInt32Bits(lossTwo), BitConverter.SingleToInt32Bits(lossMonitored));
            Assert.True(two.Parameters.SequenceEqual(fused.Parameters), $"parameters after step {step + 1} differ (fused)");
            Assert.True(two.Parameters.SequenceEqual(monitored.Parameters), $"parameters after step {step + 1} differ (monitored)");
        }
        Assert.NotEqual(0f, fused.Parameters[0]);
    }
}
