using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class MaxPool2DTests
{
    [Theory]
    [InlineData(3, 8, 8, 2, 2, 2, 2, 0, 0, 2)]    // 2×2 stride 2 (LeNet)
    [InlineData(2, 9, 10, 3, 3, 3, 3, 0, 0, 3)]   // 3×3 stride 3, W not a multiple: the last column is dropped
    [InlineData(2, 7, 9, 3, 3, 2, 2, 0, 0, 1)]    // overlapping 3×3 stride 2
    [InlineData(3, 7, 7, 3, 3, 2, 2, 1, 1, 2)]    // padding 1
    [InlineData(1, 5, 6, 2, 2, 1, 1, 1, 1, 3)]    // 2×2 stride 1 padding 1: windows half in the padding
    [InlineData(2, 6, 11, 2, 3, 1, 2, 1, 1, 5)]   // rectangular window, stride and padding
    [InlineData(4, 1, 9, 1, 4, 1, 3, 0, 2, 3)]    // one row
    [InlineData(20, 24, 24, 2, 2, 2, 2, 0, 0, 9)] // after LeNet conv1, odd batch; large enough to split
    [InlineData(8, 26, 26, 2, 2, 2, 2, 0, 0, 5)]  // the bench CNN's first pool: 13 outputs a row, the last block overlaps
    [InlineData(2, 6, 16, 2, 2, 2, 2, 0, 0, 2)]   // exactly one block of 8 windows a row
    [InlineData(2, 4, 46, 2, 2, 2, 2, 0, 0, 2)]   // 23 a row: two blocks and an overlapping third
    public void ForwardAndBackward_MatchTheNaiveReference(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        var g = new Pool2DGeometry(c, h, w, kh, kw, sh, sw, ph, pw);
        Run<float>(g, batch, ties: false);
        Run<double>(g, batch, ties: false);
        Run<float>(g, batch, ties: true);
        Run<double>(g, batch, ties: true);
        Run<float>(g, batch, ties: true, specials: true);
        Run<double>(g, batch, ties: true, specials: true);
    }

    [Fact]
    public void Ties_TheFirstMaximumInRowMajorOrderWins()
    {
        // [[1 5 5 3]
        //  [5 2 7 7]]  2×2 stride 2: the windows' maxima 5 (first at (0,1)) and 7 (first at (1,2)).
        var g = new Pool2DGeometry(1, 2, 4, 2, 2, 2, 2, 0, 0);
        float[] y = new float[2];
        int[] argmax = new int[2];
        MaxPool2D.Forward<float>([1, 5, 5, 3, 5, 2, 7, 7], y, argmax, 1, g);
        Assert.Equal([5f, 7f], y);
        Assert.Equal([1, 6], argmax);
    }

    [Fact]
    public void NaN_IsTheMaximum_AsInPyTorch()
    {
        // PyTorch's CPU kernel: "if ((val > maxval) || std::isnan(val))" from −∞, so any NaN is the result and the last
        // NaN of the window is its argmax. Windows: [NaN 9 | 1 2], [3 NaN | NaN 4], [−∞ −∞ | −∞ −∞], [0 −0 | 0 −1].
        var g = new Pool2DGeometry(1, 2, 8, 2, 2, 2, 2, 0, 0);
        float inf = float.PositiveInfinity;
        float[] x = [float.NaN, 9, 3, float.NaN, -inf, -inf, 0, -0f, 1, 2, float.NaN, 4, -inf, -inf, 0, -1];
        float[] y = new float[4];
        int[] argmax = new int[4];
        MaxPool2D.Forward<float>(x, y, argmax, 1, g);
        Assert.True(float.IsNaN(y[0]));
        Assert.True(float.IsNaN(y[1]));
        Assert.Equal(-inf, y[2]);
        Assert.Equal(0f, y[3]);
        Assert.Equal([0, 10, 4, 6], argmax); // −∞ window: its first element; 0 and −0 tie: the first
    }

    [Fact]
    public void Padding_NeverWins()
    {
        // All inputs −5 with padding 1: every maximum is −5 at a real position, never the padding's −∞ (or a zero).
        var g = new Pool2DGeometry(1, 3, 3, 3, 3, 2, 2, 1, 1);
        float[] x = Enumerable.Repeat(-5f, 9).ToArray();
        float[] y = new float[4];
        int[] argmax = new int[4];
        MaxPool2D.Forward<float>(x, y, argmax, 1, g);
        Assert.Equal([-5f, -5f, -5f, -5f], y);
        Assert.Equal([0, 1, 3, 4], argmax); // each window's first real element
    }

    [Fact]
    public void Backward_OverlappingWindows_Add()
    {
        // 4×4 with its maximum at (1,1), 3×3 stride 1: all four windows pick (1,1), so dx there is the sum of dy.
        var g = new Pool2DGeometry(1, 4, 4, 3, 3, 1, 1, 0, 0);
        float[] x = new float[16];
        x[5] = 10;
        float[] y = new float[4];
        int[] argmax = new int[4];
        MaxPool2D.Forward<float>(x, y, argmax, 1, g);
        Assert.Equal([5, 5, 5, 5], argmax);
        float[] dx = Enumerable.Repeat(9f, 16).ToArray();
        MaxPool2D.Backward<float>([1, 2, 4, 8], argmax, dx, 1, g);
        float[] expected = new float[16];
        expected[5] = 15;
        Assert.Equal(expected, dx);
    }

    [Fact]
    public void Forward_WithoutArgmax_GivesTheSameMaxima()
    {
        var g = new Pool2DGeometry(3, 7, 7, 3, 3, 2, 2, 1, 1);
        float[] x = TestUtil.Random<float>(2 * g.InputLength, 3);
        float[] y1 = new float[2 * g.OutputLength], y2 = new float[y1.Length];
        MaxPool2D.Forward<float>(x, y1, new int[y1.Length], 2, g);
        MaxPool2D.Forward<float>(x, y2, default, 2, g);
        Assert.Equal(y1, y2);
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        var g = new Pool2DGeometry(20, 24, 24, 3, 3, 2, 2, 1, 1);
        const int batch = 32;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), dy = TestUtil.Random<float>(batch * g.OutputLength, 2);
        (float[] Y, int[] Argmax, float[] Dx) Run()
        {
            float[] y = new float[dy.Length], dx = new float[x.Length];
            int[] argmax = new int[dy.Length];
            MaxPool2D.Forward<float>(x, y, argmax, batch, g);
            MaxPool2D.Backward<float>(dy, argmax, dx, batch, g);
            return (y, argmax, dx);
        }

        Conv2DTests.HoldWorkers();
        (float[] Y, int[] Argmax, float[] Dx) serial;
        try
        {
            serial = Run();
        }
        finally
        {
            Workers.RunAndRelease(new Conv2DTests.Nothing(), 1);
        }
        var parallel = Run();
        Assert.Equal(serial.Y, parallel.Y);
        Assert.Equal(serial.Argmax, parallel.Argmax);
        Assert.Equal(serial.Dx, parallel.Dx);
    }

    [Fact]
    public void ForwardAndBackward_DoNotAllocate()
    {
        var g = new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0);
        const int batch = 16;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), dy = TestUtil.Random<float>(batch * g.OutputLength, 2);
        float[] y = new float[dy.Length], dx = new float[x.Length];
        int[] argmax = new int[dy.Length];
        void Calls()
        {
            MaxPool2D.Forward<float>(x, y, argmax, batch, g);
            MaxPool2D.Backward<float>(dy, argmax, dx, batch, g);
            MaxPool2D.Forward<float>(x, y, default, 1, g);
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 3, repeats: 3);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan_AndLeaveOutputsUntouched()
    {
        var g = new Pool2DGeometry(2, 6, 6, 2, 2, 2, 2, 0, 0);
        const int batch = 2;
        float[] x = new float[batch * g.InputLength];
        void Forward(string name, int xLength, int yLength, int argmaxLength)
        {
            float[] y = Enumerable.Repeat(7f, yLength).ToArray();
            int[] argmax = Enumerable.Repeat(7, argmaxLength).ToArray();
            var e = Assert.Throws<ArgumentException>(() => MaxPool2D.Forward<float>(x.AsSpan(0, xLength), y, argmax, batch, g));
            Assert.Equal(name, e.ParamName);
            Assert.All(y, v => Assert.Equal(7f, v));
            Assert.All(argmax, v => Assert.Equal(7, v));
        }
        int outLength = batch * g.OutputLength;
        Forward("x", x.Length - 1, outLength, outLength);
        Forward("y", x.Length, outLength - 1, outLength);
        Forward("argmax", x.Length, outLength, outLength - 1);

        void Backward(string name, int dyLength, int[] argmax, int dxLength)
        {
            float[] dx = Enumerable.Repeat(7f, dxLength).ToArray();
            var e = Assert.ThrowsAny<ArgumentException>(() => MaxPool2D.Backward<float>(new float[dyLength], argmax, dx, batch, g));
            Assert.Equal(name, e.ParamName);
            Assert.All(dx, v => Assert.Equal(7f, v));
        }
        Backward("dy", outLength - 1, new int[outLength], x.Length);
        Backward("argmax", outLength, new int[outLength - 1], x.Length);
        Backward("dx", outLength, new int[outLength], x.Length - 1);
        int[] outside = new int[outLength];
        outside[^1] = 36; // H·W = 36: one past the plane
        Backward("argmax", outLength, outside, x.Length);
        outside[^1] = -1;
        Backward("argmax", outLength, outside, x.Length);
    }

    [Theory]
    [InlineData(2, 6, 6, 3, 3, 1, 1, 2, 0, "paddingHeight")] // 2 > 3/2: PyTorch's "pad should be at most half of kernel size"
    [InlineData(2, 6, 6, 2, 4, 1, 1, 1, 3, "paddingWidth")]
    [InlineData(2, 6, 6, 1, 1, 1, 1, 1, 0, "paddingHeight")]
    [InlineData(2, 6, 6, 7, 2, 1, 1, 0, 0, "kernelHeight")]
    [InlineData(2, 6, 6, 2, 2, 0, 1, 0, 0, "strideHeight")]
    [InlineData(0, 6, 6, 2, 2, 2, 2, 0, 0, "channels")]
    [InlineData(2, 6, 6, 2, 2, 2, 2, -1, 0, "paddingHeight")]
    public void Geometry_RejectsBadShapes_NamingTheArgument(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2DGeometry(c, h, w, kh, kw, sh, sw, ph, pw));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Geometry_ComputesPyTorchsSizes()
    {
        var g = new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0);
        Assert.Equal((12, 12, 20 * 24 * 24, 20 * 12 * 12), (g.OutHeight, g.OutWidth, g.InputLength, g.OutputLength));
        var odd = new Pool2DGeometry(3, 9, 10, 3, 2, 3, 2, 1, 1);
        Assert.Equal(((9 + 2 - 3) / 3 + 1, (10 + 2 - 2) / 2 + 1), (odd.OutHeight, odd.OutWidth));
        Assert.Equal((3, 9, 10, 3, 2, 3, 2, 1, 1), (odd.Channels, odd.Height, odd.Width, odd.KernelHeight, odd.KernelWidth, odd.StrideHeight, odd.StrideWidth, odd.PaddingHeight, odd.PaddingWidth));
    }

    private static void Run<T>(in Pool2DGeometry g, int batch, bool ties, bool specials = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // With ties, values are drawn from {−1, 0, 1}: most windows hold equal maxima. With specials, NaN, −∞, +∞ and −0
        // are sprinkled in too (the 2×2 stride-2 float path runs the scan on registers: same winners, same positions).
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 1);
        if (ties)
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = T.Round(x[i]);
            }
        }
        if (specials)
        {
            T[] values = [T.NaN, T.NegativeInfinity, T.PositiveInfinity, T.NegativeZero];
            for (int i = 0; i < x.Length; i += 1 + (i % 5))
            {
                x[i] = values[i % 4];
            }
        }
        T[] dy = TestUtil.Random<T>(batch * g.OutputLength, 2);
        string what = $"{typeof(T).Name} {g} batch {batch} ties={ties} specials={specials}";

        // The definition: scan the whole window, padding included as −∞, row-major; larger or NaN replaces; the
        // default position is the window's first real element.
        var expectedY = new T[dy.Length];
        var expectedArgmax = new int[dy.Length];
        var expectedDx = new T[x.Length];
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth;
        for (int p = 0; p < batch * g.Channels; p++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    T max = T.NegativeInfinity;
                    int best = -1;
                    for (int i = 0; i < g.KernelHeight; i++)
                    {
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int iy = (oy * g.StrideHeight) - g.PaddingHeight + i, ix = (ox * g.StrideWidth) - g.PaddingWidth + j;
                            bool inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
                            T v = inside ? x[(p * plane) + (iy * g.Width) + ix] : T.NegativeInfinity;
                            if (inside && best < 0)
                            {
                                best = (iy * g.Width) + ix;
                            }
                            if (v > max || T.IsNaN(v))
                            {
                                max = v;
                                best = (iy * g.Width) + ix;
                            }
                        }
                    }
                    int o = (p * outPlane) + (oy * g.OutWidth) + ox;
                    expectedY[o] = max;
                    expectedArgmax[o] = best;
                    expectedDx[(p * plane) + best] += dy[o];
                }
            }
        }

        T[] y = TestUtil.Random<T>(dy.Length, 3);
        int[] argmax = Enumerable.Repeat(-7, dy.Length).ToArray();
        MaxPool2D.Forward<T>(x, y, argmax, batch, g);
        Assert.True(expectedY.AsSpan().SequenceEqual(y), "y " + what);
        Assert.True(expectedArgmax.AsSpan().SequenceEqual(argmax), "argmax " + what);

        T[] dx = TestUtil.Random<T>(x.Length, 4);
        MaxPool2D.Backward<T>(dy, argmax, dx, batch, g);
        Assert.True(expectedDx.AsSpan().SequenceEqual(dx), "dx " + what);
    }
}
