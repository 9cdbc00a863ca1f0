using System;
using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// 2-D convolution, nn.Conv2d layout: x [C, H, W] → y [O, Ho, Wo], W [O, C/G, kh, kw], b [O];
/// y[o, i, j] = Σ_{c,u,v} W[o,c,u,v]·x[g·C/G + c, i·Sh − Ph + u·Dh, j·Sw − Pw + v·Dw] + b[o] (zero padding, g = o/(O/G));
/// Ho = (H − Dh·(kh − 1) − 1 + 2Ph)/Sh + 1. Fan-in (C/G)·kh·kw and fan-out O·kh·kw, as PyTorch computes them for
/// initialisation. Groups 1 and dilation 1 run on <c>Kernels.Conv2D</c> (the fast path); anything else on
/// <c>Kernels.Conv2DGeneral</c>: the choice is made here, at compile time, and written in the generated comment.
/// </summary>
internal sealed partial class Conv2DEntry : LayerEntry
{
    public override string Kind => "Conv2D";

    public override string DefaultName => "conv";

    public override string? ShapeArgument => "OutChannels";

    public override bool WritesInputGradient => false;

    public override bool FusesReLUEpilogue => true;

    /// <summary>Conv2DAttribute.Same: Padding that keeps the size at stride 1. int.MinValue, not −1, so that a mistyped
    /// negative padding stays an error (NG0211).</summary>
    internal const int SamePadding = int.MinValue;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        EquatableArray<ArgumentValue> a = spec.Arguments;
        Check(spec, display, owner, diagnostics, "OutChannels", a.Int("OutChannels", 0), 1, "the number of filters must be ≥ 1, e.g. 16");
        if (a.Has("KernelHeight"))
        {
            Check(spec, display, owner, diagnostics, "KernelHeight", a.Int("KernelHeight", 0), 1, "the filter height must be ≥ 1, e.g. 3");
            Check(spec, display, owner, diagnostics, "KernelWidth", a.Int("KernelWidth", 0), 1, "the filter width must be ≥ 1, e.g. 3");
        }
        else
        {
            Check(spec, display, owner, diagnostics, "Kernel", a.Int("Kernel", 0), 1, "the filter size must be ≥ 1, e.g. 3");
        }

        Check(spec, display, owner, diagnostics, "Stride", a.Int("Stride", 1), 1, "the stride must be ≥ 1");
        CheckWritten(spec, display, owner, diagnostics, "StrideHeight", 1, "the vertical stride must be ≥ 1");
        CheckWritten(spec, display, owner, diagnostics, "StrideWidth", 1, "the horizontal stride must be ≥ 1");
        if (a.Int("Padding", 0) != SamePadding)
        {
            Check(spec, display, owner, diagnostics, "Padding", a.Int("Padding", 0), 0, "the zero padding must be ≥ 0 (P = (k − 1)/2, or Conv2DAttribute.Same, keeps the size at stride 1)");
        }
        CheckWritten(spec, display, owner, diagnostics, "PaddingHeight", 0, "the zero rows above and below must be ≥ 0");
        CheckWritten(spec, display, owner, diagnostics, "PaddingWidth", 0, "the zero columns left and right must be ≥ 0");
        Check(spec, display, owner, diagnostics, "Dilation", a.Int("Dilation", 1), 1, "the dilation (spacing of the kernel's taps) must be ≥ 1; 1 is an ordinary convolution");
        CheckWritten(spec, display, owner, diagnostics, "DilationHeight", 1, "the vertical dilation (spacing of the kernel's rows) must be ≥ 1; 1 is an ordinary convolution");
        CheckWritten(spec, display, owner, diagnostics, "DilationWidth", 1, "the horizontal dilation (spacing of the kernel's columns) must be ≥ 1; 1 is an ordinary convolution");
        Check(spec, display, owner, diagnostics, "Groups", a.Int("Groups", 1), 1, "the number of channel groups must be ≥ 1; 1 is an ordinary convolution");
        Window2D.CheckOverridden(spec, display, owner, diagnostics, "Stride", "Padding", "Dilation");
        WeightInit.Validate(spec, display, owner, diagnostics);
        RegularizationRule.Validate(spec, display, owner, diagnostics);

        ConvArgs c = Args(a);
        if (!c.InRange)
        {
            return; // NG0211 above
        }

        if (c.O % c.G != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutChannelsNotDivisibleByGroups, spec.LocationOf("Groups"), display, owner, c.O, c.G));
        }

        if (c.Same)
        {
            // PyTorch's padding='same' pads D·(k − 1) in total; split evenly only when that is even (an odd window).
            int eh = Effective(c.Kh, c.Dh), ew = Effective(c.Kw, c.Dw);
            bool dilated = c.Dh > 1 || c.Dw > 1;
            string? why = c.Sh != 1 || c.Sw != 1
                ? $"the stride is {I(c.Sh)}" + (c.Sw != c.Sh ? $"×{I(c.Sw)}" : string.Empty) + ", and 'same' keeps the size only at stride 1 (PyTorch rejects it too)"
                : eh % 2 == 0 || ew % 2 == 0
                    ? $"the {(dilated ? "dilated " : string.Empty)}window is {I(eh)}×{I(ew)}" + (dilated ? $" (D·(k − 1) + 1 with D = {I(c.Dh)}" + (c.Dw != c.Dh ? $"×{I(c.Dw)}" : string.Empty) + ")" : string.Empty) + ", and an even window cannot be padded equally on both sides"
                    : null;
            if (why is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SamePaddingNotPossible, spec.LocationOf("Padding"), display, owner, why));
            }
        }
    }

    internal static void Check(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, string argument, int value, int minimum, string rule)
    {
        if (value < minimum)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf(argument), spec.Kind, display, owner, argument, value, rule));
        }
    }

    private static void CheckWritten(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, string argument, int minimum, string rule)
    {
        if (spec.Arguments.Has(argument))
        {
            Check(spec, display, owner, diagnostics, argument, spec.Arguments.Int(argument, minimum), minimum, rule);
        }
    }

    public override int SpatialStride(EquatableArray<ArgumentValue> arguments) => Args(arguments).Sh;

    public override SpatialWindow? Window(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input)
    {
        ConvArgs a = Args(arguments);
        return new SpatialWindow(a.Kh, a.Kw, a.Sh, a.Sw, a.Dh, a.Dw);
    }

    /// <summary>Set (by the Residual entry, never by an attribute) on the 1×1 projection of a shortcut.</summary>
    internal const string ProjectionArgument = "Projection";

    /// <summary>The arguments with every default and override applied: per-axis kernel, stride, padding ("same"
    /// resolved to D·(k − 1)/2 per axis) and dilation (DilationHeight/DilationWidth over Dilation), and groups G.</summary>
    internal readonly record struct ConvArgs(int O, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, int G, bool Same)
    {
        public bool InRange => O >= 1 && Kh >= 1 && Kw >= 1 && Sh >= 1 && Sw >= 1 && Ph >= 0 && Pw >= 0 && Dh >= 1 && Dw >= 1 && G >= 1;

        /// <summary>Groups 1 and dilation 1 on both axes: the fast Conv2D kernel applies.</summary>
        public bool FastPath => Dh == 1 && Dw == 1 && G == 1;

        /// <summary>Dilation other than 1 on either axis.</summary>
        public bool Dilated => Dh != 1 || Dw != 1;
    }

    internal static ConvArgs Args(EquatableArray<ArgumentValue> a)
    {
        int kh = a.Has("KernelHeight") ? a.Int("KernelHeight", 0) : a.Int("Kernel", 0);
        int kw = a.Has("KernelWidth") ? a.Int("KernelWidth", 0) : a.Int("Kernel", 0);
        int s = a.Int("Stride", 1), p = a.Int("Padding", 0), d = a.Int("Dilation", 1);
        int dh = a.Int("DilationHeight", d), dw = a.Int("DilationWidth", d);
        bool same = p == SamePadding;
        int ph = a.Has("PaddingHeight") ? a.Int("PaddingHeight", 0) : same ? SamePad(kh, dh) : p;
        int pw = a.Has("PaddingWidth") ? a.Int("PaddingWidth", 0) : same ? SamePad(kw, dw) : p;
        return new ConvArgs(a.Int("OutChannels", 0), kh, kw, a.Int("StrideHeight", s), a.Int("StrideWidth", s), ph, pw, dh, dw, a.Int("Groups", 1), same && !a.Has("PaddingHeight") && !a.Has("PaddingWidth"));
    }

    /// <summary>D·(k − 1)/2, 0 for arguments NG0211 rejects, never overflowing.</summary>
    private static int SamePad(int k, int d) => k < 1 || d < 1 ? 0 : (int)Math.Min((long)d * (k - 1) / 2, int.MaxValue / 4);

    private static int Effective(int k, int d) => (int)Math.Min(((long)d * (k - 1)) + 1, int.MaxValue / 4);

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        ConvArgs a = Args(spec.Arguments);
        if (!a.InRange || a.O % a.G != 0)
        {
            return null; // NG0211 or NG0241 was reported by the Parser
        }

        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Declare the network's input as InputShape = new[] { C, H, W }, or use Dense layers on vectors."));
            return null;
        }

        if (input[0] % a.G != 0)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.ChannelsNotDivisibleByGroups, spec.LocationOf("Groups"), shapes.Display, shapes.Owner, input[0], a.G, Divisors(input[0], a.O)));
            return null;
        }

        if (spec.Arguments.Bool(ProjectionArgument, false))
        {
            // A residual's 1×1 projection shortcut: it samples every S-th position by design (torchvision's downsample).
            return new[] { a.O, ((input[1] - 1) / a.Sh) + 1, ((input[2] - 1) / a.Sw) + 1 }.ToEquatableArray();
        }

        EquatableArray<ArgumentValue> args = spec.Arguments;
        int? h = Window2D.Output(input[1], a.Kh, a.Ph, a.Sh, "height", spec, Kind, shapes, a.Dh,
            args.Has("StrideHeight") ? "StrideHeight" : "Stride", args.Has("PaddingHeight") ? "PaddingHeight" : "Padding", args.Has("DilationHeight") ? "DilationHeight" : "Dilation", "KernelHeight");
        int? w = h is null ? null : Window2D.Output(input[2], a.Kw, a.Pw, a.Sw, "width", spec, Kind, shapes, a.Dw,
            args.Has("StrideWidth") ? "StrideWidth" : "Stride", args.Has("PaddingWidth") ? "PaddingWidth" : "Padding", args.Has("DilationWidth") ? "DilationWidth" : "Dilation", "KernelWidth");
        return h is null || w is null ? null : new[] { a.O, h.Value, w.Value }.ToEquatableArray();
    }

    /// <summary>"1, 2 or 4": the group counts that divide both the input and the output channels.</summary>
    private static string Divisors(int c, int o)
    {
        var list = new List<string>();
        for (int g = 1; g <= c; g++)
        {
            if (c % g == 0 && o % g == 0)
            {
                list.Add(I(g));
            }
        }

        return list.Count == 1 ? list[0] : string.Join(", ", list.GetRange(0, list.Count - 1)) + " or " + list[list.Count - 1];
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        ConvArgs a = Args(spec.Arguments);
        int c = input[0] / a.G;
        yield return StateDecl.Parameter("weight", new[] { a.O, c, a.Kh, a.Kw }, weightDecay: true, init: null);
        if (spec.Arguments.Bool("Bias", true))
        {
            InitRule rule = (InitKind)spec.Arguments.Int("Init", 0) == InitKind.PyTorchDefault
                ? new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(c * a.Kh * a.Kw), $"PyTorch default: U(±1/√n_in) = U(±1/√{LayerCatalog.I(c * a.Kh * a.Kw)})")
                : InitRule.Constant(spec.Arguments.Number("BiasInit", 0));
            yield return StateDecl.Parameter("bias", new[] { a.O }, weightDecay: false, rule);
        }
    }

    public override (long FanIn, long FanOut) Fans(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        ConvArgs a = Args(spec.Arguments);
        return ((long)(input[0] / a.G) * a.Kh * a.Kw, (long)a.O * a.Kh * a.Kw);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        ConvArgs a = Args(spec.Arguments);
        long positions = NetworkPlanner.ProductLong(output);
        return (2L * (input[0] / a.G) * a.Kh * a.Kw * positions) + (spec.Arguments.Bool("Bias", true) ? positions : 0);
    }

    public override string TorchModule(NodeContext c)
    {
        ConvArgs a = Args(c.Args);
        string padding = a.Same ? ", padding='same'" : Pair("padding", a.Ph, a.Pw, 0);
        return $"nn.Conv2d({I(c.InputShape[0])}, {I(a.O)}, {(a.Kh == a.Kw ? I(a.Kh) : $"({I(a.Kh)}, {I(a.Kw)})")}" +
            Pair("stride", a.Sh, a.Sw, 1) + padding + Pair("dilation", a.Dh, a.Dw, 1) + (a.G != 1 ? $", groups={I(a.G)}" : string.Empty) +
            (c.HasState("bias") ? string.Empty : ", bias=False") + ")";
    }

    private static string Pair(string name, int h, int w, int fallback) =>
        h == w ? (h != fallback ? $", {name}={I(h)}" : string.Empty) : $", {name}=({I(h)}, {I(w)})";

    public override string Title(NodeContext c)
    {
        ConvArgs a = Args(c.Args);
        return $"Conv2D {I(a.Kh)}×{I(a.Kw)}" + Axes(" stride", a.Sh, a.Sw, 1) + Axes(" pad", a.Ph, a.Pw, 0) +
            Axes(" dilation", a.Dh, a.Dw, 1) +
            (a.G != 1 ? (a.G == c.InputShape[0] ? $" depthwise (groups {I(a.G)})" : $" groups {I(a.G)}") : string.Empty) +
            $" {Shapes.Cross(c.InputShape)} → {Shapes.Cross(c.OutputShape)}";
    }

    private static string Axes(string label, int h, int w, int fallback) =>
        h == w ? (h != fallback ? $"{label} {I(h)}" : string.Empty) : $"{label} {I(h)}×{I(w)}";

    public override string ForwardFormula(NodeContext c)
    {
        ConvArgs a = Args(c.Args);
        int cg = c.InputShape[0] / a.G, og = a.O / a.G;
        string ci = I(cg);
        // Group g = o / (O/G) reads input channels g·C/G + c; one channel per group (depthwise) needs no sum over c.
        string group = og == 1 ? "o" : "g";
        string channel = a.G == 1 ? "c" : cg == 1 ? group : $"{group}·{ci} + c";
        string sum = a.G != 1 && cg == 1 ? "Σ_u,v" : "Σ_c,u,v";
        string weightIndex = a.G != 1 && cg == 1 ? "o,0,u,v" : "o,c,u,v";
        string tapRow = a.Dh == 1 ? string.Empty : I(a.Dh), tapColumn = a.Dw == 1 ? string.Empty : I(a.Dw);
        string kernel = c.Cuda
            ? $" (zero padding{(a.G != 1 && og != 1 ? $"; g = o / {I(og)}" : string.Empty)})"
            : a.FastPath
            ? $" (zero padding; {FastPathKernel(c, a)})"
            : $" (zero padding{(a.G != 1 && og != 1 ? $"; g = o / {I(og)}" : string.Empty)}; kernel Conv2DGeneral: per-group im2col with the dilated taps + GEMM, since {Reason(a)} rules out Conv2D's fast path)";
        return $"y[B,{Shapes.Cross(c.OutputShape).Replace("×", ",")}][o,i,j] = {sum} W[{I(a.O)},{ci},{I(a.Kh)},{I(a.Kw)}][{weightIndex}] · x[B,{Shapes.Cross(c.InputShape).Replace("×", ",")}][{channel}, {Window2D.Index("i", a.Sh, a.Ph, tapRow + "u")}, {Window2D.Index("j", a.Sw, a.Pw, tapColumn + "v")}]" +
            (c.HasState("bias") ? " + b[o]" : string.Empty) + kernel;
    }

    /// <summary>Which of <c>Kernels.Conv2D</c>'s paths the layer takes, by the rule of its <c>RunsDirect</c> and
    /// <c>LowersIntoPanels</c> (ADR 0035): a function of the geometry, known here.</summary>
    private static string FastPathKernel(NodeContext c, ConvArgs a)
    {
        int channels = c.InputShape[0], w = c.InputShape[2];
        int ho = c.OutputShape[1], wo = c.OutputShape[2];
        long rows = (long)channels * a.Kh * a.Kw;
        bool pointwise = a.Kh == 1 && a.Kw == 1 && a.Sh == 1 && a.Sw == 1 && a.Ph == 0 && a.Pw == 0;
        if (pointwise)
        {
            return "kernel Conv2D, 1×1: GEMM on the sample itself, no im2col";
        }
        if (RunsDirect(c.Args, c.InputShape, c.OutputShape))
        {
            int pool = c.Lowered.FusedPool;
            return pool < 0
                ? $"kernel Conv2D, direct: stride 1, no padding and C·kh·kw = {I((int)rows)} ≤ 128, no im2col (forward and dW)"
                : $"kernel ConvPool, direct: stride 1, no padding and C·kh·kw = {I((int)rows)} ≤ 128, no im2col (forward and dW), with [{c.Plan.Nodes[pool].Label}]'s 2×2 max pool in its epilogue (at inference on AVX-512: values only, 16 windows per register, ConvPoolInference; in training with its positions, MaxPool2DPositions); y itself, which only that pool reads, is written only for the activation views or a backward that reads it (storeY)";
        }
        if (c.Lowered.FusedPool >= 0)
        {
            return $"kernel ConvPool → ConvGemmPool: stride 1, no padding, an 8×8 output plane, 128 < C·kh·kw = {I((int)rows)} and C·kh·kw{(c.HasState("bias") ? " + 1" : string.Empty)} ≤ 512: im2col, then 5 channels × the 64 positions on registers (an FMA chain over the taps, + bias, ReLU), with [{c.Plan.Nodes[c.Lowered.FusedPool].Label}]'s 2×2 max pool (and its positions in training) taken from those registers; y itself is written in training (a backward may read it) and otherwise only for the activation views (storeY); where the machine has no AVX-512, Conv2D's GEMM then MaxPool2D";
        }
        return rows + (c.HasState("bias") ? 1 : 0) <= 512 && (long)ho * wo <= 4096
            ? "kernel Conv2D: im2col straight into the packed GEMM's panels + GEMM"
            : "kernel Conv2D: im2col + GEMM";
    }

    /// <summary>Whether <c>Kernels.Conv2D</c> runs the layer as a direct convolution, by the rule of its <c>RunsDirect</c>:
    /// groups 1, dilation 1, stride 1, no padding, C·kh·kw ≤ 128 and a wide span (Ho − 1)·W + Wo of at least 48.</summary>
    internal static bool RunsDirect(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input, EquatableArray<int> output)
    {
        ConvArgs a = Args(arguments);
        bool pointwise = a.Kh == 1 && a.Kw == 1;
        return a.FastPath && !pointwise && a.Sh == 1 && a.Sw == 1 && a.Ph == 0 && a.Pw == 0 &&
            (long)input[0] * a.Kh * a.Kw <= 128 && ((long)(output[1] - 1) * input[2]) + output[2] >= 48;
    }

    /// <summary>How the Conv2D at <paramref name="conv"/> computes the max pool fused into it, for the pool's comment: in the
    /// direct convolution's epilogue (ADR 0047), or from the GEMM path's registers (<c>ConvGemmPool</c>, ADR 0065).</summary>
    internal static string FusedPoolNote(Plan plan, int conv)
    {
        NodePlan n = plan.Nodes[conv];
        return RunsDirect(n.Arguments, plan.Tensors[n.Inputs[0]].Shape, plan.Tensors[n.Output].Shape)
            ? "in its epilogue (fused, kernel ConvPool)"
            : "from its product's registers (fused, kernel ConvPool → ConvGemmPool)";
    }

    /// <summary>Whether <c>Kernels.ConvGemmPool</c> runs the layer with the 2×2 max pool after it (ADR 0065), by the rule of
    /// its <c>Geometry</c>: groups 1, dilation 1, stride 1, no padding, not 1×1, an 8×8 output plane, 128 &lt; C·kh·kw and
    /// C·kh·kw (+ 1 with a bias) ≤ 512 (one depth block of the packed GEMM, whose bits it keeps), a pool of 2×2 with stride
    /// 2 and no padding. The convolution is then on the GEMM path (not <see cref="RunsDirect"/>).</summary>
    internal static bool GemmPool(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input, EquatableArray<int> output, MaxPool2DEntry.PoolArgs p)
    {
        ConvArgs a = Args(arguments);
        long rows = (long)input[0] * a.Kh * a.Kw;
        return a.FastPath && !(a.Kh == 1 && a.Kw == 1) && a.Sh == 1 && a.Sw == 1 && a.Ph == 0 && a.Pw == 0 &&
            output[1] == 8 && output[2] == 8 && rows > 128 && rows + (arguments.Bool("Bias", true) ? 1 : 0) <= 512 &&
            p.Kh == 2 && p.Kw == 2 && p.Sh == 2 && p.Sw == 2 && p.Ph == 0 && p.Pw == 0;
    }

    /// <summary>Whether <c>Kernels.Conv2D</c>'s backward computes dW with the direct kernel on 512-bit registers, by the rule of
    /// its <c>DirectWeightGradient</c> and <c>Conv2DWeightGradient.Serves</c> (ADR 0056) less the register width (a
    /// machine without AVX-512 runs the same call unfused, ADR 0059): groups 1, dilation 1, stride 1, no padding, not 1×1,
    /// 3 ≤ C·kh·kw ≤ 128, O ≥ 8 and kw ≥ 3.</summary>
    internal static bool DirectWeightGradient(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input)
    {
        ConvArgs a = Args(arguments);
        long rows = (long)input[0] * a.Kh * a.Kw;
        return a.FastPath && !(a.Kh == 1 && a.Kw == 1) && a.Sh == 1 && a.Sw == 1 && a.Ph == 0 && a.Pw == 0 &&
            rows >= 3 && rows <= 128 && a.O >= 8 && a.Kw >= 3;
    }

    /// <summary>Whether <c>Kernels.PoolConvBackward</c> serves the convolution when a ReLU and a 2×2, stride-2 max pool follow
    /// it (ADR 0064), by the rule of its <c>Serves</c> less the machine (float on AVX-512; elsewhere the same call runs the
    /// two kernels of before): groups 1, dilation 1, stride 1, no padding, C·kh·kw &gt; 128 (dW on
    /// <c>Conv2DTapGradient</c>), Ho·Wo ≥ 64 and O ≤ 512 (dx on <c>Conv2DBackward</c>'s columns), and a kernel row's
    /// run of kw·C channels-last floats, rounded up to 16, no longer than an input row (W·C).</summary>
    internal static bool PoolDx(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input, EquatableArray<int> output)
    {
        ConvArgs a = Args(arguments);
        long rows = (long)input[0] * a.Kh * a.Kw, run = ((((long)a.Kw * input[0]) + 15) / 16) * 16;
        return a.FastPath && !(a.Kh == 1 && a.Kw == 1) && a.Sh == 1 && a.Sw == 1 && a.Ph == 0 && a.Pw == 0 && rows > 128 &&
            (long)output[1] * output[2] >= 64 && a.O <= 512 && run <= (long)input[2] * input[0];
    }

    /// <summary>The backward's dx kernel when it is one of <c>Kernels.Conv2DBackward</c>'s direct kernels, by the rule of its
    /// <c>DirectInput</c> (ADR 0046): stride 1, not pointwise, O·kh·kw ≤ 256 and a wide span (H − 1)·(Wo + 2(kw − 1)) + W
    /// of at least 48, or by <c>Columns</c> (ADR 0057), which comes first: stride 1 without padding, Ho·Wo ≥ 64 and
    /// O ≤ 512 (any O·kh·kw), Wᵀ·dy on registers and col2im. Null when dx runs as Wᵀ·dy on the packed GEMM plus
    /// col2im.</summary>
    private static string? DirectDx(NodeContext c, ConvArgs a)
    {
        int h = c.InputShape[1], w = c.InputShape[2], ho = c.OutputShape[1], wo = c.OutputShape[2];
        long depth = (long)a.O * a.Kh * a.Kw;
        bool pointwise = a.Kh == 1 && a.Kw == 1 && a.Ph == 0 && a.Pw == 0;
        if (!a.FastPath || pointwise || a.Sh != 1 || a.Sw != 1)
        {
            return null;
        }
        if (a.Ph == 0 && a.Pw == 0 && (long)ho * wo >= 64 && a.O <= 512)
        {
            return $"dx = Σ over the windows of Wᵀ·dy (col2im) (kernel Conv2DBackward, columns: stride 1, no padding, Ho·Wo = {I(ho * wo)} ≥ 64 and O = {I(a.O)} ≤ 512: Wᵀ·dy on registers, depth O, no packing)";
        }
        if (depth > 256 || ((long)(h - 1) * (wo + (2 * (a.Kw - 1)))) + w < 48)
        {
            return null;
        }
        return $"dx = full convolution of dy with the flipped kernel (kernel Conv2DBackward, direct: stride 1 and O·kh·kw = {I((int)depth)} ≤ 256, no Wᵀ·dy GEMM, no col2im)";
    }

    private static string Reason(ConvArgs a) =>
        a.G != 1 && a.Dilated ? $"groups {I(a.G)} and dilation {Dilation(a)}" : a.G != 1 ? $"groups {I(a.G)}" : $"dilation {Dilation(a)}";

    /// <summary>"2", or "2×1" when the axes differ.</summary>
    private static string Dilation(ConvArgs a) => a.Dh == a.Dw ? I(a.Dh) : $"{I(a.Dh)}×{I(a.Dw)}";

    /// <summary>The backward's dW kernel when it is not the GEMM on im2col, by the rule of <c>Kernels.Conv2D</c>'s
    /// <c>BackwardGroup</c>: stride 1, no padding, not 1×1, and C·kh·kw &gt; 128 (<c>Conv2DTapGradient.Serves</c>,
    /// ADR 0060) or 3 ≤ C·kh·kw ≤ 128 (<c>Conv2D.DirectWeightGradient</c>, ADR 0056). Null otherwise.</summary>
    internal static string? DirectDw(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input)
    {
        ConvArgs a = Args(arguments);
        long rows = (long)input[0] * a.Kh * a.Kw;
        if (!a.FastPath || (a.Kh == 1 && a.Kw == 1) || a.Sh != 1 || a.Sw != 1 || a.Ph != 0 || a.Pw != 0 || rows < 3)
        {
            return null;
        }
        return rows > 128
            ? $" (kernel Conv2DTapGradient: stride 1, no padding, C·kh·kw = {I((int)rows)} > 128: one GEMM per sample group over x in place, no im2col)"
            : $" (kernel Conv2D, direct: stride 1, no padding, C·kh·kw = {I((int)rows)} ≤ 128, no im2col{(a.O >= 8 && a.Kw >= 3 ? "; 8 channels × 3 taps on 512-bit registers where the machine has them" : string.Empty)})";
    }

    /// <summary>The CPU core's names its dx and dW kernels and their rules; the CUDA core's (<see cref="NodeContext.Cuda"/>)
    /// the formulas only, its kernels being named on the lines after.</summary>
    public override string BackwardFormula(NodeContext c) =>
        (c.Dx is null ? string.Empty : !c.Cuda && DirectDx(c, Args(c.Args)) is string direct ? $"{direct};  " : "dx = Σ over the windows of Wᵀ·dy (col2im);  ") + "dW = Σ_B dy · im2col(x)ᵀ" + (c.Cuda ? string.Empty : DirectDw(c.Args, c.InputShape)) + (c.HasState("bias") ? ";  db[o] = Σ_B,i,j dy" : string.Empty) +
        (Args(c.Args).G != 1 ? " (each group on its own channels)" : string.Empty);

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        ConvArgs a = Args(c.Args);
        EquatableArray<int> x = c.InputShape;
        if (a.FastPath)
        {
            w.WriteLine($"private static readonly global::NetGen.Kernels.Conv2DGeometry {Geometry(c.Node)} = new global::NetGen.Kernels.Conv2DGeometry({I(x[0])}, {I(x[1])}, {I(x[2])}, {I(a.O)}, {I(a.Kh)}, {I(a.Kw)}, {I(a.Sh)}, {I(a.Sw)}, {I(a.Ph)}, {I(a.Pw)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, O, kh, kw, stride, padding");
        }
        else
        {
            w.WriteLine($"private static readonly global::NetGen.Kernels.Conv2DGeneralGeometry {Geometry(c.Node)} = new global::NetGen.Kernels.Conv2DGeneralGeometry({I(x[0])}, {I(x[1])}, {I(x[2])}, {I(a.O)}, {I(a.Kh)}, {I(a.Kw)}, {I(a.Sh)}, {I(a.Sw)}, {I(a.Ph)}, {I(a.Pw)}, {I(a.Dh)}, {I(a.Dw)}, {I(a.G)}); // [{c.Node.Label}] {c.Node.Name}: C, H, W, O, kh, kw, stride, padding, dilation, groups");
        }
    }

    private static string KernelClass(NodeContext c) => Args(c.Args).FastPath ? "Conv2D" : "Conv2DGeneral";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        string relu = c.Lowered.FusesNextReLU ? ", fuseReLU: true" : string.Empty;
        if (c.Lowered.FusedPool >= 0)
        {
            var pool = new NodeContext(c.Cpu, c.Plan.Nodes[c.Lowered.FusedPool]);
            w.WriteLine($"global::NetGen.Kernels.ConvPool.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, {pool.Y}, training ? {pool.Cache("argmax")} : default, B, in {Geometry(c.Node)}, in {Geometry(pool.Node)}{relu}, storeY: {StoreY(c)});");
            return;
        }

        w.WriteLine($"global::NetGen.Kernels.{KernelClass(c)}.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, in {Geometry(c.Node)}{relu});");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
        string call = $"global::NetGen.Kernels.{KernelClass(c)}.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx ?? "default"}, {c.G("weight")}, {c.G("bias")}, B, in {Geometry(c.Node)});";
        if (c.Lowered.BackwardPool < 0)
        {
            w.WriteLine(call);
            return;
        }

        // ADR 0059 / ADR 0064: the pool's backward (kernel ConvPoolBackward, or PoolConvBackward with dx) computed dW and db
        // (and dx) already, unless ∂L/∂y is kept.
        w.WriteLine(c.Dx is null
            ? $"// computed by [{c.Plan.Nodes[c.Lowered.BackwardPool].Label}]'s backward (fused, kernel ConvPoolBackward); here only while ActivationGradients are kept"
            : $"// computed by [{c.Plan.Nodes[c.Lowered.BackwardPool].Label}]'s backward (fused, kernel PoolConvBackward: dx, dW, db over the pool's sparse gradient); here only while ActivationGradients are kept");
        w.WriteLine("if (ActivationGradients is not null) " + call);
    }

    /// <summary>
    /// When a convolution with its pool in the epilogue writes its output y (ADR 0058): the pool is y's only reader and
    /// reads it in the epilogue, so y is written only while the forward records the activation views
    /// (<c>ActivationsRecorded</c>: <c>RecordActivations</c> on, or <c>RecordActivationGradients</c>, whose backward runs the
    /// ReLU's own backward, which reads y) and, in training, when a fused ReLU's backward is not folded into the pool's or
    /// the convolution is on the GEMM path (<c>ConvGemmPool</c>, ADR 0065: its training y stays what it was).
    /// </summary>
    internal static string StoreY(NodeContext c)
    {
        bool reluReadsY = c.Lowered.FusesNextReLU && c.Cpu.Nodes[c.Lowered.FusedPool].MasksReLU < 0;
        // ConvGemmPool (ADR 0065) keeps y in training: the backward of a GEMM-path convolution's pool may read it.
        bool gemm = !RunsDirect(c.Args, c.InputShape, c.OutputShape);
        return reluReadsY || gemm ? "training || ActivationsRecorded" : "ActivationsRecorded";
    }

    internal static string Geometry(NodePlan node) => "s_geometry" + EmitNames.Suffix(node);

    private static string I(long value) => LayerCatalog.I(value);
}
