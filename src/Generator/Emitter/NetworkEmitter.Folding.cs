using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Catalog;
using NetGen.Generator.Catalog.Layers;
using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>
/// BatchNorm folded into the convolution before it, for an inference-only export (ADR 0019): the generated
/// <c>FoldBatchNorm()</c> returns a nested <c>Folded</c> network (Predict and Save, no training members) whose Core runs
/// <c>ForwardFolded</c>: each foldable Conv2D with W' = W·γ/√(σ²+ε) and b' = (b − μ)·γ/√(σ²+ε) + β, writing straight into
/// its BatchNorm2D's output, the BatchNorm skipped. Emitted only for networks with at least one foldable pair.
/// </summary>
internal static partial class NetworkEmitter
{
    /// <summary>One Conv2D → BatchNorm2D pair and where its W' and b' live in the Core's folded arena.</summary>
    private sealed record FoldPair(NodePlan Conv, NodePlan Norm, StatePlan Weight, int WeightOffset, int BiasOffset, int Channels);

    private static List<FoldPair> FoldPairs(CpuPlan cpu)
    {
        var pairs = new List<FoldPair>();
        if (LossCatalog.Get(cpu.Plan.Training.Loss).State(cpu.Plan.Training, cpu.Plan.OutputSize).Count > 0)
        {
            return pairs; // a loss with parameters (hierarchical softmax): its Predict is not the last layer's output; no folded copy
        }

        int offset = 0;
        foreach (NodePlan node in cpu.Plan.Nodes)
        {
            if (BatchNorm2DEntry.FoldTarget(cpu, node) is { } conv)
            {
                StatePlan weight = cpu.Plan.State.First(s => s.Node == conv.Ordinal && s.Local == "weight");
                int channels = weight.Shape[0];
                pairs.Add(new FoldPair(conv, node, weight, offset, offset + weight.Length, channels));
                offset += weight.Length + channels;
            }
        }

        return pairs;
    }

    private static int FoldedLength(List<FoldPair> pairs) => pairs.Count == 0 ? 0 : pairs[pairs.Count - 1].BiasOffset + pairs[pairs.Count - 1].Channels;

    /// <summary>Core members: the folded arena, Fold() and ForwardFolded().</summary>
    private static void EmitFoldedCore(SourceWriter w, CpuPlan cpu)
    {
        List<FoldPair> pairs = FoldPairs(cpu);
        if (pairs.Count == 0)
        {
            return;
        }

        Plan plan = cpu.Plan;
        w.WriteLine();
        w.WriteLine($"/// <summary>W' and b' of every Conv2D with its BatchNorm2D folded in ({I(FoldedLength(pairs))} values), written by Fold; null until then.</summary>");
        w.WriteLine("public T[]? Folded;");
        w.WriteLine("private global::System.Span<T> Fd(int offset, int length) => new global::System.Span<T>(Folded!, offset, length);");
        w.WriteLine();
        w.WriteLine("/// <summary>Folds each BatchNorm2D into the Conv2D before it, from the current weights and running statistics:");
        w.WriteLine("/// s = γ/√(running_var + ε), W' = s·W per output channel, b' = (b − running_mean)·s + β.</summary>");
        w.WriteLine("public void Fold()");
        w.OpenBrace();
        w.WriteLine($"Folded ??= new T[{I(FoldedLength(pairs))}];");
        foreach (FoldPair pair in pairs)
        {
            var conv = new NodeContext(cpu, pair.Conv);
            var norm = new NodeContext(cpu, pair.Norm);
            w.WriteLine($"// [{pair.Conv.Label}] {pair.Conv.Name} ← [{pair.Norm.Label}] {pair.Norm.Name}: W' [{Shapes.Cross(pair.Weight.Shape)}], b' [{I(pair.Channels)}]");
            w.WriteLine($"global::NetGen.Kernels.BatchNormFolding.Fold<T>({conv.P("weight")}, {conv.P("bias")}, {norm.P("weight")}, {norm.P("bias")}, {norm.Buf("running_mean")}, {norm.Buf("running_var")}, {LayerCatalog.F(BatchNorm2DEntry.Epsilon(pair.Norm))}, Fd({I(pair.WeightOffset)}, {I(pair.Weight.Length)}), Fd({I(pair.BiasOffset)}, {I(pair.Channels)}));");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine($"/// <summary>Inference with the folded weights: the same nodes as Forward (training off), except that each folded Conv2D runs");
        w.WriteLine("/// with W' and b' and writes straight into its BatchNorm2D's output, and that BatchNorm is skipped.</summary>");
        w.WriteLine("public global::System.ReadOnlySpan<T> ForwardFolded(global::System.ReadOnlySpan<T> x, int B, ulong seed, long step)");
        w.OpenBrace();
        w.WriteLine("bool training = false; // inference only: dropout off, BatchNorm on its running statistics");
        w.WriteLine("_ = training; _ = seed; _ = step;");
        w.WriteLine();
        foreach (NodePlan node in plan.Nodes)
        {
            var c = new NodeContext(cpu, node);
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            CpuNode lowered = cpu.Nodes[node.Ordinal];
            NodeHeader(w, c, string.Empty);
            if (lowered.Pair != PairRole.None)
            {
                NarrowPair.EmitForward(w, cpu, lowered.Pair);
                w.WriteLine();
                continue;
            }

            if (lowered.FusedIntoPrevious)
            {
                w.WriteLine($"// y = max(0, x): applied by [{plan.Nodes[node.Ordinal - 1].Label}] as it stores its output here (fused epilogue)");
                w.WriteLine();
                continue;
            }

            if (lowered.PoolOfConv >= 0)
            {
                w.WriteLine($"// {entry.ForwardFormula(c)}: computed by [{plan.Nodes[lowered.PoolOfConv].Label}] {Conv2DEntry.FusedPoolNote(plan, lowered.PoolOfConv)}");
                w.WriteLine();
                continue;
            }

            FoldPair? asNorm = pairs.FirstOrDefault(p => p.Norm.Ordinal == node.Ordinal);
            if (asNorm is not null)
            {
                w.WriteLine($"// folded into [{asNorm.Conv.Label}], which wrote this output");
                w.WriteLine();
                continue;
            }

            FoldPair? asConv = pairs.FirstOrDefault(p => p.Conv.Ordinal == node.Ordinal);
            if (asConv is not null)
            {
                w.WriteLine($"// {entry.ForwardFormula(c)}, with W' = W·γ/√(σ²+ε) and b' = (b − μ)·γ/√(σ²+ε) + β of [{asConv.Norm.Label}] {asConv.Norm.Name} → its output");
                var state = new Dictionary<string, string>
                {
                    ["weight"] = $"Fd({I(asConv.WeightOffset)}, {I(asConv.Weight.Length)})",
                    ["bias"] = $"Fd({I(asConv.BiasOffset)}, {I(asConv.Channels)})",
                };
                entry.EmitForward(w, new NodeContext(cpu, node, state, c.TensorSpan(asConv.Norm.Output)));
                w.WriteLine();
                continue;
            }

            w.WriteLine("// " + entry.ForwardFormula(c) + (lowered.FusesNextReLU ? $", then max(0, ·) → output of [{plan.Nodes[node.Ordinal + 1].Label}]" : string.Empty));
            entry.EmitForward(w, c);
            w.WriteLine();
        }

        w.WriteLine($"return {new NodeContext(cpu, plan.Nodes[plan.Nodes.Count - 1]).TensorSpan(plan.Nodes[plan.Nodes.Count - 1].Output)};");
        w.CloseBrace();
    }

    /// <summary>Network members: FoldBatchNorm(), SaveInference(), and the nested Folded class.</summary>
    private static void EmitFoldedApi(SourceWriter w, CpuPlan cpu)
    {
        List<FoldPair> pairs = FoldPairs(cpu);
        if (pairs.Count == 0)
        {
            return;
        }

        Plan plan = cpu.Plan;
        string name = plan.ClassName;
        string folds = string.Join(", ", pairs.Select(p => $"'{p.Norm.Name}' into '{p.Conv.Name}'"));
        w.WriteLine();
        w.WriteLine($"/// <summary>An inference-only copy of this network with each BatchNorm2D folded into the Conv2D before it ({folds}):");
        w.WriteLine("/// W' = W·γ/√(running_var + ε), b' = (b − running_mean)·γ/√(running_var + ε) + β, from the current weights and running");
        w.WriteLine("/// statistics. Its Predict equals this network's Predict (eval mode) up to float rounding; it has no training members, and");
        w.WriteLine("/// later changes to this network do not reach it.</summary>");
        w.WriteLine(plan.BufferCount + plan.CounterCount > 0
            ? "public Folded FoldBatchNorm() => new Folded(_core.Params, _core.Buffers, _core.Counters, _seed, _step);"
            : "public Folded FoldBatchNorm() => new Folded(_core.Params, _seed, _step);");
        w.WriteLine();
        w.WriteLine("/// <summary>Writes the folded inference weights (<c>FoldBatchNorm().Save</c>): a PyTorch state_dict in which each folded Conv2D has");
        w.WriteLine("/// the folded weight and a bias, and the folded BatchNorm2D layers have no keys (nn.Identity in their place).</summary>");
        w.WriteLine("public void SaveInference(string path) => FoldBatchNorm().Save(path);");
        w.WriteLine();
        w.WriteLine("/// <inheritdoc cref=\"SaveInference(string)\"/>");
        w.WriteLine("public void SaveInference(global::System.IO.Stream stream) => FoldBatchNorm().Save(stream);");
        w.WriteLine();
        w.WriteLine($"/// <summary>'{name}' for inference only, with BatchNorm folded into the convolutions ({folds}); made by FoldBatchNorm().</summary>");
        w.WriteLine($"[global::System.CodeDom.Compiler.GeneratedCode(\"NetGen\", \"{Version}\")]");
        w.WriteLine("public sealed class Folded");
        w.OpenBrace();
        w.WriteLine("private readonly Core<float> _core = new Core<float>();");
        w.WriteLine("private readonly ulong _seed;");
        w.WriteLine("private readonly long _step;");
        w.WriteLine();
        bool buffers = plan.BufferCount + plan.CounterCount > 0;
        w.WriteLine(buffers
            ? "internal Folded(float[] parameters, float[] buffers, long[] counters, ulong seed, long step)"
            : "internal Folded(float[] parameters, ulong seed, long step)");
        w.OpenBrace();
        w.WriteLine("parameters.CopyTo(_core.Params, 0);");
        if (buffers)
        {
            w.WriteLine("buffers.CopyTo(_core.Buffers, 0);");
            w.WriteLine("counters.CopyTo(_core.Counters, 0);");
        }

        w.WriteLine("_seed = seed;");
        w.WriteLine("_step = step;");
        w.WriteLine("_core.Fold();");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The state_dict keys of <see cref=\"Save(global::System.IO.Stream)\"/>, in order.</summary>");
        w.WriteLine("public static global::System.Collections.Generic.IReadOnlyList<string> Keys { get; } = new string[]");
        w.OpenBrace();
        foreach ((string key, _, _) in FoldedTensors(cpu, pairs))
        {
            w.WriteLine($"\"{key}\",");
        }

        w.CloseBrace(";");
        w.WriteLine();
        w.WriteLine("/// <summary>Inference with the folded weights: <paramref name=\"outputs\"/>[rows, OutputSize] from <paramref name=\"inputs\"/>[rows, InputSize],");
        w.WriteLine("/// MaxBatch rows at a time. Allocates nothing.</summary>");
        w.WriteLine("public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs)");
        w.OpenBrace();
        w.WriteLine($"int rows = global::NetGen.Guard.Rows(inputs, InputSize, \"{name}\");");
        w.WriteLine($"global::NetGen.Guard.Output(outputs, rows * OutputSize, \"{name}\");");
        w.WriteLine("for (int start = 0; start < rows; start += MaxBatch)");
        w.OpenBrace();
        w.WriteLine("int B = global::System.Math.Min(MaxBatch, rows - start);");
        w.WriteLine("_core.ForwardFolded(inputs.Slice(start * InputSize, B * InputSize), B, _seed, _step).CopyTo(outputs.Slice(start * OutputSize, B * OutputSize));");
        w.CloseBrace();
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Writes the folded state_dict as safetensors (keys: <see cref=\"Keys\"/>), loadable with load_state_dict(strict=True) into the");
        w.WriteLine("/// PyTorch model with bias=True on each folded Conv2d and nn.Identity() in place of each folded BatchNorm2d.</summary>");
        w.WriteLine("public void Save(global::System.IO.Stream stream)");
        w.OpenBrace();
        w.WriteLine("var writer = new global::NetGen.Serialization.SafeTensorsWriter();");
        w.WriteLine("writer.AddMetadata(\"format\", \"pt\");");
        w.WriteLine($"writer.AddMetadata(\"netgen.network\", \"{name}\");");
        w.WriteLine($"writer.AddMetadata(\"netgen.folded\", \"{string.Join(" ", pairs.Select(p => p.Norm.Path + "->" + p.Conv.Path))}\");");
        foreach ((string key, EquatableArray<int> shape, string span) in FoldedTensors(cpu, pairs))
        {
            w.WriteLine($"writer.Add(\"{key}\", {(shape.Count == 0 ? "global::System.ReadOnlySpan<int>.Empty" : $"new int[] {{ {string.Join(", ", shape.Select(d => I(d)))} }}")}, {span});");
        }

        w.WriteLine("writer.WriteTo(stream);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <inheritdoc cref=\"Save(global::System.IO.Stream)\"/>");
        w.WriteLine("public void Save(string path)");
        w.OpenBrace();
        w.WriteLine("global::NetGen.ModelFile.Write(path, Save); // a temporary file, flushed, renamed over path: never half a file");
        w.CloseBrace();
        w.CloseBrace();
    }

    /// <summary>The folded state_dict in order: every parameter and buffer, except the folded BatchNorms' and the folded convs'
    /// own weight and bias, whose places take W' and b'.</summary>
    private static IEnumerable<(string Key, EquatableArray<int> Shape, string Span)> FoldedTensors(CpuPlan cpu, List<FoldPair> pairs)
    {
        foreach (StatePlan s in cpu.Plan.State)
        {
            if (pairs.Any(p => p.Norm.Ordinal == s.Node) || (s.Local == "bias" && pairs.Any(p => p.Conv.Ordinal == s.Node)))
            {
                continue;
            }

            FoldPair? pair = pairs.FirstOrDefault(p => p.Conv.Ordinal == s.Node && s.Local == "weight");
            if (pair is not null)
            {
                yield return (s.Key, s.Shape, $"new global::System.ReadOnlySpan<float>(_core.Folded, {I(pair.WeightOffset)}, {I(pair.Weight.Length)})");
                yield return (pair.Conv.Path + ".bias", new[] { pair.Channels }.ToEquatableArray(), $"new global::System.ReadOnlySpan<float>(_core.Folded, {I(pair.BiasOffset)}, {I(pair.Channels)})");
            }
            else if (s.Role == StateRole.Parameter)
            {
                yield return (s.Key, s.Shape, $"new global::System.ReadOnlySpan<float>(_core.Params, {EmitNames.StateConst(s)}, {I(s.Length)})");
            }
            else if (s.Dtype == StateDtype.F32)
            {
                yield return (s.Key, s.Shape, $"new global::System.ReadOnlySpan<float>(_core.Buffers, {EmitNames.StateConst(s)}, {I(s.Length)})");
            }
            else
            {
                yield return (s.Key, s.Shape, $"new global::System.ReadOnlySpan<long>(_core.Counters, {EmitNames.StateConst(s)}, 1)");
            }
        }
    }
}
