using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Leaky ReLU with a fixed negative slope (default 0.01, as nn.LeakyReLU).</summary>
internal sealed partial class LeakyReLUEntry : ElementwiseEntry
{
    public override string Kind => "LeakyReLU";

    public override string DefaultName => "leaky_relu";

    public override bool IsReLUFamily => true;

    private static double Slope(EquatableArray<ArgumentValue> args) => args.Number("Slope", 0.01);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double slope = Slope(spec.Arguments);
        if (!(slope >= 0) || double.IsInfinity(slope))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, spec.LocationOf("Slope"), "LeakyReLU", display, owner, "Slope", slope, "the negative slope must be a finite value ≥ 0, e.g. 0.01"));
        }
    }

    public override string TorchModule(NodeContext c) => $"nn.LeakyReLU({F(c)})";

    public override string ForwardFormula(NodeContext c) => $"y = x > 0 ? x : {F(c)}·x";

    public override string BackwardFormula(NodeContext c) => $"dx = dy ⊙ (x > 0 ? 1 : {F(c)})";

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.LeakyReLUForward<T>({c.X}, {c.Y}, C({F(c)}));");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.LeakyReLUBackward<T>({c.Dy}, {c.X}, {c.Dx}, C({F(c)}));");

    private static string F(NodeContext c) => LayerCatalog.F(Slope(c.Args));
}
