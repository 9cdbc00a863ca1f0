using System;
using NetGen.Generator.Emitter;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Gaussian dropout (Srivastava et al. 2014, §10): m ~ N(1, p/(1 − p)) in training, identity at inference.</summary>
internal sealed partial class GaussianDropoutEntry : DropoutVariantEntry
{
    public override string Kind => "GaussianDropout";

    public override string TorchModule(NodeContext c) => $"none: x * (1 + sqrt({LayerCatalog.F(P(c.Args))} / (1 - {LayerCatalog.F(P(c.Args))})) * z) in training, z ~ N(0, 1); identity in eval";

    public override string ForwardFormula(NodeContext c) =>
        $"training: m = 1 + σ·z, σ = √(p/(1 − p)) = {LayerCatalog.F(Math.Sqrt(P(c.Args) / (1 - P(c.Args))))}, z ~ N(0, 1) keyed by (seed, layer {LayerCatalog.I(c.Node.Ordinal)}, step);  y = x ⊙ m.   inference: y = x";

    protected override void EmitTraining(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.GaussianDropout.Forward<T>({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.DropoutKey});");
}
