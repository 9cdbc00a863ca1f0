using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The training backward kernels of ADR 0046: the direct dx of <see cref="Conv2DBackward"/> and the write-once
/// 2×2 pool backward of <see cref="MaxPool2DBackward"/>, against a float64 reference, the old kernels and themselves on
/// one thread and split.</summary>
[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags
public class ConvTrainBackwardTests
{
    /// <summary>C, H, W, O, Kh, Kw, Ph, Pw, batch: stride-1 geometries the direct dx serves.</summary>
    public static IEnumerable<object[]> DirectGeometries =>
    [
        [8, 13, 13, 16, 3, 3, 0, 0, 64], // the bench CNN's conv2 (O·kh·kw = 144)
        [1, 12, 12, 20, 3, 3, 0, 0, 3],  // one input channel: the channel block repeats channel 0
        [5, 9, 11, 6, 3, 3, 1, 1, 7],    // padding 1, C = 5 (a block of 4 and a repeated one), odd sizes, odd batch
        [6, 10, 8, 4, 3, 5, 2, 1, 2],    // rectangular kernel, unequal padding (2 in height = Kh − 1, 1 in width)
        [3, 7, 9, 2, 2, 2, 3, 3, 3],     // padding larger than the kernel: whole zero rows of dy around
        [2, 16, 16, 16, 4, 4, 0, 0, 1],  // even kernel, O·kh·kw = 256 (the largest served)
        [7, 6, 20, 3, 1, 3, 0, 1, 2],    // a 1×3 kernel with padding in width only
    ];

    [Theory]
    [MemberData(nameof(DirectGeometries))]
    public void DirectDx_MatchesTheFloat64Reference_AndTheGemmPath(int c, int h, int w, int o, int kh, int kw, int ph, int pw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, ph, pw);
        Assert.True(Conv2DBackward.DirectInput(g), "the geometry should take the direct dx");
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 3);
        float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
        Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);

        // dx[b, c, hh, ww] = Σ_{o,i,j} W[o, c, i, j] · dy[b, o, hh + Ph − i, ww + Pw − j], in float64.
        int ho = g.OutHeight, wo = g.OutWidth;
        for (int b = 0; b < batch; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int hh = 0; hh < h; hh++)
                {
                    for (int ww = 0; ww < w; ww++)
                    {
                        double sum = 0, magnitude = 0;
                        for (int q = 0; q < o; q++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                for (int j = 0; j < kw; j++)
                                {
                                    int r = hh + ph - i, s = ww + pw - j;
                                    if (r < 0 || r >= ho || s < 0 || s >= wo)
                                    {
                                        continue;
                                    }
                                    double term = (double)wt[(((q * c) + ch) * kh + i) * kw + j] * dy[(((b * o) + q) * ho + r) * wo + s];
                                    sum += term;
                                    magnitude += Math.Abs(term);
                                }
                            }
                        }
                        float actual = dx[(((b * c) + ch) * h + hh) * w + ww];
                        Assert.True(Math.Abs(actual - sum) <= 1e-5 * magnitude + 1e-30, $"dx[{b},{ch},{hh},{ww}] = {actual:R}, expected {sum:R}");
                    }
                }
            }
        }

        // dW and db do not depend on which kernel computed dx.
        float[] dxOld = new float[x.Length], dwOld = new float[wt.Length], dbOld = new float[o];
        try
        {
            Conv2DBackward.DirectInputAllowed = false;
            Conv2D.Backward<float>(dy, x, wt, dxOld, dwOld, dbOld, batch, g);
        }
        finally
        {
            Conv2DBackward.DirectInputAllowed = true;
        }
        Assert.Equal(dwOld, dw);
        Assert.Equal(dbOld, db);
    }

    [Theory]
    [InlineData(8, 13, 13, 16, 3, 3, 2, 2, 0, 0, 1)]  // stride 2: the GEMM path
    [InlineData(20, 12, 12, 50, 5, 5, 1, 1, 2, 2, 1)] // LeNet conv2 padded: O·kh·kw = 1,250 > 256 (unpadded it takes the column kernel, ADR 0057)
    [InlineData(3, 4, 5, 3, 2, 2, 1, 1, 3, 2, 1)]     // wide span 35 < 48
    [InlineData(4, 5, 5, 7, 1, 1, 1, 1, 0, 0, 1)]     // pointwise
    public void DirectDx_IsNotTaken_OutsideItsRule(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int _) =>
        Assert.False(Conv2DBackward.DirectInput(new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw)));

    [Theory]
    [InlineData(8, 13, 13, 16, 3, 3, 0, 0, 64)]
    [InlineData(8, 13, 13, 16, 3, 3, 0, 0, 13)]
    [InlineData(5, 9, 11, 6, 3, 3, 1, 1, 7)]
    public void DirectDx_DoesNotDependOnTheThreadCount(int c, int h, int w, int o, int kh, int kw, int ph, int pw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, ph, pw);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 4);
        (float[] Dx, float[] Dw, float[] Db) Run()
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            return (dx, dw, db);
        }

        Conv2DTests.HoldWorkers();
        (float[] Dx, float[] Dw, float[] Db) serial;
        try
        {
            serial = Run();
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
                var parallel = Run();
                Assert.Equal(serial.Dx.Select(BitConverter.SingleToInt32Bits), parallel.Dx.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(serial.Dw.Select(BitConverter.SingleToInt32Bits), parallel.Dw.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(serial.Db.Select(BitConverter.SingleToInt32Bits), parallel.Db.Select(BitConverter.SingleToInt32Bits));
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
    }

    [Theory]
    [InlineData(8, 26, 26, 5)]  // the bench CNN's first pool: 13 windows a row, the last block overlaps
    [InlineData(20, 24, 24, 3)] // after LeNet conv1
    [InlineData(3, 9, 16, 2)]   // H = 2·Ho + 1: the last row lies in no window and is zero; 8 windows a row, one block
    [InlineData(2, 5, 46, 4)]   // 23 windows a row, odd H
    public void PoolPairsBackward_GivesTheBitsOfTheScatter(int c, int h, int w, int batch)
    {
        var g = new Pool2DGeometry(c, h, w, 2, 2, 2, 2, 0, 0);
        Assert.True(MaxPool2DBackward.IsPairs<float>(g));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 5);
        // Ties, NaN, infinities and signed zeros in the input; −0 and NaN among the gradients.
        for (int i = 0; i < x.Length; i += 7)
        {
            x[i] = x[i + 1 < x.Length ? i + 1 : i];
        }
        x[3] = float.NaN;
        x[11] = float.NegativeInfinity;
        x[19] = -0f;
        float[] y = new float[batch * g.OutputLength];
        int[] argmax = new int[y.Length];
        MaxPool2D.Forward<float>(x, y, argmax, batch, g);
        float[] dy = TestUtil.Random<float>(y.Length, 6);
        dy[0] = -0f;
        dy[1] = float.NaN;
        dy[2] = float.PositiveInfinity;
        float[] pairs = new float[x.Length], scatter = new float[x.Length];
        Array.Fill(pairs, 42f); // every element must be written
        MaxPool2D.Backward<float>(dy, argmax, pairs, batch, g);
        try
        {
            MaxPool2DBackward.PairsAllowed = false;
            MaxPool2D.Backward<float>(dy, argmax, scatter, batch, g);
        }
        finally
        {
            MaxPool2DBackward.PairsAllowed = true;
        }
        Assert.Equal(scatter.Select(BitConverter.SingleToInt32Bits), pairs.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(8, 26, 26, 1, 2, 2, 0)]  // a 1×2 window
    [InlineData(8, 26, 26, 2, 2, 2, 1)]  // padding
    [InlineData(8, 14, 14, 2, 2, 2, 0)]  // 7 windows a row: fewer than one block
    [InlineData(8, 26, 27, 2, 2, 2, 0)]  // an odd width: the last column lies in no window
    [InlineData(8, 26, 26, 3, 3, 2, 0)]  // overlapping windows
    public void PoolPairsBackward_IsNotTaken_OutsideItsRule(int c, int h, int w, int k, int kw, int s, int p) =>
        Assert.False(MaxPool2DBackward.IsPairs<float>(new Pool2DGeometry(c, h, w, k, kw, s, s, p, p)));
}
