using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class LayerNormTests
{
    [Theory]
    [InlineData(1, 1, true)]      // one value: x̂ = 0, y = β
    [InlineData(3, 5, true)]
    [InlineData(4, 37, false)]    // no affine
    [InlineData(5, 144, true)]    // [4, 6, 6] per sample
    [InlineData(7, 200, true)]    // more than three blocks of features
    [InlineData(64, 1024, true)]  // large enough to split
    public void ForwardAndBackward_MatchTheNaiveReference(int batch, int features, bool affine)
    {
        Run<float>(batch, features, affine);
        Run<double>(batch, features, affine);
    }

    [Fact]
    public void Forward_HandExample()
    {
        // x = [1, 2, 3, 4]: μ = 2.5, σ² = 1.25; x̂ = (x − 2.5)/√(1.25 + ε); γ = 2, β = 1 on every feature.
        double[] y = new double[4], mean = new double[1], invStd = new double[1];
        LayerNorm.Forward<double>([1, 2, 3, 4], [2, 2, 2, 2], [1, 1, 1, 1], y, mean, invStd, 1, 4, 1e-5);
        double s = 1 / Math.Sqrt(1.25 + 1e-5);
        Assert.Equal(2.5, mean[0]);
        Assert.Equal(s, invStd[0], 15);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((2 * (i + 1 - 2.5) * s) + 1, y[i], 14);
        }
    }

    [Fact]
    public void Forward_WithoutCaches_GivesTheSameOutput()
    {
        float[] x = TestUtil.Random<float>(6 * 20, 1), gamma = TestUtil.Random<float>(20, 2), beta = TestUtil.Random<float>(20, 3);
        float[] y1 = new float[x.Length], y2 = new float[x.Length];
        LayerNorm.Forward<float>(x, gamma, beta, y1, new float[6], new float[6], 6, 20, 1e-5f);
        LayerNorm.Forward<float>(x, gamma, beta, y2, default, default, 6, 20, 1e-5f);
        Assert.Equal(y1, y2);
    }

    [Fact]
    public void Backward_DxMayOverwriteDy()
    {
        const int batch = 3, n = 10;
        float[] x = TestUtil.Random<float>(batch * n, 1), gamma = TestUtil.Random<float>(n, 2), dy = TestUtil.Random<float>(batch * n, 3);
        float[] y = new float[x.Length], mean = new float[batch], invStd = new float[batch];
        LayerNorm.Forward<float>(x, gamma, default, y, mean, invStd, batch, n, 1e-5f);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
        LayerNorm.Backward<float>(dy, x, gamma, mean, invStd, dx, dg, db, batch, n);
        float[] inPlace = (float[])dy.Clone(), dg2 = new float[n], db2 = new float[n];
        LayerNorm.Backward<float>(inPlace, x, gamma, mean, invStd, inPlace, dg2, db2, batch, n);
        Assert.Equal(dx, inPlace);
        Assert.Equal(dg, dg2);
        Assert.Equal(db, db2);
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        const int batch = 64, n = 1000;
        float[] x = TestUtil.Random<float>(batch * n, 1), gamma = TestUtil.Random<float>(n, 2), beta = TestUtil.Random<float>(n, 3);
        float[] dy = TestUtil.Random<float>(batch * n, 4);
        (float[] Y, float[] Dx, float[] Dg, float[] Db) Run()
        {
            float[] y = new float[x.Length], mean = new float[batch], invStd = new float[batch], dx = new float[x.Length], dg = new float[n], db = new float[n];
            LayerNorm.Forward<float>(x, gamma, beta, y, mean, invStd, batch, n, 1e-5f);
            LayerNorm.Backward<float>(dy, x, gamma, mean, invStd, dx, dg, db, batch, n);
            return (y, dx, dg, db);
        }

        Conv2DTests.HoldWorkers();
        (float[] Y, float[] Dx, float[] Dg, float[] Db) serial;
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
        Assert.Equal(serial.Dg, parallel.Dg);
        Assert.Equal(serial.Db, parallel.Db);
    }

    [Fact]
    public void ForwardAndBackward_DoNotAllocate()
    {
        const int batch = 64, n = 1000;
        float[] x = TestUtil.Random<float>(batch * n, 1), gamma = TestUtil.Random<float>(n, 2), beta = TestUtil.Random<float>(n, 3);
        float[] dy = TestUtil.Random<float>(batch * n, 4);
        float[] y = new float[x.Length], mean = new float[batch], invStd = new float[batch], dx = new float[x.Length], dg = new float[n], db = new float[n];
        void Calls()
        {
            LayerNorm.Forward<float>(x, gamma, beta, y, mean, invStd, batch, n, 1e-5f);
            LayerNorm.Backward<float>(dy, x, gamma, mean, invStd, dx, dg, db, batch, n);
            LayerNorm.Forward<float>(x, gamma, beta, y, default, default, 1, n, 1e-5f);
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 3, repeats: 3);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan_AndLeaveOutputsUntouched()
    {
        const int batch = 2, n = 5;
        float[] x = new float[batch * n];
        void Forward(string name, int xLength, int gammaLength, int yLength, int meanLength, int invStdLength)
        {
            float[] y = Enumerable.Repeat(7f, yLength).ToArray(), mean = Enumerable.Repeat(7f, meanLength).ToArray(), invStd = Enumerable.Repeat(7f, invStdLength).ToArray();
            var e = Assert.ThrowsAny<ArgumentException>(() => LayerNorm.Forward<float>(new float[xLength], new float[gammaLength], default, y, mean, invStd, batch, n, 1e-5f));
            Assert.Equal(name, e.ParamName);
            Assert.All(y.Concat(mean).Concat(invStd), v => Assert.Equal(7f, v));
        }
        Forward("x", x.Length - 1, n, x.Length, batch, batch);
        Forward("gamma", x.Length, n - 1, x.Length, batch, batch);
        Forward("y", x.Length, n, x.Length - 1, batch, batch);
        Forward("mean", x.Length, n, x.Length, batch - 1, batch);
        Forward("invStd", x.Length, n, x.Length, batch, 0);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => LayerNorm.Forward<float>(x, default, default, new float[x.Length], default, default, batch, 0, 1e-5f)).ParamName);

        void Backward(string name, int dyLength, int dxLength, int dgLength)
        {
            float[] dx = Enumerable.Repeat(7f, dxLength).ToArray(), dg = Enumerable.Repeat(7f, dgLength).ToArray();
            var e = Assert.ThrowsAny<ArgumentException>(() => LayerNorm.Backward<float>(new float[dyLength], x, default, new float[batch], new float[batch], dx, dg, default, batch, n));
            Assert.Equal(name, e.ParamName);
            Assert.All(dx.Concat(dg), v => Assert.Equal(7f, v));
        }
        Backward("dy", x.Length - 1, x.Length, n);
        Backward("dx", x.Length, x.Length - 1, n);
        Backward("dgamma", x.Length, x.Length, n - 1);
    }

    private static void Run<T>(int batch, int n, bool affine)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * n, 1), dy = TestUtil.Random<T>(batch * n, 2);
        T[] gamma = affine ? TestUtil.Random<T>(n, 3) : [], beta = affine ? TestUtil.Random<T>(n, 4) : [];
        const double eps = 1e-5;
        string what = $"{typeof(T).Name} batch {batch} features {n} affine {affine}";

        // The definition in double, the backward by the chain rule written out: ∂x̂_j/∂x_i = s·(δ_ij − 1/n − x̂_i·x̂_j/n).
        var expectedY = new double[x.Length];
        var expectedDx = new double[x.Length];
        var expectedDg = new double[n];
        var expectedDb = new double[n];
        for (int b = 0; b < batch; b++)
        {
            double mu = 0, v = 0;
            for (int i = 0; i < n; i++)
            {
                mu += double.CreateTruncating(x[(b * n) + i]) / n;
            }
            for (int i = 0; i < n; i++)
            {
                double d = double.CreateTruncating(x[(b * n) + i]) - mu;
                v += d * d / n;
            }
            double s = 1 / Math.Sqrt(v + eps);
            double[] xhat = new double[n], g = new double[n];
            for (int i = 0; i < n; i++)
            {
                xhat[i] = (double.CreateTruncating(x[(b * n) + i]) - mu) * s;
                double ga = affine ? double.CreateTruncating(gamma[i]) : 1, be = affine ? double.CreateTruncating(beta[i]) : 0;
                expectedY[(b * n) + i] = (ga * xhat[i]) + be;
                double d = double.CreateTruncating(dy[(b * n) + i]);
                g[i] = d * ga;
                expectedDg[i] += d * xhat[i];
                expectedDb[i] += d;
            }
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++)
                {
                    sum += g[j] * s * ((i == j ? 1 : 0) - (1.0 / n) - (xhat[i] * xhat[j] / n));
                }
                expectedDx[(b * n) + i] = sum;
            }
        }

        // x̂ is at most √n in size, and every value passes through a few operations in T.
        double tolerance = 64 * Math.Sqrt(n) * TestUtil.Epsilon<T>();
        T[] y = TestUtil.Random<T>(x.Length, 5), mean = new T[batch], invStd = new T[batch];
        LayerNorm.Forward<T>(x, gamma, beta, y, mean, invStd, batch, n, T.CreateTruncating(eps));
        TestUtil.AssertClose<T>(expectedY, y, tolerance, what: "y " + what);

        T[] dx = TestUtil.Random<T>(x.Length, 6), dg = affine ? TestUtil.Random<T>(n, 7) : [], db = affine ? TestUtil.Random<T>(n, 8) : [];
        LayerNorm.Backward<T>(dy, x, gamma, mean, invStd, dx, dg, db, batch, n);
        TestUtil.AssertClose<T>(expectedDx, dx, tolerance * 4, what: "dx " + what);
        if (affine)
        {
            TestUtil.AssertClose<T>(expectedDg, dg, tolerance * batch, what: "dγ " + what);
            TestUtil.AssertClose<T>(expectedDb, db, tolerance * batch, what: "dβ " + what);
        }
    }
}
