using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Max pooling, nn.MaxPool2d: y[c, i, j] = max over the kh×kw window at (i·Sh − Ph, j·Sw − Pw) of x[c] (padding counts
/// as −∞); the stride defaults to the kernel on each axis (non-overlapping windows). Kernel, stride and padding are a
/// number or, with KernelHeight/KernelWidth (the two-argument constructor), StrideHeight/StrideWidth and
/// PaddingHeight/PaddingWidth, a pair, as PyTorch's tuples. The argmax of each window is cached for backward, which
/// routes dy to it: dx[argmax] += dy.
/// </summary>
internal sealed partial class MaxPool2DEntry : LayerEntry
{
    public override string Kind => "MaxPool2D";

    public override string DefaultName => "pool";

    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    /// <summary>A pooling window with every default applied: per-axis kernel, stride (the kernel unless written) and
    /// padding; a per-axis argument overrides the square one.</summary>
    internal readonly record struct PoolArgs(int Kh, int Kw, int Sh, int Sw, int Ph, int Pw)
    {
        public bool Square => Kh == Kw && Sh == Sw && Ph == Pw;

        public bool InRange => Kh >= 1 && Kw >= 1 && Sh >= 1 && Sw >= 1 && Ph >= 0 && Pw >= 0 && Ph <= Kh / 2 && Pw <= Kw / 2;
    }

    internal static PoolArgs Args(EquatableArray<ArgumentValue> a)
    {
        int kh = a.Has("KernelHeight") ? a.Int("KernelHeight", 0) : a.Int("Kernel", 0);
        int kw = a.Has("KernelWidth") ? a.Int("KernelWidth", 0) : a.Int("Kernel", 0);
        int sh = a.Has("StrideHeight") ? a.Int("StrideHeight", 0) : a.Has("Stride") ? a.Int("Stride", 0) : kh;
        int sw = a.Has("StrideWidth") ? a.Int("StrideWidth", 0) : a.Has("Stride") ? a.Int("Stride", 0) : kw;
        int p = a.Int("Padding", 0);
        return new PoolArgs(kh, kw, sh, sw, a.Has("PaddingHeight") ? a.Int("PaddingHeight", 0) : p, a.Has("PaddingWidth") ? a.Int("PaddingWidth", 0) : p);
    }

    public override int SpatialStride(EquatableArray<ArgumentValue> arguments) => Args(arguments).Sh;

    public override SpatialWindow? Window(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input) => PoolWindow(arguments);

    internal static SpatialWindow PoolWindow(EquatableArray<ArgumentValue> arguments)
    {
        PoolArgs w = Args(arguments);
        return new SpatialWindow(w.Kh, w.Kw, w.Sh, w.Sw, 1, 1);
    }

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics) =>
        ValidateWindow(spec, display, owner, diagnostics);

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) =>
        WindowOutputShape(spec, input, shapes);

    /// <summary>The checks of a pooling window's kernel, stride (default: the kernel) and padding (at most half the
    /// kernel on its axis, as PyTorch requires), square or per axis, shared with AvgPool2D.</summary>
    internal static void ValidateWindow(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        EquatableArray<ArgumentValue> a = spec.Arguments;
        PoolArgs w = Args(a);
        if (a.Has("KernelHeight") || a.Has("KernelWidth"))
        {
            Conv2DEntry.Check(spec, display, owner, diagnostics, "KernelHeight", w.Kh, 1, "the window height must be ≥ 1, e.g. 2");
            Conv2DEntry.Check(spec, display, owner, diagnostics, "KernelWidth", w.Kw, 1, "the window width must be ≥ 1, e.g. 2");
        }
        else
        {
            Conv2DEntry.Check(spec, display, owner, diagnostics, "Kernel", w.Kh, 1, "the window size must be ≥ 1, e.g. 2");
        }

        if (a.Has("Stride"))
        {
            Conv2DEntry.Check(spec, display, owner, diagnostics, "Stride", a.Int("Stride", 0), 1, "the stride must be ≥ 1 (it defaults to the kernel)");
        }
        foreach (string axis in new[] { "StrideHeight", "StrideWidth" })
        {
            if (a.Has(axis))
            {
                Conv2DEntry.Check(spec, display, owner, diagnostics, axis, a.Int(axis, 0), 1, $"the {(axis == "StrideHeight" ? "vertical" : "horizontal")} stride must be ≥ 1 (it defaults to the kernel)");
            }
        }

        int p = a.Int("Padding", 0);
        Conv2DEntry.Check(spec, display, owner, diagnostics, "Padding", p, 0, "the padding must be ≥ 0");
        foreach (string axis in new[] { "PaddingHeight", "PaddingWidth" })
        {
            if (a.Has(axis))
            {
                Conv2DEntry.Check(spec, display, owner, diagnostics, axis, a.Int(axis, 0), 0, $"the {(axis == "PaddingHeight" ? "rows above and below" : "columns left and right")} must be ≥ 0");
            }
        }

        Window2D.CheckOverridden(spec, display, owner, diagnostics, "Stride", "Padding");

        // PyTorch: "pad should be at most half of effective kernel size", on each axis.
        HalfKernel(spec, display, owner, diagnostics, w.Kh, w.Ph, a.Has("PaddingHeight") ? "PaddingHeight" : "Padding", "height");
        if (!(w.Kw == w.Kh && w.Pw == w.Ph && !a.Has("PaddingWidth") && !a.Has("PaddingHeight")))
        {
            HalfKernel(spec, display, owner, diagnostics, w.Kw, w.Pw, a.Has("PaddingWidth") ? "PaddingWidth" : "Padding", "width");
        }
    }

    private static void HalfKernel(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, int k, int p, string argument, string axis)
    {
        if (k >= 1 && p >= 0 && p > k / 2)
        {
            bool square = argument == "Padding" && spec.Arguments.Int("Kernel", 0) == k;
            string kernel = square ? "the kernel" : $"the window {axis} {LayerCatalog.I(k)}";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf(argument), spec.Kind, display, owner, argument, p, $"the padding must be at most half {kernel} ({LayerCatalog.I(k / 2)}), as in PyTorch, or a window could see only padding"));
        }
    }

    /// <summary>A pooling window's output shape [C, Ho, Wo] under the window rule (NG0105), or NG0106 on a vector.</summary>
    internal static EquatableArray<int>? WindowOutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        PoolArgs w = Args(spec.Arguments);
        if (!w.InRange)
        {
            return null;
        }

        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, spec.Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Pool the output of a Conv2D layer, before any Flatten."));
            return null;
        }

        EquatableArray<ArgumentValue> a = spec.Arguments;
        int? h = Window2D.Output(input[1], w.Kh, w.Ph, w.Sh, "height", spec, spec.Kind, shapes, 1,
            a.Has("StrideHeight") ? "StrideHeight" : "Stride", a.Has("PaddingHeight") ? "PaddingHeight" : "Padding", "Dilation", "KernelHeight");
        int? wo = h is null ? null : Window2D.Output(input[2], w.Kw, w.Pw, w.Sw, "width", spec, spec.Kind, shapes, 1,
            a.Has("StrideWidth") ? "StrideWidth" : "Stride", a.Has("PaddingWidth") ? "PaddingWidth" : "Padding", "Dilation", "KernelWidth");
        return h is null || wo is null ? null : new[] { input[0], h.Value, wo.Value }.ToEquatableArray();
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("argmax", NetworkPlanner.Product(output), PerSample: true, IsInt: true);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        PoolArgs w = Args(spec.Arguments);
        return NetworkPlanner.ProductLong(output) * w.Kh * w.Kw;
    }

    public override string TorchModule(NodeContext c) => TorchWindow("nn.MaxPool2d", Args(c.Args));

    /// <summary>"nn.MaxPool2d(2)", "nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 0))": PyTorch's arguments, the
    /// stride left out when it is the kernel (PyTorch's default).</summary>
    internal static string TorchWindow(string module, PoolArgs w) =>
        $"{module}({Pair(w.Kh, w.Kw)}" + (w.Sh != w.Kh || w.Sw != w.Kw ? $", stride={Pair(w.Sh, w.Sw)}" : string.Empty) + (w.Ph != 0 || w.Pw != 0 ? $", padding={Pair(w.Ph, w.Pw)}" : string.Empty) + ")";

    private static string Pair(int h, int w) => h == w ? LayerCatalog.I(h) : $"({LayerCatalog.I(h)}, {LayerCatalog.I(w)})";

    /// <summary>"MaxPool2D 2×2", "… stride 1", "… 3×2 stride 1×2" (the stride shown when it is not the kernel; the
    /// padding is in the formula).</summary>
    internal static string TitleWindow(string kind, PoolArgs w, NodeContext c) =>
        $"{kind} {LayerCatalog.I(w.Kh)}×{LayerCatalog.I(w.Kw)}" +
        (w.Sh != w.Kh || w.Sw != w.Kw ? " stride " + (w.Sh == w.Sw ? LayerCatalog.I(w.Sh) : $"{LayerCatalog.I(w.Sh)}×{LayerCatalog.I(w.Sw)}") : string.Empty) +
        $" {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";

    public override string Title(NodeContext c) => TitleWindow("MaxPool2D", Args(c.Args), c);

    /// <summary>"u,v &lt; 2" for a square window, "u &lt; 3, v &lt; 2" for a rectangular one.</summary>
    internal static string Taps(PoolArgs w) =>
        w.Kh == w.Kw ? $"u,v < {LayerCatalog.I(w.Kh)}" : $"u < {LayerCatalog.I(w.Kh)}, v < {LayerCatalog.I(w.Kw)}";

    public override string ForwardFormula(NodeContext c)
    {
        PoolArgs w = Args(c.Args);
        return $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][c,i,j] = max_{{{Taps(w)}}} x[c, {Window2D.Index("i", w.Sh, w.Ph, "u")}, {Window2D.Index("j", w.Sw, w.Pw, "v")}];  argmax kept for backward (training)";
    }

    public override string BackwardFormula(NodeContext c) => "dx = 0;  dx[argmax] += dy";

    public override void EmitFields(SourceWriter w, NodeContext c) => EmitGeometry(w, c, Args(c.Args));

    /// <summary>The layer's <c>Pool2DGeometry</c> field (both pooling kernels take it).</summary>
    internal static void EmitGeometry(SourceWriter w, NodeContext c, PoolArgs a)
    {
        EquatableArray<int> x = c.InputShape;
        w.WriteLine($"private static readonly global::NetGen.Kernels.Pool2DGeometry {Conv2DEntry.Geometry(c.Node)} = new global::NetGen.Kernels.Pool2DGeometry({LayerCatalog.I(x[0])}, {LayerCatalog.I(x[1])}, {LayerCatalog.I(x[2])}, {LayerCatalog.I(a.Kh)}, {LayerCatalog.I(a.Kw)}, {LayerCatalog.I(a.Sh)}, {LayerCatalog.I(a.Sw)}, {LayerCatalog.I(a.Ph)}, {LayerCatalog.I(a.Pw)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, kh, kw, stride, padding");
    }

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.MaxPool2D.Forward<T>({c.X}, {c.Y}, training ? {c.Cache("argmax")} : default, B, in {Conv2DEntry.Geometry(c.Node)});");

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
        string plain = $"global::NetGen.Kernels.MaxPool2D.Backward<T>({c.Dy}, {c.Cache("argmax")}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});";
        if (c.Cpu.Nodes[c.Node.Ordinal].MasksReLU < 0)
        {
            w.WriteLine(plain);
            return;
        }

        if (c.Lowered.ConvOfBackward >= 0)
        {
            EmitWithConvolution(w, c, plain);
            return;
        }

        // ReLU → pool (ADR 0052): the ReLU's output is the pool's input, its ∂L/∂x goes where the pool's ∂L/∂x would.
        w.WriteLine($"// with [{c.Plan.Nodes[c.Cpu.Nodes[c.Node.Ordinal].MasksReLU].Label}]'s ReLU backward (kernel MaxPool2DReLU, one pass instead of two): dx[argmax] += (y[argmax] > 0 ? dy : 0), y[argmax] being this pool's output; the two kernels in turn while ActivationGradients are kept");
        w.WriteLine($"if (ActivationGradients is null) global::NetGen.Kernels.MaxPool2DReLU.Backward<T>({c.Dy}, {c.Cache("argmax")}, {c.Y}, {c.X}, {c.Dx}, B, in {Conv2DEntry.Geometry(c.Node)});");
        w.WriteLine("else " + plain + " // the ReLU's ∂L/∂y is kept: its mask runs in its own backward");
    }

    /// <summary>Conv2D (no dx) → ReLU → this pool (ADR 0059): one kernel places each sample's gradient through the ReLU's mask
    /// into a scratch of one sample and sums the convolution's dW and db from it at once; the convolution's ∂L/∂y slot is
    /// then never written. While ActivationGradients are kept, the three kernels run in turn as before.</summary>
    private static void EmitWithConvolution(SourceWriter w, NodeContext c, string plain)
    {
        NodePlan relu = c.Plan.Nodes[c.Lowered.MasksReLU];
        var conv = new NodeContext(c.Cpu, c.Plan.Nodes[c.Lowered.ConvOfBackward]);
        string shape = $"[B,{Shapes.Cross(conv.OutputShape).Replace("×", ",")}]";
        if (conv.Dx is string dx)
        {
            EmitWithConvolutionDx(w, c, plain, relu, conv, dx, shape);
            return;
        }

        w.WriteLine($"// with [{relu.Label}]'s ReLU backward and [{conv.Node.Label}]'s dW, db (kernel ConvPoolBackward, one pass instead of three): per sample,");
        w.WriteLine($"// dy' = 0 except dy'[argmax] += (y[argmax] > 0 ? dy : 0) ([{relu.Label}]'s ∂L/∂x, y[argmax] being this pool's output) placed in a one-sample scratch,");
        w.WriteLine($"// then dW += dy' · im2col(x)ᵀ{(conv.HasState("bias") ? " and db[o] += Σ_i,j dy'" : string.Empty)} in [{conv.Node.Label}]'s sample groups at once: dy' {shape} is never written whole (same bits);");
        w.WriteLine("// the three kernels in turn while ActivationGradients are kept");
        w.WriteLine($"if (ActivationGradients is null) global::NetGen.Kernels.ConvPoolBackward.Backward<T>({c.Dy}, {c.Cache("argmax")}, {c.Y}, {c.X}, {conv.X}, {conv.P("weight")}, {c.Dx}, {conv.G("weight")}, {conv.G("bias")}, B, in {Conv2DEntry.Geometry(conv.Node)}, in {Conv2DEntry.Geometry(c.Node)});");
        w.WriteLine("else " + plain + " // the ReLU's ∂L/∂y is kept: its mask runs in its own backward");
    }

    /// <summary>Conv2D with ∂L/∂x → ReLU → this 2×2, stride-2 pool (ADR 0064): the convolution's ∂L/∂y is non-zero at one
    /// position per window at most, so one kernel sums dx, dW and db over those terms only; the convolution's ∂L/∂y slot
    /// serves as its scratch. While ActivationGradients are kept, the three kernels run in turn as before.</summary>
    private static void EmitWithConvolutionDx(SourceWriter w, NodeContext c, string plain, NodePlan relu, NodeContext conv, string dx, string shape)
    {
        w.WriteLine($"// with [{relu.Label}]'s ReLU backward and [{conv.Node.Label}]'s dx, dW, db (kernel PoolConvBackward, one pass instead of three, rule: a 2×2 stride-2 max pool after the");
        w.WriteLine($"// convolution's ReLU, stride 1, no padding, C·kh·kw > 128, Ho·Wo ≥ 64; float on AVX-512, else the kernels of before): dy' = 0 except dy'[argmax] = (y[argmax] > 0 ? dy : 0),");
        w.WriteLine($"// at most one non-zero per window, so per sample dcol[:, p] = Σ_o∈p W[o]ᵀ · dy'[o, p] and dx = col2im(dcol), dW[o] += Σ_p∈o dy'[o, p] · im2col(x)[:, p]{(conv.HasState("bias") ? ", db[o] += Σ_p dy'[o, p]" : string.Empty)},");
        w.WriteLine($"// over the non-zero terms only, in the dense kernels' order (same bits): dy' {shape} is never written (the convolution's ∂L/∂y slot is scratch);");
        w.WriteLine("// the three kernels in turn while ActivationGradients are kept");
        w.WriteLine($"if (ActivationGradients is null) global::NetGen.Kernels.PoolConvBackward.Backward<T>({c.Dy}, {c.Cache("argmax")}, {c.Y}, {c.X}, {conv.X}, {conv.P("weight")}, {c.Dx}, {dx}, {conv.G("weight")}, {conv.G("bias")}, B, in {Conv2DEntry.Geometry(conv.Node)}, in {Conv2DEntry.Geometry(c.Node)});");
        w.WriteLine("else " + plain + " // the ReLU's ∂L/∂y is kept: its mask runs in its own backward");
    }
}
