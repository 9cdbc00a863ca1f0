using System.Collections.Generic;
using NetGen.Generator.Catalog;
using NetGen.Generator.Catalog.Layers;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Lowering;

/// <summary>The CPU GEMM kernel of a product (mirrors <c>NetGen.Kernels.GemmMode</c>, whose names the emitter writes).</summary>
internal enum GemmMode
{
    Direct,
    Packed,
    PackedParallel,
}

/// <summary>Where a node stands in the fused narrow pair (Dense ≤ 4 inputs → ReLU → Dense ≤ 4 outputs at the start).</summary>
internal enum PairRole
{
    None,
    First,
    Activation,
    Second,
}

/// <summary>One GEMM C[m,n] = A[m,k]·B[k,n] at the planned batch, and the kernel chosen for it.</summary>
internal sealed record GemmChoice(int M, int N, int K, GemmMode Mode);

/// <summary>The one-row kernel of a Dense layer (mirrors <c>NetGen.Kernels.GemvMode</c>, whose names the emitter writes).</summary>
internal enum GemvMode
{
    Serial,
    Parallel,
}

/// <summary>The product of a Dense layer at batch 1, y[O] = W[O,I]·x[I], and the kernel chosen for it.</summary>
internal sealed record GemvChoice(int Outputs, int Inputs, GemvMode Mode);

/// <summary>The CPU's decisions for one node: fusions, the narrow pair, pre-packed weights and its GEMM kernels
/// (forward x·Wᵀ, backward dy·W and dyᵀ·x), or null where the node has none; <see cref="Row"/>: the kernel of a one-row
/// forward (batch 1), null where the layer has none (not a Dense, or at most 4 inputs: the outer-product form runs).</summary>
/// <see cref="FusedPool"/>: on a Conv2D, the ordinal of the MaxPool2D it computes in its epilogue (kernel ConvPool), else −1;
/// <see cref="PoolOfConv"/>: on that MaxPool2D, the ordinal of the Conv2D, else −1 (ADR 0047);
/// <see cref="MasksReLU"/>: on a MaxPool2D, the ordinal of the ReLU before it whose backward mask it applies as it places
/// each gradient (kernel MaxPool2DReLU), else −1; <see cref="MaskedByPool"/>: on that ReLU, the pool's ordinal, else −1
/// (ADR 0052); <see cref="BackwardPool"/>: on a Conv2D whose fused ReLU that pool masks, without dx, the pool's ordinal, whose
/// backward then computes the convolution's dW and db too (kernel ConvPoolBackward), or, with dx, its dx, dW and db
/// (kernel PoolConvBackward, ADR 0064), else −1; <see cref="ConvOfBackward"/>:
/// on that MaxPool2D, the Conv2D's ordinal, else −1 (ADR 0059);
/// <see cref="RowPairNext"/>: on a Dense whose one-row forward runs with the next Dense's in one parallel region
/// (<c>Gemv.ForwardPair</c>), that Dense's ordinal, else −1; <see cref="RowPairOf"/>: on that next Dense, the first's,
/// else −1 (ADR 0061).
internal sealed record CpuNode(int Ordinal, bool FusedIntoPrevious, bool FusesNextReLU, PairRole Pair, bool PackedWeights, GemmChoice? Forward, GemmChoice? BackwardData, GemmChoice? BackwardWeights, GemvChoice? Row = null, int FusedPool = -1, int PoolOfConv = -1, int MasksReLU = -1, int MaskedByPool = -1, int BackwardPool = -1, int ConvOfBackward = -1, int RowPairNext = -1, int RowPairOf = -1);

/// <summary>
/// The Plan lowered for the CPU: the activation arena (offset of every stored tensor and float cache, in execution order;
/// views share their source's storage; the narrow pair's hidden tensors are never stored), the int arena of index
/// caches, the size of a gradient slot, and each node's <see cref="CpuNode"/>.
/// </summary>
internal sealed record CpuPlan(
    Plan Plan,
    EquatableArray<CpuNode> Nodes,
    EquatableArray<int> TensorOffsets,
    EquatableArray<int> CacheOffsets,
    int ActivationArenaSize,
    int IndexArenaSize,
    int GradientSlotSize,
    bool NarrowPair)
{
    public long ActivationBytes => ((long)ActivationArenaSize + ((long)Plan.GradientSlots * GradientSlotSize)) * 4 + (long)IndexArenaSize * 4;

    public bool AnyPackedWeights
    {
        get
        {
            foreach (CpuNode node in Nodes)
            {
                if (node.PackedWeights)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>
/// Plan → CPU choices. Everything here is specific to NetGen's CPU kernels: the GEMM kernel per product (the rule of
/// <c>NetGen.Kernels.Gemm.Choose</c>), pre-packed Wᵀ for Dense layers whose forward GEMM is packed, ReLU fused into the
/// store of the Dense or Conv2D before it, and the fused narrow pair. A CUDA backend lowers the same Plan its own way.
/// </summary>
internal static class CpuLowering
{
    /// <summary>Largest input count and output count of a fused narrow pair (the runtime's DenseReLUDense.MaxInputs/MaxOutputs).</summary>
    internal const int NarrowPairLimit = 4;

    /// <summary>The widest GEMM panel of any machine (NR for float with Vector512): pre-packed Wᵀ rounds its columns up to
    /// it (<c>PackedGemm.PackedLength</c>).</summary>
    internal const int WidestPanel = 32;

    public static CpuPlan Lower(Plan plan)
    {
        bool pair = IsNarrowPair(plan.Nodes, plan.Tensors);
        int batch = plan.MaxBatch;
        var nodes = new List<CpuNode>();
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            NodePlan node = plan.Nodes[i];
            PairRole role = pair && i < 3 ? (PairRole)(i + 1) : PairRole.None;
            bool fusedIntoPrevious = role == PairRole.None && IsFusedReLU(plan, i);
            bool fusesNext = role == PairRole.None && i + 1 < plan.Nodes.Count && IsFusedReLU(plan, i + 1);
            GemmChoice? forward = null, data = null, weights = null;
            GemvChoice? row = null;
            bool packed = false;
            if (node.Kind == "Dense" && role == PairRole.None)
            {
                int inputs = plan.Tensors[node.Inputs[0]].Length, outputs = plan.Tensors[node.Output].Length;
                forward = Choose(batch, outputs, inputs);
                data = node.InputGradients[0].Route == GradientRoute.None ? null : Choose(batch, inputs, outputs);
                weights = Choose(outputs, inputs, batch);
                packed = forward.Mode != GemmMode.Direct;
                row = inputs > NarrowPairLimit ? new GemvChoice(outputs, inputs, ChooseGemv(outputs, inputs)) : null;
            }

            nodes.Add(new CpuNode(i, fusedIntoPrevious, fusesNext, role, packed, forward, data, weights, row));
        }

        // Dense → fused ReLU → Dense at batch 1: the two GEMVs in one parallel region (ADR 0061).
        for (int i = 0; i + 2 < nodes.Count; i++)
        {
            int next = i + 2;
            // Both with pre-packed weights: they hold the row panels and the other core's partial sums, so a call
            // allocates nothing (a network planned for batch 1 has none, and keeps the two calls).
            if (nodes[i].Row is { } first && nodes[next].Row is { } second && nodes[i].FusesNextReLU &&
                nodes[i].PackedWeights && nodes[next].PackedWeights &&
                nodes[i].RowPairOf < 0 && plan.Nodes[next].Kind == "Dense" && plan.Nodes[next].Inputs[0] == plan.Nodes[i + 1].Output &&
                PairsGemv(first.Inputs, first.Outputs, second.Outputs))
            {
                nodes[i] = nodes[i] with { RowPairNext = next };
                nodes[next] = nodes[next] with { RowPairOf = i };
            }
        }

        // Conv2D (→ fused ReLU) → MaxPool2D 2×2 stride 2: the pool runs in the convolution's epilogue.
        for (int i = 0; i < nodes.Count; i++)
        {
            int pool = FusedPool(plan, i, nodes[i].FusesNextReLU);
            if (pool >= 0 && nodes[i].Pair == PairRole.None)
            {
                nodes[i] = nodes[i] with { FusedPool = pool };
                nodes[pool] = nodes[pool] with { PoolOfConv = i };
            }
        }

        // ReLU → MaxPool2D: the pool's backward applies the ReLU's mask (ADR 0052).
        for (int i = 0; i < nodes.Count; i++)
        {
            int relu = MaskedReLU(plan, i);
            if (relu >= 0)
            {
                nodes[i] = nodes[i] with { MasksReLU = relu };
                nodes[relu] = nodes[relu] with { MaskedByPool = i };
            }
        }

        // Conv2D (no dx) → fused ReLU → MaxPool2D masking it: the pool's backward computes the convolution's dW, db (ADR 0059).
        for (int i = 0; i < nodes.Count; i++)
        {
            int pool = BackwardPool(plan, nodes, i);
            if (pool >= 0)
            {
                nodes[i] = nodes[i] with { BackwardPool = pool };
                nodes[pool] = nodes[pool] with { ConvOfBackward = i };
            }
        }

        // The activation arena: each stored output, then the node's float caches, in execution order.
        var tensorOffsets = new int[plan.Tensors.Count];
        var cacheOffsets = new int[plan.Caches.Count];
        for (int t = 0; t < tensorOffsets.Length; t++)
        {
            tensorOffsets[t] = -1;
        }

        int arena = 0, indices = 0;
        foreach (NodePlan node in plan.Nodes)
        {
            TensorPlan output = plan.Tensors[node.Output];
            if (output.ViewOf >= 0)
            {
                tensorOffsets[node.Output] = tensorOffsets[output.ViewOf];
            }
            else if (!(pair && node.Ordinal < 2))
            {
                tensorOffsets[node.Output] = arena;
                arena = checked(arena + checked(batch * output.Length));
            }

            for (int c = 0; c < plan.Caches.Count; c++)
            {
                CachePlan cache = plan.Caches[c];
                if (cache.Node != node.Ordinal)
                {
                    continue;
                }

                int length = cache.PerSample ? checked(batch * cache.Length) : cache.Length;
                if (cache.IsInt)
                {
                    cacheOffsets[c] = indices;
                    indices = checked(indices + length);
                }
                else
                {
                    cacheOffsets[c] = arena;
                    arena = checked(arena + length);
                }
            }
        }

        // A gradient slot holds the widest tensor whose gradient exists (the narrow pair's hidden ones never do), or the
        // widest input a kernel writes a discarded gradient for.
        int widest = 1;
        foreach (TensorPlan t in plan.Tensors)
        {
            if (t.NeedsGradient && !(pair && (t.Producer == 0 || t.Producer == 1)))
            {
                widest = System.Math.Max(widest, t.Length);
            }
        }

        widest = System.Math.Max(widest, plan.OutputSize);
        foreach (NodePlan node in plan.Nodes)
        {
            for (int k = 0; k < node.Inputs.Count; k++)
            {
                if (node.InputGradients.Count > k && node.InputGradients[k].Route == GradientRoute.Discard)
                {
                    widest = System.Math.Max(widest, plan.Tensors[node.Inputs[k]].Length);
                }
            }
        }

        return new CpuPlan(plan, nodes.ToEquatableArray(), tensorOffsets.ToEquatableArray(), cacheOffsets.ToEquatableArray(), arena, indices, checked(batch * widest), pair);
    }

    /// <summary>
    /// The MaxPool2D that the Conv2D at <paramref name="index"/> computes in its epilogue (<c>Kernels.ConvPool</c>), or −1: the
    /// convolution takes the direct path (<see cref="Conv2DEntry.RunsDirect"/>) or is one that <c>Kernels.ConvGemmPool</c> runs
    /// with its pool (<see cref="Conv2DEntry.GemmPool"/>, ADR 0065), its output (or its fused ReLU's) has the
    /// pool as its only reader, and the pool is 2×2 with stride 2 and padding 0 or 1 on each axis (the windows of
    /// <c>Kernels.MaxPool2DPairs</c>). The pool still writes its output and, in training, its argmax; the ReLU's output is
    /// still stored (its backward and the activation views read it).
    /// </summary>
    private static int FusedPool(Plan plan, int index, bool fusesReLU)
    {
        NodePlan conv = plan.Nodes[index];
        int next = index + (fusesReLU ? 2 : 1);
        if (conv.Kind != "Conv2D" || next >= plan.Nodes.Count || plan.Nodes[next].Kind != "MaxPool2D")
        {
            return -1;
        }

        int source = fusesReLU ? plan.Nodes[index + 1].Output : conv.Output;
        NodePlan pool = plan.Nodes[next];
        MaxPool2DEntry.PoolArgs p = MaxPool2DEntry.Args(pool.Arguments);
        EquatableArray<int> inShape = plan.Tensors[conv.Inputs[0]].Shape, outShape = plan.Tensors[conv.Output].Shape;
        if (pool.Inputs[0] != source || p.Kh != 2 || p.Kw != 2 || p.Sh != 2 || p.Sw != 2 || p.Ph > 1 || p.Pw > 1 ||
            !(Conv2DEntry.RunsDirect(conv.Arguments, inShape, outShape) || Conv2DEntry.GemmPool(conv.Arguments, inShape, outShape, p)))
        {
            return -1;
        }

        foreach (NodePlan n in plan.Nodes)
        {
            foreach (int input in n.Inputs)
            {
                if (input == source && n.Ordinal != next)
                {
                    return -1;
                }
            }
        }

        return next;
    }

    /// <summary>
    /// The ReLU whose backward the MaxPool2D at <paramref name="index"/> folds into its own (<c>Kernels.MaxPool2DReLU</c>),
    /// or −1: the pool reads a ReLU's output that nothing else reads, and the planner kept the ReLU's ∂L/∂x in the slot of
    /// its ∂L/∂y (so the pool's ∂L/∂x, which the ReLU would have read, is where the ReLU's ∂L/∂x belongs). The pool's output
    /// is the ReLU's output at the argmax, so the mask needs only the pooled values.
    /// </summary>
    private static int MaskedReLU(Plan plan, int index)
    {
        NodePlan pool = plan.Nodes[index];
        if (pool.Kind != "MaxPool2D" || pool.InputGradients.Count != 1 || pool.InputGradients[0].Route != GradientRoute.Write)
        {
            return -1;
        }

        int producer = plan.Tensors[pool.Inputs[0]].Producer;
        if (producer < 0 || plan.Nodes[producer].Kind != "ReLU")
        {
            return -1;
        }

        NodePlan relu = plan.Nodes[producer];
        InputGradient g = relu.InputGradients[0];
        if (g.Route != GradientRoute.Write || g.Slot != relu.OutputGradientSlot || g.Slot != pool.InputGradients[0].Slot)
        {
            return -1;
        }

        foreach (NodePlan n in plan.Nodes)
        {
            foreach (int input in n.Inputs)
            {
                if (input == relu.Output && n.Ordinal != index)
                {
                    return -1;
                }
            }
        }

        return producer;
    }

    /// <summary>
    /// The MaxPool2D whose backward computes the Conv2D at <paramref name="index"/>'s dW and db as well
    /// (<c>Kernels.ConvPoolBackward</c>), or −1: the convolution needs no ∂L/∂x (a network's first layer), its ReLU is fused
    /// into its store and masked by the pool's backward (so the convolution's ∂L/∂y is exactly what the pool's backward
    /// writes, in the slot it writes it), and its dW runs on the direct kernel of 512-bit registers
    /// (<see cref="Conv2DEntry.DirectWeightGradient"/>).
    /// </summary>
    /// <remarks>A convolution that writes ∂L/∂x (<see cref="GradientRoute.Write"/>) takes the same fusion where
    /// <c>Kernels.PoolConvBackward</c> serves it (ADR 0064): its geometry by <see cref="Conv2DEntry.PoolDx"/> and a pool of
    /// 2×2 windows, stride 2, unpadded; dx, dW and db are then summed over the pool's sparse gradient.</remarks>
    private static int BackwardPool(Plan plan, List<CpuNode> nodes, int index)
    {
        NodePlan conv = plan.Nodes[index];
        if (conv.Kind != "Conv2D" || !nodes[index].FusesNextReLU || nodes[index].Pair != PairRole.None ||
            conv.InputGradients.Count != 1 || conv.InputGradients[0].Route is not (GradientRoute.None or GradientRoute.Write))
        {
            return -1;
        }

        int pool = nodes[index + 1].MaskedByPool;
        NodePlan relu = plan.Nodes[index + 1];
        if (pool < 0 || conv.OutputGradientSlot != relu.InputGradients[0].Slot)
        {
            return -1;
        }

        EquatableArray<int> input = plan.Tensors[conv.Inputs[0]].Shape;
        if (conv.InputGradients[0].Route == GradientRoute.None)
        {
            return Conv2DEntry.DirectWeightGradient(conv.Arguments, input) ? pool : -1;
        }

        // dx is written where the pool's backward runs: nothing may run between it and the convolution's own backward
        // (only the ReLU, whose backward the pool's does), so the slot dx goes to holds nothing else by then.
        if (pool != index + 2)
        {
            return -1;
        }

        MaxPool2DEntry.PoolArgs window = MaxPool2DEntry.Args(plan.Nodes[pool].Arguments);
        bool pairs = window.Kh == 2 && window.Kw == 2 && window.Sh == 2 && window.Sw == 2 && window.Ph == 0 && window.Pw == 0;
        return pairs && Conv2DEntry.PoolDx(conv.Arguments, input, plan.Tensors[conv.Output].Shape) ? pool : -1;
    }

    /// <summary>A ReLU whose only input is the output of a Dense or Conv2D that nothing else reads: the kernel before it
    /// applies max(0, ·) as it stores (its backward needs only its own output, which the fused store writes).</summary>
    private static bool IsFusedReLU(Plan plan, int index)
    {
        if (index <= 0 || plan.Nodes[index].Kind != "ReLU")
        {
            return false;
        }

        NodePlan relu = plan.Nodes[index], previous = plan.Nodes[index - 1];
        if (relu.Inputs[0] != previous.Output || !LayerCatalog.Get(previous.Kind).FusesReLUEpilogue)
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

        return consumers == 1 && !(IsNarrowPair(plan.Nodes, plan.Tensors) && index - 1 < 3);
    }

    /// <summary>
    /// Whether nodes 0, 1, 2 form a narrow pair that runs as one fused kernel (<c>DenseReLUDense</c>): Dense with at most
    /// 4 inputs, ReLU, Dense with at most 4 outputs, at the start of the network (the input needs no gradient), each
    /// reading the previous one's output. Its hidden activations are recomputed in the backward pass instead of stored.
    /// </summary>
    internal static bool IsNarrowPair(EquatableArray<NodePlan> nodes, EquatableArray<TensorPlan> tensors) =>
        nodes.Count >= 3 &&
        nodes[0].Kind == "Dense" && nodes[1].Kind == "ReLU" && nodes[2].Kind == "Dense" &&
        nodes[0].Inputs[0] == 0 && nodes[1].Inputs[0] == nodes[0].Output && nodes[2].Inputs[0] == nodes[1].Output &&
        OnlyConsumer(nodes, nodes[0].Output, 1) && OnlyConsumer(nodes, nodes[1].Output, 2) &&
        tensors[0].Length is >= 1 and <= NarrowPairLimit &&
        tensors[nodes[2].Output].Length is >= 1 and <= NarrowPairLimit;

    private static bool OnlyConsumer(EquatableArray<NodePlan> nodes, int tensor, int consumer)
    {
        foreach (NodePlan n in nodes)
        {
            foreach (int input in n.Inputs)
            {
                if (input == tensor && n.Ordinal != consumer)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The GEMM kernel for C[m,n] = A[m,k]·B[k,n], by the rule of <c>NetGen.Kernels.Gemm.Choose</c> (a test keeps the two
    /// equal): Direct under 6 rows, under 4 columns or depth, or under 2¹⁵ multiply-adds; PackedParallel from 2²⁰; Packed
    /// in between. The batch is the planned one (BatchSize); see docs/performance.md.
    /// </summary>
    internal static GemmChoice Choose(int m, int n, int k) => new(m, n, k, ChooseMode(m, n, k));

    internal static GemmMode ChooseMode(int m, int n, int k)
    {
        long work = (long)m * n * k;
        if (m < 6 || n < 4 || k < 4 || work < (1L << 15))
        {
            return GemmMode.Direct;
        }

        return work >= (1L << 20) ? GemmMode.PackedParallel : GemmMode.Packed;
    }

    /// <summary>
    /// The kernel of a Dense layer's one-row forward, by the rule of <c>NetGen.Kernels.Gemv.Choose</c> (a test keeps the two
    /// equal): split over the cores from 2¹⁶ multiply-adds and at least 16 outputs (two 8-row blocks), else one core. See
    /// docs/adr/0034-batch-1-gemv-split-over-the-cores.md.
    /// </summary>
    internal static GemvMode ChooseGemv(int outputs, int inputs) =>
        (long)outputs * inputs >= (1L << 16) && outputs >= 16 ? GemvMode.Parallel : GemvMode.Serial;

    /// <summary>
    /// Whether the one-row forwards of a Dense layer <paramref name="inputs"/> → <paramref name="hidden"/> (ReLU fused) and
    /// of the Dense <paramref name="hidden"/> → <paramref name="outputs"/> that reads its output run in one parallel region,
    /// by the rule of <c>NetGen.Kernels.Gemv.Pairs</c> (a test keeps the two equal): the first split over the cores, the
    /// second not, and at least 32 hidden units. See docs/adr/0061-the-batch-1-mlp-in-one-parallel-region.md.
    /// </summary>
    internal static bool PairsGemv(int inputs, int hidden, int outputs) =>
        ChooseGemv(hidden, inputs) == GemvMode.Parallel && ChooseGemv(outputs, hidden) == GemvMode.Serial && hidden >= 32 && outputs > 0;

    /// <summary>
    /// Whether the second Dense of a batch-1 pair (<see cref="PairsGemv"/>) computes its halves as one FMA chain per output
    /// over its weight's columns, by the rule of <c>NetGen.Kernels.Gemv.PairColumns</c> (a test keeps the two equal): from
    /// 64 outputs. See docs/adr/0067-batch-1-pair-second-layer-over-columns.md.
    /// </summary>
    internal static bool PairColumns(int outputs) => outputs >= 64;

    /// <summary>
    /// Whether a Dense layer with pre-packed weights reads its one-row forward from row panels, by the rule of
    /// <c>NetGen.Kernels.Gemv.UsesRowPanels</c> (a test keeps the two equal): from 2¹³ weights. See
    /// docs/adr/0054-batch-1-row-panels-and-one-core-while-the-workers-sleep.md.
    /// </summary>
    internal static bool UsesRowPanels(int outputs, int inputs) => (long)outputs * inputs >= (1L << 13);

    /// <summary>Elements of the fused narrow pair's scratch, <c>DenseReLUDense.ScratchLength</c> in long (a test keeps the two
    /// equal): (I + 1 + O) rows of the hidden width padded to 16, twice.</summary>
    internal static long PairScratchLength(int inputs, int hidden, int outputs) =>
        2L * (inputs + 1 + outputs) * RoundUp(hidden, 16);

    /// <summary>NG0104 for the buffers the CPU kernels allocate beside the arenas: each pre-packed Wᵀ (columns rounded up to
    /// <see cref="WidestPanel"/>) and the fused narrow pair's scratch.</summary>
    internal static void CheckSizes(PlanContext context, NetworkSpec spec)
    {
        if (context.TooLarge)
        {
            return;
        }

        IReadOnlyList<NodeBuilder> nodes = context.Nodes;
        IReadOnlyList<TensorPlan> tensors = context.Tensors;
        bool pair = nodes.Count >= 3 && nodes[0].Entry.Kind == "Dense" && nodes[1].Entry.Kind == "ReLU" && nodes[2].Entry.Kind == "Dense" &&
            nodes[0].Inputs[0] == 0 && tensors[0].Length <= NarrowPairLimit && tensors[nodes[2].Output].Length <= NarrowPairLimit;
        if (pair)
        {
            long scratch = PairScratchLength(tensors[0].Length, tensors[nodes[0].Output].Length, tensors[nodes[2].Output].Length);
            if (scratch > NetworkPlanner.MaxArrayLength)
            {
                context.ReportTooLarge(nodes[0].Entry.ShapeLocation(nodes[0].Spec), $"the scratch of the fused layers '{nodes[0].Spec.Display(0)}' to '{nodes[2].Spec.Display(2)}'", scratch, "Use fewer units.");
                return;
            }
        }

        for (int i = 0; i < nodes.Count; i++)
        {
            NodeBuilder node = nodes[i];
            int inputs = tensors[node.Inputs[0]].Length, outputs = tensors[node.Output].Length;
            if (node.Entry.Kind != "Dense" || (pair && i < 3) || ChooseMode(context.Batch, outputs, inputs) == GemmMode.Direct)
            {
                continue;
            }

            long packed = RoundUp(outputs, WidestPanel) * inputs;
            if (packed > NetworkPlanner.MaxArrayLength)
            {
                context.ReportTooLarge(node.Entry.ShapeLocation(node.Spec), $"the pre-packed weights of layer '{node.Spec.Display(i)}'", packed, "Use fewer units or a smaller InputSize.");
                return;
            }
        }
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
