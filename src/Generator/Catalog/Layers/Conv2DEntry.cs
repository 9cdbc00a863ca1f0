using System;
using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// 2-D convolution, nn.Conv2d layout: x [C, H, W] → y [O, Ho, Wo], W [O, C, k, k], b [O];
/// y[o, i, j] = Σ_{c,u,v} W[o,c,u,v]·x[c, i·S − P + u, j·S − P + v] + b[o] (zero padding); Ho = (H − k + 2P)/S + 1.
/// Fan-in C·k·k and fan-out O·k·k, as PyTorch computes them for initialisation.
/// </summary>
internal sealed class Conv2DEntry : LayerEntry
{
    public override string Kind => "Conv2D";

    public override string DefaultName => "conv";

    public override string? ShapeArgument => "OutChannels";

    public override bool WritesInputGradient => false;

    public override bool FusesReLUEpilogue => true;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        Check(spec, display, owner, diagnostics, "OutChannels", spec.Arguments.Int("OutChannels", 0), 1, "the number of filters must be ≥ 1, e.g. 16");
        Check(spec, display, owner, diagnostics, "Kernel", spec.Arguments.Int("Kernel", 0), 1, "the filter size must be ≥ 1, e.g. 3");
        Check(spec, display, owner, diagnostics, "Stride", spec.Arguments.Int("Stride", 1), 1, "the stride must be ≥ 1");
        Check(spec, display, owner, diagnostics, "Padding", spec.Arguments.Int("Padding", 0), 0, "the zero padding must be ≥ 0 (P = (k − 1)/2 keeps the size at stride 1)");
        WeightInit.Validate(spec, display, owner, diagnostics);
        RegularizationRule.Validate(spec, display, owner, diagnostics);
    }

    internal static void Check(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, string argument, int value, int minimum, string rule)
    {
        if (value < minimum)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf(argument), spec.Kind, display, owner, argument, value, rule));
        }
    }

    public override int SpatialStride(EquatableArray<ArgumentValue> arguments) => arguments.Int("Stride", 1);

    /// <summary>Set (by the Residual entry, never by an attribute) on the 1×1 projection of a shortcut.</summary>
    internal const string ProjectionArgument = "Projection";

    private static (int O, int K, int S, int P) Args(EquatableArray<ArgumentValue> a) =>
        (a.Int("OutChannels", 0), a.Int("Kernel", 0), a.Int("Stride", 1), a.Int("Padding", 0));

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        (int o, int k, int s, int p) = Args(spec.Arguments);
        if (o < 1 || k < 1 || s < 1 || p < 0)
        {
            return null; // NG0211 was reported by the Parser
        }

        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Declare the network's input as InputShape = new[] { C, H, W }, or use Dense layers on vectors."));
            return null;
        }

        if (spec.Arguments.Bool(ProjectionArgument, false))
        {
            // A residual's 1×1 projection shortcut: it samples every S-th position by design (torchvision's downsample).
            return new[] { o, ((input[1] - 1) / s) + 1, ((input[2] - 1) / s) + 1 }.ToEquatableArray();
        }

        int? h = Window2D.Output(input[1], k, p, s, "height", spec, Kind, shapes);
        int? w = h is null ? null : Window2D.Output(input[2], k, p, s, "width", spec, Kind, shapes);
        return h is null || w is null ? null : new[] { o, h.Value, w.Value }.ToEquatableArray();
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        (int o, int k, _, _) = Args(spec.Arguments);
        int c = input[0];
        yield return StateDecl.Parameter("weight", new[] { o, c, k, k }, weightDecay: true, init: null);
        if (spec.Arguments.Bool("Bias", true))
        {
            InitRule rule = (InitKind)spec.Arguments.Int("Init", 0) == InitKind.PyTorchDefault
                ? new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(c * k * k), $"PyTorch default: U(±1/√n_in) = U(±1/√{LayerCatalog.I(c * k * k)})")
                : InitRule.Constant(spec.Arguments.Number("BiasInit", 0));
            yield return StateDecl.Parameter("bias", new[] { o }, weightDecay: false, rule);
        }
    }

    public override (long FanIn, long FanOut) Fans(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        (int o, int k, _, _) = Args(spec.Arguments);
        return ((long)input[0] * k * k, (long)o * k * k);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        (_, int k, _, _) = Args(spec.Arguments);
        long positions = NetworkPlanner.ProductLong(output);
        return (2L * input[0] * k * k * positions) + (spec.Arguments.Bool("Bias", true) ? positions : 0);
    }

    public override string TorchModule(NodeContext c)
    {
        (int o, int k, int s, int p) = Args(c.Args);
        return $"nn.Conv2d({LayerCatalog.I(c.InputShape[0])}, {LayerCatalog.I(o)}, {LayerCatalog.I(k)}" +
            (s != 1 ? $", stride={LayerCatalog.I(s)}" : string.Empty) + (p != 0 ? $", padding={LayerCatalog.I(p)}" : string.Empty) +
            (c.HasState("bias") ? string.Empty : ", bias=False") + ")";
    }

    public override string Title(NodeContext c)
    {
        (_, int k, int s, int p) = Args(c.Args);
        return $"Conv2D {LayerCatalog.I(k)}×{LayerCatalog.I(k)}" + (s != 1 ? $" stride {LayerCatalog.I(s)}" : string.Empty) + (p != 0 ? $" pad {LayerCatalog.I(p)}" : string.Empty) +
            $" {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";
    }

    public override string ForwardFormula(NodeContext c)
    {
        (int o, int k, int s, int p) = Args(c.Args);
        string ci = LayerCatalog.I(c.InputShape[0]);
        return $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][o,i,j] = Σ_c,u,v W[{LayerCatalog.I(o)},{ci},{LayerCatalog.I(k)},{LayerCatalog.I(k)}][o,c,u,v] · x[B,{Shapes.Cross(c.InputShape).Replace("×", ",")}][c, {Window2D.Index("i", s, p, "u")}, {Window2D.Index("j", s, p, "v")}]" +
            (c.HasState("bias") ? " + b[o]" : string.Empty) + " (zero padding; im2col + GEMM)";
    }

    public override string BackwardFormula(NodeContext c) =>
        (c.Dx is null ? string.Empty : "dx = Σ over the windows of Wᵀ·dy (col2im);  ") + "dW = Σ_B dy · im2col(x)ᵀ" + (c.HasState("bias") ? ";  db[o] = Σ_B,i,j dy" : string.Empty);

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        (int o, int k, int s, int p) = Args(c.Args);
        EquatableArray<int> x = c.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Conv2DGeometry {Geometry(c.Node)} = new global::NetGen.Kernels.Conv2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(o)}, {LayerCatalog.I(k)}, {LayerCatalog.I(k)}, {LayerCatalog.I(s)}, {LayerCatalog.I(s)}, {LayerCatalog.I(p)}, {LayerCatalog.I(p)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, O, kh, kw, stride, padding");
    }

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        string relu = c.Lowered.FusesNextReLU ? ", fuseReLU: true" : string.Empty;
        w.WriteLine($"global::NetGen.Kernels.Conv2D.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, in {Geometry(c.Node)}{relu});");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Conv2D.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx ?? "default"}, {c.G("weight")}, {c.G("bias")}, B, in {Geometry(c.Node)});");

    internal static string Geometry(NodePlan node) => "s_geometry" + EmitNames.Suffix(node);
}
