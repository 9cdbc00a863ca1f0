using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The backward of a convolution with dx fused with its ReLU → MaxPool2D 2×2 backward over the pool's sparse
/// gradient (<see cref="PoolConvBackward"/>, ADR 0064) against the two kernels it replaces
/// (<see cref="MaxPool2DReLU.Backward{T}"/> then <see cref="Conv2D.Backward{T}"/>): dx, dW and db bit for bit, on 1, 2
/// and 8 threads.</summary>
[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags and hold the workers
public class PoolConvBackwardTests
{
    /// <summary>C, H, W, O, K (square kernel), batch.</summary>
    public static IEnumerable<object[]> Cases =>
    [
        [20, 12, 12, 50, 5, 64], // LeNet's conv2 → pool2 (8 groups of 8 samples)
        [20, 12, 12, 50, 5, 13], // uneven groups
        [6, 15, 15, 16, 5, 9],   // 11×11 → 5×5: the odd last row and column lie in no window; runs of 30 (2 registers)
        [12, 13, 14, 24, 4, 5],  // an even kernel, 10×11 → 5×5, runs of 48 (3 registers, no padding)
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedBackward_GivesTheBitsOfThePoolThenTheConvolution_OnOneTwoAndEightThreads(int c, int h, int w, int o, int k, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, 2, 2, 2, 2, 0, 0);
        Assert.Equal(Avx512F.IsSupported, PoolConvBackward.Fuses<float>(g, p)); // the fused path is the one tested here
        Case a = MakeCase(g, p, batch);
        (float[] dx, float[] dw, float[] db, float[] dy) = TwoKernels(a, g, p, batch, bias: true);
        Assert.Contains(dw, v => v != 0f);
        Assert.Contains(dy, v => v == 0f);

        Conv2DTests.HoldWorkers();
        try
        {
            Fused(a, g, p, batch, dx, dw, db);
        }
        finally
        {
            Workers.RunAndRelease(new Conv2DTests.Nothing(), 1);
        }
        foreach (int threads in new[] { 2, 8 })
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                Fused(a, g, p, batch, dx, dw, db);
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        // Switched off: the two kernels through dy, the same bits.
        try
        {
            PoolConvBackward.Enabled = false;
            float[] dxOff = new float[dx.Length], dwOff = new float[dw.Length], dbOff = new float[db.Length], dyOff = new float[dy.Length];
            PoolConvBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dyOff, dxOff, dwOff, dbOff, batch, g, p);
            SameBits(dx, dxOff);
            SameBits(dw, dwOff);
            SameBits(db, dbOff);
            SameBits(dy, dyOff);
        }
        finally
        {
            PoolConvBackward.Enabled = true;
        }
    }

    /// <summary>The generated step hands the pool's gradient in the slot the convolution's dx is written to: the kernel
    /// copies it out first (into dy, its scratch) and gives the same bits.</summary>
    [Fact]
    public void FusedBackward_GradientSharingDxsSlot_GivesTheSameBits()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        const int batch = 64;
        Case a = MakeCase(g, p, batch);
        (float[] dx, float[] dw, float[] db, _) = TwoKernels(a, g, p, batch, bias: true);
        float[] slot = new float[batch * g.InputLength], dy = new float[batch * g.OutputLength];
        float[] fdw = new float[dw.Length], fdb = new float[db.Length];
        a.DPooled.CopyTo(slot, 0);
        PoolConvBackward.Backward<float>(slot.AsSpan(0, a.DPooled.Length), a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, slot, fdw, fdb, batch, g, p);
        SameBits(dx, slot);
        SameBits(dw, fdw);
        SameBits(db, fdb);
    }

    [Fact]
    public void FusedBackward_WithoutBias_GivesTheBitsOfThePoolThenTheConvolution()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        Case a = MakeCase(g, p, 16);
        (float[] dx, float[] dw, _, float[] dy) = TwoKernels(a, g, p, 16, bias: false);
        float[] fdx = new float[dx.Length], fdw = new float[dw.Length];
        PoolConvBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, new float[dy.Length], fdx, fdw, default, 16, g, p);
        SameBits(dx, fdx);
        SameBits(dw, fdw);
    }

    /// <summary>An argmax outside its window (even inside the plane) and a mismatched pool are refused.</summary>
    [Fact]
    public void FusedBackward_RefusesAnArgmaxOutsideItsWindow_AndAMismatchedPool()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        Case a = MakeCase(g, p, 64);
        float[] dy = new float[64 * g.OutputLength], dx = new float[64 * g.InputLength], dw = new float[g.WeightLength], db = new float[50];
        foreach (int bad in new[] { -1, 63, 64 })
        {
            int[] argmax = (int[])a.Argmax.Clone();
            argmax[5000] = bad; // window 8 of its plane (rows 4–5, columns 0–1)
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => PoolConvBackward.Backward<float>(a.DPooled, argmax, a.Pooled, a.Y, a.X, a.W, dy, dx, dw, db, 64, g, p));
            Assert.Equal("argmax", e.ParamName);
            if (PoolConvBackward.Fuses<float>(g, p) || bad < 0 || bad >= 64)
            {
                Assert.Contains("argmax[5000]", e.Message, StringComparison.Ordinal);
            }
            if (!PoolConvBackward.Fuses<float>(g, p))
            {
                break;
            }
        }
        var other = new Pool2DGeometry(50, 6, 6, 2, 2, 2, 2, 0, 0);
        Assert.Throws<ArgumentException>(() => PoolConvBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dx, dw, db, 64, g, other));
        Assert.Throws<ArgumentException>(() => PoolConvBackward.Backward<float>(a.DPooled.AsSpan(1), a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dx, dw, db, 64, g, p));
    }

    [Fact]
    public void FusedBackward_DoesNotAllocate()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        Case a = MakeCase(g, p, 64);
        float[] dy = new float[64 * g.OutputLength], dx = new float[64 * g.InputLength], dw = new float[g.WeightLength], db = new float[50];
        AllocationProbe.AssertNoAllocation(() => PoolConvBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dx, dw, db, 64, g, p), warmups: 5, repeats: 5);
    }

    /// <summary>dx, dW and db against a float64 evaluation of the formula (dense dy from the pool's gradient, the
    /// convolution's backward summed in double): the fused kernel computes the right thing, not only the old bits.</summary>
    [Fact]
    public void FusedBackward_MatchesAFloat64Reference()
    {
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        const int batch = 6;
        Case a = MakeCase(g, p, batch);
        float[] dy = new float[batch * g.OutputLength], dx = new float[batch * g.InputLength], dw = new float[g.WeightLength], db = new float[50];
        PoolConvBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dx, dw, db, batch, g, p);

        // dy in double: the pooled gradient at each argmax, where the pooled value (the ReLU's output) is positive.
        double[] dyd = new double[dy.Length];
        for (int i = 0; i < a.Argmax.Length; i++)
        {
            int plane = i / p.OutputLength * g.OutputLength + (i % p.OutputLength) / (p.OutHeight * p.OutWidth) * g.OutPlane;
            if (a.Pooled[i] > 0f)
            {
                dyd[plane + a.Argmax[i]] += a.DPooled[i];
            }
        }
        double[] rdx = new double[dx.Length], rdw = new double[dw.Length], rdb = new double[db.Length];
        int c = g.Channels, h = g.Height, w = g.Width, o = g.OutChannels, k = g.KernelHeight, ho = g.OutHeight, wo = g.OutWidth;
        for (int b = 0; b < batch; b++)
        {
            for (int q = 0; q < o; q++)
            {
                for (int y = 0; y < ho; y++)
                {
                    for (int x = 0; x < wo; x++)
                    {
                        double d = dyd[(((b * o) + q) * ho * wo) + (y * wo) + x];
                        if (d == 0)
                        {
                            continue;
                        }
                        rdb[q] += d;
                        for (int ch = 0; ch < c; ch++)
                        {
                            for (int i = 0; i < k; i++)
                            {
                                for (int j = 0; j < k; j++)
                                {
                                    int xi = (((b * c) + ch) * h * w) + ((y + i) * w) + x + j, wi = (((q * c) + ch) * k * k) + (i * k) + j;
                                    rdw[wi] += d * a.X[xi];
                                    rdx[xi] += d * a.W[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
        Close(rdx, dx, "dx");
        Close(rdw, dw, "dW");
        Close(rdb, db, "db");
    }

    private static void Close(double[] expected, float[] actual, string what)
    {
        double scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, what);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"{what}[{i}]: {actual[i]} against {expected[i]}");
        }
    }

    /// <summary>The fused call gives dx, dW and db bit for bit.</summary>
    private static void Fused(Case a, in Conv2DGeometry g, in Pool2DGeometry p, int batch, float[] dx, float[] dw, float[] db)
    {
        float[] fdx = new float[dx.Length], fdw = new float[dw.Length], fdb = new float[db.Length], fdy = new float[batch * g.OutputLength];
        Array.Fill(fdx, 42f); // every element must be written
        Array.Fill(fdw, 42f);
        Array.Fill(fdb, 42f);
        PoolConvBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, fdy, fdx, fdw, fdb, batch, g, p);
        SameBits(dx, fdx);
        SameBits(dw, fdw);
        SameBits(db, fdb);
    }

    private static (float[] Dx, float[] Dw, float[] Db, float[] Dy) TwoKernels(Case a, in Conv2DGeometry g, in Pool2DGeometry p, int batch, bool bias)
    {
        float[] dy = new float[batch * g.OutputLength], dx = new float[batch * g.InputLength], dw = new float[g.WeightLength], db = new float[bias ? g.OutChannels : 0];
        MaxPool2DReLU.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, dy, batch, p);
        Conv2D.Backward<float>(dy, a.X, a.W, dx, dw, db, batch, g);
        return (dx, dw, db, dy);
    }

    private sealed record Case(float[] X, float[] W, float[] Y, float[] Pooled, int[] Argmax, float[] DPooled);

    /// <summary>A real forward: conv (+ bias, ReLU fused) → max pool with its argmax, and a random pool gradient.</summary>
    private static Case MakeCase(in Conv2DGeometry g, in Pool2DGeometry p, int batch)
    {
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 11), w = TestUtil.Random<float>(g.WeightLength, 12);
        float[] bias = TestUtil.Random<float>(g.OutChannels, 13);
        bias[0] = -100f; // channel 0 all zeros after the ReLU: every window's maximum 0, masked
        float[] y = new float[batch * g.OutputLength], pooled = new float[batch * p.OutputLength];
        int[] argmax = new int[pooled.Length];
        Conv2D.Forward<float>(x, w, bias, y, batch, g, fuseReLU: true);
        MaxPool2D.Forward<float>(y, pooled, argmax, batch, p);
        float[] dPooled = TestUtil.Random<float>(pooled.Length, 14);
        return new Case(x, w, y, pooled, argmax, dPooled);
    }

    private static void SameBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"element {i}: {actual[i]} instead of {expected[i]}");
        }
    }
}
