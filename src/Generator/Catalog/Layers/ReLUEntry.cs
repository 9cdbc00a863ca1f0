namespace NetGen.Generator.Catalog.Layers;

/// <summary>ReLU: y = max(0, x); dx = dy ⊙ 1(y &gt; 0). On the CPU it is fused into the store of a Dense or Conv2D before it.</summary>
internal sealed partial class ReLUEntry : SimpleActivationEntry
{
    public override string Kind => "ReLU";

    public override bool IsReLUFamily => true;

    public override string TorchModule(NodeContext c) => "nn.ReLU()";

    public override string ForwardFormula(NodeContext c) => "y = max(0, x)";

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ 1(y > 0)";
}
