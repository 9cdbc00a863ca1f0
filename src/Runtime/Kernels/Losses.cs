using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetGen.Kernels;

/// <summary>
/// Classification losses over a batch of score rows <c>f = logits[B, C]</c> with integer labels <c>y</c>, and the
/// mean squared error against real-valued targets.
/// </summary>
/// <remarks>
/// Each loss returns the <b>sum</b> over the batch of the per-example data loss, in <see langword="double"/>, and
/// writes <c>dlogits = ∂(mean loss)/∂logits</c>, i.e. already divided by the batch size. <c>dlogits</c> may be
/// <c>logits</c> itself. Labels are validated by the caller; an out-of-range label still throws here rather
/// than read another row.
/// </remarks>
public static class Losses
{
    /// <summary>L_i = log Σ_j e^(f_j − max f) − (f_y − max f); dlogits = (softmax(f) − onehot(y)) / B</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="labels">Class of each row, [batch], each in [0, classes).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, classes] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <returns>Σ_i L_i.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per step with loops over the batch: skip tier 0 / OSR
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(logits.Length, labels.Length, dlogits.Length, batch, classes, nameof(dlogits));
        if (batch == 0)
        {
            return 0.0;
        }

        // Three passes over the whole batch rather than five vector calls per row: with few classes (3 for the
        // spiral, 10 for MNIST) per-row calls cost more than the arithmetic. One Exp call covers every row.
        if (classes < 16)
        {
            return SmallClasses(logits, labels, dlogits, batch, classes);
        }

        double loss = 0.0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<T> f = logits.Slice(r * classes, classes);
            Span<T> d = dlogits.Slice(r * classes, classes);
            int y = Label(labels, r, classes);

            // The maximum is subtracted before exponentiating so that e^(f_j − max) ≤ 1 never overflows;
            // log Σ e^(f_j − max) + max is the log-sum-exp of f. (d may be f: f is read before d is written.)
            T max = TensorPrimitives.Max(f);
            loss -= double.CreateTruncating(f[y] - max);
            TensorPrimitives.Subtract(f, max, d);
        }

        Span<T> all = dlogits.Slice(0, batch * classes);
        TensorPrimitives.Exp(all, all);

        // d = e^(f − max) / Σ · 1/B − onehot(y) / B. Each Σ lies in [1, C], so their product is taken in double and
        // its log added now and then: one Math.Log per ~200 rows instead of one per row.
        T invBatch = T.One / T.CreateTruncating(batch);
        double product = 1.0;
        for (int r = 0; r < batch; r++)
        {
            Span<T> d = dlogits.Slice(r * classes, classes);
            T sum = TensorPrimitives.Sum<T>(d);
            product *= double.CreateTruncating(sum);
            if (product > 1e250)
            {
                loss += Math.Log(product);
                product = 1.0;
            }

            TensorPrimitives.Multiply(d, invBatch / sum, d);
            d[labels[r]] -= invBatch;
        }
        return loss + Math.Log(product);
    }

    /// <summary><see cref="SoftmaxCrossEntropy"/> for fewer than 16 classes: the same three passes and the same
    /// arithmetic, per row in scalar code over references (lengths checked once by the caller), since a row is shorter
    /// than one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SmallClasses<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T f0 = ref MemoryMarshal.GetReference(logits);
        ref T d0 = ref MemoryMarshal.GetReference(dlogits);
        double loss = 0.0;
        ref T f = ref f0;
        ref T d = ref d0;
        for (int r = 0; r < batch; r++)
        {
            int y = Label(labels, r, classes);
            T max = f;
            for (int j = 1; j < classes; j++)
            {
                max = T.Max(max, Unsafe.Add(ref f, j));
            }
            loss -= double.CreateTruncating(Unsafe.Add(ref f, y) - max);
            for (int j = 0; j < classes; j++)
            {
                Unsafe.Add(ref d, j) = Unsafe.Add(ref f, j) - max; // d may be f: f[j] is read before d[j] is written
            }
            f = ref Unsafe.Add(ref f, classes);
            d = ref Unsafe.Add(ref d, classes);
        }

        Span<T> all = dlogits.Slice(0, batch * classes);
        TensorPrimitives.Exp(all, all);

        T invBatch = T.One / T.CreateTruncating(batch);
        double product = 1.0;
        d = ref d0;
        for (int r = 0; r < batch; r++)
        {
            T sum = d;
            for (int j = 1; j < classes; j++)
            {
                sum += Unsafe.Add(ref d, j);
            }
            product *= double.CreateTruncating(sum);
            if (product > 1e250)
            {
                loss += Math.Log(product);
                product = 1.0;
            }

            T scale = invBatch / sum;
            for (int j = 0; j < classes; j++)
            {
                Unsafe.Add(ref d, j) *= scale;
            }
            Unsafe.Add(ref d, labels[r]) -= invBatch;
            d = ref Unsafe.Add(ref d, classes);
        }
        return loss + Math.Log(product);
    }

    /// <summary>L_i = Σ_{j≠y} max(0, f_j − f_y + 1); ∂/∂f_j = 1(margin_j &gt; 0)/B, ∂/∂f_y = −Σ_j 1(margin_j &gt; 0)/B</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="labels">Class of each row, [batch], each in [0, classes).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, classes] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <returns>Σ_i L_i (the Weston–Watkins multiclass SVM loss with margin Δ = 1).</returns>
    public static double MulticlassHinge<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(logits.Length, labels.Length, dlogits.Length, batch, classes, nameof(dlogits));
        if (batch == 0)
        {
            return 0.0;
        }

        T invBatch = T.One / T.CreateTruncating(batch);
        double loss = 0.0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<T> f = logits.Slice(r * classes, classes);
            Span<T> d = dlogits.Slice(r * classes, classes);
            int y = Label(labels, r, classes);
            T fy = f[y];
            int violated = 0;
            for (int j = 0; j < classes; j++)
            {
                T margin = f[j] - fy + T.One;
                if (j != y && margin > T.Zero)
                {
                    loss += double.CreateTruncating(margin);
                    d[j] = invBatch;
                    violated++;
                }
                else
                {
                    d[j] = T.Zero;
                }
            }
            d[y] = -T.CreateTruncating(violated) * invBatch;
        }
        return loss;
    }

    /// <summary>L_i = (1/O) Σ_j (p_ij − t_ij)²; dpredictions = 2(p − t)/(B·O)</summary>
    /// <param name="predictions">Network outputs, [batch, outputs].</param>
    /// <param name="targets">Regression targets, [batch, outputs]. Not validated: a non-finite target gives a non-finite
    /// loss (the generated API checks targets).</param>
    /// <param name="dpredictions">Gradient of the mean loss, [batch, outputs] (overwritten); may be
    /// <paramref name="predictions"/> (or <paramref name="targets"/>) itself.</param>
    /// <param name="batch">B.</param>
    /// <param name="outputs">O.</param>
    /// <returns>Σ_i L_i, so Σ_i L_i / B is PyTorch's <c>nn.MSELoss(reduction='mean')</c> over all B·O elements.</returns>
    /// <remarks>The squares are summed in double (a float register is widened to two double registers); the gradient is
    /// <c>(p − t)·(2/(B·O))</c> in <typeparamref name="T"/>, the factor rounded once, as PyTorch's <c>mse_loss_backward</c>.</remarks>
    public static double MeanSquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> dpredictions, int batch, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        if (outputs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "A regression loss needs at least one output.");
        }
        long count = (long)batch * outputs;
        ThrowHelper.RequireLength(predictions.Length, count, nameof(predictions));
        ThrowHelper.RequireLength(targets.Length, count, nameof(targets));
        ThrowHelper.RequireLength(dpredictions.Length, count, nameof(dpredictions));
        if (batch == 0)
        {
            return 0.0;
        }

        ref T rp = ref MemoryMarshal.GetReference(predictions);
        ref T rt = ref MemoryMarshal.GetReference(targets);
        ref T rd = ref MemoryMarshal.GetReference(dpredictions);
        T scale = T.CreateTruncating(2.0 / count);
        nint length = (nint)count, i = 0;
        double sum = 0.0;
        if (Vector.IsHardwareAccelerated && typeof(T) == typeof(float))
        {
            // Each register: the difference in float for the gradient, and again in double (exact) for the square.
            ref float p = ref Unsafe.As<T, float>(ref rp);
            ref float t = ref Unsafe.As<T, float>(ref rt);
            ref float d = ref Unsafe.As<T, float>(ref rd);
            Vector<float> s = new(float.CreateTruncating(scale));
            Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero;
            for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> vp = Vector.LoadUnsafe(ref p, (nuint)i);
                Vector<float> vt = Vector.LoadUnsafe(ref t, (nuint)i);
                Vector.Widen(vp, out Vector<double> plo, out Vector<double> phi);
                Vector.Widen(vt, out Vector<double> tlo, out Vector<double> thi);
                plo -= tlo;
                phi -= thi;
                acc0 += plo * plo;
                acc1 += phi * phi;
                ((vp - vt) * s).StoreUnsafe(ref d, (nuint)i);
            }
            sum = Vector.Sum(acc0 + acc1);
        }
        else if (Vector.IsHardwareAccelerated && typeof(T) == typeof(double))
        {
            ref double p = ref Unsafe.As<T, double>(ref rp);
            ref double t = ref Unsafe.As<T, double>(ref rt);
            ref double d = ref Unsafe.As<T, double>(ref rd);
            Vector<double> s = new(double.CreateTruncating(scale));
            Vector<double> acc = Vector<double>.Zero;
            for (; i <= length - Vector<double>.Count; i += Vector<double>.Count)
            {
                Vector<double> e = Vector.LoadUnsafe(ref p, (nuint)i) - Vector.LoadUnsafe(ref t, (nuint)i);
                acc += e * e;
                (e * s).StoreUnsafe(ref d, (nuint)i);
            }
            sum = Vector.Sum(acc);
        }
        for (; i < length; i++)
        {
            T pi = Unsafe.Add(ref rp, i), ti = Unsafe.Add(ref rt, i);
            double e = double.CreateTruncating(pi) - double.CreateTruncating(ti);
            sum += e * e;
            Unsafe.Add(ref rd, i) = (pi - ti) * scale; // d may be p or t: both are read first
        }
        return sum / outputs;
    }

    /// <summary>p_ij = e^(f_ij − max_j f_i) / Σ_k e^(f_ik − max_j f_i), row by row</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="probabilities">Output, [batch, classes] (may be <paramref name="logits"/> itself).</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <remarks>Written here rather than with <c>TensorPrimitives.SoftMax</c>, which does not subtract the maximum
    /// and overflows to ∞/∞ = NaN for scores above ~88 (float).</remarks>
    public static void Softmax<T>(ReadOnlySpan<T> logits, Span<T> probabilities, int batch, int classes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        ThrowHelper.RequireNonNegative(classes, nameof(classes));
        ThrowHelper.RequireLength(logits.Length, (long)batch * classes, nameof(logits));
        ThrowHelper.RequireLength(probabilities.Length, (long)batch * classes, nameof(probabilities));
        if (classes == 0)
        {
            return;
        }

        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<T> f = logits.Slice(r * classes, classes);
            Span<T> p = probabilities.Slice(r * classes, classes);
            T max = TensorPrimitives.Max(f);
            TensorPrimitives.Subtract(f, max, p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Multiply(p, T.One / TensorPrimitives.Sum<T>(p), p);
        }
    }

    private static void Validate(int logitsLength, int labelsLength, int dlogitsLength, int batch, int classes, string dlogitsName)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classification loss needs at least one class.");
        }
        ThrowHelper.RequireLength(logitsLength, (long)batch * classes, "logits");
        ThrowHelper.RequireLength(labelsLength, batch, "labels");
        ThrowHelper.RequireLength(dlogitsLength, (long)batch * classes, dlogitsName);
    }

    private static int Label(ReadOnlySpan<int> labels, int row, int classes)
    {
        int y = labels[row];
        if ((uint)y >= (uint)classes)
        {
            ThrowHelper.ThrowLabel(y, row, classes);
        }
        return y;
    }
}
