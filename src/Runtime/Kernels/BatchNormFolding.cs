using System;
using System.Numerics;

namespace NetGen.Kernels;

/// <summary>
/// Batch normalisation folded into the weight layer before it, for inference: a convolution (or any layer whose weight
/// has one row per output channel) followed by BatchNorm in eval mode computes
/// <c>γ·(W·x + b − μ)/√(σ² + ε) + β = W'·x + b'</c> with <c>W'[o, :] = s_o·W[o, :]</c>, <c>b'_o = (b_o − μ_o)·s_o + β_o</c>,
/// <c>s_o = γ_o/√(σ²_o + ε)</c> (PyTorch's <c>torch.nn.utils.fusion.fuse_conv_bn_weights</c>).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class BatchNormFolding
{
    /// <summary>s_o = γ_o/√(running_var_o + ε);  W'[o, :] = s_o·W[o, :];  b'_o = (b_o − running_mean_o)·s_o + β_o, in double</summary>
    /// <param name="weight">W, [C, n]: one row of n values per output channel (a Conv2D weight [C, Cin, kh, kw]).</param>
    /// <param name="bias">b, [C]; empty = no bias (0).</param>
    /// <param name="gamma">γ, [C]; empty = not affine (1).</param>
    /// <param name="beta">β, [C]; empty = not affine (0).</param>
    /// <param name="runningMean">μ, [C].</param>
    /// <param name="runningVar">σ², [C].</param>
    /// <param name="epsilon">ε of the BatchNorm.</param>
    /// <param name="foldedWeight">W', [C, n] (overwritten).</param>
    /// <param name="foldedBias">b', [C] (overwritten).</param>
    public static void Fold<T>(ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, double epsilon, Span<T> foldedWeight, Span<T> foldedBias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int channels = runningMean.Length;
        if (channels == 0 || weight.Length % channels != 0)
        {
            throw new ArgumentException($"weight has {weight.Length} values, not a whole number of rows for {channels} channels.", nameof(weight));
        }

        ThrowHelper.RequireSameLength(runningVar.Length, channels, nameof(runningVar));
        ThrowHelper.RequireSameLength(foldedWeight.Length, weight.Length, nameof(foldedWeight));
        ThrowHelper.RequireSameLength(foldedBias.Length, channels, nameof(foldedBias));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, channels, nameof(bias));
        }

        if (!gamma.IsEmpty || !beta.IsEmpty)
        {
            ThrowHelper.RequireSameLength(gamma.Length, channels, nameof(gamma));
            ThrowHelper.RequireSameLength(beta.Length, channels, nameof(beta));
        }

        if (!(epsilon > 0) || double.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite value > 0.");
        }

        int n = weight.Length / channels;
        for (int o = 0; o < channels; o++)
        {
            double g = gamma.IsEmpty ? 1.0 : double.CreateTruncating(gamma[o]);
            double s = g / Math.Sqrt(double.CreateTruncating(runningVar[o]) + epsilon);
            for (int i = o * n; i < (o + 1) * n; i++)
            {
                foldedWeight[i] = T.CreateTruncating(double.CreateTruncating(weight[i]) * s);
            }

            double b = bias.IsEmpty ? 0.0 : double.CreateTruncating(bias[o]);
            double shift = beta.IsEmpty ? 0.0 : double.CreateTruncating(beta[o]);
            foldedBias[o] = T.CreateTruncating(((b - double.CreateTruncating(runningMean[o])) * s) + shift);
        }
    }
}
