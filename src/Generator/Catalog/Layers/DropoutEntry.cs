using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Inverted dropout, p = drop probability (PyTorch). Masks keyed by (seed, node ordinal, step); the mask is
/// cached for backward.</summary>
internal sealed partial class DropoutEntry : ElementwiseEntry
{
    public override string Kind => "Dropout";

    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    public override bool ReadsRandomStream => true;

    private static double P(EquatableArray<ArgumentValue> args) => args.Number("P", 0);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double p = P(spec.Arguments);
        if (!(p >= 0 && p < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutOutOfRange, spec.LocationOf("P"), display, owner, p));
        }
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("mask", NetworkPlanner.Product(output), PerSample: true, IsInt: false);
    }

    public override string TorchModule(NodeContext c) => $"nn.Dropout({LayerCatalog.F(P(c.Args))})";

    public override string Title(NodeContext c) => $"Dropout p = {LayerCatalog.F(P(c.Args))} {Shapes.Text(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c) =>
        $"training: m = 1(u ≥ {LayerCatalog.F(P(c.Args))}) / (1 − {LayerCatalog.F(P(c.Args))}), u ~ U[0,1) keyed by (seed, layer {LayerCatalog.I(c.Node.Ordinal)}, step);  y = x ⊙ m.   inference: y = x";

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ m";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.Dropout.Forward<T>({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.DropoutKey});");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"{c.X}.CopyTo({c.Y});");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Dropout.Backward<T>({c.Dy}, {c.Cache("mask")}, {c.Dx});");
}
