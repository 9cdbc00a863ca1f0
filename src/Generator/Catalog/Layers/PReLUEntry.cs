using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>PReLU with learnable slopes, nn.PReLU(num_parameters, init): key "N.weight", shape [NumParameters], init
/// 0.25. One slope shared by every value (NumParameters 1), or one per channel: the first dimension of a sample (C of
/// C×H×W, the feature of a vector), which is PyTorch's dimension 1 of the batch.</summary>
internal sealed partial class PReLUEntry : ElementwiseEntry
{
    public override string Kind => "PReLU";

    public override bool IsReLUFamily => true;

    private static double Init(EquatableArray<ArgumentValue> args) => args.Number("Init", 0.25);

    private static int Count(EquatableArray<ArgumentValue> args) => args.Int("NumParameters", 1);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double init = Init(spec.Arguments);
        if (double.IsNaN(init) || double.IsInfinity(init))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, spec.LocationOf("Init"), "PReLU", display, owner, "Init", init, "the initial slope must be finite, e.g. 0.25"));
        }

        int count = Count(spec.Arguments);
        if (count < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, spec.LocationOf("NumParameters"), "PReLU", display, owner, "NumParameters", count, "the number of slopes must be 1 (shared) or the number of channels"));
        }
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        int count = Count(spec.Arguments);
        if (count < 1)
        {
            return null; // NG0209 was reported by the Parser
        }

        if (count != 1 && (input.Count == 0 || input[0] != count))
        {
            string what = input.Count == 3 ? "channel count" : "feature count";
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.PReLUParametersDoNotMatch, spec.LocationOf("NumParameters"), shapes.Display, shapes.Owner, count, Shapes.Text(input), what, input.Count == 0 ? 1 : input[0]));
            return null;
        }

        return input;
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return StateDecl.Parameter("weight", new[] { Count(spec.Arguments) }, weightDecay: false, InitRule.Constant(Init(spec.Arguments)));
    }

    public override string TorchModule(NodeContext c)
    {
        var args = new List<string>();
        if (Count(c.Args) != 1)
        {
            args.Add($"num_parameters={LayerCatalog.I(Count(c.Args))}");
        }

        if (Init(c.Args) != 0.25)
        {
            args.Add($"init={LayerCatalog.F(Init(c.Args))}");
        }

        return $"nn.PReLU({string.Join(", ", args)})";
    }

    public override string ForwardFormula(NodeContext c) => Count(c.Args) == 1
        ? "y = x > 0 ? x : a·x   (a learnable, shape [1])"
        : $"y[c] = x[c] > 0 ? x[c] : a[c]·x[c]   (a learnable, shape [{LayerCatalog.I(Count(c.Args))}], one slope per {(c.InputShape.Count == 3 ? "channel" : "feature")})";

    public override string BackwardFormula(NodeContext c) => Count(c.Args) == 1
        ? "dx = dy ⊙ (x > 0 ? 1 : a);  da = Σ dy ⊙ x ⊙ 1(x ≤ 0)"
        : "dx = dy ⊙ (x > 0 ? 1 : a[c]);  da[c] = Σ_B,i dy ⊙ x ⊙ 1(x ≤ 0) over channel c";

    /// <summary>Values per channel and sample: H·W for an image, 1 for a vector.</summary>
    private static int Inner(NodeContext c) => c.InputShape.Count <= 1 ? 1 : (int)(NetworkPlanner.ProductLong(c.InputShape) / c.InputShape[0]);

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        if (Count(c.Args) == 1)
        {
            w.WriteLine($"global::NetGen.Kernels.Activations.PReLUForward<T>({c.X}, {c.Y}, Params[{EmitNames.StateConst(c.State("weight"))}]);");
            return;
        }

        w.WriteLine($"global::NetGen.Kernels.ChannelPReLU.Forward<T>({c.X}, {c.P("weight")}, {c.Y}, {LayerCatalog.I(Count(c.Args))}, {LayerCatalog.I(Inner(c))});");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
        if (Count(c.Args) == 1)
        {
            w.WriteLine($"Grads[{EmitNames.StateConst(c.State("weight"))}] = global::NetGen.Kernels.Activations.PReLUBackward<T>({c.Dy}, {c.X}, {c.Dx}, Params[{EmitNames.StateConst(c.State("weight"))}]);");
            return;
        }

        w.WriteLine($"global::NetGen.Kernels.ChannelPReLU.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Dx}, {c.G("weight")}, {LayerCatalog.I(Count(c.Args))}, {LayerCatalog.I(Inner(c))});");
    }
}
