namespace NetGen.Generator.Catalog.Layers;

/// <summary>Sigmoid: y = 1 / (1 + e^(−x)); dx = dy ⊙ y ⊙ (1 − y).</summary>
internal sealed partial class SigmoidEntry : SimpleActivationEntry
{
    public override string Kind => "Sigmoid";

    public override string TorchModule(NodeContext c) => "nn.Sigmoid()";

    public override string ForwardFormula(NodeContext c) => "y = 1 / (1 + e^(−x))";

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ y ⊙ (1 − y)";
}
