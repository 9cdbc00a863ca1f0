using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>Pre-packed Wᵀ: the same bits as packing inside the GEMM, really reused while current, repacked after Invalidate.</summary>
public class PackedWeightsTests
{
    [Theory]
    [InlineData(64, 784, 256, GemmMode.Packed)]
    [InlineData(64, 784, 256, GemmMode.PackedParallel)] // parts split columns: each packs its own panels
    [InlineData(512, 40, 16, GemmMode.PackedParallel)]  // one column panel: parts split rows, so it is packed first
    [InlineData(37, 600, 33, GemmMode.Packed)]          // edge panels, two depth blocks (KC = 512)
    [InlineData(7, 5, 3, GemmMode.PackedParallel)]
    public void PrePackedForward_IsBitIdentical_AndReusedUntilInvalidated(int batch, int inputs, int outputs, GemmMode mode)
    {
        float[] x = TestUtil.Random<float>(batch * inputs, 1);
        float[] w = TestUtil.Random<float>(outputs * inputs, 2);
        float[] b = TestUtil.Random<float>(outputs, 3);
        var packed = new PackedWeights<float>(inputs, outputs);
        Assert.False(packed.IsCurrent);

        var expected = new float[batch * outputs];
        var actual = new float[batch * outputs];
        Dense.Forward<float>(x, w, b, expected, batch, inputs, outputs, mode, fuseReLU: true);
        Dense.Forward<float>(x, w, b, actual, batch, inputs, outputs, mode, fuseReLU: true, packed);
        Assert.True(packed.IsCurrent);
        Assert.Equal(expected, actual); // first call: packed into the persistent panels, same bits

        // Reused: while current, the panels are read as they are, so a change to w without Invalidate is not seen.
        float[] stale = (float[])actual.Clone();
        w.AsSpan().Fill(0.5f);
        Dense.Forward<float>(x, w, b, actual, batch, inputs, outputs, mode, fuseReLU: true, packed);
        Assert.Equal(stale, actual);

        // Invalidate: the next call repacks, and agrees with packing inside the GEMM again.
        packed.Invalidate();
        Dense.Forward<float>(x, w, b, expected, batch, inputs, outputs, mode, fuseReLU: true);
        Dense.Forward<float>(x, w, b, actual, batch, inputs, outputs, mode, fuseReLU: true, packed);
        Assert.Equal(expected, actual);
        Assert.True(packed.IsCurrent);
    }

    [Fact]
    public void FewRows_UseTheDirectKernel_AndLeaveThePanelsAlone()
    {
        float[] x = TestUtil.Random<float>(3 * 64, 1), w = TestUtil.Random<float>(32 * 64, 2);
        var packed = new PackedWeights<float>(64, 32);
        var expected = new float[3 * 32];
        var actual = new float[3 * 32];
        Dense.Forward<float>(x, w, default, expected, 3, 64, 32, GemmMode.Direct);
        Dense.Forward<float>(x, w, default, actual, 3, 64, 32, GemmMode.Packed, packed: packed);
        Assert.Equal(expected, actual);
        Assert.False(packed.IsCurrent);
    }

    [Fact]
    public void WrongShape_ThrowsNamingPacked_AndWritesNothing()
    {
        var y = new float[8 * 4];
        Array.Fill(y, 9f);
        var ex = Assert.Throws<ArgumentException>(() => Dense.Forward<float>(new float[8 * 6], new float[4 * 6], default, y, 8, 6, 4, GemmMode.Packed, packed: new PackedWeights<float>(6, 5)));
        Assert.Equal("packed", ex.ParamName);
        Assert.All(y, v => Assert.Equal(9f, v));
    }
}
