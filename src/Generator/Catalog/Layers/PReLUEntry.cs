using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>PReLU with one learnable slope a (nn.PReLU(): key "N.weight", shape [1], init 0.25).</summary>
internal sealed class PReLUEntry : ElementwiseEntry
{
    public override string Kind => "PReLU";

    public override bool IsReLUFamily => true;

    private static double Init(EquatableArray<ArgumentValue> args) => args.Number("Init", 0.25);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double init = Init(spec.Arguments);
        if (double.IsNaN(init) || double.IsInfinity(init))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, spec.LocationOf("Init"), "PReLU", display, owner, "Init", init, "the initial slope must be finite, e.g. 0.25"));
        }
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return StateDecl.Parameter("weight", new[] { 1 }, weightDecay: false, InitRule.Constant(Init(spec.Arguments)));
    }

    public override string TorchModule(NodeContext c) => Init(c.Args) == 0.25 ? "nn.PReLU()" : $"nn.PReLU(init={LayerCatalog.F(Init(c.Args))})";

    public override string ForwardFormula(NodeContext c) => "y = x > 0 ? x : a·x   (a learnable, shape [1])";

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ (x > 0 ? 1 : a);  da = Σ dy ⊙ x ⊙ 1(x ≤ 0)";

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.PReLUForward<T>({c.X}, {c.Y}, Params[{EmitNames.StateConst(c.State("weight"))}]);");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"Grads[{EmitNames.StateConst(c.State("weight"))}] = global::NetGen.Kernels.Activations.PReLUBackward<T>({c.Dy}, {c.X}, {c.Dx}, Params[{EmitNames.StateConst(c.State("weight"))}]);");
}
