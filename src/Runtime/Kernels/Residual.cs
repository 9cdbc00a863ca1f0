using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>The addition of a residual connection and the gradient sums of a tensor read by two consumers.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Residual
{
    /// <summary>y = a + b (branch plus shortcut), element by element.</summary>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(b.Length, a.Length, nameof(b));
        ThrowHelper.RequireSameLength(y.Length, a.Length, nameof(y));
        TensorPrimitives.Add(a, b, y);
    }

    /// <summary>sum += contribution: a tensor with two consumers receives the sum of both gradients.</summary>
    public static void Accumulate<T>(Span<T> sum, ReadOnlySpan<T> contribution)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireSameLength(contribution.Length, sum.Length, nameof(contribution));
        TensorPrimitives.Add(sum, contribution, sum);
    }
}
