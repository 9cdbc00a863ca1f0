using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

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
/// PyTorch equivalent, and the kernel call. The kernel returns the sum over the batch of the per-example loss and writes
/// ∂(mean loss)/∂output into the first gradient slot.
/// </summary>
internal abstract class LossEntry
{
    public abstract LossKind Kind { get; }

    public abstract string Title { get; }

    public abstract IReadOnlyList<string> Formula { get; }

    public abstract TargetKind Target { get; }

    /// <summary>NG0103 below this many outputs (2 for classification; regression works on one).</summary>
    public virtual int MinOutputs => Target == TargetKind.ClassIndex ? 2 : 1;

    public abstract string TorchEquivalent { get; }

    /// <summary>Writes <c>double loss = Σ_i L_i / B;</c> from the scores span, the targets and the gradient slot.</summary>
    public abstract void EmitLoss(SourceWriter w, string scores, string targets, string gradient, string outputs);
}

/// <summary>Softmax cross-entropy (multinomial logistic regression), with the maximum subtracted (nn.CrossEntropyLoss).</summary>
internal sealed class SoftmaxCrossEntropyEntry : LossEntry
{
    public override LossKind Kind => LossKind.SoftmaxCrossEntropy;

    public override string Title => "softmax cross-entropy";

    public override IReadOnlyList<string> Formula { get; } = new[]
    {
        "L = (1/B) Σ_i [log Σ_j e^(f_ij − m_i) − (f_iy_i − m_i)],  m_i = max_j f_ij (subtracted for numerical stability)",
        "fused backward: ∂L/∂f = (softmax(f) − onehot(y)) / B",
    };

    public override TargetKind Target => TargetKind.ClassIndex;

    public override string TorchEquivalent => "nn.CrossEntropyLoss()";

    public override void EmitLoss(SourceWriter w, string scores, string targets, string gradient, string outputs) =>
        w.WriteLine($"double loss = global::NetGen.Kernels.Losses.SoftmaxCrossEntropy<T>({scores}, {targets}, {gradient}, B, {outputs}) / B;");
}

/// <summary>The multiclass SVM hinge loss (Weston–Watkins, Δ = 1).</summary>
internal sealed class MulticlassHingeEntry : LossEntry
{
    public override LossKind Kind => LossKind.MulticlassHinge;

    public override string Title => "multiclass SVM hinge (Weston–Watkins, Δ = 1)";

    public override IReadOnlyList<string> Formula { get; } = new[]
    {
        "L = (1/B) Σ_i Σ_{j≠y_i} max(0, f_ij − f_iy_i + 1)",
        "∂L/∂f_ij = 1(margin_ij > 0)/B for j ≠ y_i;  ∂L/∂f_iy_i = −(number of positive margins)/B",
    };

    public override TargetKind Target => TargetKind.ClassIndex;

    public override string TorchEquivalent => "C · nn.MultiMarginLoss()";

    public override void EmitLoss(SourceWriter w, string scores, string targets, string gradient, string outputs) =>
        w.WriteLine($"double loss = global::NetGen.Kernels.Losses.MulticlassHinge<T>({scores}, {targets}, {gradient}, B, {outputs}) / B;");
}

/// <summary>Mean squared error over all B·O elements (nn.MSELoss), for regression with float targets.</summary>
internal sealed class MeanSquaredErrorEntry : LossEntry
{
    public override LossKind Kind => LossKind.MeanSquaredError;

    public override string Title => "mean squared error";

    public override IReadOnlyList<string> Formula { get; } = new[]
    {
        "L = (1/(B·O)) Σ_i Σ_j (f_ij − t_ij)²   (the mean over every element, as nn.MSELoss)",
        "∂L/∂f = 2(f − t) / (B·O)",
    };

    public override TargetKind Target => TargetKind.Dense;

    public override string TorchEquivalent => "nn.MSELoss()";

    public override void EmitLoss(SourceWriter w, string scores, string targets, string gradient, string outputs) =>
        w.WriteLine($"double loss = global::NetGen.Kernels.Losses.MeanSquaredError<T>({scores}, {targets}, {gradient}, B, {outputs}) / B;");
}

/// <summary>The registry of losses, by <see cref="LossKind"/>.</summary>
internal static class LossCatalog
{
    private static readonly LossEntry[] All = { new SoftmaxCrossEntropyEntry(), new MulticlassHingeEntry(), new MeanSquaredErrorEntry() };

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
}
