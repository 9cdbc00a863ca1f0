using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator;

public sealed partial class NetGenGenerator
{
    /// <summary>
    /// The checks that keep the generator's output compilable whatever the declaration (docs/adr/0032): the class must be
    /// one members can be added to (NG0010–NG0013), every layer attribute must be one NetGen knows (NG0014), layer names
    /// must be writable in comments and literals (NG0015), and every floating value must survive float32 (NG0211, NG0315,
    /// NG0316).
    /// </summary>
    internal static class DeclarationChecks
    {
        /// <summary>Members every generated network (or its throwing stand-in) declares: a class of that name would get
        /// CS0542. Names that start with "L", digits and "_", or with "s_" or "_", are generated constants and fields.</summary>
        internal static readonly HashSet<string> GeneratedMembers = new(StringComparer.Ordinal)
        {
            "InputSize", "OutputSize", "MaxBatch", "ParameterCount", "BufferCount", "ActivationArenaSize", "GradientBufferSize",
            "IndexArenaSize", "Core", "Folded", "Seed", "Step", "LearningRate", "ClipGradientValue", "ClipGradientNorm",
            "LastGradientNorm", "ClipGradients", "InputShape", "ParameterTable", "BufferTable", "Parameters", "Gradients",
            "GetParameter", "GetGradient", "GetBuffer", "GetCounter", "WritableParameters", "Predict", "TrainStep",
            "ComputeGradients", "GradCheck", "Save", "Load", "SaveTrainingState", "LoadTrainingState", "Summary", "SummaryText",
            "FoldBatchNorm", "ExportOnnx", "SaveInference", "Initialize", "InitializeBuffers", "ErrorMessage", "Penalty",
            "Loss", "LossMargin", "LossDelta", "ActivationTable", "GetActivations", "GetActivationGradients",
            "RecordActivationGradients", "ActivationGradients", "RecordActivations", "ActivationsRecorded", "ActivationRows", "OptimizerState", "ResetOptimizerState", "WeightsChanged",
            "PredictClasses", "ClassTree", "Features", "Backend", "CopyFromDevice", "CopyToDevice", "CudaCore", "CudaStep", "CudaGraphs", "Dispose",
            "CudaUnsupported",
        };

        /// <summary>Contextual keywords the generated code writes where a type of the same name would be bound instead
        /// (<c>var</c> locals, the <c>unmanaged</c> constraint, …).</summary>
        internal static readonly HashSet<string> ContextualKeywords = new(StringComparer.Ordinal)
        {
            "var", "unmanaged", "dynamic", "notnull", "nint", "nuint", "managed", "nameof", "value", "global", "field", "scoped",
            "record", "await", "async", "yield", "when", "with", "and", "or", "not", "args", "file", "required", "allows",
        };

        public static bool IsGeneratedMemberName(string name) =>
            GeneratedMembers.Contains(name) ||
            IsLayerConstantName(name) ||
            name.StartsWith("s_", StringComparison.Ordinal) ||
            name.StartsWith("_", StringComparison.Ordinal);

        /// <summary>The generated per-layer constants are "L", digits, "_", then the rest (<c>L0_Weight</c>); a class named
        /// <c>L1Sgd</c> or <c>L2Net</c> collides with none of them.</summary>
        private static bool IsLayerConstantName(string name)
        {
            if (name.StartsWith("LHsm_", StringComparison.Ordinal)) return true; // the hierarchical softmax's node parameters
            if (name.Length < 3 || name[0] != 'L' || !char.IsDigit(name[1])) return false;
            int i = 1;
            while (i < name.Length && char.IsDigit(name[i])) i++;
            return i < name.Length && name[i] == '_';
        }

        /// <summary>NG0010–NG0013 for the [Network] class, or null when members can be added to it.</summary>
        public static DiagnosticInfo? DeclarationProblem(INamedTypeSymbol symbol, LocationInfo? identifier, CancellationToken cancellationToken)
        {
            string name = symbol.Name;
            if (symbol.IsRecord)
            {
                return DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, identifier, name, symbol.TypeKind == TypeKind.Struct ? "record struct" : "record class");
            }

            if (symbol.IsStatic)
            {
                return DiagnosticInfo.Create(DiagnosticDescriptors.StaticClass, identifier, name);
            }

            foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: { } parameters })
                {
                    return DiagnosticInfo.Create(DiagnosticDescriptors.PrimaryConstructor, LocationInfo.From(parameters.GetLocation()), name);
                }
            }

            if (IsGeneratedMemberName(name))
            {
                return DiagnosticInfo.Create(DiagnosticDescriptors.NameCollidesWithGeneratedMember, identifier, name, "has the name of a member NetGen generates in it ('" + name + "')", name + "Network");
            }

            if (symbol.ContainingNamespace is { IsGlobalNamespace: true } && name is "System" or "NetGen")
            {
                return DiagnosticInfo.Create(DiagnosticDescriptors.NameCollidesWithGeneratedMember, identifier, name, "is declared in the global namespace with the name of the namespace 'global::" + name + "', which the generated code uses", name + "Network");
            }

            if (ContextualKeywords.Contains(name))
            {
                return DiagnosticInfo.Create(DiagnosticDescriptors.NameCollidesWithGeneratedMember, identifier, name, "is named like the contextual keyword '" + name + "', which the generated code uses", char.ToUpperInvariant(name[0]) + name.Substring(1) + "Network");
            }

            return null;
        }

        /// <summary>NG0013 for a [Block] on a record, else null.</summary>
        public static DiagnosticInfo? BlockProblem(INamedTypeSymbol symbol, LocationInfo? location) =>
            symbol.IsRecord ? DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, location, symbol.Name, symbol.TypeKind == TypeKind.Struct ? "record struct" : "record class") : null;

        /// <summary>NG0014: an attribute that derives from NetGen.LayerAttribute and is not in the catalog.</summary>
        public static bool IsForeignLayerAttribute(INamedTypeSymbol attributeClass)
        {
            for (INamedTypeSymbol? type = attributeClass.BaseType; type is not null; type = type.BaseType)
            {
                if (type.ToDisplayString() == KnownTypeNames.LayerAttribute)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>NG0015 for a layer name that cannot be written into generated comments and literals; NG0211 for a
        /// non-finite BiasInit; NG0315 for a finite argument beyond float32's range, or a probability, rate or coefficient that
        /// float32 rounds to 1 or 0 (<see cref="LayerRules"/>); NG0316 for a strength that float32 rounds to 0.</summary>
        public static void CheckLayer(AttributeData attribute, LayerSpec layer, string display, string owner, List<DiagnosticInfo> diagnostics)
        {
            if (layer.Name is { } layerName && BadNameCharacter(layerName) is { } bad)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNameCharacter, layer.LocationOf("Name"), Printable(layerName), owner, bad, Suggest(layerName)));
            }

            foreach (ArgumentValue value in layer.Arguments)
            {
                if (value.Text is not null || !IsDoubleArgument(attribute, value.Name))
                {
                    continue;
                }

                double v = value.Number;
                if (value.Name == "BiasInit" && (double.IsNaN(v) || double.IsInfinity(v)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerArgumentOutOfRange, layer.LocationOf("BiasInit"), layer.Kind, display, owner, "BiasInit", v, "the bias starts at this constant, which must be finite, e.g. 0"));
                }
                else if (!double.IsNaN(v) && !double.IsInfinity(v) && Math.Abs(v) > float.MaxValue)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Float32Rounding, layer.LocationOf(value.Name), value.Name, layer.Kind + " layer '" + display + "' of " + owner, v, v > 0 ? "+∞" : "−∞", "the largest float32 is about 3.4e38", "Use a value of at most 3.4e38 in magnitude."));
                }
                else if (LayerRule(layer, value.Name) is { } rule)
                {
                    CheckFloat32(value.Name, layer.Kind + " layer '" + display + "' of " + owner, v, rule.Rule, layer.LocationOf(value.Name), rule.Reason, diagnostics);
                }
            }
        }

        /// <summary>
        /// What float32 must keep of each layer argument that is a probability, rate, coefficient or strength (NG0315,
        /// NG0316), with what goes wrong when it does not. Arguments not listed may be 0 (<c>BiasInit</c>, <c>InitValue</c>,
        /// <c>PReLU.Init</c>, <c>Standout.Alpha</c>/<c>Beta</c>) or are used only by the generator in double
        /// (<c>FractionalMaxPool2D.OutputRatio</c>, whose output size NG0252 checks); their range beyond float32 is still
        /// NG0315's (docs/adr/0042).
        /// </summary>
        internal static readonly (string[] Kinds, string Argument, Float32Rule Rule, string Reason)[] LayerRules =
        {
            (new[] { "Dropout", "VanillaDropout", "Dropout2D", "DropConnect" }, "P", Float32Rule.BelowOne, "a drop probability of 1 drops every value (the uniform draws are float32, all below 1), so nothing reaches the layers after it and nothing is learned"),
            (new[] { "GaussianDropout" }, "P", Float32Rule.BelowOne, "the noise variance p/(1 − p) divides by 1 − p = 0"),
            (new[] { "Residual" }, "DropProbability", Float32Rule.BelowOne, "the branch is always dropped and the kept branch's scale 1/(1 − p) divides by 0"),
            (new[] { "BatchNorm1D", "BatchNorm2D", "LayerNorm" }, "Epsilon", Float32Rule.Positive, "ε keeps 1/√(σ² + ε) finite for a constant input; at 0 it divides by 0 and the layer's output and gradients become NaN"),
            (new[] { "BatchNorm1D", "BatchNorm2D" }, "Momentum", Float32Rule.NonNegative, ""),
            (new[] { "LocalResponseNorm" }, "K", Float32Rule.Positive, "k keeps the base of (k + (α/n)·Σx²)^β positive; at 0 an all-zero window divides by 0"),
            (new[] { "LocalResponseNorm" }, "Alpha", Float32Rule.NonNegative, ""),
            (new[] { "LocalResponseNorm" }, "Beta", Float32Rule.NonNegative, ""),
            (new[] { "ELU" }, "Alpha", Float32Rule.Positive, "ELU's α must be positive; at 0 every negative input gives 0 and its gradient 0"),
            (new[] { "LeakyReLU" }, "Slope", Float32Rule.NonNegative, ""),
            (new[] { "Dense", "Conv2D" }, "WeightDecay", Float32Rule.NonNegative, ""),
            (new[] { "Dense", "Conv2D" }, "L1", Float32Rule.NonNegative, ""),
            (new[] { "Dense", "Conv2D" }, "MaxNorm", Float32Rule.NonNegative, ""),
            (new[] { "Dense" }, "NormBound", Float32Rule.Positive, "the bound k of ½·‖W‖²_F ≤ k becomes 0, which pulls every weight to 0"),
            (new[] { "Dense" }, "DualRate", Float32Rule.Positive, "the multiplier α ← max(0, α + ρ·(Ω(W) − k)) never moves, so the constraint is never enforced"),
            (new[] { "Dense", "Conv2D", "DropConnect" }, "SparseStd", Float32Rule.Positive, "every non-zero weight of the sparse initialisation becomes 0"),
            (new[] { "Dense", "Conv2D", "DropConnect" }, "InitGain", Float32Rule.Positive, "every weight of the orthogonal initialisation becomes 0"),
        };

        /// <summary>The rule of a layer's argument, or null where none applies or the argument is not read: DualRate
        /// without NormBound (NG0317 says so), SparseStd without Init.Sparse and InitGain without Init.Orthogonal (NG0307).</summary>
        private static (Float32Rule Rule, string Reason)? LayerRule(LayerSpec layer, string argument)
        {
            if ((argument == "DualRate" && !layer.Arguments.Has("NormBound")) ||
                (argument == "SparseStd" && layer.Arguments.Int("Init", 0) != 10) ||
                (argument == "InitGain" && layer.Arguments.Int("Init", 0) != 11))
            {
                return null;
            }

            foreach ((string[] kinds, string name, Float32Rule rule, string reason) in LayerRules)
            {
                if (name == argument && Array.IndexOf(kinds, layer.Kind) >= 0)
                {
                    return (rule, reason);
                }
            }

            return null;
        }

        /// <summary>NG0315 for a finite value, valid as a double, that float32 rounds to 1 (<see cref="Float32Rule.BelowOne"/>)
        /// or to 0 (<see cref="Float32Rule.Positive"/>); NG0316 for a positive value of any other rule that rounds to 0.
        /// <paramref name="reason"/> says what the rounded value does (empty: the generic words).</summary>
        private static void CheckFloat32(string setting, string owner, double value, Float32Rule rule, LocationInfo? at, string reason, List<DiagnosticInfo> diagnostics)
        {
            float single = (float)value;
            if (rule == Float32Rule.BelowOne && value < 1 && single >= 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Float32Rounding, at, setting, owner, value, "1", reason.Length > 0 ? reason : "a decay rate or probability of exactly 1 divides by 1 − " + setting + " = 0, so every parameter becomes NaN or stops moving", "Use a value of at most 0.9999999 (float32 has about 7 significant digits)."));
            }
            else if (value > 0 && single == 0)
            {
                if (rule == Float32Rule.Positive)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Float32Rounding, at, setting, owner, value, "0", reason.Length > 0 ? reason : "a value that must be positive becomes 0, so training does not move or divides by 0", "Use a value of at least 1e-38."));
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Float32Underflow, at, setting, owner, value));
                }
            }
        }

        private static bool IsDoubleArgument(AttributeData attribute, string name)
        {
            foreach (KeyValuePair<string, TypedConstant> pair in attribute.NamedArguments)
            {
                if (pair.Key == name)
                {
                    return pair.Value.Type?.SpecialType == SpecialType.System_Double;
                }
            }

            if (attribute.AttributeConstructor is { } constructor)
            {
                for (int i = 0; i < constructor.Parameters.Length && i < attribute.ConstructorArguments.Length; i++)
                {
                    string parameter = constructor.Parameters[i].Name;
                    if (parameter.Length > 0 && char.ToUpperInvariant(parameter[0]) + parameter.Substring(1) == name)
                    {
                        return attribute.ConstructorArguments[i].Type?.SpecialType == SpecialType.System_Double;
                    }
                }
            }

            return false;
        }

        /// <summary>What makes a layer name unwritable ("a line break (U+000A)"), or null when it is fine.</summary>
        internal static string? BadNameCharacter(string name)
        {
            for (int i = 0; i < name.Length; i++)
            {
                char ch = name[i];
                if (char.IsHighSurrogate(ch) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
                {
                    i++;
                    continue;
                }

                string? what = ch switch
                {
                    '\n' or '\r' or '\u0085' or '\u2028' or '\u2029' => "a line break",
                    '"' => "a quote",
                    '\\' => "a backslash",
                    '<' or '>' or '&' => "an XML markup character",
                    _ when char.IsSurrogate(ch) => "an unpaired surrogate",
                    _ when char.IsControl(ch) => "a control character",
                    _ => null,
                };
                if (what is not null)
                {
                    return what + " (U+" + ((int)ch).ToString("X4", CultureInfo.InvariantCulture) + ")";
                }
            }

            return null;
        }

        /// <summary>The name with every character NG0015 refuses written as \uXXXX, for the message.</summary>
        private static string Printable(string name)
        {
            var sb = new System.Text.StringBuilder(name.Length);
            foreach (char ch in name)
            {
                sb.Append(char.IsControl(ch) || char.IsSurrogate(ch) || ch is '\u2028' or '\u2029' or '"' or '\\' ? "\\u" + ((int)ch).ToString("X4", CultureInfo.InvariantCulture) : ch.ToString());
            }

            return sb.ToString();
        }

        private static string Suggest(string name)
        {
            var sb = new System.Text.StringBuilder(name.Length);
            foreach (char ch in name)
            {
                if (char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.' or ' ')
                {
                    sb.Append(ch);
                }
                else if (sb.Length > 0 && sb[sb.Length - 1] != '_')
                {
                    sb.Append('_');
                }
            }

            return sb.Length == 0 ? "layer1" : sb.ToString();
        }

        /// <summary>
        /// NG0315 and NG0316 for the [Network] values that passed their range checks (NG02xx) but change in float32, where
        /// training does its arithmetic: a rate that becomes 0 or ∞, a decay factor that becomes 1, a positive strength that
        /// becomes 0.
        /// </summary>
        public static void CheckNetworkFloat32(string name, Func<string, LocationInfo?> at, ISet<string> written, IReadOnlyList<(string Setting, double Value, Float32Rule Rule)> settings, List<DiagnosticInfo> diagnostics)
        {
            string owner = "network '" + name + "'";
            foreach ((string setting, double value, Float32Rule rule) in settings)
            {
                if (!written.Contains(setting) || double.IsNaN(value) || double.IsInfinity(value))
                {
                    continue; // defaults are fine; NaN and ∞ are NG02xx's
                }

                if (float.IsInfinity((float)value))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Float32Rounding, at(setting), setting, owner, value, "∞", "the largest float32 is about 3.4e38, and every value it touches becomes ∞ or NaN", "Use a value of at most 3.4e38."));
                }
                else
                {
                    CheckFloat32(setting, owner, value, rule, at(setting), string.Empty, diagnostics);
                }
            }
        }

        /// <summary>What float32 must keep of a [Network] value: above 0, below 1, or only finite (a strength ≥ 0).</summary>
        internal enum Float32Rule
        {
            Positive,
            BelowOne,
            NonNegative,
        }
    }
}
