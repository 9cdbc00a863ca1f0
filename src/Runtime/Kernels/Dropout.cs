using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// Inverted dropout with counter-based masks: element <c>i</c> is kept when
/// <c>CounterRng.Uniform(key, i) ≥ p</c>, so a mask depends only on the key, never on thread count or backend.
/// </summary>
/// <remarks>
/// The generated code passes <c>key = CounterRng.Key(seed, CounterRng.DropoutStream, layerIndex, step)</c>,
/// where <c>step</c> is the optimizer step counter before the step is taken.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Dropout
{
    /// <summary>mask[i] = u_i ≥ p ? 1/(1−p) : 0 with u_i = CounterRng.Uniform(key, i); y = x ⊙ mask</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="mask">The mask, kept for the backward pass.</param>
    /// <param name="p">Probability of dropping an element, in [0, 1]; 0 gives a mask of ones.</param>
    /// <param name="key">The mask's key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        ThrowHelper.RequireSameLength(mask.Length, x.Length, nameof(mask));
        if (!(p >= 0.0 && p <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1].");
        }

        // The float uniform is compared with p in double, as the Python reference does (u is exact in both).
        // The kept value is 1 / (1 − p) computed in T, as PyTorch's noise.div_(1 − p) does.
        T keep = p < 1.0 ? T.One / T.CreateTruncating(1.0 - p) : T.Zero;
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = CounterRng.Uniform(key, (ulong)i) >= p ? keep : T.Zero;
        }
        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary>dx = dy ⊙ mask</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="mask">The mask from <see cref="Forward"/>.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(mask.Length, dy.Length, nameof(mask));
        ThrowHelper.RequireSameLength(dx.Length, dy.Length, nameof(dx));
        TensorPrimitives.Multiply(dy, mask, dx);
    }
}
