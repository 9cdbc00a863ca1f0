using System;
using System.Collections.Generic;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// The weight initialisation options shared by [Dense] and [Conv2D]: <c>Init</c> and the options some members read
/// (<c>FanMode</c>, <c>InitValue</c>, <c>SparseCount</c>, <c>SparseStd</c>, <c>InitGain</c>), their checks, and the rule
/// each resolves to once the planner knows the fans and the activation that follows.
/// </summary>
internal static class WeightInit
{
    /// <summary>Each option and the members that read it (NG0307 names them when another member is chosen).</summary>
    private static readonly (string Option, InitKind[] Readers)[] Options =
    {
        ("FanMode", new[] { InitKind.Auto, InitKind.HeNormal, InitKind.HeUniform, InitKind.LeCunNormal }),
        ("InitValue", new[] { InitKind.Constant }),
        ("SparseCount", new[] { InitKind.Sparse }),
        ("SparseStd", new[] { InitKind.Sparse }),
        ("InitGain", new[] { InitKind.Orthogonal }),
    };

    /// <summary>NG0005 for an undefined Init or FanMode, NG0211 for an option out of range, NG0306 for a constant
    /// initialisation, NG0307 for an option the chosen member does not read.</summary>
    public static void Validate(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics)
    {
        EquatableArray<ArgumentValue> args = spec.Arguments;
        int init = args.Int("Init", 0);
        if (!Enum.IsDefined(typeof(InitKind), init))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, spec.LocationOf("Init"), "Init", init, owner, string.Join(", ", Enum.GetNames(typeof(InitKind)))));
            return;
        }

        int fanMode = args.Int("FanMode", 0);
        if (!Enum.IsDefined(typeof(FanModeKind), fanMode))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, spec.LocationOf("FanMode"), "FanMode", fanMode, owner, string.Join(", ", Enum.GetNames(typeof(FanModeKind)))));
        }

        int count = args.Int("SparseCount", 10);
        if (count < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("SparseCount"), spec.Kind, display, owner, "SparseCount", count, "each unit needs at least one non-zero incoming weight, e.g. 10"));
        }

        Positive(spec, display, owner, diagnostics, "SparseStd", args.Number("SparseStd", 0.01), "the non-zero weights are drawn from N(0, SparseStd²), e.g. 0.01");
        Positive(spec, display, owner, diagnostics, "InitGain", args.Number("InitGain", 1.0), "the orthogonal matrix is scaled by InitGain, e.g. 1 (or √2 before a ReLU)");
        double value = args.Number("InitValue", 0);
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf("InitValue"), spec.Kind, display, owner, "InitValue", value, "the constant must be finite"));
        }

        var kind = (InitKind)init;
        if (kind is InitKind.Zeros or InitKind.Constant)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConstantInit, spec.LocationOf("Init"), kind, spec.Kind, display, owner, LayerCatalog.F(kind == InitKind.Zeros ? 0 : value)));
        }

        foreach ((string option, InitKind[] readers) in Options)
        {
            if (args.Has(option) && Array.IndexOf(readers, kind) < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InitOptionIgnored, spec.LocationOf(option), option, spec.Kind, display, owner, kind,
                    string.Join(" or ", Array.ConvertAll(readers, r => "Init." + r))));
            }
        }
    }

    private static void Positive(LayerSpec spec, string display, string owner, List<DiagnosticInfo> diagnostics, string option, double value, string rule)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, spec.LocationOf(option), spec.Kind, display, owner, option, value, "it must be positive and finite: " + rule));
        }
    }

    /// <summary>
    /// The rule of a weight with <paramref name="fanIn"/> and <paramref name="fanOut"/> (PyTorch's
    /// <c>_calculate_fan_in_and_fan_out</c>): Auto is He normal before the ReLU family and Glorot uniform otherwise.
    /// </summary>
    public static InitRule Resolve(EquatableArray<ArgumentValue> args, bool followedByReLUFamily, long fanIn, long fanOut)
    {
        var kind = (InitKind)args.Int("Init", 0);
        if (kind == InitKind.Auto)
        {
            kind = followedByReLUFamily ? InitKind.HeNormal : InitKind.GlorotUniform;
        }

        bool byFanOut = (FanModeKind)args.Int("FanMode", 0) == FanModeKind.FanOut;
        long n = byFanOut ? fanOut : fanIn;
        string fan = byFanOut ? "n_out" : "n_in";
        string fi = I(fanIn), fo = I(fanOut), fn = I(n);
        return kind switch
        {
            InitKind.HeNormal => new InitRule(InitDistribution.Normal, Math.Sqrt(2.0 / n), $"He normal: N(0, 2/{fan}), std = √(2/{fn})"),
            InitKind.HeUniform => new InitRule(InitDistribution.Uniform, Math.Sqrt(6.0 / n), $"He uniform: U(±√(6/{fan})) = U(±√(6/{fn}))"),
            InitKind.GlorotNormal => new InitRule(InitDistribution.Normal, Math.Sqrt(2.0 / (fanIn + fanOut)), $"Glorot normal: N(0, 2/(n_in+n_out)), std = √(2/({fi}+{fo}))"),
            InitKind.SmallNormal => new InitRule(InitDistribution.Normal, 0.01, "small normal: 0.01·N(0, 1)"),
            InitKind.PyTorchDefault => new InitRule(InitDistribution.Uniform, 1.0 / Math.Sqrt(fanIn), $"PyTorch default: U(±1/√n_in) = U(±1/√{fi})"),
            InitKind.Zeros => InitRule.Constant(0),
            InitKind.Constant => InitRule.Constant(args.Number("InitValue", 0)),
            InitKind.LeCunNormal => new InitRule(InitDistribution.Normal, 1.0 / Math.Sqrt(n), $"LeCun normal (calibrated 1/√n): N(0, 1/{fan}), std = 1/√{fn}"),
            InitKind.Sparse => new InitRule(InitDistribution.Sparse, args.Number("SparseStd", 0.01),
                $"sparse: {I(Math.Min(args.Int("SparseCount", 10), fanIn))} of the {fi} incoming weights of each unit ~ N(0, {LayerCatalog.F(args.Number("SparseStd", 0.01))}²), the rest 0", args.Int("SparseCount", 10)),
            InitKind.Orthogonal => new InitRule(InitDistribution.Orthogonal, args.Number("InitGain", 1.0),
                $"orthogonal: {LayerCatalog.F(args.Number("InitGain", 1.0))}·Q, Q with orthonormal rows or columns from the QR factorisation of a Gaussian [units × {fi}] matrix"),
            _ => new InitRule(InitDistribution.Uniform, Math.Sqrt(6.0 / (fanIn + fanOut)), $"Glorot uniform: U(±√(6/(n_in+n_out))) = U(±√(6/({fi}+{fo})))"),
        };
    }

    private static string I(long value) => LayerCatalog.I(value);
}
