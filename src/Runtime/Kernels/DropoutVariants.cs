using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// Vanilla dropout (Srivastava et al. 2014; the CS231n notes' first version): mask[i] = 1(u_i ≥ p), no scaling in
/// training, y = (1 − p)·x at inference. p is the drop probability; u_i = CounterRng.Uniform(key, i), the same uniforms
/// as <see cref="Dropout"/>. The backward is <see cref="Dropout.Backward"/> (dx = dy ⊙ mask).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class VanillaDropout
{
    /// <summary>mask[i] = u_i ≥ p ? 1 : 0; y = x ⊙ mask</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="mask">The mask, kept for the backward pass.</param>
    /// <param name="p">Probability of dropping an element, in [0, 1].</param>
    /// <param name="key">The mask's key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        ThrowHelper.RequireSameLength(mask.Length, x.Length, nameof(mask));
        DropoutVariants.RequireProbability(p, nameof(p));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = CounterRng.Uniform(key, (ulong)i) >= p ? T.One : T.Zero;
        }

        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary>y = (1 − p)·x: the expectation of the training output, x·E[mask].</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="p">Probability of dropping an element in training, in [0, 1].</param>
    public static void Inference<T>(ReadOnlySpan<T> x, Span<T> y, double p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        DropoutVariants.RequireProbability(p, nameof(p));
        TensorPrimitives.Multiply(x, T.CreateTruncating(1.0 - p), y);
    }
}

/// <summary>
/// Gaussian dropout (Srivastava et al. 2014, §10): multiplicative noise mask[i] = 1 + σ·Normal(key, i) with
/// σ = √(p/(1 − p)), so E[mask] = 1 and Var[mask] = p/(1 − p), the variance of inverted dropout's mask with drop
/// probability p. Inference is the identity; the backward is <see cref="Dropout.Backward"/>.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class GaussianDropout
{
    /// <summary>mask[i] = 1 + √(p/(1 − p))·Normal(key, i); y = x ⊙ mask</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="mask">The mask, kept for the backward pass.</param>
    /// <param name="p">The drop rate whose variance the noise matches, in [0, 1).</param>
    /// <param name="key">The mask's key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        ThrowHelper.RequireSameLength(mask.Length, x.Length, nameof(mask));
        if (!(p >= 0.0 && p < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Gaussian dropout's rate must be in [0, 1).");
        }

        double sigma = Math.Sqrt(p / (1.0 - p));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = T.CreateTruncating(1.0 + (sigma * CounterRng.Normal(key, (ulong)i)));
        }

        TensorPrimitives.Multiply(x, mask, y);
    }
}

/// <summary>
/// Channel dropout, PyTorch's <c>nn.Dropout2d(p)</c> (Tompson et al. 2015, "Efficient Object Localization Using
/// Convolutional Networks"): one mask value per (sample, channel), mask[b·C + c] = u ≥ p ? 1/(1 − p) : 0 with
/// u = CounterRng.Uniform(key, b·C + c), applied to the whole H×W plane. Inference is the identity.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Dropout2D
{
    /// <summary>mask[n] = u_n ≥ p ? 1/(1−p) : 0 for n = b·C + c; y[n, :] = x[n, :]·mask[n] over each plane of <paramref name="plane"/> values</summary>
    /// <param name="x">Input [B, C, H, W].</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="mask">One value per channel of each sample, [B, C], kept for the backward pass.</param>
    /// <param name="plane">H·W, the values one mask value scales.</param>
    /// <param name="p">Probability of dropping a channel, in [0, 1].</param>
    /// <param name="key">The mask's key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, int plane, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        ThrowHelper.RequireSameLength(x.Length, mask.Length * plane, nameof(x));
        DropoutVariants.RequireProbability(p, nameof(p));
        T keep = p < 1.0 ? T.One / T.CreateTruncating(1.0 - p) : T.Zero;
        for (int n = 0; n < mask.Length; n++)
        {
            mask[n] = CounterRng.Uniform(key, (ulong)n) >= p ? keep : T.Zero;
            TensorPrimitives.Multiply(x.Slice(n * plane, plane), mask[n], y.Slice(n * plane, plane));
        }
    }

    /// <summary>dx[n, :] = dy[n, :]·mask[n]</summary>
    /// <param name="dy">Gradient of the output [B, C, H, W].</param>
    /// <param name="mask">The mask from <see cref="Forward"/>, [B, C].</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="plane">H·W.</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx, int plane)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(dx.Length, dy.Length, nameof(dx));
        ThrowHelper.RequireSameLength(dy.Length, mask.Length * plane, nameof(dy));
        for (int n = 0; n < mask.Length; n++)
        {
            TensorPrimitives.Multiply(dy.Slice(n * plane, plane), mask[n], dx.Slice(n * plane, plane));
        }
    }
}

/// <summary>Checks shared by the dropout variants.</summary>
internal static class DropoutVariants
{
    public static void RequireProbability(double p, string paramName)
    {
        if (!(p >= 0.0 && p <= 1.0))
        {
            throw new ArgumentOutOfRangeException(paramName, p, "Dropout probability must be in [0, 1].");
        }
    }
}

/// <summary>
/// Standout (Ba and Frey 2013, "Adaptive dropout for training deep neural networks"), with the standout network's
/// weights tied to the layer's: for a pre-activation z (the output of the Dense or Conv2D before it), the keep
/// probability is π_i = σ(α·z_i + β), the mask m_i = 1(u_i &lt; π_i) with u_i = CounterRng.Uniform(key, i), and y = z ⊙ m in
/// training; y = z ⊙ π at inference. The backward treats the sampled mask as a constant (dx = dy ⊙ m,
/// <see cref="Dropout.Backward"/>): the gradient does not flow through π.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Standout
{
    /// <summary>π_i = 1/(1 + e^{−(α·x_i + β)}) in double; mask[i] = u_i &lt; π_i ? 1 : 0; y = x ⊙ mask</summary>
    /// <param name="x">Input: the pre-activation z.</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="mask">The mask, kept for the backward pass.</param>
    /// <param name="alpha">Scale α of the pre-activation in the keep probability.</param>
    /// <param name="beta">Offset β of the keep probability's logit.</param>
    /// <param name="key">The mask's key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double alpha, double beta, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        ThrowHelper.RequireSameLength(mask.Length, x.Length, nameof(mask));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = CounterRng.Uniform(key, (ulong)i) < KeepProbability(double.CreateTruncating(x[i]), alpha, beta) ? T.One : T.Zero;
        }

        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary>y_i = x_i · σ(α·x_i + β): the expectation of the training output.</summary>
    /// <param name="x">Input: the pre-activation z.</param>
    /// <param name="y">Output (may be <paramref name="x"/> itself).</param>
    /// <param name="alpha">Scale α.</param>
    /// <param name="beta">Offset β.</param>
    public static void Inference<T>(ReadOnlySpan<T> x, Span<T> y, double alpha, double beta)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(y.Length, x.Length, nameof(y));
        for (int i = 0; i < x.Length; i++)
        {
            double z = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(z * KeepProbability(z, alpha, beta));
        }
    }

    /// <summary>σ(α·z + β) = 1/(1 + e^{−(α·z + β)})</summary>
    /// <param name="z">Pre-activation.</param>
    /// <param name="alpha">Scale α.</param>
    /// <param name="beta">Offset β.</param>
    /// <returns>The keep probability.</returns>
    public static double KeepProbability(double z, double alpha, double beta) => 1.0 / (1.0 + Math.Exp(-((alpha * z) + beta)));
}
