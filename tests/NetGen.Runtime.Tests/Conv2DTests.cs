using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags
public class Conv2DTests
{
    /// <summary>C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, batch.</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        [3, 5, 7, 4, 1, 1, 1, 1, 0, 0, 3],     // 1×1, stride 1, no padding: no im2col copy
        [3, 7, 6, 5, 1, 1, 2, 2, 0, 0, 2],     // 1×1 with stride 2: im2col again
        [3, 8, 8, 8, 3, 3, 1, 1, 1, 1, 2],     // 3×3, padding 1 ("same")
        [1, 28, 28, 20, 5, 5, 1, 1, 0, 0, 3],  // LeNet conv1: 1×28×28 → 20×24×24
        [20, 12, 12, 50, 5, 5, 1, 1, 0, 0, 2], // LeNet conv2: 20×12×12 → 50×8×8
        [2, 9, 9, 6, 3, 3, 2, 2, 1, 1, 5],     // stride 2
        [3, 7, 11, 5, 2, 4, 1, 3, 1, 2, 3],    // rectangular kernel, stride and padding
        [4, 10, 6, 7, 3, 1, 2, 1, 0, 0, 1],    // rectangular the other way, batch 1
        [2, 4, 5, 3, 2, 2, 1, 1, 3, 2, 1],     // padding larger than the kernel: whole zero rows of col
        [5, 13, 9, 3, 3, 3, 2, 2, 1, 1, 7],    // odd sizes, odd batch, the floor in Ho = (H + 2P − K)/S + 1
        [1, 6, 6, 1, 3, 3, 1, 1, 0, 0, 1],     // one channel in and out
        [2, 3, 3, 4, 5, 5, 1, 1, 1, 1, 2],     // kernel = padded input: Ho = Wo = 1
        [3, 6, 5, 9, 3, 2, 1, 2, 0, 1, 9],     // batch 9: more samples than backward groups, groups of unequal size
        [7, 5, 5, 13, 1, 1, 1, 1, 0, 0, 17],   // pointwise, O not a multiple of the micro-kernel's 6 rows
        [1, 28, 28, 8, 3, 3, 1, 1, 0, 0, 3],   // the bench CNN's conv1: 676 pixels, 22 panels of 32 (or 43 of 16), the last partial
        [8, 13, 13, 16, 3, 3, 1, 1, 0, 0, 2],  // the bench CNN's conv2
        [56, 5, 5, 4, 3, 3, 1, 1, 1, 1, 2],    // K + 1 = 505: the bias row still fits one depth block (lowered into panels)
        [57, 5, 5, 4, 3, 3, 1, 1, 1, 1, 2],    // K + 1 = 514: two depth blocks, the column matrix and the GEMM's own packing
    ];

    [Theory]
    [InlineData(8, 13, 13, 16, 3, 3, 1, 1, 0, 0, 3)] // lowered into panels: the bias is the last step of the FMA chain
    [InlineData(2, 68, 68, 3, 3, 3, 1, 1, 0, 0, 1)]  // 66×66 > one column block: the column matrix, the bias in C before the GEMM adds
    public void Bias_IsAddedToTheFinishedSum_BitForBit(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        // y(bias) = y(no bias) + bias, rounded once, whichever path the geometry takes (with one depth block: K + 1 ≤ 512);
        // with ReLU, max(0, that).
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3), plain = new float[batch * g.OutputLength];
        float[] biased = new float[plain.Length], relu = new float[plain.Length];
        Conv2D.Forward<float>(x, wt, default, plain, batch, g);
        Conv2D.Forward<float>(x, wt, bias, biased, batch, g);
        Conv2D.Forward<float>(x, wt, bias, relu, batch, g, fuseReLU: true);
        int outPlane = g.OutHeight * g.OutWidth;
        for (int i = 0; i < plain.Length; i++)
        {
            float expected = plain[i] + bias[i / outPlane % o];
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(biased[i]));
            Assert.Equal(BitConverter.SingleToInt32Bits(Math.Max(expected, 0f)), BitConverter.SingleToInt32Bits(relu[i]));
        }
    }

    [Theory]
    [InlineData(1, 28, 28, 8, 3, 3, 64)]  // the bench CNN's conv1: direct
    [InlineData(8, 13, 13, 16, 3, 3, 5)]  // its conv2: direct, 16 channels in 4 blocks
    [InlineData(1, 28, 28, 20, 5, 5, 3)]  // LeNet conv1: direct, 20 channels
    [InlineData(3, 12, 10, 6, 3, 2, 2)]   // 6 channels: the last block repeats a channel; rectangular kernel
    public void DirectForward_GivesTheBitsOfTheGemmPaths(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2D.RunsDirect<float>(g));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] bias = TestUtil.Random<float>(o, 3);
        foreach (bool relu in new[] { false, true })
        {
            foreach (bool withBias in new[] { false, true })
            {
                float[] direct = new float[batch * g.OutputLength], panels = new float[direct.Length], matrix = new float[direct.Length];
                Conv2D.Forward<float>(x, wt, withBias ? bias : default, direct, batch, g, relu);
                try
                {
                    Conv2D.DirectAllowed = false;
                    Conv2D.Forward<float>(x, wt, withBias ? bias : default, panels, batch, g, relu);
                    Conv2D.PanelsAllowed = false;
                    Conv2D.Forward<float>(x, wt, withBias ? bias : default, matrix, batch, g, relu);
                }
                finally
                {
                    Conv2D.DirectAllowed = true;
                    Conv2D.PanelsAllowed = true;
                }
                Assert.Equal(panels.Select(BitConverter.SingleToInt32Bits), direct.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(matrix.Select(BitConverter.SingleToInt32Bits), direct.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardAndBackward_MatchTheNaiveReference(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw);
        foreach (bool withBias in new[] { true, false })
        {
            foreach (bool relu in new[] { false, true })
            {
                Run<float>(g, batch, withBias, relu, withDx: !relu);
                Run<double>(g, batch, withBias, relu, withDx: relu);
            }
        }
    }

    [Fact]
    public void Forward_SeedVector_Is17()
    {
        // One 3×3 window times one 3×3 filter, summed: 1·0 + 3·0 + 2·2 + 1·7 + 0·5 + 0·0 + 1·2 + 2·1 + 2·1 = 17.
        var g = new Conv2DGeometry(1, 3, 3, 1, 3, 3, 1, 1, 0, 0);
        float[] x = [1, 3, 2, 1, 0, 0, 1, 2, 2];
        float[] w = [0, 0, 2, 7, 5, 0, 2, 1, 1];
        float[] y = new float[1];
        Conv2D.Forward<float>(x, w, [0f], y, 1, g);
        Assert.Equal(17f, y[0]);
        Conv2D.Forward<float>(x, w, default, y, 1, g);
        Assert.Equal(17f, y[0]);

        // Backward of y = Σ W·x with dy = 1: dW = x, dx = W, db = 1.
        float[] dx = new float[9], dw = new float[9], db = new float[1];
        Conv2D.Backward<float>([1f], x, w, dx, dw, db, 1, g);
        Assert.Equal(x, dw);
        Assert.Equal(w, dx);
        Assert.Equal([1f], db);
    }

    [Fact]
    public void Forward_PaddingIsZero()
    {
        // A 2×2 input of ones, a 3×3 filter of ones, padding 1: each output counts the input elements its window covers.
        var g = new Conv2DGeometry(1, 2, 2, 1, 3, 3, 1, 1, 1, 1);
        float[] y = new float[4];
        Conv2D.Forward<float>([1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1], default, y, 1, g);
        Assert.Equal([4f, 4f, 4f, 4f], y);
    }

    [Theory]
    [InlineData(2, 5, 4, 3, 3, 2, 2, 1, 1, 1, 2)]
    [InlineData(3, 4, 4, 2, 1, 1, 1, 1, 0, 0, 3)]
    [InlineData(1, 6, 5, 2, 2, 3, 2, 2, 0, 1, 1)]
    public void Backward_MatchesFiniteDifferences(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        // L = Σ r ⊙ y for a fixed random r, so dL/dy = r; L is linear in each parameter, so a centered difference is exact
        // up to rounding.
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw);
        double[] x = TestUtil.Random<double>(batch * g.InputLength, 11);
        double[] wt = TestUtil.Random<double>(g.WeightLength, 12);
        double[] b = TestUtil.Random<double>(o, 13);
        double[] r = TestUtil.Random<double>(batch * g.OutputLength, 14);
        double[] y = new double[batch * g.OutputLength];
        double Loss()
        {
            Conv2D.Forward<double>(x, wt, b, y, batch, g);
            double s = 0;
            for (int i = 0; i < y.Length; i++)
            {
                s += r[i] * y[i];
            }
            return s;
        }

        double[] dx = new double[x.Length], dw = new double[wt.Length], db = new double[b.Length];
        Conv2D.Backward<double>(r, x, wt, dx, dw, db, batch, g);

        const double step = 1e-5;
        void Check(double[] parameter, double[] gradient, string name)
        {
            for (int i = 0; i < parameter.Length; i++)
            {
                double keep = parameter[i];
                parameter[i] = keep + step;
                double plus = Loss();
                parameter[i] = keep - step;
                double minus = Loss();
                parameter[i] = keep;
                double numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-8 + (1e-6 * Math.Abs(numeric)), $"{name}[{i}]: analytic {gradient[i]:R}, numeric {numeric:R}");
            }
        }
        Check(x, dx, "dx");
        Check(wt, dw, "dW");
        Check(b, db, "db");
    }

    [Theory]
    [InlineData(1, 28, 28, 20, 5, 5, 1, 1, 0, 0, 64)] // LeNet conv1
    [InlineData(20, 12, 12, 50, 5, 5, 1, 1, 0, 0, 64)] // LeNet conv2
    [InlineData(3, 9, 9, 8, 3, 3, 2, 2, 1, 1, 13)]
    [InlineData(4, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1)] // batch 1: the GEMMs themselves split
    public void Results_DoNotDependOnTheThreadCount(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int batch)
    {
        // Holding the worker pool forces the one-thread path; releasing it lets the same calls split. Bit for bit.
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] b = TestUtil.Random<float>(o, 3), dy = TestUtil.Random<float>(batch * g.OutputLength, 4);
        (float[] Y, float[] Dx, float[] Dw, float[] Db) Run()
        {
            float[] y = new float[batch * g.OutputLength], dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Conv2D.Forward<float>(x, wt, b, y, batch, g, fuseReLU: true);
            Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            return (y, dx, dw, db);
        }

        HoldWorkers();
        (float[] Y, float[] Dx, float[] Dw, float[] Db) serial;
        try
        {
            serial = Run();
        }
        finally
        {
            Workers.RunAndRelease(new Nothing(), 1);
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
        var conv2 = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var padded = new Conv2DGeometry(3, 9, 9, 8, 3, 3, 2, 2, 1, 1);
        var pointwise = new Conv2DGeometry(8, 5, 5, 6, 1, 1, 1, 1, 0, 0);
        const int batch = 16;
        float[] x = TestUtil.Random<float>(batch * conv2.InputLength, 1), w = TestUtil.Random<float>(conv2.WeightLength, 2);
        float[] b = TestUtil.Random<float>(50, 3), dy = TestUtil.Random<float>(batch * conv2.OutputLength, 4);
        float[] y = new float[dy.Length], dx = new float[x.Length], dw = new float[w.Length], db = new float[50];

        void Calls()
        {
            Layer(conv2);
            Layer(padded);
            Layer(pointwise);
        }

        void Layer(in Conv2DGeometry g)
        {
            Span<float> xs = x.AsSpan(0, batch * g.InputLength), ys = y.AsSpan(0, batch * g.OutputLength), dys = dy.AsSpan(0, batch * g.OutputLength);
            Span<float> ws = w.AsSpan(0, g.WeightLength), dws = dw.AsSpan(0, g.WeightLength);
            Conv2D.Forward<float>(xs, ws, b.AsSpan(0, g.OutChannels), ys, batch, g, fuseReLU: true);
            Conv2D.Backward<float>(dys, xs, ws, dx.AsSpan(0, batch * g.InputLength), dws, db.AsSpan(0, g.OutChannels), batch, g);
            Conv2D.Backward<float>(dys, xs, ws, default, dws, default, batch, g);
            Conv2D.Forward<float>(xs.Slice(0, g.InputLength), ws, default, ys, 1, g); // batch 1: the GEMM splits instead
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 3, repeats: 3);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan_AndLeaveOutputsUntouched()
    {
        var g = new Conv2DGeometry(2, 5, 5, 3, 3, 3, 1, 1, 1, 1);
        const int batch = 2;
        float[] x = new float[batch * g.InputLength], w = new float[g.WeightLength], b = new float[3];
        float[] dy = new float[batch * g.OutputLength];

        float[] y = Filled(batch * g.OutputLength);
        void Forward(string name, int xLength, int wLength, int bLength, int yLength, int n = batch)
        {
            float[] yy = y.AsSpan(0, Math.Min(yLength, y.Length)).ToArray();
            var e = Assert.ThrowsAny<ArgumentException>(() => Conv2D.Forward<float>(x.AsSpan(0, xLength), w.AsSpan(0, wLength), b.AsSpan(0, bLength), yy, n, g));
            Assert.Equal(name, e.ParamName);
            Assert.All(yy, v => Assert.Equal(7f, v));
        }
        Forward("x", x.Length - 1, w.Length, 3, y.Length);
        Forward("w", x.Length, w.Length - 1, 3, y.Length);
        Forward("bias", x.Length, w.Length, 2, y.Length);
        Forward("y", x.Length, w.Length, 3, y.Length - 1);
        Forward("batch", x.Length, w.Length, 3, y.Length, n: -1);

        void Backward(string name, int dyLength, int xLength, int wLength, int dxLength, int dwLength, int dbLength)
        {
            float[] dx = Filled(dxLength), dw = Filled(dwLength), db = Filled(dbLength);
            var e = Assert.Throws<ArgumentException>(() => Conv2D.Backward<float>(dy.AsSpan(0, dyLength), x.AsSpan(0, xLength), w.AsSpan(0, wLength), dx, dw, db, batch, g));
            Assert.Equal(name, e.ParamName);
            Assert.All(dx, v => Assert.Equal(7f, v));
            Assert.All(dw, v => Assert.Equal(7f, v));
            Assert.All(db, v => Assert.Equal(7f, v));
        }
        Backward("dy", dy.Length - 1, x.Length, w.Length, x.Length, w.Length, 3);
        Backward("x", dy.Length, x.Length - 1, w.Length, x.Length, w.Length, 3);
        Backward("w", dy.Length, x.Length, w.Length - 1, x.Length, w.Length, 3);
        Backward("dx", dy.Length, x.Length, w.Length, x.Length - 1, w.Length, 3);
        Backward("dw", dy.Length, x.Length, w.Length, x.Length, w.Length - 1, 3);
        Backward("db", dy.Length, x.Length, w.Length, x.Length, w.Length, 4);

        var d = Assert.Throws<ArgumentException>(() => Conv2D.Forward<float>(x, w, b, y, batch, default));
        Assert.Equal("g", d.ParamName);
    }

    [Fact]
    public void BatchZero_IsANoOp()
    {
        var g = new Conv2DGeometry(2, 5, 5, 3, 3, 3, 1, 1, 1, 1);
        float[] w = new float[g.WeightLength], dw = Filled(g.WeightLength), db = Filled(3);
        Conv2D.Forward<float>(default, w, default, default, 0, g);
        Conv2D.Backward<float>(default, default, w, default, dw, db, 0, g);
        Assert.All(dw, v => Assert.Equal(7f, v));
    }

    [Theory]
    [InlineData(0, 5, 5, 3, 3, 3, 1, 1, 0, 0, "channels")]
    [InlineData(2, 0, 5, 3, 3, 3, 1, 1, 0, 0, "height")]
    [InlineData(2, 5, -1, 3, 3, 3, 1, 1, 0, 0, "width")]
    [InlineData(2, 5, 5, 0, 3, 3, 1, 1, 0, 0, "outChannels")]
    [InlineData(2, 5, 5, 3, 0, 3, 1, 1, 0, 0, "kernelHeight")]
    [InlineData(2, 5, 5, 3, 3, 0, 1, 1, 0, 0, "kernelWidth")]
    [InlineData(2, 5, 5, 3, 3, 3, 0, 1, 0, 0, "strideHeight")]
    [InlineData(2, 5, 5, 3, 3, 3, 1, -2, 0, 0, "strideWidth")]
    [InlineData(2, 5, 5, 3, 3, 3, 1, 1, -1, 0, "paddingHeight")]
    [InlineData(2, 5, 5, 3, 3, 3, 1, 1, 0, -1, "paddingWidth")]
    [InlineData(2, 5, 5, 3, 8, 3, 1, 1, 1, 0, "kernelHeight")] // 8 > 5 + 2·1
    [InlineData(2, 5, 5, 3, 3, 6, 1, 1, 0, 0, "kernelWidth")]
    [InlineData(100000, 1000, 1000, 3, 1, 1, 1, 1, 0, 0, "channels")] // 10¹¹ elements
    public void Geometry_RejectsBadShapes_NamingTheArgument(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DGeometry(c, h, w, o, kh, kw, sh, sw, ph, pw));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Geometry_ComputesPyTorchsSizes()
    {
        var g = new Conv2DGeometry(3, 13, 9, 5, 3, 2, 2, 3, 1, 1);
        Assert.Equal((3, 13, 9, 5, 3, 2, 2, 3, 1, 1), (g.Channels, g.Height, g.Width, g.OutChannels, g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, g.PaddingHeight, g.PaddingWidth));
        Assert.Equal((13 + 2 - 3) / 2 + 1, g.OutHeight); // 7
        Assert.Equal((9 + 2 - 2) / 3 + 1, g.OutWidth);   // 4
        Assert.Equal(3 * 13 * 9, g.InputLength);
        Assert.Equal(5 * 7 * 4, g.OutputLength);
        Assert.Equal(5 * 3 * 3 * 2, g.WeightLength);
        var lenet = new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0);
        Assert.Equal((24, 24), (lenet.OutHeight, lenet.OutWidth));
    }

    internal static void HoldWorkers()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Workers.TryAcquire())
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
            Thread.Sleep(1);
        }
    }

    internal sealed class Nothing : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }

    private static float[] Filled(int length)
    {
        var values = new float[length];
        Array.Fill(values, 7f);
        return values;
    }

    private static void Run<T>(in Conv2DGeometry g, int batch, bool withBias, bool relu, bool withDx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 1);
        T[] w = TestUtil.Random<T>(g.WeightLength, 2);
        T[] b = withBias ? TestUtil.Random<T>(g.OutChannels, 3) : [];
        T[] dy = TestUtil.Random<T>(batch * g.OutputLength, 4);
        var r = Reference(TestUtil.ToDouble<T>(x), TestUtil.ToDouble<T>(w), TestUtil.ToDouble<T>(b), TestUtil.ToDouble<T>(dy), batch, g);
        string what = $"{typeof(T).Name} {g} batch {batch} bias={withBias} relu={relu}";
        double eps = TestUtil.Epsilon<T>();

        // Outputs start as garbage: everything is overwritten.
        T[] y = TestUtil.Random<T>(batch * g.OutputLength, 5);
        Conv2D.Forward<T>(x, w, b, y, batch, g, relu);
        double[] expectedY = relu ? Array.ConvertAll(r.Y, v => Math.Max(v, 0)) : r.Y;
        AssertClose(expectedY, r.YMagnitude, y, g.Channels * g.KernelHeight * g.KernelWidth, eps, "y " + what);

        T[] dx = withDx ? TestUtil.Random<T>(batch * g.InputLength, 6) : [];
        T[] dw = TestUtil.Random<T>(g.WeightLength, 7);
        T[] db = withBias ? TestUtil.Random<T>(g.OutChannels, 8) : [];
        Conv2D.Backward<T>(dy, x, w, dx, dw, db, batch, g);
        AssertClose(r.Dw, r.DwMagnitude, dw, batch * g.OutHeight * g.OutWidth, eps, "dW " + what);
        if (withBias)
        {
            AssertClose(r.Db, r.DbMagnitude, db, batch * g.OutHeight * g.OutWidth, eps, "db " + what);
        }
        if (withDx)
        {
            AssertClose(r.Dx, r.DxMagnitude, dx, g.OutChannels * g.KernelHeight * g.KernelWidth, eps, "dx " + what);
        }
    }

    /// <summary>|actual − expected| ≤ 2·(terms + 2)·ε·Σ|term| + a few ε: the error bound of a sum of that many products.</summary>
    private static void AssertClose<T>(double[] expected, double[] magnitude, T[] actual, int terms, double eps, string what)
        where T : IBinaryFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double tolerance = (2.0 * (terms + 2) * eps * magnitude[i]) + (4 * eps);
            if (!(Math.Abs(a - expected[i]) <= tolerance))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {a:R} (tolerance {tolerance:G3}).");
            }
        }
    }

    private sealed record ReferenceResult(double[] Y, double[] YMagnitude, double[] Dx, double[] DxMagnitude, double[] Dw, double[] DwMagnitude, double[] Db, double[] DbMagnitude);

    /// <summary>The definition, loop by loop, in double: y = Σ W·x (+ b); dx, dW, db by scattering every product's
    /// derivative; every result with the sum of the magnitudes of its terms.</summary>
    private static ReferenceResult Reference(double[] x, double[] w, double[] b, double[] dy, int batch, Conv2DGeometry g)
    {
        int c = g.Channels, h = g.Height, wd = g.Width, o = g.OutChannels, kh = g.KernelHeight, kw = g.KernelWidth, ho = g.OutHeight, wo = g.OutWidth;
        var y = new double[batch * o * ho * wo];
        var ym = new double[y.Length];
        var dx = new double[x.Length];
        var dxm = new double[x.Length];
        var dw = new double[w.Length];
        var dwm = new double[w.Length];
        var db = new double[o];
        var dbm = new double[o];
        for (int n = 0; n < batch; n++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oy = 0; oy < ho; oy++)
                {
                    for (int ox = 0; ox < wo; ox++)
                    {
                        int yi = (((n * o) + oc) * ho + oy) * wo + ox;
                        double s = b.Length > 0 ? b[oc] : 0, m = b.Length > 0 ? Math.Abs(b[oc]) : 0;
                        double g0 = dy[yi];
                        db[oc] += g0;
                        dbm[oc] += Math.Abs(g0);
                        for (int ic = 0; ic < c; ic++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                int iy = (oy * g.StrideHeight) - g.PaddingHeight + i;
                                if (iy < 0 || iy >= h)
                                {
                                    continue;
                                }
                                for (int j = 0; j < kw; j++)
                                {
                                    int ix = (ox * g.StrideWidth) - g.PaddingWidth + j;
                                    if (ix < 0 || ix >= wd)
                                    {
                                        continue;
                                    }
                                    int xi = (((n * c) + ic) * h + iy) * wd + ix;
                                    int wi = (((oc * c) + ic) * kh + i) * kw + j;
                                    s += w[wi] * x[xi];
                                    m += Math.Abs(w[wi] * x[xi]);
                                    dx[xi] += w[wi] * g0;
                                    dxm[xi] += Math.Abs(w[wi] * g0);
                                    dw[wi] += x[xi] * g0;
                                    dwm[wi] += Math.Abs(x[xi] * g0);
                                }
                            }
                        }
                        y[yi] = s;
                        ym[yi] = m;
                    }
                }
            }
        }
        return new ReferenceResult(y, ym, dx, dxm, dw, dwm, db, dbm);
    }
}
