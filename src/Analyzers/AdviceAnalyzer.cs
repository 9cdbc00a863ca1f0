using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace NetGen.Analyzers;

/// <summary>
/// Reports the advice diagnostics NG0320–NG0325 on a <c>[Network]</c> or <c>[Block]</c> class. It reads the layer
/// attributes in the order the generator reads them (<see cref="ISymbol.GetAttributes"/>), and needs only that list
/// and the <c>[Network]</c> arguments: every rule is about a layer and its neighbour, or a written value.
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class AdviceAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The layers that own weights: a Dense, a Conv2D, or a residual block (whose layers do).</summary>
    private static readonly HashSet<string> WeightLayers = new(StringComparer.Ordinal) { "Dense", "Conv2D", "Residual" };

    /// <summary>The activations He et al. derive their initialisation for (ELU behaves like a ReLU for x &gt; 0).</summary>
    private static readonly HashSet<string> RectifierFamily = new(StringComparer.Ordinal) { "ReLU", "LeakyReLU", "PReLU", "ELU" };

    /// <summary>The usual learning rates per optimizer (lower, upper) and where they come from (docs/diagnostics.md, NG0324).</summary>
    private static readonly Dictionary<string, (double Low, double High, string Source)> LearningRateRanges = new(StringComparer.Ordinal)
    {
        ["Sgd"] = (1e-4, 1, "Bengio 2012, \"Practical recommendations for gradient-based training\", §3.1.1: 0.01 as the usual default, below 1"),
        ["Momentum"] = (1e-4, 1, "Bengio 2012, §3.1.1; Sutskever et al. 2013"),
        ["Nesterov"] = (1e-4, 1, "Bengio 2012, §3.1.1; Sutskever et al. 2013"),
        ["Adam"] = (1e-4, 1e-2, "Kingma & Ba 2015: default 0.001"),
        ["AdamW"] = (1e-4, 1e-2, "Loshchilov & Hutter 2019, PyTorch's default 0.001"),
        ["AdaGrad"] = (1e-3, 1e-1, "Duchi et al. 2011, PyTorch's default 0.01"),
        ["RmsProp"] = (1e-4, 1e-1, "Hinton's lecture 6e: 0.001; PyTorch's default 0.01"),
        ["AdaDelta"] = (1e-1, 10, "Zeiler 2012 has no learning rate, i.e. 1; PyTorch's default 1.0"),
    };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        AdviceDescriptors.SaturatingHiddenActivation,
        AdviceDescriptors.GlorotBeforeReLU,
        AdviceDescriptors.BiasBeforeBatchNorm,
        AdviceDescriptors.DropoutAfterLastLayer,
        AdviceDescriptors.LearningRateOutOfRange,
        AdviceDescriptors.L2WithTightMaxNorm);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // Without the NetGen runtime there is nothing to analyse.
            INamedTypeSymbol? network = start.Compilation.GetTypeByMetadataName("NetGen.NetworkAttribute");
            INamedTypeSymbol? block = start.Compilation.GetTypeByMetadataName("NetGen.BlockAttribute");
            INamedTypeSymbol? layer = start.Compilation.GetTypeByMetadataName("NetGen.LayerAttribute");
            if (network is null || block is null || layer is null)
            {
                return;
            }

            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, network, block, layer), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol networkType, INamedTypeSymbol blockType, INamedTypeSymbol layerType)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        AttributeData? network = null;
        bool isBlock = false;
        var layers = new List<Layer>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            INamedTypeSymbol? attributeClass = attribute.AttributeClass;
            if (attributeClass is null)
            {
                continue;
            }

            if (SymbolEqualityComparer.Default.Equals(attributeClass, networkType))
            {
                network = attribute;
            }
            else if (SymbolEqualityComparer.Default.Equals(attributeClass, blockType))
            {
                isBlock = true;
            }
            else if (SymbolEqualityComparer.Default.Equals(attributeClass.BaseType, layerType)
                     && attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is AttributeSyntax syntax)
            {
                string kind = attributeClass.Name.EndsWith("Attribute", StringComparison.Ordinal) ? attributeClass.Name.Substring(0, attributeClass.Name.Length - "Attribute".Length) : attributeClass.Name;
                layers.Add(new Layer(kind, attribute, syntax, layers.Count));
            }
        }

        if (network is null && !isBlock)
        {
            return;
        }

        string owner = network is not null ? $"network '{type.Name}'" : $"block '{type.Name}'";
        for (int i = 0; i < layers.Count; i++)
        {
            Layer current = layers[i];
            Layer? next = i + 1 < layers.Count ? layers[i + 1] : null;
            bool weightsFollow = false;
            for (int j = i + 1; j < layers.Count && !weightsFollow; j++)
            {
                weightsFollow = WeightLayers.Contains(layers[j].Kind);
            }

            // NG0320: a sigmoid or tanh whose output reaches another weight layer is a hidden activation.
            if ((current.Kind == "Sigmoid" || current.Kind == "Tanh") && weightsFollow)
            {
                string extra = current.Kind == "Sigmoid" ? ", and its outputs are all positive (not zero-centred), so the next layer's weight gradients all share one sign" : string.Empty;
                context.ReportDiagnostic(Diagnostic.Create(AdviceDescriptors.SaturatingHiddenActivation, current.Syntax.GetLocation(), current.Kind, current.Display, owner, extra));
            }

            if (current.Kind == "Dense" || current.Kind == "Conv2D")
            {
                // NG0321: Glorot or LeCun (1/√n) initialisation directly before a rectifier.
                if (next is not null && RectifierFamily.Contains(next.Kind) && current.EnumName("Init") is { } init
                    && (init == "GlorotNormal" || init == "GlorotUniform" || init == "LeCunNormal"))
                {
                    string variance = init == "LeCunNormal" ? "1/n_in" : "2/(n_in + n_out)";
                    context.ReportDiagnostic(Diagnostic.Create(AdviceDescriptors.GlorotBeforeReLU, current.ArgumentLocation("Init"), current.Kind, current.Display, owner, init, next.Kind, variance));
                }

                // NG0322: a bias directly before BatchNorm, whose mean subtraction cancels it.
                if (next is not null && (next.Kind == "BatchNorm1D" || next.Kind == "BatchNorm2D") && current.Bool("Bias") != false)
                {
                    context.ReportDiagnostic(Diagnostic.Create(AdviceDescriptors.BiasBeforeBatchNorm, current.ArgumentLocation("Bias"), current.Kind, current.Display, owner, next.Kind, next.Display));
                }

                ReportL2WithTightMaxNorm(context, current, network, owner);
            }

            // NG0323: in a network (a block's last layer is not the network's), a dropout no weight layer follows.
            if (current.Kind == "Dropout" && network is not null && !weightsFollow)
            {
                double p = current.Attribute.ConstructorArguments.Length == 1 && current.Attribute.ConstructorArguments[0].Value is double value ? value : 0;
                context.ReportDiagnostic(Diagnostic.Create(AdviceDescriptors.DropoutAfterLastLayer, current.Syntax.GetLocation(), current.Display, owner, p));
            }
        }

        if (network is not null)
        {
            ReportLearningRate(context, network, owner);
        }
    }

    /// <summary>NG0325 for one Dense or Conv2D: the layer's own WeightDecay and MaxNorm, or else the network's (a block's
    /// layers use only their own, since the block may serve several networks).</summary>
    private static void ReportL2WithTightMaxNorm(SymbolAnalysisContext context, Layer layer, AttributeData? network, string owner)
    {
        double? ownL2 = layer.Number("WeightDecay");
        double? ownMaxNorm = layer.Number("MaxNorm");
        double l2 = ownL2 ?? (network is null ? 0 : Named(network, "WeightDecay") as double? ?? 0);
        double maxNorm = ownMaxNorm ?? (network is null ? 0 : Named(network, "MaxNorm") as double? ?? 0);
        if (!(l2 > 0) || !(maxNorm > 0) || !(maxNorm < 3) || double.IsInfinity(l2))
        {
            return;
        }

        if (ownMaxNorm is null && ownL2 is null)
        {
            // Both from the network: reported once, on the network's MaxNorm, by the first layer that inherits both.
            if (layer.Index != FirstInheritingLayer(context, layer))
            {
                return;
            }

            Location location = ArgumentLocation(network!, "MaxNorm") ?? layer.Syntax.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(AdviceDescriptors.L2WithTightMaxNorm, location, owner, Format(l2), Format(maxNorm)));
            return;
        }

        Location where = ownMaxNorm is not null ? layer.ArgumentLocation("MaxNorm") : layer.ArgumentLocation("WeightDecay");
        context.ReportDiagnostic(Diagnostic.Create(AdviceDescriptors.L2WithTightMaxNorm, where, $"{layer.Kind} layer '{layer.Display}' of {owner}", Format(l2), Format(maxNorm)));
    }

    /// <summary>The index of the first Dense or Conv2D of the class that sets neither WeightDecay nor MaxNorm.</summary>
    private static int FirstInheritingLayer(SymbolAnalysisContext context, Layer layer)
    {
        int index = 0;
        foreach (AttributeData attribute in context.Symbol.GetAttributes())
        {
            string? name = attribute.AttributeClass?.Name;
            if (name == "DenseAttribute" || name == "Conv2DAttribute")
            {
                if (Named(attribute, "WeightDecay") is null && Named(attribute, "MaxNorm") is null)
                {
                    return index;
                }
            }

            if (attribute.AttributeClass?.BaseType?.Name == "LayerAttribute")
            {
                index++;
            }
        }

        return layer.Index;
    }

    /// <summary>NG0324: a written learning rate more than 10 times outside the optimizer's usual range (≤ 0, NaN and ∞
    /// are NG0203's).</summary>
    private static void ReportLearningRate(SymbolAnalysisContext context, AttributeData network, string owner)
    {
        if (Named(network, "LearningRate") is not double rate || !(rate > 0) || double.IsInfinity(rate))
        {
            return;
        }

        string optimizer = "Sgd";
        if (NamedConstant(network, "Optimizer") is { Type: INamedTypeSymbol enumType, Value: { } raw })
        {
            optimizer = EnumMemberName(enumType, raw) ?? string.Empty;
        }

        // "Far outside": more than a decade beyond the usual range, where the usual value is almost surely not meant.
        if (!LearningRateRanges.TryGetValue(optimizer, out (double Low, double High, string Source) range) || (rate >= range.Low / 10 && rate <= range.High * 10))
        {
            return;
        }

        bool below = rate < range.Low / 10;
        string consequence = below
            ? "steps this small barely move the weights, and the loss seems stuck"
            : "steps this large make the loss oscillate or diverge, and can leave many ReLU units dead for good (the CS231n notes: up to 40 %)";
        context.ReportDiagnostic(Diagnostic.Create(
            AdviceDescriptors.LearningRateOutOfRange, ArgumentLocation(network, "LearningRate") ?? Location.None,
            Format(rate), owner, below ? "below" : "above", optimizer, Format(range.Low), Format(range.High), range.Source, consequence));
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static object? Named(AttributeData attribute, string name) => NamedConstant(attribute, name)?.Value;

    private static TypedConstant? NamedConstant(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value;
            }
        }

        return null;
    }

    private static string? EnumMemberName(INamedTypeSymbol enumType, object value)
    {
        foreach (ISymbol member in enumType.GetMembers())
        {
            if (member is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value))
            {
                return field.Name;
            }
        }

        return null;
    }

    private static Location? ArgumentLocation(AttributeData attribute, string name)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax { ArgumentList: { } list })
        {
            foreach (AttributeArgumentSyntax argument in list.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                {
                    return argument.GetLocation();
                }
            }
        }

        return null;
    }

    /// <summary>One layer attribute: its kind ("Dense", "Sigmoid"), the bound attribute, its syntax and its index.</summary>
    private sealed class Layer
    {
        public Layer(string kind, AttributeData attribute, AttributeSyntax syntax, int index)
        {
            Kind = kind;
            Attribute = attribute;
            Syntax = syntax;
            Index = index;
        }

        public string Kind { get; }

        public AttributeData Attribute { get; }

        public AttributeSyntax Syntax { get; }

        public int Index { get; }

        /// <summary>The name messages use: the layer's Name, or its kind and index ("Dense #0"), as the generator does.</summary>
        public string Display => Named(Attribute, "Name") is string name ? name : $"{Kind} #{Index}";

        public double? Number(string name) => Named(Attribute, name) is double value ? value : null;

        public bool? Bool(string name) => Named(Attribute, name) is bool value ? value : null;

        public string? EnumName(string name) =>
            NamedConstant(Attribute, name) is { Type: INamedTypeSymbol type, Value: { } raw } ? EnumMemberName(type, raw) : null;

        /// <summary>The <c>name = …</c> argument if written, otherwise the whole attribute.</summary>
        public Location ArgumentLocation(string name) => AdviceAnalyzer.ArgumentLocation(Attribute, name) ?? Syntax.GetLocation();
    }
}
