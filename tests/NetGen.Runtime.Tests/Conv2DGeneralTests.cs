using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class Conv2DGeneralTests
{
    /// <summary>C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, batch.</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        [4, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 2],   // depthwise 3×3, 'same'
        [4, 7, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4, 3],   // depthwise with channel multiplier 2
        [6, 9, 8, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2],   // grouped and dilated, 'same' at dilation 2
        [3, 11, 10, 5, 3, 2, 2, 1, 0, 1, 3, 2, 1, 3], // dilation only (groups 1), rectangular, per-axis stride/padding
        [6, 8, 8, 6, 2, 2, 2, 2, 1, 0, 1, 1, 3, 1],   // groups 3, stride 2, batch 1
        [2, 5, 5, 2, 3, 3, 1, 1, 4, 4, 3, 3, 2, 2],   // padding wider than the dilated reach: zero rows of col
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardAndBackward_MatchTheNaiveReference(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups, int batch)
    {
        var g = new Conv2DGeneralGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        foreach (bool withBias in new[] { true, false })
        {
            foreach (bool relu in new[] { false, true })
            {
                Run<float>(g, batch, withBias, relu, withDx: !relu, 1e-5);
                Run<double>(g, batch, withBias, relu, withDx: relu, 1e-12);
            }
        }
    }

    [Fact]
    public void Geometry_ComputesPyTorchsSizes()
    {
        // nn.Conv2d(6, 4, 3, stride=(2, 1), padding=(1, 0), dilation=(2, 3), groups=2) on 6×9×11:
        // Ho = (9 + 2 − 2·2 − 1)/2 + 1 = 4, Wo = (11 − 3·2 − 1)/1 + 1 = 5; weight [4, 3, 3, 3].
        var g = new Conv2DGeneralGeometry(6, 9, 11, 4, 3, 3, 2, 1, 1, 0, 2, 3, 2);
        Assert.Equal((4, 5), (g.OutHeight, g.OutWidth));
        Assert.Equal(4 * 3 * 3 * 3, g.WeightLength);
        Assert.Equal(4 * 4 * 5, g.OutputLength);
    }

    [Theory]
    [InlineData(6, 4, 4, "groups")] // 6 input channels, 4 groups
    [InlineData(4, 6, 4, "groups")] // 6 output channels, 4 groups
    [InlineData(4, 4, 0, "groups")]
    public void Geometry_RejectsChannelsThatDoNotSplit(int c, int o, int groups, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DGeneralGeometry(c, 5, 5, o, 3, 3, 1, 1, 0, 0, 1, 1, groups));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Geometry_RejectsADilatedKernelLargerThanTheInput()
    {
        // 3 taps at dilation 3 span 7 > 5 + 2·0.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DGeneralGeometry(1, 5, 9, 1, 3, 3, 1, 1, 0, 0, 3, 3, 1));
        Assert.Equal("kernelHeight", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DGeneralGeometry(1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 1, 1));
    }

    [Fact]
    public void WithGroupsAndDilationOne_ItEqualsTheFastKernel()
    {
        var fast = new Conv2DGeometry(3, 8, 7, 5, 3, 2, 2, 1, 1, 0);
        var general = new Conv2DGeneralGeometry(3, 8, 7, 5, 3, 2, 2, 1, 1, 0, 1, 1, 1);
        const int batch = 2;
        float[] x = TestUtil.Random<float>(batch * fast.InputLength, 1), w = TestUtil.Random<float>(fast.WeightLength, 2), b = TestUtil.Random<float>(5, 3);
        float[] y1 = new float[batch * fast.OutputLength], y2 = new float[y1.Length];
        Conv2D.Forward<float>(x, w, b, y1, batch, fast);
        Conv2DGeneral.Forward<float>(x, w, b, y2, batch, general);
        TestUtil.AssertClose(TestUtil.ToDouble<float>(y1), y2, 1e-5, 0, "y");
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan_AndLeaveOutputsUntouched()
    {
        var g = new Conv2DGeneralGeometry(4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4);
        float[] x = new float[2 * g.InputLength], w = new float[g.WeightLength], b = new float[4], y = new float[2 * g.OutputLength];
        Array.Fill(y, 7f);
        var e = Assert.ThrowsAny<ArgumentException>(() => Conv2DGeneral.Forward<float>(x, w.AsSpan(1), b, y, 2, g));
        Assert.Equal("w", e.ParamName);
        Assert.All(y, v => Assert.Equal(7f, v));
        float[] dw = new float[g.WeightLength];
        Array.Fill(dw, 7f);
        e = Assert.ThrowsAny<ArgumentException>(() => Conv2DGeneral.Backward<float>(y, x.AsSpan(1), w, default, dw, default, 2, g));
        Assert.Equal("x", e.ParamName);
        Assert.All(dw, v => Assert.Equal(7f, v));
        e = Assert.Throws<ArgumentException>(() => Conv2DGeneral.Forward<float>(x, w, b, y, 2, default));
        Assert.Equal("g", e.ParamName);
    }

    [Theory]
    [InlineData(32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32, 4)] // depthwise, large planes: the GEMMs split
    [InlineData(16, 12, 12, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 3)]  // grouped and dilated
    public void Results_DoNotDependOnTheThreadCount(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups, int batch)
    {
        // Holding the worker pool forces every GEMM onto this thread; releasing it lets them split. Bit for bit.
        var g = new Conv2DGeneralGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] b = TestUtil.Random<float>(o, 3), dy = TestUtil.Random<float>(batch * g.OutputLength, 4);
        (float[] Y, float[] Dx, float[] Dw, float[] Db) Run()
        {
            float[] y = new float[batch * g.OutputLength], dx = new float[x.Length], dwt = new float[wt.Length], db = new float[o];
            Conv2DGeneral.Forward<float>(x, wt, b, y, batch, g, fuseReLU: true);
            Conv2DGeneral.Backward<float>(dy, x, wt, dx, dwt, db, batch, g);
            return (y, dx, dwt, db);
        }

        Conv2DTests.HoldWorkers();
        (float[] Y, float[] Dx, float[] Dw, float[] Db) serial;
        try
        {
            serial = Run();
        }
        finally
        {
            Workers.RunAndRelease(new Conv2DTests.Nothing(), 1);
        }

        for (int repeat = 0; repeat < 3; repeat++)
        {
            var parallel = Run();
            Assert.Equal(serial.Y, parallel.Y);
            Assert.Equal(serial.Dx, parallel.Dx);
            Assert.Equal(serial.Dw, parallel.Dw);
            Assert.Equal(serial.Db, parallel.Db);
        }
    }

    [Fact]
    public void ForwardAndBackward_DoNotAllocate()
    {
        var g = new Conv2DGeneralGeometry(6, 9, 8, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2);
        const int batch = 3;
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), w = TestUtil.Random<float>(g.WeightLength, 2), b = new float[4];
        float[] y = new float[batch * g.OutputLength], dx = new float[x.Length], dw = new float[w.Length], db = new float[4];
        void Calls()
        {
            Conv2DGeneral.Forward<float>(x, w, b, y, batch, g);
            Conv2DGeneral.Backward<float>(y, x, w, dx, dw, db, batch, g);
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 1, repeats: 1);
    }

    private static void Run<T>(in Conv2DGeneralGeometry g, int batch, bool withBias, bool relu, bool withDx, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 11), w = TestUtil.Random<T>(g.WeightLength, 12);
        T[] b = withBias ? TestUtil.Random<T>(g.OutChannels, 13) : [];
        T[] dy = TestUtil.Random<T>(batch * g.OutputLength, 14);
        var y = new T[batch * g.OutputLength];
        Conv2DGeneral.Forward<T>(x, w, b, y, batch, g, relu);

        // Naive reference in double: every output and every gradient element from the definition.
        int cg = g.Channels / g.Groups, og = g.OutChannels / g.Groups;
        double[] ey = new double[y.Length], edx = new double[x.Length], edw = new double[w.Length], edb = new double[g.OutChannels];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < g.OutChannels; o++)
            {
                int grp = o / og;
                for (int i = 0; i < g.OutHeight; i++)
                {
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        double sum = withBias ? double.CreateTruncating(b[o]) : 0;
                        int yi = (((n * g.OutChannels) + o) * g.OutHeight + i) * g.OutWidth + j;
                        double gy = double.CreateTruncating(dy[yi]);
                        for (int c = 0; c < cg; c++)
                        {
                            for (int u = 0; u < g.KernelHeight; u++)
                            {
                                for (int v = 0; v < g.KernelWidth; v++)
                                {
                                    int r = (i * g.StrideHeight) - g.PaddingHeight + (u * g.DilationHeight);
                                    int q = (j * g.StrideWidth) - g.PaddingWidth + (v * g.DilationWidth);
                                    if (r < 0 || r >= g.Height || q < 0 || q >= g.Width)
                                    {
                                        continue;
                                    }
                                    int xi = (((n * g.Channels) + (grp * cg) + c) * g.Height + r) * g.Width + q;
                                    int wi = (((o * cg) + c) * g.KernelHeight + u) * g.KernelWidth + v;
                                    sum += double.CreateTruncating(w[wi]) * double.CreateTruncating(x[xi]);
                                    edx[xi] += double.CreateTruncating(w[wi]) * gy;
                                    edw[wi] += double.CreateTruncating(x[xi]) * gy;
                                }
                            }
                        }
                        ey[yi] = relu ? Math.Max(0, sum) : sum;
                        edb[o] += gy;
                    }
                }
            }
        }

        string what = $"{typeof(T).Name} bias {withBias} relu {relu} {g}";
        TestUtil.AssertClose(ey, y, tolerance, tolerance, "y " + what);
        var dx = withDx ? new T[x.Length] : [];
        var dw = new T[w.Length];
        var db = withBias ? new T[g.OutChannels] : [];
        Conv2DGeneral.Backward<T>(dy, x, w, dx, dw, db, batch, g);
        if (withDx)
        {
            TestUtil.AssertClose(edx, dx, tolerance, tolerance, "dx " + what);
        }
        TestUtil.AssertClose(edw, dw, tolerance, tolerance, "dW " + what);
        if (withBias)
        {
            TestUtil.AssertClose(edb, db, tolerance, tolerance, "db " + what);
        }
    }
}
