using NetGen.Generator.Model;

namespace NetGen.Generator.Planner;

/// <summary>
/// What the network computes, backend-neutral: a graph of nodes in execution order over N-D activation tensors, the
/// state tensors (parameters and buffers, in PyTorch state_dict order), the caches kept for backward, and the routing of
/// activation gradients through slots assigned by liveness over the reverse order. No kernel choice, no memory offset of
/// an activation: those belong to a backend's lowering (<see cref="Lowering.CpuLowering"/>). Pure data, no Roslyn, so
/// equal plans mean identical source and the output is cached.
/// </summary>
internal sealed record Plan(
    string? Namespace,
    string ClassName,
    EquatableArray<int> InputShape,
    int MaxBatch,
    TrainingSpec Training,
    EquatableArray<NodePlan> Nodes,
    EquatableArray<TensorPlan> Tensors,
    EquatableArray<StatePlan> State,
    EquatableArray<CachePlan> Caches,
    int GradientSlots,
    long FlopsPerSample,
    EquatableArray<string> Errors)
{
    public bool HasErrors => Errors.Count > 0;

    public int InputSize => NetworkPlanner.Product(InputShape);

    /// <summary>The tensor the loss reads: the last node's output.</summary>
    public TensorPlan OutputTensor => Tensors[Nodes[Nodes.Count - 1].Output];

    public EquatableArray<int> OutputShape => Nodes.Count == 0 ? InputShape : OutputTensor.Shape;

    public int OutputSize => Nodes.Count == 0 ? 0 : OutputTensor.Length;

    /// <summary>Elements of the parameter arena (every <see cref="StateRole.Parameter"/> tensor).</summary>
    public int ParameterCount => CountOf(StateRole.Parameter, StateDtype.F32);

    /// <summary>Elements of the float buffer arena (BatchNorm's running statistics…).</summary>
    public int BufferCount => CountOf(StateRole.Buffer, StateDtype.F32);

    /// <summary>Number of I64 buffers (BatchNorm's num_batches_tracked), each one element.</summary>
    public int CounterCount => CountOf(StateRole.Buffer, StateDtype.I64);

    public long ParameterBytes => ParameterCount * 4L;

    private int CountOf(StateRole role, StateDtype dtype)
    {
        int count = 0;
        foreach (StatePlan s in State)
        {
            if (s.Role == role && s.Dtype == dtype)
            {
                count += s.Length;
            }
        }

        return count;
    }
}

/// <summary>
/// One node: a layer at a path in the module tree ("3", "3.branch.0"), the catalog entry that computes it, its typed
/// arguments, its input tensors and its output tensor, and how its backward routes the gradient of each input.
/// <see cref="Ordinal"/> is the node's place in execution order (it keys dropout masks; for a flat network it is the
/// nn.Sequential index).
/// </summary>
internal sealed record NodePlan(
    int Ordinal,
    string Kind,
    string Name,
    string Path,
    EquatableArray<ArgumentValue> Arguments,
    EquatableArray<int> Inputs,
    int Output,
    long Flops,
    EquatableArray<InputGradient> InputGradients,
    int OutputGradientSlot)
{
    /// <summary>The node's label in headers and summaries: its path, e.g. "3" or "3.branch.0".</summary>
    public string Label => Path;
}

/// <summary>How a node's backward delivers ∂L/∂(input i): <see cref="GradientRoute.None"/> (nothing before needs it),
/// <see cref="GradientRoute.Write"/> (overwrite slot <see cref="Slot"/>), <see cref="GradientRoute.Alias"/> (the input's
/// gradient is the output's gradient itself, no code), or <see cref="GradientRoute.Accumulate"/> (another consumer wrote the
/// slot already: write into <see cref="TempSlot"/>, then add it to <see cref="Slot"/>; a pass-through node adds its output
/// gradient directly and needs no temporary).</summary>
internal sealed record InputGradient(GradientRoute Route, int Slot, int TempSlot);

internal enum GradientRoute
{
    None,
    Write,
    Alias,
    Accumulate,

    /// <summary>Nothing needs the input's gradient, but the kernel writes one: it goes to the scratch slot <see cref="InputGradient.TempSlot"/>.</summary>
    Discard,
}

/// <summary>An activation tensor, per sample: the network input (id 0, producer −1) or a node's output. A view
/// (<see cref="ViewOf"/> ≥ 0, e.g. Flatten) shares its storage with another tensor.</summary>
internal sealed record TensorPlan(int Id, EquatableArray<int> Shape, int Length, int Producer, int ViewOf, bool NeedsGradient);

internal enum StateRole
{
    Parameter,
    Buffer,
}

internal enum StateDtype
{
    F32,
    I64,
}

/// <summary>
/// A state tensor: its state_dict key (the node's path + the local name, exactly as PyTorch module nesting gives it), its
/// role (parameters are trained and gradient-checked; buffers are saved and loaded), dtype, shape, place in its arena
/// (parameters, float buffers or I64 counters), initialisation, and its regularisation: <see cref="WeightDecay"/> says
/// whether any applies, <see cref="L2"/>, <see cref="L1"/> and <see cref="MaxNorm"/> are the resolved strengths
/// (0 = off; see <see cref="Catalog.RegularizationRule"/>); <see cref="NormBound"/> k and <see cref="DualRate"/> ρ are a Dense
/// weight's explicit constraint ½·‖W‖²_F ≤ k (0 = off).
/// </summary>
internal sealed record StatePlan(
    int Index,
    string Key,
    string Local,
    int Node,
    string Layer,
    StateRole Role,
    StateDtype Dtype,
    EquatableArray<int> Shape,
    int Offset,
    int Length,
    bool WeightDecay,
    InitRule Init,
    double L2 = 0,
    double L1 = 0,
    double MaxNorm = 0,
    double NormBound = 0,
    double DualRate = 0);

/// <summary>A tensor a node keeps from forward for its backward (a dropout mask, a pooling argmax, BatchNorm's mean and
/// inverse std): per sample (<see cref="PerSample"/>, times the batch) or fixed; float (T) or int.</summary>
internal sealed record CachePlan(int Node, string Local, bool IsInt, bool PerSample, int Length);

/// <summary>How a state tensor starts: a normal (scale = std), a uniform (scale = limit), a constant, a sparse matrix
/// (scale = std of the <see cref="Count"/> non-zero weights per row) or an orthogonal matrix (scale = gain).</summary>
internal sealed record InitRule(InitDistribution Distribution, double Scale, string Description, int Count = 0)
{
    public static InitRule Constant(double value) => new(InitDistribution.Constant, value, "constant " + Catalog.LayerCatalog.F(value));
}

internal enum InitDistribution
{
    Normal,
    Uniform,
    Constant,
    Sparse,
    Orthogonal,
}
