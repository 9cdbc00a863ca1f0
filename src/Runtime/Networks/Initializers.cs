using System;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace NetGen;

/// <summary>
/// Parameter initialisation from counter-based streams: element i of a tensor depends only on (key, i), so the result
/// is the same on any machine, thread count or backend.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Initializers
{
    /// <summary>destination[i] = std · Normal(key, i).</summary>
    public static void Normal<T>(Span<T> destination, double std, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateTruncating(std * CounterRng.Normal(key, (ulong)i));
        }
    }

    /// <summary>destination[i] = limit · (2·UniformDouble(key, i) − 1), i.e. U[−limit, limit).</summary>
    public static void Uniform<T>(Span<T> destination, double limit, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateTruncating(limit * ((2.0 * CounterRng.UniformDouble(key, (ulong)i)) - 1.0));
        }
    }

    /// <summary>
    /// Sparse initialisation (Martens 2010, "Deep learning via Hessian-free optimization", §5; the CS231n notes): each
    /// row r of the [rows, n] matrix (one unit's incoming weights) has exactly min(count, n) non-zero weights
    /// std · Normal(key, r·n + c), at columns c chosen uniformly without replacement; every other weight is 0.
    /// </summary>
    /// <remarks>
    /// The columns of row r come from a partial Fisher–Yates shuffle of 0..n−1: for j = 0..count−1, swap position j
    /// with position j + ⌊u_j·(n − j)⌋, u_j = UniformDouble(Derive(Derive(key, <see cref="SparseSelect"/>), r), j).
    /// <see cref="SparseSelect"/> = 2⁶⁴ − 1 is never an element index of the values' stream, so the choice and the
    /// values are independent.
    /// </remarks>
    /// <param name="destination">The [rows, n] weight, row-major (a convolution's [O, C, k, k] is [O, C·k·k]).</param>
    /// <param name="rows">Number of units (the weight's first dimension).</param>
    /// <param name="count">Non-zero weights per unit, ≥ 1 (10 in the notes, 15 in Martens 2010).</param>
    /// <param name="std">Standard deviation of the non-zero weights.</param>
    /// <param name="key">The tensor's key.</param>
    public static void Sparse<T>(Span<T> destination, int rows, int count, double std, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (rows <= 0 || destination.Length % rows != 0)
        {
            throw new ArgumentException($"A sparse initialisation needs a [rows, n] tensor; {destination.Length} values are not {rows} rows.", nameof(rows));
        }

        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A sparse initialisation needs at least one non-zero weight per unit.");
        }

        int n = destination.Length / rows;
        int k = Math.Min(count, n);
        var columns = new int[n];
        ulong select = CounterRng.Derive(key, SparseSelect);
        destination.Clear();
        for (int r = 0; r < rows; r++)
        {
            ulong rowKey = CounterRng.Derive(select, (ulong)r);
            for (int c = 0; c < n; c++)
            {
                columns[c] = c;
            }

            for (int j = 0; j < k; j++)
            {
                int pick = j + (int)(CounterRng.UniformDouble(rowKey, (ulong)j) * (n - j));
                (columns[j], columns[pick]) = (columns[pick], columns[j]);
                int i = (r * n) + columns[j];
                destination[i] = T.CreateTruncating(std * CounterRng.Normal(key, (ulong)i));
            }
        }
    }

    /// <summary>The child of a tensor's key that picks the columns of <see cref="Sparse"/> (2⁶⁴ − 1).</summary>
    public const ulong SparseSelect = ulong.MaxValue;

    /// <summary>
    /// Orthogonal initialisation (Saxe et al. 2014, "Exact solutions to the nonlinear dynamics of learning in deep linear
    /// neural networks"), exactly as PyTorch's <c>nn.init.orthogonal_(W, gain)</c> computes it from its normals:
    /// A[rows, n] with A[i] = Normal(key, i); if rows &lt; n, A = Aᵀ; A = Q·R (thin QR); Q = Q·diag(sign(diag R));
    /// if rows &lt; n, Q = Qᵀ; W = gain · Q. So WᵀW = gain²·I when rows ≥ n, and WWᵀ = gain²·I when rows &lt; n.
    /// </summary>
    /// <remarks>
    /// The QR factorisation is MathNet.Numerics' (Householder reflections, already a dependency of the runtime). The sign
    /// correction makes R's diagonal positive, which makes the factorisation unique, so the result does not depend on
    /// the QR implementation's sign conventions (LAPACK's in PyTorch, MathNet's here).
    /// </remarks>
    /// <param name="destination">The [rows, n] weight, row-major (a convolution's [O, C, k, k] is [O, C·k·k]).</param>
    /// <param name="rows">The weight's first dimension.</param>
    /// <param name="gain">Scale of the orthogonal matrix (PyTorch's <c>gain</c>, default 1).</param>
    /// <param name="key">The tensor's key.</param>
    public static void Orthogonal<T>(Span<T> destination, int rows, double gain, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (rows <= 0 || destination.Length % rows != 0)
        {
            throw new ArgumentException($"An orthogonal initialisation needs a [rows, n] tensor; {destination.Length} values are not {rows} rows.", nameof(rows));
        }

        int n = destination.Length / rows;
        bool wide = rows < n;
        int tall = wide ? n : rows, narrow = wide ? rows : n;
        // a[i, j] of the tall matrix: element (i, j) of A, or (j, i) when A was transposed.
        Matrix<double> a = Matrix<double>.Build.Dense(tall, narrow, (i, j) => CounterRng.Normal(key, (ulong)(wide ? (j * n) + i : (i * n) + j)));
        var qr = a.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
        Matrix<double> q = qr.Q, r = qr.R;
        for (int j = 0; j < narrow; j++)
        {
            double sign = Math.Sign(r[j, j]);
            for (int i = 0; i < tall; i++)
            {
                q[i, j] *= sign;
            }
        }

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < n; j++)
            {
                destination[(i * n) + j] = T.CreateTruncating(gain * (wide ? q[j, i] : q[i, j]));
            }
        }
    }
}
