using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// Batch normalisation (Ioffe and Szegedy, 2015) with PyTorch's semantics, per channel c over the B·S values of a batch
/// (S = H·W for BatchNorm2D, 1 for BatchNorm1D). Training: μ, σ² (biased) of the batch; y = γ·(x − μ)/√(σ² + ε) + β;
/// running_mean ← (1 − m)·running_mean + m·μ, running_var ← (1 − m)·running_var + m·σ²·n/(n − 1), num_batches_tracked += 1.
/// Evaluation: the running statistics instead of the batch's. γ, β are parameters (not weight-decayed); the running
/// statistics and the counter are buffers (saved and loaded, never trained).
/// </summary>
internal abstract class BatchNormEntry : LayerEntry
{
    /// <summary>The input's rank: 1 for BatchNorm1D ([C]), 3 for BatchNorm2D ([C, H, W]).</summary>
    protected abstract int Rank { get; }

    protected abstract string TorchName { get; }

    public override string DefaultName => "bn";

    public override bool TransparentForInit => true;

    public override bool ReadsTrainingFlag => true;

    private static (double Momentum, double Epsilon, bool Affine) Args(EquatableArray<ArgumentValue> a) =>
        (a.Number("Momentum", 0.1), a.Number("Epsilon", 1e-5), a.Bool("Affine", true));

    public override void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        (double momentum, double epsilon, _) = Args(spec.Arguments);
        if (!(momentum >= 0 && momentum <= 1))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("Momentum"), Kind, display, owner, "Momentum", momentum, "the running statistics' momentum must be in [0, 1] (PyTorch's convention: the weight of the new batch), e.g. 0.1"));
        }

        if (!(epsilon > 0) || double.IsInfinity(epsilon))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("Epsilon"), Kind, display, owner, "Epsilon", epsilon, "ε must be a finite value > 0, e.g. 1e-5"));
        }
    }

    public override EquatableArray<int>? OutputShape(LayerSpec spec, EquatableArray<int> input, ShapeContext shapes)
    {
        if (input.Count != Rank)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.WrongInputRank, spec.Location, Kind, shapes.Display, shapes.Owner, Shapes.Text(input), Rank == 1 ? "a vector of features" : "an image C×H×W",
                Rank == 1 ? "Use [BatchNorm2D] after a convolution, or [Flatten] then [BatchNorm1D]." : "Use [BatchNorm1D] after a Dense layer."));
            return null;
        }

        return input;
    }

    public override IEnumerable<StateDecl> State(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        int c = input[0];
        if (Args(spec.Arguments).Affine)
        {
            yield return StateDecl.Parameter("weight", new[] { c }, weightDecay: false, InitRule.Constant(1));
            yield return StateDecl.Parameter("bias", new[] { c }, weightDecay: false, InitRule.Constant(0));
        }

        yield return StateDecl.Buffer("running_mean", new[] { c }, 0);
        yield return StateDecl.Buffer("running_var", new[] { c }, 1);
        yield return StateDecl.Counter("num_batches_tracked");
    }

    public override IEnumerable<CacheDecl> Caches(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output)
    {
        yield return new CacheDecl("mean", input[0], PerSample: false, IsInt: false);
        yield return new CacheDecl("inv_std", input[0], PerSample: false, IsInt: false);
    }

    public override long Flops(LayerSpec spec, EquatableArray<int> input, EquatableArray<int> output) => 4 * NetworkPlanner.ProductLong(output);

    /// <summary>B·S values per channel are needed in training: BatchNorm1D (S = 1) needs batches of at least 2 rows.</summary>
    public override int MinimumTrainingBatch(NodeContext c) => Spatial(c) == 1 ? 2 : 1;

    public override string MinimumTrainingBatchReason => "batch normalisation over features needs at least 2 rows to compute a variance";

    private static int Spatial(NodeContext c) => c.InputLength / c.InputShape[0];

    public override string TorchModule(NodeContext c)
    {
        (double momentum, double epsilon, bool affine) = Args(c.Args);
        return $"nn.{TorchName}({LayerCatalog.I(c.InputShape[0])}" + (epsilon != 1e-5 ? $", eps={LayerCatalog.F(epsilon)}" : string.Empty) +
            (momentum != 0.1 ? $", momentum={LayerCatalog.F(momentum)}" : string.Empty) + (affine ? string.Empty : ", affine=False") + ")";
    }

    public override string Title(NodeContext c) => $"{Kind} {Shapes.Text(c.OutputShape)}";

    public override string ForwardFormula(NodeContext c)
    {
        (double momentum, double epsilon, bool affine) = Args(c.Args);
        string ch = LayerCatalog.I(c.InputShape[0]), s = LayerCatalog.I(Spatial(c));
        string affineText = affine ? $"γ[{ch}]·" : string.Empty;
        return $"training: μ, σ² over the B·{s} values of each of {ch} channels; y = {affineText}(x − μ)/√(σ² + {LayerCatalog.F(epsilon)})" + (affine ? " + β" : string.Empty) +
            $"; running stats ← (1 − {LayerCatalog.F(momentum)})·running + {LayerCatalog.F(momentum)}·batch (variance unbiased).   inference: the running statistics";
    }

    public override string BackwardFormula(NodeContext c) =>
        "x̂ = (x − μ)·invStd;  dβ = Σ dy;  dγ = Σ dy ⊙ x̂;  dx = (γ·invStd/n)·(n·dy − Σ dy − x̂ ⊙ Σ(dy ⊙ x̂)), n = B·S";

    public override void EmitForward(SourceWriter w, NodeContext c)
    {
        (double momentum, double epsilon, _) = Args(c.Args);
        string dims = $"B, {LayerCatalog.I(c.InputShape[0])}, {LayerCatalog.I(Spatial(c))}";
        w.WriteLine("if (training)");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.BatchNorm.ForwardTraining<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Y}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Buf("running_mean")}, {c.Buf("running_var")}, {dims}, C({LayerCatalog.F(momentum)}), C({LayerCatalog.F(epsilon)}));");
        w.WriteLine($"{c.Counter("num_batches_tracked")}++;");
        w.CloseBrace();
        w.WriteLine("else");
        w.OpenBrace();
        w.WriteLine($"global::NetGen.Kernels.BatchNorm.ForwardInference<T>({c.X}, {c.P("weight")}, {c.P("bias")}, {c.Buf("running_mean")}, {c.Buf("running_var")}, {c.Y}, {dims}, C({LayerCatalog.F(epsilon)}));");
        w.CloseBrace();
    }

    public override void EmitBackward(SourceWriter w, NodeContext c) =>
        w.WriteLine($"global::NetGen.Kernels.BatchNorm.Backward<T>({c.Dy}, {c.X}, {c.P("weight")}, {c.Cache("mean")}, {c.Cache("inv_std")}, {c.Dx}, {c.G("weight")}, {c.G("bias")}, B, {LayerCatalog.I(c.InputShape[0])}, {LayerCatalog.I(Spatial(c))});");
}

/// <summary>BatchNorm1D over [B, C] (nn.BatchNorm1d), e.g. after a Dense layer.</summary>
internal sealed class BatchNorm1DEntry : BatchNormEntry
{
    public override string Kind => "BatchNorm1D";

    protected override int Rank => 1;

    protected override string TorchName => "BatchNorm1d";
}

/// <summary>BatchNorm2D over [B, C, H, W] (nn.BatchNorm2d), statistics per channel over B·H·W, e.g. after a Conv2D.</summary>
internal sealed class BatchNorm2DEntry : BatchNormEntry
{
    /// <summary>The Conv2D this BatchNorm folds into for inference (FoldBatchNorm), or null: the input must be the output of a
    /// Conv2D that nothing else reads, and that is not part of a fused kernel.</summary>
    internal static NodePlan? FoldTarget(CpuPlan cpu, NodePlan bn)
    {
        int producer = cpu.Plan.Tensors[bn.Inputs[0]].Producer;
        if (bn.Kind != "BatchNorm2D" || producer < 0 || cpu.Plan.Nodes[producer].Kind != "Conv2D" || cpu.Nodes[producer].Pair != PairRole.None || cpu.Nodes[producer].FusesNextReLU)
        {
            return null;
        }

        foreach (NodePlan other in cpu.Plan.Nodes)
        {
            foreach (int input in other.Inputs)
            {
                if (other.Ordinal != bn.Ordinal && input == bn.Inputs[0])
                {
                    return null;
                }
            }
        }

        return cpu.Plan.Nodes[producer];
    }

    internal static double Epsilon(NodePlan bn) => bn.Arguments.Number("Epsilon", 1e-5);

    public override string Kind => "BatchNorm2D";

    protected override int Rank => 3;

    protected override string TorchName => "BatchNorm2d";
}
