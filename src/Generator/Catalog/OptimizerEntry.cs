using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog;

/// <summary>
/// One optimizer (torch.optim semantics): its title and update rule (shown in the generated file), its state arrays (a
/// Core field each, laid out like the parameters, with PyTorch's state name for training-state files), the [Network]
/// settings it reads (NG0301 warns about the others), its default ε, and the kernel call. The learning rate is an
/// expression read at run time (the generated class's LearningRate property), so schedules can change it.
/// </summary>
internal abstract class OptimizerEntry
{
    public abstract OptimizerKind Kind { get; }

    public abstract string Title(TrainingSpec t);

    public abstract string Formula { get; }

    /// <summary>(Core field, PyTorch state name) of each state array.</summary>
    public virtual IReadOnlyList<(string Field, string TorchName)> State => System.Array.Empty<(string, string)>();

    /// <summary>The optimizer settings of [Network] this optimizer reads (of <see cref="OptimizerCatalog.Settings"/>).</summary>
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

    /// <summary>PyTorch's default ε for this optimizer, used when [Network] does not set Epsilon.</summary>
    public virtual double DefaultEpsilon => 1e-8;

    /// <summary>Whether the update reads the step counter (Adam's bias correction).</summary>
    public virtual bool ReadsStep => false;

    public abstract void EmitUpdate(SourceWriter w, TrainingSpec t, string lr);

    protected static string C(double value) => $"C({LayerCatalog.F(value)})";

    protected static string F(double value) => LayerCatalog.F(value);
}

/// <summary>p ← p − lr·g.</summary>
internal sealed class SgdEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Sgd;

    public override string Title(TrainingSpec t) => $"SGD (lr {F(t.LearningRate)})";

    public override string Formula => "p ← p − lr·g";

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Sgd<T>(Params, Grads, {lr});");
}

/// <summary>SGD with momentum (PyTorch: dampening 0).</summary>
internal sealed class MomentumEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Momentum;

    public override string Title(TrainingSpec t) => $"SGD with momentum (lr {F(t.LearningRate)}, μ {F(t.Momentum)})";

    public override string Formula => "v ← μ·v + g;  p ← p − lr·v";

    public override IReadOnlyList<(string Field, string TorchName)> State { get; } = new[] { ("_velocity", "momentum_buffer") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Momentum" };

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Momentum<T>(Params, Grads, _velocity, {lr}, {C(t.Momentum)});");
}

/// <summary>SGD with Nesterov momentum (PyTorch's nesterov=True form).</summary>
internal sealed class NesterovEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Nesterov;

    public override string Title(TrainingSpec t) => $"SGD with Nesterov momentum (lr {F(t.LearningRate)}, μ {F(t.Momentum)})";

    public override string Formula => "v ← μ·v + g;  p ← p − lr·(g + μ·v)";

    public override IReadOnlyList<(string Field, string TorchName)> State { get; } = new[] { ("_velocity", "momentum_buffer") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Momentum" };

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Nesterov<T>(Params, Grads, _velocity, {lr}, {C(t.Momentum)});");
}

/// <summary>Adam with bias correction (Kingma and Ba, 2015), PyTorch's order of operations.</summary>
internal sealed class AdamEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Adam;

    public override string Title(TrainingSpec t) => $"Adam (lr {F(t.LearningRate)}, β1 {F(t.Beta1)}, β2 {F(t.Beta2)}, ε {F(t.Epsilon)})";

    public override string Formula => "m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)";

    public override IReadOnlyList<(string Field, string TorchName)> State { get; } = new[] { ("_m", "exp_avg"), ("_v", "exp_avg_sq") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Beta1", "Beta2", "Epsilon" };

    public override bool ReadsStep => true;

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Adam<T>(Params, Grads, _m, _v, {lr}, {C(t.Beta1)}, {C(t.Beta2)}, {C(t.Epsilon)}, step);");
}

/// <summary>AdaGrad (PyTorch Adagrad: lr_decay 0, initial accumulator 0, ε 1e-10).</summary>
internal sealed class AdaGradEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.AdaGrad;

    public override string Title(TrainingSpec t) => $"AdaGrad (lr {F(t.LearningRate)}, ε {F(t.Epsilon)})";

    public override string Formula => "s ← s + g²;  p ← p − lr · g / (√s + ε)";

    public override IReadOnlyList<(string Field, string TorchName)> State { get; } = new[] { ("_sum", "sum") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Epsilon" };

    public override double DefaultEpsilon => 1e-10;

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.AdaGrad<T>(Params, Grads, _sum, {lr}, {C(t.Epsilon)});");
}

/// <summary>RMSProp (PyTorch RMSprop: not centered, no momentum).</summary>
internal sealed class RmsPropEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.RmsProp;

    public override string Title(TrainingSpec t) => $"RMSProp (lr {F(t.LearningRate)}, α {F(t.Alpha)}, ε {F(t.Epsilon)})";

    public override string Formula => "a ← α·a + (1−α)·g²;  p ← p − lr · g / (√a + ε)";

    public override IReadOnlyList<(string Field, string TorchName)> State { get; } = new[] { ("_squareAvg", "square_avg") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Alpha", "Epsilon" };

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, {lr}, {C(t.Alpha)}, {C(t.Epsilon)});");
}

/// <summary>The registry of optimizers, by <see cref="OptimizerKind"/>.</summary>
internal static class OptimizerCatalog
{
    private static readonly OptimizerEntry[] All = { new SgdEntry(), new MomentumEntry(), new NesterovEntry(), new AdamEntry(), new AdaGradEntry(), new RmsPropEntry() };

    /// <summary>The [Network] settings that belong to some optimizer (NG0301 names their readers).</summary>
    public static readonly string[] Settings = { "Momentum", "Beta1", "Beta2", "Epsilon", "Alpha" };

    public static OptimizerEntry? TryGet(OptimizerKind kind)
    {
        foreach (OptimizerEntry entry in All)
        {
            if (entry.Kind == kind)
            {
                return entry;
            }
        }

        return null;
    }

    public static OptimizerEntry Get(OptimizerKind kind) => TryGet(kind) ?? throw new KeyNotFoundException($"No optimizer entry for {kind}.");

    public static IEnumerable<OptimizerKind> ReadersOf(string setting)
    {
        foreach (OptimizerEntry entry in All)
        {
            if (entry.Reads(setting))
            {
                yield return entry.Kind;
            }
        }
    }
}
