using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The narrow Dense forward of ADR 0053 (at most 16 outputs, from current pre-packed weights): the packed GEMM's
/// bits, on one and many threads, nothing allocated; training-like calls (weights not current) keep the GEMM (serial
/// collection: the tests switch kernels through static flags).</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class DenseNarrowTests
{
    /// <summary>Batch, inputs, outputs, bias.</summary>
    public static IEnumerable<object[]> Shapes =>
    [
        [64, 576, 10, true],   // the bench CNN's head at the planned batch: two depth blocks (512 + 64)
        [13, 576, 10, true],   // a partial batch: one full panel and one of a row
        [6, 40, 3, false],     // the fewest rows served, one depth block, no bias
        [29, 1100, 16, true],  // a full register of outputs, three depth blocks
        [24, 513, 1, true],    // one output, a depth block of one step
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NarrowForward_GivesTheBitsOfThePackedGemm(int batch, int inputs, int outputs, bool withBias)
    {
        float[] x = TestUtil.Random<float>(batch * inputs, 1), w = TestUtil.Random<float>(outputs * inputs, 2);
        float[] bias = withBias ? TestUtil.Random<float>(outputs, 3) : [];
        var packed = new PackedWeights<float>(inputs, outputs);
        float[] gemm = new float[batch * outputs];
        Dense.Forward<float>(x, w, bias, gemm, batch, inputs, outputs, GemmMode.Packed, packed: packed); // packs: the GEMM
        Assert.True(packed.IsCurrent);
        bool served = DenseNarrow.Serves(batch, outputs, relu: false, packed);
        Assert.Equal(Avx512F.IsSupported && PackedGemm.NR<float>() == 32, served);

        float[] narrow = Enumerable.Repeat(float.NaN, batch * outputs).ToArray();
        Dense.Forward<float>(x, w, bias, narrow, batch, inputs, outputs, GemmMode.Packed, packed: packed);
        float[] again = new float[batch * outputs];
        try
        {
            DenseNarrow.Enabled = false;
            Dense.Forward<float>(x, w, bias, again, batch, inputs, outputs, GemmMode.Packed, packed: packed); // the GEMM, panels reused
        }
        finally
        {
            DenseNarrow.Enabled = true;
        }
        Assert.Equal(gemm.Select(BitConverter.SingleToInt32Bits), again.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(gemm.Select(BitConverter.SingleToInt32Bits), narrow.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(narrow, v => v != 0);
    }

    [Fact]
    public void NarrowForward_GivesTheSameBitsOnOneAndManyThreads()
    {
        const int batch = 64, inputs = 576, outputs = 10;
        float[] x = TestUtil.Random<float>(batch * inputs, 4), w = TestUtil.Random<float>(outputs * inputs, 5), bias = TestUtil.Random<float>(outputs, 6);
        var packed = new PackedWeights<float>(inputs, outputs);
        float[] Run(int threads)
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                float[] y = new float[batch * outputs];
                Dense.Forward<float>(x, w, bias, y, batch, inputs, outputs, GemmMode.Packed, packed: packed);
                Dense.Forward<float>(x, w, bias, y, batch, inputs, outputs, GemmMode.Packed, packed: packed);
                return y;
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        float[] one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(8));
    }

    [Fact]
    public void NarrowForward_ReLUStaleWeightsAndDoubleKeepTheGemm()
    {
        var packed = new PackedWeights<float>(576, 10);
        Assert.False(DenseNarrow.Serves(64, 10, relu: false, packed)); // not packed yet: the GEMM packs it
        Assert.False(DenseNarrow.Serves(64, 17, relu: false, packed));
        Assert.False(DenseNarrow.Serves(64, 10, relu: true, packed));
        Assert.False(DenseNarrow.Serves(5, 10, relu: false, packed));
        Assert.False(DenseNarrow.Serves(64, 10, relu: false, new PackedWeights<double>(576, 10)));
        Assert.False(DenseNarrow.Serves<float>(64, 10, relu: false, null));
    }

    [Fact]
    public void NarrowForward_AllocatesNothingAfterWarmUp()
    {
        const int batch = 64, inputs = 576, outputs = 10;
        float[] x = TestUtil.Random<float>(batch * inputs, 7), w = TestUtil.Random<float>(outputs * inputs, 8), bias = new float[outputs];
        float[] y = new float[batch * outputs];
        var packed = new PackedWeights<float>(inputs, outputs);
        AllocationProbe.AssertNoAllocation(() =>
        {
            Dense.Forward<float>(x, w, bias, y, batch, inputs, outputs, GemmMode.Packed, packed: packed);
            Dense.Forward<float>(x.AsSpan(0, 7 * inputs), w, bias, y.AsSpan(0, 7 * outputs), 7, inputs, outputs, GemmMode.Packed, packed: packed);
        });
    }
}
