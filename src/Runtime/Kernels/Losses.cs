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
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
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

    /// <summary>L_i = −Σ_j q_ij log softmax(f_i)_j with q = (1 − ε)·onehot(y) + ε/C; dlogits = (softmax(f) − q) / B</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="labels">Class of each row, [batch], each in [0, classes).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, classes] (overwritten); may be <paramref name="logits"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="labelSmoothing">ε in [0, 1); 0 is the plain loss (and runs <see cref="SoftmaxCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, int)"/>).</param>
    /// <returns>Σ_i L_i, so Σ_i L_i / B is PyTorch's <c>F.cross_entropy(f, y, label_smoothing=ε)</c>.</returns>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes, double labelSmoothing)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckLabelSmoothing(labelSmoothing);
        if (labelSmoothing == 0)
        {
            return SoftmaxCrossEntropy(logits, labels, dlogits, batch, classes);
        }

        Validate(logits.Length, labels.Length, dlogits.Length, batch, classes, nameof(dlogits));
        for (int r = 0; r < batch; r++)
        {
            Label(labels, r, classes);
        }

        return SoftTargets(logits, labels, ReadOnlySpan<T>.Empty, dlogits, batch, classes, labelSmoothing);
    }

    /// <summary>L_i = −Σ_j q_ij log softmax(f_i)_j with q = (1 − ε)·t + ε/C; dlogits = (s_i·softmax(f) − q) / B, s_i = Σ_j q_ij</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="targetProbabilities">Target distribution of each row, [batch, classes], every value finite and ≥ 0 (checked by
    /// the generated API, not here). Rows are used as given, not renormalised, as PyTorch does: a row summing to s weighs its
    /// example by s (the gradient is s·softmax(f) − q).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, classes] (overwritten); may be <paramref name="logits"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="labelSmoothing">ε in [0, 1).</param>
    /// <returns>Σ_i L_i, so Σ_i L_i / B is PyTorch's <c>F.cross_entropy(f, t, label_smoothing=ε)</c> with probability targets.</returns>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targetProbabilities, Span<T> dlogits, int batch, int classes, double labelSmoothing = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckLabelSmoothing(labelSmoothing);
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classification loss needs at least one class.");
        }
        ThrowHelper.RequireLength(logits.Length, (long)batch * classes, nameof(logits));
        ThrowHelper.RequireLength(targetProbabilities.Length, (long)batch * classes, nameof(targetProbabilities));
        ThrowHelper.RequireLength(dlogits.Length, (long)batch * classes, nameof(dlogits));
        return SoftTargets(logits, ReadOnlySpan<int>.Empty, targetProbabilities, dlogits, batch, classes, labelSmoothing);
    }

    private static void CheckLabelSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing ε must lie in [0, 1).");
        }
    }

    /// <summary>The cross-entropy against a target row q (from a label, or a probability row), ε-smoothed:
    /// L_i = Σ_j q_j·(lse_i − f_j) = s_i·lse_i − Σ_j q_j f_j, lse = m + log Σ e^(f − m); d = (s_i·p − q)/B.</summary>
    private static double SoftTargets<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<T> probabilities, Span<T> dlogits, int batch, int classes, double epsilon)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool fromLabels = probabilities.IsEmpty;
        double keep = 1.0 - epsilon, spread = epsilon / classes;
        double invBatch = 1.0 / batch;
        double loss = 0.0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<T> f = logits.Slice(r * classes, classes);
            Span<T> d = dlogits.Slice(r * classes, classes);
            int y = fromLabels ? labels[r] : -1;
            double max = double.CreateTruncating(TensorPrimitives.Max(f));
            double sumExp = 0.0, s = 0.0, qf = 0.0;
            for (int j = 0; j < classes; j++)
            {
                double fj = double.CreateTruncating(f[j]);
                double q = fromLabels ? (j == y ? keep : 0.0) + spread : (keep * double.CreateTruncating(probabilities[r * classes + j])) + spread;
                sumExp += Math.Exp(fj - max);
                s += q;
                qf += q * fj;
            }

            double lse = max + Math.Log(sumExp);
            loss += (s * lse) - qf;
            for (int j = 0; j < classes; j++)
            {
                double fj = double.CreateTruncating(f[j]); // d may be f: f[j] is read before d[j] is written
                double q = fromLabels ? (j == y ? keep : 0.0) + spread : (keep * double.CreateTruncating(probabilities[r * classes + j])) + spread;
                d[j] = T.CreateTruncating(((s * Math.Exp(fj - lse)) - q) * invBatch);
            }
        }

        return loss;
    }

    /// <summary><see cref="SoftmaxCrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, int)"/> for fewer than 16 classes: the same three passes and the same
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
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        MulticlassHinge(logits, labels, dlogits, batch, classes, 1.0);

    /// <summary>L_i = Σ_{j≠y} max(0, f_j − f_y + Δ); ∂/∂f_j = 1(margin_j &gt; 0)/B, ∂/∂f_y = −Σ_j 1(margin_j &gt; 0)/B</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="labels">Class of each row, [batch], each in [0, classes).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, classes] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="margin">Δ &gt; 0.</param>
    /// <returns>Σ_i L_i (the Weston–Watkins multiclass SVM loss), so Σ_i L_i / B is C · PyTorch's
    /// <c>nn.MultiMarginLoss(p=1, margin=Δ)</c>.</returns>
    public static double MulticlassHinge<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes, double margin)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Hinge(logits, labels, dlogits, batch, classes, margin, squared: false);

    /// <summary>L_i = Σ_{j≠y} max(0, f_j − f_y + Δ)²; ∂/∂f_j = 2·max(0, margin_j)/B, ∂/∂f_y = −Σ_{j≠y} 2·max(0, margin_j)/B</summary>
    /// <param name="logits">Scores, [batch, classes].</param>
    /// <param name="labels">Class of each row, [batch], each in [0, classes).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, classes] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="margin">Δ &gt; 0.</param>
    /// <returns>Σ_i L_i (the L2-SVM, squared Weston–Watkins hinge), so Σ_i L_i / B is C · PyTorch's
    /// <c>nn.MultiMarginLoss(p=2, margin=Δ)</c>.</returns>
    public static double MulticlassSquaredHinge<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes, double margin)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Hinge(logits, labels, dlogits, batch, classes, margin, squared: true);

    private static double Hinge<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> dlogits, int batch, int classes, double margin, bool squared)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Validate(logits.Length, labels.Length, dlogits.Length, batch, classes, nameof(dlogits));
        if (!(margin > 0) || double.IsInfinity(margin))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The hinge margin must be finite and > 0.");
        }
        if (batch == 0)
        {
            return 0.0;
        }

        T invBatch = T.One / T.CreateTruncating(batch);
        T twoOverBatch = T.CreateTruncating(2.0) * invBatch;
        T delta = T.CreateTruncating(margin);
        double loss = 0.0;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<T> f = logits.Slice(r * classes, classes);
            Span<T> d = dlogits.Slice(r * classes, classes);
            int y = Label(labels, r, classes);
            T fy = f[y];
            T dy = T.Zero; // squared: −Σ 2·m_j/B
            int violated = 0;
            for (int j = 0; j < classes; j++)
            {
                T m = f[j] - fy + delta; // d may be f: f[y] was read first, and f[j] is read before d[j] is written
                if (j != y && m > T.Zero)
                {
                    double md = double.CreateTruncating(m);
                    loss += squared ? md * md : md;
                    T g = squared ? m * twoOverBatch : invBatch;
                    d[j] = g;
                    dy -= g;
                    violated++;
                }
                else
                {
                    d[j] = T.Zero;
                }
            }
            d[y] = squared ? dy : -T.CreateTruncating(violated) * invBatch;
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

    /// <summary>L_i = (1/O) Σ_j |p_ij − t_ij|; dpredictions = sign(p − t)/(B·O), 0 where p = t</summary>
    /// <param name="predictions">Network outputs, [batch, outputs].</param>
    /// <param name="targets">Regression targets, [batch, outputs] (not validated, as for <see cref="MeanSquaredError"/>).</param>
    /// <param name="dpredictions">Gradient of the mean loss, [batch, outputs] (overwritten); may be
    /// <paramref name="predictions"/> (or <paramref name="targets"/>) itself.</param>
    /// <param name="batch">B.</param>
    /// <param name="outputs">O.</param>
    /// <returns>Σ_i L_i, so Σ_i L_i / B is PyTorch's <c>nn.L1Loss()</c> over all B·O elements.</returns>
    /// <remarks>The subgradient at p = t is 0, as PyTorch's <c>sign</c>.</remarks>
    public static double MeanAbsoluteError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> dpredictions, int batch, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long count = ValidateDense(predictions.Length, targets.Length, dpredictions.Length, batch, outputs);
        T scale = T.CreateTruncating(1.0 / count);
        double sum = 0.0;
        for (int i = 0; i < count; i++)
        {
            T e = predictions[i] - targets[i];
            sum += Math.Abs(double.CreateTruncating(predictions[i]) - double.CreateTruncating(targets[i]));
            dpredictions[i] = e > T.Zero ? scale : e < T.Zero ? -scale : T.Zero;
        }
        return sum / outputs;
    }

    /// <summary>L_i = (1/O) Σ_j h(p_ij − t_ij), h(e) = ½e² for |e| ≤ δ, δ(|e| − ½δ) beyond; dpredictions = clamp(p − t, −δ, δ)/(B·O)</summary>
    /// <param name="predictions">Network outputs, [batch, outputs].</param>
    /// <param name="targets">Regression targets, [batch, outputs] (not validated, as for <see cref="MeanSquaredError"/>).</param>
    /// <param name="dpredictions">Gradient of the mean loss, [batch, outputs] (overwritten); may be
    /// <paramref name="predictions"/> (or <paramref name="targets"/>) itself.</param>
    /// <param name="batch">B.</param>
    /// <param name="outputs">O.</param>
    /// <param name="delta">δ &gt; 0: quadratic within it, linear beyond.</param>
    /// <returns>Σ_i L_i, so Σ_i L_i / B is PyTorch's <c>nn.HuberLoss(delta=δ)</c> over all B·O elements (and, for δ = 1,
    /// <c>nn.SmoothL1Loss()</c>).</returns>
    public static double Huber<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> dpredictions, int batch, int outputs, double delta)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long count = ValidateDense(predictions.Length, targets.Length, dpredictions.Length, batch, outputs);
        if (!(delta > 0) || double.IsInfinity(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber δ must be finite and > 0.");
        }
        T scale = T.CreateTruncating(1.0 / count);
        T d = T.CreateTruncating(delta);
        double sum = 0.0;
        for (int i = 0; i < count; i++)
        {
            T e = predictions[i] - targets[i];
            double ed = double.CreateTruncating(predictions[i]) - double.CreateTruncating(targets[i]);
            double a = Math.Abs(ed);
            sum += a <= delta ? 0.5 * ed * ed : delta * (a - 0.5 * delta);
            dpredictions[i] = T.Clamp(e, -d, d) * scale;
        }
        return sum / outputs;
    }

    /// <summary>L_i = (1/O) Σ_j [max(f_ij, 0) − f_ij·t_ij + log(1 + e^(−|f_ij|))]; dlogits = (σ(f) − t)/(B·O)</summary>
    /// <param name="logits">Scores, [batch, outputs], one independent binary logit per output.</param>
    /// <param name="targets">Targets, [batch, outputs]: 0/1 labels or probabilities in [0, 1] (not validated, as for
    /// <see cref="MeanSquaredError"/>).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, outputs] (overwritten); may be <paramref name="logits"/>
    /// (or <paramref name="targets"/>) itself.</param>
    /// <param name="batch">B.</param>
    /// <param name="outputs">O.</param>
    /// <returns>Σ_i L_i, so Σ_i L_i / B is PyTorch's <c>nn.BCEWithLogitsLoss()</c> over all B·O elements.</returns>
    /// <remarks>−t·log σ(f) − (1 − t)·log(1 − σ(f)) is rewritten as max(f, 0) − f·t + log(1 + e^(−|f|)): e^(−|f|) ≤ 1 never
    /// overflows and no log of a rounded-to-0 probability is taken. σ(f) is computed from e^(−|f|) too.</remarks>
    public static double BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> dlogits, int batch, int outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long count = ValidateDense(logits.Length, targets.Length, dlogits.Length, batch, outputs);
        T scale = T.CreateTruncating(1.0 / count);
        double sum = 0.0;
        for (int i = 0; i < count; i++)
        {
            T f = logits[i], t = targets[i];
            double fd = double.CreateTruncating(f), td = double.CreateTruncating(t);
            double z = Math.Exp(-Math.Abs(fd)); // in (0, 1]
            sum += Math.Max(fd, 0.0) - fd * td + Math.Log(1.0 + z);
            T e = T.CreateTruncating(z);
            T sigma = f >= T.Zero ? T.One / (T.One + e) : e / (T.One + e);
            dlogits[i] = (sigma - t) * scale;
        }
        return sum / outputs;
    }

    /// <summary>L_i = Σ_j max(0, Δ − y'_ij·f_ij), y' = 2t − 1; dlogits = −y'·1(Δ − y'·f &gt; 0)/B</summary>
    /// <param name="logits">Scores, [batch, outputs], one independent binary score per output.</param>
    /// <param name="targets">0/1 labels, [batch, outputs] (the generated API checks them; any other value is used as y' = 2t − 1).</param>
    /// <param name="dlogits">Gradient of the mean loss, [batch, outputs] (overwritten); may be <paramref name="logits"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="outputs">O.</param>
    /// <param name="margin">Δ &gt; 0.</param>
    /// <returns>Σ_i L_i: summed over the outputs (each an independent SVM), so Σ_i L_i / B is the mean over the rows.</returns>
    /// <remarks>At a margin of exactly 0 the derivative is 0, as the other hinges.</remarks>
    public static double BinaryHinge<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> dlogits, int batch, int outputs, double margin)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long count = ValidateDense(logits.Length, targets.Length, dlogits.Length, batch, outputs);
        if (!(margin > 0) || double.IsInfinity(margin))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The hinge margin must be finite and > 0.");
        }
        if (batch == 0)
        {
            return 0.0;
        }

        T invBatch = T.One / T.CreateTruncating(batch);
        T delta = T.CreateTruncating(margin);
        T two = T.CreateTruncating(2.0);
        double sum = 0.0;
        for (int i = 0; i < count; i++)
        {
            T y = (two * targets[i]) - T.One;
            T m = delta - (y * logits[i]); // d may be f: f[i] is read before d[i] is written
            if (m > T.Zero)
            {
                sum += double.CreateTruncating(m);
                dlogits[i] = -y * invBatch;
            }
            else
            {
                dlogits[i] = T.Zero;
            }
        }
        return sum;
    }

    /// <summary>The checks of a dense-target loss; returns B·O.</summary>
    private static long ValidateDense(int predictionsLength, int targetsLength, int gradientLength, int batch, int outputs)
    {
        ThrowHelper.RequireNonNegative(batch, nameof(batch));
        if (outputs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "A regression loss needs at least one output.");
        }
        long count = (long)batch * outputs;
        ThrowHelper.RequireLength(predictionsLength, count, "predictions");
        ThrowHelper.RequireLength(targetsLength, count, "targets");
        ThrowHelper.RequireLength(gradientLength, count, "dpredictions");
        return count;
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
