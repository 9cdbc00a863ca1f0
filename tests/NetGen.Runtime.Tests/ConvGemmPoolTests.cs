using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>ADR 0065: a convolution on the GEMM path with an 8 × 8 output plane, its ReLU and its 2×2 max pool in one
/// pass (<see cref="ConvGemmPool"/>, through <see cref="ConvPool.Forward{T}"/>), compared bit for bit with
/// <see cref="Conv2D.Forward{T}"/> followed by <see cref="MaxPool2D.Forward{T}"/> (the pair it replaces: y, the pooled
/// output and the argmax), on 1, 2 and 8 threads, without allocating. Serial collection: the tests switch the kernel off.</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class ConvGemmPoolTests
{
    /// <summary>C, K (square), O, bias, batch; the input is (K + 7) × (K + 7), so the output plane is 8 × 8.</summary>
    public static IEnumerable<object[]> Shapes =>
    [
        [20, 5, 50, true, 64],  // LeNet's conv2 at the planned batch: 10 panels of 5 channels, split over the cores
        [20, 5, 50, true, 3],   // the same, a short batch
        [6, 5, 7, true, 5],     // 150 taps; 7 channels: a last panel of 2 (rows repeated, not stored)
        [16, 3, 13, false, 4],  // 144 taps, no bias; 13 channels: a last panel of 3
        [30, 4, 4, true, 2],    // 480 taps + the bias row = 481 ≤ 512: one depth block; 4 channels, one partial panel
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FusedPair_GivesTheBitsOfTheConvolutionThenThePool(int c, int k, int o, bool withBias, int batch)
    {
        var g = new Conv2DGeometry(c, k + 7, k + 7, o, k, k, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, 8, 8, 2, 2, 2, 2, 0, 0);
        Assert.Equal(Avx512F.IsSupported, ConvGemmPool.Serves<float>(g, p, withBias));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), w = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = withBias ? TestUtil.Random<float>(o, 3) : [];
        foreach (bool relu in new[] { true, false })
        {
            foreach (bool training in new[] { true, false })
            {
                foreach ((bool storeY, bool fromInput) in new[] { (true, true), (false, true), (true, false), (false, false) })
                {
                    ConvGemmPool.FromInput = fromInput; // the product's registers from x, or through the column matrix
                    (float[] y, float[] q, int[] at) = Fused(x, w, bias, batch, g, p, relu, training, storeY);
                    ConvGemmPool.FromInput = true;
                    (float[] y2, float[] q2, int[] at2) = TwoKernels(x, w, bias, batch, g, p, relu, training);
                    if (storeY || !Avx512F.IsSupported)
                    {
                        Assert.Equal(Bits(y2), Bits(y));
                    }
                    else
                    {
                        Assert.All(y, v => Assert.Equal(-7f, v)); // not written
                    }
                    Assert.Equal(Bits(q2), Bits(q));
                    Assert.Equal(at2, at);
                    Assert.Contains(q, v => v != 0);
                    if (relu)
                    {
                        Assert.Contains(y2, v => v == 0); // ReLU's zeros: tied windows, whose position is the first element's
                    }
                }
            }
        }
    }

    [Fact]
    public void FusedPair_NaNAndInfinities_GiveTheScalarScansValuesAndPositions()
    {
        // One NaN in a sample's input makes every output that reads it NaN (the scan takes the later NaN), ±∞ in the
        // weights of one channel give ±∞ and NaN (∞ − ∞) outputs; the bits and positions must still be the two kernels'.
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        const int batch = 3;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 4), w = TestUtil.Random<float>(g.WeightLength, 5);
        float[] bias = TestUtil.Random<float>(50, 6);
        x[g.InputLength + 30] = float.NaN;
        w[7 * 500] = float.PositiveInfinity;
        w[(7 * 500) + 260] = float.NegativeInfinity;
        w[9 * 500] = float.NegativeInfinity;
        foreach (bool relu in new[] { true, false })
        {
            (float[] y, float[] q, int[] at) = Fused(x, w, bias, batch, g, p, relu, training: true, storeY: true);
            (float[] y2, float[] q2, int[] at2) = TwoKernels(x, w, bias, batch, g, p, relu, training: true);
            Assert.Equal(Bits(y2), Bits(y));
            Assert.Equal(Bits(q2), Bits(q));
            Assert.Equal(at2, at);
            Assert.Contains(q, float.IsNaN);
            Assert.Contains(q, float.IsPositiveInfinity);
        }
    }

    [Fact]
    public void FusedPair_GivesTheSameBitsOnOneTwoAndEightThreads()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        const int batch = 37;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 7), w = TestUtil.Random<float>(g.WeightLength, 8);
        float[] bias = TestUtil.Random<float>(50, 9);
        (float[], float[], int[]) Run(int threads)
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                return Fused(x, w, bias, batch, g, p, relu: true, training: true, storeY: true);
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
        (float[] y1, float[] q1, int[] at1) = Run(1);
        foreach (int threads in new[] { 2, 8 })
        {
            (float[] y, float[] q, int[] at) = Run(threads);
            Assert.Equal(Bits(y1), Bits(y));
            Assert.Equal(Bits(q1), Bits(q));
            Assert.Equal(at1, at);
        }
    }

    [Fact]
    public void FusedPair_DoesNotAllocate()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        const int batch = 64;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), w = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(50, 3), y = new float[batch * g.OutputLength], q = new float[batch * p.OutputLength];
        int[] at = new int[q.Length];
        AllocationProbe.AssertNoAllocation(() => ConvPool.Forward<float>(x, w, bias, y, q, at, batch, g, p, fuseReLU: true, storeY: true));
    }

    [Fact]
    public void OtherGeometries_AreNotServed()
    {
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        Assert.False(ConvGemmPool.Geometry(new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0), new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 1, 1), true)); // a padded pool
        Assert.False(ConvGemmPool.Geometry(new Conv2DGeometry(20, 14, 14, 50, 5, 5, 1, 1, 1, 1), p, true)); // a padded convolution
        Assert.False(ConvGemmPool.Geometry(new Conv2DGeometry(4, 12, 12, 50, 5, 5, 1, 1, 0, 0), p, true)); // 100 taps: direct
        Assert.False(ConvGemmPool.Geometry(new Conv2DGeometry(21, 12, 12, 50, 5, 5, 1, 1, 0, 0), p, true)); // 525 + 1 > 512: two depth blocks
        Assert.False(ConvGemmPool.Serves<double>(new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0), p, true));
    }

    private static (float[] Y, float[] Q, int[] At) Fused(float[] x, float[] w, float[] bias, int batch, Conv2DGeometry g, Pool2DGeometry p, bool relu, bool training, bool storeY)
    {
        float[] y = Enumerable.Repeat(-7f, batch * g.OutputLength).ToArray(), q = new float[batch * p.OutputLength];
        int[] at = training ? new int[q.Length] : [];
        ConvPool.Forward<float>(x, w, bias, y, q, at, batch, g, p, relu, storeY);
        return (y, q, at);
    }

    private static (float[] Y, float[] Q, int[] At) TwoKernels(float[] x, float[] w, float[] bias, int batch, Conv2DGeometry g, Pool2DGeometry p, bool relu, bool training)
    {
        float[] y = new float[batch * g.OutputLength], q = new float[batch * p.OutputLength];
        int[] at = training ? new int[q.Length] : [];
        bool was = ConvGemmPool.Enabled;
        try
        {
            ConvGemmPool.Enabled = false;
            Conv2D.Forward<float>(x, w, bias, y, batch, g, relu);
            MaxPool2D.Forward<float>(y, q, at, batch, p);
        }
        finally
        {
            ConvGemmPool.Enabled = was;
        }
        return (y, q, at);
    }

    private static IEnumerable<int> Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits);
}
