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
        // The body of ADR 0059's step tests, with this kernel's switch.
        ConvPoolBackwardStepTests.SameSteps(new ConvSpeedLeNet(3), new ConvSpeedLeNet(3), 64, Fuse);
        ConvPoolBackwardStepTests.SameSteps(new ConvSpeedLeNet(5), new ConvSpeedLeNet(5), 13, Fuse); // a partial batch: uneven groups
    }

    private static void Fuse(bool on) => PoolConvBackward.Enabled = on;
}
