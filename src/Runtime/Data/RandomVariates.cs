using System;

namespace NetGen.Data;

/// <summary>
/// Gamma and Beta variates from the counter-based stream of a key (<see cref="CounterRng"/>): the value drawn for a key
/// is a pure function of the key, so a seed reproduces it on any thread and in any order.
/// </summary>
/// <remarks>
/// <para>Gamma(k, 1) for k ≥ 1 by Marsaglia and Tsang, "A simple method for generating gamma variables" (ACM TOMS 26(3),
/// 2000): with d = k − 1/3 and c = 1/√(9d), draw z ~ N(0, 1) and u ~ U(0, 1), set v = (1 + c·z)³, and accept d·v when
/// v &gt; 0 and (u &lt; 1 − 0.0331·z⁴ or ln u &lt; z²/2 + d·(1 − v + ln v)); otherwise draw again (the acceptance rate is
/// above 95 %). For k &lt; 1 the same paper's boost: Gamma(k) = Gamma(k + 1) · U^(1/k), kept in logarithms so that
/// small k (U^(1/k) underflows to 0 for k = 0.05) stays exact.</para>
/// <para>Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) independent, computed as 1 / (1 + e^(ln Y − ln X)).</para>
/// <para>Keys: attempt t of the Marsaglia–Tsang loop takes normal t of <c>Derive(key, 0)</c> and uniform t of
/// <c>Derive(key, 1)</c>; the boost runs the loop on <c>Derive(key, 0)</c> and takes its uniform from
/// <c>Derive(key, 1)</c>; Beta draws X from <c>Derive(key, 0)</c> and Y from <c>Derive(key, 1)</c>.</para>
/// </remarks>
public static class RandomVariates
{
    /// <summary>ln X, X ~ Gamma(shape, 1) (mean and variance = shape), drawn from <paramref name="key"/>.</summary>
    /// <param name="shape">k &gt; 0, finite.</param>
    /// <param name="key">A key from <see cref="CounterRng.Key"/> (or a child of one).</param>
    /// <returns>The logarithm of a Gamma(shape, 1) variate.</returns>
    public static double LogGamma(double shape, ulong key)
    {
        CheckShape(shape, nameof(shape));
        if (shape >= 1)
        {
            return Math.Log(MarsagliaTsang(shape, key));
        }

        // Boost: Gamma(k) = Gamma(k + 1) · U^(1/k); the uniform comes from a separate child key. 1 − U is in (0, 1].
        double u = 1.0 - CounterRng.UniformDouble(CounterRng.Derive(key, 1), 0);
        return Math.Log(MarsagliaTsang(shape + 1, CounterRng.Derive(key, 0))) + (Math.Log(u) / shape);
    }

    /// <summary>X ~ Gamma(shape, 1), drawn from <paramref name="key"/> (may be 0 for a very small shape).</summary>
    /// <param name="shape">k &gt; 0, finite.</param>
    /// <param name="key">A key.</param>
    /// <returns>A Gamma(shape, 1) variate: mean k, variance k.</returns>
    public static double Gamma(double shape, ulong key) => Math.Exp(LogGamma(shape, key));

    /// <summary>λ ~ Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b): mean a/(a + b), variance ab/((a + b)²(a + b + 1)).</summary>
    /// <param name="a">α &gt; 0, finite.</param>
    /// <param name="b">β &gt; 0, finite.</param>
    /// <param name="key">A key.</param>
    /// <returns>A value in [0, 1].</returns>
    public static double Beta(double a, double b, ulong key)
    {
        CheckShape(a, nameof(a));
        CheckShape(b, nameof(b));
        double logX = LogGamma(a, CounterRng.Derive(key, 0));
        double logY = LogGamma(b, CounterRng.Derive(key, 1));
        return 1.0 / (1.0 + Math.Exp(logY - logX));
    }

    // d·v for k ≥ 1 (Marsaglia–Tsang); attempt t uses normal t (uniforms 2t, 2t+1 of the normal key) and uniform t.
    private static double MarsagliaTsang(double shape, ulong key)
    {
        double d = shape - (1.0 / 3.0);
        double c = 1.0 / Math.Sqrt(9.0 * d);
        ulong normals = CounterRng.Derive(key, 0), uniforms = CounterRng.Derive(key, 1);
        for (ulong t = 0; ; t++)
        {
            double z = CounterRng.Normal(normals, t);
            double v = 1.0 + (c * z);
            if (v <= 0)
            {
                continue;
            }
            v = v * v * v;
            double u = 1.0 - CounterRng.UniformDouble(uniforms, t); // (0, 1]: ln u is finite
            double z2 = z * z;
            if (u < 1.0 - (0.0331 * z2 * z2) || Math.Log(u) < (0.5 * z2) + (d * (1.0 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private static void CheckShape(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "A Gamma or Beta shape must be finite and > 0.");
        }
    }
}
