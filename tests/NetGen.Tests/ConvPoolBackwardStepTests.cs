using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>ADR 0059 in whole generated networks: the first convolution's dW and db computed by its pool's backward
/// (kernel ConvPoolBackward) give the training steps of the three kernels in turn, bit for bit, whether the step runs on
/// both cores or on one (8 threads' split: the kernel's own tests, which may change the split process-wide).</summary>
public sealed class ConvPoolBackwardStepTests
{
    [Fact]
    public void CnnSteps_WithTheFirstConvolutionInThePoolBackward_GiveTheBitsOfTheKernelsInTurn()
    {
        SameSteps(new ConvSpeedCnn(7), new ConvSpeedCnn(7), 64, Fuse);
        SameSteps(new ConvSpeedCnn(7), new ConvSpeedCnn(7), 13, Fuse); // a partial batch: uneven groups
    }

    [Fact]
    public void LeNetSteps_WithTheFirstConvolutionInThePoolBackward_GiveTheBitsOfTheKernelsInTurn() =>
        SameSteps(new ConvSpeedLeNet(3), new ConvSpeedLeNet(3), 64, Fuse);

    private static void Fuse(bool on) => ConvPoolBackward.Enabled = on;

    /// <summary>Two copies trained on the same batches: the generated step (the fused kernel where the machine has it) and
    /// the kernels in turn (<paramref name="fuse"/>(false): <see cref="ConvPoolBackward.Enabled"/> off here,
    /// <c>PoolConvBackward.Enabled</c> in <see cref="PoolConvBackwardStepTests"/>); the fused one on both cores and on one
    /// core (the workers held) in turn.</summary>
    internal static void SameSteps(INeuralNetwork<int> fused, INeuralNetwork<int> apart, int rows, Action<bool> fuse)
    {
        (float[] x, int[] labels) = GradientCheckTests.Batch(fused, rows, 11);
        for (int step = 0; step < 4; step++)
        {
            float lossFused = step % 2 == 0 ? fused.TrainStep(x, labels) : OnOneThread(() => fused.TrainStep(x, labels));
            float lossApart;
            try
            {
                fuse(false);
                lossApart = apart.TrainStep(x, labels);
            }
            finally
            {
                fuse(true);
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
