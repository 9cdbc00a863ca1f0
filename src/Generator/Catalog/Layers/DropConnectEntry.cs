using System;
using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>DropConnect (Wan et al. 2013): a Dense layer (nn.Linear layout) whose weights get a per-sample inverted
/// dropout mask in training; the plain Dense at inference, or (Inference = MomentMatching) Wan et al.'s Gaussian
/// moment matching fused with the [ReLU] that must follow (NG0230). A separate kind, not an option of [Dense], so that Dense's
/// GEMM lowering (pre-packed weights, fused ReLU, the narrow pair) never sees a per-sample weight matrix.</summary>
internal sealed partial class DropConnectEntry : LayerEntry
{
    public override string Kind => "DropConnect";

    public override string? ShapeArgument => "Units";

    public override bool WritesInputGradient => false;

    public override bool ReadsTrainingFlag => true;

    public override bool ReadsRandomStream => true;

    private static double P(EquatableArray<ArgumentValue> args) => args.Number("P", 0);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        int units = spec.Arguments.Int("Units", 0);
        double p = P(spec.Arguments);
        if (units <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("Units"), Kind, display, owner, "Units", units, "the number of outputs must be > 0"));
        }

        if (!(p >= 0 && p < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("P"), Kind, display, owner, "P", p,
                "p is the probability of dropping a weight and must be in [0, 1), e.g. 0.5"));
        }

        if (MomentMatching(spec.Arguments) && Samples(spec.Arguments) < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropConnectSamplesOutOfRange, spec.LocationOf("Samples"), display, owner, Samples(spec.Arguments)));
        }

        WeightInit.Validate(spec, display, owner, diagnostics);
    }

    /// <summary>Whether Predict uses Wan et al.'s moment matching (Inference = DropConnectInference.MomentMatching).</summary>
    public static bool MomentMatching(EquatableArray<ArgumentValue> args) => args.Int("Inference", 0) == 1;

    private static int Samples(EquatableArray<ArgumentValue> args) => args.Int("Samples", 1000);

    /// <summary>NG0230: a moment-matching DropConnect must be followed, in source order, by [ReLU], whose function the
    /// inference fuses into its average (the ReLU then sees values ≥ 0 and leaves them unchanged).</summary>
    public static void CheckFollowingReLU(IReadOnlyList<LayerSpec> layers, string owner, List<DiagnosticInfo> diagnostics)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i].Kind == "DropConnect" && MomentMatching(layers[i].Arguments) && (i + 1 >= layers.Count || layers[i + 1].Kind != "ReLU"))
            {
                string next = i + 1 >= layers.Count ? "nothing" : "[" + layers[i + 1].Kind + "]";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropConnectMomentMatchingNeedsReLU, layers[i].LocationOf("Inference"), layers[i].Display(i), owner, next));
            }
        }
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        int units = spec.Arguments.Int("Units", 0);
        if (units <= 0)
        {
            return null; // NG0211 was reported by the Parser
        }

        if (input.Count != 1)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input) + " (C×H×W)", "a vector of features",
                $"Insert [Flatten] before it to see the {Shapes.Cross(input)} values as {LayerCatalog.I(NetworkPlanner.ProductLong(input))} features."));
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
            InitRule rule = (InitKind)spec.Arguments.Int("Init", 0) == InitKind.PyTorchDefault
                ? new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(fanIn), $"PyTorch default: U(±1/√n_in) = U(±1/√{LayerCatalog.I(fanIn)})")
                : InitRule.Constant(spec.Arguments.Number("BiasInit", 0));
            yield return StateDecl.Parameter("bias", new[] { units }, weightDecay: false, rule);
        }
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) =>
        (2L * input[0] * output[0]) + (spec.Arguments.Bool("Bias", true) ? output[0] : 0);

    public override string TorchModule(NodeContext c) =>
        $"nn.Linear({c.In}, {c.Out}{(c.HasState("bias") ? string.Empty : ", bias=False")}) with per-sample weight masks";

    public override string Title(NodeContext c) => $"DropConnect {c.In} → {c.Out}, p = {LayerCatalog.F(P(c.Args))}";

    public override string ForwardFormula(NodeContext c) =>
        $"training: M_b[o,i] = 1(u ≥ {LayerCatalog.F(P(c.Args))}) / (1 − {LayerCatalog.F(P(c.Args))}), u ~ U[0,1) keyed by (seed, layer {LayerCatalog.I(c.Node.Ordinal)}, step), index (b·{c.Out} + o)·{c.In} + i;  " +
        $"y_b = (W ⊙ M_b)·x_b" + (c.HasState("bias") ? " + b" : string.Empty) + (MomentMatching(c.Args)
            ? $".   inference (moment matching, with the next ReLU): y = (1/{LayerCatalog.I(Samples(c.Args))})·Σ_z max(0, μ + σ·n_z), μ = W·x" + (c.HasState("bias") ? " + b" : string.Empty) + $", σ² = {LayerCatalog.F(P(c.Args))}/(1 − {LayerCatalog.F(P(c.Args))})·(W ⊙ W)·(x ⊙ x)"
            : $".   inference: y[B,{c.Out}] = x[B,{c.In}] · W[{c.Out},{c.In}]ᵀ" + (c.HasState("bias") ? " + b" : string.Empty));

    public override string BackwardFormula(NodeContext c) =>
        (c.Dx is null ? string.Empty : "dx_b = (W ⊙ M_b)ᵀ·dy_b;  ") + "dW = Σ_b (dy_b·x_bᵀ) ⊙ M_b" + (c.HasState("bias") ? ";  db = Σ_B dy" : string.Empty) + " (M_b recomputed from the stream, never stored)";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"{KeyField(c.Node)} = {c.DropoutKey}; // the backward recomputes the masks from it");
        w.WriteLine($"global::NetGen.Kernels.DropConnect.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, {c.In}, {c.Out}, {LayerCatalog.F(P(c.Args))}, {KeyField(c.Node)});");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        if (MomentMatching(c.Args))
        {
            w.WriteLine($"// Wan et al.'s moment matching fused with the following ReLU: μ = W·x + b, σ² = p/(1 − p)·(W ⊙ W)·(x ⊙ x),");
            w.WriteLine($"// y = (1/{LayerCatalog.I(Samples(c.Args))})·Σ_z max(0, μ + σ·n_z), n_z = Normal(Key(seed, DropoutStream, {LayerCatalog.I(c.Node.Ordinal)}, 2⁶⁴ − 1), o·Z + z)");
            w.WriteLine($"global::NetGen.Kernels.DropConnect.MomentMatchingReLU<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, {c.In}, {c.Out}, {LayerCatalog.F(P(c.Args))}, {LayerCatalog.I(Samples(c.Args))}, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(c.Node.Ordinal)}, ulong.MaxValue));");
        }
        else
        {
            w.WriteLine($"global::NetGen.Kernels.Dense.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, B, {c.In}, {c.Out});");
        }

        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.DropConnect.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx ?? "default"}, {c.G("weight")}, {c.G("bias")}, B, {c.In}, {c.Out}, {LayerCatalog.F(P(c.Args))}, {KeyField(c.Node)});");

    /// <summary>The Core field holding the key of the last training forward's masks, which the backward reads.</summary>
    private static string KeyField(NodePlan node) => "_maskKey" + EmitNames.Suffix(node);

    public override void EmitFields(SourceWriter w, NodeContext c) =>
        w.WriteLine($"private ulong {KeyField(c.Node)}; // [{c.Node.Label}] {c.Node.Name}: key of the weight masks of the last training forward (masks are recomputed, never stored)");
}
