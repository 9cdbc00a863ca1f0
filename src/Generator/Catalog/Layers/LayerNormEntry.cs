using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Layer normalisation (Ba, Kiros and Hinton, 2016), nn.LayerNorm(the input's whole per-sample shape): per sample, over
/// its n values, μ and the biased σ²; y = γ ⊙ (x − μ)/√(σ² + ε) + β, with γ (init 1) and β (init 0) of the sample's
/// shape, not weight-decayed. The same in training and inference, no buffers; μ and 1/√(σ² + ε) of each sample are
/// cached for the backward in training.
/// </summary>
internal sealed partial class LayerNormEntry : LayerEntry
{
    public override string Kind => "LayerNorm";

    public override string DefaultName => "ln";

    public override bool TransparentForInit => true;

    /// <summary>The forward keeps its per-sample statistics only in training (the caches hold the planned batch).</summary>
    public override bool ReadsTrainingFlag => true;

    private static (double Epsilon, bool Affine) Args(EquatableArray<ArgumentValue> a) => (a.Number("Epsilon", 1e-5), a.Bool("Affine", true));

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double epsilon = Args(spec.Arguments).Epsilon;
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("Epsilon"), Kind, display, owner, "Epsilon", epsilon, "ε must be a finite value > 0, e.g. 1e-5"));
        }
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes) => input;

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        if (Args(spec.Arguments).Affine)
        {
            int[] shape = new int[input.Count];
            for (int i = 0; i < shape.Length; i++)
            {
                shape[i] = input[i];
            }

            yield return StateDecl.Parameter("weight", shape, weightDecay: false, InitRule.Constant(1));
            yield return StateDecl.Parameter("bias", (int[])shape.Clone(), weightDecay: false, InitRule.Constant(0));
        }
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("mean", 1, PerSample: true, IsInt: false);
        yield return new CacheDecl("inv_std", 1, PerSample: true, IsInt: false);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => 5 * NetworkPlanner.ProductLong(output);

    public override string TorchModule(NodeContext c)
    {
        (double epsilon, bool affine) = Args(c.Args);
        string shape = c.InputShape.Count == 1 ? LayerCatalog.I(c.InputShape[0]) : Shapes.Text(c.InputShape);
        return $"nn.LayerNorm({shape}" + (epsilon != 1e-5 ? $", eps={LayerCatalog.F(epsilon)}" : string.Empty) + (affine ? string.Empty : ", elementwise_affine=False") + ")";
    }

    public override string Title(NodeContext c) => $"LayerNorm {Shapes.Text(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c)
    {
        (double epsilon, bool affine) = Args(c.Args);
        return $"per sample, over its {c.In} values: μ, σ² (biased); y = " + (affine ? "γ ⊙ " : string.Empty) + $"(x − μ)/√(σ² + {LayerCatalog.F(epsilon)})" + (affine ? " + β" : string.Empty) + "; the same in training and inference";
    }

    public override string BackwardFormula(NodeContext c) =>
        $"x̂ = (x − μ)·invStd, g = dy ⊙ γ;  dx = (invStd/n)·(n·g − Σ g − x̂·Σ g ⊙ x̂), n = {c.In};  dγ = Σ_B dy ⊙ x̂;  dβ = Σ_B dy";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        double epsilon = Args(c.Args).Epsilon;
        w.WriteLine($"global::NetGen.Kernels.LayerNorm.Forward<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, training ? {c.Cache("mean")} : default, training ? {c.Cache("inv_std")} : default, B, {c.In}, C({LayerCatalog.F(epsilon)}));");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.LayerNorm.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Dx}, {c.G("weight")}, {c.G("bias")}, B, {c.In});");
}
