using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Standout (Ba and Frey 2013) on the pre-activation z it receives: keep probability π = σ(α·z + β) from the
/// layer's own weights, m ~ Bernoulli(π), y = z ⊙ m in training, y = z ⊙ π at inference; dx = dy ⊙ m.</summary>
internal sealed partial class StandoutEntry : DropoutVariantEntry
{
    public override string Kind => "Standout";

    private static (double Alpha, double Beta) AB(EquatableArray<ArgumentValue> args) => (args.Number("Alpha", 1.0), args.Number("Beta", 0.0));

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        (double alpha, double beta) = AB(spec.Arguments);
        Finite(spec, display, owner, diagnostics, "Alpha", alpha);
        Finite(spec, display, owner, diagnostics, "Beta", beta);
    }

    private void Finite(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, string argument, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf(argument), Kind, display, owner, argument, value,
                "the keep probability σ(α·z + β) needs finite α and β, e.g. α = 1, β = 0"));
        }
    }

    private static string Args(NodeContext c) => $"{LayerCatalog.F(AB(c.Args).Alpha)}, {LayerCatalog.F(AB(c.Args).Beta)}";

    public override string Title(NodeContext c) => $"Standout α = {LayerCatalog.F(AB(c.Args).Alpha)}, β = {LayerCatalog.F(AB(c.Args).Beta)} {Shapes.Text(c.OutputShape)}";

    public override string TorchModule(NodeContext c) => $"none: z * (u < sigmoid({LayerCatalog.F(AB(c.Args).Alpha)} * z + {LayerCatalog.F(AB(c.Args).Beta)})) in training, z * sigmoid(...) in eval";

    public override string ForwardFormula(NodeContext c) =>
        $"training: π = σ({LayerCatalog.F(AB(c.Args).Alpha)}·z + {LayerCatalog.F(AB(c.Args).Beta)}), m = 1(u < π), u ~ U[0,1) keyed by (seed, layer {LayerCatalog.I(c.Node.Ordinal)}, step);  y = z ⊙ m.   inference: y = z ⊙ π";

    public override string BackwardFormula(NodeContext c) => "dz = dy ⊙ m (the sampled mask is a constant: no gradient through π)";

    protected override void EmitTraining(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Standout.Forward<T>({c.X}, {c.Y}, {c.Cache("mask")}, {Args(c)}, {c.DropoutKey});");

    protected override void EmitInference(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Standout.Inference<T>({c.X}, {c.Y}, {Args(c)});");
}
