using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Average pooling, nn.AvgPool2d with count_include_pad=True: y[c, i, j] = (1/k²)·Σ over the k×k window at
/// (i·S − P, j·S − P) of x[c] (the zero padding counts in the divisor); the stride defaults to the kernel. The backward
/// spreads dy/k² over each window, adding where windows overlap. No cache: the backward needs only dy and the geometry.
/// The arguments, their checks and the window rule are MaxPool2D's.
/// </summary>
internal sealed partial class AvgPool2DEntry : LayerEntry
{
    public override string Kind => "AvgPool2D";

    public override string DefaultName => "pool";

    public override bool TransparentForInit => true;

    public override int SpatialStride(EquatableArray<ArgumentValue> arguments) => MaxPool2DEntry.Args(arguments).S;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics) =>
        MaxPool2DEntry.ValidateWindow(spec, display, owner, diagnostics);

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) =>
        MaxPool2DEntry.WindowOutputShape(spec, input, shapes);

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        (int k, _, _) = MaxPool2DEntry.Args(spec.Arguments);
        return NetworkPlanner.ProductLong(output) * k * k;
    }

    public override string TorchModule(NodeContext c)
    {
        (int k, int s, int p) = MaxPool2DEntry.Args(c.Args);
        return $"nn.AvgPool2d({LayerCatalog.I(k)}" + (s != k ? $", stride={LayerCatalog.I(s)}" : string.Empty) + (p != 0 ? $", padding={LayerCatalog.I(p)}" : string.Empty) + ")";
    }

    public override string Title(NodeContext c)
    {
        (int k, int s, _) = MaxPool2DEntry.Args(c.Args);
        return $"AvgPool2D {LayerCatalog.I(k)}×{LayerCatalog.I(k)}" + (s != k ? $" stride {LayerCatalog.I(s)}" : string.Empty) + $" {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";
    }

    public override string ForwardFormula(NodeContext c)
    {
        (int k, int s, int p) = MaxPool2DEntry.Args(c.Args);
        return $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][c,i,j] = (1/{LayerCatalog.I(k * k)})·Σ_{{u,v < {LayerCatalog.I(k)}}} x[c, {Window2D.Index("i", s, p, "u")}, {Window2D.Index("j", s, p, "v")}]" + (p != 0 ? "  (zero padding counted in the divisor)" : string.Empty);
    }

    public override string BackwardFormula(NodeContext c)
    {
        (int k, _, _) = MaxPool2DEntry.Args(c.Args);
        return $"dx = 0;  dx[each window] += dy/{LayerCatalog.I(k * k)}";
    }

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        (int k, int s, int p) = MaxPool2DEntry.Args(c.Args);
        EquatableArray<int> x = c.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Pool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.Pool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(k)}, {LayerCatalog.I(k)}, {LayerCatalog.I(s)}, {LayerCatalog.I(s)}, {LayerCatalog.I(p)}, {LayerCatalog.I(p)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, kh, kw, stride, padding");
    }

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.AvgPool2D.Forward<T>({c.X}, {c.Y}, B, in {Conv2DEntry.Geometry(c.Node)});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.AvgPool2D.Backward<T>({c.Dy}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
}
