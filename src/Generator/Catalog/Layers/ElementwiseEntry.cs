using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Shared rules of element-wise layers: any input shape, output shape = input shape, one FLOP per value.</summary>
internal abstract class ElementwiseEntry : LayerEntry
{
    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) => input;

    public override string Title(NodeContext c) => $"{Kind} {Shapes.Text(c.OutputShape)}";
}

/// <summary>An activation without arguments whose backward reads its output y: ReLU, Sigmoid, Tanh
/// (<c>Activations.{Kind}Forward/Backward</c>).</summary>
internal abstract class SimpleActivationEntry : ElementwiseEntry
{
    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.{Kind}Forward<T>({c.X}, {c.Y});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.{Kind}Backward<T>({c.Dy}, {c.Y}, {c.Dx});");
}
