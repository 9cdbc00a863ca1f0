namespace NetGen.Generator.Catalog.Layers;

/// <summary>Tanh: y = tanh(x); dx = dy ⊙ (1 − y²).</summary>
internal sealed partial class TanhEntry : SimpleActivationEntry
{
    public override string Kind => "Tanh";

    public override string TorchModule(NodeContext c) => "nn.Tanh()";

    public override string ForwardFormula(NodeContext c) => "y = tanh(x)";

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ (1 − y²)";
}
