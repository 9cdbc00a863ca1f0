using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class DenseTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(16, 33, 10)]
    [InlineData(5, 784, 17)]
    // The small-shape kernels: I ≤ 4 (outer-product forward, fused dW + db), O ≤ 4 (dW along the inputs), odd tails.
    [InlineData(300, 2, 100)]
    [InlineData(300, 100, 3)]
    [InlineData(7, 1, 33)]
    [InlineData(9, 4, 17)]
    [InlineData(10, 37, 1)]
    [InlineData(11, 3, 2)]
    [InlineData(64, 70, 40)]
    public void ForwardAndBackward_MatchReference(int batch, int inputs, int outputs)
    {
        foreach (GemmMode mode in GemmTests.Modes)
        {
            foreach (bool relu in new[] { false, true })
            {
                Run<float>(batch, inputs, outputs, withBias: true, mode, relu);
                Run<float>(batch, inputs, outputs, withBias: false, mode, relu);
                Run<double>(batch, inputs, outputs, withBias: true, mode, relu);
                Run<double>(batch, inputs, outputs, withBias: false, mode, relu);
            }
        }
    }

    [Theory]
    [InlineData(64, 784, 256)]
    [InlineData(300, 2, 100)]
    [InlineData(300, 100, 3)]
    [InlineData(7, 5, 3)]
    [InlineData(0, 4, 3)]
    public void Backward_WithoutAccumulate_OverwritesWhatWasThere(int batch, int inputs, int outputs)
    {
        // accumulate: false (what generated networks pass) must equal accumulating into zeros, whatever dW and db held.
        float[] dy = TestUtil.Random<float>(batch * outputs, 1), x = TestUtil.Random<float>(batch * inputs, 2), w = TestUtil.Random<float>(outputs * inputs, 3);
        foreach (GemmMode mode in GemmTests.Modes)
        {
            var dwExpected = new float[outputs * inputs];
            var dbExpected = new float[outputs];
            Dense.Backward<float>(dy, x, w, default, dwExpected, dbExpected, batch, inputs, outputs, mode, mode, accumulate: true);

            float[] dw = TestUtil.Random<float>(outputs * inputs, 4), db = TestUtil.Random<float>(outputs, 5);
            Dense.Backward<float>(dy, x, w, default, dw, db, batch, inputs, outputs, mode, mode, accumulate: false);
            Assert.Equal(dwExpected, dw);
            Assert.Equal(dbExpected, db);
        }
    }

    [Fact]
    public void Forward_HandExample()
    {
        // x = [1 2], W = [[1 0], [0 1], [1 1]], b = [0.5 −1 2] → y = [1.5 1 5]
        float[] y = new float[3];
        Dense.Forward<float>([1, 2], [1, 0, 0, 1, 1, 1], [0.5f, -1, 2], y, 1, 2, 3);
        Assert.Equal([1.5f, 1f, 5f], y);
    }

    [Fact]
    public void Backward_EmptyDxAndBias_AreSkipped()
    {
        float[] dw = new float[6];
        Dense.Backward<float>([1, 2, 3], [1, 2], [1, 0, 0, 1, 1, 1], default, dw, default, 1, 2, 3);
        // dW = dyᵀ·x = [1;2;3]·[1 2]
        Assert.Equal([1f, 2f, 2f, 4f, 3f, 6f], dw);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => Dense.Forward<float>(new float[2], new float[6], new float[2], new float[3], 1, 2, 3));
        Assert.Equal("bias", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Dense.Forward<float>(new float[2], new float[5], new float[3], new float[3], 1, 2, 3));
        Assert.Equal("w", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Dense.Backward<float>(new float[3], new float[1], new float[6], default, new float[6], default, 1, 2, 3));
        Assert.Equal("x", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Dense.Backward<float>(new float[3], new float[2], new float[6], new float[1], new float[6], default, 1, 2, 3));
        Assert.Equal("dx", e.ParamName);
    }

    private static void Run<T>(int batch, int inputs, int outputs, bool withBias, GemmMode mode, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * inputs, 1);
        T[] w = TestUtil.Random<T>(outputs * inputs, 2);
        T[] b = withBias ? TestUtil.Random<T>(outputs, 3) : [];
        T[] dy = TestUtil.Random<T>(batch * outputs, 4);
        double[] xd = TestUtil.ToDouble<T>(x), wd = TestUtil.ToDouble<T>(w), bd = TestUtil.ToDouble<T>(b), dyd = TestUtil.ToDouble<T>(dy);
        double tolerance = 8 * (inputs + outputs + batch) * TestUtil.Epsilon<T>();

        string what = $"{typeof(T).Name} {batch}×{inputs}→{outputs} bias={withBias} {mode} relu={relu}";

        // y = x·Wᵀ + b (then max(0, ·) when fused)
        T[] y = new T[batch * outputs];
        Dense.Forward<T>(x, w, b, y, batch, inputs, outputs, mode, relu);
        var expectedY = new double[batch * outputs];
        for (int r = 0; r < batch; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double s = withBias ? bd[o] : 0;
                for (int i = 0; i < inputs; i++)
                {
                    s += xd[r * inputs + i] * wd[o * inputs + i];
                }
                expectedY[r * outputs + o] = relu ? Math.Max(s, 0) : s;
            }
        }
        TestUtil.AssertClose<T>(expectedY, y, tolerance, tolerance, "y " + what);

        // dx = dy·W (overwrites), dW += dyᵀ·x, db += Σ dy (accumulate onto existing values)
        T[] dx = TestUtil.Random<T>(batch * inputs, 5);
        T[] dw = TestUtil.Random<T>(outputs * inputs, 6);
        T[] db = withBias ? TestUtil.Random<T>(outputs, 7) : [];
        double[] dw0 = TestUtil.ToDouble<T>(dw), db0 = TestUtil.ToDouble<T>(db);
        Dense.Backward<T>(dy, x, w, dx, dw, db, batch, inputs, outputs, mode, mode);

        var expectedDx = new double[batch * inputs];
        for (int r = 0; r < batch; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                double s = 0;
                for (int o = 0; o < outputs; o++)
                {
                    s += dyd[r * outputs + o] * wd[o * inputs + i];
                }
                expectedDx[r * inputs + i] = s;
            }
        }
        TestUtil.AssertClose<T>(expectedDx, dx, tolerance, tolerance, "dx " + what);

        var expectedDw = new double[outputs * inputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                double s = dw0[o * inputs + i];
                for (int r = 0; r < batch; r++)
                {
                    s += dyd[r * outputs + o] * xd[r * inputs + i];
                }
                expectedDw[o * inputs + i] = s;
            }
        }
        TestUtil.AssertClose<T>(expectedDw, dw, tolerance, tolerance, "dW " + what);

        if (withBias)
        {
            var expectedDb = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double s = db0[o];
                for (int r = 0; r < batch; r++)
                {
                    s += dyd[r * outputs + o];
                }
                expectedDb[o] = s;
            }
            TestUtil.AssertClose<T>(expectedDb, db, tolerance, tolerance, "db " + what);
        }
    }
}
