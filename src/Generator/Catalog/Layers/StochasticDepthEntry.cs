using System.Collections.Generic;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Stochastic depth (Huang et al., 2016) on a residual branch, torchvision's <c>StochasticDepth(p, mode="row")</c>: the
/// node between a block's last layer and the residual addition, planned by <see cref="ResidualEntry"/> when the block's
/// drop probability is above 0 (<c>[Residual(typeof(B), DropProbability = p)]</c>, or the network's
/// <c>StochasticDepth</c> linear rule). It has no attribute of its own and no state: a user writes it on the Residual.
/// Training: m_b = 1(u_b ≥ p)/(1 − p) per sample, u_b keyed by (seed, node, step); y[b] = m_b·x[b]. Inference: y = x.
/// Arguments: "P" (this block's drop probability), "Depth" and "Of" (l and L of the linear rule, 0 when the block wrote
/// its own p).
/// </summary>
internal sealed partial class StochasticDepthEntry : ElementwiseEntry
{
    public override string Kind => "StochasticDepth";

    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    public override bool ReadsRandomStream => true;

    internal static double P(EquatableArray<ArgumentValue> args) => args.Number("P", 0);

    /// <summary>p for reading (15 significant digits: the linear rule's 0.3/3 shows as 0.1); the kernel call gets it exactly.</summary>
    private static string Shown(double p) => p.ToString("G15", System.Globalization.CultureInfo.InvariantCulture);

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("mask", 1, PerSample: true, IsInt: false);
    }

    public override string TorchModule(NodeContext c) => $"StochasticDepth({Shown(P(c.Args))}, \"row\")";

    public override string Title(NodeContext c)
    {
        int depth = c.Args.Int("Depth", 0), of = c.Args.Int("Of", 0);
        string rule = depth > 0 ? $" (block {LayerCatalog.I(depth)} of {LayerCatalog.I(of)}: p = {LayerCatalog.I(depth)}/{LayerCatalog.I(of)} · {LayerCatalog.F(c.Args.Number("Last", 0))})" : string.Empty;
        return $"Stochastic depth p = {Shown(P(c.Args))}{rule} {Shapes.Text(c.OutputShape)}";
    }

    public override string ForwardFormula(NodeContext c) =>
        $"training: m[b] = 1(u_b ≥ p) / (1 − p) per sample, u_b ~ U[0,1) keyed by (seed, node {LayerCatalog.I(c.Node.Ordinal)}, step);  y[b,:] = m[b]·branch(x)[b,:].   inference: y = branch(x)";

    public override string BackwardFormula(NodeContext c) => "d branch(x)[b,:] = m[b]·dy[b,:]";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.StochasticDepth.Forward<T>({c.X}, {c.Y}, {c.Cache("mask")}, {LayerCatalog.F(P(c.Args))}, {c.DropoutKey});");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"{c.X}.CopyTo({c.Y});");
        w.CloseBrace();
    }

    // ── CUDA (docs/cuda.md): ng_row_dropout_forward draws one mask value per sample from the same counter RNG and key as the
    // CPU (the same masks bit for bit); inference copies; backward scales each row by its mask (ng_row_scale).

    public override string? CudaUnsupportedReason(NodeContext c) => null;

    public override void EmitCudaForward(SourceWriter w, CudaNodeContext c) => c.EmitMaskedInTraining(w,
        $"ng_row_dropout_forward: [B×{c.Out}], m[b] = Uniform(key, b) ≥ p ? 1/(1 − p) : 0 per sample, the CPU's counter RNG and key",
        $"_k.RowDropoutForward({c.X}, {c.Y}, {c.Cache("mask")}, {c.Out}, {LayerCatalog.F(P(c.Args))}, {c.Cpu.DropoutKey});");

    public override void EmitCudaBackward(SourceWriter w, CudaNodeContext c)
    {
        w.WriteLine($"// ng_row_scale: dx[B×{c.Out}] = m[b]·dy[b,:]");
        w.WriteLine($"_k.RowDropoutBackward({c.Dy}, {c.Cache("mask")}, {c.Dx}, {c.Out});");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.StochasticDepth.Backward<T>({c.Dy}, {c.Cache("mask")}, {c.Dx});");
}
