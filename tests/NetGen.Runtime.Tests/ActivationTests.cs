using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class ActivationTests
{
    // 6·16 + 7: not a multiple of any register width, so vector loops and scalar tails both run.
    private const int Length = (6 * 16) + 7;

    public static TheoryData<int> Lengths => new() { 0, 1, 7, Length, 1000 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AllActivations_MatchReference_Float(int length) => CheckAll<float>(length, 4 * TestUtil.Epsilon<float>());

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AllActivations_MatchReference_Double(int length) => CheckAll<double>(length, 1e-14);

    /// <summary>ELU near 0 from below, where e^x − 1 computed by subtraction cancels (TensorPrimitives.ExpM1 lost 2.7e-4
    /// relative at x ≈ −3.6e-4): every float result within 2 ulp-scale (3e-7) relative of e^x − 1 in double, on the vector
    /// path and the scalar tail, down to |x| = 1e-30 and across the −0.5 switch to the exponential.</summary>
    [Fact]
    public void EluNearZeroIsAccurateInFloat32()
    {
        var xs = new List<float>();
        for (int e = -30; e <= 0; e++)
        {
            foreach (float m in new[] { -1f, -2.9f, -4.99f })
            {
                xs.Add(m * MathF.Pow(10, e) / 10);
            }
        }

        xs.AddRange([-0.49999997f, -0.5f, -0.50000006f, -0.7f, -3f, 0f, -0f]);
        float[] x = xs.ToArray();
        float[] y = new float[x.Length];
        Activations.EluForward<float>(x, y, 1.5f);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = 1.5 * (Math.Abs(x[i]) < 1e-5 ? x[i] + (0.5 * (double)x[i] * x[i]) : Math.Exp(x[i]) - 1);
            double error = Math.Abs(y[i] - expected);
            Assert.True(error <= 3e-7 * Math.Abs(expected) || (expected == 0 && y[i] == 0), $"ELU({x[i]:R}) = {y[i]:R}, expected {expected:R} (relative error {error / Math.Abs(expected):E2})");
        }
    }

    [Fact]
    public void Kinks_FollowPyTorch_LeftDerivativeAtZero()
    {
        float[] zero = [0f], one = [1f], dx = new float[1];
        Activations.ReLUBackward<float>(one, zero, dx);
        Assert.Equal(0f, dx[0]);
        Activations.LeakyReLUBackward<float>(one, zero, dx, 0.01f);
        Assert.Equal(0.01f, dx[0]);
        float da = Activations.PReLUBackward<float>(one, zero, dx, 0.25f);
        Assert.Equal(0.25f, dx[0]);
        Assert.Equal(0f, da);
        // ELU at 0: y = α(e⁰ − 1) = 0, so dx = dy·(0 + α) = α
        Activations.EluBackward<float>(one, zero, zero, dx, 1.5f);
        Assert.Equal(1.5f, dx[0]);
    }

    [Fact]
    public void HandValues()
    {
        float[] y = new float[4];
        Activations.ReLUForward<float>([-2f, -0f, 0.5f, 3f], y);
        Assert.Equal([0f, 0f, 0.5f, 3f], y);
        Activations.LeakyReLUForward<float>([-2f, 0f, 0.5f, 3f], y, 0.1f);
        Assert.Equal([-0.2f, 0f, 0.5f, 3f], y);
        Activations.SigmoidForward<float>([0f, 0f, 0f, 0f], y);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], y);
        double[] elu = new double[2];
        Activations.EluForward<double>([-1.0, 2.0], elu, 1.0);
        Assert.Equal(Math.Exp(-1) - 1, elu[0], 15);
        Assert.Equal(2.0, elu[1]);
    }

    [Fact]
    public void InPlace_IsAllowed()
    {
        float[] x = TestUtil.Random<float>(Length, 5);
        float[] expected = new float[Length];
        Activations.EluForward<float>(x, expected, 1f);
        Activations.EluForward<float>(x, x, 1f);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void MismatchedLengths_Throw()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Activations.ReLUForward<float>(new float[3], new float[2])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Activations.TanhBackward<float>(new float[3], new float[3], new float[4])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Activations.EluBackward<float>(new float[3], new float[3], new float[2], new float[3], 1f)).ParamName);
    }

    private static void CheckAll<T>(int length, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(length, 1);
        for (int i = 0; i < length; i += 5)
        {
            x[i] = T.Zero; // exercise the kinks
        }
        for (int i = 1; i < length; i += 11)
        {
            x[i] *= T.CreateTruncating(30); // and large magnitudes
        }
        T[] dy = TestUtil.Random<T>(length, 2);
        double[] xd = TestUtil.ToDouble<T>(x), dyd = TestUtil.ToDouble<T>(dy);
        T[] y = new T[length], dx = new T[length];
        const double Slope = 0.07, Alpha = 1.3;
        T slope = T.CreateTruncating(Slope), alpha = T.CreateTruncating(Alpha);
        double s = double.CreateTruncating(slope), a = double.CreateTruncating(alpha);

        Activations.ReLUForward<T>(x, y);
        TestUtil.AssertClose<T>(Map(xd, v => Math.Max(0, v)), y, 0, 0, "relu");
        double[] yd = TestUtil.ToDouble<T>(y);
        Activations.ReLUBackward<T>(dy, y, dx);
        TestUtil.AssertClose<T>(Map2(dyd, yd, (g, o) => o > 0 ? g : 0), dx, 0, 0, "relu'");

        Activations.LeakyReLUForward<T>(x, y, slope);
        TestUtil.AssertClose<T>(Map(xd, v => v > 0 ? v : s * v), y, 0, tolerance, "leaky");
        Activations.LeakyReLUBackward<T>(dy, x, dx, slope);
        TestUtil.AssertClose<T>(Map2(dyd, xd, (g, v) => v > 0 ? g : s * g), dx, 0, tolerance, "leaky'");

        Activations.PReLUForward<T>(x, y, slope);
        TestUtil.AssertClose<T>(Map(xd, v => v > 0 ? v : s * v), y, 0, tolerance, "prelu");
        T da = Activations.PReLUBackward<T>(dy, x, dx, slope);
        TestUtil.AssertClose<T>(Map2(dyd, xd, (g, v) => v > 0 ? g : s * g), dx, 0, tolerance, "prelu'");
        double expectedDa = 0, magnitude = 0;
        for (int i = 0; i < length; i++)
        {
            if (xd[i] <= 0)
            {
                expectedDa += dyd[i] * xd[i];
                magnitude += Math.Abs(dyd[i] * xd[i]);
            }
        }
        Assert.True(Math.Abs(double.CreateTruncating(da) - expectedDa) <= (tolerance * (magnitude + 1)) * 4, $"prelu da: expected {expectedDa}, got {da}");

        Activations.SigmoidForward<T>(x, y);
        TestUtil.AssertClose<T>(Map(xd, v => 1 / (1 + Math.Exp(-v))), y, tolerance, tolerance, "sigmoid");
        yd = TestUtil.ToDouble<T>(y);
        Activations.SigmoidBackward<T>(dy, y, dx);
        TestUtil.AssertClose<T>(Map2(dyd, yd, (g, o) => g * o * (1 - o)), dx, tolerance, tolerance, "sigmoid'");

        Activations.TanhForward<T>(x, y);
        TestUtil.AssertClose<T>(Map(xd, Math.Tanh), y, tolerance, tolerance, "tanh");
        yd = TestUtil.ToDouble<T>(y);
        Activations.TanhBackward<T>(dy, y, dx);
        TestUtil.AssertClose<T>(Map2(dyd, yd, (g, o) => g * (1 - (o * o))), dx, tolerance, tolerance, "tanh'");

        Activations.EluForward<T>(x, y, alpha);
        TestUtil.AssertClose<T>(Map(xd, v => v > 0 ? v : a * (Math.Exp(v) - 1)), y, tolerance, tolerance, "elu");
        yd = TestUtil.ToDouble<T>(y);
        T[] dx2 = new T[length];
        Activations.EluBackward<T>(dy, x, y, dx2, alpha);
        double[] expectedElu = new double[length];
        for (int i = 0; i < length; i++)
        {
            expectedElu[i] = xd[i] > 0 ? dyd[i] : dyd[i] * (yd[i] + a);
        }
        TestUtil.AssertClose<T>(expectedElu, dx2, tolerance, tolerance, "elu'");

        Activations.IdentityForward<T>(x, y);
        Assert.Equal(x, y);
        Activations.IdentityBackward<T>(dy, dx);
        Assert.Equal(dy, dx);
    }

    private static double[] Map(double[] x, Func<double, double> f) => Array.ConvertAll(x, v => f(v));

    private static double[] Map2(double[] a, double[] b, Func<double, double, double> f)
    {
        var result = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            result[i] = f(a[i], b[i]);
        }
        return result;
    }
}
