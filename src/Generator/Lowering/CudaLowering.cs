using System.Collections.Generic;
using NetGen.Generator.Catalog;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Lowering;

/// <summary>The CUDA decisions for one node: whether its activation is applied by the GEMM before it as it stores
/// (<see cref="FusedIntoPrevious"/>), and the activation this node's GEMM applies in its epilogue (<see cref="Epilogue"/>,
/// a <c>NetGen.Cuda.CudaActivation</c> name, or null).</summary>
internal sealed record CudaNode(int Ordinal, bool FusedIntoPrevious, string? Epilogue);

/// <summary>
/// The Plan lowered for CUDA (docs/adr/0038-a-cuda-core-beside-the-cpu-core.md, docs/adr/0045-device-arenas-dispose-and-cuda-graphs.md):
/// every stored activation, every gradient and every parameter, gradient and optimizer-state tensor is a view of its own
/// into one of the two device arenas (the typed launches of <c>NetGen.Cuda.CudaKernels</c> take whole views and read their
/// length), so there are no gradient slots: a tensor's gradient has its own view (<see cref="GradientBuffers"/>). Or, when some node, the loss,
/// the optimizer or a regularisation setting has no CUDA kernel yet, <see cref="Unsupported"/> says which, and the
/// generated class throws that when asked for Backend.Cuda.
/// </summary>
internal sealed record CudaPlan(Plan Plan, EquatableArray<CudaNode> Nodes, EquatableArray<bool> GradientBuffers, string? Unsupported)
{
    public bool Supported => Unsupported is null;
}

/// <summary>Plan → CUDA choices: which networks have a CUDA core, the activation epilogues of the GEMM, and which tensors
/// get a gradient buffer. The CPU's choices (<see cref="CpuLowering"/>) are not read.</summary>
internal static class CudaLowering
{
    /// <summary>The layer kinds, losses and optimizers the CUDA core covers, for messages (docs/cuda.md has the table).</summary>
    internal const string Coverage = "Backend.Cuda covers multilayer perceptrons for now: Dense, ReLU, LeakyReLU, PReLU (one slope), Sigmoid, Tanh, ELU, Identity and Dropout; softmax cross-entropy (class labels) and mean squared error; SGD, Momentum, Nesterov, Adam, AdaGrad and RMSProp; WeightDecay (L2). See docs/cuda.md.";

    public static CudaPlan Lower(CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        string? unsupported = FindUnsupported(cpu);
        var nodes = new List<CudaNode>();
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            bool fused = IsFusedEpilogue(plan, i);
            string? epilogue = i + 1 < plan.Nodes.Count && IsFusedEpilogue(plan, i + 1) ? LayerCatalog.Get(plan.Nodes[i + 1].Kind).CudaEpilogue : null;
            nodes.Add(new CudaNode(i, fused, epilogue));
        }

        var gradients = new bool[plan.Tensors.Count];
        if (plan.Nodes.Count > 0)
        {
            gradients[plan.Nodes[plan.Nodes.Count - 1].Output] = true; // ∂L/∂output, written by the loss
        }

        foreach (NodePlan node in plan.Nodes)
        {
            for (int k = 0; k < node.Inputs.Count && k < node.InputGradients.Count; k++)
            {
                if (node.InputGradients[k].Route is GradientRoute.Write or GradientRoute.Discard)
                {
                    gradients[node.Inputs[k]] = true;
                }
            }
        }

        return new CudaPlan(plan, nodes.ToEquatableArray(), gradients.ToEquatableArray(), unsupported);
    }

    /// <summary>An activation with a GEMM epilogue (ReLU, Sigmoid, Tanh: their backward reads only y) right after a Dense
    /// whose output nothing else reads: the GEMM applies it as it stores, and the Dense output is never stored.</summary>
    private static bool IsFusedEpilogue(Plan plan, int index)
    {
        if (index <= 0 || LayerCatalog.Get(plan.Nodes[index].Kind).CudaEpilogue is null)
        {
            return false;
        }

        NodePlan activation = plan.Nodes[index], previous = plan.Nodes[index - 1];
        if (previous.Kind != "Dense" || activation.Inputs.Count != 1 || activation.Inputs[0] != previous.Output)
        {
            return false;
        }

        int consumers = 0;
        foreach (NodePlan n in plan.Nodes)
        {
            foreach (int input in n.Inputs)
            {
                consumers += input == previous.Output ? 1 : 0;
            }
        }

        return consumers == 1;
    }

    /// <summary>The first thing without a CUDA kernel, in words ("layer 'conv1' ([0] Conv2D): …"), or null.</summary>
    private static string? FindUnsupported(CpuPlan cpu)
    {
        Plan plan = cpu.Plan;
        foreach (NodePlan node in plan.Nodes)
        {
            LayerEntry entry = LayerCatalog.Get(node.Kind);
            string? reason = entry.CudaUnsupportedReason(new NodeContext(cpu, node));
            if (reason is null && node.Inputs.Count != 1)
            {
                reason = "a node with several inputs has no CUDA lowering yet";
            }

            if (reason is null)
            {
                foreach (InputGradient g in node.InputGradients)
                {
                    if (g.Route is GradientRoute.Alias or GradientRoute.Accumulate)
                    {
                        reason = "a tensor read by two nodes (a gradient to accumulate) has no CUDA lowering yet";
                    }
                }
            }

            if (reason is not null)
            {
                return $"layer '{node.Name}' ([{node.Label}] {entry.Kind}): {reason}";
            }
        }

        if (plan.BufferCount + plan.CounterCount > 0)
        {
            return "its buffers (state saved but not trained) have no CUDA lowering yet";
        }

        LossEntry loss = LossCatalog.Get(plan.Training.Loss);
        if (loss.CudaUnsupportedReason(plan.Training) is string lossReason)
        {
            return $"the loss, {loss.Title(plan.Training)}: {lossReason}";
        }

        OptimizerEntry optimizer = OptimizerCatalog.Get(plan.Training.Optimizer);
        if (optimizer.CudaUnsupportedReason(plan.Training) is string optimizerReason)
        {
            return $"the optimizer, {optimizer.Title(plan.Training)}: {optimizerReason}";
        }

        foreach (StatePlan s in plan.State)
        {
            if (s.Role != StateRole.Parameter)
            {
                continue;
            }

            if (s.Node < 0)
            {
                return $"the loss's parameter \"{s.Key}\" has no CUDA lowering yet";
            }

            if (s.L1 > 0 || s.MaxNorm > 0 || s.NormBound > 0)
            {
                string what = s.L1 > 0 ? "the L1 penalty" : s.MaxNorm > 0 ? "the max-norm constraint" : "the explicit norm constraint";
                return $"{what} on \"{s.Key}\" has no CUDA kernel yet (WeightDecay, the L2 penalty, has)";
            }
        }

        return null;
    }
}
