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

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"// ng_dropout_forward: [B×{c.Out}], mask[i] = Uniform(key, i) ≥ p ? 1 : 0 (not scaled), the CPU's counter RNG and key");
        w.WriteLine($"_k.VanillaDropoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.Cpu.DropoutKey});");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"// ng_scale_copy: y[B×{c.Out}] = (1 − p)·x, the factor rounded to float once");
        w.WriteLine($"_k.VanillaDropoutInference({c.X}, {c.Y}, {LayerCatalog.F(P(c.Args))});");
        w.CloseBrace();
    }

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_multiply: dx[B×{c.Out}] = dy ⊙ m");
        w.WriteLine($"_k.Multiply({c.Dy}, {c.Cache("mask")}, {c.Dx});");
    }
}
