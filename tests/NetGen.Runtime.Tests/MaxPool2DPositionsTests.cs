using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The training pool of ADR 0058: the 2×2, stride-2 max pool with positions on 512-bit registers gives the values
/// and the positions of the scalar scan and of the 256-bit kernel it replaces, bit for bit (ties, NaN, ±∞, ±0, padding,
/// partial registers, two rows per register), reads nothing past the plane's real columns, and the fused training
/// convolution + pool gives the bits of before on one and many threads (serial collection: static switches).</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class MaxPool2DPositionsTests
{
    public static IEnumerable<object[]> Pools => ConvPoolInferenceTests.Pools;

    [Theory]
    [MemberData(nameof(Pools))]
    public unsafe void TrainingPool_GivesTheScalarScansValuesAndPositions(int c, int h, int w, int ph, int pw)
    {
        var g = new Pool2DGeometry(c, h, w, 2, 2, 2, 2, ph, pw);
        Assert.Equal(Avx512F.IsSupported, MaxPool2DPositions.Serves(g));
        if (!Avx512F.IsSupported)
        {
            return; // the kernel exists only where AVX-512 does; MaxPool2DPairs' 256-bit scan runs instead
        }
        foreach (int seed in new[] { 5, 6, 7, 8 })
        {
            float[] x = ConvPoolInferenceTests.Specials(g.InputLength, seed);
            float[] expected = new float[g.OutputLength];
            int[] expectedAt = new int[g.OutputLength];
            float[] old = new float[g.OutputLength];
            int[] oldAt = new int[g.OutputLength];
            try
            {
                MaxPool2DPairs.Enabled = false; // the scalar scan
                MaxPool2D.Forward<float>(x, expected, expectedAt, 1, g);
                MaxPool2DPairs.Enabled = true;
                MaxPool2DPositions.Enabled = false; // the 256-bit kernel of ADR 0047
                MaxPool2D.Forward<float>(x, old, oldAt, 1, g);
            }
            finally
            {
                MaxPool2DPairs.Enabled = true;
                MaxPool2DPositions.Enabled = true;
            }

            // Each plane in a buffer with rows of W + 3 (the convolution's wide rows), NaN in the extra columns and after
            // the plane: a read of any of them would show in the result.
            int stride = w + 3;
            float[] y = new float[g.OutputLength];
            int[] at = Enumerable.Repeat(-7, g.OutputLength).ToArray();
            int outPlane = g.OutHeight * g.OutWidth;
            for (int plane = 0; plane < c; plane++)
            {
                float[] wide = Enumerable.Repeat(float.NaN, (h * stride) + 64).ToArray();
                for (int r = 0; r < h; r++)
                {
                    x.AsSpan((plane * h * w) + (r * w), w).CopyTo(wide.AsSpan(r * stride));
                }
                fixed (float* pwide = wide)
                fixed (float* py = y)
                fixed (int* pat = at)
                {
                    MaxPool2DPositions.Plane(pwide, stride, py + (plane * outPlane), pat + (plane * outPlane), g);
                }
            }
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expectedAt, at);
            Assert.Equal(old.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(oldAt, at);
            Assert.All(at, a => Assert.InRange(a, 0, (h * w) - 1));
        }
    }

    [Fact]
    public unsafe void EqualValuesKeepTheEarliestPosition_AndALaterNaNWins()
    {
        // One 2×2 window (2×2 input, no padding): a, b, c, d.
        var g = new Pool2DGeometry(1, 2, 2, 2, 2, 2, 2, 0, 0);
        if (!MaxPool2DPositions.Serves(g))
        {
            return;
        }
        (float[] X, int At)[] cases =
        [
            ([1f, 1f, 1f, 1f], 0),
            ([0f, -0f, 0f, 0f], 0),
            ([1f, 2f, 2f, 1f], 1),
            ([1f, float.NaN, 5f, float.NaN], 3),
            ([float.NaN, 1f, 2f, 3f], 0),
            ([float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 0),
            ([3f, 1f, 2f, 4f], 3),
        ];
        foreach ((float[] x, int expected) in cases)
        {
            float y;
            int at;
            fixed (float* px = x)
            {
                MaxPool2DPositions.Plane(px, 2, &y, &at, g);
            }
            Assert.Equal(expected, at);
            Assert.Equal(BitConverter.SingleToInt32Bits(x[expected]), BitConverter.SingleToInt32Bits(y));
        }
    }

    /// <summary>C, H, W, O, pool padding, batch of a direct 3×3 convolution with its pool.</summary>
    public static IEnumerable<object[]> Pairs =>
    [
        [1, 28, 28, 8, 0, 5],    // the bench CNN's first pair
        [8, 13, 13, 16, 1, 5],   // its second pair
        [2, 9, 30, 13, 0, 2],    // 7×28 → 3×14: the odd last row unread
        [3, 12, 21, 5, 1, 2],    // 10×19 with padding: a bottom and right padding row and column
    ];

    [Theory]
    [MemberData(nameof(Pairs))]
    public void FusedTraining_GivesTheBitsOfTheKernelItReplaces_OnOneAndManyThreads(int c, int h, int w, int o, int poolPadding, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, 2, 2, 2, 2, poolPadding, poolPadding);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (int i = 0; i < x.Length; i += 211)
        {
            x[i] = specials[(i / 211) % 3];
        }
        foreach (bool relu in new[] { false, true })
        {
            float[] y2 = new float[batch * g.OutputLength], q2 = new float[batch * p.OutputLength];
            int[] i2 = new int[q2.Length];
            try
            {
                MaxPool2DPositions.Enabled = false; // the 256-bit epilogue pool of ADR 0047
                ConvPool.Forward<float>(x, wt, bias, y2, q2, i2, batch, g, p, relu);
            }
            finally
            {
                MaxPool2DPositions.Enabled = true;
            }
            foreach (int threads in new[] { 1, 2, 8 })
            {
                int previous = Workers.SplitAsIfForTests(threads);
                try
                {
                    float[] y = new float[y2.Length], q = new float[q2.Length];
                    int[] i1 = new int[i2.Length];
                    ConvPool.Forward<float>(x, wt, bias, y, q, i1, batch, g, p, relu);
                    Assert.Equal(y2.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
                    Assert.Equal(q2.Select(BitConverter.SingleToInt32Bits), q.Select(BitConverter.SingleToInt32Bits));
                    Assert.Equal(i2, i1);
                }
                finally
                {
                    Workers.SplitAsIfForTests(previous);
                }
            }
            Assert.Contains(q2, v => v != 0 && float.IsFinite(v));
        }
    }
}
