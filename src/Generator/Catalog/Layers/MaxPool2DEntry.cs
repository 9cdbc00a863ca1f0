using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Max pooling, nn.MaxPool2d: y[c, i, j] = max over the k×k window at (i·S − P, j·S − P) of x[c] (padding counts as −∞);
/// the stride defaults to the kernel (non-overlapping windows). The argmax of each window is cached for backward, which
/// routes dy to it: dx[argmax] += dy.
/// </summary>
internal sealed partial class MaxPool2DEntry : LayerEntry
{
    public override string Kind => "MaxPool2D";

    public override string DefaultName => "pool";

    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    internal static (int K, int S, int P) Args(EquatableArray<ArgumentValue> a)
    {
        int k = a.Int("Kernel", 0);
        return (k, a.Int("Stride", k), a.Int("Padding", 0));
    }

    public override int SpatialStride(EquatableArray<ArgumentValue> arguments) => Args(arguments).S;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics) =>
        ValidateWindow(spec, display, owner, diagnostics);

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) =>
        WindowOutputShape(spec, input, shapes);

    /// <summary>The checks of a pooling window's Kernel, Stride (default: the kernel) and Padding (at most Kernel/2, as
    /// PyTorch requires), shared with AvgPool2D.</summary>
    internal static void ValidateWindow(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        (int k, int s, int p) = Args(spec.Arguments);
        Conv2DEntry.Check(spec, display, owner, diagnostics, "Kernel", k, 1, "the window size must be ≥ 1, e.g. 2");
        if (spec.Arguments.Has("Stride"))
        {
            Conv2DEntry.Check(spec, display, owner, diagnostics, "Stride", s, 1, "the stride must be ≥ 1 (it defaults to the kernel)");
        }
        Conv2DEntry.Check(spec, display, owner, diagnostics, "Padding", p, 0, "the padding must be ≥ 0");
        if (k >= 1 && p > k / 2)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("Padding"), spec.Kind, display, owner, "Padding", p, $"the padding must be at most half the kernel ({LayerCatalog.I(k / 2)}), as in PyTorch, or a window could see only padding"));
        }
    }

    /// <summary>A pooling window's output shape [C, Ho, Wo] under the window rule (NG0105), or NG0106 on a vector.</summary>
    internal static EquatableArray<int>? WindowOutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        (int k, int s, int p) = Args(spec.Arguments);
        if (k < 1 || s < 1 || p < 0 || p > k / 2)
        {
            return null;
        }

        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, spec.Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Pool the output of a Conv2D layer, before any Flatten."));
            return null;
        }

        int? h = Window2D.Output(input[1], k, p, s, "height", spec, spec.Kind, shapes);
        int? w = h is null ? null : Window2D.Output(input[2], k, p, s, "width", spec, spec.Kind, shapes);
        return h is null || w is null ? null : new[] { input[0], h.Value, w.Value }.ToEquatableArray();
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("argmax", NetworkPlanner.Product(output), PerSample: true, IsInt: true);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        (int k, _, _) = Args(spec.Arguments);
        return NetworkPlanner.ProductLong(output) * k * k;
    }

    public override string TorchModule(NodeContext c)
    {
        (int k, int s, int p) = Args(c.Args);
        return $"nn.MaxPool2d({LayerCatalog.I(k)}" + (s != k ? $", stride={LayerCatalog.I(s)}" : string.Empty) + (p != 0 ? $", padding={LayerCatalog.I(p)}" : string.Empty) + ")";
    }

    public override string Title(NodeContext c)
    {
        (int k, int s, _) = Args(c.Args);
        return $"MaxPool2D {LayerCatalog.I(k)}×{LayerCatalog.I(k)}" + (s != k ? $" stride {LayerCatalog.I(s)}" : string.Empty) + $" {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";
    }

    public override string ForwardFormula(NodeContext c)
    {
        (int k, int s, int p) = Args(c.Args);
        return $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][c,i,j] = max_{{u,v < {LayerCatalog.I(k)}}} x[c, {Window2D.Index("i", s, p, "u")}, {Window2D.Index("j", s, p, "v")}];  argmax kept for backward (training)";
    }

    public override string BackwardFormula(NodeContext c) => "dx = 0;  dx[argmax] += dy";

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        (int k, int s, int p) = Args(c.Args);
        EquatableArray<int> x = c.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Pool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.Pool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(k)}, {LayerCatalog.I(k)}, {LayerCatalog.I(s)}, {LayerCatalog.I(s)}, {LayerCatalog.I(p)}, {LayerCatalog.I(p)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, kh, kw, stride, padding");
    }

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.MaxPool2D.Forward<T>({c.X}, {c.Y}, training ? {c.Cache("argmax")} : default, B, in {Conv2DEntry.Geometry(c.Node)});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.MaxPool2D.Backward<T>({c.Dy}, {c.Cache("argmax")}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
}
