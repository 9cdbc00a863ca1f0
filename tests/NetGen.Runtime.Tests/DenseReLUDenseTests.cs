using System.Numerics;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The fused narrow pair against a plain double-precision Dense → ReLU → Dense, for every register width.</summary>
public class DenseReLUDenseTests
{
    [Theory]
    [InlineData(300, 2, 100, 3)] // the spiral
    [InlineData(1, 1, 1, 1)]
    [InlineData(5, 3, 16, 2)]
    [InlineData(7, 4, 33, 4)]
    [InlineData(4, 2, 17, 1)]
    [InlineData(3, 1, 7, 3)]
    [InlineData(0, 2, 9, 3)]
    [InlineData(6, 4, 0, 2)]
    public void ForwardAndBackward_MatchTheUnfusedLayers(int batch, int inputs, int hidden, int outputs)
    {
        foreach (bool bias in new[] { true, false })
        {
            Run<float, Simd512<float>, Vector512<float>>(batch, inputs, hidden, outputs, bias);
            Run<float, Simd256<float>, Vector256<float>>(batch, inputs, hidden, outputs, bias);
            Run<float, Simd128<float>, Vector128<float>>(batch, inputs, hidden, outputs, bias);
            Run<float, Scalar<float>, float>(batch, inputs, hidden, outputs, bias);
            Run<double, Simd512<double>, Vector512<double>>(batch, inputs, hidden, outputs, bias);
            Run<double, Simd256<double>, Vector256<double>>(batch, inputs, hidden, outputs, bias);
            Run<double, Simd128<double>, Vector128<double>>(batch, inputs, hidden, outputs, bias);
            Run<double, Scalar<double>, double>(batch, inputs, hidden, outputs, bias);
            Run<float>(batch, inputs, hidden, outputs, bias);
            Run<double>(batch, inputs, hidden, outputs, bias);
        }
    }

    [Fact]
    public void HandExample()
    {
        // x = [1 −2];  W0 = [[1 0] [0 1] [1 1]], b0 = [0 0 0.5] → z = [1 −2 −0.5], h = [1 0 0]
        // W2 = [[2 3 4]], b2 = [0.25] → y = 2.25;  dy = 1 → dW2 = h = [1 0 0], db2 = 1, dh = [2 0 0] (masked),
        // dW0 = dhᵀ·x = [[2 −4] [0 0] [0 0]], db0 = [2 0 0]
        float[] x = [1, -2], w0 = [1, 0, 0, 1, 1, 1], b0 = [0, 0, 0.5f], w2 = [2, 3, 4], b2 = [0.25f];
        var scratch = new float[DenseReLUDense.ScratchLength(2, 3, 1)];
        var y = new float[1];
        DenseReLUDense.Forward<float>(x, w0, b0, w2, b2, y, 1, 2, 3, 1, scratch);
        Assert.Equal(2.25f, y[0]);

        var dw0 = new float[6];
        var db0 = new float[3];
        var dw2 = new float[3];
        var db2 = new float[1];
        DenseReLUDense.Backward<float>([1f], x, w0, b0, w2, dw0, db0, dw2, db2, 1, 2, 3, 1, scratch);
        Assert.Equal([2f, -4, 0, 0, 0, 0], dw0);
        Assert.Equal([2f, 0, 0], db0);
        Assert.Equal([1f, 0, 0], dw2);
        Assert.Equal([1f], db2);
    }

    [Fact]
    public void BackwardWithoutAccumulate_OverwritesWhatWasThere()
    {
        float[] x = TestUtil.Random<float>(30 * 2, 1), w0 = TestUtil.Random<float>(20 * 2, 2), b0 = TestUtil.Random<float>(20, 3);
        float[] w1 = TestUtil.Random<float>(3 * 20, 4), dy = TestUtil.Random<float>(30 * 3, 5);
        var scratch = new float[DenseReLUDense.ScratchLength(2, 20, 3)];
        float[] dw0 = new float[40], db0 = new float[20], dw1 = new float[60], db1 = new float[3];
        DenseReLUDense.Backward<float>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, 30, 2, 20, 3, scratch, accumulate: true);

        float[] ow0 = TestUtil.Random<float>(40, 6), ob0 = TestUtil.Random<float>(20, 7), ow1 = TestUtil.Random<float>(60, 8), ob1 = TestUtil.Random<float>(3, 9);
        DenseReLUDense.Backward<float>(dy, x, w0, b0, w1, ow0, ob0, ow1, ob1, 30, 2, 20, 3, scratch, accumulate: false);
        Assert.Equal(dw0, ow0);
        Assert.Equal(db0, ob0);
        Assert.Equal(dw1, ow1);
        Assert.Equal(db1, ob1);
    }

    [Fact]
    public void OneThreadAndEveryCore_GiveTheSameBits()
    {
        // The spiral's shape is large enough to be split (rows forward, hidden blocks backward). Holding the worker
        // pool forces the one-thread path; releasing it lets the same call split.
        const int batch = 300, hidden = 100;
        float[] x = TestUtil.Random<float>(batch * 2, 1), w0 = TestUtil.Random<float>(hidden * 2, 2), b0 = TestUtil.Random<float>(hidden, 3);
        float[] w1 = TestUtil.Random<float>(3 * hidden, 4), b1 = TestUtil.Random<float>(3, 5), dy = TestUtil.Random<float>(batch * 3, 6);
        var scratch = new float[DenseReLUDense.ScratchLength(2, hidden, 3)];
        (float[] Y, float[] Dw0, float[] Db0, float[] Dw1, float[] Db1) Run()
        {
            var y = new float[batch * 3];
            float[] dw0 = new float[hidden * 2], db0 = new float[hidden], dw1 = new float[3 * hidden], db1 = new float[3];
            DenseReLUDense.Forward<float>(x, w0, b0, w1, b1, y, batch, 2, hidden, 3, scratch);
            DenseReLUDense.Backward<float>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, batch, 2, hidden, 3, scratch, accumulate: false);
            return (y, dw0, db0, dw1, db1);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Workers.TryAcquire())
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
            Thread.Sleep(1);
        }
        var serial = Run();
        Workers.RunAndRelease(new Nothing(), 1);
        var parallel = Run();

        Assert.Equal(serial.Y, parallel.Y);
        Assert.Equal(serial.Dw0, parallel.Dw0);
        Assert.Equal(serial.Db0, parallel.Db0);
        Assert.Equal(serial.Dw1, parallel.Dw1);
        Assert.Equal(serial.Db1, parallel.Db1);
    }

    [Theory]
    [InlineData(2, 3)] // the spiral: rows run two at a time
    [InlineData(3, 3)] // I + O = 6, the largest that pairs rows
    [InlineData(4, 3)] // I + O = 7: one row at a time
    public void RowsRunTogether_GiveTheBitsOfEachRowAlone(int inputs, int outputs)
    {
        // The forward runs two rows per pass when I + O ≤ 6; each row's sums must be the same operations in the same
        // order as a row run alone (batch 1), or a split over cores, and the backward's recomputed mask, could differ.
        RowsAlone<float, Simd512<float>, Vector512<float>>(inputs, outputs);
        RowsAlone<float, Simd256<float>, Vector256<float>>(inputs, outputs);
        RowsAlone<float, Simd128<float>, Vector128<float>>(inputs, outputs);
        RowsAlone<double, Simd256<double>, Vector256<double>>(inputs, outputs);
    }

    private static void RowsAlone<T, TS, TV>(int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        const int batch = 9, hidden = 37;
        T[] x = TestUtil.Random<T>(batch * inputs, 11), w0 = TestUtil.Random<T>(hidden * inputs, 12), b0 = TestUtil.Random<T>(hidden, 13);
        T[] w1 = TestUtil.Random<T>(outputs * hidden, 14), b1 = TestUtil.Random<T>(outputs, 15);
        var scratch = new T[DenseReLUDense.ScratchLength(inputs, hidden, outputs)];
        var all = new T[batch * outputs];
        DenseReLUDense.Forward<T, TS, TV>(x, w0, b0, w1, b1, all, batch, inputs, hidden, outputs, scratch);
        for (int r = 0; r < batch; r++)
        {
            var one = new T[outputs];
            DenseReLUDense.Forward<T, TS, TV>(x.AsSpan(r * inputs, inputs), w0, b0, w1, b1, one, 1, inputs, hidden, outputs, scratch);
            Assert.Equal(one, all.AsSpan(r * outputs, outputs).ToArray());
        }
    }

    private sealed class Nothing : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }

    [Fact]
    public void NaNInputPropagatesToTheOutput()
    {
        float[] x = [float.NaN, 1];
        float[] w0 = TestUtil.Random<float>(2 * 8, 1), b0 = new float[8], w2 = TestUtil.Random<float>(3 * 8, 2);
        var y = new float[3];
        DenseReLUDense.Forward<float>(x, w0, b0, w2, default, y, 1, 2, 8, 3, new float[DenseReLUDense.ScratchLength(2, 8, 3)]);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void BadArguments_ThrowNamingTheArgument_AndChangeNothing()
    {
        float[] x = new float[4], w0 = new float[2 * 8], b0 = new float[8], w2 = new float[3 * 8], b2 = new float[3];
        var y = new float[6];
        Array.Fill(y, 7f);
        var scratch = new float[DenseReLUDense.ScratchLength(2, 8, 3)];

        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => DenseReLUDense.ScratchLength(5, 8, 3)).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => DenseReLUDense.Forward<float>(x, w0, b0, w2, b2, y, 2, 2, 8, 0, scratch)).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => DenseReLUDense.Forward<float>(x, w0, b0, w2, b2, y, 2, 2, 8, 3, scratch.AsSpan(1))).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => DenseReLUDense.Forward<float>(x, w0, b0, w2, b2, y.AsSpan(1), 2, 2, 8, 3, scratch)).ParamName);
        Assert.All(y, v => Assert.Equal(7f, v));

        var dw0 = new float[16];
        var dw2 = new float[24];
        Array.Fill(dw0, 5f);
        Assert.Equal("dw1", Assert.Throws<ArgumentException>(() => DenseReLUDense.Backward<float>(new float[6], x, w0, b0, w2, dw0, default, dw2.AsSpan(1), default, 2, 2, 8, 3, scratch)).ParamName);
        Assert.Equal("db0", Assert.Throws<ArgumentException>(() => DenseReLUDense.Backward<float>(new float[6], x, w0, b0, w2, dw0, new float[7], dw2, default, 2, 2, 8, 3, scratch)).ParamName);
        Assert.All(dw0, v => Assert.Equal(5f, v));
    }

    private static void Run<T>(int batch, int inputs, int hidden, int outputs, bool bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Check<T>(batch, inputs, hidden, outputs, bias, "dispatch",
            (x, w0, b0, w2, b2, y, s) => DenseReLUDense.Forward<T>(x, w0, b0, w2, b2, y, batch, inputs, hidden, outputs, s),
            (dy, x, w0, b0, w2, dw0, db0, dw2, db2, s) => DenseReLUDense.Backward<T>(dy, x, w0, b0, w2, dw0, db0, dw2, db2, batch, inputs, hidden, outputs, s));

    private static void Run<T, TS, TV>(int batch, int inputs, int hidden, int outputs, bool bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct =>
        Check<T>(batch, inputs, hidden, outputs, bias, typeof(TV).Name,
            (x, w0, b0, w2, b2, y, s) => DenseReLUDense.Forward<T, TS, TV>(x, w0, b0, w2, b2, y, batch, inputs, hidden, outputs, s),
            (dy, x, w0, b0, w2, dw0, db0, dw2, db2, s) => DenseReLUDense.Backward<T, TS, TV>(dy, x, w0, b0, w2, dw0, db0, dw2, db2, batch, inputs, hidden, outputs, s));

    private delegate void ForwardFn<T>(T[] x, T[] w0, T[] b0, T[] w2, T[] b2, T[] y, T[] scratch);

    private delegate void BackwardFn<T>(T[] dy, T[] x, T[] w0, T[] b0, T[] w2, T[] dw0, T[] db0, T[] dw2, T[] db2, T[] scratch);

    private static void Check<T>(int batch, int inputs, int hidden, int outputs, bool bias, string width, ForwardFn<T> forward, BackwardFn<T> backward)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        string what = $"{typeof(T).Name} {width} B={batch} I={inputs} H={hidden} O={outputs} bias={bias}";
        T[] x = TestUtil.Random<T>(batch * inputs, 1);
        T[] w0 = TestUtil.Random<T>(hidden * inputs, 2);
        T[] b0 = bias ? TestUtil.Random<T>(hidden, 3) : [];
        T[] w2 = TestUtil.Random<T>(outputs * hidden, 4);
        T[] b2 = bias ? TestUtil.Random<T>(outputs, 5) : [];
        T[] dy = TestUtil.Random<T>(batch * outputs, 6);
        // Gradients start non-zero: the kernel accumulates (+=).
        T[] dw0 = TestUtil.Random<T>(w0.Length, 7), db0 = TestUtil.Random<T>(b0.Length, 8);
        T[] dw2 = TestUtil.Random<T>(w2.Length, 9), db2 = TestUtil.Random<T>(b2.Length, 10);
        double[] dw0Start = TestUtil.ToDouble<T>(dw0), db0Start = TestUtil.ToDouble<T>(db0);
        double[] dw2Start = TestUtil.ToDouble<T>(dw2), db2Start = TestUtil.ToDouble<T>(db2);

        // Reference in double: z = x·W0ᵀ + b0, h = max(0, z), y = h·W2ᵀ + b2; then the backward of each layer.
        var z = new double[batch * hidden];
        var y = new double[batch * outputs];
        var scale = new double[batch * outputs];
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < hidden; j++)
            {
                double v = bias ? double.CreateTruncating(b0[j]) : 0;
                for (int i = 0; i < inputs; i++)
                {
                    v += double.CreateTruncating(x[(r * inputs) + i]) * double.CreateTruncating(w0[(j * inputs) + i]);
                }
                z[(r * hidden) + j] = v;
            }
            for (int o = 0; o < outputs; o++)
            {
                double v = bias ? double.CreateTruncating(b2[o]) : 0, m = Math.Abs(v);
                for (int j = 0; j < hidden; j++)
                {
                    double term = Math.Max(0, z[(r * hidden) + j]) * double.CreateTruncating(w2[(o * hidden) + j]);
                    v += term;
                    m += Math.Abs(term);
                }
                y[(r * outputs) + o] = v;
                scale[(r * outputs) + o] = m;
            }
        }

        double[] dw2Ref = (double[])dw2Start.Clone(), db2Ref = (double[])db2Start.Clone();
        double[] dw0Ref = (double[])dw0Start.Clone(), db0Ref = (double[])db0Start.Clone();
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < hidden; j++)
            {
                double zj = z[(r * hidden) + j], dh = 0;
                for (int o = 0; o < outputs; o++)
                {
                    double g = double.CreateTruncating(dy[(r * outputs) + o]);
                    dw2Ref[(o * hidden) + j] += g * Math.Max(0, zj);
                    dh += g * double.CreateTruncating(w2[(o * hidden) + j]);
                }
                dh = zj > 0 ? dh : 0;
                for (int i = 0; i < inputs; i++)
                {
                    dw0Ref[(j * inputs) + i] += dh * double.CreateTruncating(x[(r * inputs) + i]);
                }
                if (bias)
                {
                    db0Ref[j] += dh;
                }
            }
            for (int o = 0; o < outputs && bias; o++)
            {
                db2Ref[o] += double.CreateTruncating(dy[(r * outputs) + o]);
            }
        }

        // Scratch starts as garbage: its contents on entry must not matter.
        T[] scratch = TestUtil.Random<T>(DenseReLUDense.ScratchLength(inputs, hidden, outputs), 11);
        var actual = new T[batch * outputs];
        forward(x, w0, b0, w2, b2, actual, scratch);
        // Each value is a sum of at most H + I + 1 rounded terms: tolerance ∝ (H + I + 2)·ε·Σ|terms|.
        double eps = TestUtil.Epsilon<T>() * (hidden + inputs + 2) * 4;
        for (int k = 0; k < y.Length; k++)
        {
            Assert.True(Math.Abs(double.CreateTruncating(actual[k]) - y[k]) <= (eps * (scale[k] + 4)) + 1e-300, $"{what}: y[{k}] = {actual[k]}, expected {y[k]:R}");
        }

        scratch.AsSpan().Fill(T.CreateTruncating(123.0));
        backward(dy, x, w0, b0, w2, dw0, db0, dw2, db2, scratch);
        double tol = TestUtil.Epsilon<T>() * (batch + hidden + 8) * 16;
        TestUtil.AssertClose<T>(dw2Ref, dw2, tol * (batch + 1), tol, what + " dW2");
        TestUtil.AssertClose<T>(dw0Ref, dw0, tol * (batch + 1) * outputs, tol, what + " dW0");
        TestUtil.AssertClose<T>(db0Ref, db0, tol * (batch + 1) * outputs, tol, what + " db0");
        TestUtil.AssertClose<T>(db2Ref, db2, tol * (batch + 1), tol, what + " db2");
    }
}
