using System.Collections.Generic;
using NetGen.Generator.Catalog;
using NetGen.Generator.Catalog.Layers;
using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

internal static partial class NetworkEmitter
{
    /// <summary>
    /// Core&lt;T&gt;: arenas, Forward, Loss, Backward (the same nodes in reverse order), Update. Each node's block opens
    /// with the same header in forward and backward, followed by its formula and shapes.
    /// </summary>
    private static void EmitCore(SourceWriter w, CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        w.WriteLine("/// <summary>The network's arithmetic, written once and instantiated for float (training, inference) and double (gradient check).</summary>");
        w.WriteLine("private sealed class Core<T> where T : unmanaged, global::System.Numerics.IBinaryFloatingPointIeee754<T>");
        w.OpenBrace();
        w.WriteLine("public readonly T[] Params = new T[ParameterCount];");
        w.WriteLine("public readonly T[] Grads = new T[ParameterCount];");
        if (plan.BufferCount + plan.CounterCount > 0)
        {
            w.WriteLine("public readonly T[] Buffers = new T[BufferCount];");
            w.WriteLine($"public readonly long[] Counters = new long[{I(plan.CounterCount)}];");
        }

        w.WriteLine("private readonly T[] _acts = new T[ActivationArenaSize];");
        EmitMonitoringFields(w);
        if (cpu.IndexArenaSize > 0)
        {
            w.WriteLine("private readonly int[] _indices = new int[IndexArenaSize];");
        }

        for (int s = 0; s < plan.GradientSlots; s++)
        {
            w.WriteLine($"private readonly T[] _d{I(s)} = new T[GradientBufferSize];");
        }

        foreach ((string field, _) in optimizer.State(plan.Training))
        {
            w.WriteLine($"private readonly T[] {field} = new T[ParameterCount];");
        }

        foreach (NodePlan node in plan.Nodes)
        {
            LayerCatalog.Get(node.Kind).EmitFields(w, new NodeContext(cpu, node));
        }

        if (KernelsCheckGradients(cpu))
        {
            w.WriteLine("private readonly global::NetGen.Kernels.FiniteCheck _finite = new global::NetGen.Kernels.FiniteCheck(); // set by the kernels that check the gradients they write (IsFiniteStep)");
        }

        if (cpu.NarrowPair)
        {
            w.WriteLine($"private readonly T[] _pair = new T[global::NetGen.Kernels.DenseReLUDense.ScratchLength({I(plan.InputSize)}, {I(plan.Tensors[plan.Nodes[0].Output].Length)}, {I(plan.Tensors[plan.Nodes[2].Output].Length)})]; // padded weights and gradient sums of the fused [0]–[2]");
        }

        w.WriteLine();
        w.WriteLine("private static T C(double value) => T.CreateTruncating(value);");
        w.WriteLine("private global::System.Span<T> P(int offset, int length) => new global::System.Span<T>(Params, offset, length);");
        w.WriteLine("private global::System.Span<T> G(int offset, int length) => new global::System.Span<T>(Grads, offset, length);");
        if (plan.BufferCount > 0)
        {
            w.WriteLine("private global::System.Span<T> Bf(int offset, int length) => new global::System.Span<T>(Buffers, offset, length);");
        }

        w.WriteLine("private global::System.Span<T> A(int offset, int length) => new global::System.Span<T>(_acts, offset, length);");
        if (cpu.IndexArenaSize > 0)
        {
            w.WriteLine("private global::System.Span<int> Ix(int offset, int length) => new global::System.Span<int>(_indices, offset, length);");
        }

        for (int s = 0; s < plan.GradientSlots; s++)
        {
            w.WriteLine($"private global::System.Span<T> D{I(s)}(int length) => new global::System.Span<T>(_d{I(s)}, 0, length);");
        }

        w.WriteLine();
        EmitForward(w, cpu);
        w.WriteLine();
        EmitLoss(w, cpu);
        w.WriteLine();
        EmitBackward(w, cpu);
        w.WriteLine();
        EmitUpdate(w, cpu);
        w.WriteLine();
        EmitWeightsChanged(w, cpu);
        LossCatalog.Get(plan.Training.Loss).EmitCoreMembers(w, plan);
        w.WriteLine();
        EmitFirstNonFiniteOutput(w, cpu);
        EmitIsFiniteStep(w, cpu);
        EmitFoldedCore(w, cpu);
        w.CloseBrace();
    }

    private static void EmitWeightsChanged(SourceWriter w, CpuPlan cpu)
    {
        w.WriteLine("/// <summary>The weights may have changed (update, load, a writable view handed out): pre-packed Wᵀ are rebuilt by the next");
        w.WriteLine("/// forward that uses them.</summary>");
        w.WriteLine("public void WeightsChanged()");
        w.OpenBrace();
        foreach (NodePlan node in cpu.Plan.Nodes)
        {
            if (cpu.Nodes[node.Ordinal].PackedWeights)
            {
                w.WriteLine($"{DenseEntry.PackedField(node)}.Invalidate();");
            }
        }

        if (!cpu.AnyPackedWeights)
        {
            w.WriteLine("// no pre-packed weights: every Dense forward GEMM of this network runs the direct kernel (rule: docs/performance.md)");
        }

        w.CloseBrace();
    }

    /// <summary>
    /// FirstNonFiniteOutput(B): the first node, in forward order, whose stored output over the last B rows holds NaN or ±∞.
    /// Called only when a step is refused, to name the layer in the exception. Views, outputs a fused ReLU writes for its
    /// producer (the producer's own slot is never written) and the narrow pair's hidden tensors (never stored) are skipped.
    /// </summary>
    private static void EmitFirstNonFiniteOutput(SourceWriter w, CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        w.WriteLine("/// <summary>The first layer, in forward order, whose output over the last <paramref name=\"B\"/> rows holds NaN or ±∞, as");
        w.WriteLine("/// \"'name' ([path] Kind)\"; null when every stored output is finite. Read only when a step is refused.</summary>");
        w.WriteLine("public string? FirstNonFiniteOutput(int B)");
        w.OpenBrace();
        foreach (NodePlan node in plan.Nodes)
        {
            TensorPlan output = plan.Tensors[node.Output];
            if (output.ViewOf >= 0 || cpu.TensorOffsets[node.Output] < 0 || cpu.Nodes[node.Ordinal].FusesNextReLU)
            {
                continue;
            }

            // An output stored on request (ADR 0058) holds this forward's values only when it was recorded.
            string recorded = StoredOnRequest(cpu, node) ? "ActivationsRecorded && " : string.Empty;
            w.WriteLine($"if ({recorded}!global::NetGen.Guard.AllFinite<T>(A({EmitNames.TensorConst(node)}, B * {I(output.Length)}))) return \"'{node.Name}' ([{node.Label}] {node.Kind})\";");
        }

        w.WriteLine("return null;");
        w.CloseBrace();
    }

    /// <summary>
    /// IsFiniteStep(loss): the step check when the kernels checked some gradients as they wrote them (ADR 0040): the loss,
    /// their <c>FiniteCheck</c>, and a read of the other parameter gradients only (listed in s_uncheckedGradients).
    /// </summary>
    private static void EmitIsFiniteStep(SourceWriter w, CpuPlan cpu)
    {
        if (!KernelsCheckGradients(cpu))
        {
            return;
        }

        Plan plan = cpu.Plan;
        HashSet<int> kernelChecked = KernelCheckedTensors(cpu);
        var read = new List<StatePlan>();
        var done = new List<string>();
        foreach (StatePlan p in plan.State)
        {
            if (p.Role != StateRole.Parameter)
            {
                continue;
            }

            if (kernelChecked.Contains(p.Index))
            {
                done.Add($"\"{p.Key}\"");
            }
            else
            {
                read.Add(p);
            }
        }

        w.WriteLine();
        w.WriteLine("/// <summary>Whether the loss and every parameter gradient of the last Backward (and regularisation terms) are finite: the step check");
        w.WriteLine("/// before the update. The kernels that wrote the gradients checked some as they stored them, in registers or still in cache;");
        w.WriteLine("/// only the others are read here. Valid while nothing changes the gradients after RegularizationBackward (gradient clipping");
        w.WriteLine("/// does: a step that clips reads the whole arena instead).</summary>");
        w.WriteLine("public bool IsFiniteStep(double loss)");
        w.OpenBrace();
        w.WriteLine($"// checked by their kernels as they were written (_finite): {string.Join(", ", done)}");
        w.WriteLine(read.Count == 0
            ? "// read here: none"
            : $"// read here (no checking kernel, or changed by a regularisation term after Backward): {string.Join(", ", read.ConvertAll(p => $"\"{p.Key}\""))}");
        w.WriteLine("return global::NetGen.Guard.IsFiniteStep<T>(loss, _finite, Grads, s_uncheckedGradients);");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine(read.Count == 0
            ? "private static readonly int[] s_uncheckedGradients = global::System.Array.Empty<int>();"
            : $"private static readonly int[] s_uncheckedGradients = {{ {string.Join(", ", read.ConvertAll(p => $"{EmitNames.StateConst(p)}, {I(p.Length)}"))} }}; // (offset, length) of each gradient read by IsFiniteStep");
    }

    /// <summary>Whether some kernel of Backward checks the gradients it writes (a Dense layer outside the narrow pair).</summary>
    internal static bool KernelsCheckGradients(CpuPlan cpu) => KernelCheckingNodes(cpu).Count > 0;

    private static List<NodePlan> KernelCheckingNodes(CpuPlan cpu)
    {
        var list = new List<NodePlan>();
        foreach (NodePlan node in cpu.Plan.Nodes)
        {
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            if (entry.ChecksGradientsAsWritten && cpu.Nodes[node.Ordinal].Pair == PairRole.None && entry.HasBackward(new NodeContext(cpu, node)))
            {
                list.Add(node);
            }
        }

        return list;
    }

    /// <summary>The parameter tensors (state indexes) whose gradient is fully checked by the kernel that writes it: those of
    /// the checking nodes, less those a regularisation term changes after Backward.</summary>
    private static HashSet<int> KernelCheckedTensors(CpuPlan cpu)
    {
        var nodes = new HashSet<int>();
        foreach (NodePlan node in KernelCheckingNodes(cpu))
        {
            nodes.Add(node.Ordinal);
        }

        var result = new HashSet<int>();
        foreach (StatePlan p in cpu.Plan.State)
        {
            if (p.Role == StateRole.Parameter && nodes.Contains(p.Node) && !(p.L2 > 0 || p.L1 > 0 || p.NormBound > 0))
            {
                result.Add(p.Index);
            }
        }

        return result;
    }

    /// <summary>
    /// Whether the training calls may leave the inputs' finiteness to the step check (ADR 0040): the network keeps no buffers
    /// (its forward pass changes no state), and its first layer is a checking Dense that reads the inputs, so every input
    /// value x[b, j] enters every dW[i, j] = Σ_b dy[b, i]·x[b, j] of that layer through a product (NaN·y and ±∞·0 are NaN,
    /// ±∞·y ≠ 0 is ±∞, and a sum that takes a NaN or an ∞ is not finite): a non-finite input makes that gradient non-finite,
    /// and the refused step then names the input as the guard would have.
    /// </summary>
    internal static bool FoldsInputCheck(CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        if (plan.BufferCount + plan.CounterCount > 0 || plan.Nodes.Count == 0)
        {
            return false;
        }

        NodePlan first = plan.Nodes[0];
        var c = new NodeContext(cpu, first);
        return KernelCheckingNodes(cpu).Contains(first) && c.X == "x" && c.HasState("weight");
    }

    private static void NodeHeader(SourceWriter w, NodeContext c, string direction)
    {
        string title = $"// ── [{c.Node.Label}] {c.Node.Name}: {LayerCatalog.Get(c.Node.Kind).Title(c)}{direction} ";
        w.WriteLine(title + new string('─', System.Math.Max(4, 100 - title.Length)));
    }

    private static void EmitForward(SourceWriter w, CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        w.WriteLine($"/// <summary>Forward: x[B, {Shapes.Cross(plan.InputShape).Replace("×", ", ")}] → output[B, {I(plan.OutputSize)}]. <paramref name=\"training\"/> turns on dropout (masks keyed by");
        w.WriteLine("/// (seed, node, step)) and batch statistics in batch normalisation.</summary>");
        w.WriteLine("public global::System.ReadOnlySpan<T> Forward(global::System.ReadOnlySpan<T> x, int B, bool training, ulong seed, long step)");
        w.OpenBrace();
        bool usesTraining = false, usesRandom = false;
        foreach (NodePlan node in plan.Nodes)
        {
            usesTraining |= LayerCatalog.Get(node.Kind).ReadsTrainingFlag;
            usesRandom |= LayerCatalog.Get(node.Kind).ReadsRandomStream;
        }

        w.WriteLine("ForwardRows = B;");
        w.WriteLine("ActivationsRecorded = RecordActivations || ActivationGradients is not null; // the outputs no kernel reads are stored (ADR 0058)");
        if (!usesTraining)
        {
            w.WriteLine("_ = training; _ = seed; _ = step; // no dropout, batch normalisation or pooling in this network");
        }
        else if (!usesRandom)
        {
            w.WriteLine("_ = seed; _ = step; // no dropout in this network");
        }

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

            w.WriteLine("// " + entry.ForwardFormula(c) + (lowered.FusesNextReLU ? $", then max(0, ·) → output of [{plan.Nodes[node.Ordinal + 1].Label}]" : string.Empty));
            entry.EmitForward(w, c);
            w.WriteLine();
        }

        w.WriteLine($"return {new NodeContext(cpu, plan.Nodes[plan.Nodes.Count - 1]).TensorSpan(plan.Nodes[plan.Nodes.Count - 1].Output)};");
        w.CloseBrace();
    }

    private static void EmitLoss(SourceWriter w, CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        NodePlan last = plan.Nodes[plan.Nodes.Count - 1];
        bool classes = loss.Target == TargetKind.ClassIndex;
        string scores = new NodeContext(cpu, last).TensorSpan(last.Output);
        w.WriteLine($"/// <summary>Mean loss of the last Forward: data loss + regularisation terms. Writes ∂L/∂output into gradient slot 0.</summary>");
        w.WriteLine(classes
            ? "public double Loss(global::System.ReadOnlySpan<int> labels, int B)"
            : "public double Loss(global::System.ReadOnlySpan<T> targets, int B)");
        w.OpenBrace();
        w.WriteLine($"// ── loss: {loss.Title(plan.Training)} over output[B, {I(plan.OutputSize)}] (PyTorch: {loss.TorchEquivalent(plan.Training)})");
        foreach (string line in loss.Formula(plan.Training))
        {
            w.WriteLine("// " + line);
        }

        loss.EmitLossCall(w, plan, scores, classes ? "labels" : "targets", NodeContext.Slot(0, plan.OutputSize));
        w.WriteLine(Regularized(plan).Count > 0 ? "return loss + Penalty();" : "return loss;");
        w.CloseBrace();
        if (loss.AcceptsProbabilities)
        {
            w.WriteLine();
            w.WriteLine("/// <summary>Mean loss of the last Forward against target distributions [B, C] (soft targets): data loss + regularisation terms.");
            w.WriteLine("/// Writes ∂L/∂output into gradient slot 0.</summary>");
            w.WriteLine("public double Loss(global::System.ReadOnlySpan<T> targetProbabilities, int B)");
            w.OpenBrace();
            w.WriteLine($"// ── loss: {loss.Title(plan.Training)} against probability rows t over output[B, {I(plan.OutputSize)}] (PyTorch: {loss.TorchEquivalentForProbabilities(plan.Training)})");
            foreach (string line in loss.ProbabilityFormula(plan.Training))
            {
                w.WriteLine("// " + line);
            }

            loss.EmitProbabilityLoss(w, plan.Training, scores, "targetProbabilities", NodeContext.Slot(0, plan.OutputSize), I(plan.OutputSize));
            w.WriteLine(Regularized(plan).Count > 0 ? "return loss + Penalty();" : "return loss;");
            w.CloseBrace();
        }

        List<StatePlan> regularized = Regularized(plan);
        if (regularized.Count == 0)
        {
            return;
        }

        w.WriteLine();
        w.WriteLine("/// <summary>The regularisation terms of the loss: Σ over the regularised tensors of ½·λ₂·Σw² + λ₁·Σ|w|.</summary>");
        w.WriteLine("private double Penalty()");
        w.OpenBrace();
        w.WriteLine("// ── regularisation: ½·λ₂·Σw² (WeightDecay, gradient λ₂·w as PyTorch's weight_decay) + λ₁·Σ|w| (L1), per tensor");
        w.WriteLine("double penalty = 0;");
        foreach (StatePlan p in regularized)
        {
            string span = $"P({EmitNames.StateConst(p)}, {I(p.Length)})";
            if (p.L2 > 0)
            {
                w.WriteLine($"penalty += 0.5 * {LayerCatalog.F(p.L2)} * global::NetGen.Kernels.Regularization.SumOfSquares<T>({span}); // L2 on \"{p.Key}\": ½·λ₂·Σw²");
            }

            if (p.L1 > 0)
            {
                w.WriteLine($"penalty += {LayerCatalog.F(p.L1)} * global::NetGen.Kernels.Regularization.SumOfAbsolutes<T>({span}); // L1 on \"{p.Key}\": λ₁·Σ|w|");
            }

            if (p.NormBound > 0)
            {
                w.WriteLine($"penalty += global::NetGen.Kernels.Regularization.ConstraintPenalty<T>({span}, {Multiplier(plan, p)}, {LayerCatalog.F(p.NormBound)}); // constraint on \"{p.Key}\": α·(½·‖W‖²_F − k), k = {LayerCatalog.F(p.NormBound)}");
            }
        }

        w.WriteLine("return penalty;");
        w.CloseBrace();
    }

    private static void EmitBackward(SourceWriter w, CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        w.WriteLine("/// <summary>Backward: the same nodes in reverse order, from ∂L/∂output (left by Loss in slot 0) to every parameter gradient of the data loss.");
        w.WriteLine("/// Each parameter gradient has exactly one writer, which overwrites it (=, not +=), so nothing is cleared first;");
        w.WriteLine($"/// activation gradients live in {I(plan.GradientSlots)} slot{(plan.GradientSlots == 1 ? string.Empty : "s")}, reused as soon as a gradient is consumed.</summary>");
        w.WriteLine("public void Backward(global::System.ReadOnlySpan<T> x, int B)");
        w.OpenBrace();
        w.WriteLine("BackwardRows = B;");
        if (KernelsCheckGradients(cpu))
        {
            w.WriteLine("_finite.Reset(); // the kernels below record whether the gradients they write are finite");
        }

        bool usesX = false;
        for (int i = plan.Nodes.Count - 1; i >= 0; i--)
        {
            NodePlan node = plan.Nodes[i];
            var c = new NodeContext(cpu, node);
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            CpuNode lowered = cpu.Nodes[i];
            NodeHeader(w, c, " · backward");
            EmitGradientCapture(w, cpu, node, c);
            if (lowered.Pair != PairRole.None)
            {
                NarrowPair.EmitBackward(w, cpu, lowered.Pair, c.Dy);
                usesX = true;
                w.WriteLine();
                continue;
            }

            if (!entry.HasBackward(c))
            {
                w.WriteLine(entry.PassesGradientThrough ? "// " + entry.BackwardFormula(c) : "// no parameters, and nothing before needs ∂L/∂x");
            }
            else
            {
                w.WriteLine("// " + entry.BackwardFormula(c));
                entry.EmitBackward(w, c);
                usesX |= c.X == "x";
            }

            for (int k = 0; k < node.Inputs.Count; k++)
            {
                InputGradient g = node.InputGradients[k];
                int length = plan.Tensors[node.Inputs[k]].Length;
                if (g.Route == GradientRoute.Accumulate)
                {
                    string from = entry.PassesGradientThrough ? c.Dy : NodeContext.Slot(g.TempSlot, length);
                    w.WriteLine($"global::NetGen.Kernels.Residual.Accumulate<T>({NodeContext.Slot(g.Slot, length)}, {from}); // ∂L/∂x has a second consumer: add its contribution");
                }
            }

            w.WriteLine();
        }

        if (!usesX)
        {
            w.WriteLine("_ = x; // no node reads the input in backward");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>The regularisation terms' gradients (L2: dW += λ₂·W; L1: dW += λ₁·sign(W)), added after Backward (and after gradient");
        w.WriteLine("/// clipping, which applies to the data loss's gradient only, as PyTorch's optimizers add weight_decay inside step()).</summary>");
        w.WriteLine("public void RegularizationBackward()");
        w.OpenBrace();
        List<StatePlan> regularized = Regularized(plan);
        if (regularized.Count == 0)
        {
            w.WriteLine("// no regularisation (WeightDecay = 0 and L1 = 0)");
        }

        else
        {
            w.WriteLine("// ── regularisation · backward: dW += λ₂·W (L2), dW += λ₁·sign(W) (L1)");
        }

        foreach (StatePlan p in regularized)
        {
            string args = $"P({EmitNames.StateConst(p)}, {I(p.Length)}), G({EmitNames.StateConst(p)}, {I(p.Length)})";
            if (p.L2 > 0)
            {
                w.WriteLine($"global::NetGen.Kernels.Regularization.AddL2Gradient<T>({args}, C({LayerCatalog.F(p.L2)})); // \"{p.Key}\": dW += λ₂·W");
            }

            if (p.L1 > 0)
            {
                w.WriteLine($"global::NetGen.Kernels.Regularization.AddL1Gradient<T>({args}, C({LayerCatalog.F(p.L1)})); // \"{p.Key}\": dW += λ₁·sign(W), sign(0) = 0");
            }

            if (p.NormBound > 0)
            {
                w.WriteLine($"global::NetGen.Kernels.Regularization.AddConstraintGradient<T>({args}, {Multiplier(plan, p)}); // \"{p.Key}\": dW += α·W, the Lagrangian's term at the current α");
            }
        }

        w.CloseBrace();
    }

    private static void EmitUpdate(SourceWriter w, CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        w.WriteLine("/// <summary>Optimizer step over the whole parameter arena (buffers are not trained); <paramref name=\"step\"/> counts updates");
        w.WriteLine("/// from 1; <paramref name=\"learningRate\"/> is the network's LearningRate at this step.</summary>");
        w.WriteLine("public void Update(long step, double learningRate)");
        w.OpenBrace();
        if (!optimizer.ReadsStep)
        {
            w.WriteLine("_ = step;");
        }

        w.WriteLine($"// {optimizer.Title(plan.Training)}: {optimizer.Formula(plan.Training)}   (lr read at run time: the declared value is its start)");
        if (optimizer.DecouplesWeightDecay && plan.Training.DecoupledWeightDecay > 0)
        {
            double lambda = plan.Training.DecoupledWeightDecay;
            w.WriteLine($"// decoupled weight decay first, W ← W·(1 − lr·λ), λ = {LayerCatalog.F(lambda)}, over every Dense and Conv2D weight (not biases)");
            foreach (StatePlan p in plan.State)
            {
                if (p.Role == StateRole.Parameter && p.WeightDecay)
                {
                    w.WriteLine($"global::NetGen.Kernels.Optimizers.DecoupledWeightDecay<T>(P({EmitNames.StateConst(p)}, {I(p.Length)}), learningRate, {LayerCatalog.F(lambda)}); // \"{p.Key}\"");
                }
            }
        }

        optimizer.EmitUpdate(w, plan.Training, "C(learningRate)");
        bool anyMaxNorm = false;
        foreach (StatePlan p in plan.State)
        {
            if (p.Role == StateRole.Parameter && p.MaxNorm > 0)
            {
                if (!anyMaxNorm)
                {
                    w.WriteLine("// ── max-norm constraint (projected gradient descent): after the update, each unit's incoming weights w_u with ‖w_u‖₂ > c");
                    w.WriteLine("// become w_u · c/(‖w_u‖₂ + 1e-7), as torch.renorm(w, 2, 0, c); biases are never constrained");
                    anyMaxNorm = true;
                }

                w.WriteLine($"global::NetGen.Kernels.Regularization.MaxNorm<T>(P({EmitNames.StateConst(p)}, {I(p.Length)}), {I(p.Shape[0])}, {LayerCatalog.F(p.MaxNorm)}); // max-norm on \"{p.Key}\": each of its {I(p.Shape[0])} rows to ‖w‖₂ ≤ {LayerCatalog.F(p.MaxNorm)} (torch.renorm)");
            }
        }

        bool anyBound = false;
        foreach (StatePlan p in plan.State)
        {
            if (p.Role == StateRole.Parameter && p.NormBound > 0)
            {
                if (!anyBound)
                {
                    w.WriteLine("// ── explicit constraint Ω(W) = ½·‖W‖²_F ≤ k by the generalised Lagrangian J + α·(Ω − k): after the parameter step,");
                    w.WriteLine("// dual ascent on the multiplier, α ← max(0, α + ρ·(Ω(W) − k)) (Goodfellow et al., Deep Learning §7.2)");
                    anyBound = true;
                }

                w.WriteLine($"global::NetGen.Kernels.Regularization.DualAscent<T>(P({EmitNames.StateConst(p)}, {I(p.Length)}), {Multiplier(plan, p)}, {LayerCatalog.F(p.NormBound)}, {LayerCatalog.F(p.DualRate)}); // \"{p.Key}\": k = {LayerCatalog.F(p.NormBound)}, ρ = {LayerCatalog.F(p.DualRate)}");
            }
        }

        if (cpu.AnyPackedWeights)
        {
            w.WriteLine("WeightsChanged(); // the pre-packed Wᵀ are stale now; the next forward repacks them inside its GEMM");
        }

        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Zeroes the optimizer state (velocity, moments or squared-gradient accumulators).</summary>");
        w.WriteLine("public void ResetOptimizerState()");
        w.OpenBrace();
        if (optimizer.State(plan.Training).Count == 0)
        {
            w.WriteLine("// plain SGD keeps no state");
        }

        foreach ((string field, _) in optimizer.State(plan.Training))
        {
            w.WriteLine($"global::System.Array.Clear({field});");
        }

        w.CloseBrace();
        w.WriteLine();
        var fields = new List<string>();
        var keys = new List<string>();
        foreach ((string field, string key) in optimizer.State(plan.Training))
        {
            fields.Add(field);
            keys.Add(key);
        }

        w.WriteLine(fields.Count == 0
            ? "/// <summary>The optimizer state arrays: none for plain SGD.</summary>"
            : $"/// <summary>The optimizer state arrays, each laid out like Params, in the order of s_optimizerState ({string.Join(", ", keys)}).</summary>");
        w.WriteLine(fields.Count == 0
            ? "public T[][] OptimizerState() => global::System.Array.Empty<T[]>();"
            : $"public T[][] OptimizerState() => new T[][] {{ {string.Join(", ", fields)} }};");
    }

    /// <summary>The parameter tensors with an L2 or L1 term.</summary>
    /// <summary>The span of the multiplier α of a constrained weight: the <c>constraint_alpha</c> buffer of its layer.</summary>
    private static string Multiplier(Plan plan, StatePlan weight)
    {
        foreach (StatePlan s in plan.State)
        {
            if (s.Node == weight.Node && s.Local == RegularizationRule.MultiplierLocal)
            {
                return $"Bf({EmitNames.StateConst(s)}, 1)";
            }
        }

        return "default";
    }

    internal static List<StatePlan> Regularized(Plan plan)
    {
        var list = new List<StatePlan>();
        foreach (StatePlan p in plan.State)
        {
            if (p.Role == StateRole.Parameter && (p.L2 > 0 || p.L1 > 0 || p.NormBound > 0))
            {
                list.Add(p);
            }
        }

        return list;
    }
}
