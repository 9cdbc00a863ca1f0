using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Fully connected: y[B,O] = x[B,I] · W[O,I]ᵀ + b[O] (nn.Linear layout). Takes a vector: a C×H×W tensor needs
/// [Flatten] first (NG0106).</summary>
internal sealed partial class DenseEntry : LayerEntry
{
    public override string Kind => "Dense";

    public override string? ShapeArgument => "Units";

    public override bool WritesInputGradient => false;

    public override bool FusesReLUEpilogue => true;

    public override bool ChecksGradientsAsWritten => true;

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        int units = spec.Arguments.Int("Units", 0);
        if (units <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnitsNotPositive, spec.LocationOf("Units"), display, owner, units));
        }
        else
        {
            WeightInit.Validate(spec, display, owner, diagnostics);
        }
        RegularizationRule.Validate(spec, display, owner, diagnostics);
        RegularizationRule.ValidateNormBound(spec, display, owner, diagnostics);
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        int units = spec.Arguments.Int("Units", 0);
        if (units <= 0)
        {
            return null; // NG0201 was reported by the Parser
        }

        if (input.Count != 1)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, "Dense", shapes.Display, shapes.Owner, Shapes.Text(input) + " (C×H×W)", "a vector of features",
                $"Insert [Flatten] before it to see the {Shapes.Cross(input)} values as {LayerCatalog.I(NetworkPlanner.ProductLong(input))} features, as nn.Flatten does."));
            return null;
        }

        return new[] { units }.ToEquatableArray();
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        int units = output[0], fanIn = input[0];
        yield return StateDecl.Parameter("weight", new[] { units, fanIn }, weightDecay: true, init: null);
        if (spec.Arguments.Bool("Bias", true))
        {
            double biasInit = spec.Arguments.Number("BiasInit", 0);
            InitRule rule = (InitKind)spec.Arguments.Int("Init", 0) == InitKind.PyTorchDefault
                ? new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(fanIn), $"PyTorch default: U(±1/√n_in) = U(±1/√{LayerCatalog.I(fanIn)})")
                : InitRule.Constant(biasInit);
            yield return StateDecl.Parameter("bias", new[] { units }, weightDecay: false, rule);
        }

        if (RegularizationRule.NormBound(spec).Bound > 0)
        {
            // The Lagrange multiplier α ≥ 0 of ½·‖W‖²_F ≤ k, trained by dual ascent in Update; saved with the buffers.
            yield return StateDecl.Buffer(RegularizationRule.MultiplierLocal, new[] { 1 }, 0);
        }
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) =>
        (2L * input[0] * output[0]) + (spec.Arguments.Bool("Bias", true) ? output[0] : 0);

    public override string TorchModule(NodeContext c) =>
        $"nn.Linear({c.In}, {c.Out}{(c.HasState("bias") ? string.Empty : ", bias=False")})";

    public override string Title(NodeContext c) => $"Dense {c.In} → {c.Out}";

    public override string ForwardFormula(NodeContext c) =>
        $"y[B,{c.Out}] = x[B,{c.In}] · W[{c.Out},{c.In}]ᵀ" + (c.HasState("bias") ? $" + b[{c.Out}]" : string.Empty);

    public override string BackwardFormula(NodeContext c) =>
        (c.Dx is null ? string.Empty : $"dx[B,{c.In}] = dy[B,{c.Out}] · W[{c.Out},{c.In}];  ") +
        $"dW[{c.Out},{c.In}] = dyᵀ · x" + (c.HasState("bias") ? $";  db[{c.Out}] = Σ_B dy" : string.Empty);

    public override void EmitFields(SourceWriter w, NodeContext c)
    {
        if (c.Lowered.PackedWeights)
        {
            w.WriteLine($"private readonly global::NetGen.Kernels.PackedWeights<T> {PackedField(c.Node)} = new global::NetGen.Kernels.PackedWeights<T>({c.In}, {c.Out}); // [{c.Node.Label}] {c.Node.Name}: Wᵀ in GEMM panels, kept between calls");
        }
    }

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        string mode = Gemm(w, c.Lowered.Forward!, "x·Wᵀ");
        string relu = c.Lowered.FusesNextReLU ? ", fuseReLU: true" : string.Empty;
        string packed = c.Lowered.PackedWeights ? ", packed: " + PackedField(c.Node) : string.Empty;
        if (packed.Length > 0)
        {
            w.WriteLine($"// Wᵀ pre-packed in {PackedField(c.Node)}: packed by the first forward after the weights change, then reused");
            if (c.Plan.Tensors[c.Node.Output].Length <= 16 && !c.Lowered.FusesNextReLU)
            {
                // The rule of Kernels.DenseNarrow.Serves (ADR 0053).
                w.WriteLine($"// {c.Out} outputs ≤ 16: from 6 rows with the panels current, DenseNarrow (one register of columns × 12 rows, rows over the cores; the GEMM's bits, AVX-512; rule: docs/performance.md)");
            }
        }

        string row = string.Empty;
        if (c.Lowered.Row is { } gemv && c.Lowered.RowPairOf < 0)
        {
            string work = ((long)gemv.Outputs * gemv.Inputs).ToString("N0", CultureInfo.InvariantCulture);
            string how = gemv.Mode == GemvMode.Parallel ? "8 rows of W at a time, the rows split over the cores" : "8 rows of W at a time, on this thread";
            if (packed.Length > 0 && CpuLowering.UsesRowPanels(gemv.Outputs, gemv.Inputs))
            {
                // ADR 0054: the same arithmetic over W reordered so each 8-row block is one sequential stream.
                how += $"; W read from row panels kept in {PackedField(c.Node)}, packed by the second one-row call after the weights change";
            }
            w.WriteLine($"// batch 1: GEMV W·x: [{LayerCatalog.I(gemv.Outputs)}×{LayerCatalog.I(gemv.Inputs)}]·[{LayerCatalog.I(gemv.Inputs)}], {work} multiply-adds → {gemv.Mode} ({how}; rule: docs/performance.md)");
            row = ", rowMode: global::NetGen.Kernels.GemvMode." + gemv.Mode;
        }

        string call = $"global::NetGen.Kernels.Dense.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, {c.In}, {c.Out}, {mode}{relu}{packed}{row});";
        if (c.Lowered.RowPairNext >= 0)
        {
            // ADR 0061: at batch 1 this layer and the next Dense in one parallel region.
            var next = new NodeContext(c.Cpu, c.Plan.Nodes[c.Lowered.RowPairNext]);
            string nextPacked = next.Lowered.PackedWeights ? PackedField(next.Node) : "null";
            w.WriteLine($"// batch 1: with [{next.Node.Label}] {next.Node.Name} in one parallel region (Gemv.ForwardPair): each core its half of this layer's rows, then the same half of [{next.Node.Label}]'s depth; the caller adds the two halves' sums of [{next.Node.Label}] after one join{(CpuLowering.PairColumns(next.Plan.Tensors[next.Node.Output].Length) ? $"; [{next.Node.Label}]'s halves over its weight's columns, one FMA chain per output ({next.Out} outputs ≥ 64)" : $"; [{next.Node.Label}]'s halves as row dot products ({next.Out} outputs < 64)")} (rule: docs/performance.md)");
            w.WriteLine("if (B == 1)");
            w.OpenBrace();
            w.WriteLine($"global::NetGen.Kernels.Gemv.ForwardPair<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, {next.P("weight")}, {next.P("bias")}, {next.Y}, {c.In}, {c.Out}, {next.Out}, relu: true, nextReLU: {(next.Lowered.FusesNextReLU ? "true" : "false")}, {(c.Lowered.PackedWeights ? PackedField(c.Node) : "null")}, {nextPacked});");
            w.CloseBrace();
            w.WriteLine("else");
            w.OpenBrace();
            w.WriteLine(call);
            w.CloseBrace();
        }
        else if (c.Lowered.RowPairOf >= 0)
        {
            w.WriteLine($"// batch 1: computed with [{c.Plan.Nodes[c.Lowered.RowPairOf].Label}] {c.Plan.Nodes[c.Lowered.RowPairOf].Name} (Gemv.ForwardPair above)");
            w.WriteLine("if (B != 1)");
            w.OpenBrace();
            w.WriteLine(call);
            w.CloseBrace();
        }
        else
        {
            w.WriteLine(call);
        }
    }

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
        // No dx (first layer): no dy·W product, so only dwMode is passed.
        string dxMode = c.Dx is null ? string.Empty : "dxMode: " + Gemm(w, c.Lowered.BackwardData!, "dy·W") + ", ";
        string dwMode = Gemm(w, c.Lowered.BackwardWeights!, "dyᵀ·x");
        w.WriteLine($"global::NetGen.Kernels.Dense.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx ?? "default"}, {c.G("weight")}, {c.G("bias")}, B, {c.In}, {c.Out}, {dxMode}dwMode: {dwMode}, accumulate: false, finite: _finite);");
    }

    /// <summary>The Core field holding the layer's pre-packed Wᵀ.</summary>
    public static string PackedField(NodePlan node) => "_packedW" + EmitNames.Suffix(node);

    /// <summary>Writes the lowering's GEMM choice as a comment and returns the kernel's enum name.</summary>
    private static string Gemm(SourceWriter w, GemmChoice g, string what)
    {
        string work = ((long)g.M * g.N * g.K).ToString("N0", CultureInfo.InvariantCulture);
        w.WriteLine($"// GEMM {what}: [{LayerCatalog.I(g.M)}×{LayerCatalog.I(g.K)}]·[{LayerCatalog.I(g.K)}×{LayerCatalog.I(g.N)}], {work} multiply-adds at the planned batch → {g.Mode} (rule: docs/performance.md)");
        return "global::NetGen.Kernels.GemmMode." + g.Mode;
    }
}
