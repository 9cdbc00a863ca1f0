using NetGen.Generator.Emitter;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>Identity: y = x; dx = dy (nn.Identity).</summary>
internal sealed partial class IdentityEntry : ElementwiseEntry
{
    public override string Kind => "Identity";

    public override bool TransparentForInit => true;

    public override string TorchModule(NodeContext c) => "nn.Identity()";

    public override string ForwardFormula(NodeContext c) => "y = x";

    public override string BackwardFormula(NodeContext c) => "dx = dy";

    public override void EmitForward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.IdentityForward<T>({c.X}, {c.Y});");

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.IdentityBackward<T>({c.Dy}, {c.Dx});");
}
