using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Local response normalisation across channels (Krizhevsky et al., 2012), nn.LocalResponseNorm(n, α, β, k) on C×H×W:
/// y_c = x_c·(k + (α/n)·Σ_{c' = c − ⌊n/2⌋}^{c + ⌊(n − 1)/2⌋} x_{c'}²)^(−β), channels outside [0, C) counted as 0.
/// Defaults n = 5, α = 1e-4, β = 0.75, k = 1 (PyTorch's). No parameters, no caches: the backward recomputes the sum
/// from the input.
/// </summary>
internal sealed partial class LocalResponseNormEntry : LayerEntry
{
    public override string Kind => "LocalResponseNorm";

    public override string DefaultName => "lrn";

    public override bool TransparentForInit => true;

    private static (int Size, double Alpha, double Beta, double K) Args(EquatableArray<ArgumentValue> a) =>
        (a.Int("Size", 5), a.Number("Alpha", 1e-4), a.Number("Beta", 0.75), a.Number("K", 1.0));

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        (int size, double alpha, double beta, double k) = Args(spec.Arguments);
        Conv2DEntry.Check(spec, display, owner, diagnostics, "Size", size, 1, "the window must cover at least 1 channel, e.g. 5");
        Finite(spec, display, owner, diagnostics, "Alpha", alpha, alpha >= 0, "α must be a finite value ≥ 0, e.g. 1e-4");
        Finite(spec, display, owner, diagnostics, "Beta", beta, beta >= 0, "β must be a finite value ≥ 0, e.g. 0.75");
        Finite(spec, display, owner, diagnostics, "K", k, k > 0, "k must be a finite value > 0 (it keeps the base of the power positive), e.g. 1 or 2");
    }

    private static void Finite(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, string argument, double value, bool inRange, string rule)
    {
        if (!inRange || double.IsNaN(value) || double.IsInfinity(value))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf(argument), spec.Kind, display, owner, argument, value, rule));
        }
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        if (input.Count != 3)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input), "an image C×H×W",
                "Put it after a Conv2D (it normalises across the channels at each position, as nn.LocalResponseNorm needs 3-D or higher input)."));
            return null;
        }

        return input;
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) =>
        (2L * Args(spec.Arguments).Size + 4) * NetworkPlanner.ProductLong(output);

    public override string TorchModule(NodeContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        return $"nn.LocalResponseNorm({LayerCatalog.I(size)}" + (alpha != 1e-4 ? $", alpha={LayerCatalog.F(alpha)}" : string.Empty) +
            (beta != 0.75 ? $", beta={LayerCatalog.F(beta)}" : string.Empty) + (k != 1.0 ? $", k={LayerCatalog.F(k)}" : string.Empty) + ")";
    }

    public override string Title(NodeContext c) => $"LocalResponseNorm {LayerCatalog.I(Args(c.Args).Size)} {Shapes.Text(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        return $"s_c = {LayerCatalog.F(k)} + ({LayerCatalog.F(alpha)}/{LayerCatalog.I(size)})·Σ_{{c' = c − {LayerCatalog.I(size / 2)} … c + {LayerCatalog.I((size - 1) / 2)}}} x_c'² (channels outside [0, {LayerCatalog.I(c.InputShape[0])}) are 0);  y_c = x_c · s_c^(−{LayerCatalog.F(beta)})";
    }

    public override string BackwardFormula(NodeContext c) =>
        $"s recomputed from x;  dx_j = dy_j·s_j^(−β) − (2αβ/n)·x_j·Σ_{{c : j in the window of c}} dy_c·x_c·s_c^(−β−1)";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        w.WriteLine($"global::NetGen.Kernels.LocalResponseNorm.Forward<T>({c.X}, {c.Y}, B, {LayerCatalog.I(c.InputShape[0])}, {LayerCatalog.I(c.InputShape[1] * c.InputShape[2])}, {LayerCatalog.I(size)}, C({LayerCatalog.F(alpha)}), C({LayerCatalog.F(beta)}), C({LayerCatalog.F(k)}));");
    }

    public override void EmitBackward(SourceWriter w, NodeContext c)
    {
        (int size, double alpha, double beta, double k) = Args(c.Args);
        w.WriteLine($"global::NetGen.Kernels.LocalResponseNorm.Backward<T>({c.Dy}, {c.X}, {c.Dx}, B, {LayerCatalog.I(c.InputShape[0])}, {LayerCatalog.I(c.InputShape[1] * c.InputShape[2])}, {LayerCatalog.I(size)}, C({LayerCatalog.F(alpha)}), C({LayerCatalog.F(beta)}), C({LayerCatalog.F(k)}));");
    }
}
