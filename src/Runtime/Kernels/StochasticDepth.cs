using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// Stochastic depth (Huang et al., 2016) in torchvision's "row" form: the residual branch of each sample is kept or
/// dropped as a whole. Sample <c>b</c> keeps its branch when <c>CounterRng.Uniform(key, b) ≥ p</c>, and the kept branch is
/// scaled by 1/(1 − p), so E[m] = 1 and inference uses the branch unscaled (torchvision's
/// <c>StochasticDepth(p, mode="row")</c>; Huang et al. scale by the survival probability 1 − p at test time instead,
/// which is the same network up to that constant factor on the branch's output).
/// </summary>
/// <remarks>
/// The generated code passes <c>key = CounterRng.Key(seed, CounterRng.DropoutStream, node, step)</c>: the node ordinal
/// of the stochastic-depth node, so it never shares a stream with a dropout layer.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class StochasticDepth
{
    /// <summary>m[b] = u_b ≥ p ? 1/(1−p) : 0 with u_b = CounterRng.Uniform(key, b); y[b, :] = m[b] · x[b, :]</summary>
    /// <param name="x">The branch's output, [B, n].</param>
    /// <param name="y">The scaled branch, [B, n] (may be <paramref name="x"/> itself).</param>
    /// <param name="mask">One value per sample, [B], kept for the backward pass.</param>
    /// <param name="p">Probability of dropping a sample's branch, in [0, 1); 0 gives a mask of ones.</param>
    /// <param name="key">The mask's key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        if (mask.Length == 0 ? x.Length != 0 : x.Length % mask.Length != 0)
        {
            throw new ArgumentException($"x has {x.Length} values, not a whole number of rows of the mask's {mask.Length} samples.", nameof(mask));
        }

        if (!(p >= 0.0 && p < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Stochastic depth's drop probability must be in [0, 1).");
        }

        // As in Dropout: u (exact in float) is compared with p in double; the kept value 1/(1 − p) is computed in T, as
        // torchvision's noise.div_(1 − p) does.
        T keep = T.One / T.CreateTruncating(1.0 - p);
        int n = mask.Length == 0 ? 0 : x.Length / mask.Length;
        for (int b = 0; b < mask.Length; b++)
        {
            mask[b] = CounterRng.Uniform(key, (ulong)b) >= p ? keep : T.Zero;
            TensorPrimitives.Multiply(x.Slice(b * n, n), mask[b], y.Slice(b * n, n));
        }
    }

    /// <summary>dx[b, :] = m[b] · dy[b, :]</summary>
    /// <param name="dy">Gradient of the output, [B, n].</param>
    /// <param name="mask">The mask from <see cref="Forward"/>, [B].</param>
    /// <param name="dx">Gradient of the branch's output (overwritten), [B, n].</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(dx.Length, dy.Length, nameof(dx));
        if (mask.Length == 0 ? dy.Length != 0 : dy.Length % mask.Length != 0)
        {
            throw new ArgumentException($"dy has {dy.Length} values, not a whole number of rows of the mask's {mask.Length} samples.", nameof(mask));
        }

        int n = mask.Length == 0 ? 0 : dy.Length / mask.Length;
        for (int b = 0; b < mask.Length; b++)
        {
            TensorPrimitives.Multiply(dy.Slice(b * n, n), mask[b], dx.Slice(b * n, n));
        }
    }
}
