using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog;

/// <summary>
/// Which regularisation a parameter tensor gets: L2 (λ₂, <c>WeightDecay</c>), L1 (λ₁) and max-norm (c). The network's
/// settings apply to every Dense and Conv2D weight; such a layer may replace each with its own argument of the same
/// name (0 turns it off for that layer), and opt its bias in with <c>RegularizeBias = true</c> (L2 and L1 only: max-norm
/// bounds a unit's incoming weight vector, and a bias is not one). Other parameters (PReLU slopes, normalisation γ/β)
/// are never regularised.
/// </summary>
internal static class RegularizationRule
{
    /// <summary>The strengths of one state tensor: 0 where a term does not apply.</summary>
    public static (bool Regularized, double L2, double L1, double MaxNorm) Resolve(StateDecl d, LayerSpec spec, TrainingSpec t)
    {
        bool isWeight = d.WeightDecay;
        bool regularized = isWeight || (d.Local == "bias" && d.Role == Planner.StateRole.Parameter && spec.Arguments.Bool("RegularizeBias", false));
        if (!regularized)
        {
            return (false, 0, 0, 0);
        }

        double l2 = spec.Arguments.Number("WeightDecay", t.WeightDecay);
        double l1 = spec.Arguments.Number("L1", t.L1);
        double maxNorm = isWeight ? spec.Arguments.Number("MaxNorm", t.MaxNorm) : 0;
        return (true, l2, l1, maxNorm);
    }

    /// <summary>Local name of the Lagrange multiplier α of a Dense layer's <c>NormBound</c> (a float buffer [1]).</summary>
    public const string MultiplierLocal = "constraint_alpha";

    /// <summary>Default dual ascent rate ρ of <c>NormBound</c>: α ← max(0, α + ρ·(Ω(W) − k)).</summary>
    public const double DefaultDualRate = 0.1;

    /// <summary>A Dense layer's explicit constraint Ω(W) = ½·‖W‖²_F ≤ k: (k, ρ), k = 0 when not written.</summary>
    public static (double Bound, double Rate) NormBound(LayerSpec spec) =>
        (spec.Arguments.Number("NormBound", 0), spec.Arguments.Number("DualRate", DefaultDualRate));

    /// <summary>NG0308 (NormBound not finite and &gt; 0), NG0309 (DualRate not finite and &gt; 0) and NG0317 (DualRate
    /// without NormBound, a warning), for Dense.</summary>
    public static void ValidateNormBound(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        (double bound, double rate) = NormBound(spec);
        if (spec.Arguments.Has("NormBound") && (!(bound > 0) || double.IsInfinity(bound)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NormBoundNotPositive, spec.LocationOf("NormBound"), $"{spec.Kind} layer '{display}' of {owner}", bound));
        }

        if (spec.Arguments.Has("DualRate") && (!(rate > 0) || double.IsInfinity(rate)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DualRateNotPositive, spec.LocationOf("DualRate"), $"{spec.Kind} layer '{display}' of {owner}", rate));
        }
        else if (spec.Arguments.Has("DualRate") && !spec.Arguments.Has("NormBound"))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DualRateWithoutNormBound, spec.LocationOf("DualRate"), $"{spec.Kind} layer '{display}' of {owner}", rate));
        }
    }

    /// <summary>The per-layer arguments' checks (NG0221, NG0222, NG0304), for Dense and Conv2D.</summary>
    public static void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        foreach (string argument in new[] { "WeightDecay", "L1" })
        {
            double value = spec.Arguments.Number(argument, 0);
            if (!(value >= 0) || double.IsInfinity(value))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RegularizationNegative, spec.LocationOf(argument), argument, $"{spec.Kind} layer '{display}' of {owner}", value));
            }
        }

        double maxNorm = spec.Arguments.Number("MaxNorm", 0);
        if (!(maxNorm >= 0) || double.IsInfinity(maxNorm))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MaxNormNegative, spec.LocationOf("MaxNorm"), $"{spec.Kind} layer '{display}' of {owner}", maxNorm));
        }

        if (spec.Arguments.Bool("RegularizeBias", false) && !spec.Arguments.Bool("Bias", true))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RegularizeBiasWithoutBias, spec.LocationOf("RegularizeBias"), spec.Kind, display, owner));
        }
    }
}
