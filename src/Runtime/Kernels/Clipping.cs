using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// Gradient clipping over a whole gradient arena, with PyTorch's semantics (<c>torch.nn.utils.clip_grad_value_</c> and
/// <c>clip_grad_norm_</c>): the generated <c>TrainStep</c> applies it to the data loss's gradient, after backward and
/// before the L2 (weight-decay) gradient and the update, as PyTorch's optimizers add <c>weight_decay</c> inside
/// <c>step()</c>.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Clipping
{
    /// <summary>g ← clamp(g, −<paramref name="clipValue"/>, <paramref name="clipValue"/>) element by element.</summary>
    public static void ByValue<T>(Span<T> gradients, double clipValue)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(clipValue > 0) || double.IsInfinity(clipValue))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "The clip value must be a finite value > 0.");
        }

        T limit = T.CreateTruncating(clipValue);
        TensorPrimitives.Min(gradients, limit, gradients);
        TensorPrimitives.Max(gradients, -limit, gradients);
    }

    /// <summary>
    /// n = ‖g‖₂ over every element (one norm over every parameter, computed in double); g ← g·min(1, max / (n + 1e-6)).
    /// Returns n, the norm before clipping.
    /// </summary>
    public static double ByGlobalNorm<T>(Span<T> gradients, double maxNorm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be a finite value > 0.");
        }

        double sum = 0;
        foreach (T g in gradients)
        {
            double d = double.CreateTruncating(g);
            sum += d * d;
        }

        double norm = Math.Sqrt(sum);
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
        {
            TensorPrimitives.Multiply(gradients, T.CreateTruncating(coefficient), gradients);
        }

        return norm;
    }
}
