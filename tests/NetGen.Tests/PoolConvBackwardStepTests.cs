using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>ADR 0064 in whole generated networks: LeNet's second convolution's dx, dW and db computed by its pool's backward
/// over the pool's sparse gradient (kernel PoolConvBackward) give the training steps of the three kernels in turn
/// (MaxPool2DReLU, then Conv2D's backward), bit for bit, whether the step runs on both cores or on one.</summary>
public sealed class PoolConvBackwardStepTests
{
    [Fact]
    public void LeNetSteps_WithConv2InThePoolBackward_GiveTheBitsOfTheKernelsInTurn()
    {
        SameSteps(new ConvSpeedLeNet(3), new ConvSpeedLeNet(3), 64);
        SameSteps(new ConvSpeedLeNet(5), new ConvSpeedLeNet(5), 13); // a partial batch: uneven groups
    }

    /// <summary>Two copies trained on the same batches: the generated step (the fused kernel where the machine has it) and
    /// the kernels in turn (<see cref="PoolConvBackward.Enabled"/> off); the fused one on both cores and on one core (the
    /// workers held) in turn.</summary>
    private static void SameSteps(INeuralNetwork<int> fused, INeuralNetwork<int> apart, int rows)
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(fused, rows, 11);
        for (int step = 0; step < 4; step++)
        {
            float lossFused = step % 2 == 0 ? fused.TrainStep(x, labels) : OnOneThread(() => fused.TrainStep(x, labels));
            float lossApart;
            try
            {
                PoolConvBackward.Enabled = false;
                lossApart = apart.TrainStep(x, labels);
            }
            finally
            {
                PoolConvBackward.Enabled = true;
            }
            Assert.Equal(BitConverter.SingleToInt32Bits(lossApart), BitConverter.SingleToInt32Bits(lossFused));
            Assert.True(apart.Parameters.SequenceEqual(fused.Parameters), $"parameters after step {step + 1} differ");
        }
        Assert.NotEqual(0f, fused.Parameters[0]);
    }

    private static float OnOneThread(Func<float> step)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Workers.TryAcquire())
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
            Thread.Sleep(1);
        }
        try
        {
            return step();
        }
        finally
        {
            Workers.RunAndRelease(new Nothing(), 1);
        }
    }

    private sealed class Nothing : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }
}
