using System.Numerics;

namespace NetGen.Runtime.Tests;

/// <summary>Random inputs, straightforward double-precision references and tolerance checks.</summary>
internal static class TestUtil
{
    /// <summary>Uniform values in [−1, 1) from a fixed seed.</summary>
    public static T[] Random<T>(int length, int seed)
        where T : IBinaryFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var values = new T[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating((random.NextDouble() * 2.0) - 1.0);
        }
        return values;
    }

    public static double[] ToDouble<T>(ReadOnlySpan<T> values)
        where T : IBinaryFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }
        return result;
    }

    /// <summary>Unit roundoff of <typeparamref name="T"/>: 2⁻²⁴ for float, 2⁻⁵³ for double.</summary>
    public static double Epsilon<T>()
        where T : IBinaryFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? 1.0 / (1 << 24) : 1.0 / (1UL << 53);

    /// <summary>Asserts |actual − expected| ≤ tolerance element by element, naming the first failing index.</summary>
    public static void AssertClose<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double absolute, double relative = 0, string what = "")
        where T : IBinaryFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double tolerance = absolute + (relative * Math.Abs(expected[i]));
            if (!(Math.Abs(a - expected[i]) <= tolerance))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {a:R} (tolerance {tolerance:G3}).");
            }
        }
    }

    /// <summary>C[i,j] = Σ_p A(i,p)·B(p,j) in double, with element accessors for any layout; also Σ |A||B| for tolerances.</summary>
    public static (double[] Value, double[] Magnitude) Reference(int m, int n, int k, Func<int, int, double> a, Func<int, int, double> b)
    {
        var c = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double product = a(i, p) * b(p, j);
                    s += product;
                    abs += Math.Abs(product);
                }
                c[i * n + j] = s;
                magnitude[i * n + j] = abs;
            }
        }
        return (c, magnitude);
    }
}
