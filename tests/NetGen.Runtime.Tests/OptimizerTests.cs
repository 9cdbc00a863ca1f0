using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class OptimizerTests
{
    [Fact]
    public void Sgd_HandValue()
    {
        double[] p = [1.0, -2.0];
        Optimizers.Sgd<double>(p, [0.5, 1.0], 0.1);
        Assert.Equal([0.95, -2.1], p);
    }

    [Fact]
    public void Momentum_HandValues()
    {
        // v₁ = g = 0.5, p₁ = 1 − 0.1·0.5 = 0.95; v₂ = 0.9·0.5 + 0.5 = 0.95, p₂ = 0.95 − 0.095 = 0.855
        double[] p = [1.0], v = [0.0];
        Optimizers.Momentum<double>(p, [0.5], v, 0.1, 0.9);
        Assert.Equal(0.5, v[0], 15);
        Assert.Equal(0.95, p[0], 15);
        Optimizers.Momentum<double>(p, [0.5], v, 0.1, 0.9);
        Assert.Equal(0.95, v[0], 15);
        Assert.Equal(0.855, p[0], 15);
    }

    [Fact]
    public void Nesterov_HandValues()
    {
        // v₁ = 0.5, p₁ = 1 − 0.1·(0.5 + 0.9·0.5) = 0.905; v₂ = 0.95, p₂ = 0.905 − 0.1·(0.5 + 0.855) = 0.7695
        double[] p = [1.0], v = [0.0];
        Optimizers.Nesterov<double>(p, [0.5], v, 0.1, 0.9);
        Assert.Equal(0.5, v[0], 15);
        Assert.Equal(0.905, p[0], 15);
        Optimizers.Nesterov<double>(p, [0.5], v, 0.1, 0.9);
        Assert.Equal(0.95, v[0], 15);
        Assert.Equal(0.7695, p[0], 15);
    }

    [Fact]
    public void Adam_HandValues_PyTorchFormula()
    {
        // Three steps with g = 0.5, −0.25, 2 (lr 1e-3, β 0.9/0.999, ε 1e-8), from Python in PyTorch's order.
        double[] expectedP = [0.99900000002, 0.9987336629870784, 0.9980630153452915];
        double[] expectedM = [0.04999999999999999, 0.019999999999999997, 0.21799999999999994];
        double[] expectedV = [0.0002500000000000002, 0.0003122500000000003, 0.004311937750000004];
        double[] gradients = [0.5, -0.25, 2.0];
        double[] p = [1.0], m = [0.0], v = [0.0];
        for (int t = 1; t <= 3; t++)
        {
            Optimizers.Adam<double>(p, [gradients[t - 1]], m, v, 1e-3, 0.9, 0.999, 1e-8, t);
            Assert.Equal(expectedP[t - 1], p[0], 1e-15);
            Assert.Equal(expectedM[t - 1], m[0], 1e-16);
            Assert.Equal(expectedV[t - 1], v[0], 1e-18);
        }

        // The first step moves each parameter by ≈ lr·sign(g), whatever the gradient's size (bias correction).
        float[] pf = [0f, 0f, 0f];
        float[] mf = new float[3], vf = new float[3];
        Optimizers.Adam<float>(pf, [1e-3f, -5f, 300f], mf, vf, 0.01f, 0.9f, 0.999f, 1e-8f, 1);
        Assert.Equal(-0.01f, pf[0], 1e-6f);
        Assert.Equal(0.01f, pf[1], 1e-6f);
        Assert.Equal(-0.01f, pf[2], 1e-6f);
    }

    [Fact]
    public void AdaGrad_ThreeSteps_ValuesFromTorchOptim()
    {
        // torch.optim.Adagrad(lr=0.1, eps=1e-10) in float64, gradients 0.5, −0.25, 2 (values printed by PyTorch 1.13).
        double[] expectedP = [0.90000000002, 0.9447213595619958, 0.848412677098018];
        double[] expectedSum = [0.25, 0.3125, 4.3125];
        double[] gradients = [0.5, -0.25, 2.0];
        double[] p = [1.0], sum = [0.0];
        for (int t = 0; t < 3; t++)
        {
            Optimizers.AdaGrad<double>(p, [gradients[t]], sum, 0.1, 1e-10);
            Assert.Equal(expectedP[t], p[0], 1e-15);
            Assert.Equal(expectedSum[t], sum[0], 1e-15);
        }
    }

    [Fact]
    public void RmsProp_ThreeSteps_ValuesFromTorchOptim()
    {
        // torch.optim.RMSprop(lr=0.01, alpha=0.9, eps=1e-8) in float64, gradients 0.5, −0.25, 2 (PyTorch 1.13).
        double[] expectedP = [0.968377225398316, 0.9831214201442406, 0.9524743532901446];
        double[] expectedAvg = [0.024999999999999994, 0.028749999999999994, 0.4258749999999999];
        double[] gradients = [0.5, -0.25, 2.0];
        double[] p = [1.0], avg = [0.0];
        for (int t = 0; t < 3; t++)
        {
            Optimizers.RmsProp<double>(p, [gradients[t]], avg, 0.01, 0.9, 1e-8);
            Assert.Equal(expectedP[t], p[0], 1e-15);
            Assert.Equal(expectedAvg[t], avg[0], 1e-17);
        }
    }

    [Fact]
    public void Adam_StepIsOneBased()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Adam<float>(new float[1], new float[1], new float[1], new float[1], 0.1f, 0.9f, 0.999f, 1e-8f, 0));
    }

    [Fact]
    public void MismatchedState_Throws()
    {
        Assert.Equal("v", Assert.Throws<ArgumentException>(() => Optimizers.Momentum<float>(new float[3], new float[3], new float[2], 0.1f, 0.9f)).ParamName);
        Assert.Equal("g", Assert.Throws<ArgumentException>(() => Optimizers.Sgd<float>(new float[3], new float[4], 0.1f)).ParamName);
        Assert.Equal("sum", Assert.Throws<ArgumentException>(() => Optimizers.AdaGrad<float>(new float[3], new float[3], new float[4], 0.1f, 1e-10f)).ParamName);
        Assert.Equal("squareAvg", Assert.Throws<ArgumentException>(() => Optimizers.RmsProp<float>(new float[3], new float[3], new float[1], 0.1f, 0.99f, 1e-8f)).ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(1000)]
    public void VectorAndTail_MatchScalarReference(int length)
    {
        Check<float>(length, 1e-6);
        Check<double>(length, 1e-14);
    }

    private static void Check<T>(int length, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const double Lr = 0.05, Mu = 0.9, B1 = 0.8, B2 = 0.99, Eps = 1e-6;
        T lr = T.CreateTruncating(Lr), mu = T.CreateTruncating(Mu);
        double lrD = double.CreateTruncating(lr), muD = double.CreateTruncating(mu);
        T[] p0 = TestUtil.Random<T>(length, 1);

        const double Alpha = 0.9;
        T alpha = T.CreateTruncating(Alpha);
        double alphaD = double.CreateTruncating(alpha);
        T[] pAda = (T[])p0.Clone(), pRms = (T[])p0.Clone(), sAda = new T[length], aRms = new T[length];
        double[] rAda = TestUtil.ToDouble<T>(p0), rRms = TestUtil.ToDouble<T>(p0), rsAda = new double[length], raRms = new double[length];
        T[] pSgd = (T[])p0.Clone(), pMom = (T[])p0.Clone(), pNes = (T[])p0.Clone(), pAdam = (T[])p0.Clone();
        T[] vMom = new T[length], vNes = new T[length], mAdam = new T[length], vAdam = new T[length];
        double[] rSgd = TestUtil.ToDouble<T>(p0), rMom = TestUtil.ToDouble<T>(p0), rNes = TestUtil.ToDouble<T>(p0), rAdam = TestUtil.ToDouble<T>(p0);
        double[] rvMom = new double[length], rvNes = new double[length], rmAdam = new double[length], rvAdam = new double[length];
        double b1 = double.CreateTruncating(T.CreateTruncating(B1)), b2 = double.CreateTruncating(T.CreateTruncating(B2));
        double eps = double.CreateTruncating(T.CreateTruncating(Eps));

        for (int step = 1; step <= 4; step++)
        {
            T[] g = TestUtil.Random<T>(length, 100 + step);
            double[] gd = TestUtil.ToDouble<T>(g);
            Optimizers.Sgd<T>(pSgd, g, lr);
            Optimizers.Momentum<T>(pMom, g, vMom, lr, mu);
            Optimizers.Nesterov<T>(pNes, g, vNes, lr, mu);
            Optimizers.Adam<T>(pAdam, g, mAdam, vAdam, lr, T.CreateTruncating(B1), T.CreateTruncating(B2), T.CreateTruncating(Eps), step);
            Optimizers.AdaGrad<T>(pAda, g, sAda, lr, T.CreateTruncating(Eps));
            Optimizers.RmsProp<T>(pRms, g, aRms, lr, alpha, T.CreateTruncating(Eps));
            for (int i = 0; i < length; i++)
            {
                rsAda[i] += gd[i] * gd[i];
                rAda[i] -= lrD * gd[i] / (Math.Sqrt(rsAda[i]) + eps);
                raRms[i] = (alphaD * raRms[i]) + ((1 - alphaD) * gd[i] * gd[i]);
                rRms[i] -= lrD * gd[i] / (Math.Sqrt(raRms[i]) + eps);
                rSgd[i] -= lrD * gd[i];
                rvMom[i] = (muD * rvMom[i]) + gd[i];
                rMom[i] -= lrD * rvMom[i];
                rvNes[i] = (muD * rvNes[i]) + gd[i];
                rNes[i] -= lrD * (gd[i] + (muD * rvNes[i]));
                rmAdam[i] = (b1 * rmAdam[i]) + ((1 - b1) * gd[i]);
                rvAdam[i] = (b2 * rvAdam[i]) + ((1 - b2) * gd[i] * gd[i]);
                double mHat = rmAdam[i] / (1 - Math.Pow(b1, step));
                double denominator = (Math.Sqrt(rvAdam[i]) / Math.Sqrt(1 - Math.Pow(b2, step))) + eps;
                rAdam[i] -= lrD * mHat / denominator;
            }
        }

        TestUtil.AssertClose<T>(rSgd, pSgd, tolerance, 0, "sgd");
        TestUtil.AssertClose<T>(rMom, pMom, tolerance, 0, "momentum");
        TestUtil.AssertClose<T>(rvMom, vMom, tolerance, 0, "momentum v");
        TestUtil.AssertClose<T>(rNes, pNes, tolerance, 0, "nesterov");
        TestUtil.AssertClose<T>(rAdam, pAdam, tolerance, 0, "adam");
        TestUtil.AssertClose<T>(rmAdam, mAdam, tolerance, 0, "adam m");
        TestUtil.AssertClose<T>(rvAdam, vAdam, tolerance, 0, "adam v");
        TestUtil.AssertClose<T>(rAda, pAda, tolerance, 0, "adagrad");
        TestUtil.AssertClose<T>(rsAda, sAda, tolerance, 0, "adagrad sum");
        TestUtil.AssertClose<T>(rRms, pRms, tolerance, 0, "rmsprop");
        TestUtil.AssertClose<T>(raRms, aRms, tolerance, 0, "rmsprop square_avg");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1003)]
    public void EveryElement_HasTheBitsOfTheScalarFormulaInPyTorchsOrder(int length)
    {
        // Vector lanes and the scalar tail must both compute exactly the formula below, operation by operation in T
        // (no fused multiply-add, no reassociation): then a parameter's update does not depend on where it falls.
        Bits<float>(length);
        Bits<double>(length);
    }

    private static void Bits<T>(int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(0.05), mu = T.CreateTruncating(0.9), b1 = T.CreateTruncating(0.8), b2 = T.CreateTruncating(0.99);
        T eps = T.CreateTruncating(1e-6), alpha = T.CreateTruncating(0.9);
        T oneMinusB1 = T.CreateTruncating(1.0 - double.CreateTruncating(b1)), oneMinusB2 = T.CreateTruncating(1.0 - double.CreateTruncating(b2));
        T oneMinusAlpha = T.CreateTruncating(1.0 - double.CreateTruncating(alpha));
        T[] p0 = TestUtil.Random<T>(length, 1);
        foreach (string rule in new[] { "momentum", "nesterov", "adam", "adagrad", "rmsprop" })
        {
            T[] p = (T[])p0.Clone(), m = new T[length], v = new T[length];
            T[] rp = (T[])p0.Clone(), rm = new T[length], rv = new T[length];
            for (int step = 1; step <= 3; step++)
            {
                T[] g = TestUtil.Random<T>(length, 100 + step);
                T negStep = T.CreateTruncating(-(double.CreateTruncating(lr) / (1.0 - Math.Pow(double.CreateTruncating(b1), step))));
                T bc2 = T.CreateTruncating(Math.Sqrt(1.0 - Math.Pow(double.CreateTruncating(b2), step)));
                switch (rule)
                {
                    case "momentum": Optimizers.Momentum<T>(p, g, v, lr, mu); break;
                    case "nesterov": Optimizers.Nesterov<T>(p, g, v, lr, mu); break;
                    case "adam": Optimizers.Adam<T>(p, g, m, v, lr, b1, b2, eps, step); break;
                    case "adagrad": Optimizers.AdaGrad<T>(p, g, v, lr, eps); break;
                    default: Optimizers.RmsProp<T>(p, g, v, lr, alpha, eps); break;
                }

                for (int i = 0; i < length; i++)
                {
                    T gi = g[i];
                    switch (rule)
                    {
                        case "momentum":
                            rv[i] = (rv[i] * mu) + gi;
                            rp[i] += -lr * rv[i];
                            break;
                        case "nesterov":
                            rv[i] = (rv[i] * mu) + gi;
                            rp[i] += -lr * (gi + (mu * rv[i]));
                            break;
                        case "adam":
                            rm[i] = (rm[i] * b1) + (oneMinusB1 * gi);
                            rv[i] = (rv[i] * b2) + (oneMinusB2 * gi * gi);
                            rp[i] += negStep * rm[i] / ((T.Sqrt(rv[i]) / bc2) + eps);
                            break;
                        case "adagrad":
                            rv[i] += gi * gi;
                            rp[i] += -lr * (gi / (T.Sqrt(rv[i]) + eps));
                            break;
                        default:
                            rv[i] = (rv[i] * alpha) + (oneMinusAlpha * gi * gi);
                            rp[i] += -lr * (gi / (T.Sqrt(rv[i]) + eps));
                            break;
                    }
                }
            }

            Assert.True(rp.AsSpan().SequenceEqual(p), $"{rule} ({typeof(T).Name}): p differs from the scalar formula");
            Assert.True(rv.AsSpan().SequenceEqual(v), $"{rule} ({typeof(T).Name}): state differs from the scalar formula");
            Assert.True(rm.AsSpan().SequenceEqual(m), $"{rule} ({typeof(T).Name}): m differs from the scalar formula");
            Assert.False(p0.AsSpan().SequenceEqual(p), $"{rule}: nothing was updated");
        }
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adam")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    public void LargeArenas_SplitOverCores_GiveTheBitsOfSmallSerialCalls(string rule)
    {
        // 200,003 elements: above Optimizers.ParallelThreshold, so one call runs on every core. The same update applied
        // to 64-aligned slices below the threshold runs serially; both must agree bit for bit.
        const int n = 200_003;
        Assert.True(n >= Optimizers.ParallelThreshold);
        float[] p0 = TestUtil.Random<float>(n, 1), g = TestUtil.Random<float>(n, 2), m0 = TestUtil.Random<float>(n, 3), v0 = TestUtil.Random<float>(n, 4);
        for (int i = 0; i < n; i++)
        {
            v0[i] = Math.Abs(v0[i]); // a second moment is never negative
        }

        float[] p1 = (float[])p0.Clone(), m1 = (float[])m0.Clone(), v1 = (float[])v0.Clone();
        Apply(rule, p1, g, m1, v1);

        float[] p2 = (float[])p0.Clone(), m2 = (float[])m0.Clone(), v2 = (float[])v0.Clone();
        const int slice = 64 * 500;
        for (int start = 0; start < n; start += slice)
        {
            int len = Math.Min(slice, n - start);
            Apply(rule, p2.AsSpan(start, len), g.AsSpan(start, len), m2.AsSpan(start, len), v2.AsSpan(start, len));
        }

        Assert.Equal(p2, p1);
        Assert.Equal(m2, m1);
        Assert.Equal(v2, v1);
        Assert.NotEqual(p0, p1);
    }

    private static void Apply(string rule, Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v)
    {
        switch (rule)
        {
            case "sgd": Optimizers.Sgd(p, g, 0.1f); break;
            case "momentum": Optimizers.Momentum(p, g, v, 0.1f, 0.9f); break;
            case "nesterov": Optimizers.Nesterov(p, g, v, 0.1f, 0.9f); break;
            case "adagrad": Optimizers.AdaGrad(p, g, v, 0.1f, 1e-10f); break;
            case "rmsprop": Optimizers.RmsProp(p, g, v, 0.01f, 0.99f, 1e-8f); break;
            default: Optimizers.Adam(p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 7); break;
        }
    }
}
