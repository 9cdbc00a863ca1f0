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
    internal const string Coverage = "Backend.Cuda covers chains and residual graphs of layers (a tensor read by several nodes): Dense, Conv2D (stride, padding, dilation, groups), MaxPool2D, AvgPool2D, GlobalAvgPool2D, FractionalMaxPool2D, Flatten, BatchNorm1D/2D, LayerNorm, LocalResponseNorm, ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, ELU, Identity, Maxout, Dropout, Dropout2D, VanillaDropout, GaussianDropout, DropConnect, Standout, Residual and stochastic depth; every loss (label smoothing and soft targets included; the hierarchical softmax with its node parameters, Predict's distribution and PredictClasses on the device); every optimizer; WeightDecay, L1, MaxNorm, NormBound and gradient clipping. See docs/cuda.md.";

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
        int[] storage = GradientStorage(plan);
        if (plan.Nodes.Count > 0)
        {
            gradients[storage[plan.Nodes[plan.Nodes.Count - 1].Output]] = true; // ∂L/∂output, written by the loss
        }

        foreach (NodePlan node in plan.Nodes)
        {
            for (int k = 0; k < node.Inputs.Count && k < node.InputGradients.Count; k++)
            {
                if (node.InputGradients[k].Route is GradientRoute.Write or GradientRoute.Discard or GradientRoute.Accumulate)
                {
                    gradients[storage[node.Inputs[k]]] = true;
                }
            }
        }

        return new CudaPlan(plan, nodes.ToEquatableArray(), gradients.ToEquatableArray(), unsupported);
    }

    /// <summary>
    /// The tensor whose gradient buffer holds ∂L/∂(tensor <i>t</i>), for every t (docs/adr/0044): t itself, or, when a node
    /// passes its output's gradient through to t unchanged (the <see cref="GradientRoute.Alias"/> route of a residual
    /// addition or a view), the storage of that output's gradient, as the CPU core shares the slot. Walked in backward order,
    /// so an output's storage is settled before its inputs alias it.
    /// </summary>
    internal static int[] GradientStorage(Plan plan)
    {
        var storage = new int[plan.Tensors.Count];
        for (int t = 0; t < storage.Length; t++)
        {
            storage[t] = t;
        }

        for (int i = plan.Nodes.Count - 1; i >= 0; i--)
        {
            NodePlan node = plan.Nodes[i];
            for (int k = 0; k < node.Inputs.Count && k < node.InputGradients.Count; k++)
            {
                if (node.InputGradients[k].Route == GradientRoute.Alias)
                {
                    storage[node.Inputs[k]] = storage[node.Output];
                }
            }
        }

        return storage;
    }

    /// <summary>Whether tensor <paramref name="id"/> has a second consumer whose backward writes its contribution to
    /// ∂L/∂(tensor) into a buffer of its own (<c>T_L3_Y</c>) before <c>ng_add</c> adds it to the gradient: an
    /// <see cref="GradientRoute.Accumulate"/> route of a node that computes its input gradient.</summary>
    internal static bool NeedsContribution(Plan plan, int id)
    {
        foreach (NodePlan node in plan.Nodes)
        {
            for (int k = 0; k < node.Inputs.Count && k < node.InputGradients.Count; k++)
            {
                if (node.Inputs[k] == id && node.InputGradients[k].Route == GradientRoute.Accumulate && !LayerCatalog.Get(node.Kind).PassesGradientThrough)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The tensor whose storage (and gradient buffer) tensor <paramref name="id"/> uses: a view's (Flatten) is
    /// its input's.</summary>
    internal static int Storage(Plan plan, int id) => plan.Tensors[id].ViewOf >= 0 ? plan.Tensors[id].ViewOf : id;

    /// <summary>An activation with a GEMM epilogue (ReLU, Sigmoid, Tanh: their backward reads only y) right after a Dense
    /// or a Conv2D whose output nothing else reads: the GEMM applies it as it stores, and the Dense output is never stored.</summary>
    private static bool IsFusedEpilogue(Plan plan, int index)
    {
        if (index <= 0 || LayerCatalog.Get(plan.Nodes[index].Kind).CudaEpilogue is null)
        {
            return false;
        }

        NodePlan activation = plan.Nodes[index], previous = plan.Nodes[index - 1];
        if (!LayerCatalog.Get(previous.Kind).CudaAppliesEpilogue || activation.Inputs.Count != 1 || activation.Inputs[0] != previous.Output)
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
            if (reason is not null)
            {
                return $"layer '{node.Name}' ([{node.Label}] {entry.Kind}): {reason}";
            }
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

        // A loss's own parameters (the hierarchical softmax's node vectors, Node < 0) are parameters of the state arena like
        // the layers'; the loss that owns them lowers them (its CudaUnsupportedReason is null only then).
        return null;
    }
}
