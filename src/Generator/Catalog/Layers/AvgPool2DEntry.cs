using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Average pooling, nn.AvgPool2d with count_include_pad=True: y[c, i, j] = (1/(kh·kw))·Σ over the kh×kw window at
/// (i·Sh − Ph, j·Sw − Pw) of x[c] (the zero padding counts in the divisor); the stride defaults to the kernel on each
/// axis. The backward spreads dy/(kh·kw) over each window, adding where windows overlap. No cache: the backward needs
/// only dy and the geometry. The arguments (square or per axis), their checks and the window rule are MaxPool2D's.
/// </summary>
internal sealed partial class AvgPool2DEntry : LayerEntry
{
    public override string Kind => "AvgPool2D";

    public override string DefaultName => "pool";

    public override bool TransparentForInit => true;

    public override int SpatialStride(EquatableArray<ArgumentValue> arguments) => MaxPool2DEntry.Args(arguments).Sh;

    public override SpatialWindow? Window(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input) => MaxPool2DEntry.PoolWindow(arguments);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics) =>
        MaxPool2DEntry.ValidateWindow(spec, display, owner, diagnostics);

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) =>
        MaxPool2DEntry.WindowOutputShape(spec, input, shapes);

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        MaxPool2DEntry.PoolArgs w = MaxPool2DEntry.Args(spec.Arguments);
        return NetworkPlanner.ProductLong(output) * w.Kh * w.Kw;
    }

    public override string TorchModule(NodeContext c) => MaxPool2DEntry.TorchWindow("nn.AvgPool2d", MaxPool2DEntry.Args(c.Args));

    public override string Title(NodeContext c) => MaxPool2DEntry.TitleWindow("AvgPool2D", MaxPool2DEntry.Args(c.Args), c);

    public override string ForwardFormula(NodeContext c)
    {
        MaxPool2DEntry.PoolArgs w = MaxPool2DEntry.Args(c.Args);
        return $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][c,i,j] = (1/{LayerCatalog.I(w.Kh * w.Kw)})·Σ_{{{MaxPool2DEntry.Taps(w)}}} x[c, {Window2D.Index("i", w.Sh, w.Ph, "u")}, {Window2D.Index("j", w.Sw, w.Pw, "v")}]" + (w.Ph != 0 || w.Pw != 0 ? "  (zero padding counted in the divisor)" : string.Empty);
    }

    public override string BackwardFormula(NodeContext c)
    {
        MaxPool2DEntry.PoolArgs w = MaxPool2DEntry.Args(c.Args);
        return $"dx = 0;  dx[each window] += dy/{LayerCatalog.I(w.Kh * w.Kw)}";
    }

    public override void EmitFields(SourceWriter w, NodeContext c) => MaxPool2DEntry.EmitGeometry(w, c, MaxPool2DEntry.Args(c.Args));

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.AvgPool2D.Forward<T>({c.X}, {c.Y}, B, in {Conv2DEntry.Geometry(c.Node)});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.AvgPool2D.Backward<T>({c.Dy}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
}
