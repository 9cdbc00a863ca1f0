using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class AvgPool2DTests
{
    [Theory]
    [InlineData(3, 8, 8, 2, 2, 2, 2, 0, 0, 2)]    // 2×2 stride 2
    [InlineData(2, 9, 10, 3, 3, 3, 3, 0, 0, 3)]   // 3×3 stride 3, W not a multiple: the last column is dropped
    [InlineData(2, 7, 9, 3, 3, 2, 2, 0, 0, 1)]    // overlapping 3×3 stride 2
    [InlineData(3, 7, 7, 3, 3, 2, 2, 1, 1, 2)]    // padding 1: zeros counted in the divisor
    [InlineData(1, 5, 6, 2, 2, 1, 1, 1, 1, 3)]    // 2×2 stride 1 padding 1: windows half in the padding
    [InlineData(2, 6, 11, 2, 3, 1, 2, 1, 1, 5)]   // rectangular window, stride and padding
    [InlineData(5, 7, 7, 7, 7, 1, 1, 0, 0, 3)]    // a window of the whole plane: global average pooling
    [InlineData(20, 24, 24, 2, 2, 2, 2, 0, 0, 9)] // odd batch; large enough to split
    public void ForwardAndBackward_MatchTheNaiveReference(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        var g = new Pool2DGeometry(c, h, w, kh, kw, sh, sw, ph, pw);
        Run<float>(g, batch);
        Run<double>(g, batch);
    }

    [Fact]
    public void Forward_HandExample_PaddingCountsInTheDivisor()
    {
        // [[1 2]
        //  [3 4]]  3×3 window, stride 1, padding 1 (count_include_pad=True): every window holds all four values and five
        // zeros of padding, so each output is 10/9; without padding a 2×2 window gives 10/4.
        var padded = new Pool2DGeometry(1, 2, 2, 3, 3, 1, 1, 1, 1);
        double[] y = new double[4];
        AvgPool2D.Forward<double>([1, 2, 3, 4], y, 1, padded);
        Assert.All(y, v => Assert.Equal(10.0 / 9.0, v));

        var whole = new Pool2DGeometry(1, 2, 2, 2, 2, 2, 2, 0, 0);
        double[] mean = new double[1];
        AvgPool2D.Forward<double>([1, 2, 3, 4], mean, 1, whole);
        Assert.Equal(2.5, mean[0]);
    }

    [Fact]
    public void Backward_OverlappingWindows_Add()
    {
        // 3×3 input, 2×2 windows at stride 1: the centre is in all four windows, the corners in one.
        var g = new Pool2DGeometry(1, 3, 3, 2, 2, 1, 1, 0, 0);
        double[] dx = Enumerable.Repeat(9.0, 9).ToArray();
        AvgPool2D.Backward<double>([4, 8, 12, 16], dx, 1, g);
        Assert.Equal([1, 3, 2, 4, 10, 6, 3, 7, 4], dx);
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        var g = new Pool2DGeometry(20, 24, 24, 3, 3, 2, 2, 1, 1);
        const int batch = 32;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), dy = TestUtil.Random<float>(batch * g.OutputLength, 2);
        (float[] Y, float[] Dx) Run()
        {
            float[] y = new float[dy.Length], dx = new float[x.Length];
            AvgPool2D.Forward<float>(x, y, batch, g);
            AvgPool2D.Backward<float>(dy, dx, batch, g);
            return (y, dx);
        }

        Conv2DTests.HoldWorkers();
        (float[] Y, float[] Dx) serial;
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
        Assert.Equal(serial.Dx, parallel.Dx);
    }

    [Fact]
    public void ForwardAndBackward_DoNotAllocate()
    {
        var g = new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0);
        const int batch = 16;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), dy = TestUtil.Random<float>(batch * g.OutputLength, 2);
        float[] y = new float[dy.Length], dx = new float[x.Length];
        void Calls()
        {
            AvgPool2D.Forward<float>(x, y, batch, g);
            AvgPool2D.Backward<float>(dy, dx, batch, g);
            AvgPool2D.Forward<float>(x, y, 1, g);
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 3, repeats: 3);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan_AndLeaveOutputsUntouched()
    {
        var g = new Pool2DGeometry(2, 6, 6, 2, 2, 2, 2, 0, 0);
        const int batch = 2;
        int inLength = batch * g.InputLength, outLength = batch * g.OutputLength;
        void Forward(string name, int xLength, int yLength)
        {
            float[] y = Enumerable.Repeat(7f, yLength).ToArray();
            var e = Assert.Throws<ArgumentException>(() => AvgPool2D.Forward<float>(new float[xLength], y, batch, g));
            Assert.Equal(name, e.ParamName);
            Assert.All(y, v => Assert.Equal(7f, v));
        }
        Forward("x", inLength - 1, outLength);
        Forward("y", inLength, outLength - 1);

        void Backward(string name, int dyLength, int dxLength)
        {
            float[] dx = Enumerable.Repeat(7f, dxLength).ToArray();
            var e = Assert.Throws<ArgumentException>(() => AvgPool2D.Backward<float>(new float[dyLength], dx, batch, g));
            Assert.Equal(name, e.ParamName);
            Assert.All(dx, v => Assert.Equal(7f, v));
        }
        Backward("dy", outLength - 1, inLength);
        Backward("dx", outLength, inLength - 1);

        float[] shared = new float[inLength];
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => AvgPool2D.Backward<float>(shared.AsSpan(0, outLength), shared, batch, g)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => AvgPool2D.Forward<float>(new float[inLength], new float[outLength], -1, g)).ParamName);
        Assert.Equal("g", Assert.Throws<ArgumentException>(() => AvgPool2D.Forward<float>(new float[inLength], new float[outLength], batch, default)).ParamName);
    }

    private static void Run<T>(in Pool2DGeometry g, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 1);
        T[] dy = TestUtil.Random<T>(batch * g.OutputLength, 2);
        string what = $"{typeof(T).Name} {g} batch {batch}";

        // The definition in double: the whole window, padding included as 0, divided by kh·kw; the backward adds
        // dy/(kh·kw) to every real element of the window.
        var expectedY = new double[dy.Length];
        var expectedDx = new double[x.Length];
        int plane = g.Height * g.Width, outPlane = g.OutHeight * g.OutWidth, k = g.KernelHeight * g.KernelWidth;
        for (int p = 0; p < batch * g.Channels; p++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int o = (p * outPlane) + (oy * g.OutWidth) + ox;
                    double sum = 0;
                    for (int i = 0; i < g.KernelHeight; i++)
                    {
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int iy = (oy * g.StrideHeight) - g.PaddingHeight + i, ix = (ox * g.StrideWidth) - g.PaddingWidth + j;
                            if (iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width)
                            {
                                int at = (p * plane) + (iy * g.Width) + ix;
                                sum += double.CreateTruncating(x[at]);
                                expectedDx[at] += double.CreateTruncating(dy[o]) / k;
                            }
                        }
                    }
                    expectedY[o] = sum / k;
                }
            }
        }

        // Sums of at most 49 values of magnitude ≤ 1 in T: a few units of T's roundoff.
        double tolerance = 64 * TestUtil.Epsilon<T>();
        T[] y = TestUtil.Random<T>(dy.Length, 3);
        AvgPool2D.Forward<T>(x, y, batch, g);
        TestUtil.AssertClose<T>(expectedY, y, tolerance, what: "y " + what);

        T[] dx = TestUtil.Random<T>(x.Length, 4);
        AvgPool2D.Backward<T>(dy, dx, batch, g);
        TestUtil.AssertClose<T>(expectedDx, dx, tolerance, what: "dx " + what);
    }
}
