using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// Fully-connected layer, PyTorch <c>nn.Linear</c> layout: <c>W</c> is <c>[outputs, inputs]</c>.
/// </summary>
/// <remarks>B = batch rows, I = inputs, O = outputs; every tensor is row-major.</remarks>
public static class Dense
{
    /// <summary>y[B,O] = x[B,I] · W[O,I]ᵀ + b[O]</summary>
    /// <param name="x">Input, [batch, inputs].</param>
    /// <param name="w">Weight, [outputs, inputs].</param>
    /// <param name="bias">Bias, [outputs]; empty = no bias.</param>
    /// <param name="y">Output, [batch, outputs] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(x.Length, (long)batch * inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)outputs * inputs, nameof(w));
        ThrowHelper.RequireLength(y.Length, (long)batch * outputs, nameof(y));
        if (bias.IsEmpty)
        {
            Gemm.MatMulNT(x, w, y, batch, outputs, inputs, accumulate: false);
            return;
        }

        // Start every row of y at b, then accumulate x·Wᵀ on top: one pass over y fewer than adding b after.
        ThrowHelper.RequireSameLength(bias.Length, outputs, nameof(bias));
        for (int r = 0; r < batch; r++)
        {
            bias.CopyTo(y.Slice(r * outputs, outputs));
        }
        Gemm.MatMulNT(x, w, y, batch, outputs, inputs, accumulate: true);
    }

    /// <summary>dx[B,I] = dy · W (overwrites); dW[O,I] += dyᵀ · x; db[O] += Σ_B dy</summary>
    /// <param name="dy">Gradient of the output, [batch, outputs].</param>
    /// <param name="x">Input saved by the forward pass, [batch, inputs].</param>
    /// <param name="w">Weight, [outputs, inputs].</param>
    /// <param name="dx">Gradient of the input, [batch, inputs] (overwritten); empty = skip (first layer).</param>
    /// <param name="dw">Gradient of the weight, [outputs, inputs] (accumulated).</param>
    /// <param name="dbias">Gradient of the bias, [outputs] (accumulated); empty = skip.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dx, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(dy.Length, (long)batch * outputs, nameof(dy));
        ThrowHelper.RequireLength(x.Length, (long)batch * inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)outputs * inputs, nameof(w));
        ThrowHelper.RequireLength(dw.Length, (long)outputs * inputs, nameof(dw));
        if (!dx.IsEmpty)
        {
            ThrowHelper.RequireLength(dx.Length, (long)batch * inputs, nameof(dx));
        }

        // dx = dy[B,O] · W[O,I]
        if (!dx.IsEmpty)
        {
            Gemm.MatMulNN(dy, w, dx, batch, inputs, outputs, accumulate: false);
        }

        // dW += dy[B,O]ᵀ · x[B,I]
        Gemm.MatMulTN(dy, x, dw, outputs, inputs, batch, accumulate: true);

        // db += Σ over rows of dy
        if (!dbias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(dbias.Length, outputs, nameof(dbias));
            for (int r = 0; r < batch; r++)
            {
                TensorPrimitives.Add(dbias, dy.Slice(r * outputs, outputs), dbias);
            }
        }
    }
}
