using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// DropConnect (Wan et al. 2013, "Regularization of Neural Networks using DropConnect") on a fully connected layer
/// y = x·Wᵀ + b, W [outputs, inputs]: in training each sample b has its own mask over the <b>weights</b>,
/// M_b[o, i] = 1(u ≥ p)/(1 − p) with u = CounterRng.Uniform(key, (b·outputs + o)·inputs + i), and
/// y_b = (W ⊙ M_b)·x_b + bias (the bias is not dropped). At inference the layer is the plain Dense (E[M] = 1).
/// </summary>
/// <remarks>
/// The mask has batch·outputs·inputs values per step, a weight matrix per sample, so it is never stored: the backward
/// recomputes it from the counter-based stream (the same key, the same element index). Each sample has its own matrix,
/// so there is no GEMM: forward and backward each cost batch·outputs·inputs mask draws and multiply-adds.
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class DropConnect
{
    /// <summary>y[b, o] = Σ_i W[o, i]·M_b[o, i]·x[b, i] + bias[o]</summary>
    /// <param name="x">Input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="bias">b [outputs], or empty for none.</param>
    /// <param name="y">Output [batch, outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Inputs per row.</param>
    /// <param name="outputs">Outputs per row.</param>
    /// <param name="p">Probability of dropping a weight, in [0, 1).</param>
    /// <param name="key">The masks' key.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, weight.Length, bias.Length, y.Length, batch, inputs, outputs, p);
        T keep = T.One / T.CreateTruncating(1.0 - p);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> xb = x.Slice(b * inputs, inputs);
            for (int o = 0; o < outputs; o++)
            {
                ReadOnlySpan<T> wo = weight.Slice(o * inputs, inputs);
                ulong first = (((ulong)b * (ulong)outputs) + (ulong)o) * (ulong)inputs;
                T sum = T.Zero;
                for (int i = 0; i < inputs; i++)
                {
                    if (CounterRng.Uniform(key, first + (ulong)i) >= p)
                    {
                        sum += wo[i] * xb[i];
                    }
                }

                y[(b * outputs) + o] = (sum * keep) + (bias.IsEmpty ? T.Zero : bias[o]);
            }
        }
    }

    /// <summary>dx_b = (W ⊙ M_b)ᵀ·dy_b;  dW = Σ_b (dy_b·x_bᵀ) ⊙ M_b;  db = Σ_b dy_b (each overwritten)</summary>
    /// <param name="dy">Gradient of the output [batch, outputs].</param>
    /// <param name="x">Input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="dx">Gradient of the input [batch, inputs], or empty when not needed.</param>
    /// <param name="dWeight">Gradient of W [outputs, inputs].</param>
    /// <param name="dBias">Gradient of b [outputs], or empty for none.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Inputs per row.</param>
    /// <param name="outputs">Outputs per row.</param>
    /// <param name="p">The forward's drop probability.</param>
    /// <param name="key">The forward's key (the masks are recomputed).</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> dx, Span<T> dWeight, Span<T> dBias, int batch, int inputs, int outputs, double p, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, weight.Length, dBias.Length, dy.Length, batch, inputs, outputs, p);
        ThrowHelper.RequireSameLength(dWeight.Length, weight.Length, nameof(dWeight));
        if (!dx.IsEmpty)
        {
            ThrowHelper.RequireSameLength(dx.Length, x.Length, nameof(dx));
            dx.Clear();
        }

        dWeight.Clear();
        T keep = T.One / T.CreateTruncating(1.0 - p);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> xb = x.Slice(b * inputs, inputs);
            Span<T> dxb = dx.IsEmpty ? Span<T>.Empty : dx.Slice(b * inputs, inputs);
            for (int o = 0; o < outputs; o++)
            {
                T g = dy[(b * outputs) + o] * keep;
                if (g == T.Zero)
                {
                    continue;
                }

                ReadOnlySpan<T> wo = weight.Slice(o * inputs, inputs);
                Span<T> dwo = dWeight.Slice(o * inputs, inputs);
                ulong first = (((ulong)b * (ulong)outputs) + (ulong)o) * (ulong)inputs;
                for (int i = 0; i < inputs; i++)
                {
                    if (CounterRng.Uniform(key, first + (ulong)i) >= p)
                    {
                        dwo[i] += g * xb[i];
                        if (!dxb.IsEmpty)
                        {
                            dxb[i] += g * wo[i];
                        }
                    }
                }
            }
        }

        if (!dBias.IsEmpty)
        {
            dBias.Clear();
            for (int b = 0; b < batch; b++)
            {
                TensorPrimitives.Add(dBias, dy.Slice(b * outputs, outputs), dBias);
            }
        }
    }

    /// <summary>The Gaussian moments of Wan et al.'s inference, with NetGen's inverted scaling (M ∈ {0, 1/(1 − p)}, E[M] = 1,
    /// Var[M] = p/(1 − p)): mean[b, o] = Σ_i W[o, i]·x[b, i] + bias[o], variance[b, o] = p/(1 − p)·Σ_i W[o, i]²·x[b, i]².
    /// (Wan et al.'s unscaled weights W' = W/(1 − p) give their (1 − p)·W'x and p(1 − p)·(W' ⊙ W')(x ⊙ x).)</summary>
    /// <param name="x">Input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="bias">b [outputs], or empty for none.</param>
    /// <param name="mean">μ [batch, outputs] (overwritten).</param>
    /// <param name="variance">σ² [batch, outputs] (overwritten).</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Inputs per row.</param>
    /// <param name="outputs">Outputs per row.</param>
    /// <param name="p">Probability of dropping a weight, in [0, 1).</param>
    public static void Moments<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> mean, Span<T> variance, int batch, int inputs, int outputs, double p)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Check(x.Length, weight.Length, bias.Length, mean.Length, batch, inputs, outputs, p);
        ThrowHelper.RequireSameLength(variance.Length, mean.Length, nameof(variance));
        T ratio = T.CreateTruncating(p / (1.0 - p));
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> xb = x.Slice(b * inputs, inputs);
            for (int o = 0; o < outputs; o++)
            {
                ReadOnlySpan<T> wo = weight.Slice(o * inputs, inputs);
                T sum = T.Zero, squares = T.Zero;
                for (int i = 0; i < inputs; i++)
                {
                    T wx = wo[i] * xb[i];
                    sum += wx;
                    squares += wx * wx;
                }

                mean[(b * outputs) + o] = sum + (bias.IsEmpty ? T.Zero : bias[o]);
                variance[(b * outputs) + o] = ratio * squares;
            }
        }
    }

    /// <summary>Wan et al.'s moment-matching inference fused with the ReLU that follows the layer:
    /// y[b, o] = (1/Z)·Σ_z max(0, μ[b, o] + σ[b, o]·n_z,o), n_z,o = CounterRng.Normal(key, o·Z + z), with μ and σ² from
    /// <see cref="Moments{T}"/>. The draws depend on the unit and z only, not on the row, so a row's output does not
    /// depend on its place in the batch; with a fixed key <c>Predict</c> is deterministic.</summary>
    /// <param name="x">Input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="bias">b [outputs], or empty for none.</param>
    /// <param name="y">Output [batch, outputs]: the averaged ReLU, ≥ 0.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Inputs per row.</param>
    /// <param name="outputs">Outputs per row.</param>
    /// <param name="p">Probability of dropping a weight, in [0, 1).</param>
    /// <param name="samples">Z ≥ 1.</param>
    /// <param name="key">The samples' key.</param>
    public static void MomentMatchingReLU<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs, double p, int samples, ulong key)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "DropConnect moment matching needs at least one sample.");
        }

        Check(x.Length, weight.Length, bias.Length, y.Length, batch, inputs, outputs, p);
        double ratio = p / (1.0 - p);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> xb = x.Slice(b * inputs, inputs);
            for (int o = 0; o < outputs; o++)
            {
                // μ and σ² as Moments, accumulated in double (the Z samples reuse them).
                ReadOnlySpan<T> wo = weight.Slice(o * inputs, inputs);
                double mu = bias.IsEmpty ? 0.0 : double.CreateTruncating(bias[o]), squares = 0;
                for (int i = 0; i < inputs; i++)
                {
                    double wx = double.CreateTruncating(wo[i]) * double.CreateTruncating(xb[i]);
                    mu += wx;
                    squares += wx * wx;
                }

                double sigma = Math.Sqrt(ratio * squares);
                ulong first = (ulong)o * (ulong)samples;
                double sum = 0;
                for (int z = 0; z < samples; z++)
                {
                    sum += Math.Max(0.0, mu + (sigma * CounterRng.Normal(key, first + (ulong)z)));
                }

                y[(b * outputs) + o] = T.CreateTruncating(sum / samples);
            }
        }
    }

    private static void Check(int x, int weight, int bias, int y, int batch, int inputs, int outputs, double p)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireSameLength(weight, outputs * inputs, "weight");
        ThrowHelper.RequireLength(x, (long)batch * inputs, "x");
        ThrowHelper.RequireLength(y, (long)batch * outputs, "y");
        if (bias != 0)
        {
            ThrowHelper.RequireSameLength(bias, outputs, "bias");
        }

        if (!(p >= 0.0 && p < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "DropConnect probability must be in [0, 1).");
        }
    }
}
