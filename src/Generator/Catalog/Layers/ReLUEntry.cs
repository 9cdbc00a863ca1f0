using NetGen.Generator.Emitter;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>ReLU: y = max(0, x); dx = dy ⊙ 1(y &gt; 0). On the CPU it is fused into the store of a Dense or Conv2D before it.</summary>
internal sealed partial class ReLUEntry : SimpleActivationEntry
{
    public override string Kind => "ReLU";

    public override bool IsReLUFamily => true;

    public override string TorchModule(NodeContext c) => "nn.ReLU()";

    public override string ForwardFormula(NodeContext c) => "y = max(0, x)";

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ 1(y > 0)";

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
        if (c.Cpu.Nodes[c.Node.Ordinal].MaskedByPool < 0)
        {
            base.EmitBackward(w, c);
            return;
        }

        w.WriteLine($"// applied by [{c.Plan.Nodes[c.Cpu.Nodes[c.Node.Ordinal].MaskedByPool].Label}]'s backward (kernel MaxPool2DReLU), ∂L/∂x in ∂L/∂y's slot; here, in place, only while ActivationGradients are kept");
        w.WriteLine($"if (ActivationGradients is not null) global::NetGen.Kernels.Activations.ReLUBackward<T>({c.Dy}, {c.Y}, {c.Dx});");
    }
}
