using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Layer normalisation (Ba, Kiros and Hinton, 2016), nn.LayerNorm(normalized_shape) with normalized_shape the input's
/// last NormalizedDims dimensions (all of them unless written): over each group of the n values those dimensions span,
/// μ and the biased σ²; y = γ ⊙ (x − μ)/√(σ² + ε) + β, with γ (init 1) and β (init 0) of the normalised shape, not
/// weight-decayed. A sample [C, H, W] normalised over its last 2 dimensions is C rows of n = H·W values: the kernel sees
/// B·C rows, and γ and β are shared by the C groups (their gradients sum over the batch and the groups). The same in
/// training and inference, no buffers; μ and 1/√(σ² + ε) of each row are cached for the backward in training.
/// </summary>
internal sealed partial class LayerNormEntry : LayerEntry
{
    public override string Kind => "LayerNorm";

    public override string DefaultName => "ln";

    public override bool TransparentForInit => true;

    /// <summary>The forward keeps its per-row statistics only in training (the caches hold the planned batch).</summary>
    public override bool ReadsTrainingFlag => true;

    private static (double Epsilon, bool Affine) Args(EquatableArray<ArgumentValue> a) => (a.Number("Epsilon", 1e-5), a.Bool("Affine", true));

    /// <summary>The trailing dimensions normalised together: NormalizedDims when written, else the input's rank.</summary>
    private static int Dims(EquatableArray<ArgumentValue> a, int rank) => a.Has("NormalizedDims") ? System.Math.Min(System.Math.Max(a.Int("NormalizedDims", rank), 1), System.Math.Max(rank, 1)) : rank;

    /// <summary>PyTorch's normalized_shape: the input's last <see cref="Dims"/> dimensions.</summary>
    private static int[] NormalizedShape(EquatableArray<ArgumentValue> a, EquatableArray<int> input)
    {
        int d = Dims(a, input.Count);
        int[] shape = new int[d];
        for (int i = 0; i < d; i++)
        {
            shape[i] = input[input.Count - d + i];
        }

        return shape;
    }

    /// <summary>n, the values normalised together (the product of the normalised shape).</summary>
    private static int Normalized(NodeContext c) => (int)NetworkPlanner.ProductLong(NormalizedShape(c.Args, c.InputShape).ToEquatableArray());

    /// <summary>The rows per sample: the product of the dimensions before the normalised ones (1 over the whole sample).</summary>
    private static int Groups(EquatableArray<ArgumentValue> a, EquatableArray<int> input)
    {
        long groups = 1;
        for (int i = 0; i < input.Count - Dims(a, input.Count); i++)
        {
            groups *= input[i];
        }

        return (int)groups;
    }

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double epsilon = Args(spec.Arguments).Epsilon;
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("Epsilon"), Kind, display, owner, "Epsilon", epsilon, "ε must be a finite value > 0, e.g. 1e-5"));
        }

        if (spec.Arguments.Has("NormalizedDims") && spec.Arguments.Int("NormalizedDims", 1) < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("NormalizedDims"), Kind, display, owner, "NormalizedDims", spec.Arguments.Int("NormalizedDims", 1), "it counts the trailing dimensions normalised together and must be at least 1 (1: each row [W] of an image, 2: each channel [H, W]); leave it out to normalise the whole sample"));
        }
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        if (!spec.Arguments.Has("NormalizedDims"))
        {
            return input;
        }

        int d = spec.Arguments.Int("NormalizedDims", input.Count);
        if (d < 1)
        {
            return null; // NG0211 was reported by the Parser
        }

        if (d > input.Count)
        {
            string whole = input.Count == 1 ? LayerCatalog.I(input[0]) : Shapes.Text(input);
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNormDimsExceedRank, spec.LocationOf("NormalizedDims"), shapes.Display, shapes.Owner, d, Shapes.Text(input), input.Count, input.Count == 1 ? string.Empty : "s", whole));
            return null;
        }

        return input;
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        if (Args(spec.Arguments).Affine)
        {
            int[] shape = NormalizedShape(spec.Arguments, input);
            yield return StateDecl.Parameter("weight", shape, weightDecay: false, InitRule.Constant(1));
            yield return StateDecl.Parameter("bias", (int[])shape.Clone(), weightDecay: false, InitRule.Constant(0));
        }
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        int groups = Groups(spec.Arguments, input);
        yield return new CacheDecl("mean", groups, PerSample: true, IsInt: false);
        yield return new CacheDecl("inv_std", groups, PerSample: true, IsInt: false);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => 5 * NetworkPlanner.ProductLong(output);

    public override string TorchModule(NodeContext c)
    {
        (double epsilon, bool affine) = Args(c.Args);
        int[] normalized = NormalizedShape(c.Args, c.InputShape);
        string shape = normalized.Length == 1 ? LayerCatalog.I(normalized[0]) : Shapes.Text(normalized.ToEquatableArray());
        return $"nn.LayerNorm({shape}" + (epsilon != 1e-5 ? $", eps={LayerCatalog.F(epsilon)}" : string.Empty) + (affine ? string.Empty : ", elementwise_affine=False") + ")";
    }

    public override string Title(NodeContext c) =>
        $"LayerNorm {Shapes.Text(c.OutputShape)}" + (Groups(c.Args, c.InputShape) == 1 ? string.Empty : $" over the last {LayerCatalog.I(Dims(c.Args, c.InputShape.Count))} dimensions {Shapes.Text(NormalizedShape(c.Args, c.InputShape).ToEquatableArray())}");

    public override string ForwardFormula(NodeContext c)
    {
        (double epsilon, bool affine) = Args(c.Args);
        int groups = Groups(c.Args, c.InputShape);
        string over = groups == 1 ? $"per sample, over its {c.In} values" : $"per sample and each of its {LayerCatalog.I(groups)} rows of {LayerCatalog.I(Normalized(c))} values (the normalised shape {Shapes.Text(NormalizedShape(c.Args, c.InputShape).ToEquatableArray())})";
        return over + ": μ, σ² (biased); y = " + (affine ? "γ ⊙ " : string.Empty) + $"(x − μ)/√(σ² + {LayerCatalog.F(epsilon)})" + (affine ? " + β" : string.Empty) + "; the same in training and inference";
    }

    public override string BackwardFormula(NodeContext c) =>
        Groups(c.Args, c.InputShape) == 1
            ? $"x̂ = (x − μ)·invStd, g = dy ⊙ γ;  dx = (invStd/n)·(n·g − Σ g − x̂·Σ g ⊙ x̂), n = {c.In};  dγ = Σ_B dy ⊙ x̂;  dβ = Σ_B dy"
            : $"x̂ = (x − μ)·invStd, g = dy ⊙ γ;  dx = (invStd/n)·(n·g − Σ g − x̂·Σ g ⊙ x̂) per row, n = {LayerCatalog.I(Normalized(c))};  dγ = Σ_rows dy ⊙ x̂;  dβ = Σ_rows dy (over B·{LayerCatalog.I(Groups(c.Args, c.InputShape))} rows)";

    /// <summary>The kernel's rows: B, or B·groups when the normalised shape is only the last dimensions.</summary>
    private static string Rows(NodeContext c) => Groups(c.Args, c.InputShape) is int g && g == 1 ? "B" : $"B * {LayerCatalog.I(g)}";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        double epsilon = Args(c.Args).Epsilon;
        w.WriteLine($"global::NetGen.Kernels.LayerNorm.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, training ? {c.Cache("mean")} : default, training ? {c.Cache("inv_std")} : default, {Rows(c)}, {LayerCatalog.I(Normalized(c))}, C({LayerCatalog.F(epsilon)}));");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.LayerNorm.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Dx}, {c.G("weight")}, {c.G("bias")}, {Rows(c)}, {LayerCatalog.I(Normalized(c))});");
}
