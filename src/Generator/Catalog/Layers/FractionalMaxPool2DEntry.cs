using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Fractional max pooling (Graham, 2014), nn.FractionalMaxPool2d(k, output_ratio=r) or (k, output_size=n): k×k windows
/// whose starts along a dimension of size N are ⌊(i + u)·α⌋ − ⌊u·α⌋ (the last one N − k), α = (N − k)/(n − 1), with one
/// uniform u per dimension and (sample, channel) plane. Training draws u from the counter-based stream keyed by (seed,
/// node, step); inference uses fixed per-channel u keyed by (seed, node) only. The argmax is cached for backward, which
/// routes dy to it: dx[argmax] += dy.
/// </summary>
internal sealed partial class FractionalMaxPool2DEntry : LayerEntry
{
    public override string Kind => "FractionalMaxPool2D";

    public override string DefaultName => "fpool";

    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    public override bool ReadsRandomStream => true;

    private static int Kernel(EquatableArray<ArgumentValue> a) => a.Int("Kernel", 0);

    /// <summary>None: the regions are drawn, so no fixed receptive field follows this layer.</summary>
    public override SpatialWindow? Window(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input) => null;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        EquatableArray<ArgumentValue> a = spec.Arguments;
        if (Kernel(a) < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FractionalPoolArgumentOutOfRange, spec.LocationOf("Kernel"), display, owner, "Kernel", Kernel(a), "the window size must be ≥ 1, e.g. 2 (Graham's)"));
        }

        bool ratio = a.Has("OutputRatio"), size = a.Has("OutputSize");
        if (ratio == size)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FractionalPoolOutputUnspecified, size ? spec.LocationOf("OutputSize") : spec.Location, display, owner, size ? "writes both OutputRatio and OutputSize" : "writes neither OutputRatio nor OutputSize"));
            return;
        }

        double r = a.Number("OutputRatio", 0.5);
        if (ratio && !(r > 0 && r < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FractionalPoolArgumentOutOfRange, spec.LocationOf("OutputRatio"), display, owner, "OutputRatio", r, "the output is ⌊H·r⌋ × ⌊W·r⌋ and r must be in (0, 1), e.g. 0.7 (Graham's α = 1/r ≈ √2)"));
        }

        if (size && a.Int("OutputSize", 0) < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FractionalPoolArgumentOutOfRange, spec.LocationOf("OutputSize"), display, owner, "OutputSize", a.Int("OutputSize", 0), "the output's rows and columns must be ≥ 1"));
        }
    }

    /// <summary>⌊N·r⌋ (PyTorch's int(input.size(-2) * output_ratio)), or the written OutputSize.</summary>
    private static int OutSize(EquatableArray<ArgumentValue> a, int n) =>
        a.Has("OutputRatio") ? (int)(n * a.Number("OutputRatio", 0)) : a.Int("OutputSize", 0);

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        EquatableArray<ArgumentValue> a = spec.Arguments;
        int k = Kernel(a);
        bool ratio = a.Has("OutputRatio");
        double r = a.Number("OutputRatio", 0);
        if (k < 1 || ratio == a.Has("OutputSize") || (ratio && !(r > 0 && r < 1)) || (!ratio && a.Int("OutputSize", 0) < 1))
        {
            return null;
        }

        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, spec.Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Pool the output of a Conv2D layer, before any Flatten."));
            return null;
        }

        int? h = Fit(spec, input[1], k, "height", shapes), w = h is null ? null : Fit(spec, input[2], k, "width", shapes);
        return h is null || w is null ? null : new[] { input[0], h.Value, w.Value }.ToEquatableArray();
    }

    private static int? Fit(LayerSpec spec, int n, int k, string dimension, ShapeContext shapes)
    {
        EquatableArray<ArgumentValue> a = spec.Arguments;
        bool ratio = a.Has("OutputRatio");
        string argument = ratio ? "OutputRatio" : "OutputSize";
        int o = OutSize(a, n);
        int most = n - k + 1;
        string why;
        if (o < 1)
        {
            why = $"output {dimension} = ⌊{LayerCatalog.I(n)} · {LayerCatalog.F(a.Number("OutputRatio", 0))}⌋ = {LayerCatalog.I(o)}";
        }
        else if ((long)o + k - 1 > n)
        {
            why = $"output {dimension} {LayerCatalog.I(o)}" + (ratio ? $" (⌊{LayerCatalog.I(n)} · {LayerCatalog.F(a.Number("OutputRatio", 0))}⌋)" : string.Empty) +
                $" + kernel {LayerCatalog.I(k)} − 1 = {LayerCatalog.I((long)o + k - 1)} exceeds the input {dimension} {LayerCatalog.I(n)}, so the last window would read past the input";
        }
        else
        {
            return o;
        }

        string fix = most >= 1
            ? $"Use an output of 1 to {LayerCatalog.I(most)} rows and columns (OutputSize ≤ {LayerCatalog.I(most)}) or a smaller kernel."
            : $"The kernel {LayerCatalog.I(k)} is larger than the input {dimension} {LayerCatalog.I(n)}: use a smaller kernel.";
        shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.FractionalPoolTooLarge, spec.LocationOf(argument), shapes.Display, shapes.Owner, why, fix));
        return null;
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("argmax", NetworkPlanner.Product(output), PerSample: true, IsInt: true);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) =>
        NetworkPlanner.ProductLong(output) * Kernel(spec.Arguments) * Kernel(spec.Arguments);

    public override string TorchModule(NodeContext c) =>
        $"nn.FractionalMaxPool2d({LayerCatalog.I(Kernel(c.Args))}, " + (c.Args.Has("OutputRatio") ? $"output_ratio={LayerCatalog.F(c.Args.Number("OutputRatio", 0))})" : $"output_size={LayerCatalog.I(c.Args.Int("OutputSize", 0))})");

    public override string Title(NodeContext c) =>
        $"FractionalMaxPool2D {LayerCatalog.I(Kernel(c.Args))}×{LayerCatalog.I(Kernel(c.Args))}" + (c.Args.Has("OutputRatio") ? $" ratio {LayerCatalog.F(c.Args.Number("OutputRatio", 0))}" : string.Empty) + $" {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c)
    {
        int k = Kernel(c.Args);
        EquatableArray<int> x = c.InputShape, y = c.OutputShape;
        string rows = y[1] == 1
            ? $"r_0 = {LayerCatalog.I(x[1] - k)}"
            : $"r_i = ⌊(i + u_H)·α_H⌋ − ⌊u_H·α_H⌋, α_H = ({LayerCatalog.I(x[1])} − {LayerCatalog.I(k)})/({LayerCatalog.I(y[1])} − 1), r_last = {LayerCatalog.I(x[1] - k)}";
        return $"y[c,i,j] = max_{{p,q < {LayerCatalog.I(k)}}} x[c, r_i + p, s_j + q];  {rows} (s_j alike over the width);"
            + $" training: u_W, u_H ~ U[0,1) per (sample, channel), keyed by (seed, node {LayerCatalog.I(c.Node.Ordinal)}, step), argmax kept; inference: per channel, keyed by (seed, node {LayerCatalog.I(c.Node.Ordinal)}) only";
    }

    public override string BackwardFormula(NodeContext c) => "dx = 0;  dx[argmax] += dy";

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        EquatableArray<int> x = c.InputShape, y = c.OutputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.FractionalPool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.FractionalPool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(Kernel(c.Args))}, {LayerCatalog.I(y[1])}, {LayerCatalog.I(y[2])}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, k, Ho, Wo");
    }

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        string node = LayerCatalog.I(c.Node.Ordinal), geometry = Conv2DEntry.Geometry(c.Node);
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.FractionalMaxPool2D.Forward<T>({c.X}, {c.Y}, {c.Cache("argmax")}, B, in {geometry}, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {node}, (ulong)step), samplePerRow: true);");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.FractionalMaxPool2D.Forward<T>({c.X}, {c.Y}, default, B, in {geometry}, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {node}, global::NetGen.Kernels.FractionalMaxPool2D.InferenceStep), samplePerRow: false);");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.FractionalMaxPool2D.Backward<T>({c.Dy}, {c.Cache("argmax")}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
}
