using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>
/// AMSGrad, RMSProp with momentum and/or centered, AdaDelta and AdamW's decoupled decay at the kernel level: every element
/// gets the bits of the scalar formula in PyTorch's order (vector lanes and tail alike), large arenas split over cores
/// give the bits of serial calls, hand values from torch.optim, bad state spans throw; and the three forms of Nesterov
/// momentum give the same iterates.
/// </summary>
public class OptimizerVariantTests
{
    private static readonly string[] Rules = { "amsgrad", "rmsprop_momentum", "rmsprop_centered", "rmsprop_centered_momentum", "adadelta" };

    /// <summary>One step of <paramref name="rule"/> through the kernel; m, v, w are its state arrays in the kernel's order.</summary>
    private static void Apply<T>(string rule, Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> w, int step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(0.05), eps = T.CreateTruncating(1e-6);
        switch (rule)
        {
            case "amsgrad": Optimizers.AmsGrad<T>(p, g, m, v, w, lr, T.CreateTruncating(0.8), T.CreateTruncating(0.9), eps, step); break;
            case "rmsprop_momentum": Optimizers.RmsProp<T>(p, g, v, m, default, lr, T.CreateTruncating(0.9), eps, T.CreateTruncating(0.7)); break;
            case "rmsprop_centered": Optimizers.RmsProp<T>(p, g, v, default, w, lr, T.CreateTruncating(0.9), eps, T.Zero); break;
            case "rmsprop_centered_momentum": Optimizers.RmsProp<T>(p, g, v, m, w, lr, T.CreateTruncating(0.9), eps, T.CreateTruncating(0.7)); break;
            default: Optimizers.AdaDelta<T>(p, g, v, m, lr, T.CreateTruncating(0.9), eps); break;
        }
    }

    /// <summary>The same step, one element at a time, in T, in PyTorch's order of operations.</summary>
    private static void Scalar<T>(string rule, ref T p, T g, ref T m, ref T v, ref T w, int step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(0.05), eps = T.CreateTruncating(1e-6);
        switch (rule)
        {
            case "amsgrad":
            {
                T b1 = T.CreateTruncating(0.8), b2 = T.CreateTruncating(0.9);
                T negStep = T.CreateTruncating(-(double.CreateTruncating(lr) / (1.0 - Math.Pow(double.CreateTruncating(b1), step))));
                T bc2 = T.CreateTruncating(Math.Sqrt(1.0 - Math.Pow(double.CreateTruncating(b2), step)));
                m = (m * b1) + (T.CreateTruncating(1.0 - double.CreateTruncating(b1)) * g);
                v = (v * b2) + (T.CreateTruncating(1.0 - double.CreateTruncating(b2)) * g * g);
                w = T.Max(w, v);
                p += negStep * m / ((T.Sqrt(w) / bc2) + eps);
                break;
            }

            case "adadelta":
            {
                T rho = T.CreateTruncating(0.9), oneMinusRho = T.CreateTruncating(1.0 - double.CreateTruncating(rho));
                v = (v * rho) + (oneMinusRho * g * g);
                T delta = T.Sqrt(m + eps) / T.Sqrt(v + eps) * g;
                m = (m * rho) + (oneMinusRho * delta * delta);
                p += -lr * delta;
                break;
            }

            default:
            {
                T alpha = T.CreateTruncating(0.9), oneMinusAlpha = T.CreateTruncating(1.0 - double.CreateTruncating(alpha));
                v = (v * alpha) + (oneMinusAlpha * g * g);
                T average = v;
                if (rule != "rmsprop_momentum")
                {
                    w = (w * alpha) + (oneMinusAlpha * g);
                    average = v + (-T.One * w * w);
                }

                T denominator = T.Sqrt(average) + eps;
                if (rule == "rmsprop_centered")
                {
                    p += -lr * (g / denominator);
                }
                else
                {
                    m = (m * T.CreateTruncating(0.7)) + (g / denominator);
                    p += -lr * m;
                }

                break;
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1003)]
    public void EveryElement_HasTheBitsOfTheScalarFormulaInPyTorchsOrder(int length)
    {
        Bits<float>(length);
        Bits<double>(length);
    }

    private static void Bits<T>(int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] p0 = TestUtil.Random<T>(length, 1);
        foreach (string rule in Rules)
        {
            T[] p = (T[])p0.Clone(), m = new T[length], v = new T[length], w = new T[length];
            T[] rp = (T[])p0.Clone(), rm = new T[length], rv = new T[length], rw = new T[length];
            for (int step = 1; step <= 4; step++)
            {
                T[] g = TestUtil.Random<T>(length, 100 + step);
                if (step == 3)
                {
                    for (int i = 0; i < length; i++)
                    {
                        g[i] *= T.CreateTruncating(0.01); // small gradients: AMSGrad's maximum keeps the old second moment
                    }
                }

                Apply<T>(rule, p, g, m, v, w, step);
                for (int i = 0; i < length; i++)
                {
                    Scalar(rule, ref rp[i], g[i], ref rm[i], ref rv[i], ref rw[i], step);
                }
            }

            Assert.True(rp.AsSpan().SequenceEqual(p), $"{rule} ({typeof(T).Name}): p differs from the scalar formula");
            Assert.True(rm.AsSpan().SequenceEqual(m), $"{rule} ({typeof(T).Name}): m differs from the scalar formula");
            Assert.True(rv.AsSpan().SequenceEqual(v), $"{rule} ({typeof(T).Name}): v differs from the scalar formula");
            Assert.True(rw.AsSpan().SequenceEqual(w), $"{rule} ({typeof(T).Name}): w differs from the scalar formula");
            Assert.False(p0.AsSpan().SequenceEqual(p), $"{rule}: nothing was updated");
            if (rule == "amsgrad")
            {
                Assert.False(w.AsSpan().SequenceEqual(v), "amsgrad: the maximum never differed from the second moment");
            }
        }
    }

    [Theory]
    [InlineData("amsgrad")]
    [InlineData("rmsprop_momentum")]
    [InlineData("rmsprop_centered")]
    [InlineData("rmsprop_centered_momentum")]
    [InlineData("adadelta")]
    public void LargeArenas_SplitOverCores_GiveTheBitsOfSmallSerialCalls(string rule)
    {
        const int n = 200_003;
        Assert.True(n >= Optimizers.ParallelThreshold);
        float[] p0 = TestUtil.Random<float>(n, 1), g = TestUtil.Random<float>(n, 2), m0 = TestUtil.Random<float>(n, 3);
        float[] v0 = TestUtil.Random<float>(n, 4), w0 = TestUtil.Random<float>(n, 5);
        for (int i = 0; i < n; i++)
        {
            v0[i] = Math.Abs(v0[i]) + 1; // second moments: never negative, and above the squared mean
            w0[i] = rule == "amsgrad" ? Math.Abs(w0[i]) : w0[i] * 0.1f;
            m0[i] = rule == "adadelta" ? Math.Abs(m0[i]) : m0[i];
        }

        float[] p1 = (float[])p0.Clone(), m1 = (float[])m0.Clone(), v1 = (float[])v0.Clone(), w1 = (float[])w0.Clone();
        Apply<float>(rule, p1, g, m1, v1, w1, 5);

        float[] p2 = (float[])p0.Clone(), m2 = (float[])m0.Clone(), v2 = (float[])v0.Clone(), w2 = (float[])w0.Clone();
        const int slice = 64 * 500;
        for (int start = 0; start < n; start += slice)
        {
            int len = Math.Min(slice, n - start);
            Apply<float>(rule, p2.AsSpan(start, len), g.AsSpan(start, len), m2.AsSpan(start, len), v2.AsSpan(start, len), w2.AsSpan(start, len), 5);
        }

        Assert.Equal(p2, p1);
        Assert.Equal(m2, m1);
        Assert.Equal(v2, v1);
        Assert.Equal(w2, w1);
        Assert.NotEqual(p0, p1);
    }

    [Fact]
    public void AdaDelta_ThreeSteps_ValuesFromTorchOptim()
    {
        // torch.optim.Adadelta(lr=1.0, rho=0.9, eps=1e-6) in float64, gradients 0.5, −0.25, 2 (printed by PyTorch 1.13).
        double[] expectedP = [0.9968377855834876, 0.9989228726112789, 0.9942400676040739];
        double[] gradients = [0.5, -0.25, 2.0];
        double[] p = [1.0], squareAvg = [0.0], accDelta = [0.0];
        for (int t = 0; t < 3; t++)
        {
            Optimizers.AdaDelta<double>(p, [gradients[t]], squareAvg, accDelta, 1.0, 0.9, 1e-6);
            Assert.Equal(expectedP[t], p[0], 1e-15);
        }
    }

    [Fact]
    public void DecoupledWeightDecay_MultipliesByOneMinusLrLambda()
    {
        float[] p = [2f, -4f, 0f];
        Optimizers.DecoupledWeightDecay<float>(p, 0.1, 0.5);
        Assert.Equal([2f * 0.95f, -4f * 0.95f, 0f], p);
    }

    [Fact]
    public void MismatchedOrMissingState_Throws()
    {
        Assert.Equal("vMax", Assert.Throws<ArgumentException>(() => Optimizers.AmsGrad<float>(new float[3], new float[3], new float[3], new float[3], new float[2], 0.1f, 0.9f, 0.999f, 1e-8f, 1)).ParamName);
        Assert.Equal("momentumBuffer", Assert.Throws<ArgumentException>(() => Optimizers.RmsProp<float>(new float[3], new float[3], new float[3], default, default, 0.1f, 0.99f, 1e-8f, 0.9f)).ParamName);
        Assert.Equal("gradAvg", Assert.Throws<ArgumentException>(() => Optimizers.RmsProp<float>(new float[3], new float[3], new float[3], default, new float[4], 0.1f, 0.99f, 1e-8f, 0f)).ParamName);
        Assert.Equal("accDelta", Assert.Throws<ArgumentException>(() => Optimizers.AdaDelta<float>(new float[3], new float[3], new float[3], new float[1], 1f, 0.9f, 1e-6f)).ParamName);
        float[] p = [1f, 2f, 3f];
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.AmsGrad<float>(p, new float[3], new float[3], new float[3], new float[3], 0.1f, 0.9f, 0.999f, 1e-8f, 0));
        Assert.Equal([1f, 2f, 3f], p); // nothing moved
    }

    [Fact]
    public void Nesterov_TheNotesFormAndPyTorchsFormGiveTheSameIterates()
    {
        // f(x) = ½·Σ a_i·x_i² + Σ b_i·x_i (gradient a⊙x + b), μ = 0.9, lr = 0.05, 200 steps in float64.
        //   look-ahead form (Nesterov 1983; Sutskever et al. 2013):  v ← μ·v − lr·∇f(θ + μ·v);  θ ← θ + v
        //   the notes' form, storing x = θ + μ·v:                     v_prev = v;  v ← μ·v − lr·∇f(x);  x ← x − μ·v_prev + (1 + μ)·v
        //   PyTorch's form (Optimizers.Nesterov):                     b ← μ·b + ∇f(p);  p ← p − lr·(∇f(p) + μ·b)
        // With a constant lr, p = x and b = −v / lr at every step (and x = θ + μ·v).
        const double Mu = 0.9, Lr = 0.05;
        double[] a = [1.0, 4.0, 0.5, 9.0], b = [0.3, -1.0, 0.0, 2.0];
        double[] theta = [1.0, -2.0, 3.0, 0.5];
        double[] x = (double[])theta.Clone(), p = (double[])theta.Clone();
        double[] vTheta = new double[4], vx = new double[4], buffer = new double[4], g = new double[4];
        double[] Gradient(double[] at)
        {
            var result = new double[at.Length];
            for (int i = 0; i < at.Length; i++)
            {
                result[i] = (a[i] * at[i]) + b[i];
            }

            return result;
        }

        for (int step = 0; step < 200; step++)
        {
            var ahead = new double[4];
            for (int i = 0; i < 4; i++)
            {
                ahead[i] = theta[i] + (Mu * vTheta[i]);
            }

            double[] gAhead = Gradient(ahead), gx = Gradient(x), gp = Gradient(p);
            for (int i = 0; i < 4; i++)
            {
                vTheta[i] = (Mu * vTheta[i]) - (Lr * gAhead[i]);
                theta[i] += vTheta[i];

                double vPrev = vx[i];
                vx[i] = (Mu * vx[i]) - (Lr * gx[i]);
                x[i] += (-Mu * vPrev) + ((1 + Mu) * vx[i]);
                g[i] = gp[i];
            }

            Optimizers.Nesterov<double>(p, g, buffer, Lr, Mu);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(x[i], p[i], 1e-12);
                Assert.Equal(-vx[i] / Lr, buffer[i], 1e-10);
                Assert.Equal(x[i], theta[i] + (Mu * vTheta[i]), 1e-12);
            }
        }

        // And they converge to the minimum −b/a.
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(-b[i] / a[i], p[i], 1e-3);
        }
    }
}
