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
    /// <summary>y[B,O] = x[B,I] · W[O,I]ᵀ + b[O], then max(0, ·) when <paramref name="fuseReLU"/></summary>
    /// <param name="x">Input, [batch, inputs].</param>
    /// <param name="w">Weight, [outputs, inputs].</param>
    /// <param name="bias">Bias, [outputs]; empty = no bias.</param>
    /// <param name="y">Output, [batch, outputs] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="mode">GEMM kernel (the generator's per-layer choice); <see cref="GemmMode.Auto"/> = <see cref="Gemm.Choose"/>.</param>
    /// <param name="fuseReLU">Apply ReLU as y is stored (the Dense + ReLU pair in one pass).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs, GemmMode mode = GemmMode.Auto, bool fuseReLU = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(x.Length, (long)batch * inputs, nameof(x));
        ThrowHelper.RequireLength(w.Length, (long)outputs * inputs, nameof(w));
        ThrowHelper.RequireLength(y.Length, (long)batch * outputs, nameof(y));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(bias.Length, outputs, nameof(bias));
        }
        if (batch == 0 || outputs == 0)
        {
            return;
        }

        mode = Gemm.Resolve(mode, batch, outputs, inputs);
        if (mode != GemmMode.Direct)
        {
            // B(p, j) = W[j, p]: the packed kernel transposes W as it packs; bias and ReLU ride in its epilogue.
            Gemm.Packed(x, inputs, 1, w, 1, inputs, y, batch, outputs, inputs, false, bias, fuseReLU, mode);
            return;
        }

        if (inputs <= SmallInputs && (long)inputs * outputs <= SmallTransposed)
        {
            SmallInputForward(x, w, bias, y.Slice(0, batch * outputs), batch, inputs, outputs, fuseReLU);
            return;
        }

        if (bias.IsEmpty)
        {
            Gemm.MatMulNT(x, w, y, batch, outputs, inputs, accumulate: false, GemmMode.Direct);
        }
        else
        {
            // Start every row of y at b, then accumulate x·Wᵀ on top: one pass over y fewer than adding b after.
            for (int r = 0; r < batch; r++)
            {
                bias.CopyTo(y.Slice(r * outputs, outputs));
            }
            Gemm.MatMulNT(x, w, y, batch, outputs, inputs, accumulate: true, GemmMode.Direct);
        }
        if (fuseReLU)
        {
            Span<T> all = y.Slice(0, batch * outputs);
            TensorPrimitives.Max(all, T.Zero, all);
        }
    }

    /// <summary>Inputs up to which the forward uses the outer-product form (2-D points, 3-channel colours…).</summary>
    private const int SmallInputs = 4;

    /// <summary>Largest Wᵀ the outer-product form copies to the stack.</summary>
    private const int SmallTransposed = 4096;

    /// <summary>y[r, :] = b + Σ_p x[r, p] · Wᵀ[p, :], vectorised along the outputs: for I ≤ 4 a dot product along I
    /// would not fill a register, so each output row is built from I broadcasts instead.</summary>
    private static void SmallInputForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, int batch, int inputs, int outputs, bool relu)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> wt = stackalloc T[inputs * outputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int p = 0; p < inputs; p++)
            {
                wt[(p * outputs) + o] = w[(o * inputs) + p];
            }
        }

        int width = Vector<T>.Count;
        int vectorEnd = Vector.IsHardwareAccelerated ? outputs / width * width : 0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * inputs, inputs);
            Span<T> yr = y.Slice(r * outputs, outputs);
            int o = 0;
            for (; o < vectorEnd; o += width)
            {
                Vector<T> acc = bias.IsEmpty ? Vector<T>.Zero : new Vector<T>(bias.Slice(o, width));
                for (int p = 0; p < inputs; p++)
                {
                    acc += new Vector<T>(xr[p]) * new Vector<T>(wt.Slice((p * outputs) + o, width));
                }
                if (relu)
                {
                    acc = Vector.Max(acc, Vector<T>.Zero);
                }
                acc.CopyTo(yr.Slice(o, width));
            }
            for (; o < outputs; o++)
            {
                T acc = bias.IsEmpty ? T.Zero : bias[o];
                for (int p = 0; p < inputs; p++)
                {
                    acc += xr[p] * wt[(p * outputs) + o];
                }
                yr[o] = relu ? T.Max(acc, T.Zero) : acc;
            }
        }
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
    /// <param name="dxMode">GEMM kernel for dy·W.</param>
    /// <param name="dwMode">GEMM kernel for dyᵀ·x.</param>
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> dx, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs, GemmMode dxMode = GemmMode.Auto, GemmMode dwMode = GemmMode.Auto)
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
        if (!dbias.IsEmpty)
        {
            ThrowHelper.RequireSameLength(dbias.Length, outputs, nameof(dbias));
        }

        // dx = dy[B,O] · W[O,I]
        if (!dx.IsEmpty)
        {
            Gemm.MatMulNN(dy, w, dx, batch, inputs, outputs, accumulate: false, dxMode);
        }

        dwMode = Gemm.Resolve(dwMode, outputs, inputs, batch);
        if (dwMode == GemmMode.Direct && batch > 0 && (inputs <= SmallInputs || outputs <= SmallInputs))
        {
            // dW += dyᵀ·x and db += Σ dy in one pass over the batch, vectorised along the long side.
            if (inputs <= SmallInputs)
            {
                SmallInputWeightGradient(dy, x, dw, dbias, batch, inputs, outputs);
            }
            else
            {
                SmallOutputWeightGradient(dy, x, dw, dbias, batch, inputs, outputs);
            }
            return;
        }

        // dW += dy[B,O]ᵀ · x[B,I]
        Gemm.MatMulTN(dy, x, dw, outputs, inputs, batch, accumulate: true, dwMode);

        // db += Σ over rows of dy
        if (!dbias.IsEmpty)
        {
            for (int r = 0; r < batch; r++)
            {
                TensorPrimitives.Add(dbias, dy.Slice(r * outputs, outputs), dbias);
            }
        }
    }

    /// <summary>I ≤ 4: dW[o, i] += Σ_b dy[b, o]·x[b, i] and db[o] += Σ_b dy[b, o], with (I + 1) accumulators per
    /// register of outputs; each batch row is one load of dy and I broadcasts of x.</summary>
    private static void SmallInputWeightGradient<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        int vectorEnd = Vector.IsHardwareAccelerated ? outputs / width * width : 0;
        Span<Vector<T>> acc = stackalloc Vector<T>[SmallInputs + 1];
        Span<T> lanes = stackalloc T[width];
        int o = 0;
        for (; o < vectorEnd; o += width)
        {
            acc.Clear();
            for (int b = 0; b < batch; b++)
            {
                var d = new Vector<T>(dy.Slice((b * outputs) + o, width));
                ReadOnlySpan<T> xb = x.Slice(b * inputs, inputs);
                for (int i = 0; i < inputs; i++)
                {
                    acc[i] += d * new Vector<T>(xb[i]);
                }
                acc[inputs] += d;
            }
            for (int i = 0; i < inputs; i++)
            {
                acc[i].CopyTo(lanes);
                for (int l = 0; l < width; l++)
                {
                    dw[((o + l) * inputs) + i] += lanes[l];
                }
            }
            if (!dbias.IsEmpty)
            {
                Span<T> db = dbias.Slice(o, width);
                (new Vector<T>(db) + acc[inputs]).CopyTo(db);
            }
        }
        for (; o < outputs; o++)
        {
            T sum = T.Zero;
            for (int b = 0; b < batch; b++)
            {
                T d = dy[(b * outputs) + o];
                for (int i = 0; i < inputs; i++)
                {
                    dw[(o * inputs) + i] += d * x[(b * inputs) + i];
                }
                sum += d;
            }
            if (!dbias.IsEmpty)
            {
                dbias[o] += sum;
            }
        }
    }

    /// <summary>O ≤ 4: dW[o, :] += Σ_b dy[b, o]·x[b, :], O accumulators per register of inputs (each x load feeds O
    /// multiply-adds), and db[o] += Σ_b dy[b, o] alongside.</summary>
    private static void SmallOutputWeightGradient<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dw, Span<T> dbias, int batch, int inputs, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        int vectorEnd = Vector.IsHardwareAccelerated ? inputs / (2 * width) * (2 * width) : 0;
        Span<Vector<T>> acc = stackalloc Vector<T>[2 * SmallInputs];
        int i = 0;
        for (; i < vectorEnd; i += 2 * width)
        {
            acc.Clear();
            for (int b = 0; b < batch; b++)
            {
                var x0 = new Vector<T>(x.Slice((b * inputs) + i, width));
                var x1 = new Vector<T>(x.Slice((b * inputs) + i + width, width));
                ReadOnlySpan<T> dyb = dy.Slice(b * outputs, outputs);
                for (int o = 0; o < outputs; o++)
                {
                    var d = new Vector<T>(dyb[o]);
                    acc[2 * o] += d * x0;
                    acc[(2 * o) + 1] += d * x1;
                }
            }
            for (int o = 0; o < outputs; o++)
            {
                Span<T> row = dw.Slice((o * inputs) + i, 2 * width);
                (new Vector<T>(row) + acc[2 * o]).CopyTo(row);
                (new Vector<T>(row.Slice(width)) + acc[(2 * o) + 1]).CopyTo(row.Slice(width));
            }
        }
        for (; i < inputs; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                T sum = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    sum += dy[(b * outputs) + o] * x[(b * inputs) + i];
                }
                dw[(o * inputs) + i] += sum;
            }
        }
        if (!dbias.IsEmpty)
        {
            for (int o = 0; o < outputs; o++)
            {
                T sum = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    sum += dy[(b * outputs) + o];
                }
                dbias[o] += sum;
            }
        }
    }
}
