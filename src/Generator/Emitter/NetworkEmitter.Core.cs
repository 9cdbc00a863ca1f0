using System.Collections.Generic;
using NetGen.Generator.Catalog;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// Core&lt;T&gt;: arenas, Forward, Loss, Backward (the same layers in reverse order), Update. Each layer block opens
    /// with the same header in forward and backward, followed by its formula and shapes.
    /// </summary>
    private static void EmitCore(SourceWriter w, Plan plan)
    {
        w.WriteLine("/// <summary>The network's arithmetic, written once and instantiated for float (training, inference) and double (gradient check).</summary>");
        w.WriteLine("private sealed class Core<T> where T : unmanaged, global::System.Numerics.IBinaryFloatingPointIeee754<T>");
        w.OpenBrace();
        w.WriteLine("public readonly T[] Params = new T[ParameterCount];");
        w.WriteLine("public readonly T[] Grads = new T[ParameterCount];");
        w.WriteLine("private readonly T[] _acts = new T[ActivationArenaSize];");
        w.WriteLine("private readonly T[] _d0 = new T[GradientBufferSize];");
        w.WriteLine("private readonly T[] _d1 = new T[GradientBufferSize];");
        foreach (string state in OptimizerCatalog.State(plan.Training.Optimizer))
        {
            w.WriteLine($"private readonly T[] {state} = new T[ParameterCount];");
        }

        foreach (LayerPlan layer in plan.Layers)
        {
            if (DenseEntry.UsesPackedWeights(plan, layer))
            {
                w.WriteLine($"private readonly global::NetGen.Kernels.PackedWeights<T> {DenseEntry.PackedField(layer)} = new global::NetGen.Kernels.PackedWeights<T>({I(layer.InputSize)}, {I(layer.OutputSize)}); // [{I(layer.Index)}] {layer.Name}: Wᵀ in GEMM panels, kept between calls");
            }
        }

        if (NetworkPlanner.IsNarrowPair(plan.Layers))
        {
            w.WriteLine($"private readonly T[] _pair = new T[global::NetGen.Kernels.DenseReLUDense.ScratchLength({I(plan.Layers[0].InputSize)}, {I(plan.Layers[0].OutputSize)}, {I(plan.Layers[2].OutputSize)})]; // padded weights and gradient sums of the fused [0]–[2]");
        }

        w.WriteLine();
        w.WriteLine("private static T C(double value) => T.CreateTruncating(value);");
        w.WriteLine("private global::System.Span<T> P(int offset, int length) => new global::System.Span<T>(Params, offset, length);");
        w.WriteLine("private global::System.Span<T> G(int offset, int length) => new global::System.Span<T>(Grads, offset, length);");
        w.WriteLine("private global::System.Span<T> A(int offset, int length) => new global::System.Span<T>(_acts, offset, length);");
        w.WriteLine("private global::System.Span<T> D0(int length) => new global::System.Span<T>(_d0, 0, length);");
        w.WriteLine("private global::System.Span<T> D1(int length) => new global::System.Span<T>(_d1, 0, length);");
        w.WriteLine();
        EmitForward(w, plan);
        w.WriteLine();
        EmitLoss(w, plan);
        w.WriteLine();
        EmitBackward(w, plan);
        w.WriteLine();
        EmitUpdate(w, plan);
        w.WriteLine();
        EmitWeightsChanged(w, plan);
        w.CloseBrace();
    }

    private static void EmitWeightsChanged(SourceWriter w, Plan plan)
    {
        w.WriteLine("/// <summary>The weights may have changed (update, load, a writable view handed out): pre-packed Wᵀ are rebuilt by the next");
        w.WriteLine("/// forward that uses them.</summary>");
        w.WriteLine("public void WeightsChanged()");
        w.OpenBrace();
        foreach (LayerPlan layer in plan.Layers)
        {
            if (DenseEntry.UsesPackedWeights(plan, layer))
            {
                w.WriteLine($"{DenseEntry.PackedField(layer)}.Invalidate();");
            }
        }

        if (!DenseEntry.AnyPackedWeights(plan))
        {
            w.WriteLine("// no pre-packed weights: every forward GEMM of this network runs the direct kernel (rule: docs/performance.md)");
        }

        w.CloseBrace();
    }

    private static string InputOf(Plan plan, int index) =>
        index == 0 ? "x" : $"A({EmitNames.OutputOffset(plan.Layers[index - 1])}, B * {I(plan.Layers[index].InputSize)})";

    private static string OutputOf(LayerPlan layer) => $"A({EmitNames.OutputOffset(layer)}, B * {I(layer.OutputSize)})";

    private static void LayerHeader(SourceWriter w, LayerPlan layer, string direction)
    {
        string title = $"// ── [{I(layer.Index)}] {layer.Name}: {LayerCatalog.Get(layer.Kind).Title(layer)}{direction} ";
        w.WriteLine(title + new string('─', System.Math.Max(4, 100 - title.Length)));
    }

    private static void EmitForward(SourceWriter w, Plan plan)
    {
        w.WriteLine($"/// <summary>Forward: x[B, {I(plan.InputSize)}] → scores[B, {I(plan.OutputSize)}]. <paramref name=\"training\"/> turns dropout on, with masks keyed by (seed, layer, step).</summary>");
        w.WriteLine("public global::System.ReadOnlySpan<T> Forward(global::System.ReadOnlySpan<T> x, int B, bool training, ulong seed, long step)");
        w.OpenBrace();
        if (!plan.UsesDropout)
        {
            w.WriteLine("_ = training; _ = seed; _ = step; // no dropout layer in this network");
        }

        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            ILayerEntry entry = LayerCatalog.Get(layer.Kind);
            LayerHeader(w, layer, string.Empty);
            if (NetworkPlanner.InNarrowPair(plan.Layers, i))
            {
                NarrowPair.EmitForward(w, plan, i);
                w.WriteLine();
                continue;
            }

            if (FusedIntoPrevious(plan, i))
            {
                w.WriteLine($"// y = max(0, x): applied by [{I(i - 1)}] as it stores its output here (fused epilogue)");
                w.WriteLine();
                continue;
            }

            bool fuse = FusedIntoPrevious(plan, i + 1);
            var c = new LayerEmitContext(plan, layer, InputOf(plan, layer.Index), OutputOf(fuse ? plan.Layers[i + 1] : layer), string.Empty, null)
            {
                FuseReLU = fuse,
            };
            w.WriteLine("// " + entry.ForwardFormula(c) + (fuse ? $", then max(0, ·) → output of [{I(i + 1)}]" : string.Empty));
            entry.EmitForward(w, c);
            w.WriteLine();
        }

        w.WriteLine($"return {OutputOf(plan.Layers[plan.Layers.Count - 1])};");
        w.CloseBrace();
    }

    /// <summary>A ReLU right after a Dense is applied in the Dense's GEMM epilogue: its forward emits nothing. (Its
    /// backward needs only its own output, which the fused store writes.)</summary>
    private static bool FusedIntoPrevious(Plan plan, int index) =>
        index > 0 && index < plan.Layers.Count &&
        plan.Layers[index].Kind == LayerKind.ReLU && plan.Layers[index - 1].Kind == LayerKind.Dense &&
        !NetworkPlanner.InNarrowPair(plan.Layers, index - 1); // a narrow pair's Dense layers store plain outputs

    private static void EmitLoss(SourceWriter w, Plan plan)
    {
        LayerPlan last = plan.Layers[plan.Layers.Count - 1];
        w.WriteLine("/// <summary>Mean loss of the last Forward: data loss + L2 term. Writes ∂L/∂scores into the first gradient buffer.</summary>");
        w.WriteLine("public double Loss(global::System.ReadOnlySpan<int> labels, int B)");
        w.OpenBrace();
        w.WriteLine($"// ── loss: {LossCatalog.Title(plan.Training.Loss)} over scores[B, {I(plan.OutputSize)}]");
        foreach (string line in LossCatalog.Formula(plan.Training.Loss))
        {
            w.WriteLine("// " + line);
        }

        w.WriteLine($"double loss = global::NetGen.Kernels.Losses.{LossCatalog.Kernel(plan.Training.Loss)}<T>({OutputOf(last)}, labels, D0(B * {I(plan.OutputSize)}), B, {I(plan.OutputSize)}) / B;");
        List<ParamPlan> decayed = Decayed(plan);
        if (decayed.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"// ── L2 regularisation: + ½·λ·Σ W², λ = {LayerCatalog.F(plan.Training.WeightDecay)}, over every Dense weight (not biases)");
            w.WriteLine("double sumOfSquares = 0;");
            foreach (ParamPlan p in decayed)
            {
                w.WriteLine($"sumOfSquares += global::NetGen.Kernels.Regularization.SumOfSquares<T>(P({EmitNames.ParameterOffset(p)}, {I(p.Length)})); // \"{p.Key}\"");
            }

            w.WriteLine($"loss += 0.5 * {LayerCatalog.F(plan.Training.WeightDecay)} * sumOfSquares;");
        }

        w.WriteLine("return loss;");
        w.CloseBrace();
    }

    private static void EmitBackward(SourceWriter w, Plan plan)
    {
        w.WriteLine("/// <summary>Backward: the same layers in reverse order, from ∂L/∂scores (left by Loss) to every parameter gradient.");
        w.WriteLine("/// Each parameter gradient has exactly one writer, which overwrites it (=, not +=), so nothing is cleared first;");
        w.WriteLine("/// activation gradients ping-pong between two buffers.</summary>");
        w.WriteLine("public void Backward(global::System.ReadOnlySpan<T> x, int B)");
        w.OpenBrace();
        bool inD0 = true;
        for (int i = plan.Layers.Count - 1; i >= 0; i--)
        {
            LayerPlan layer = plan.Layers[i];
            ILayerEntry entry = LayerCatalog.Get(layer.Kind);
            string dy = $"{(inD0 ? "D0" : "D1")}(B * {I(layer.OutputSize)})";
            bool hasParameters = layer.WeightParameter >= 0 || layer.BiasParameter >= 0;
            string? dx = i == 0 ? null : $"{(inD0 ? "D1" : "D0")}(B * {I(layer.InputSize)})";
            LayerHeader(w, layer, " · backward");
            if (NetworkPlanner.InNarrowPair(plan.Layers, i))
            {
                NarrowPair.EmitBackward(w, plan, i, dy);
                w.WriteLine();
                inD0 = !inD0;
                continue;
            }

            if (dx is null && !hasParameters)
            {
                w.WriteLine("// first layer, no parameters: nothing needs its input gradient");
                w.WriteLine();
                continue;
            }

            if (dx is null && layer.Kind != LayerKind.Dense)
            {
                // A parameterised element-wise layer first (e.g. PReLU on the input): its dx is computed and discarded.
                dx = $"{(inD0 ? "D1" : "D0")}(B * {I(layer.InputSize)})";
            }

            var c = new LayerEmitContext(plan, layer, InputOf(plan, i), OutputOf(layer), dy, dx);
            w.WriteLine("// " + entry.BackwardFormula(c));
            entry.EmitBackward(w, c);
            w.WriteLine();
            inD0 = !inD0;
        }

        List<ParamPlan> decayed = Decayed(plan);
        if (decayed.Count > 0)
        {
            w.WriteLine($"// ── L2 regularisation · backward: dW += λ·W, λ = {LayerCatalog.F(plan.Training.WeightDecay)}");
            foreach (ParamPlan p in decayed)
            {
                w.WriteLine($"global::NetGen.Kernels.Regularization.AddL2Gradient<T>(P({EmitNames.ParameterOffset(p)}, {I(p.Length)}), G({EmitNames.ParameterOffset(p)}, {I(p.Length)}), C({LayerCatalog.F(plan.Training.WeightDecay)}));");
            }
        }
        else
        {
            w.WriteLine("// no L2 regularisation (WeightDecay = 0)");
        }

        w.CloseBrace();
    }

    private static void EmitUpdate(SourceWriter w, Plan plan)
    {
        w.WriteLine("/// <summary>Optimizer step over the whole parameter arena; <paramref name=\"step\"/> counts updates from 1.</summary>");
        w.WriteLine("public void Update(long step)");
        w.OpenBrace();
        if (plan.Training.Optimizer != OptimizerKind.Adam)
        {
            w.WriteLine("_ = step;");
        }

        w.WriteLine($"// {OptimizerCatalog.Title(plan.Training)}: {OptimizerCatalog.Formula(plan.Training.Optimizer)}");
        OptimizerCatalog.EmitUpdate(w, plan.Training);
        if (DenseEntry.AnyPackedWeights(plan))
        {
            w.WriteLine("WeightsChanged(); // the pre-packed Wᵀ are stale now; the next forward repacks them inside its GEMM");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Zeroes the optimizer state (velocity, moments or squared-gradient accumulators).</summary>");
        w.WriteLine("public void ResetOptimizerState()");
        w.OpenBrace();
        IReadOnlyList<string> states = OptimizerCatalog.State(plan.Training.Optimizer);
        if (states.Count == 0)
        {
            w.WriteLine("// plain SGD keeps no state");
        }

        foreach (string state in states)
        {
            w.WriteLine($"global::System.Array.Clear({state});");
        }

        w.CloseBrace();
        w.WriteLine();
        IReadOnlyList<string> keys = OptimizerCatalog.StateKeys(plan.Training.Optimizer);
        w.WriteLine(states.Count == 0
            ? "/// <summary>The optimizer state arrays: none for plain SGD.</summary>"
            : $"/// <summary>The optimizer state arrays, each laid out like Params, in the order of s_optimizerState ({string.Join(", ", keys)}).</summary>");
        w.WriteLine(states.Count == 0
            ? "public T[][] OptimizerState() => global::System.Array.Empty<T[]>();"
            : $"public T[][] OptimizerState() => new T[][] {{ {string.Join(", ", states)} }};");
    }

    private static List<ParamPlan> Decayed(Plan plan)
    {
        var list = new List<ParamPlan>();
        if (plan.Training.WeightDecay > 0)
        {
            foreach (ParamPlan p in plan.Parameters)
            {
                if (p.WeightDecay)
                {
                    list.Add(p);
                }
            }
        }

        return list;
    }
}
