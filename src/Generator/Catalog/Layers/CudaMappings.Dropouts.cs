using NetGen.Generator.Emitter;

namespace NetGen.Generator.Catalog.Layers;

// The CUDA lowering of the dropout variants beyond Dropout and Dropout2D (kernels in src/Runtime/Cuda/kernels_dropout.cu):
// each draws its noise from the CPU's counter RNG with the CPU's key (NodeContext.DropoutKey), so a seed gives the same masks
// on both backends; the backward is the CPU's (the mask a constant, DropConnect's masks drawn again from the same key).

/// <summary>VanillaDropout: ng_dropout_forward with keep = 1 (the CPU's masks bit for bit, unscaled); inference
/// y = (1 − p)·x by ng_scale_copy; backward ng_multiply.</summary>
internal sealed partial class VanillaDropoutEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => CudaNodeContext.EmitTrainingOrInference(w,
        $"ng_dropout_forward: [B×{c.Out}], mask[i] = Uniform(key, i) ≥ p ? 1 : 0 (not scaled), the CPU's counter RNG and key",
        $"_k.VanillaDropoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.Cpu.DropoutKey});",
        $"ng_scale_copy: y[B×{c.Out}] = (1 − p)·x, the factor rounded to float once",
        $"_k.VanillaDropoutInference({c.X}, {c.Y}, {LayerCatalog.F(P(c.Args))});");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => c.EmitMaskBackward(w);
}

/// <summary>GaussianDropout: ng_gaussian_dropout_forward draws mask[i] = 1 + σ·Normal(key, i) on the device from the CPU's
/// uniforms and key (Box–Muller in double; the masks within float round-off of the CPU's); inference copies; backward
/// ng_multiply.</summary>
internal sealed partial class GaussianDropoutEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => c.EmitMaskedInTraining(w,
        $"ng_gaussian_dropout_forward: [B×{c.Out}], mask[i] = 1 + σ·Normal(key, i), σ = √(p/(1 − p)), Box–Muller on the CPU's counter RNG and key",
        $"_k.GaussianDropoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.Cpu.DropoutKey});");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => c.EmitMaskBackward(w);
}

/// <summary>DropConnect: in training ng_dropconnect_forward draws each sample's weight mask M_b from the CPU's counter RNG
/// and key where it is used (never stored) and sums in the CPU's order; backward ng_dropconnect_weight_grad and
/// ng_dropconnect_input_grad draw the same masks again from the same key (_seed, _step), db by ng_column_sums. Inference:
/// the plain Dense (ng_sgemm with the bias), or Wan et al.'s moment matching with the following ReLU
/// (ng_dropconnect_moment_matching_relu).</summary>
internal sealed partial class DropConnectEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        string p = LayerCatalog.F(P(c.Args));
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"// ng_dropconnect_forward: y[B×{c.Out}], one thread per (b, o): Σ_i over the kept W[o, i]·x[b, i] (u ≥ p, u = Uniform(key, (b·{c.Out} + o)·{c.In} + i)), times 1/(1 − p){(c.HasState("bias") ? ", + b" : string.Empty)}");
        w.WriteLine($"_k.DropConnectForward({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, {c.In}, {c.Out}, {p}, {c.Cpu.DropoutKey});");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        if (MomentMatching(c.Args))
        {
            w.WriteLine($"// ng_dropconnect_moment_matching_relu: y[B×{c.Out}], one thread per (b, o): μ, σ² in double, (1/{LayerCatalog.I(Samples(c.Args))})·Σ_z max(0, μ + σ·n_z),");
            w.WriteLine($"// n_z = Normal(Key(seed, DropoutStream, {LayerCatalog.I(c.Node.Ordinal)}, 2⁶⁴ − 1), o·Z + z), the CPU's draws");
            w.WriteLine($"_k.DropConnectMomentMatchingReLU({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, {c.In}, {c.Out}, {p}, {LayerCatalog.I(Samples(c.Args))}, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(c.Node.Ordinal)}, ulong.MaxValue));");
        }
        else
        {
            w.WriteLine($"// ng_sgemm: y[B×{c.Out}] = x[B×{c.In}] · W[{c.Out}×{c.In}]ᵀ{(c.HasState("bias") ? " + bias in the epilogue" : string.Empty)}: the plain Dense (E[M] = 1)");
            w.WriteLine($"_k.Sgemm(false, true, B, {c.Out}, {c.In}, {c.X}, {c.In}, {c.P("weight")}, {c.In}, {c.Y}, {c.Out}, 0f, {c.P("bias")}, {CudaNodeContext.Activation("Identity")});");
        }

        w.CloseBrace();
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_dropconnect_weight_grad: dW[{c.Out}×{c.In}], one thread per weight, b in order{(c.Dx is null ? string.Empty : $"; ng_dropconnect_input_grad: dx[B×{c.In}], one thread per value, o in order")}{(c.HasState("bias") ? "; ng_column_sums: db" : string.Empty)}");
        w.WriteLine($"// the masks drawn again from the forward's key: Key(seed, DropoutStream, {LayerCatalog.I(c.Node.Ordinal)}, step) with this step's _seed and _step");
        w.WriteLine($"_k.DropConnectBackward({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx ?? "null"}, {c.G("weight")}, {(c.HasState("bias") ? c.G("bias") : "null")}, B, {c.In}, {c.Out}, {LayerCatalog.F(P(c.Args))}, global::NetGen.CounterRng.Key(_seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(c.Node.Ordinal)}, (ulong)_step));");
    }
}

/// <summary>Standout: ng_standout_forward computes π = σ(α·z + β) in double on the device and compares the CPU's uniform with
/// it (the same masks); inference ng_standout_inference, y = z·π; backward ng_multiply (dz = dy ⊙ m: no gradient through π,
/// the CPU's definition).</summary>
internal sealed partial class StandoutEntry
{
    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => CudaNodeContext.EmitTrainingOrInference(w,
        $"ng_standout_forward: [B×{c.Out}], π = σ(α·z + β) in double, mask[i] = Uniform(key, i) < π ? 1 : 0, the CPU's counter RNG and key",
        $"_k.StandoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {Args(c.Cpu)}, {c.Cpu.DropoutKey});",
        $"ng_standout_inference: y[B×{c.Out}] = z·σ(α·z + β), in double, rounded once",
        $"_k.StandoutInference({c.X}, {c.Y}, {Args(c.Cpu)});");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c) => c.EmitMaskBackward(w, "dz");
}
