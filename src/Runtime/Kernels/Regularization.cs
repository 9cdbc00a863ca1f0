using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NetGen.Kernels;

/// <summary>
/// Regularisation: L2, <c>Σ w²</c> for reporting the penalty ½λΣw² and the gradient <c>λw</c> (what PyTorch's
/// <c>weight_decay = λ</c> adds to the gradient); L1, <c>Σ|w|</c> and the subgradient <c>λ₁·sign(w)</c> with sign(0) = 0;
/// and the max-norm projection of each unit's incoming weights after an update (<c>torch.renorm</c>).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Regularization
{
    /// <summary>Σ w², accumulated in double</summary>
    /// <param name="w">Weights.</param>
    /// <returns>The sum of squares, in double whatever <typeparamref name="T"/> is.</returns>
    public static double SumOfSquares<T>(ReadOnlySpan<T> w)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            ReadOnlySpan<double> d = MemoryMarshal.Cast<T, double>(w);
            return TensorPrimitives.Dot(d, d);
        }

        double sum = 0.0;
        int i = 0;
        if (typeof(T) == typeof(float) && Vector.IsHardwareAccelerated)
        {
            // Widen each register of floats to two registers of doubles and accumulate those: exact squares,
            // double sums, still vectorised.
            ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<T, Vector<float>>(w);
            Vector<double> acc0 = Vector<double>.Zero;
            Vector<double> acc1 = Vector<double>.Zero;
            foreach (Vector<float> v in vectors)
            {
                Vector.Widen(v, out Vector<double> lo, out Vector<double> hi);
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector.Sum(acc0 + acc1);
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < w.Length; i++)
        {
            double v = double.CreateTruncating(w[i]);
            sum += v * v;
        }
        return sum;
    }

    /// <summary>dw += λ · w</summary>
    /// <param name="w">Weights.</param>
    /// <param name="dw">Their gradient (accumulated).</param>
    /// <param name="lambda">λ, the L2 strength.</param>
    public static void AddL2Gradient<T>(ReadOnlySpan<T> w, Span<T> dw, T lambda)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(dw.Length, w.Length, nameof(dw));
        TensorPrimitives.MultiplyAdd(w, lambda, dw, dw);
    }

    /// <summary>Σ |w|, accumulated in double</summary>
    /// <param name="w">Weights.</param>
    /// <returns>The sum of absolute values, in double whatever <typeparamref name="T"/> is.</returns>
    public static double SumOfAbsolutes<T>(ReadOnlySpan<T> w)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double sum = 0.0;
        foreach (T v in w)
        {
            sum += Math.Abs(double.CreateTruncating(v));
        }
        return sum;
    }

    /// <summary>dw += λ₁ · sign(w), sign(0) = 0 (PyTorch's <c>abs</c> backward: a weight at exactly 0 is not pushed)</summary>
    /// <param name="w">Weights.</param>
    /// <param name="dw">Their gradient (accumulated).</param>
    /// <param name="lambda">λ₁, the L1 strength.</param>
    public static void AddL1Gradient<T>(ReadOnlySpan<T> w, Span<T> dw, T lambda)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(dw.Length, w.Length, nameof(dw));
        for (int i = 0; i < w.Length; i++)
        {
            T v = w[i];
            if (v > T.Zero)
            {
                dw[i] += lambda;
            }
            else if (v < T.Zero)
            {
                dw[i] -= lambda;
            }
        }
    }

    /// <summary>For each of the <paramref name="units"/> rows w_u of <paramref name="w"/>: if ‖w_u‖₂ &gt; c, w_u ← w_u · c/(‖w_u‖₂ + 1e-7)</summary>
    /// <param name="w">Weights [units, fanIn] (a Dense weight; a Conv2D weight [O, C, k, k] is [O, C·k·k]), changed in place.</param>
    /// <param name="units">Rows: output units or filters.</param>
    /// <param name="maxNorm">c &gt; 0.</param>
    /// <returns>How many rows were rescaled.</returns>
    /// <remarks>The same arithmetic as <c>torch.renorm(w, p=2, dim=0, maxnorm=c)</c>, including its 1e-7 guard, so a rescaled
    /// row ends just under c (by about 1e-7·c/‖w‖). The norm is taken in double and the factor rounded once to
    /// <typeparamref name="T"/>.</remarks>
    public static int MaxNorm<T>(Span<T> w, int units, double maxNorm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (units <= 0 || w.Length % units != 0)
        {
            throw new ArgumentException($"{w.Length} weights do not split into {units} rows.", nameof(units));
        }
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The max-norm c must be finite and > 0.");
        }

        int fanIn = w.Length / units;
        int rescaled = 0;
        for (int u = 0; u < units; u++)
        {
            Span<T> row = w.Slice(u * fanIn, fanIn);
            double norm = Math.Sqrt(SumOfSquares<T>(row));
            if (norm > maxNorm)
            {
                TensorPrimitives.Multiply(row, T.CreateTruncating(maxNorm / (norm + 1e-7)), row);
                rescaled++;
            }
        }
        return rescaled;
    }

    /// <summary>The Lagrangian term of the explicit constraint Ω(W) = ½·‖W‖²_F ≤ k: α·(Ω(W) − k), in double.</summary>
    /// <param name="w">The constrained weights.</param>
    /// <param name="alpha">The multiplier α ≥ 0 (one element).</param>
    /// <param name="bound">k &gt; 0.</param>
    public static double ConstraintPenalty<T>(ReadOnlySpan<T> w, ReadOnlySpan<T> alpha, double bound)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        double.CreateTruncating(alpha[0]) * ((0.5 * SumOfSquares(w)) - bound);

    /// <summary>The gradient of α·(½·‖W‖²_F − k) at fixed α: dW += α·W (nothing while α = 0).</summary>
    /// <param name="w">The constrained weights.</param>
    /// <param name="dw">Their gradient, added to.</param>
    /// <param name="alpha">The multiplier α ≥ 0 (one element).</param>
    public static void AddConstraintGradient<T>(ReadOnlySpan<T> w, Span<T> dw, ReadOnlySpan<T> alpha)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(dw.Length, w.Length, nameof(dw));
        if (alpha[0] != T.Zero)
        {
            TensorPrimitives.MultiplyAdd(w, alpha[0], dw, dw);
        }
    }

    /// <summary>One dual ascent step on the multiplier of Ω(W) = ½·‖W‖²_F ≤ k (Goodfellow et al., Deep Learning §7.2):
    /// α ← max(0, α + ρ·(Ω(W) − k)), Ω taken in double, α rounded once to <typeparamref name="T"/>.</summary>
    /// <param name="w">The constrained weights, after the parameter step.</param>
    /// <param name="alpha">The multiplier (one element), changed in place.</param>
    /// <param name="bound">k &gt; 0.</param>
    /// <param name="rate">ρ &gt; 0.</param>
    /// <returns>Ω(W) − k, the constraint's violation (≤ 0 when it holds).</returns>
    public static double DualAscent<T>(ReadOnlySpan<T> w, Span<T> alpha, double bound, double rate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(bound > 0) || double.IsInfinity(bound) || !(rate > 0) || double.IsInfinity(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(bound), $"The bound k ({bound}) and the dual rate ρ ({rate}) must be finite and > 0.");
        }

        double violation = (0.5 * SumOfSquares(w)) - bound;
        alpha[0] = T.CreateTruncating(Math.Max(0.0, double.CreateTruncating(alpha[0]) + (rate * violation)));
        return violation;
    }
}
