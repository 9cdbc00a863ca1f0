using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Global average pooling, nn.AdaptiveAvgPool2d(1) then nn.Flatten(): [C, H, W] → [C], y[c] = (1/(H·W))·Σ_{h,w} x[c, h, w].
/// The output is a vector, so a Dense can follow without a Flatten. It is average pooling with an H×W window (stride
/// 1, no padding), so it runs on the AvgPool2D kernel: the output [B, C, 1, 1] is [B, C] in memory. The backward
/// spreads dy[c]/(H·W) over the plane.
/// </summary>
internal sealed partial class GlobalAvgPool2DEntry : LayerEntry
{
    public override string Kind => "GlobalAvgPool2D";

    public override string DefaultName => "gap";

    public override bool TransparentForInit => true;

    /// <summary>The whole H×W plane: the output sees everything its input's positions see.</summary>
    public override SpatialWindow? Window(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input) =>
        input.Count == 3 ? new SpatialWindow(input[1], input[2], 1, 1, 1, 1) : SpatialWindow.Pointwise;

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Pool the output of a Conv2D layer, before any Flatten."));
            return null;
        }

        return new[] { input[0] }.ToEquatableArray();
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => NetworkPlanner.ProductLong(input);

    public override string TorchModule(NodeContext c) => "nn.AdaptiveAvgPool2d(1), nn.Flatten()";

    public override string Title(NodeContext c) => $"GlobalAvgPool2D {Shapes.Cross(c.InputShape)} → {c.Out}";

    public override string ForwardFormula(NodeContext c) =>
        $"y[B,{c.Out}][c] = (1/{LayerCatalog.I(c.InputShape[1] * c.InputShape[2])})·Σ_{{h,w}} x[c, h, w]: the mean of each {LayerCatalog.I(c.InputShape[1])}×{LayerCatalog.I(c.InputShape[2])} plane, a vector";

    public override string BackwardFormula(NodeContext c) =>
        $"dx[c, h, w] = dy[c]/{LayerCatalog.I(c.InputShape[1] * c.InputShape[2])}";

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        EquatableArray<int> x = c.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Pool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.Pool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, 1, 1, 0, 0); // [{c.Node.Label}] {c.Node.Name}: C, H, W, a window of the whole plane");
    }

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.AvgPool2D.Forward<T>({c.X}, {c.Y}, B, in {Conv2DEntry.Geometry(c.Node)});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.AvgPool2D.Backward<T>({c.Dy}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
}
