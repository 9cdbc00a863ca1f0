using System;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace NetGen.Data;

/// <summary>
/// The eigen-decomposition <c>A = U·diag(λ)·Uᵀ</c> of a real symmetric matrix, in double, with NetGen's order and sign
/// convention: eigenvalues by decreasing value, and each eigenvector's largest-magnitude component positive (the first
/// such component on a tie), so that the result does not depend on the solver's arbitrary signs.
/// </summary>
/// <remarks>
/// The decomposition itself is MathNet.Numerics' managed symmetric solver (Householder reduction to tridiagonal form,
/// then the implicit QL algorithm): docs/adr/0014-eigen-decomposition-for-pca.md records why.
/// </remarks>
internal static class SymmetricEigen
{
    /// <summary>Decomposes the symmetric <paramref name="n"/>×<paramref name="n"/> matrix <paramref name="matrix"/>
    /// (row-major; only its symmetry is assumed, not checked).</summary>
    /// <returns>The eigenvalues, decreasing, and the eigenvectors as the rows of an [n, n] row-major array (row i
    /// belongs to eigenvalue i).</returns>
    public static (double[] Values, double[] Vectors) Decompose(double[] matrix, int n)
    {
        // Row-major and column-major storage are the same matrix when it is symmetric.
        Matrix<double> a = Matrix<double>.Build.Dense(n, n, (double[])matrix.Clone());
        Evd<double> evd = a.Evd(Symmetricity.Symmetric);

        var order = new int[n];
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            values[i] = evd.EigenValues[i].Real;
        }
        // Stable sort by decreasing eigenvalue.
        Array.Sort(order, (x, y) => values[y].CompareTo(values[x]) is int c && c != 0 ? c : x.CompareTo(y));

        var sortedValues = new double[n];
        var vectors = new double[n * n];
        Matrix<double> u = evd.EigenVectors;
        for (int row = 0; row < n; row++)
        {
            int column = order[row];
            sortedValues[row] = values[column];
            Span<double> v = vectors.AsSpan(row * n, n);
            int largest = 0;
            for (int i = 0; i < n; i++)
            {
                v[i] = u[i, column];
                if (Math.Abs(v[i]) > Math.Abs(v[largest]))
                {
                    largest = i;
                }
            }
            if (v[largest] < 0)
            {
                for (int i = 0; i < n; i++)
                {
                    v[i] = -v[i];
                }
            }
        }
        return (sortedValues, vectors);
    }
}
