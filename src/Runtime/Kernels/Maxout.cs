using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// Maxout (Goodfellow et al., 2013) over groups of k consecutive channels: <c>x</c> is <c>[rows, units·k, inner]</c>,
/// <c>y</c> is <c>[rows, units, inner]</c> (inner = H·W for images, 1 for vectors) and
/// <c>y[r, u, p] = max_{j &lt; k} x[r, u·k + j, p]</c>; PyTorch's <c>x.view(B, units, k, …).max(dim=2).values</c>.
/// The gradient flows to the maximum only (the first one on a tie); the backward finds it again from <c>x</c>, so
/// nothing is cached.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Maxout
{
    /// <summary>y[r, u, p] = max_j x[r, u·k + j, p]</summary>
    /// <param name="x">Input, [rows, units·pieces, inner].</param>
    /// <param name="y">Output, [rows, units, inner] (overwritten).</param>
    /// <param name="rows">B.</param>
    /// <param name="units">Output channels or features (≥ 1).</param>
    /// <param name="pieces">k (≥ 1).</param>
    /// <param name="inner">Values per channel (≥ 1).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int units, int pieces, int inner)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(rows, units, pieces, inner);
        ThrowHelper.RequireSameLength(x.Length, rows * units * pieces * inner, nameof(x));
        ThrowHelper.RequireSameLength(y.Length, rows * units * inner, nameof(y));
        for (int g = 0; g < rows * units; g++)
        {
            ReadOnlySpan<T> group = x.Slice(g * pieces * inner, pieces * inner);
            Span<T> yg = y.Slice(g * inner, inner);
            group.Slice(0, inner).CopyTo(yg);
            for (int j = 1; j < pieces; j++)
            {
                ReadOnlySpan<T> piece = group.Slice(j * inner, inner);
                for (int p = 0; p < inner; p++)
                {
                    if (piece[p] > yg[p])
                    {
                        yg[p] = piece[p];
                    }
                }
            }
        }
    }

    /// <summary>dx[r, u·k + j*, p] = dy[r, u, p] at the maximum j* of the forward, 0 elsewhere (overwritten)</summary>
    /// <param name="dy">Gradient of the output, [rows, units, inner].</param>
    /// <param name="x">Input of the forward pass, [rows, units·pieces, inner].</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="rows">B.</param>
    /// <param name="units">Output channels or features (≥ 1).</param>
    /// <param name="pieces">k (≥ 1).</param>
    /// <param name="inner">Values per channel (≥ 1).</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx, int rows, int units, int pieces, int inner)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(rows, units, pieces, inner);
        ThrowHelper.RequireSameLength(dy.Length, rows * units * inner, nameof(dy));
        ThrowHelper.RequireSameLength(x.Length, rows * units * pieces * inner, nameof(x));
        ThrowHelper.RequireSameLength(dx.Length, x.Length, nameof(dx));
        dx.Clear();
        for (int g = 0; g < rows * units; g++)
        {
            int start = g * pieces * inner;
            for (int p = 0; p < inner; p++)
            {
                int best = start + p;
                for (int j = 1; j < pieces; j++)
                {
                    int at = start + (j * inner) + p;
                    if (x[at] > x[best])
                    {
                        best = at;
                    }
                }
                dx[best] = dy[(g * inner) + p];
            }
        }
    }

    private static void Check(int rows, int units, int pieces, int inner)
    {
        ThrowHelper.RequireNonNegative(rows, nameof(rows));
        Geometry2D.RequirePositive(units, nameof(units));
        Geometry2D.RequirePositive(pieces, nameof(pieces));
        Geometry2D.RequirePositive(inner, nameof(inner));
        Geometry2D.Product(units, pieces, inner, nameof(units));
    }
}
