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

    /// <summary>The update rule for these settings, one line (shown before the kernel call).</summary>
    public abstract string Formula(TrainingSpec t);

    /// <summary>(Core field, PyTorch state name) of each state array the settings call for (PyTorch creates, e.g., RMSprop's
    /// momentum_buffer only when momentum &gt; 0).</summary>
    public virtual IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t) => System.Array.Empty<(string, string)>();

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

    /// <summary>PyTorch's default momentum for this optimizer (0.9 for the momentum optimizers, the notes' typical value), used
    /// when [Network] does not set Momentum.</summary>
    public virtual double DefaultMomentum => 0.9;

    /// <summary>The learning rate used when [Network] does not set LearningRate.</summary>
    public virtual double DefaultLearningRate => 0.01;

    /// <summary>Whether the update reads the step counter (Adam's bias correction).</summary>
    public virtual bool ReadsStep => false;

    /// <summary>Whether the step starts with AdamW's decoupled weight decay, W ← W·(1 − lr·λ), over the decayed weights.</summary>
    public virtual bool DecouplesWeightDecay => false;

    public abstract void EmitUpdate(SourceWriter w, TrainingSpec t, string lr);

    /// <summary>Why this optimizer (with these settings) has no CUDA kernel, or null when <see cref="EmitCudaUpdate"/> launches it.</summary>
    public virtual string? CudaUnsupportedReason(TrainingSpec t) => "NetGen has no CUDA kernel for this optimizer yet";

    /// <summary>The CUDA update of one parameter tensor: buffers <paramref name="p"/> and <paramref name="g"/>, the state
    /// buffer of each <see cref="State"/> field through <paramref name="state"/>; <paramref name="lr"/> a float expression.</summary>
    public virtual void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) =>
        throw new System.NotSupportedException($"{Kind} has no CUDA lowering.");

    protected static string C(double value) => $"C({LayerCatalog.F(value)})";

    protected static string F(double value) => LayerCatalog.F(value);
}

/// <summary>p ← p − lr·g.</summary>
internal sealed class SgdEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Sgd;

    public override string Title(TrainingSpec t) => $"SGD (lr {F(t.LearningRate)})";

    public override string Formula(TrainingSpec t) => "p ← p − lr·g";

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Sgd<T>(Params, Grads, {lr});");

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) =>
        w.WriteLine($"_k.Sgd({p}, {g}, {lr});");
}

/// <summary>SGD with momentum (PyTorch: dampening 0).</summary>
internal sealed class MomentumEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Momentum;

    public override string Title(TrainingSpec t) => $"SGD with momentum (lr {F(t.LearningRate)}, μ {F(t.Momentum)})";

    public override string Formula(TrainingSpec t) => "v ← μ·v + g;  p ← p − lr·v";

    public override IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t) => new[] { ("_velocity", "momentum_buffer") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Momentum" };

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Momentum<T>(Params, Grads, _velocity, {lr}, {C(t.Momentum)});");

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) =>
        w.WriteLine($"_k.Momentum({p}, {g}, {state("_velocity")}, {lr}, (float){F(t.Momentum)}, nesterov: false);");
}

/// <summary>SGD with Nesterov momentum (PyTorch's nesterov=True form).</summary>
internal sealed class NesterovEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Nesterov;

    public override string Title(TrainingSpec t) => $"SGD with Nesterov momentum (lr {F(t.LearningRate)}, μ {F(t.Momentum)})";

    public override string Formula(TrainingSpec t) => "v ← μ·v + g;  p ← p − lr·(g + μ·v)";

    public override IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t) => new[] { ("_velocity", "momentum_buffer") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Momentum" };

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.Nesterov<T>(Params, Grads, _velocity, {lr}, {C(t.Momentum)});");

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) =>
        w.WriteLine($"_k.Momentum({p}, {g}, {state("_velocity")}, {lr}, (float){F(t.Momentum)}, nesterov: true);");
}

/// <summary>Adam with bias correction (Kingma and Ba, 2015), PyTorch's order of operations; with Amsgrad the denominator
/// uses the largest second moment so far (Reddi et al., 2018).</summary>
internal class AdamEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.Adam;

    protected virtual string Name => "Adam";

    public override string Title(TrainingSpec t) =>
        $"{Name}{(t.Amsgrad ? " (AMSGrad)" : string.Empty)} (lr {F(t.LearningRate)}, β1 {F(t.Beta1)}, β2 {F(t.Beta2)}, ε {F(t.Epsilon)}{Extra(t)})";

    protected virtual string Extra(TrainingSpec t) => string.Empty;

    public override string Formula(TrainingSpec t) => t.Amsgrad
        ? "m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  v̂ ← max(v̂, v);  p ← p − lr/(1−β1^t) · m / (√v̂/√(1−β2^t) + ε)"
        : "m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)";

    public override IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t) => t.Amsgrad
        ? new[] { ("_m", "exp_avg"), ("_v", "exp_avg_sq"), ("_vMax", "max_exp_avg_sq") }
        : new[] { ("_m", "exp_avg"), ("_v", "exp_avg_sq") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Beta1", "Beta2", "Epsilon", "Amsgrad" };

    public override bool ReadsStep => true;

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) => w.WriteLine(t.Amsgrad
        ? $"global::NetGen.Kernels.Optimizers.AmsGrad<T>(Params, Grads, _m, _v, _vMax, {lr}, {C(t.Beta1)}, {C(t.Beta2)}, {C(t.Epsilon)}, step);"
        : $"global::NetGen.Kernels.Optimizers.Adam<T>(Params, Grads, _m, _v, {lr}, {C(t.Beta1)}, {C(t.Beta2)}, {C(t.Epsilon)}, step);");

    // AdamW's decoupled decay, W ← W·(1 − lr·λ), is launched by the emitter before this (ng_scale), as on the CPU.
    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) => w.WriteLine(t.Amsgrad
        ? $"_k.AmsGrad({p}, {g}, {state("_m")}, {state("_v")}, {state("_vMax")}, {lr}, (float){F(t.Beta1)}, (float){F(t.Beta2)}, (float){F(t.Epsilon)}, step);"
        : $"_k.Adam({p}, {g}, {state("_m")}, {state("_v")}, {lr}, (float){F(t.Beta1)}, (float){F(t.Beta2)}, (float){F(t.Epsilon)}, step);");
}

/// <summary>AdamW (Loshchilov and Hutter, 2019; PyTorch AdamW): the emitter first multiplies the decayed weights by
/// 1 − lr·λ, then this is Adam's step.</summary>
internal sealed class AdamWEntry : AdamEntry
{
    public override OptimizerKind Kind => OptimizerKind.AdamW;

    protected override string Name => "AdamW";

    protected override string Extra(TrainingSpec t) => $", decoupled weight decay {F(t.DecoupledWeightDecay)}";

    public override string Formula(TrainingSpec t) => "W ← W·(1 − lr·λ);  then " + base.Formula(t);

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Beta1", "Beta2", "Epsilon", "Amsgrad", "DecoupledWeightDecay" };

    public override bool DecouplesWeightDecay => true;
}

/// <summary>AdaGrad (PyTorch Adagrad: lr_decay 0, initial accumulator 0, ε 1e-10).</summary>
internal sealed class AdaGradEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.AdaGrad;

    public override string Title(TrainingSpec t) => $"AdaGrad (lr {F(t.LearningRate)}, ε {F(t.Epsilon)})";

    public override string Formula(TrainingSpec t) => "s ← s + g²;  p ← p − lr · g / (√s + ε)";

    public override IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t) => new[] { ("_sum", "sum") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Epsilon" };

    public override double DefaultEpsilon => 1e-10;

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.AdaGrad<T>(Params, Grads, _sum, {lr}, {C(t.Epsilon)});");

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) =>
        w.WriteLine($"_k.AdaGrad({p}, {g}, {state("_sum")}, {lr}, (float){F(t.Epsilon)});");
}

/// <summary>RMSProp (PyTorch RMSprop), optionally with momentum (its buffer accumulates g / (√a + ε)) and centered.</summary>
internal sealed class RmsPropEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.RmsProp;

    public override string Title(TrainingSpec t) =>
        $"RMSProp{(t.Centered ? " (centered)" : string.Empty)} (lr {F(t.LearningRate)}, α {F(t.Alpha)}, ε {F(t.Epsilon)}{(t.Momentum > 0 ? ", μ " + F(t.Momentum) : string.Empty)})";

    public override string Formula(TrainingSpec t) => (t.Momentum > 0, t.Centered) switch
    {
        (false, false) => "a ← α·a + (1−α)·g²;  p ← p − lr · g / (√a + ε)",
        (true, false) => "a ← α·a + (1−α)·g²;  b ← μ·b + g / (√a + ε);  p ← p − lr·b",
        (false, true) => "a ← α·a + (1−α)·g²;  ḡ ← α·ḡ + (1−α)·g;  p ← p − lr · g / (√(a − ḡ²) + ε)",
        _ => "a ← α·a + (1−α)·g²;  ḡ ← α·ḡ + (1−α)·g;  b ← μ·b + g / (√(a − ḡ²) + ε);  p ← p − lr·b",
    };

    public override IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t)
    {
        var state = new List<(string, string)> { ("_squareAvg", "square_avg") };
        if (t.Momentum > 0)
        {
            state.Add(("_momentumBuffer", "momentum_buffer"));
        }

        if (t.Centered)
        {
            state.Add(("_gradAvg", "grad_avg"));
        }

        return state;
    }

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Alpha", "Epsilon", "Momentum", "Centered" };

    public override double DefaultMomentum => 0.0;

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) => w.WriteLine(t.Momentum > 0 || t.Centered
        ? $"global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, {(t.Momentum > 0 ? "_momentumBuffer" : "default")}, {(t.Centered ? "_gradAvg" : "default")}, {lr}, {C(t.Alpha)}, {C(t.Epsilon)}, {C(t.Momentum)});"
        : $"global::NetGen.Kernels.Optimizers.RmsProp<T>(Params, Grads, _squareAvg, {lr}, {C(t.Alpha)}, {C(t.Epsilon)});");

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    // Plain RMSProp keeps its own kernel (ng_rmsprop); momentum or centered take ng_rmsprop_general with the buffers they use.
    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) => w.WriteLine(t.Momentum > 0 || t.Centered
        ? $"_k.RmsProp({p}, {g}, {state("_squareAvg")}, {(t.Momentum > 0 ? state("_momentumBuffer") : "null")}, {(t.Centered ? state("_gradAvg") : "null")}, {lr}, (float){F(t.Alpha)}, (float){F(t.Epsilon)}, (float){F(t.Momentum)});"
        : $"_k.RmsProp({p}, {g}, {state("_squareAvg")}, {lr}, (float){F(t.Alpha)}, (float){F(t.Epsilon)});");
}

/// <summary>AdaDelta (Zeiler, 2012; PyTorch Adadelta, lr default 1).</summary>
internal sealed class AdaDeltaEntry : OptimizerEntry
{
    public override OptimizerKind Kind => OptimizerKind.AdaDelta;

    public override string Title(TrainingSpec t) => $"AdaDelta (lr {F(t.LearningRate)}, ρ {F(t.Rho)}, ε {F(t.Epsilon)})";

    public override string Formula(TrainingSpec t) => "s ← ρ·s + (1−ρ)·g²;  d = √(u + ε)/√(s + ε) · g;  u ← ρ·u + (1−ρ)·d²;  p ← p − lr·d";

    public override IReadOnlyList<(string Field, string TorchName)> State(TrainingSpec t) => new[] { ("_squareAvg", "square_avg"), ("_accDelta", "acc_delta") };

    public override IReadOnlyList<string> ReadSettings { get; } = new[] { "Rho", "Epsilon" };

    public override double DefaultEpsilon => 1e-6;

    public override double DefaultLearningRate => 1.0;

    public override void EmitUpdate(SourceWriter w, TrainingSpec t, string lr) =>
        w.WriteLine($"global::NetGen.Kernels.Optimizers.AdaDelta<T>(Params, Grads, _squareAvg, _accDelta, {lr}, {C(t.Rho)}, {C(t.Epsilon)});");

    public override string? CudaUnsupportedReason(TrainingSpec t) => null;

    public override void EmitCudaUpdate(SourceWriter w, TrainingSpec t, string p, string g, System.Func<string, string> state, string lr) =>
        w.WriteLine($"_k.AdaDelta({p}, {g}, {state("_squareAvg")}, {state("_accDelta")}, {lr}, (float){F(t.Rho)}, (float){F(t.Epsilon)});");
}

/// <summary>The registry of optimizers, by <see cref="OptimizerKind"/>.</summary>
internal static class OptimizerCatalog
{
    private static readonly OptimizerEntry[] All = { new SgdEntry(), new MomentumEntry(), new NesterovEntry(), new AdamEntry(), new AdaGradEntry(), new RmsPropEntry(), new AdamWEntry(), new AdaDeltaEntry() };

    /// <summary>The [Network] settings that belong to some optimizer (NG0301 names their readers).</summary>
    public static readonly string[] Settings = { "Momentum", "Beta1", "Beta2", "Epsilon", "Alpha", "Amsgrad", "DecoupledWeightDecay", "Centered", "Rho" };

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
