using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>What a loss compares the network's output with: class indices (<c>int</c>, one per row) or dense float targets
/// shaped like the output (<c>[B, OutputSize]</c>). The generated class exposes only the overloads that fit.</summary>
internal enum TargetKind
{
    ClassIndex,
    Dense,
}

/// <summary>
/// One loss: its formula (shown in the generated file), its target kind, the fewest outputs it makes sense on, the
/// PyTorch equivalent, the <c>[Network]</c> settings it reads, and the kernel call. The kernel returns the sum over the
/// batch of the per-example loss and writes ∂(mean loss)/∂output into the first gradient slot.
/// </summary>
internal abstract class LossEntry
{
    public abstract LossKind Kind { get; }

    public abstract string Title(TrainingSpec t);

    public abstract IReadOnlyList<string> Formula(TrainingSpec t);

    public abstract TargetKind Target { get; }

    /// <summary>NG0103 below this many outputs (2 for classification; regression works on one).</summary>
    public virtual int MinOutputs => Target == TargetKind.ClassIndex ? 2 : 1;

    public abstract string TorchEquivalent(TrainingSpec t);

    /// <summary>The loss settings of [Network] this loss reads (of <see cref="LossCatalog.Settings"/>); writing another is NG0301.</summary>
    public virtual IReadOnlyList<string> ReadSettings => System.Array.Empty<string>();

    public bool Reads(string setting)
    {
        foreach (string s in ReadSettings)
        {
            if (s == setting)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The kernel in <c>NetGen.Kernels.Losses</c>, e.g. "SoftmaxCrossEntropy".</summary>
    protected abstract string Kernel { get; }

    /// <summary>The kernel's arguments after (output, targets, gradient, B, O), e.g. ", 2" for a margin; none by default.</summary>
    protected virtual string ExtraArguments(TrainingSpec t) => string.Empty;

    /// <summary>Writes <c>double loss = Σ_i L_i / B;</c> from the scores span, the targets and the gradient slot.</summary>
    public void EmitLoss(SourceWriter w, TrainingSpec t, string scores, string targets, string gradient, string outputs) =>
        w.WriteLine($"double loss = global::NetGen.Kernels.Losses.{Kernel}<T>({scores}, {targets}, {gradient}, B, {outputs}{ExtraArguments(t)}) / B;");

    /// <summary>The <c>NetGen.Guard</c> method that checks dense targets: finite values ("Targets"), or exactly 0 or 1.</summary>
    public virtual string TargetGuard => "Targets";

    /// <summary>Whether the generated class also takes target distributions [B, C] (<c>targetProbabilities</c>) besides labels.</summary>
    public virtual bool AcceptsProbabilities => false;

    public virtual string TorchEquivalentForProbabilities(TrainingSpec t) => TorchEquivalent(t);

    public virtual IReadOnlyList<string> ProbabilityFormula(TrainingSpec t) => Formula(t);

    /// <summary>Writes <c>double loss = Σ_i L_i / B;</c> against probability rows (only when <see cref="AcceptsProbabilities"/>).</summary>
    public void EmitProbabilityLoss(SourceWriter w, TrainingSpec t, string scores, string targetProbabilities, string gradient, string outputs) =>
        w.WriteLine($"double loss = global::NetGen.Kernels.Losses.{Kernel}<T>({scores}, {targetProbabilities}, {gradient}, B, {outputs}{ExtraArguments(t)}) / B;");

    protected static string F(double value) => LayerCatalog.F(value);

    // ── Losses that own parameters (the hierarchical softmax's node vectors): all defaults describe a loss without any. ──

    /// <summary>OutputSize of the generated class, from the last layer's <paramref name="features"/>: the same number by default;
    /// the hierarchical softmax's number of classes.</summary>
    public virtual int Outputs(TrainingSpec t, int features) => features;

    /// <summary>Parameters the loss owns, planned after the layers under the keys "hsm.{local}" (trained and saved as any
    /// parameter, not attached to a node); <see cref="LossState.WeightDecay"/> says whether WeightDecay and L1 apply.</summary>
    public virtual IReadOnlyList<LossState> State(TrainingSpec t, int features) => System.Array.Empty<LossState>();

    /// <summary>Static fields of the generated class the loss needs (the hierarchical softmax's tree), each block followed by a blank line.</summary>
    public virtual void EmitClassFields(SourceWriter w, Plan plan)
    {
    }

    /// <summary>The loss call in Core.Loss: by default <see cref="EmitLoss"/> with the plan's settings.</summary>
    public virtual void EmitLossCall(SourceWriter w, Plan plan, string scores, string targets, string gradient) =>
        EmitLoss(w, plan.Training, scores, targets, gradient, LayerCatalog.I(plan.OutputSize));

    /// <summary>Extra members of Core&lt;T&gt; (the hierarchical softmax's distribution and greedy descent).</summary>
    public virtual void EmitCoreMembers(SourceWriter w, Plan plan)
    {
    }

    /// <summary>Predict's rows: <paramref name="forward"/> (the features of the last layer) into <paramref name="outputs"/>; a copy by default.</summary>
    public virtual void EmitPredictRows(SourceWriter w, string forward, string outputs) => w.WriteLine($"{forward}.CopyTo({outputs});");

    /// <summary>Extra public members of the generated class (<paramref name="cuda"/>: it has a CUDA core).</summary>
    public virtual void EmitApiMembers(SourceWriter w, Plan plan, bool cuda)
    {
    }

    /// <summary>Why ExportOnnx cannot write this loss's inference graph, or null when Predict is the last layer's output.</summary>
    public virtual string? OnnxUnsupportedReason => null;

    // ── CUDA (Lowering/CudaLowering.cs, docs/cuda.md) ──

    /// <summary>Why this loss (with these settings) has no CUDA kernel, or null when <see cref="EmitCudaLoss"/> launches it.</summary>
    public virtual string? CudaUnsupportedReason(TrainingSpec t) => "NetGen has no CUDA kernel for this loss yet";

    /// <summary>Loss terms (doubles) the CUDA kernel writes per row, summed by the deterministic reduction: 1 per row, or one per output.</summary>
    public virtual bool CudaLossTermPerOutput => false;

    /// <summary>The launches of CudaCore.Loss, launches only (they may run inside a CUDA graph: no copy, no sum, nothing
    /// back to the host): the loss kernel reads the targets (<c>_targets</c>, [B] labels or [B, O] values, copied to the
    /// device before) and writes ∂L/∂output into <paramref name="gradient"/> and the terms (doubles) into
    /// <c>_lossTerms</c>. CudaCore then sums the terms on the device and divides by their number (B, or B·O when
    /// <see cref="CudaLossTermPerOutput"/>) on the host.</summary>
    public virtual void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) =>
        throw new System.NotSupportedException($"{Kind} has no CUDA lowering.");

    /// <summary>As <see cref="EmitCudaLoss"/> against probability rows (only when <see cref="AcceptsProbabilities"/>), launches
    /// only: the kernel reads <c>_targetProbabilities</c> ([B, O] floats, copied to the device before) and writes one term per row.</summary>
    public virtual void EmitCudaProbabilityLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) =>
        throw new System.NotSupportedException($"{Kind} has no CUDA lowering for probability targets.");

    /// <summary>What the sum of the CUDA loss terms is divided by, in the generated code (B and <paramref name="outputs"/> in
    /// scope): B·O for a mean over every element (<see cref="CudaLossTermPerOutput"/>), B for a mean over rows (one term per
    /// row, or a sum over the outputs of each row).</summary>
    public virtual string CudaLossDivisor(string outputs) => CudaLossTermPerOutput ? $"B * {outputs}" : "B";

    /// <summary>The launches of CudaCore.Loss: <see cref="EmitCudaLoss"/> with the plan's settings; a loss that owns parameters
    /// (the hierarchical softmax) reads their views from the plan.</summary>
    public virtual void EmitCudaLossCall(SourceWriter w, Plan plan, string scores, string gradient) =>
        EmitCudaLoss(w, plan.Training, scores, gradient, LayerCatalog.I(plan.OutputSize));

    /// <summary>Per-row views of the activation arena the loss needs besides its terms: field, element type, values per row, comment.</summary>
    public virtual IReadOnlyList<(string Field, string Type, string Length, string Comment)> CudaRowBuffers(Plan plan) =>
        System.Array.Empty<(string, string, string, string)>();

    /// <summary>Fields of CudaCore the loss needs (the hierarchical softmax's tree on the device), and their allocation.</summary>
    public virtual void EmitCudaFields(SourceWriter w, Plan plan)
    {
    }

    public virtual void EmitCudaAllocations(SourceWriter w, Plan plan)
    {
    }

    /// <summary>A launch after Predict's forward, reading the last layer's output <paramref name="features"/>, or null; and the
    /// view Predict copies back (<paramref name="features"/> itself by default).</summary>
    public virtual string? CudaPredictLaunch(Plan plan, string features) => null;

    public virtual string CudaPredictOutput(string features) => features;

    /// <summary>Extra members of CudaCore (the hierarchical softmax's PredictClasses on the device).</summary>
    public virtual void EmitCudaCoreMembers(SourceWriter w, Plan plan, string features)
    {
    }

    /// <summary>The CUDA launches of a dense-target loss whose kernel writes one double term per output element (on scores,
    /// _targets, gradient, _lossTerms); <see cref="CudaLossDivisor"/> says what their sum is divided by.</summary>
    protected static void EmitCudaElementwiseLoss(SourceWriter w, string comment, string launch)
    {
        w.WriteLine($"// {comment}");
        w.WriteLine(launch);
    }

    /// <summary>The CUDA launches of a class-label loss whose kernel writes one double term per row.</summary>
    protected static void EmitCudaRowLoss(SourceWriter w, string comment, string launch)
    {
        w.WriteLine($"// {comment}");
        w.WriteLine(launch);
    }
}

/// <summary>A parameter tensor owned by a loss: its local name, shape and whether WeightDecay and L1 apply to it. It starts at 0
/// (the node vectors of word2vec's hierarchical softmax: every branch probability is ½ at the start).</summary>
internal sealed record LossState(string Local, int[] Shape, bool WeightDecay);

/// <summary>Softmax cross-entropy (multinomial logistic regression), with the maximum subtracted (nn.CrossEntropyLoss), optional
/// label smoothing ε, and probability targets.</summary>
internal sealed class SoftmaxCrossEntropyEntry : LossEntry
{
    public override LossKind Kind => LossKind.SoftmaxCrossEntropy;

    public override string Title(TrainingSpec t) => t.LabelSmoothing > 0 ? $"softmax cross-entropy with label smoothing ε = {F(t.LabelSmoothing)}" : "softmax cross-entropy";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => t.LabelSmoothing > 0
        ? new[]
        {
            $"L = (1/B) Σ_i Σ_j q_ij (lse_i − f_ij),  q_i = (1 − ε)·onehot(y_i) + ε/C,  ε = {F(t.LabelSmoothing)},  lse_i = m_i + log Σ_j e^(f_ij − m_i), m_i = max_j f_ij",
            "fused backward: ∂L/∂f = (softmax(f) − q) / B",
        }
        : new[]
        {
            "L = (1/B) Σ_i [log Σ_j e^(f_ij − m_i) − (f_iy_i − m_i)],  m_i = max_j f_ij (subtracted for numerical stability)",
            "fused backward: ∂L/∂f = (softmax(f) − onehot(y)) / B",
        };

    public override TargetKind Target => TargetKind.ClassIndex;

    public override string TorchEquivalent(TrainingSpec t) => t.LabelSmoothing > 0 ? $"nn.CrossEntropyLoss(label_smoothing={F(t.LabelSmoothing)})" : "nn.CrossEntropyLoss()";

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "LabelSmoothing" };

    public override bool AcceptsProbabilities => true;

    public override string TorchEquivalentForProbabilities(TrainingSpec t) => TorchEquivalent(t) + " with probability targets";

    public override IReadOnlyList<string> ProbabilityFormula(TrainingSpec t) => new[]
    {
        t.LabelSmoothing > 0
            ? $"L = (1/B) Σ_i Σ_j q_ij (lse_i − f_ij),  q_i = (1 − ε)·t_i + ε/C,  ε = {F(t.LabelSmoothing)},  lse_i = m_i + log Σ_j e^(f_ij − m_i)"
            : "L = (1/B) Σ_i Σ_j q_ij (lse_i − f_ij),  q_i = t_i,  lse_i = m_i + log Σ_j e^(f_ij − m_i), m_i = max_j f_ij",
        "rows are not renormalised (as PyTorch): s_i = Σ_j q_ij weighs example i;  fused backward: ∂L/∂f = (s_i·softmax(f) − q) / B",
    };

    protected override string Kernel => "SoftmaxCrossEntropy";

    // ε = 0 calls the five-argument kernel with labels, so declarations without LabelSmoothing generate the same code.
    protected override string ExtraArguments(TrainingSpec t) => t.LabelSmoothing > 0 ? ", " + F(t.LabelSmoothing) : string.Empty;

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    // ε = 0 launches ng_softmax_cross_entropy, as before label smoothing had a CUDA kernel, so those networks generate the same code.
    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaRowLoss(w, t.LabelSmoothing > 0
            ? $"ng_softmax_cross_entropy_soft: one thread per row of [B×{outputs}]; q = (1 − ε)·onehot(y) + ε/C, loss terms in double, ∂L/∂f = (softmax(f) − q) / B"
            : $"ng_softmax_cross_entropy: one thread per row of [B×{outputs}]; loss terms in double, ∂L/∂f = (softmax(f) − onehot(y)) / B",
        t.LabelSmoothing > 0
            ? $"_k.SoftmaxCrossEntropy({scores}, _targets, {gradient}, _lossTerms, B, {outputs}, {F(t.LabelSmoothing)});"
            : $"_k.SoftmaxCrossEntropy({scores}, _targets, {gradient}, _lossTerms, B, {outputs});");

    public override void EmitCudaProbabilityLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs)
    {
        w.WriteLine($"// ng_softmax_cross_entropy_soft: one thread per row of [B×{outputs}]; q = {(t.LabelSmoothing > 0 ? "(1 − ε)·t + ε/C" : "t")}, s = Σq; loss terms in double, ∂L/∂f = (s·softmax(f) − q) / B");
        w.WriteLine($"_k.SoftmaxCrossEntropy({scores}, _targetProbabilities, {gradient}, _lossTerms, B, {outputs}{(t.LabelSmoothing > 0 ? ", " + F(t.LabelSmoothing) : string.Empty)});");
    }
}

/// <summary>The multiclass SVM hinge loss (Weston–Watkins, margin Δ).</summary>
internal sealed class MulticlassHingeEntry : LossEntry
{
    public override LossKind Kind => LossKind.MulticlassHinge;

    public override string Title(TrainingSpec t) => $"multiclass SVM hinge (Weston–Watkins, Δ = {F(t.Margin)})";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        $"L = (1/B) Σ_i Σ_{{j≠y_i}} max(0, f_ij − f_iy_i + {F(t.Margin)})",
        "∂L/∂f_ij = 1(margin_ij > 0)/B for j ≠ y_i;  ∂L/∂f_iy_i = −(number of positive margins)/B",
    };

    public override TargetKind Target => TargetKind.ClassIndex;

    public override string TorchEquivalent(TrainingSpec t) => t.Margin == 1.0 ? "C · nn.MultiMarginLoss()" : $"C · nn.MultiMarginLoss(margin={F(t.Margin)})";

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Margin" };

    protected override string Kernel => "MulticlassHinge";

    // The default margin calls the five-argument kernel, so that declarations written before Margin existed generate the same code.
    protected override string ExtraArguments(TrainingSpec t) => t.Margin == 1.0 ? string.Empty : ", " + F(t.Margin);

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaRowLoss(w,
        $"ng_multiclass_hinge: one thread per row of [B×{outputs}]; Σ_{{j≠y}} max(0, f_j − f_y + Δ) in double, ∂L/∂f as the CPU's",
        $"_k.MulticlassHinge({scores}, _targets, {gradient}, _lossTerms, B, {outputs}, {F(t.Margin)}, squared: false);");
}

/// <summary>The squared multiclass hinge loss (L2-SVM, margin Δ).</summary>
internal sealed class MulticlassSquaredHingeEntry : LossEntry
{
    public override LossKind Kind => LossKind.MulticlassSquaredHinge;

    public override string Title(TrainingSpec t) => $"squared multiclass SVM hinge (L2-SVM, Δ = {F(t.Margin)})";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        $"L = (1/B) Σ_i Σ_{{j≠y_i}} max(0, m_ij)²,  m_ij = f_ij − f_iy_i + {F(t.Margin)}",
        "∂L/∂f_ij = 2·max(0, m_ij)/B for j ≠ y_i;  ∂L/∂f_iy_i = −Σ_{j≠y_i} 2·max(0, m_ij)/B",
    };

    public override TargetKind Target => TargetKind.ClassIndex;

    public override string TorchEquivalent(TrainingSpec t) => $"C · nn.MultiMarginLoss(p=2, margin={F(t.Margin)})";

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Margin" };

    protected override string Kernel => "MulticlassSquaredHinge";

    protected override string ExtraArguments(TrainingSpec t) => ", " + F(t.Margin);

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaRowLoss(w,
        $"ng_multiclass_hinge (squared): one thread per row of [B×{outputs}]; Σ_{{j≠y}} max(0, f_j − f_y + Δ)² in double, ∂L/∂f as the CPU's",
        $"_k.MulticlassHinge({scores}, _targets, {gradient}, _lossTerms, B, {outputs}, {F(t.Margin)}, squared: true);");
}

/// <summary>Mean squared error over all B·O elements (nn.MSELoss), for regression with float targets.</summary>
internal sealed class MeanSquaredErrorEntry : LossEntry
{
    public override LossKind Kind => LossKind.MeanSquaredError;

    public override string Title(TrainingSpec t) => "mean squared error";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        "L = (1/(B·O)) Σ_i Σ_j (f_ij − t_ij)²   (the mean over every element, as nn.MSELoss)",
        "∂L/∂f = 2(f − t) / (B·O)",
    };

    public override TargetKind Target => TargetKind.Dense;

    public override string TorchEquivalent(TrainingSpec t) => "nn.MSELoss()";

    protected override string Kernel => "MeanSquaredError";

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override bool CudaLossTermPerOutput => true;

    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs)
    {
        w.WriteLine($"// ng_mse: one thread per value of [B×{outputs}]; (f − t)² in double, ∂L/∂f = (f − t)·(2/(B·O))");
        w.WriteLine($"_k.MeanSquaredError({scores}, _targets, {gradient}, _lossTerms);");
    }
}

/// <summary>Mean absolute error (L1 loss) over all B·O elements (nn.L1Loss), for regression with float targets.</summary>
internal sealed class MeanAbsoluteErrorEntry : LossEntry
{
    public override LossKind Kind => LossKind.MeanAbsoluteError;

    public override string Title(TrainingSpec t) => "mean absolute error (L1)";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        "L = (1/(B·O)) Σ_i Σ_j |f_ij − t_ij|   (the mean over every element, as nn.L1Loss)",
        "∂L/∂f = sign(f − t) / (B·O), 0 where f = t",
    };

    public override TargetKind Target => TargetKind.Dense;

    public override string TorchEquivalent(TrainingSpec t) => "nn.L1Loss()";

    protected override string Kernel => "MeanAbsoluteError";

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override bool CudaLossTermPerOutput => true;

    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaElementwiseLoss(w,
        $"ng_mae: one thread per value of [B×{outputs}]; |f − t| in double, ∂L/∂f = sign(f − t)/(B·O)",
        $"_k.MeanAbsoluteError({scores}, _targets, {gradient}, _lossTerms);");
}

/// <summary>The Huber loss with threshold δ over all B·O elements (nn.HuberLoss), for regression with float targets.</summary>
internal sealed class HuberEntry : LossEntry
{
    public override LossKind Kind => LossKind.Huber;

    public override string Title(TrainingSpec t) => $"Huber (δ = {F(t.Delta)})";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        $"L = (1/(B·O)) Σ_i Σ_j h(f_ij − t_ij),  h(e) = ½e² if |e| ≤ δ else δ(|e| − ½δ),  δ = {F(t.Delta)}",
        "∂L/∂f = clamp(f − t, −δ, δ) / (B·O)",
    };

    public override TargetKind Target => TargetKind.Dense;

    public override string TorchEquivalent(TrainingSpec t) => $"nn.HuberLoss(delta={F(t.Delta)})";

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Delta" };

    protected override string Kernel => "Huber";

    protected override string ExtraArguments(TrainingSpec t) => ", " + F(t.Delta);

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override bool CudaLossTermPerOutput => true;

    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaElementwiseLoss(w,
        $"ng_huber: one thread per value of [B×{outputs}]; h(f − t) in double, ∂L/∂f = clamp(f − t, −δ, δ)/(B·O)",
        $"_k.Huber({scores}, _targets, {gradient}, _lossTerms, {F(t.Delta)});");
}

/// <summary>Binary cross-entropy on logits over all B·O elements (nn.BCEWithLogitsLoss), for multi-label targets in [0, 1].</summary>
internal sealed class BinaryCrossEntropyWithLogitsEntry : LossEntry
{
    public override LossKind Kind => LossKind.BinaryCrossEntropyWithLogits;

    public override string Title(TrainingSpec t) => "binary cross-entropy on logits";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        "L = (1/(B·O)) Σ_i Σ_j [max(f_ij, 0) − f_ij·t_ij + log(1 + e^(−|f_ij|))]   (= −t·log σ(f) − (1 − t)·log(1 − σ(f)); e^(−|f|) ≤ 1 never overflows)",
        "∂L/∂f = (σ(f) − t) / (B·O)",
    };

    public override TargetKind Target => TargetKind.Dense;

    public override string TorchEquivalent(TrainingSpec t) => "nn.BCEWithLogitsLoss()";

    protected override string Kernel => "BinaryCrossEntropyWithLogits";

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override bool CudaLossTermPerOutput => true;

    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaElementwiseLoss(w,
        $"ng_bce_with_logits: one thread per value of [B×{outputs}]; max(f, 0) − f·t + log(1 + e^(−|f|)) in double, ∂L/∂f = (σ(f) − t)/(B·O)",
        $"_k.BinaryCrossEntropyWithLogits({scores}, _targets, {gradient}, _lossTerms);");
}

/// <summary>The binary (per-attribute) hinge over 0/1 targets: an independent linear SVM per output (multi-label).</summary>
internal sealed class BinaryHingeEntry : LossEntry
{
    public override LossKind Kind => LossKind.BinaryHinge;

    public override string Title(TrainingSpec t) => $"binary (per-attribute) hinge (Δ = {F(t.Margin)})";

    public override IReadOnlyList<string> Formula(TrainingSpec t) => new[]
    {
        $"L = (1/B) Σ_i Σ_j max(0, {F(t.Margin)} − y'_ij·f_ij),  y' = 2t − 1 ∈ {{−1, +1}}   (summed over the outputs, averaged over the rows)",
        $"∂L/∂f_ij = −y'_ij·1({F(t.Margin)} − y'_ij·f_ij > 0)/B",
    };

    public override TargetKind Target => TargetKind.Dense;

    public override string TorchEquivalent(TrainingSpec t) => $"F.relu({F(t.Margin)} - (2*t - 1)*f).sum(1).mean()";

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Margin" };

    public override string TargetGuard => "BinaryTargets";

    protected override string Kernel => "BinaryHinge";

    protected override string ExtraArguments(TrainingSpec t) => ", " + F(t.Margin);

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override bool CudaLossTermPerOutput => true;

    // The terms summed over the outputs and averaged over the rows: the sum divided by B.
    public override void EmitCudaLoss(SourceWriter w, TrainingSpec t, string scores, string gradient, string outputs) => EmitCudaElementwiseLoss(w,
        $"ng_binary_hinge: one thread per value of [B×{outputs}]; max(0, Δ − y'·f) in double, ∂L/∂f = −y'·1(margin violated)/B",
        $"_k.BinaryHinge({scores}, _targets, {gradient}, _lossTerms, B, {F(t.Margin)});");

    public override string CudaLossDivisor(string outputs) => "B"; // a sum over the outputs, a mean over the rows
}

/// <summary>The registry of losses, by <see cref="LossKind"/>.</summary>
internal static class LossCatalog
{
    /// <summary>The loss settings of [Network] (each read by some losses; NG0301 when written for another).</summary>
    public static readonly string[] Settings = { "Margin", "Delta", "LabelSmoothing", "Classes", "ClassTree" };

    private static readonly LossEntry[] All =
    {
        new SoftmaxCrossEntropyEntry(), new MulticlassHingeEntry(), new MeanSquaredErrorEntry(), new MulticlassSquaredHingeEntry(),
        new MeanAbsoluteErrorEntry(), new HuberEntry(), new BinaryCrossEntropyWithLogitsEntry(), new BinaryHingeEntry(),
        new HierarchicalSoftmaxEntry(),
    };

    public static LossEntry? TryGet(LossKind kind)
    {
        foreach (LossEntry entry in All)
        {
            if (entry.Kind == kind)
            {
                return entry;
            }
        }

        return null;
    }

    public static LossEntry Get(LossKind kind) => TryGet(kind) ?? throw new KeyNotFoundException($"No loss entry for {kind}.");

    /// <summary>The losses that read <paramref name="setting"/>, for NG0301's message.</summary>
    public static IEnumerable<LossKind> ReadersOf(string setting)
    {
        foreach (LossEntry entry in All)
        {
            if (entry.Reads(setting))
            {
                yield return entry.Kind;
            }
        }
    }
}
