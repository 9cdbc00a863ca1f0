using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The inference kernels of ADR 0053: the value-only 2×2 pool on 512-bit registers in the direct convolution's
/// epilogue gives the scalar scan's values bit for bit (ties, NaN, ±∞, ±0, padding, partial blocks), reads nothing past
/// the plane's real columns, and the fused inference call gives the bits of the kernels it replaces on one and many
/// threads (serial collection: the tests switch kernels through static flags).</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class ConvPoolInferenceTests
{
    /// <summary>C, H, W, Ph, Pw of a 2×2, stride-2 pool.</summary>
    public static IEnumerable<object[]> Pools =>
    [
        [16, 11, 11, 1, 1],  // the bench CNN's second pool: 11×11 → 6×6, padding 1
        [8, 26, 26, 0, 0],   // its first pool: 13 windows per row, one partial register
        [2, 10, 10, 1, 1],   // even size with padding: a bottom and a right padding row and column
        [3, 9, 13, 0, 1],    // padding on the width only, odd height (the last row unread)
        [2, 7, 5, 1, 0],     // padding on the height only
        [2, 4, 4, 0, 0],     // 2 windows per row
        [1, 6, 17, 0, 1],    // 17 columns: one row of windows per register
        [1, 40, 34, 1, 1],   // 18 windows per row with padding: a full register, then 2 lanes
        [1, 8, 64, 0, 0],    // 32 windows per row: two full registers
        [1, 6, 67, 0, 1],    // 34 windows per row, the last reading past the row's real columns
        [1, 9, 9, 1, 1],     // two rows of windows per register (W ≤ 16, Wo ≤ 8), an odd number of window rows
        [1, 6, 16, 0, 0],    // 8 windows per row: two rows fill the register
        [2, 6, 15, 0, 1],    // 8 windows per row with the left and right padding
        [1, 2, 2, 1, 1],     // every window on a border
        [5, 1, 1, 1, 1],     // a single element
    ];

    [Theory]
    [MemberData(nameof(Pools))]
    public unsafe void InferencePool_GivesTheScalarScansValues(int c, int h, int w, int ph, int pw)
    {
        var g = new Pool2DGeometry(c, h, w, 2, 2, 2, 2, ph, pw);
        Assert.Equal(Avx512F.IsSupported, ConvPoolInference.Serves(g));
        if (!Avx512F.IsSupported)
        {
            return; // the kernel exists only where AVX-512 does; ConvPool then keeps MaxPool2DPairs
        }
        foreach (int seed in new[] { 5, 6, 7 })
        {
            float[] x = Specials(g.InputLength, seed);
            float[] expected = new float[g.OutputLength];
            try
            {
                MaxPool2DPairs.Enabled = false; // the scalar scan
                MaxPool2D.Forward<float>(x, expected, [], 1, g);
            }
            finally
            {
                MaxPool2DPairs.Enabled = true;
            }

            // Each plane in a buffer with rows of W + 3 (the convolution's wide rows), NaN in the extra columns and after
            // the plane: a read of any of them would show in the result.
            int stride = w + 3;
            float[] y = new float[g.OutputLength];
            for (int plane = 0; plane < c; plane++)
            {
                float[] wide = Enumerable.Repeat(float.NaN, (h * stride) + 64).ToArray();
                for (int r = 0; r < h; r++)
                {
                    x.AsSpan((plane * h * w) + (r * w), w).CopyTo(wide.AsSpan(r * stride));
                }
                fixed (float* pw2 = wide)
                fixed (float* py = y)
                {
                    ConvPoolInference.Plane(pw2, stride, py + (plane * g.OutHeight * g.OutWidth), g);
                }
            }
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        }
    }

    /// <summary>C, H, W, O, pool padding, batch of a direct 3×3 convolution with its pool.</summary>
    public static IEnumerable<object[]> Pairs =>
    [
        [1, 28, 28, 8, 0, 1],    // the bench CNN's first pair at batch 1
        [8, 13, 13, 16, 1, 3],   // its second pair
        [2, 9, 30, 13, 0, 2],    // 7×28 → 3×14: the odd last row unread
        [3, 12, 21, 5, 1, 2],    // 10×19 with padding: a bottom and right padding row and column
    ];

    [Theory]
    [MemberData(nameof(Pairs))]
    public void FusedInference_GivesTheBitsOfTheKernelsItReplaces(int c, int h, int w, int o, int poolPadding, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, 2, 2, 2, 2, poolPadding, poolPadding);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (int i = 0; i < x.Length; i += 211)
        {
            x[i] = specials[(i / 211) % 3]; // a few non-finite outputs for the pool to pick or pass over
        }
        foreach (bool relu in new[] { false, true })
        {
            float[] y = new float[batch * g.OutputLength], q = new float[batch * p.OutputLength];
            ConvPool.Forward<float>(x, wt, bias, y, q, [], batch, g, p, relu);
            float[] y2 = new float[y.Length], q2 = new float[q.Length];
            try
            {
                ConvPoolInference.Enabled = false; // the epilogue pool of ADR 0047
                ConvPool.Forward<float>(x, wt, bias, y2, q2, [], batch, g, p, relu);
            }
            finally
            {
                ConvPoolInference.Enabled = true;
            }
            Assert.Equal(y2.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(q2.Select(BitConverter.SingleToInt32Bits), q.Select(BitConverter.SingleToInt32Bits));
            Assert.Contains(q, v => v != 0 && float.IsFinite(v));
        }
    }

    [Theory]
    [InlineData(8, 13, 13, 16, 1, 13)] // the bench CNN's second pair, a partial batch
    [InlineData(1, 28, 28, 8, 0, 64)]  // its first pair at the planned batch
    public void FusedInference_GivesTheSameBitsOnOneAndManyThreads(int c, int h, int w, int o, int poolPadding, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, 2, 2, 2, 2, poolPadding, poolPadding);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        (float[], float[]) Run(int threads)
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                float[] y = new float[batch * g.OutputLength], q = new float[batch * p.OutputLength];
                ConvPool.Forward<float>(x, wt, bias, y, q, [], batch, g, p, fuseReLU: true);
                return (y, q);
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        (float[] y1, float[] q1) = Run(1);
        foreach (int threads in new[] { 2, 8 })
        {
            (float[] y, float[] q) = Run(threads);
            Assert.Equal(y1, y);
            Assert.Equal(q1, q);
        }
    }

    [Fact]
    public void FusedInference_AllocatesNothingAfterWarmUp()
    {
        var g = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = TestUtil.Random<float>(64 * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2), bias = new float[16];
        float[] y = new float[64 * g.OutputLength], q = new float[64 * p.OutputLength];
        AllocationProbe.AssertNoAllocation(() =>
        {
            ConvPool.Forward<float>(x, wt, bias, y, q, [], 64, g, p, fuseReLU: true);
            ConvPool.Forward<float>(x.AsSpan(0, g.InputLength), wt, bias, y, q, [], 1, g, p, fuseReLU: true);
        });
    }

    /// <summary>Random values with ties (a few distinct values), NaN, ±∞ and ±0 sprinkled in.</summary>
    internal static float[] Specials(int length, int seed)
    {
        var random = new Random(seed);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1f, 1f, -1f];
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.Next(6) == 0 ? specials[random.Next(specials.Length)] : random.Next(5) - 2.5f;
        }
        return values;
    }
}
