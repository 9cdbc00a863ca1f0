using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Channel dropout, PyTorch's nn.Dropout2d: one inverted-dropout mask value per (sample, channel), applied to the
/// whole H×W plane. Takes an image [C, H, W] (NG0106 otherwise).</summary>
internal sealed partial class Dropout2DEntry : DropoutVariantEntry
{
    public override string Kind => "Dropout2D";

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Use [Dropout] on a vector of features: Dropout2D drops whole channels of a feature map."));
            return null;
        }

        return input;
    }

    protected override int MaskLength(EquatableArray<int> output) => output[0];

    private static int Plane(NodeContext c) => c.OutputShape[1] * c.OutputShape[2];

    public override string TorchModule(NodeContext c) => $"nn.Dropout2d({LayerCatalog.F(P(c.Args))})";

    public override string ForwardFormula(NodeContext c) =>
        $"training: m[b,c] = 1(u ≥ {LayerCatalog.F(P(c.Args))}) / (1 − {LayerCatalog.F(P(c.Args))}), u ~ U[0,1) keyed by (seed, layer {LayerCatalog.I(c.Node.Ordinal)}, step), index b·C + c;  y[b,c,:,:] = x[b,c,:,:]·m[b,c].   inference: y = x";

    public override string BackwardFormula(NodeContext c) => "dx[b,c,:,:] = dy[b,c,:,:]·m[b,c]";

    protected override void EmitTraining(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Dropout2D.Forward<T>({c.X}, {c.Y}, {c.Cache("mask")}, plane: {LayerCatalog.I(Plane(c))}, {LayerCatalog.F(P(c.Args))}, {c.DropoutKey});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Dropout2D.Backward<T>({c.Dy}, {c.Cache("mask")}, {c.Dx}, plane: {LayerCatalog.I(Plane(c))});");
}
