using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>After the first call, a training step and an inference call allocate nothing.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void TrainStepAndPredictAllocateNothingAfterWarmUp()
    {
        var net = new AllocationNet(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 32, 3);
        var scores = new float[32 * AllocationNet.OutputSize];
        net.TrainStep(x, labels);
        net.Predict(x, scores);

        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            net.TrainStep(x, labels);
            net.Predict(x, scores);
            net.ComputeGradients(x, labels);
        }, warmups: 0, repeats: 20);
    }

    [Fact]
    public void MnistSizedTrainStepAllocatesNothing()
    {
        var net = new MnistMlp(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 64, 3);
        var scores = new float[MnistMlp.OutputSize];
        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            net.TrainStep(x, labels);
            net.Predict(x.AsSpan(0, MnistMlp.InputSize), scores);
        }, warmups: 2, repeats: 3);
    }

    [Fact]
    public void SpiralShapedTrainStepWithTheFusedPairAllocatesNothing()
    {
        var net = new SpiralSgd(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 300, 3);
        var scores = new float[300 * SpiralSgd.OutputSize];
        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            net.TrainStep(x, labels);
            net.Predict(x, scores);
        }, warmups: 1, repeats: 5);
    }
}
