using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>The convolution networks' training steps give the same bits on one thread and on every core, and allocate
/// nothing after warm-up.</summary>
public sealed class ConvThreadTests
{
    [Fact]
    public void CnnTrainingSteps_OneThreadAndAllCores_GiveTheSameBits()
    {
        SameBits(new ConvSpeedCnn(7), new ConvSpeedCnn(7), 64);
        SameBits(new ConvSpeedCnn(7), new ConvSpeedCnn(7), 13); // a partial batch: fewer samples than backward groups
    }

    [Fact]
    public void LeNetTrainingSteps_OneThreadAndAllCores_GiveTheSameBits() =>
        SameBits(new ConvSpeedLeNet(3), new ConvSpeedLeNet(3), 64);

    [Fact]
    public void CnnTrainStepAndPredict_AllocateNothingAfterWarmUp()
    {
        AllocatesNothing(new ConvSpeedCnn(1));
        AllocatesNothing(new ConvSpeedLeNet(1));
    }

    internal static void SameBits(INeuralNetwork<int> cores, INeuralNetwork<int> one, int rows)
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(cores, rows, 11);
        float[] scoresCores = new float[rows * cores.OutputSize], scoresOne = new float[rows * one.OutputSize];
        for (int step = 0; step < 3; step++)
        {
            float lossCores = cores.TrainStep(x, labels);
            float lossOne;
            HoldWorkers();
            try
            {
                // Every kernel finds the workers taken and runs all of its parts on this thread.
                lossOne = one.TrainStep(x, labels);
                one.Predict(x, scoresOne);
            }
            finally
            {
                Workers.RunAndRelease(new Nothing(), 1);
            }
            cores.Predict(x, scoresCores);
            Assert.Equal(BitConverter.SingleToInt32Bits(lossCores), BitConverter.SingleToInt32Bits(lossOne));
            Assert.True(cores.Parameters.SequenceEqual(one.Parameters), $"parameters after step {step + 1} differ");
            Assert.True(scoresCores.AsSpan().SequenceEqual(scoresOne), $"scores after step {step + 1} differ");
        }
        Assert.NotEqual(0f, cores.Parameters[0]); // trained, not two untouched copies
    }

    internal static void AllocatesNothing(INeuralNetwork<int> net)
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(net, 64, 5);
        float[] scores = new float[64 * net.OutputSize];
        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() =>
        {
            net.TrainStep(x, labels);
            net.Predict(x, scores);
            net.Predict(x.AsSpan(0, net.InputSize), scores.AsSpan(0, net.OutputSize));
        }, warmups: 3, repeats: 5);
    }

    private static void HoldWorkers()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Workers.TryAcquire())
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
            Thread.Sleep(1);
        }
    }

    private sealed class Nothing : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }
}
