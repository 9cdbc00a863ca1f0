using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Maxout (Goodfellow et al., 2013) over groups of k consecutive entries of a sample's first dimension: [k·U, …] →
/// [U, …], y[u, …] = max_j x[u·k + j, …]. After a Dense of k·U units it is max_j (w_jᵀx + b_j) per unit, the Dense's
/// rows u·k … u·k + k − 1 being the pieces of unit u; after a Conv2D of k·O filters it keeps O channels. No parameters
/// (the state_dict is that of nn.Linear/nn.Conv2d followed by view(B, U, k, …).max(2)); the backward finds the maximum
/// again from the input, so nothing is cached.
/// </summary>
internal sealed partial class MaxoutEntry : LayerEntry
{
    public override string Kind => "Maxout";

    public override string DefaultName => "maxout";

    private static int Pieces(EquatableArray<ArgumentValue> a) => a.Int("Pieces", 0);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics) =>
        Conv2DEntry.Check(spec, display, owner, diagnostics, "Pieces", Pieces(spec.Arguments), 2, "a maxout unit takes the maximum of at least 2 linear pieces (1 would be the identity), e.g. 2");

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        int k = Pieces(spec.Arguments);
        if (k < 2)
        {
            return null; // NG0211 was reported by the Parser
        }

        if (input.Count == 0 || input[0] % k != 0)
        {
            int first = input.Count == 0 ? 1 : input[0];
            string what = input.Count == 3 ? "channel count" : "feature count";
            string example = input.Count == 3 ? $"[Conv2D({LayerCatalog.I(k * System.Math.Max(1, first / k))}, …), Maxout({LayerCatalog.I(k)})]" : $"[Dense({LayerCatalog.I(k * System.Math.Max(1, first / k))}), Maxout({LayerCatalog.I(k)})]";
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.MaxoutPiecesDoNotDivide, spec.LocationOf("Pieces"), shapes.Display, shapes.Owner, k, Shapes.Text(input), what, first, example));
            return null;
        }

        int[] shape = new int[input.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = input[i];
        }

        shape[0] /= k;
        return shape.ToEquatableArray();
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => NetworkPlanner.ProductLong(input);

    public override string TorchModule(NodeContext c) =>
        $"x.view(B, {LayerCatalog.I(c.OutputShape[0])}, {LayerCatalog.I(Pieces(c.Args))}{Rest(c)}).max(dim=2).values";

    private static string Rest(NodeContext c)
    {
        var parts = new List<string>();
        for (int i = 1; i < c.InputShape.Count; i++)
        {
            parts.Add(LayerCatalog.I(c.InputShape[i]));
        }

        return parts.Count == 0 ? string.Empty : ", " + string.Join(", ", parts);
    }

    public override string Title(NodeContext c) => $"Maxout {LayerCatalog.I(Pieces(c.Args))} {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c) =>
        $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][u, …] = max_{{j < {LayerCatalog.I(Pieces(c.Args))}}} x[B,{Shapes.Cross(c.InputShape).Replace("×", ",")}][u·{LayerCatalog.I(Pieces(c.Args))} + j, …]";

    public override string BackwardFormula(NodeContext c) => "dx = dy at the maximum piece (found again from x; the first on a tie), 0 at the others";

    private static int Inner(NodeContext c) => (int)(NetworkPlanner.ProductLong(c.OutputShape) / c.OutputShape[0]);

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Maxout.Forward<T>({c.X}, {c.Y}, B, {LayerCatalog.I(c.OutputShape[0])}, {LayerCatalog.I(Pieces(c.Args))}, {LayerCatalog.I(Inner(c))});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Maxout.Backward<T>({c.Dy}, {c.X}, {c.Dx}, B, {LayerCatalog.I(c.OutputShape[0])}, {LayerCatalog.I(Pieces(c.Args))}, {LayerCatalog.I(Inner(c))});");
}
