using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Catalog;
using NetGen.Generator.Catalog.Layers;
using NetGen.Generator.Lowering;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Emitter;

/// <summary>
/// Monitoring (ADR 0030): read-only views of the node outputs the last forward stored, and, when switched on, of their
/// gradients ∂L/∂y kept by the last backward. Activations are read where the forward left them in the activation arena
/// (no copy, nothing allocated per step); a gradient lives in a reused slot only until its node's backward consumes it, so
/// Backward copies it into a second arena laid out like the activations, one null check per node when monitoring is off.
/// </summary>
internal static partial class NetworkEmitter
{
    /// <summary>The nodes whose output the forward stores in the activation arena (not a view, not the hidden tensors of
    /// the narrow pair, not a Dense/Conv2D whose fused ReLU stores in its place), in execution order.</summary>
    internal static List<NodePlan> MonitoredNodes(CpuPlan cpu)
    {
        var nodes = new List<NodePlan>();
        foreach (NodePlan node in cpu.Plan.Nodes)
        {
            TensorPlan output = cpu.Plan.Tensors[node.Output];
            if (output.ViewOf < 0 && cpu.TensorOffsets[node.Output] >= 0 && !cpu.Nodes[node.Ordinal].FusesNextReLU)
            {
                nodes.Add(node);
            }
        }

        return nodes;
    }

    /// <summary>Whether the monitored <paramref name="node"/>'s output is stored only on request (ADR 0058): the output of
    /// a Conv2D (or of the ReLU fused into it) whose max pool runs in its epilogue, which the pool reads there and no
    /// other kernel reads (see <see cref="Conv2DEntry.StoreY"/>).</summary>
    internal static bool StoredOnRequest(CpuPlan cpu, NodePlan node)
    {
        CpuNode lowered = cpu.Nodes[node.Ordinal];
        if (lowered.FusedIntoPrevious && node.Ordinal > 0)
        {
            lowered = cpu.Nodes[node.Ordinal - 1];
        }

        return lowered.FusedPool >= 0;
    }

    /// <summary>s_activations: one <c>ActivationInfo</c> per monitored node.</summary>
    private static void EmitActivationTable(SourceWriter w, CpuPlan cpu)
    {
        w.WriteLine("// Monitoring: the node outputs the forward stores (views, fused narrow-pair hidden tensors and the Dense/Conv2D outputs a fused ReLU");
        w.WriteLine("// overwrites are left out), and whether backward computes their gradient.");
        w.WriteLine("private static readonly global::NetGen.ActivationInfo[] s_activations = new global::NetGen.ActivationInfo[]");
        w.OpenBrace();
        foreach (NodePlan node in MonitoredNodes(cpu))
        {
            TensorPlan output = cpu.Plan.Tensors[node.Output];
            string onRequest = StoredOnRequest(cpu, node) ? ", onRequest: true" : string.Empty;
            w.WriteLine($"new global::NetGen.ActivationInfo(\"{node.Name}\", \"{node.Kind}\", new int[] {{ {string.Join(", ", output.Shape.Select(d => I(d)))} }}, {EmitNames.TensorConst(node)}, {I(output.Length)}, hasGradient: {(output.NeedsGradient ? "true" : "false")}{onRequest}),");
        }

        w.CloseBrace(";");
    }

    /// <summary>The public monitoring members of the network class.</summary>
    private static void EmitActivationApi(SourceWriter w, string name)
    {
        w.WriteLine("/// <summary>The node outputs kept by the forward pass, for monitoring: layer, kind, shape per sample (see <see cref=\"GetActivations\"/>).</summary>");
        w.WriteLine("public static global::System.Collections.Generic.IReadOnlyList<global::NetGen.ActivationInfo> ActivationTable => s_activations;");
        w.WriteLine();
        w.WriteLine("/// <summary>Rows of the last forward pass (TrainStep, ComputeGradients or the last MaxBatch chunk of Predict); 0 before the first.</summary>");
        w.WriteLine("public int ActivationRows => _core.ForwardRows;");
        w.WriteLine();
        w.WriteLine("/// <summary>Whether backward keeps each node's output gradient ∂L/∂y for <see cref=\"GetActivationGradients\"/> (off by default: it costs");
        w.WriteLine("/// one copy per node and step). Switching it on allocates the gradient arena once.</summary>");
        w.WriteLine("public bool RecordActivationGradients");
        w.OpenBrace();
        w.WriteLine("get => _core.ActivationGradients is not null;");
        w.WriteLine("set => _core.ActivationGradients = value ? _core.ActivationGradients ?? new float[ActivationArenaSize] : null;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Whether the forward also stores the outputs that no kernel reads (<see cref=\"global::NetGen.ActivationInfo.OnRequest\"/>:");
        w.WriteLine("/// a convolution's output whose max pool runs in its epilogue) for <see cref=\"GetActivations\"/> (off by default: it costs one write of");
        w.WriteLine("/// each such output per forward). <c>ActivationMonitor</c> switches it on; <see cref=\"RecordActivationGradients\"/> implies it.</summary>");
        w.WriteLine("public bool RecordActivations");
        w.OpenBrace();
        w.WriteLine("get => _core.RecordActivations;");
        w.WriteLine("set => _core.RecordActivations = value;");
        w.CloseBrace();
        w.WriteLine();
        w.WriteLine("/// <summary>Output <paramref name=\"index\"/> of <see cref=\"ActivationTable\"/> as the last forward left it: [ActivationRows, Length], row-major;");
        w.WriteLine("/// empty for an entry stored on request when the last forward ran with <see cref=\"RecordActivations\"/> (and <see cref=\"RecordActivationGradients\"/>) off.");
        w.WriteLine("/// A view into the network's arena (no copy): read it before the next call.</summary>");
        w.WriteLine($"public global::System.ReadOnlySpan<float> GetActivations(int index) => global::NetGen.ActivationInfo.Slice(s_activations, index, _core.ActivationArena, _core.ForwardRows, \"{name}\", _core.ActivationsRecorded);");
        w.WriteLine();
        w.WriteLine("/// <summary>∂L/∂y of output <paramref name=\"index\"/> of <see cref=\"ActivationTable\"/> from the last backward (data loss, before clipping):");
        w.WriteLine("/// [rows, Length]; empty unless <see cref=\"RecordActivationGradients\"/> is on, or when the entry has no gradient. A view: read it before the next call.</summary>");
        w.WriteLine($"public global::System.ReadOnlySpan<float> GetActivationGradients(int index) => global::NetGen.ActivationInfo.GradientSlice(s_activations, index, _core.ActivationGradients, _core.BackwardRows, \"{name}\");");
        w.WriteLine();
    }

    /// <summary>Core's monitoring fields.</summary>
    private static void EmitMonitoringFields(SourceWriter w)
    {
        w.WriteLine("public int ForwardRows; // rows of the last Forward (monitoring views)");
        w.WriteLine("public int BackwardRows; // rows of the last Backward");
        w.WriteLine("public T[]? ActivationGradients; // monitoring, null = off: ∂L/∂y of each ActivationTable entry, laid out like _acts");
        w.WriteLine("public bool RecordActivations; // monitoring: also store the outputs no kernel reads (ActivationInfo.OnRequest)");
        w.WriteLine("public bool ActivationsRecorded; // whether the last Forward stored them (RecordActivations or RecordActivationGradients on)");
        w.WriteLine("public T[] ActivationArena => _acts;");
    }

    /// <summary>At the top of a monitored node's backward block: keep ∂L/∂y when monitoring is on.</summary>
    private static void EmitGradientCapture(SourceWriter w, CpuPlan cpu, NodePlan node, NodeContext c)
    {
        TensorPlan output = cpu.Plan.Tensors[node.Output];
        if (!output.NeedsGradient || !MonitoredNodes(cpu).Contains(node))
        {
            return;
        }

        string length = $"B * {I(output.Length)}";
        w.WriteLine($"if (ActivationGradients is not null) {c.Dy}.CopyTo(new global::System.Span<T>(ActivationGradients, {EmitNames.TensorConst(node)}, {length})); // monitoring: keep ∂L/∂y");
    }
}
