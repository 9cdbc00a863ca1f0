using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NetGen.Kernels;

/// <summary>
/// L2 regularisation: <c>Σ w²</c> for reporting the penalty, and the gradient <c>λw</c> (that of <c>½λ Σ w²</c>,
/// which is what PyTorch's <c>weight_decay = λ</c> adds to the gradient).
/// </summary>
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
}
