using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog;

/// <summary>Losses: formula, fused backward and the kernel call, side by side.</summary>
internal static class LossCatalog
{
    public static string Title(LossKind loss) => loss switch
    {
        LossKind.MulticlassHinge => "multiclass SVM hinge (Weston–Watkins, Δ = 1)",
        _ => "softmax cross-entropy",
    };

    public static IEnumerable<string> Formula(LossKind loss) => loss switch
    {
        LossKind.MulticlassHinge => new[]
        {
            "L = (1/B) Σ_i Σ_{j≠y_i} max(0, f_ij − f_iy_i + 1)",
            "∂L/∂f_ij = 1(margin_ij > 0)/B for j ≠ y_i;  ∂L/∂f_iy_i = −(number of positive margins)/B",
        },
        _ => new[]
        {
            "L = (1/B) Σ_i [log Σ_j e^(f_ij − m_i) − (f_iy_i − m_i)],  m_i = max_j f_ij (subtracted for numerical stability)",
            "fused backward: ∂L/∂f = (softmax(f) − onehot(y)) / B",
        },
    };

    public static string Kernel(LossKind loss) => loss == LossKind.MulticlassHinge ? "MulticlassHinge" : "SoftmaxCrossEntropy";
}

/// <summary>Optimizers: the update rule (PyTorch torch.optim semantics), its state and the kernel call.</summary>
internal static class OptimizerCatalog
{
    public static string Title(TrainingSpec t) => t.Optimizer switch
    {
        OptimizerKind.Momentum => $"SGD with momentum (lr {LayerCatalog.F(t.LearningRate)}, μ {LayerCatalog.F(t.Momentum)})",
        OptimizerKind.Nesterov => $"SGD with Nesterov momentum (lr {LayerCatalog.F(t.LearningRate)}, μ {LayerCatalog.F(t.Momentum)})",
        OptimizerKind.Adam => $"Adam (lr {LayerCatalog.F(t.LearningRate)}, β1 {LayerCatalog.F(t.Beta1)}, β2 {LayerCatalog.F(t.Beta2)}, ε {LayerCatalog.F(t.Epsilon)})",
        OptimizerKind.AdaGrad => $"AdaGrad (lr {LayerCatalog.F(t.LearningRate)}, ε {LayerCatalog.F(t.Epsilon)})",
        OptimizerKind.RmsProp => $"RMSProp (lr {LayerCatalog.F(t.LearningRate)}, α {LayerCatalog.F(t.Alpha)}, ε {LayerCatalog.F(t.Epsilon)})",
        _ => $"SGD (lr {LayerCatalog.F(t.LearningRate)})",
    };

    /// <summary>Names of the optimizer state arrays (each the size of the parameter arena).</summary>
    public static IReadOnlyList<string> State(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Momentum or OptimizerKind.Nesterov => new[] { "_velocity" },
        OptimizerKind.Adam => new[] { "_m", "_v" },
        OptimizerKind.AdaGrad => new[] { "_sum" },
        OptimizerKind.RmsProp => new[] { "_squareAvg" },
        _ => System.Array.Empty<string>(),
    };

    /// <summary>PyTorch's torch.optim state name of each array of <see cref="State"/>, in the same order: the keys of a
    /// training state (<c>optimizer.{parameter key}.{name}</c>).</summary>
    public static IReadOnlyList<string> StateKeys(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Momentum or OptimizerKind.Nesterov => new[] { "momentum_buffer" },
        OptimizerKind.Adam => new[] { "exp_avg", "exp_avg_sq" },
        OptimizerKind.AdaGrad => new[] { "sum" },
        OptimizerKind.RmsProp => new[] { "square_avg" },
        _ => System.Array.Empty<string>(),
    };

    public static string Formula(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Momentum => "v ← μ·v + g;  p ← p − lr·v",
        OptimizerKind.Nesterov => "v ← μ·v + g;  p ← p − lr·(g + μ·v)",
        OptimizerKind.Adam => "m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)",
        OptimizerKind.AdaGrad => "s ← s + g²;  p ← p − lr · g / (√s + ε)",
        OptimizerKind.RmsProp => "a ← α·a + (1−α)·g²;  p ← p − lr · g / (√a + ε)",
        _ => "p ← p − lr·g",
    };

    public static void EmitUpdate(SourceWriter w, TrainingSpec t)
    {
        string lr = $"C({LayerCatalog.F(t.LearningRate)})";
        w.WriteLine(t.Optimizer switch
        {
            OptimizerKind.Momentum => $"global::NetGen.Kernels.Optimizers.Momentum<T>(Params, Grads, _velocity, {lr}, C({LayerCatalog.F(t.Momentum)}));",
            OptimizerKind.Nesterov => $"global::NetGen.Kernels.Optimizers.Nesterov<T>(Params, Grads, _velocity, {lr}, C({LayerCatalog.F(t.Momentum)}));",
            OptimizerKind.Adam => $"global::NetGen.Kernels.Optimizers.Adam<T>(Params, Grads, _m, _v, {lr}, C({LayerCatalog.F(t.Beta1)}), C({LayerCatalog.F(t.Beta2)}), C({LayerCatalog.F(t.Epsilon)}), step);",
            OptimizerKind.AdaGrad => $"global::NetGen.Kernels.Optimizers.AdaGrad<T>(Params, Grads, _sum, {lr}, C({LayerCatalog.F(t.Epsilon)}));",
            OptimizerKind.RmsProp => $"global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, {lr}, C({LayerCatalog.F(t.Alpha)}), C({LayerCatalog.F(t.Epsilon)}));",
            _ => $"global::NetGen.Kernels.Optimizers.Sgd<T>(Params, Grads, {lr});",
        });
    }
}
