using System;
using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// One layer kind: everything NetGen knows about it, side by side. Its attribute is <c>NetGen.{Kind}Attribute</c>; the
/// Parser reads its arguments generically and calls <see cref="Validate"/>; the Planner asks for the output shape, the
/// state tensors (parameters, buffers), the caches kept for backward, fans and FLOPs; the Emitter asks for the formula,
/// the forward call and the backward call. Adding a layer kind is adding one subclass (and registering it in
/// <see cref="LayerCatalog"/>), its kernels and its tests: nothing else switches over kinds.
/// </summary>
internal abstract class LayerEntry
{
    /// <summary>The kind's name: the attribute's class name without "Attribute", e.g. "Dense", "Conv2D".</summary>
    public abstract string Kind { get; }

    /// <summary>The attribute's metadata name.</summary>
    public string AttributeName => "NetGen." + Kind + "Attribute";

    /// <summary>Prefix of default layer names, e.g. "dense" gives "dense_0".</summary>
    public virtual string DefaultName => Kind.ToLowerInvariant();

    /// <summary>Checks the attribute's own argument values (NG02xx), reported on the argument that is wrong.</summary>
    public virtual void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
    }

    /// <summary>Plans the layer: by default one node computed from <see cref="OutputShape"/>. A composite entry (Residual)
    /// overrides this to plan a sub-graph through <paramref name="context"/>. Returns the output tensor, or −1 after
    /// reporting why the network cannot be planned.</summary>
    public virtual int Plan(PlanContext context, LayerSpec spec, int input, string path, int index) =>
        context.AddNode(this, spec, input, path, index);

    /// <summary>The output shape per sample, or null after reporting a diagnostic through <paramref name="shapes"/>.</summary>
    public abstract EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes);

    /// <summary>The layer's state tensors in state_dict order: parameters first, then buffers, as PyTorch registers them.</summary>
    public virtual IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => Array.Empty<StateDecl>();

    /// <summary>Tensors kept from forward for backward.</summary>
    public virtual IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => Array.Empty<CacheDecl>();

    /// <summary>Fan-in and fan-out of the weight, for He/Glorot initialisation (PyTorch's: in_features or C·kh·kw).</summary>
    public virtual (long FanIn, long FanOut) Fans(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) =>
        (NetworkPlanner.ProductLong(input), NetworkPlanner.ProductLong(output));

    /// <summary>Forward FLOPs per sample.</summary>
    public virtual long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => NetworkPlanner.ProductLong(output);

    /// <summary>The argument that sets the output's width (Dense "Units", Conv2D "OutChannels"), or null for a layer that
    /// keeps or derives it: NG0103 and NG0104 point at the last one written.</summary>
    public virtual string? ShapeArgument => null;

    public bool SetsShape => ShapeArgument is not null;

    /// <summary>Where the argument that sets the width is written (the attribute when it is not).</summary>
    public LocationInfo? ShapeLocation(LayerSpec spec) => ShapeArgument is null ? spec.Location : spec.LocationOf(ShapeArgument);

    /// <summary>The backward kernel always writes ∂L/∂x (so a first layer with parameters gets a scratch slot for it);
    /// false for kernels that skip it when handed an empty span (Dense, Conv2D).</summary>
    public virtual bool WritesInputGradient => true;

    /// <summary>The CPU kernel can apply a following ReLU as it stores its output (fused epilogue).</summary>
    public virtual bool FusesReLUEpilogue => false;

    /// <summary>The backward kernel takes the step's <c>FiniteCheck</c> and records whether every parameter gradient it
    /// wrote is finite as it writes it (Dense: the weight-gradient GEMM's epilogue and the bias sums), so the step check
    /// need not read those tensors again (ADR 0040). Layers without it keep their gradients read by the step check.</summary>
    public virtual bool ChecksGradientsAsWritten => false;

    /// <summary>The output is the input seen with another shape (Flatten): same storage, gradient passed through.</summary>
    public virtual bool IsView => false;

    /// <summary>∂L/∂(each input) = ∂L/∂output (Add, views): the planner aliases gradients instead of emitting copies.</summary>
    public virtual bool PassesGradientThrough => IsView;

    /// <summary>Automatic initialisation looks through this layer for the activation that follows a weight (dropout,
    /// identity, normalisation, pooling, flatten).</summary>
    public virtual bool TransparentForInit => false;

    /// <summary>An activation of the ReLU family: a weight followed by it starts with He initialisation.</summary>
    public virtual bool IsReLUFamily => false;

    /// <summary>The equivalent PyTorch module (its state_dict keys are ours).</summary>
    public abstract string TorchModule(NodeContext c);

    /// <summary>Maps the node to ONNX nodes of the inference graph that <c>ExportOnnx</c> writes (evaluation mode) through
    /// <paramref name="c"/>, and returns true; the default, false, means the kind has no mapping: ExportOnnx then throws
    /// NotSupportedException naming the layer, its kind and <see cref="OnnxUnsupportedReason"/>. The mappings of the
    /// built-in kinds are in Layers/OnnxMappings.cs; a new kind writes its own beside its other members.</summary>
    public virtual bool EmitOnnx(OnnxContext c) => false;

    /// <summary>Why the kind does not export to ONNX, for the NotSupportedException of ExportOnnx.</summary>
    public virtual string OnnxUnsupportedReason => "NetGen has no ONNX mapping for this kind yet";

    /// <summary>The layer in words, e.g. "Dense 2 → 100".</summary>
    public abstract string Title(NodeContext c);

    public abstract string ForwardFormula(NodeContext c);

    public abstract string BackwardFormula(NodeContext c);

    /// <summary>Fields of the generated Core that this layer keeps (geometry, pre-packed weights).</summary>
    public virtual void EmitFields(SourceWriter w, NodeContext c)
    {
    }

    public abstract void EmitForward(SourceWriter w, NodeContext c);

    public abstract void EmitBackward(SourceWriter w, NodeContext c);

    /// <summary>The forward differs between training and inference (dropout, batch statistics, a pooling argmax kept).</summary>
    public virtual bool ReadsTrainingFlag => false;

    /// <summary>The forward draws random numbers keyed by (seed, node, step) (dropout masks).</summary>
    public virtual bool ReadsRandomStream => false;

    /// <summary>How many input positions one output position steps over in each spatial dimension (Conv2D's and
    /// MaxPool2D's stride): a residual's projection shortcut takes the product over its branch.</summary>
    public virtual int SpatialStride(EquatableArray<ArgumentValue> arguments) => 1;

    /// <summary>The window one output position reads on each spatial axis, for the receptive field of the summary
    /// (<see cref="Emitter.ReceptiveField"/>): kernel, stride and dilation per axis. Default: pointwise (1×1, stride 1,
    /// dilation 1): activations, normalisations, dropout, residual sums. Null when the regions are not one fixed window
    /// (fractional max pooling draws them): the receptive field is not defined from there on.</summary>
    public virtual SpatialWindow? Window(EquatableArray<ArgumentValue> arguments, EquatableArray<int> input) => SpatialWindow.Pointwise;

    /// <summary>Why a training batch needs <see cref="MinimumTrainingBatch"/> rows, for the run-time message.</summary>
    public virtual string MinimumTrainingBatchReason => "it needs more than one row";

    /// <summary>The smallest batch a training step accepts (BatchNorm1D needs 2 rows for a variance).</summary>
    public virtual int MinimumTrainingBatch(NodeContext c) => 1;

    /// <summary>Whether the backward has anything to do: a gradient to deliver or a parameter gradient to compute.</summary>
    public virtual bool HasBackward(NodeContext c) => c.HasParameters || c.AnyInputGradient;

    // ── CUDA (Lowering/CudaLowering.cs, Layers/CudaMappings.cs, docs/cuda.md) ──

    /// <summary>Why this node has no CUDA lowering, or null when <see cref="EmitCudaForward"/> and
    /// <see cref="EmitCudaBackward"/> launch its kernels. Asking for Backend.Cuda on a network with such a node throws
    /// NotSupportedException with this reason and the layer's name.</summary>
    public virtual string? CudaUnsupportedReason(NodeContext c) => "NetGen has no CUDA kernel for this kind yet";

    /// <summary>The activation a GEMM's epilogue can apply as it stores (a <c>NetGen.Cuda.CudaActivation</c> name), for an
    /// activation whose backward reads only its output y (ReLU, Sigmoid, Tanh); null otherwise.</summary>
    public virtual string? CudaEpilogue => null;

    /// <summary>This node's kernel applies a following <see cref="CudaEpilogue"/> activation as it stores (Dense's GEMM,
    /// Conv2D's implicit GEMM), when nothing else reads its output.</summary>
    public virtual bool CudaAppliesEpilogue => false;

    /// <summary>Static fields of the generated CudaCore this node's launches use (a convolution's or pooling's geometry).</summary>
    public virtual void EmitCudaFields(SourceWriter w, CudaNodeContext c)
    {
    }

    /// <summary>The node's forward as kernel launches on device buffers (names from <paramref name="c"/>).</summary>
    public virtual void EmitCudaForward(SourceWriter w, CudaNodeContext c) =>
        throw new System.NotSupportedException($"{Kind} has no CUDA lowering.");

    /// <summary>The node's backward as kernel launches (called only when the node has a backward to do).</summary>
    public virtual void EmitCudaBackward(SourceWriter w, CudaNodeContext c) =>
        throw new System.NotSupportedException($"{Kind} has no CUDA lowering.");
}

/// <summary>A state tensor an entry declares: local name ("weight", "running_mean"), shape, role, dtype, whether L2 weight
/// decay applies, and its initialisation (null: the weight rule, by fans and the following activation).</summary>
internal sealed record StateDecl(string Local, EquatableArray<int> Shape, StateRole Role, StateDtype Dtype, bool WeightDecay, InitRule? Init)
{
    public static StateDecl Parameter(string local, int[] shape, bool weightDecay, InitRule? init) =>
        new(local, shape.ToEquatableArray(), StateRole.Parameter, StateDtype.F32, weightDecay, init);

    public static StateDecl Buffer(string local, int[] shape, double value) =>
        new(local, shape.ToEquatableArray(), StateRole.Buffer, StateDtype.F32, false, InitRule.Constant(value));

    public static StateDecl Counter(string local) =>
        new(local, EquatableArray<int>.Empty, StateRole.Buffer, StateDtype.I64, false, InitRule.Constant(0));
}

/// <summary>A cache an entry declares: per sample (times the batch) or fixed length; T or int.</summary>
internal sealed record CacheDecl(string Local, int Length, bool PerSample, bool IsInt);

/// <summary>What a shape rule needs to report a diagnostic on the right argument.</summary>
internal sealed class ShapeContext
{
    private readonly List<DiagnosticInfo> _diagnostics;

    public ShapeContext(string owner, string display, List<DiagnosticInfo> diagnostics)
    {
        Owner = owner;
        Display = display;
        _diagnostics = diagnostics;
    }

    /// <summary>The declaration in messages: "network 'Net'" or "network 'Net' (block 'Basic')".</summary>
    public string Owner { get; }

    /// <summary>The layer's name in messages.</summary>
    public string Display { get; }

    public void Report(DiagnosticInfo diagnostic) => _diagnostics.Add(diagnostic);
}

/// <summary>Shapes in messages and comments: [4, 6, 6], or "C×H×W" words.</summary>
internal static class Shapes
{
    public static string Text(EquatableArray<int> shape) => "[" + string.Join(", ", Ints(shape)) + "]";

    public static string Cross(EquatableArray<int> shape) => string.Join("×", Ints(shape));

    private static IEnumerable<string> Ints(EquatableArray<int> shape)
    {
        foreach (int d in shape)
        {
            yield return LayerCatalog.I(d);
        }
    }
}

/// <summary>A layer's window on the two spatial axes: kernel (Kh, Kw), stride (Sh, Sw), dilation (Dh, Dw).</summary>
internal readonly record struct SpatialWindow(int Kh, int Kw, int Sh, int Sw, int Dh, int Dw)
{
    public static SpatialWindow Pointwise => new(1, 1, 1, 1, 1, 1);

    public bool IsPointwise => this == Pointwise;
}
