using NetGen.Generator.Catalog;
using NetGen.Generator.Lowering;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>
/// The fused narrow pair [0] Dense (≤ 4 inputs) → [1] ReLU → [2] Dense (≤ 4 outputs), a CPU lowering: one kernel call per
/// direction (<c>DenseReLUDense</c>), written at [0] in the forward pass and at [2] in the backward pass; the other two
/// nodes say where their work went. The hidden activations are never stored: the backward pass recomputes them.
/// </summary>
internal static class NarrowPair
{
    public static void EmitForward(SourceWriter w, CpuPlan cpu, PairRole role)
    {
        (NodeContext first, NodeContext second) = Nodes(cpu);
        string i = first.In, h = first.Out, o = second.Out;
        switch (role)
        {
            case PairRole.First:
                w.WriteLine($"// y[B,{o}] = max(0, x[B,{i}] · W0[{h},{i}]ᵀ{Bias(first, "b0", h)}) · W2[{o},{h}]ᵀ{Bias(second, "b2", o)}: layers [0], [1] and [2] in one pass");
                w.WriteLine($"// narrow pair ({i} inputs, {o} outputs): the hidden [B,{h}] stays in registers and is never stored; backward recomputes it (rule: docs/performance.md)");
                w.WriteLine($"global::NetGen.Kernels.DenseReLUDense.Forward<T>(x, {first.P("weight")}, {first.P("bias")}, {second.P("weight")}, {second.P("bias")}, {second.Y}, B, {i}, {h}, {o}, _pair);");
                break;
            case PairRole.Activation:
                w.WriteLine("// y = max(0, x): inside [0]'s fused pass, in registers only");
                break;
            default:
                w.WriteLine($"// y[B,{o}] = x[B,{h}] · W[{o},{h}]ᵀ{Bias(second, "b", o)}: inside [0]'s fused pass, which stores it here");
                break;
        }
    }

    public static void EmitBackward(SourceWriter w, CpuPlan cpu, PairRole role, string dy)
    {
        (NodeContext first, NodeContext second) = Nodes(cpu);
        string i = first.In, h = first.Out, o = second.Out;
        switch (role)
        {
            case PairRole.Second:
                w.WriteLine($"// dW2[{o},{h}] = dyᵀ · h{(second.HasState("bias") ? $";  db2[{o}] = Σ_B dy" : string.Empty)};  then [1] and [0] in the same pass:");
                w.WriteLine($"// h = max(0, z), z = x · W0ᵀ{Bias(first, "b0", null)} recomputed;  dh[B,{h}] = (dy · W2) ⊙ 1(z > 0);  dW0[{h},{i}] = dhᵀ · x{(first.HasState("bias") ? $";  db0[{h}] = Σ_B dh" : string.Empty)}");
                w.WriteLine($"global::NetGen.Kernels.DenseReLUDense.Backward<T>({dy}, x, {first.P("weight")}, {first.P("bias")}, {second.P("weight")}, {first.G("weight")}, {first.G("bias")}, {second.G("weight")}, {second.G("bias")}, B, {i}, {h}, {o}, _pair, accumulate: false);");
                break;
            case PairRole.Activation:
                w.WriteLine("// dx = dy ⊙ 1(y > 0): inside [2]'s fused backward");
                break;
            default:
                w.WriteLine($"// dW[{h},{i}] = dyᵀ · x{(first.HasState("bias") ? $";  db[{h}] = Σ_B dy" : string.Empty)}: inside [2]'s fused backward");
                break;
        }
    }

    private static (NodeContext First, NodeContext Second) Nodes(CpuPlan cpu) =>
        (new NodeContext(cpu, cpu.Plan.Nodes[0]), new NodeContext(cpu, cpu.Plan.Nodes[2]));

    private static string Bias(NodeContext layer, string name, string? size) =>
        !layer.HasState("bias") ? string.Empty : size is null ? " + " + name : $" + {name}[{size}]";
}
