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

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            net.TrainStep(x, labels);
            net.Predict(x, scores);
            net.ComputeGradients(x, labels);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void MnistSizedTrainStepAllocatesNothing()
    {
        var net = new MnistMlp(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 64, 3);
        var scores = new float[MnistMlp.OutputSize];
        for (int i = 0; i < 2; i++) // warm-up
        {
            net.TrainStep(x, labels);
            net.Predict(x.AsSpan(0, MnistMlp.InputSize), scores);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
        {
            net.TrainStep(x, labels);
            net.Predict(x.AsSpan(0, MnistMlp.InputSize), scores);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SpiralShapedTrainStepWithTheFusedPairAllocatesNothing()
    {
        var net = new SpiralSgd(1);
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 300, 3);
        var scores = new float[300 * SpiralSgd.OutputSize];
        net.TrainStep(x, labels);
        net.Predict(x, scores);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            net.TrainStep(x, labels);
            net.Predict(x, scores);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
