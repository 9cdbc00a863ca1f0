using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>ELU with α (default 1, as nn.ELU).</summary>
internal sealed partial class EluEntry : ElementwiseEntry
{
    public override string Kind => "ELU";

    public override string DefaultName => "elu";

    public override bool IsReLUFamily => true;

    private static double Alpha(EquatableArray<ArgumentValue> args) => args.Number("Alpha", 1.0);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double alpha = Alpha(spec.Arguments);
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, spec.LocationOf("Alpha"), "ELU", display, owner, "Alpha", alpha, "α must be a finite value > 0, e.g. 1.0"));
        }
    }

    public override string TorchModule(NodeContext c) => Alpha(c.Args) == 1.0 ? "nn.ELU()" : $"nn.ELU(alpha={A(c)})";

    public override string ForwardFormula(NodeContext c) => $"y = x > 0 ? x : {A(c)}·(e^x − 1)";

    public override string BackwardFormula(NodeContext c) => $"dx = dy ⊙ (x > 0 ? 1 : y + {A(c)})";

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.EluForward<T>({c.X}, {c.Y}, C({A(c)}));");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.EluBackward<T>({c.Dy}, {c.X}, {c.Y}, {c.Dx}, C({A(c)}));");

    private static string A(NodeContext c) => LayerCatalog.F(Alpha(c.Args));
}
