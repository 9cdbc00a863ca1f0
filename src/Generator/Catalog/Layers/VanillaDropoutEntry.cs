using NetGen.Generator.Emitter;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Vanilla dropout (Srivastava et al. 2014): m = 1(u ≥ p) unscaled in training, y = (1 − p)·x at inference.</summary>
internal sealed partial class VanillaDropoutEntry : DropoutVariantEntry
{
    public override string Kind => "VanillaDropout";

    public override string TorchModule(NodeContext c) => $"none: x * mask in training (mask = 1(u ≥ {LayerCatalog.F(P(c.Args))})), (1 - {LayerCatalog.F(P(c.Args))}) * x in eval";

    public override string ForwardFormula(NodeContext c) =>
        $"training: m = 1(u ≥ {LayerCatalog.F(P(c.Args))}), u ~ U[0,1) keyed by (seed, layer {LayerCatalog.I(c.Node.Ordinal)}, step);  y = x ⊙ m (not scaled).   inference: y = (1 − {LayerCatalog.F(P(c.Args))})·x = x·E[m]";

    protected override void EmitTraining(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.VanillaDropout.Forward<T>({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.DropoutKey});");

    protected override void EmitInference(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.VanillaDropout.Inference<T>({c.X}, {c.Y}, {LayerCatalog.F(P(c.Args))});");
}
