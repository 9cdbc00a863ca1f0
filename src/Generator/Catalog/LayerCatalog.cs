using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog;

/// <summary>
/// The one place that knows each layer kind: its shape rule, its parameters (names, shapes, PyTorch layout), its
/// forward and its backward emission, side by side. Adding a layer means adding an entry here and its tests; the
/// Planner and Emitter only walk the layers and ask.
/// </summary>
internal static class LayerCatalog
{
    private static readonly Dictionary<LayerKind, ILayerEntry> Entries = new()
    {
        [LayerKind.Dense] = new DenseEntry(),
        [LayerKind.ReLU] = new ElementwiseEntry(LayerKind.ReLU, "ReLU", "relu", "nn.ReLU()", "ReLU", "y = max(0, x)", "dx = dy ⊙ 1(y > 0)"),
        [LayerKind.Sigmoid] = new ElementwiseEntry(LayerKind.Sigmoid, "Sigmoid", "sigmoid", "nn.Sigmoid()", "Sigmoid", "y = 1 / (1 + e^(−x))", "dx = dy ⊙ y ⊙ (1 − y)"),
        [LayerKind.Tanh] = new ElementwiseEntry(LayerKind.Tanh, "Tanh", "tanh", "nn.Tanh()", "Tanh", "y = tanh(x)", "dx = dy ⊙ (1 − y²)"),
        [LayerKind.Identity] = new ElementwiseEntry(LayerKind.Identity, "Identity", "identity", "nn.Identity()", "Identity", "y = x", "dx = dy"),
        [LayerKind.LeakyReLU] = new LeakyReLUEntry(),
        [LayerKind.PReLU] = new PReLUEntry(),
        [LayerKind.Elu] = new EluEntry(),
        [LayerKind.Dropout] = new DropoutEntry(),
    };

    public static ILayerEntry Get(LayerKind kind) => Entries[kind];

    internal static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A parameter tensor a layer owns; <see cref="Init"/> null means "weight: resolve by fan-in/fan-out".</summary>
internal sealed record ParameterShape(string Suffix, EquatableArray<int> Shape, bool IsBias, bool WeightDecay, InitRule? Init);

/// <summary>What an entry needs to emit its calls: span expressions for its tensors, and the plan.</summary>
internal sealed class LayerEmitContext
{
    public LayerEmitContext(Plan plan, LayerPlan layer, string input, string output, string outputGradient, string? inputGradient)
    {
        Plan = plan;
        Layer = layer;
        X = input;
        Y = output;
        Dy = outputGradient;
        Dx = inputGradient;
    }

    public Plan Plan { get; }

    public LayerPlan Layer { get; }

    /// <summary>The layer's input span, [B, in].</summary>
    public string X { get; }

    /// <summary>The layer's output span, [B, out].</summary>
    public string Y { get; }

    /// <summary>∂L/∂y, [B, out].</summary>
    public string Dy { get; }

    /// <summary>∂L/∂x, [B, in]; null when no layer before needs it (the first layer).</summary>
    public string? Dx { get; }

    public string In => LayerCatalog.I(Layer.InputSize);

    public string Out => LayerCatalog.I(Layer.OutputSize);

    public string Param(int index) => $"P({ParamConst(index)}, {LayerCatalog.I(Plan.Parameters[index].Length)})";

    public string Grad(int index) => $"G({ParamConst(index)}, {LayerCatalog.I(Plan.Parameters[index].Length)})";

    public string ParamConst(int index) => EmitNames.ParameterOffset(Plan.Parameters[index]);

    /// <summary>Forward only: the next layer is a ReLU whose max(0, ·) this layer applies as it stores <see cref="Y"/>
    /// (which is then the ReLU's output).</summary>
    public bool FuseReLU { get; set; }
}

internal interface ILayerEntry
{
    LayerKind Kind { get; }

    /// <summary>Type shown in summaries, e.g. "Dense".</summary>
    string TypeName { get; }

    /// <summary>Prefix of default layer names, e.g. "dense" gives "dense_0".</summary>
    string DefaultName { get; }

    /// <summary>The equivalent PyTorch module (its state_dict keys are ours).</summary>
    string TorchModule(LayerPlan layer);

    EquatableArray<int> OutputShape(LayerSpec layer, EquatableArray<int> input);

    IEnumerable<ParameterShape> Parameters(LayerSpec layer, EquatableArray<int> input, EquatableArray<int> output);

    long FlopsPerSample(int inputSize, int outputSize, LayerSpec layer);

    /// <summary>The layer in words, e.g. "Dense 2 → 100".</summary>
    string Title(LayerPlan layer);

    string ForwardFormula(LayerEmitContext c);

    string BackwardFormula(LayerEmitContext c);

    void EmitForward(SourceWriter w, LayerEmitContext c);

    void EmitBackward(SourceWriter w, LayerEmitContext c);
}

/// <summary>Fully connected: y[B,O] = x[B,I] · W[O,I]ᵀ + b[O] (nn.Linear layout).</summary>
internal sealed class DenseEntry : ILayerEntry
{
    public LayerKind Kind => LayerKind.Dense;

    public string TypeName => "Dense";

    public string DefaultName => "dense";

    public string TorchModule(LayerPlan layer) =>
        $"nn.Linear({LayerCatalog.I(layer.InputSize)}, {LayerCatalog.I(layer.OutputSize)}{(layer.BiasParameter < 0 ? ", bias=False" : string.Empty)})";

    // Dense flattens its input: [C, H, W] is seen as C·H·W features, as nn.Flatten + nn.Linear would.
    public EquatableArray<int> OutputShape(LayerSpec layer, EquatableArray<int> input) => new(new[] { layer.Units });

    public IEnumerable<ParameterShape> Parameters(LayerSpec layer, EquatableArray<int> input, EquatableArray<int> output)
    {
        int fanIn = NetworkPlanner.Product(input);
        yield return new ParameterShape("weight", new EquatableArray<int>(new[] { layer.Units, fanIn }), IsBias: false, WeightDecay: true, Init: null);
        if (layer.Bias)
        {
            InitRule biasInit = layer.Init == InitKind.PyTorchDefault
                ? new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(fanIn), $"PyTorch default: U(±1/√n_in) = U(±1/√{LayerCatalog.I(fanIn)})")
                : new InitRule(InitDistribution.Constant, layer.BiasInit, "constant " + LayerCatalog.F(layer.BiasInit));
            yield return new ParameterShape("bias", new EquatableArray<int>(new[] { layer.Units }), IsBias: true, WeightDecay: false, Init: biasInit);
        }
    }

    public long FlopsPerSample(int inputSize, int outputSize, LayerSpec layer) => (2L * inputSize * outputSize) + (layer.Bias ? outputSize : 0);

    public string Title(LayerPlan layer) => $"Dense {LayerCatalog.I(layer.InputSize)} → {LayerCatalog.I(layer.OutputSize)}";

    public string ForwardFormula(LayerEmitContext c) =>
        $"y[B,{c.Out}] = x[B,{c.In}] · W[{c.Out},{c.In}]ᵀ" + (c.Layer.BiasParameter >= 0 ? $" + b[{c.Out}]" : string.Empty);

    public string BackwardFormula(LayerEmitContext c) =>
        (c.Dx is null ? string.Empty : $"dx[B,{c.In}] = dy[B,{c.Out}] · W[{c.Out},{c.In}];  ") +
        $"dW[{c.Out},{c.In}] = dyᵀ · x" + (c.Layer.BiasParameter >= 0 ? $";  db[{c.Out}] = Σ_B dy" : string.Empty);

    public void EmitForward(SourceWriter w, LayerEmitContext c)
    {
        string bias = c.Layer.BiasParameter >= 0 ? c.Param(c.Layer.BiasParameter) : "default";
        string mode = Gemm(w, c.Plan.MaxBatch, c.Layer.OutputSize, c.Layer.InputSize, "x·Wᵀ");
        string relu = c.FuseReLU ? ", fuseReLU: true" : string.Empty;
        string packed = UsesPackedWeights(c.Plan, c.Layer) ? ", packed: " + PackedField(c.Layer) : string.Empty;
        if (packed.Length > 0)
        {
            w.WriteLine($"// Wᵀ pre-packed in {PackedField(c.Layer)}: packed by the first forward after the weights change, then reused");
        }

        w.WriteLine($"global::NetGen.Kernels.Dense.Forward<T>({c.X}, {c.Param(c.Layer.WeightParameter)}, {bias}, {c.Y}, B, {c.In}, {c.Out}, {mode}{relu}{packed});");
    }

    /// <summary>Whether the layer keeps its Wᵀ pre-packed between calls: a Dense whose forward GEMM is planned packed at
    /// the planned batch (and that is not inside a fused narrow pair).</summary>
    public static bool UsesPackedWeights(Plan plan, LayerPlan layer) =>
        layer.Kind == LayerKind.Dense &&
        !NetworkPlanner.InNarrowPair(plan.Layers, layer.Index) &&
        NetworkPlanner.ChooseGemm(plan.MaxBatch, layer.OutputSize, layer.InputSize) != "Direct";

    /// <summary>Whether any layer of the network keeps pre-packed weights.</summary>
    public static bool AnyPackedWeights(Plan plan)
    {
        foreach (LayerPlan layer in plan.Layers)
        {
            if (UsesPackedWeights(plan, layer))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The Core field holding the layer's pre-packed Wᵀ.</summary>
    public static string PackedField(LayerPlan layer) => "_packedW" + LayerCatalog.I(layer.Index);

    public void EmitBackward(SourceWriter w, LayerEmitContext c)
    {
        string bias = c.Layer.BiasParameter >= 0 ? c.Grad(c.Layer.BiasParameter) : "default";
        // No dx (first layer): no dy·W product, so only dwMode is passed.
        string dxMode = c.Dx is null ? string.Empty : "dxMode: " + Gemm(w, c.Plan.MaxBatch, c.Layer.InputSize, c.Layer.OutputSize, "dy·W") + ", ";
        string dwMode = Gemm(w, c.Layer.OutputSize, c.Layer.InputSize, c.Plan.MaxBatch, "dyᵀ·x");
        w.WriteLine($"global::NetGen.Kernels.Dense.Backward<T>({c.Dy}, {c.X}, {c.Param(c.Layer.WeightParameter)}, {c.Dx ?? "default"}, {c.Grad(c.Layer.WeightParameter)}, {bias}, B, {c.In}, {c.Out}, {dxMode}dwMode: {dwMode}, accumulate: false);");
    }

    /// <summary>Picks the GEMM kernel for C[m,n] = A[m,k]·B[k,n] at the planned batch and writes the choice as a comment.</summary>
    private static string Gemm(SourceWriter w, int m, int n, int k, string what)
    {
        string mode = NetworkPlanner.ChooseGemm(m, n, k);
        string work = ((long)m * n * k).ToString("N0", CultureInfo.InvariantCulture);
        w.WriteLine($"// GEMM {what}: [{LayerCatalog.I(m)}×{LayerCatalog.I(k)}]·[{LayerCatalog.I(k)}×{LayerCatalog.I(n)}], {work} multiply-adds at the planned batch → {mode} (rule: docs/performance.md)");
        return "global::NetGen.Kernels.GemmMode." + mode;
    }
}

/// <summary>Shared shape rules of element-wise layers: output shape = input shape, no parameters.</summary>
internal abstract class ElementwiseBase : ILayerEntry
{
    public abstract LayerKind Kind { get; }

    public abstract string TypeName { get; }

    public abstract string DefaultName { get; }

    public abstract string TorchModule(LayerPlan layer);

    public EquatableArray<int> OutputShape(LayerSpec layer, EquatableArray<int> input) => input;

    public virtual IEnumerable<ParameterShape> Parameters(LayerSpec layer, EquatableArray<int> input, EquatableArray<int> output) => Array.Empty<ParameterShape>();

    public long FlopsPerSample(int inputSize, int outputSize, LayerSpec layer) => outputSize;

    public virtual string Title(LayerPlan layer) => $"{TypeName} [{LayerCatalog.I(layer.OutputSize)}]";

    public abstract string ForwardFormula(LayerEmitContext c);

    public abstract string BackwardFormula(LayerEmitContext c);

    public abstract void EmitForward(SourceWriter w, LayerEmitContext c);

    public abstract void EmitBackward(SourceWriter w, LayerEmitContext c);
}

/// <summary>ReLU, Sigmoid, Tanh, Identity: no parameters, backward from the output y.</summary>
internal sealed class ElementwiseEntry : ElementwiseBase
{
    private readonly string _kernel;
    private readonly string _forward;
    private readonly string _backward;
    private readonly string _torch;

    public ElementwiseEntry(LayerKind kind, string typeName, string defaultName, string torch, string kernel, string forward, string backward)
    {
        Kind = kind;
        TypeName = typeName;
        DefaultName = defaultName;
        _torch = torch;
        _kernel = kernel;
        _forward = forward;
        _backward = backward;
    }

    public override LayerKind Kind { get; }

    public override string TypeName { get; }

    public override string DefaultName { get; }

    public override string TorchModule(LayerPlan layer) => _torch;

    public override string ForwardFormula(LayerEmitContext c) => _forward;

    public override string BackwardFormula(LayerEmitContext c) => _backward;

    public override void EmitForward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.{_kernel}Forward<T>({c.X}, {c.Y});");

    public override void EmitBackward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine(Kind == LayerKind.Identity
            ? $"global::NetGen.Kernels.Activations.IdentityBackward<T>({c.Dy}, {c.Dx});"
            : $"global::NetGen.Kernels.Activations.{_kernel}Backward<T>({c.Dy}, {c.Y}, {c.Dx});");
}

/// <summary>Leaky ReLU with a fixed slope (default 0.01).</summary>
internal sealed class LeakyReLUEntry : ElementwiseBase
{
    public override LayerKind Kind => LayerKind.LeakyReLU;

    public override string TypeName => "LeakyReLU";

    public override string DefaultName => "leaky_relu";

    public override string TorchModule(LayerPlan layer) => $"nn.LeakyReLU({LayerCatalog.F(layer.Argument)})";

    public override string ForwardFormula(LayerEmitContext c) => $"y = x > 0 ? x : {LayerCatalog.F(c.Layer.Argument)}·x";

    public override string BackwardFormula(LayerEmitContext c) => $"dx = dy ⊙ (x > 0 ? 1 : {LayerCatalog.F(c.Layer.Argument)})";

    public override void EmitForward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.LeakyReLUForward<T>({c.X}, {c.Y}, C({LayerCatalog.F(c.Layer.Argument)}));");

    public override void EmitBackward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.LeakyReLUBackward<T>({c.Dy}, {c.X}, {c.Dx}, C({LayerCatalog.F(c.Layer.Argument)}));");
}

/// <summary>PReLU with one learnable slope a (nn.PReLU(): key "N.weight", shape [1], init 0.25).</summary>
internal sealed class PReLUEntry : ElementwiseBase
{
    public override LayerKind Kind => LayerKind.PReLU;

    public override string TypeName => "PReLU";

    public override string DefaultName => "prelu";

    public override string TorchModule(LayerPlan layer) => layer.Argument == 0.25 ? "nn.PReLU()" : $"nn.PReLU(init={LayerCatalog.F(layer.Argument)})";

    public override IEnumerable<ParameterShape> Parameters(LayerSpec layer, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new ParameterShape("weight", new EquatableArray<int>(new[] { 1 }), IsBias: false, WeightDecay: false,
            new InitRule(InitDistribution.Constant, layer.Argument, "constant " + LayerCatalog.F(layer.Argument)));
    }

    public override string ForwardFormula(LayerEmitContext c) => "y = x > 0 ? x : a·x   (a learnable, shape [1])";

    public override string BackwardFormula(LayerEmitContext c) => "dx = dy ⊙ (x > 0 ? 1 : a);  da = Σ dy ⊙ x ⊙ 1(x ≤ 0)";

    public override void EmitForward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.PReLUForward<T>({c.X}, {c.Y}, Params[{c.ParamConst(c.Layer.WeightParameter)}]);");

    public override void EmitBackward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"Grads[{c.ParamConst(c.Layer.WeightParameter)}] = global::NetGen.Kernels.Activations.PReLUBackward<T>({c.Dy}, {c.X}, {c.Dx}, Params[{c.ParamConst(c.Layer.WeightParameter)}]);");
}

/// <summary>ELU with α (default 1).</summary>
internal sealed class EluEntry : ElementwiseBase
{
    public override LayerKind Kind => LayerKind.Elu;

    public override string TypeName => "ELU";

    public override string DefaultName => "elu";

    public override string TorchModule(LayerPlan layer) => layer.Argument == 1.0 ? "nn.ELU()" : $"nn.ELU(alpha={LayerCatalog.F(layer.Argument)})";

    public override string ForwardFormula(LayerEmitContext c) => $"y = x > 0 ? x : {LayerCatalog.F(c.Layer.Argument)}·(e^x − 1)";

    public override string BackwardFormula(LayerEmitContext c) => $"dx = dy ⊙ (x > 0 ? 1 : y + {LayerCatalog.F(c.Layer.Argument)})";

    public override void EmitForward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.EluForward<T>({c.X}, {c.Y}, C({LayerCatalog.F(c.Layer.Argument)}));");

    public override void EmitBackward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Activations.EluBackward<T>({c.Dy}, {c.X}, {c.Y}, {c.Dx}, C({LayerCatalog.F(c.Layer.Argument)}));");
}

/// <summary>Inverted dropout, p = drop probability (PyTorch). Masks keyed by (seed, layer, step).</summary>
internal sealed class DropoutEntry : ElementwiseBase
{
    public override LayerKind Kind => LayerKind.Dropout;

    public override string TypeName => "Dropout";

    public override string DefaultName => "dropout";

    public override string TorchModule(LayerPlan layer) => $"nn.Dropout({LayerCatalog.F(layer.Argument)})";

    public override string Title(LayerPlan layer) => $"Dropout p = {LayerCatalog.F(layer.Argument)} [{LayerCatalog.I(layer.OutputSize)}]";

    public override string ForwardFormula(LayerEmitContext c) =>
        $"training: m = 1(u ≥ {LayerCatalog.F(c.Layer.Argument)}) / (1 − {LayerCatalog.F(c.Layer.Argument)}), u ~ U[0,1) keyed by (seed, layer {LayerCatalog.I(c.Layer.Index)}, step);  y = x ⊙ m.   inference: y = x";

    public override string BackwardFormula(LayerEmitContext c) => "dx = dy ⊙ m";

    public override void EmitForward(SourceWriter w, LayerEmitContext c)
    {
        string mask = $"A({EmitNames.MaskOffset(c.Layer)}, B * {c.Out})";
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.Dropout.Forward<T>({c.X}, {c.Y}, {mask}, {LayerCatalog.F(c.Layer.Argument)}, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, {LayerCatalog.I(c.Layer.Index)}, (ulong)step));");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"{c.X}.CopyTo({c.Y});");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, LayerEmitContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Dropout.Backward<T>({c.Dy}, A({EmitNames.MaskOffset(c.Layer)}, B * {c.Out}), {c.Dx});");
}
