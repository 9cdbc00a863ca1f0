using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetGen.Generator.Catalog;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator;

public sealed partial class NetGenGenerator
{
    /// <summary>
    /// Attributes in, model out: reads the [Network] class (or a [Block] class) and its layer attributes, in source order,
    /// into a <see cref="NetworkSpec"/> (or <see cref="BlockSpec"/>), and checks everything that one attribute can get
    /// wrong on its own (NG00xx, NG02xx). Layer arguments are read generically, by name; each catalog entry checks its own.
    /// Nothing Roslyn survives this stage except plain <see cref="LocationInfo"/>s.
    /// </summary>
    internal static class Parser
    {
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var classSyntax = (TypeDeclarationSyntax)context.TargetNode;
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            try
            {
                return ParseCore(classSyntax, symbol, context.Attributes[0], cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The generator never throws: an internal failure becomes NG9001 with the exception's message.
                return new ParseResult(null, ImmutableArray.Create(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InternalError, LocationInfo.From(classSyntax.Identifier.GetLocation()), symbol.Name, ex.GetType().Name + ": " + ex.Message)).ToEquatableArray());
            }
        }

        /// <summary>Syntax only: a class with an attribute whose name is written like a layer attribute's.</summary>
        public static bool MayCarryLayers(SyntaxNode node)
        {
            if (node is not (ClassDeclarationSyntax or RecordDeclarationSyntax) || node is not TypeDeclarationSyntax { AttributeLists.Count: > 0 } declaration)
            {
                return false;
            }

            foreach (AttributeListSyntax list in declaration.AttributeLists)
            {
                foreach (AttributeSyntax attribute in list.Attributes)
                {
                    string simple = attribute.Name switch
                    {
                        QualifiedNameSyntax q => q.Right.Identifier.ValueText,
                        AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
                        SimpleNameSyntax n => n.Identifier.ValueText,
                        _ => string.Empty,
                    };
                    if (LayerCatalog.MayBeLayerAttribute(simple))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// NG0008: this declaration of a class carries a layer attribute, and no declaration of the class carries
        /// [Network] or [Block]. Reported once per declaration, on its first layer attribute. Null when all is well (or
        /// on an internal failure: this check must never stop the generator).
        /// </summary>
        public static DiagnosticInfo? LayersWithoutNetwork(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                var declaration = (TypeDeclarationSyntax)context.Node;
                if (context.SemanticModel.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol symbol)
                {
                    return null;
                }

                AttributeData? first = null;
                foreach (AttributeData attribute in symbol.GetAttributes())
                {
                    if (attribute.AttributeClass is not { TypeKind: not TypeKind.Error } attributeClass)
                    {
                        continue;
                    }

                    string name = attributeClass.ToDisplayString();
                    if (name == KnownTypeNames.NetworkAttribute || name == KnownTypeNames.BlockAttribute)
                    {
                        return null;
                    }

                    if (first is null && LayerCatalog.ForAttribute(name) is not null &&
                        attribute.ApplicationSyntaxReference is { } reference &&
                        reference.SyntaxTree == declaration.SyntaxTree && declaration.Span.Contains(reference.Span))
                    {
                        first = attribute;
                    }
                }

                if (first is null)
                {
                    return null;
                }

                string shown = first.AttributeClass!.Name;
                shown = shown.EndsWith("Attribute", StringComparison.Ordinal) ? shown.Substring(0, shown.Length - "Attribute".Length) : shown;
                return DiagnosticInfo.Create(DiagnosticDescriptors.LayersWithoutNetwork, LocationInfo.From(first.ApplicationSyntaxReference!.GetSyntax(cancellationToken)), symbol.Name, shown);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return null;
            }
        }

        /// <summary>A [Block] class: its layers, read as a network's are, keyed by the fully qualified type name that
        /// <c>typeof</c> arguments carry.</summary>
        public static BlockSpec ParseBlock(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var classSyntax = (TypeDeclarationSyntax)context.TargetNode;
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            LocationInfo? location = LocationInfo.From(context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken)) ?? LocationInfo.From(classSyntax.Identifier.GetLocation());
            var diagnostics = new List<DiagnosticInfo>();
            try
            {
                if (DeclarationChecks.BlockProblem(symbol, LocationInfo.From(classSyntax.Identifier.GetLocation())) is { } problem)
                {
                    diagnostics.Add(problem);
                }

                List<LayerSpec> layers = ReadLayers(symbol, "block '" + symbol.Name + "'", diagnostics, cancellationToken);
                return new BlockSpec(symbol.ToDisplayString(), symbol.Name, layers.ToEquatableArray(), location, diagnostics.ToEquatableArray());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, location, symbol.Name, ex.GetType().Name + ": " + ex.Message));
                return new BlockSpec(symbol.ToDisplayString(), symbol.Name, EquatableArray<LayerSpec>.Empty, location, diagnostics.ToEquatableArray());
            }
        }

        private static ParseResult ParseCore(TypeDeclarationSyntax classSyntax, INamedTypeSymbol symbol, AttributeData networkAttribute, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            string name = symbol.Name;
            LocationInfo? identifier = LocationInfo.From(classSyntax.Identifier.GetLocation());

            // Declaration shape: partial, not generic, not nested. Without these no code can be emitted at all.
            foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration &&
                    !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, LocationInfo.From(declaration.Identifier.GetLocation()), name));
                    return new ParseResult(null, diagnostics.ToEquatableArray());
                }
            }

            if (symbol.TypeParameters.Length > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupported, identifier, name));
                return new ParseResult(null, diagnostics.ToEquatableArray());
            }

            if (symbol.ContainingType is { } containing)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NestedNotSupported, identifier, name, containing.Name));
                return new ParseResult(null, diagnostics.ToEquatableArray());
            }

            // The class must be one the generated members can be added to (NG0010–NG0013); nothing is generated otherwise,
            // since even the throwing members would not compile.
            if (DeclarationChecks.DeclarationProblem(symbol, identifier, cancellationToken) is { } problem)
            {
                diagnostics.Add(problem);
                return new ParseResult(null, diagnostics.ToEquatableArray());
            }

            // [Network(...)]: named arguments only; defaults are those of NetGen.NetworkAttribute.
            var attributeSyntax = networkAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            LocationInfo? attributeLocation = LocationInfo.From(attributeSyntax) ?? identifier;
            var argumentLocations = new List<NamedLocation>();
            if (attributeSyntax?.ArgumentList is { } list)
            {
                foreach (AttributeArgumentSyntax argument in list.Arguments)
                {
                    if (argument.NameEquals is { } nameEquals && LocationInfo.From(argument) is { } location)
                    {
                        argumentLocations.Add(new NamedLocation(nameEquals.Name.Identifier.ValueText, location));
                    }
                }
            }

            int inputSize = 0, batchSize = 64;
            int[]? inputShape = null;
            int loss = 0, optimizer = 0;
            double learningRate = 0.01, momentum = 0.9, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0, alpha = 0.99, margin = 1.0, delta = 1.0, stochasticDepth = 0, decoupledWeightDecay = 0.01, rho = 0.9, l1 = 0, maxNorm = 0, labelSmoothing = 0;
            bool amsgrad = false, centered = false;
            int classes = 0;
            int[]? classTree = null;
            var explicitlySet = new HashSet<string>();
            foreach (KeyValuePair<string, TypedConstant> pair in networkAttribute.NamedArguments)
            {
                if (pair.Value.Kind == TypedConstantKind.Error || (pair.Value.Kind != TypedConstantKind.Array && pair.Value.Value is null))
                {
                    continue;
                }

                explicitlySet.Add(pair.Key);
                object? value = pair.Value.Kind == TypedConstantKind.Array ? null : pair.Value.Value;
                switch (pair.Key)
                {
                    case "InputSize": inputSize = Convert.ToInt32(value); break;
                    case "InputShape" when !pair.Value.IsNull: inputShape = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(pair.Value.Values, v => v.Value is null ? 0 : Convert.ToInt32(v.Value))); break;
                    case "BatchSize": batchSize = Convert.ToInt32(value); break;
                    case "Loss": loss = Convert.ToInt32(value); break;
                    case "Optimizer": optimizer = Convert.ToInt32(value); break;
                    case "LearningRate": learningRate = Convert.ToDouble(value); break;
                    case "Momentum": momentum = Convert.ToDouble(value); break;
                    case "Beta1": beta1 = Convert.ToDouble(value); break;
                    case "Beta2": beta2 = Convert.ToDouble(value); break;
                    case "Epsilon": epsilon = Convert.ToDouble(value); break;
                    case "Alpha": alpha = Convert.ToDouble(value); break;
                    case "WeightDecay": weightDecay = Convert.ToDouble(value); break;
                    case "Margin": margin = Convert.ToDouble(value); break;
                    case "Delta": delta = Convert.ToDouble(value); break;
                    case "StochasticDepth": stochasticDepth = Convert.ToDouble(value); break;
                    case "DecoupledWeightDecay": decoupledWeightDecay = Convert.ToDouble(value); break;
                    case "Rho": rho = Convert.ToDouble(value); break;
                    case "Amsgrad": amsgrad = Convert.ToBoolean(value); break;
                    case "Centered": centered = Convert.ToBoolean(value); break;
                    case "L1": l1 = Convert.ToDouble(value); break;
                    case "MaxNorm": maxNorm = Convert.ToDouble(value); break;
                    case "LabelSmoothing": labelSmoothing = Convert.ToDouble(value); break;
                    case "Classes": classes = Convert.ToInt32(value); break;
                    case "ClassTree" when !pair.Value.IsNull: classTree = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(pair.Value.Values, v => v.Value is null ? 0 : Convert.ToInt32(v.Value))); break;
                }
            }

            LocationInfo? At(string argument) => NamedLocation.Find(argumentLocations, argument) ?? attributeLocation;

            if (!Enum.IsDefined(typeof(LossKind), loss))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, At("Loss"), "Loss", loss, "network '" + name + "'", string.Join(", ", Enum.GetNames(typeof(LossKind)))));
            }

            if (!Enum.IsDefined(typeof(OptimizerKind), optimizer))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, At("Optimizer"), "Optimizer", optimizer, "network '" + name + "'", string.Join(", ", Enum.GetNames(typeof(OptimizerKind)))));
            }

            // Hyper-parameter values (NG02xx), each reported on its own argument.
            if (!(learningRate > 0) || double.IsInfinity(learningRate))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LearningRateNotPositive, At("LearningRate"), name, learningRate));
            }

            if (!(weightDecay >= 0) || double.IsInfinity(weightDecay))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NegativeWeightDecay, At("WeightDecay"), name, weightDecay));
            }

            if (!(momentum >= 0 && momentum < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MomentumOutOfRange, At("Momentum"), name, momentum));
            }

            if (!(beta1 >= 0 && beta1 < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BetaOutOfRange, At("Beta1"), name, "Beta1", beta1));
            }

            if (!(beta2 >= 0 && beta2 < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BetaOutOfRange, At("Beta2"), name, "Beta2", beta2));
            }

            if (!(epsilon > 0) || double.IsInfinity(epsilon))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EpsilonNotPositive, At("Epsilon"), name, epsilon));
            }

            if (!(alpha >= 0 && alpha < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AlphaOutOfRange, At("Alpha"), name, alpha));
            }

            if (!(decoupledWeightDecay >= 0) || double.IsInfinity(decoupledWeightDecay))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DecoupledWeightDecayOutOfRange, At("DecoupledWeightDecay"), name, decoupledWeightDecay));
            }

            if (!(rho >= 0 && rho < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RhoOutOfRange, At("Rho"), name, rho));
            }

            if (!(margin > 0) || double.IsInfinity(margin))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MarginNotPositive, At("Margin"), name, margin));
            }

            if (!(delta > 0) || double.IsInfinity(delta))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DeltaNotPositive, At("Delta"), name, delta));
            }

            if (!(stochasticDepth >= 0 && stochasticDepth < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StochasticDepthOutOfRange, At("StochasticDepth"), name, stochasticDepth));
            }

            if (!(l1 >= 0) || double.IsInfinity(l1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RegularizationNegative, At("L1"), "L1", "network '" + name + "'", l1));
            }

            if (!(maxNorm >= 0) || double.IsInfinity(maxNorm))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MaxNormNegative, At("MaxNorm"), "network '" + name + "'", maxNorm));
            }

            if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LabelSmoothingOutOfRange, At("LabelSmoothing"), name, labelSmoothing));
            }

            // The hierarchical softmax's classes and tree (NG0226, NG0227), checked by its entry.
            HierarchicalSoftmaxEntry.Validate((LossKind)loss, classes, classTree, At, explicitlySet.Contains("Classes"), name, diagnostics);

            if (batchSize <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchSizeNotPositive, At("BatchSize"), name, batchSize));
            }

            // Values that pass their range checks but change in float32, where training computes (NG0315, NG0316).
            DeclarationChecks.CheckNetworkFloat32(name, At, explicitlySet, new[]
            {
                ("LearningRate", learningRate, DeclarationChecks.Float32Rule.Positive),
                ("Epsilon", epsilon, DeclarationChecks.Float32Rule.Positive),
                ("Margin", margin, DeclarationChecks.Float32Rule.Positive),
                ("Delta", delta, DeclarationChecks.Float32Rule.Positive),
                ("Momentum", momentum, DeclarationChecks.Float32Rule.BelowOne),
                ("Beta1", beta1, DeclarationChecks.Float32Rule.BelowOne),
                ("Beta2", beta2, DeclarationChecks.Float32Rule.BelowOne),
                ("Alpha", alpha, DeclarationChecks.Float32Rule.BelowOne),
                ("Rho", rho, DeclarationChecks.Float32Rule.BelowOne),
                ("StochasticDepth", stochasticDepth, DeclarationChecks.Float32Rule.BelowOne),
                ("LabelSmoothing", labelSmoothing, DeclarationChecks.Float32Rule.BelowOne),
                ("WeightDecay", weightDecay, DeclarationChecks.Float32Rule.NonNegative),
                ("DecoupledWeightDecay", decoupledWeightDecay, DeclarationChecks.Float32Rule.NonNegative),
                ("L1", l1, DeclarationChecks.Float32Rule.NonNegative),
                ("MaxNorm", maxNorm, DeclarationChecks.Float32Rule.NonNegative),
            }, diagnostics);

            // Advice: settings the chosen loss or optimizer ignores (NG0301, a warning). Each entry lists what it reads.
            var lossKind = (LossKind)loss;
            if (LossCatalog.TryGet(lossKind) is { } lossEntry)
            {
                foreach (string setting in LossCatalog.Settings)
                {
                    if (explicitlySet.Contains(setting) && !lossEntry.Reads(setting))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SettingIgnored, At(setting), setting, name, "loss '" + lossKind + "'", string.Join(", ", LossCatalog.ReadersOf(setting))));
                    }
                }
            }

            var optimizerKind = (OptimizerKind)optimizer;
            if (OptimizerCatalog.TryGet(optimizerKind) is { } optimizerEntry)
            {
                foreach (string setting in OptimizerCatalog.Settings)
                {
                    if (explicitlySet.Contains(setting) && !optimizerEntry.Reads(setting))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SettingIgnored, At(setting), setting, name, "optimizer '" + optimizerKind + "'", string.Join(", ", OptimizerCatalog.ReadersOf(setting))));
                    }
                }

                // ε defaults to PyTorch's value for the optimizer (1e-10 for Adagrad, 1e-6 for Adadelta, 1e-8 for the others),
                // the momentum to 0 for RMSprop (PyTorch's) and 0.9 for the momentum optimizers, the learning rate to 1 for
                // Adadelta (PyTorch's; the paper has none) and 0.01 for the others.
                if (!explicitlySet.Contains("Epsilon"))
                {
                    epsilon = optimizerEntry.DefaultEpsilon;
                }

                if (!explicitlySet.Contains("Momentum"))
                {
                    momentum = optimizerEntry.DefaultMomentum;
                }

                if (!explicitlySet.Contains("LearningRate"))
                {
                    learningRate = optimizerEntry.DefaultLearningRate;
                }

                // A learning rate and decoupled decay whose product reaches 1 zero or flip every decayed weight at each step.
                if (optimizerEntry.Reads("DecoupledWeightDecay") && learningRate * decoupledWeightDecay >= 1 && !double.IsInfinity(decoupledWeightDecay))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DecoupledDecayFlipsWeights, At("DecoupledWeightDecay"), name, decoupledWeightDecay, learningRate, 1 - (learningRate * decoupledWeightDecay)));
                }
            }

            // The input: InputShape ([features] or [C, H, W]) or InputSize (shorthand for [InputSize]); the Planner checks
            // the dimensions. Both written: they must describe the same number of features (NG0109).
            EquatableArray<int> shape = (inputShape ?? new[] { inputSize }).ToEquatableArray();
            if (inputShape is not null && explicitlySet.Contains("InputSize"))
            {
                long product = 1;
                foreach (int d in inputShape)
                {
                    product *= d;
                }

                if (product != inputSize)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputShapeConflict, At("InputSize"), name, inputSize, "[" + string.Join(", ", inputShape) + "]", product));
                }
            }

            List<LayerSpec> layers = ReadLayers(symbol, "network '" + name + "'", diagnostics, cancellationToken);
            var spec = new NetworkSpec(
                symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                name,
                shape,
                batchSize,
                new TrainingSpec(lossKind, optimizerKind, learningRate, momentum, beta1, beta2, epsilon, weightDecay, alpha, margin, delta, stochasticDepth, decoupledWeightDecay, amsgrad, centered, rho, l1, maxNorm, labelSmoothing, classes, (classTree ?? Array.Empty<int>()).ToEquatableArray()),
                layers.ToEquatableArray(),
                attributeLocation,
                argumentLocations.ToEquatableArray());
            return new ParseResult(spec, diagnostics.ToEquatableArray(), HintNames.For(symbol));
        }

        /// <summary>Every attribute of a catalog layer kind, in source order, with NG0004 for a repeated name. <paramref name="owner"/>
        /// names the declaration in messages: "network 'Net'" or "block 'Basic'".</summary>
        private static List<LayerSpec> ReadLayers(INamedTypeSymbol symbol, string owner, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var layers = new List<LayerSpec>();
            foreach (AttributeData attribute in symbol.GetAttributes())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (attribute.AttributeClass is not { TypeKind: not TypeKind.Error } attributeClass || attribute.AttributeConstructor is null)
                {
                    continue; // the compiler reports attributes that do not bind
                }

                if (LayerCatalog.ForAttribute(attributeClass.ToDisplayString()) is { } entry)
                {
                    LayerSpec layer = ReadLayer(attribute, entry, cancellationToken);
                    entry.Validate(layer, layer.Display(layers.Count), owner, diagnostics);
                    DeclarationChecks.CheckLayer(attribute, layer, layer.Display(layers.Count), owner, diagnostics);
                    layers.Add(layer);
                }
                else if (DeclarationChecks.IsForeignLayerAttribute(attributeClass))
                {
                    string shown = attributeClass.Name.EndsWith("Attribute", StringComparison.Ordinal) ? attributeClass.Name.Substring(0, attributeClass.Name.Length - "Attribute".Length) : attributeClass.Name;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownLayerAttribute, LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)), shown, owner));
                }
            }

            Catalog.Layers.DropConnectEntry.CheckFollowingReLU(layers, owner, diagnostics);

            // Layer names must be unique (NG0004), reported on the second use.
            for (int i = 0; i < layers.Count; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if (layers[i].Name is { } layerName && layerName == layers[j].Name)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, layers[i].LocationOf("Name"), layerName, j, i, owner));
                        break;
                    }
                }
            }

            return layers;
        }

        /// <summary>One layer attribute, read generically: constructor arguments under their parameter's name in
        /// PascalCase, named arguments under their property's name, each with the location where it is written.</summary>
        private static LayerSpec ReadLayer(AttributeData attribute, LayerEntry entry, CancellationToken cancellationToken)
        {
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var values = new List<ArgumentValue>();
            var locations = new List<NamedLocation>();
            ImmutableArray<IParameterSymbol> parameters = attribute.AttributeConstructor!.Parameters;
            for (int i = 0; i < attribute.ConstructorArguments.Length && i < parameters.Length; i++)
            {
                if (ToValue(Pascal(parameters[i].Name), attribute.ConstructorArguments[i]) is { } value)
                {
                    values.Add(value);
                }
            }

            foreach (KeyValuePair<string, TypedConstant> pair in attribute.NamedArguments)
            {
                if (ToValue(pair.Key, pair.Value) is { } value)
                {
                    values.RemoveAll(v => v.Name == pair.Key);
                    values.Add(value);
                }
            }

            if (syntax?.ArgumentList is { } list)
            {
                int positional = 0;
                foreach (AttributeArgumentSyntax argument in list.Arguments)
                {
                    if (LocationInfo.From(argument) is not { } at)
                    {
                        continue;
                    }

                    if (argument.NameEquals is { } nameEquals)
                    {
                        locations.Add(new NamedLocation(nameEquals.Name.Identifier.ValueText, at));
                    }
                    else if (argument.NameColon is { } nameColon)
                    {
                        locations.Add(new NamedLocation(Pascal(nameColon.Name.Identifier.ValueText), at));
                    }
                    else if (positional < parameters.Length)
                    {
                        locations.Add(new NamedLocation(Pascal(parameters[positional++].Name), at));
                    }
                }
            }

            string? name = null;
            foreach (ArgumentValue value in values)
            {
                if (value.Name == "Name")
                {
                    name = value.Text;
                }
            }

            return new LayerSpec(entry.Kind, name, values.ToEquatableArray(), LocationInfo.From(syntax), locations.ToEquatableArray());
        }

        private static ArgumentValue? ToValue(string name, TypedConstant constant)
        {
            if (constant.Kind == TypedConstantKind.Error || constant.IsNull)
            {
                return null;
            }

            return constant.Value switch
            {
                ITypeSymbol type => new ArgumentValue(name, 0, type.ToDisplayString()),
                string text => new ArgumentValue(name, 0, text),
                bool flag => new ArgumentValue(name, flag ? 1 : 0, null),
                null => null,
                object number => new ArgumentValue(name, Convert.ToDouble(number, System.Globalization.CultureInfo.InvariantCulture), null),
            };
        }

        private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
    }
}
