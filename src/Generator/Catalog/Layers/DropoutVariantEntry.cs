using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Shared rules of the dropout variants that multiply their input by a random mask (VanillaDropout, GaussianDropout,
/// Dropout2D): the drop probability P ∈ [0, 1) (NG0211), a per-sample mask cached for backward, masks keyed by
/// (seed, node ordinal, step) as <see cref="DropoutEntry"/>'s, dx = dy ⊙ mask, transparent for initialisation.
/// </summary>
internal abstract class DropoutVariantEntry : ElementwiseEntry
{
    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    public override bool ReadsRandomStream => true;

    protected static double P(EquatableArray<ArgumentValue> args) => args.Number("P", 0);

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        double p = P(spec.Arguments);
        if (!(p >= 0 && p < 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("P"), Kind, display, owner, "P", p,
                "p is the probability of dropping a value (PyTorch's convention) and must be in [0, 1), e.g. 0.5"));
        }
    }

    /// <summary>Mask values per sample: one per value (default) or one per channel (Dropout2D).</summary>
    protected virtual int MaskLength(EquatableArray<int> output) => NetworkPlanner.Product(output);

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("mask", MaskLength(output), PerSample: true, IsInt: false);
    }

    public override string Title(NodeContext c) => $"{Kind} p = {LayerCatalog.F(P(c.Args))} {Shapes.Text(c.OutputShape)}";

    protected abstract void EmitTraining(SourceWriter w, NodeContext c);

    protected virtual void EmitInference(SourceWriter w, NodeContext c) => w.WriteLine($"{c.X}.CopyTo({c.Y});");

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        w.WriteLine("if (training)");
        w.OpenBrace();
        EmitTraining(w, c);
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        EmitInference(w, c);
        w.CloseBrace();
    }

    public override string BackwardFormula(NodeContext c) => "dx = dy ⊙ m";

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.Dropout.Backward<T>({c.Dy}, {c.Cache("mask")}, {c.Dx});");
}
