using System.Globalization;
using NetGen.Generator.Emitter;
using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// What an entry needs to describe and emit one node: its arguments and shapes, and C# expressions for its tensors
/// (spans into the arenas of the generated Core, as the CPU lowering placed them). Forward blocks use <see cref="X"/> and
/// <see cref="Y"/>; backward blocks <see cref="Dy"/> and <see cref="Dx"/> (null when nothing before needs ∂L/∂x).
/// </summary>
internal sealed class NodeContext
{
    public NodeContext(CpuPlan cpu, NodePlan node)
    {
        Cpu = cpu;
        Node = node;
    }

    /// <summary>A context whose state spans and output are replaced (a Conv2D run with BatchNorm folded into its weights,
    /// writing straight into the BatchNorm's output).</summary>
    public NodeContext(CpuPlan cpu, NodePlan node, System.Collections.Generic.IReadOnlyDictionary<string, string> state, string output)
        : this(cpu, node)
    {
        _state = state;
        _output = output;
    }

    private readonly System.Collections.Generic.IReadOnlyDictionary<string, string>? _state;
    private readonly string? _output;

    public CpuPlan Cpu { get; }

    public Plan Plan => Cpu.Plan;

    public NodePlan Node { get; }

    /// <summary>This node's mask key at this step, drawn alike by the CPU and the CUDA cores (so a seed gives the same masks
    /// on both): <c>CounterRng.Key(seed, DropoutStream, node ordinal, step)</c>, as an expression of the generated code.</summary>
    public string DropoutKey => $"global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(Node.Ordinal)}, (ulong)step)";

    /// <summary>For the CUDA core's comments: the formulas leave out the CPU's kernel choices (which CPU kernel runs a
    /// convolution and by which rule), since the CUDA core runs its own kernels, named on the line after.</summary>
    public bool Cuda { get; init; }

    public CpuNode Lowered => Cpu.Nodes[Node.Ordinal];

    public EquatableArray<ArgumentValue> Args => Node.Arguments;

    public EquatableArray<int> InputShape => Plan.Tensors[Node.Inputs[0]].Shape;

    public EquatableArray<int> OutputShape => Plan.Tensors[Node.Output].Shape;

    /// <summary>Input elements per sample, as a literal.</summary>
    public string In => I(Plan.Tensors[Node.Inputs[0]].Length);

    /// <summary>Output elements per sample, as a literal.</summary>
    public string Out => I(Plan.Tensors[Node.Output].Length);

    public int InputLength => Plan.Tensors[Node.Inputs[0]].Length;

    public int OutputLength => Plan.Tensors[Node.Output].Length;

    /// <summary>The input span, [B, in].</summary>
    public string X => TensorSpan(Node.Inputs[0]);

    /// <summary>Input <paramref name="i"/>'s span.</summary>
    public string Xi(int i) => TensorSpan(Node.Inputs[i]);

    /// <summary>The output span, [B, out] (with a fused ReLU: the ReLU's output, where the store lands).</summary>
    public string Y => _output ?? TensorSpan(Cpu.Nodes[Node.Ordinal].FusesNextReLU ? Plan.Nodes[Node.Ordinal + 1].Output : Node.Output);

    /// <summary>∂L/∂y, [B, out].</summary>
    public string Dy => Slot(Node.OutputGradientSlot, OutputLength);

    /// <summary>∂L/∂x, [B, in]: where this node's backward writes it (a temporary when another consumer wrote the
    /// input's gradient already, a scratch slot when nothing needs it but the kernel writes it anyway); null when
    /// nothing needs it and the kernel can skip it.</summary>
    public string? Dx => Dxi(0);

    public string? Dxi(int i)
    {
        InputGradient g = Node.InputGradients[i];
        int length = Plan.Tensors[Node.Inputs[i]].Length;
        return g.Route switch
        {
            GradientRoute.Write => Slot(g.Slot, length),
            GradientRoute.Accumulate => Slot(g.TempSlot, length),
            GradientRoute.Discard => Slot(g.TempSlot, length),
            _ => null,
        };
    }

    public bool AnyInputGradient
    {
        get
        {
            foreach (InputGradient g in Node.InputGradients)
            {
                if (g.Route is GradientRoute.Write or GradientRoute.Accumulate)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public bool HasParameters
    {
        get
        {
            foreach (StatePlan s in Plan.State)
            {
                if (s.Node == Node.Ordinal && s.Role == StateRole.Parameter)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public bool HasState(string local) => FindState(local) is not null;

    public StatePlan State(string local) => FindState(local) ?? throw new System.InvalidOperationException($"Node {Node.Path} has no state '{local}'.");

    /// <summary>A parameter's values: <c>P(L0_Weight, 600)</c>; "default" (an empty span) when the layer lacks it.</summary>
    public string P(string local) => _state is not null && _state.TryGetValue(local, out string? span) ? span : FindState(local) is { } s ? $"P({EmitNames.StateConst(s)}, {I(s.Length)})" : "default";

    /// <summary>A parameter's gradient: <c>G(L0_Weight, 600)</c>; "default" when the layer lacks it.</summary>
    public string G(string local) => FindState(local) is { } s ? $"G({EmitNames.StateConst(s)}, {I(s.Length)})" : "default";

    /// <summary>A float buffer: <c>Bf(L1_RunningMean, 4)</c>.</summary>
    public string Buf(string local) => FindState(local) is { } s ? $"Bf({EmitNames.StateConst(s)}, {I(s.Length)})" : "default";

    /// <summary>An I64 buffer (one element): <c>Counters[0]</c>.</summary>
    public string Counter(string local) => $"Counters[{EmitNames.StateConst(State(local))}]";

    /// <summary>A cache kept from forward: <c>A(L3_Mask, B * 24)</c>, or <c>Ix(L2_Argmax, B * 64)</c> for int caches.</summary>
    public string Cache(string local)
    {
        for (int i = 0; i < Plan.Caches.Count; i++)
        {
            CachePlan cache = Plan.Caches[i];
            if (cache.Node == Node.Ordinal && cache.Local == local)
            {
                string length = cache.PerSample ? $"B * {I(cache.Length)}" : I(cache.Length);
                return $"{(cache.IsInt ? "Ix" : "A")}({EmitNames.CacheConst(Node, local)}, {length})";
            }
        }

        throw new System.InvalidOperationException($"Node {Node.Path} has no cache '{local}'.");
    }

    /// <summary>The span of activation tensor <paramref name="id"/>: "x" for the network input, else its arena slice.</summary>
    public string TensorSpan(int id)
    {
        if (id == 0)
        {
            return "x";
        }

        TensorPlan t = Plan.Tensors[id];
        int storage = t.ViewOf >= 0 ? t.ViewOf : id;
        if (storage == 0)
        {
            return "x";
        }

        return $"A({EmitNames.TensorConst(Plan.Nodes[Plan.Tensors[storage].Producer])}, B * {I(t.Length)})";
    }

    public static string Slot(int slot, int length) => $"D{I(slot)}(B * {I(length)})";

    public static string F(double value) => LayerCatalog.F(value);

    public static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private StatePlan? FindState(string local)
    {
        foreach (StatePlan s in Plan.State)
        {
            if (s.Node == Node.Ordinal && s.Local == local)
            {
                return s;
            }
        }

        return null;
    }
}
