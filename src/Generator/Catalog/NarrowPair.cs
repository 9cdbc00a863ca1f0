using NetGen.Generator.Emitter;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// The fused narrow pair [0] Dense (≤ 4 inputs) → [1] ReLU → [2] Dense (≤ 4 outputs): one kernel call per direction
/// (<c>DenseReLUDense</c>), written at [0] in the forward pass and at [2] in the backward pass; the other two layers
/// say where their work went. The hidden activations are never stored: the backward pass recomputes them.
/// </summary>
internal static class NarrowPair
{
    public static void EmitForward(SourceWriter w, Plan plan, int index)
    {
        LayerPlan first = plan.Layers[0], second = plan.Layers[2];
        string i = LayerCatalog.I(first.InputSize), h = LayerCatalog.I(first.OutputSize), o = LayerCatalog.I(second.OutputSize);
        switch (index)
        {
            case 0:
                w.WriteLine($"// y[B,{o}] = max(0, x[B,{i}] · W0[{h},{i}]ᵀ{Bias(first, "b0", h)}) · W2[{o},{h}]ᵀ{Bias(second, "b2", o)}: layers [0], [1] and [2] in one pass");
                w.WriteLine($"// narrow pair ({i} inputs, {o} outputs): the hidden [B,{h}] stays in registers and is never stored; backward recomputes it (rule: docs/performance.md)");
                w.WriteLine($"global::NetGen.Kernels.DenseReLUDense.Forward<T>(x, {Param(plan, first.WeightParameter)}, {Param(plan, first.BiasParameter)}, {Param(plan, second.WeightParameter)}, {Param(plan, second.BiasParameter)}, A({EmitNames.OutputOffset(second)}, B * {o}), B, {i}, {h}, {o}, _pair);");
                break;
            case 1:
                w.WriteLine("// y = max(0, x): inside [0]'s fused pass, in registers only");
                break;
            default:
                w.WriteLine($"// y[B,{o}] = x[B,{h}] · W[{o},{h}]ᵀ{Bias(second, "b", o)}: inside [0]'s fused pass, which stores it here");
                break;
        }
    }

    public static void EmitBackward(SourceWriter w, Plan plan, int index, string dy)
    {
        LayerPlan first = plan.Layers[0], second = plan.Layers[2];
        string i = LayerCatalog.I(first.InputSize), h = LayerCatalog.I(first.OutputSize), o = LayerCatalog.I(second.OutputSize);
        switch (index)
        {
            case 2:
                w.WriteLine($"// dW2[{o},{h}] = dyᵀ · h{(second.BiasParameter >= 0 ? $";  db2[{o}] = Σ_B dy" : string.Empty)};  then [1] and [0] in the same pass:");
                w.WriteLine($"// h = max(0, z), z = x · W0ᵀ{Bias(first, "b0", null)} recomputed;  dh[B,{h}] = (dy · W2) ⊙ 1(z > 0);  dW0[{h},{i}] = dhᵀ · x{(first.BiasParameter >= 0 ? $";  db0[{h}] = Σ_B dh" : string.Empty)}");
                w.WriteLine($"global::NetGen.Kernels.DenseReLUDense.Backward<T>({dy}, x, {Param(plan, first.WeightParameter)}, {Param(plan, first.BiasParameter)}, {Param(plan, second.WeightParameter)}, {Grad(plan, first.WeightParameter)}, {Grad(plan, first.BiasParameter)}, {Grad(plan, second.WeightParameter)}, {Grad(plan, second.BiasParameter)}, B, {i}, {h}, {o}, _pair, accumulate: false);");
                break;
            case 1:
                w.WriteLine("// dx = dy ⊙ 1(y > 0): inside [2]'s fused backward");
                break;
            default:
                w.WriteLine($"// dW[{h},{i}] = dyᵀ · x{(first.BiasParameter >= 0 ? $";  db[{h}] = Σ_B dy" : string.Empty)}: inside [2]'s fused backward");
                break;
        }
    }

    private static string Bias(LayerPlan layer, string name, string? size) =>
        layer.BiasParameter < 0 ? string.Empty : size is null ? " + " + name : $" + {name}[{size}]";

    private static string Param(Plan plan, int index) =>
        index < 0 ? "default" : $"P({EmitNames.ParameterOffset(plan.Parameters[index])}, {LayerCatalog.I(plan.Parameters[index].Length)})";

    private static string Grad(Plan plan, int index) =>
        index < 0 ? "default" : $"G({EmitNames.ParameterOffset(plan.Parameters[index])}, {LayerCatalog.I(plan.Parameters[index].Length)})";
}
