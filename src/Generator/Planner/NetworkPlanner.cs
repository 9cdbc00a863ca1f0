using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Catalog;
using NetGen.Generator.Catalog.Layers;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator.Planner;

/// <summary>
/// NetworkSpec in, Plan out: builds the graph (each layer asks its catalog entry for its output shape, state and caches;
/// a Residual entry plans its block's layers as a nested sequence), resolves initialisation, and routes the activation
/// gradients through slots by liveness over the reverse order. Checks wiring (NG01xx). Pure C#: unit-testable without Roslyn.
/// </summary>
internal static class NetworkPlanner
{
    public static (Plan Plan, EquatableArray<DiagnosticInfo> Diagnostics) CreatePlan(NetworkSpec spec, EquatableArray<DiagnosticInfo> parseDiagnostics) =>
        CreatePlan(spec, EquatableArray<BlockSpec>.Empty, parseDiagnostics);

    public static (Plan Plan, EquatableArray<DiagnosticInfo> Diagnostics) CreatePlan(NetworkSpec spec, EquatableArray<BlockSpec> blocks, EquatableArray<DiagnosticInfo> parseDiagnostics)
    {
        var diagnostics = new List<DiagnosticInfo>(parseDiagnostics);
        var context = new PlanContext(spec, blocks, diagnostics);

        if (spec.Layers.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, spec.AttributeLocation, spec.ClassName));
        }

        bool inputValid = spec.InputShape.Count is 1 or 3;
        foreach (int d in spec.InputShape)
        {
            inputValid &= d > 0;
        }

        if (!inputValid)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInputSize, spec.WrittenLocationOf("InputShape") ?? spec.LocationOf("InputSize"), spec.ClassName, Shapes.Text(spec.InputShape)));
        }

        bool planned = false;
        if (inputValid && spec.Layers.Count > 0)
        {
            planned = context.PlanSequence(spec.Layers, 0, string.Empty, null) >= 0 && !context.TooLarge;
        }

        if (planned)
        {
            context.ResolveInitialisation();
            context.AddLossState(LossCatalog.TryGet(spec.Training.Loss));
            context.RouteGradients();
            Lowering.CpuLowering.CheckSizes(context, spec);
        }

        // A network-wide layer rule that no layer took (NG0254, a warning): StochasticDepth without a [Residual] that uses it.
        if (planned && spec.Training.StochasticDepth > 0 && !context.AppliedSettings.Contains("StochasticDepth"))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StochasticDepthUnused, spec.LocationOf("StochasticDepth"), spec.ClassName, LayerCatalog.F(spec.Training.StochasticDepth)));
        }

        LossEntry? loss = LossCatalog.TryGet(spec.Training.Loss);
        if (planned && !context.TooLarge && loss is not null && context.OutputLength < loss.MinOutputs)
        {
            LayerSpec last = context.LastShapeSetter ?? spec.Layers[spec.Layers.Count - 1];
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooFewClasses, LayerCatalog.Get(last.Kind).ShapeLocation(last), spec.ClassName, context.OutputLength, spec.Training.Loss));
        }

        var errors = new List<string>(context.ExtraErrors);
        foreach (DiagnosticInfo diagnostic in diagnostics)
        {
            if (diagnostic.IsError)
            {
                errors.Add(diagnostic.Message);
            }
        }

        if (!planned && errors.Count == 0)
        {
            errors.Add("NG9001: the network could not be planned."); // a shape rule returned no shape without saying why
        }

        Plan plan = context.ToPlan(errors);
        return (plan, diagnostics.ToEquatableArray());
    }

    /// <summary>The most elements one .NET array holds (<c>Array.MaxLength</c>, which netstandard2.0 lacks). The parameter
    /// arena, the activation arena, each pre-packed weight matrix and the narrow pair's scratch are one array each.</summary>
    internal const long MaxArrayLength = 0x7FFFFFC7;

    internal static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static long ProductLong(EquatableArray<int> shape)
    {
        long product = 1;
        foreach (int d in shape)
        {
            product *= d;
        }

        return product;
    }

    internal static int Product(EquatableArray<int> shape)
    {
        int product = 1;
        foreach (int d in shape)
        {
            product = checked(product * d);
        }

        return product;
    }
}

/// <summary>
/// The Planner's working state while it walks the layers, and the API a composite entry (Residual) plans through:
/// <see cref="PlanSequence"/> for a nested block, <see cref="AddNode"/> for a layer, <see cref="AddComputed"/> for a node
/// with several inputs.
/// </summary>
internal sealed class PlanContext
{
    private readonly NetworkSpec _spec;
    private readonly Dictionary<string, BlockSpec> _blocks = new();
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly List<NodeBuilder> _nodes = new();
    private readonly List<TensorPlan> _tensors = new();
    private readonly List<StatePlan> _state = new();
    private readonly List<CachePlan> _caches = new();
    private readonly List<string> _blockStack = new();
    private readonly Dictionary<string, int> _ordinals = new();
    private readonly int _batch;
    private long _parameters, _buffers, _activations;
    private int _counters;
    private long _flops;
    private LocationInfo? _widthSetBy;
    private int _gradientSlots = 1;

    public PlanContext(NetworkSpec spec, EquatableArray<BlockSpec> blocks, List<DiagnosticInfo> diagnostics)
    {
        _spec = spec;
        _diagnostics = diagnostics;
        _batch = Math.Max(spec.BatchSize, 1);
        foreach (BlockSpec block in blocks)
        {
            _blocks[block.TypeName] = block;
        }

        _widthSetBy = spec.LocationOf(spec.WrittenLocationOf("InputShape") is null ? "InputSize" : "InputShape");
        _tensors.Add(new TensorPlan(0, spec.InputShape, Math.Max(1, SafeProduct(spec.InputShape)), -1, -1, false));
    }

    public string Network => _spec.ClassName;

    /// <summary>The network's training settings (a composite entry reads network-wide rules such as stochastic depth).</summary>
    public TrainingSpec Training => _spec.Training;

    /// <summary>The [Network] settings a layer entry applied (e.g. "StochasticDepth"): a written one that none applied is NG0254.</summary>
    public HashSet<string> AppliedSettings { get; } = new();

    /// <summary>1 for the first layer of <paramref name="kind"/> planned, 2 for the next, …: a layer's position among those
    /// of its kind in execution order (a block used twice counts twice).</summary>
    public int NextOrdinalOf(string kind)
    {
        _ordinals.TryGetValue(kind, out int count);
        _ordinals[kind] = ++count;
        return count;
    }

    /// <summary>How many layers of <paramref name="kind"/> the network plans, counting through every layer that names a
    /// [Block] (its "Block" argument) as often as the block is used; a block cycle (NG0007, reported when planned) counts
    /// once.</summary>
    public int CountLayers(string kind) => CountLayers(kind, _spec.Layers, new List<string>());

    private int CountLayers(string kind, EquatableArray<LayerSpec> layers, List<string> open)
    {
        int count = 0;
        foreach (LayerSpec layer in layers)
        {
            count += layer.Kind == kind ? 1 : 0;
            if (Block(layer.Arguments.Text("Block")) is { } block && !open.Contains(block.TypeName))
            {
                open.Add(block.TypeName);
                count += CountLayers(kind, block.Layers, open);
                open.RemoveAt(open.Count - 1);
            }
        }

        return count;
    }

    public int Batch => _batch;

    /// <summary>An NG0104 was reported: nothing more is planned.</summary>
    public bool TooLarge { get; private set; }

    /// <summary>Errors that are not this network's diagnostics (a block's own errors, reported once on the block).</summary>
    public List<string> ExtraErrors { get; } = new();

    /// <summary>The last layer that set the width (Dense units, Conv2D channels): NG0103 points at it.</summary>
    public LayerSpec? LastShapeSetter { get; private set; }

    public int OutputLength => _tensors[_tensors.Count - 1].Length;

    public IReadOnlyList<TensorPlan> Tensors => _tensors;

    public IReadOnlyList<NodeBuilder> Nodes => _nodes;

    public EquatableArray<int> ShapeOf(int tensor) => _tensors[tensor].Shape;

    public void Report(DiagnosticInfo diagnostic) => _diagnostics.Add(diagnostic);

    /// <summary>Plans <paramref name="layers"/> one after the other from tensor <paramref name="input"/>; each layer's path is
    /// <paramref name="prefix"/> + its index. Returns the last output, or −1.</summary>
    public int PlanSequence(EquatableArray<LayerSpec> layers, int input, string prefix, string? block)
    {
        int current = input;
        for (int i = 0; i < layers.Count; i++)
        {
            LayerSpec layer = layers[i];
            string path = prefix.Length == 0 ? I(i) : prefix + "." + I(i);
            current = LayerCatalog.Get(layer.Kind).Plan(this, layer, current, path, i);
            if (current < 0 || TooLarge)
            {
                return -1;
            }
        }

        return current;
    }

    /// <summary>The block named by a Residual's typeof argument, or null.</summary>
    public BlockSpec? Block(string? typeName) => typeName is not null && _blocks.TryGetValue(typeName, out BlockSpec? block) ? block : null;

    /// <summary>Enters a block; false (after NG0007) when it is already being planned, i.e. the blocks form a cycle.</summary>
    public bool EnterBlock(BlockSpec block, LocationInfo? at)
    {
        if (_blockStack.Contains(block.TypeName))
        {
            var chain = new List<string>();
            for (int i = _blockStack.IndexOf(block.TypeName); i < _blockStack.Count; i++)
            {
                chain.Add(Short(_blockStack[i]));
            }

            chain.Add(block.Name);
            Report(DiagnosticInfo.Create(DiagnosticDescriptors.BlockCycle, at, block.Name, Network, string.Join(" → ", chain)));
            return false;
        }

        foreach (DiagnosticInfo d in block.Diagnostics)
        {
            if (d.IsError)
            {
                ExtraErrors.Add(d.Message);
            }
        }

        _blockStack.Add(block.TypeName);
        return true;
    }

    public void LeaveBlock() => _blockStack.RemoveAt(_blockStack.Count - 1);

    /// <summary>The owner shown in messages: "network 'N'", or "network 'N' (block 'B')" inside a block.</summary>
    public string Owner => _blockStack.Count == 0 ? $"network '{Network}'" : $"network '{Network}' (block '{Short(_blockStack[_blockStack.Count - 1])}')";

    /// <summary>Plans one layer with one input: its shape rule, state and caches.</summary>
    public int AddNode(LayerEntry entry, LayerSpec spec, int input, string path, int index)
    {
        EquatableArray<int> inputShape = _tensors[input].Shape;
        EquatableArray<int>? output = entry.OutputShape(spec, inputShape, new ShapeContext(Owner, spec.Display(index), _diagnostics));
        if (output is not { } shape || SafeProduct(shape) <= 0)
        {
            return -1;
        }

        return AddComputed(entry, spec, new[] { input }, shape, path, index);
    }

    /// <summary>Adds a node with the given inputs and output shape.</summary>
    public int AddComputed(LayerEntry entry, LayerSpec spec, int[] inputs, EquatableArray<int> output, string path, int index)
    {
        int ordinal = _nodes.Count;
        EquatableArray<int> inputShape = _tensors[inputs[0]].Shape;
        string display = spec.Display(index);
        string name = spec.Name ?? entry.DefaultName + "_" + path.Replace('.', '_');
        LocationInfo? shapeAt = entry.ShapeLocation(spec);
        if (entry.SetsShape)
        {
            _widthSetBy = shapeAt;
            LastShapeSetter = spec;
        }

        // NG0104: the parameters and the activations each live in one array; sizes are checked in long here, before the
        // int arithmetic below (and in the generated code) could overflow.
        var decls = new List<StateDecl>(entry.State(spec, inputShape, output));
        long layerParameters = 0, layerBuffers = 0;
        foreach (StateDecl d in decls)
        {
            if (d.Role == StateRole.Parameter)
            {
                layerParameters += NetworkPlanner.ProductLong(d.Shape);
            }
            else if (d.Dtype == StateDtype.F32)
            {
                layerBuffers += NetworkPlanner.ProductLong(d.Shape);
            }
        }

        var caches = new List<CacheDecl>(entry.Caches(spec, inputShape, output));
        long outputLength = NetworkPlanner.ProductLong(output);
        long layerActivations = entry.IsView ? 0 : (long)_batch * outputLength;
        foreach (CacheDecl c in caches)
        {
            layerActivations += c.PerSample ? (long)_batch * c.Length : c.Length;
        }

        if (_parameters + layerParameters > NetworkPlanner.MaxArrayLength)
        {
            return TooLargeAt(shapeAt ?? spec.Location, $"the parameters up to layer '{display}'", _parameters + layerParameters, "Use fewer units or a smaller InputSize.");
        }

        if (_activations + layerActivations > NetworkPlanner.MaxArrayLength)
        {
            return TooLargeAt(_spec.WrittenLocationOf("BatchSize") ?? _widthSetBy, $"the activations of a batch of {NetworkPlanner.Format(_batch)} rows up to layer '{display}'", _activations + layerActivations, "Use a smaller BatchSize (Predict splits larger inputs into batches of BatchSize rows) or fewer units.");
        }

        if (_buffers + layerBuffers > NetworkPlanner.MaxArrayLength)
        {
            return TooLargeAt(shapeAt ?? spec.Location, $"the buffers up to layer '{display}'", _buffers + layerBuffers, "Use fewer channels.");
        }

        _activations += layerActivations;
        foreach (StateDecl d in decls)
        {
            int length = NetworkPlanner.Product(d.Shape);
            int offset;
            if (d.Role == StateRole.Parameter)
            {
                offset = (int)_parameters;
                _parameters += length;
            }
            else if (d.Dtype == StateDtype.F32)
            {
                offset = (int)_buffers;
                _buffers += length;
            }
            else
            {
                offset = _counters++;
                length = 1;
            }

            (bool regularized, double l2, double l1, double maxNorm) = RegularizationRule.Resolve(d, spec, _spec.Training);
            (double normBound, double dualRate) = d.WeightDecay && spec.Kind == "Dense" ? RegularizationRule.NormBound(spec) : (0, 0);
            _state.Add(new StatePlan(_state.Count, path + "." + d.Local, d.Local, ordinal, name, d.Role, d.Dtype, d.Shape, offset, length, regularized, d.Init ?? PendingInit, l2, l1, maxNorm,
                normBound > 0 ? normBound : 0, normBound > 0 ? dualRate : 0));
        }

        foreach (CacheDecl c in caches)
        {
            _caches.Add(new CachePlan(ordinal, c.Local, c.IsInt, c.PerSample, c.Length));
        }

        int id = _tensors.Count;
        int viewOf = -1;
        if (entry.IsView)
        {
            TensorPlan source = _tensors[inputs[0]];
            viewOf = source.ViewOf >= 0 ? source.ViewOf : source.Id;
        }

        _tensors.Add(new TensorPlan(id, output, (int)outputLength, ordinal, viewOf, false));
        long flops = entry.Flops(spec, inputShape, output);
        _flops += flops;
        _nodes.Add(new NodeBuilder(entry, spec, ordinal, name, path, inputs, id, flops));
        return id;
    }

    /// <summary>The parameters a loss owns (the hierarchical softmax's node vectors and biases), after every layer's: keys
    /// "hsm.{local}", node −1 (no layer), initialised to 0, regularised by the network's WeightDecay and L1 when the loss says
    /// so. Nothing when the declaration is invalid (a dimension &lt; 1: NG0226 was reported).</summary>
    public void AddLossState(LossEntry? loss)
    {
        if (loss is null || TooLarge)
        {
            return;
        }

        foreach (LossState d in loss.State(_spec.Training, OutputLength))
        {
            long length = 1;
            foreach (int dim in d.Shape)
            {
                length *= dim;
            }

            if (length < 1)
            {
                return;
            }

            if (_parameters + length > NetworkPlanner.MaxArrayLength)
            {
                TooLargeAt(_spec.LocationOf("Classes"), $"the parameters with the loss's \"{HierarchicalSoftmaxEntry.Path}.{d.Local}\"", _parameters + length, "Use fewer classes or fewer features in the last layer.");
                return;
            }

            double l2 = d.WeightDecay ? _spec.Training.WeightDecay : 0, l1 = d.WeightDecay ? _spec.Training.L1 : 0;
            _state.Add(new StatePlan(_state.Count, HierarchicalSoftmaxEntry.Path + "." + d.Local, d.Local, -1, HierarchicalSoftmaxEntry.Path, StateRole.Parameter, StateDtype.F32,
                d.Shape.ToEquatableArray(), (int)_parameters, (int)length, l2 > 0 || l1 > 0, InitRule.Constant(0), l2, l1));
            _parameters += length;
        }
    }

    /// <summary>Resolves every weight initialisation left to the fan rule: the following activation (looked up along the
    /// first consumer of each output, through layers transparent for initialisation) picks He or Glorot.</summary>
    public void ResolveInitialisation()
    {
        for (int i = 0; i < _state.Count; i++)
        {
            StatePlan s = _state[i];
            if (!ReferenceEquals(s.Init, PendingInit))
            {
                continue;
            }

            NodeBuilder node = _nodes[s.Node];
            (long fanIn, long fanOut) = node.Entry.Fans(node.Spec, _tensors[node.Inputs[0]].Shape, _tensors[node.Output].Shape);
            _state[i] = s with { Init = WeightInit.Resolve(node.Spec.Arguments, FollowedByReLUFamily(node), fanIn, fanOut) };
        }
    }

    private bool FollowedByReLUFamily(NodeBuilder node)
    {
        int tensor = node.Output;
        while (FirstConsumer(tensor) is { } next)
        {
            if (next.Entry.IsReLUFamily)
            {
                return true;
            }

            if (!next.Entry.TransparentForInit)
            {
                return false;
            }

            tensor = next.Output;
        }

        return false;
    }

    private NodeBuilder? FirstConsumer(int tensor)
    {
        foreach (NodeBuilder n in _nodes)
        {
            if (Array.IndexOf(n.Inputs, tensor) >= 0)
            {
                return n;
            }
        }

        return null;
    }

    /// <summary>
    /// Which tensors need a gradient (those with a parameter upstream), then the backward routing: nodes in reverse order;
    /// the gradient of each tensor lives in a slot from the backward of its first consumer (in reverse order) to the
    /// backward of its producer; slots are reused as soon as they are dead (a chain ping-pongs between two). A tensor with
    /// two consumers gets the sum of both gradients: the second adds into the slot the first wrote (or aliased).
    /// </summary>
    public void RouteGradients()
    {
        var needs = new bool[_tensors.Count];
        foreach (NodeBuilder n in _nodes)
        {
            bool upstream = HasParameters(n.Ordinal);
            foreach (int input in n.Inputs)
            {
                upstream |= needs[input];
            }

            needs[n.Output] = upstream;
        }

        for (int t = 0; t < _tensors.Count; t++)
        {
            _tensors[t] = _tensors[t] with { NeedsGradient = needs[t] };
        }

        var slotOf = new int[_tensors.Count];
        for (int t = 0; t < slotOf.Length; t++)
        {
            slotOf[t] = -1;
        }

        var references = new List<int> { 1 }; // slot 0 holds ∂L/∂output, written by the loss
        slotOf[_nodes[_nodes.Count - 1].Output] = 0;

        int Allocate()
        {
            for (int s = 0; s < references.Count; s++)
            {
                if (references[s] == 0)
                {
                    references[s] = 1;
                    return s;
                }
            }

            references.Add(1);
            return references.Count - 1;
        }

        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            NodeBuilder n = _nodes[i];
            int dy = needs[n.Output] || i == _nodes.Count - 1 ? slotOf[n.Output] : -1;
            var routes = new InputGradient[n.Inputs.Length];
            var temporaries = new List<int>();
            bool runs = dy >= 0 && (HasParameters(n.Ordinal) || AnyNeeds(n, needs));
            for (int k = 0; k < n.Inputs.Length; k++)
            {
                int input = n.Inputs[k];
                if (!runs || !needs[input])
                {
                    if (runs && n.Entry.WritesInputGradient && !n.Entry.PassesGradientThrough && HasParameters(n.Ordinal))
                    {
                        int scratch = Allocate();
                        temporaries.Add(scratch);
                        routes[k] = new InputGradient(GradientRoute.Discard, -1, scratch);
                    }
                    else
                    {
                        routes[k] = new InputGradient(GradientRoute.None, -1, -1);
                    }

                    continue;
                }

                if (n.Entry.PassesGradientThrough)
                {
                    if (slotOf[input] < 0)
                    {
                        slotOf[input] = dy;
                        references[dy]++;
                        routes[k] = new InputGradient(GradientRoute.Alias, dy, -1);
                    }
                    else
                    {
                        routes[k] = new InputGradient(GradientRoute.Accumulate, slotOf[input], -1);
                    }
                }
                else if (slotOf[input] < 0 && KeepsGradientInPlace(i))
                {
                    // A ReLU read only by a MaxPool2D writes ∂L/∂x over ∂L/∂y, in the same slot: the CPU folds its mask into the
                    // pool's backward, which then writes the ReLU's ∂L/∂x there (ADR 0052).
                    slotOf[input] = dy;
                    references[dy]++;
                    routes[k] = new InputGradient(GradientRoute.Write, dy, -1);
                }
                else if (slotOf[input] < 0)
                {
                    slotOf[input] = Allocate();
                    routes[k] = new InputGradient(GradientRoute.Write, slotOf[input], -1);
                }
                else
                {
                    int temporary = Allocate();
                    temporaries.Add(temporary);
                    routes[k] = new InputGradient(GradientRoute.Accumulate, slotOf[input], temporary);
                }
            }

            if (dy >= 0)
            {
                references[dy]--;
            }

            foreach (int temporary in temporaries)
            {
                references[temporary]--;
            }

            n.Routes = routes;
            n.OutputSlot = dy;
        }

        _gradientSlots = references.Count;
    }

    /// <summary>Whether node <paramref name="index"/> is a ReLU whose output nothing but one MaxPool2D reads: its backward
    /// is element-wise, so ∂L/∂x may overwrite ∂L/∂y in place, and the CPU lowering folds it into the pool's backward
    /// (<c>Kernels.MaxPool2DReLU</c>, ADR 0052), which needs ∂L/∂x where ∂L/∂(pool input) is.</summary>
    internal bool KeepsGradientInPlace(int index)
    {
        NodeBuilder relu = _nodes[index];
        if (relu.Entry.Kind != "ReLU")
        {
            return false;
        }

        int readers = 0;
        bool pool = false;
        foreach (NodeBuilder n in _nodes)
        {
            foreach (int input in n.Inputs)
            {
                if (input == relu.Output)
                {
                    readers++;
                    pool = n.Entry.Kind == "MaxPool2D";
                }
            }
        }

        return readers == 1 && pool;
    }

    private static bool AnyNeeds(NodeBuilder n, bool[] needs)
    {
        foreach (int input in n.Inputs)
        {
            if (needs[input])
            {
                return true;
            }
        }

        return false;
    }

    private bool HasParameters(int ordinal)
    {
        foreach (StatePlan s in _state)
        {
            if (s.Node == ordinal && s.Role == StateRole.Parameter)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>NG0104 for a size found by a lowering (pre-packed weights, scratch).</summary>
    public void ReportTooLarge(LocationInfo? at, string what, long needed, string fix) => TooLargeAt(at, what, needed, fix);

    public Plan ToPlan(List<string> errors)
    {
        var nodes = new List<NodePlan>();
        foreach (NodeBuilder n in _nodes)
        {
            var arguments = new List<ArgumentValue>(n.Spec.Arguments);
            nodes.Add(new NodePlan(n.Ordinal, n.Entry.Kind, n.Name, n.Path, arguments.ToEquatableArray(), n.Inputs.ToEquatableArray(), n.Output, n.Flops,
                (n.Routes ?? Array.Empty<InputGradient>()).ToEquatableArray(), n.OutputSlot));
        }

        return new Plan(_spec.Namespace, _spec.ClassName, _spec.InputShape, _batch, _spec.Training, nodes.ToEquatableArray(), _tensors.ToEquatableArray(),
            _state.ToEquatableArray(), _caches.ToEquatableArray(), _gradientSlots, _flops, errors.ToEquatableArray());
    }

    private int TooLargeAt(LocationInfo? at, string what, long needed, string fix)
    {
        if (!TooLarge)
        {
            Report(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, at, _spec.ClassName, what, NetworkPlanner.Format(needed), NetworkPlanner.Format(NetworkPlanner.MaxArrayLength), fix));
        }

        TooLarge = true;
        return -1;
    }

    private static readonly InitRule PendingInit = new(InitDistribution.Constant, double.NaN, "resolved by the planner");

    private static string Short(string typeName) => typeName.Substring(typeName.LastIndexOf('.') + 1);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int SafeProduct(EquatableArray<int> shape)
    {
        long product = NetworkPlanner.ProductLong(shape);
        return product > int.MaxValue ? int.MaxValue : (int)product;
    }
}

/// <summary>A node while the graph is built (the Plan's <see cref="NodePlan"/> once routed).</summary>
internal sealed class NodeBuilder
{
    public NodeBuilder(LayerEntry entry, LayerSpec spec, int ordinal, string name, string path, int[] inputs, int output, long flops)
    {
        Entry = entry;
        Spec = spec;
        Ordinal = ordinal;
        Name = name;
        Path = path;
        Inputs = inputs;
        Output = output;
        Flops = flops;
    }

    public LayerEntry Entry { get; }

    public LayerSpec Spec { get; }

    public int Ordinal { get; }

    public string Name { get; }

    public string Path { get; }

    public int[] Inputs { get; }

    public int Output { get; }

    public long Flops { get; }

    public InputGradient[]? Routes { get; set; }

    public int OutputSlot { get; set; } = -1;
}
