using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The forward kernels of ADR 0047: the direct convolution's new register blocks and epilogue, the 2×2 max pool
/// on registers for padded and short windows, and the convolution with the pool fused into its epilogue. Each is compared
/// bit for bit with the kernels it replaces (switched back by their test flags, hence the serial collection: a flag set by
/// one test must not change the path of another running beside it).</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class ConvForwardTests
{
    /// <summary>C, H, W, Ph, Pw, batch of a 2×2, stride-2 pool.</summary>
    public static IEnumerable<object[]> Pools =>
    [
        [16, 11, 11, 1, 1, 3],  // the bench CNN's second pool: 11×11 → 6×6, padding 1
        [2, 10, 10, 1, 1, 2],   // even size with padding: a bottom and a right padding row and column
        [3, 9, 13, 0, 1, 1],    // padding on the width only, odd height (the last row unread)
        [2, 7, 5, 1, 0, 2],     // padding on the height only
        [2, 4, 4, 0, 0, 3],     // 2 outputs per row: staged, masked stores
        [2, 17, 19, 0, 0, 2],   // odd width, 9 outputs per row: read in place, the last block overlapping
        [1, 40, 34, 1, 1, 1],   // 18 outputs per row with padding: three blocks
        [1, 2, 2, 1, 1, 1],     // 2×2 → 2×2 with padding: every window on a border
        [5, 1, 1, 1, 1, 2],     // a single element
    ];

    [Theory]
    [MemberData(nameof(Pools))]
    public void RegisterPool_GivesTheScalarScansValuesAndPositions(int c, int h, int w, int ph, int pw, int batch)
    {
        var g = new Pool2DGeometry(c, h, w, 2, 2, 2, 2, ph, pw);
        Assert.Equal(Avx2.IsSupported, MaxPool2DPairs.Serves(g));
        float[] x = Specials(batch * g.InputLength, 5);
        (float[] y, int[] at) = Pool(x, batch, g, registers: true, argmax: true);
        (float[] ys, int[] ats) = Pool(x, batch, g, registers: false, argmax: true);
        Assert.Equal(ys.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(ats, at);
        (float[] yi, _) = Pool(x, batch, g, registers: true, argmax: false); // inference: no argmax
        Assert.Equal(ys.Select(BitConverter.SingleToInt32Bits), yi.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void RegisterPool_AllMinusInfinityWindows_PointAtTheirFirstRealElement()
    {
        // Padding is −∞ too: a window whose real elements are all −∞ must name its first real element, as PyTorch does.
        var g = new Pool2DGeometry(1, 5, 5, 2, 2, 2, 2, 1, 1);
        float[] x = Enumerable.Repeat(float.NegativeInfinity, 25).ToArray();
        (float[] y, int[] at) = Pool(x, 1, g, registers: true, argmax: true);
        (_, int[] ats) = Pool(x, 1, g, registers: false, argmax: true);
        Assert.All(y, v => Assert.Equal(float.NegativeInfinity, v));
        Assert.Equal(ats, at);
        Assert.Equal(0, at[0]);  // window (0, 0): only x[0, 0] is real
        Assert.Equal(1, at[1]);  // window (0, 1): x[0, 1], x[0, 2]
        Assert.Equal(5, at[3]);  // window (1, 0): x[1, 0], x[2, 0]
    }

    /// <summary>C, H, W, O, Kh, Kw, batch of a direct convolution.</summary>
    public static IEnumerable<object[]> Convolutions =>
    [
        [1, 28, 28, 8, 3, 3, 1],   // the bench CNN's conv1 at batch 1: one block of 8 channels
        [8, 13, 13, 16, 3, 3, 3],  // its conv2: two blocks of 8
        [1, 28, 28, 20, 5, 5, 2],  // LeNet conv1: 8, 8, then a block of 4
        [3, 12, 10, 6, 3, 2, 2],   // 6 channels: blocks of 4, the last repeating a channel; rectangular kernel
        [2, 9, 30, 13, 3, 3, 5],   // 13 channels: 8, then 4, then 4 repeating; odd batch
        [5, 11, 9, 3, 2, 4, 1],    // 3 channels: one block of 4 repeating the last
    ];

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void DirectForward_GivesTheBitsOfTheKernelItReplaces(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2D.RunsDirect<float>(g));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        foreach (bool relu in new[] { false, true })
        {
            foreach (bool withBias in new[] { false, true })
            {
                float[] fresh = new float[batch * g.OutputLength], old = new float[fresh.Length];
                Conv2D.Forward<float>(x, wt, withBias ? bias : default, fresh, batch, g, relu);
                try
                {
                    Conv2DForward.Enabled = false;
                    Conv2D.Forward<float>(x, wt, withBias ? bias : default, old, batch, g, relu);
                }
                finally
                {
                    Conv2DForward.Enabled = true;
                }
                Assert.Equal(old.Select(BitConverter.SingleToInt32Bits), fresh.Select(BitConverter.SingleToInt32Bits));
                Assert.Contains(fresh, v => v != 0);
            }
        }
        double[] xd = TestUtil.Random<double>(batch * g.InputLength, 1), wd = TestUtil.Random<double>(g.WeightLength, 2);
        double[] yd = new double[batch * g.OutputLength], yo = new double[yd.Length];
        Conv2D.Forward<double>(xd, wd, default, yd, batch, g, fuseReLU: true);
        try
        {
            Conv2DForward.Enabled = false;
            Conv2D.Forward<double>(xd, wd, default, yo, batch, g, fuseReLU: true);
        }
        finally
        {
            Conv2DForward.Enabled = true;
        }
        Assert.Equal(yo, yd);
    }

    /// <summary>Conv C, H, W, O, K, stride, padding; pool padding; batch.</summary>
    public static IEnumerable<object[]> Pairs =>
    [
        [1, 28, 28, 8, 3, 1, 0, 0, 1],    // the bench CNN's first pair, batch 1: 26×26 → 13×13 read in place
        [1, 28, 28, 8, 3, 1, 0, 0, 64],   // the same at the planned batch (split over the cores)
        [8, 13, 13, 16, 3, 1, 0, 1, 5],   // its second pair: 11×11 → 6×6 with padding 1 (staged), a partial batch
        [1, 28, 28, 20, 5, 1, 0, 0, 3],   // LeNet's first pair: 24×24 → 12×12
        [3, 12, 11, 6, 3, 1, 0, 1, 2],    // 10×9 → 6×5: padding, short rows
        [2, 9, 30, 13, 3, 1, 0, 0, 7],    // 7×28 → 3×14: the odd last row unread
        [2, 9, 9, 4, 3, 2, 1, 0, 3],      // stride 2: not direct, the two kernels in turn
        [2, 10, 10, 4, 3, 1, 1, 1, 2],    // conv padding 1: not direct, the two kernels in turn
    ];

    [Theory]
    [MemberData(nameof(Pairs))]
    public void FusedPool_EqualsTheConvolutionThenThePool(int c, int h, int w, int o, int k, int stride, int padding, int poolPadding, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, stride, stride, padding, padding);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, 2, 2, 2, 2, poolPadding, poolPadding);
        Assert.Equal(stride == 1 && padding == 0 && Avx2.IsSupported, ConvPool.Fuses<float>(g, p));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        foreach (bool relu in new[] { false, true })
        {
            foreach (bool training in new[] { false, true })
            {
                float[] y = new float[batch * g.OutputLength], q = new float[batch * p.OutputLength];
                int[] at = training ? new int[q.Length] : [];
                ConvPool.Forward<float>(x, wt, bias, y, q, at, batch, g, p, relu);

                float[] y2 = new float[y.Length], q2 = new float[q.Length];
                int[] at2 = training ? new int[q.Length] : [];
                try
                {
                    Conv2DForward.Enabled = false;
                    MaxPool2DPairs.Enabled = false;
                    Conv2D.Forward<float>(x, wt, bias, y2, batch, g, relu);
                    MaxPool2D.Forward<float>(y2, q2, at2, batch, p);
                }
                finally
                {
                    Conv2DForward.Enabled = true;
                    MaxPool2DPairs.Enabled = true;
                }
                Assert.Equal(y2.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(q2.Select(BitConverter.SingleToInt32Bits), q.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(at2, at);
                Assert.Contains(q, v => v != 0);
            }
        }
    }

    [Fact]
    public void FusedPool_InDouble_CallsTheTwoKernels()
    {
        var g = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        Assert.False(ConvPool.Fuses<double>(g, p));
        double[] x = TestUtil.Random<double>(2 * g.InputLength, 1), wt = TestUtil.Random<double>(g.WeightLength, 2);
        double[] y = new double[2 * g.OutputLength], q = new double[2 * p.OutputLength], y2 = new double[y.Length], q2 = new double[q.Length];
        int[] at = new int[q.Length], at2 = new int[q.Length];
        ConvPool.Forward<double>(x, wt, default, y, q, at, 2, g, p, fuseReLU: true);
        Conv2D.Forward<double>(x, wt, default, y2, 2, g, fuseReLU: true);
        MaxPool2D.Forward<double>(y2, q2, at2, 2, p);
        Assert.Equal(y2, y);
        Assert.Equal(q2, q);
        Assert.Equal(at2, at);
    }

    [Theory]
    [InlineData(8, 13, 13, 16, 1, 13)] // the bench CNN's second pair, a partial batch
    [InlineData(1, 28, 28, 8, 0, 64)]  // its first pair at the planned batch
    public void FusedPool_GivesTheSameBitsOnOneAndManyThreads(int c, int h, int w, int o, int poolPadding, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, 2, 2, 2, 2, poolPadding, poolPadding);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        (float[], float[], int[]) Run(int threads)
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                float[] y = new float[batch * g.OutputLength], q = new float[batch * p.OutputLength];
                int[] at = new int[q.Length];
                ConvPool.Forward<float>(x, wt, bias, y, q, at, batch, g, p, fuseReLU: true);
                return (y, q, at);
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        (float[] y1, float[] q1, int[] a1) = Run(1);
        foreach (int threads in new[] { 2, 8 })
        {
            (float[] y, float[] q, int[] a) = Run(threads);
            Assert.Equal(y1, y);
            Assert.Equal(q1, q);
            Assert.Equal(a1, a);
        }
    }

    [Fact]
    public void FusedPool_AllocatesNothingAfterWarmUp()
    {
        var g = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = TestUtil.Random<float>(64 * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2), bias = new float[16];
        float[] y = new float[64 * g.OutputLength], q = new float[64 * p.OutputLength];
        int[] at = new int[q.Length];
        AllocationProbe.AssertNoAllocation(() =>
        {
            ConvPool.Forward<float>(x, wt, bias, y, q, at, 64, g, p, fuseReLU: true);
            ConvPool.Forward<float>(x.AsSpan(0, g.InputLength), wt, bias, y, q, default, 1, g, p, fuseReLU: true);
            MaxPool2D.Forward<float>(y, q, at, 64, p);
        });
    }

    [Fact]
    public void FusedPool_RejectsAPoolThatDoesNotFitTheConvolution_NamingIt()
    {
        var g = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(8, 28, 28, 2, 2, 2, 2, 0, 0);
        float[] y = new float[g.OutputLength], q = new float[p.OutputLength];
        var e = Assert.Throws<ArgumentException>(() => ConvPool.Forward<float>(new float[784], new float[72], default, y, q, default, 1, g, p));
        Assert.Equal("p", e.ParamName);
        var p2 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var e2 = Assert.Throws<ArgumentException>(() => ConvPool.Forward<float>(new float[784], new float[72], default, y, new float[10], default, 1, g, p2));
        Assert.Equal("pooled", e2.ParamName);
        Assert.All(y, v => Assert.Equal(0f, v)); // checked before anything is written
    }

    private static (float[] Y, int[] At) Pool(float[] x, int batch, Pool2DGeometry g, bool registers, bool argmax)
    {
        float[] y = new float[batch * g.OutputLength];
        int[] at = argmax ? new int[y.Length] : [];
        try
        {
            MaxPool2DPairs.Enabled = registers;
            MaxPool2D.Forward<float>(x, y, at, batch, g);
        }
        finally
        {
            MaxPool2DPairs.Enabled = true;
        }
        return (y, at);
    }

    /// <summary>Random values with ties (a few distinct values), NaN, ±∞ and ±0 sprinkled in.</summary>
    private static float[] Specials(int length, int seed)
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
