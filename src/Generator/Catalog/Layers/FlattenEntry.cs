using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Flatten (nn.Flatten): [C, H, W] seen as C·H·W features in C-major order. Row-major NCHW storage already is that
/// order, so the output is a view of the input (no copy) and the gradient passes through unchanged.</summary>
internal sealed partial class FlattenEntry : LayerEntry
{
    public override string Kind => "Flatten";

    public override bool IsView => true;

    public override bool TransparentForInit => true;

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) =>
        new[] { NetworkPlanner.Product(input) }.ToEquatableArray();

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => 0;

    public override string TorchModule(NodeContext c) => "nn.Flatten()";

    public override string Title(NodeContext c) => $"Flatten {Shapes.Cross(c.InputShape)} → {c.Out}";

    public override string ForwardFormula(NodeContext c) => $"y[B,{c.Out}] = x[B,{Shapes.Cross(c.InputShape).Replace("×", ",")}] in C-major order: the same memory, no code";

    public override string BackwardFormula(NodeContext c) => "dx = dy: the same memory, no code";

    public override bool HasBackward(NodeContext c) => false;

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
    }

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
    }
}
