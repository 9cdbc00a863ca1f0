using System;
using System.Collections.Generic;
using System.Collections.Immutable;
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
    /// Attributes in, model out: reads the [Network] class and its layer attributes (in source order) into a
    /// <see cref="NetworkSpec"/>, and checks everything that one attribute can get wrong on its own (NG00xx, NG02xx).
    /// Nothing Roslyn survives this stage except plain <see cref="LocationInfo"/>s.
    /// </summary>
    internal static class Parser
    {
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var classSyntax = (ClassDeclarationSyntax)context.TargetNode;
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

        /// <summary>The optimizer settings of <c>[Network]</c> and the optimizers that read each (NG0301 when written for another).</summary>
        private static readonly (string Setting, OptimizerKind[] Users)[] OptimizerSettings =
        {
            ("Momentum", new[] { OptimizerKind.Momentum, OptimizerKind.Nesterov }),
            ("Beta1", new[] { OptimizerKind.Adam }),
            ("Beta2", new[] { OptimizerKind.Adam }),
            ("Epsilon", new[] { OptimizerKind.Adam, OptimizerKind.AdaGrad, OptimizerKind.RmsProp }),
            ("Alpha", new[] { OptimizerKind.RmsProp }),
        };

        private static ParseResult ParseCore(ClassDeclarationSyntax classSyntax, INamedTypeSymbol symbol, AttributeData networkAttribute, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            string name = symbol.Name;
            LocationInfo? identifier = LocationInfo.From(classSyntax.Identifier.GetLocation());

            // Declaration shape: partial, not generic, not nested. Without these no code can be emitted at all.
            foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is ClassDeclarationSyntax declaration &&
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
            int loss = 0, optimizer = 0;
            double learningRate = 0.01, momentum = 0.9, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0, alpha = 0.99;
            var explicitlySet = new HashSet<string>();
            foreach (KeyValuePair<string, TypedConstant> pair in networkAttribute.NamedArguments)
            {
                if (pair.Value.Kind == TypedConstantKind.Error || pair.Value.Value is null)
                {
                    continue;
                }

                explicitlySet.Add(pair.Key);
                object value = pair.Value.Value;
                switch (pair.Key)
                {
                    case "InputSize": inputSize = Convert.ToInt32(value); break;
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
                }
            }

            LocationInfo? At(string argument) => NamedLocation.Find(argumentLocations, argument) ?? attributeLocation;

            if (!Enum.IsDefined(typeof(LossKind), loss))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, At("Loss"), "Loss", loss, name, "SoftmaxCrossEntropy, MulticlassHinge"));
            }

            if (!Enum.IsDefined(typeof(OptimizerKind), optimizer))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, At("Optimizer"), "Optimizer", optimizer, name, "Sgd, Momentum, Nesterov, Adam, AdaGrad, RmsProp"));
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

            if (batchSize <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchSizeNotPositive, At("BatchSize"), name, batchSize));
            }

            // Advice: settings the chosen optimizer ignores (NG0301, a warning).
            var optimizerKind = (OptimizerKind)optimizer;
            foreach ((string setting, OptimizerKind[] users) in OptimizerSettings)
            {
                if (explicitlySet.Contains(setting) && Enum.IsDefined(typeof(OptimizerKind), optimizerKind) && Array.IndexOf(users, optimizerKind) < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SettingIgnored, At(setting), setting, name, optimizerKind, string.Join(", ", users)));
                }
            }

            // ε defaults to PyTorch's value for the optimizer: 1e-10 for Adagrad, 1e-8 for Adam and RMSprop.
            if (!explicitlySet.Contains("Epsilon") && optimizerKind == OptimizerKind.AdaGrad)
            {
                epsilon = 1e-10;
            }

            // Layers: every attribute deriving from NetGen.LayerAttribute, in source order.
            var layers = new List<LayerSpec>();
            foreach (AttributeData attribute in symbol.GetAttributes())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (attribute.AttributeClass is not { TypeKind: not TypeKind.Error } attributeClass || attribute.AttributeConstructor is null)
                {
                    continue; // the compiler reports attributes that do not bind
                }

                if (ReadLayer(attribute, attributeClass, name, layers.Count, diagnostics, cancellationToken) is { } layer)
                {
                    layers.Add(layer);
                }
            }

            // Layer names must be unique (NG0004), reported on the second use.
            for (int i = 0; i < layers.Count; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    if (layers[i].Name is { } layerName && layerName == layers[j].Name)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, layers[i].NameLocation ?? layers[i].Location, layerName, j, i, name));
                        break;
                    }
                }
            }

            var spec = new NetworkSpec(
                symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                name,
                inputSize,
                batchSize,
                new TrainingSpec((LossKind)loss, optimizerKind, learningRate, momentum, beta1, beta2, epsilon, weightDecay, alpha),
                layers.ToEquatableArray(),
                attributeLocation,
                argumentLocations.ToEquatableArray());
            return new ParseResult(spec, diagnostics.ToEquatableArray());
        }

        private static LayerSpec? ReadLayer(AttributeData attribute, INamedTypeSymbol attributeClass, string network, int index, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            LayerKind? kind = attributeClass.ToDisplayString() switch
            {
                KnownTypeNames.Dense => LayerKind.Dense,
                KnownTypeNames.ReLU => LayerKind.ReLU,
                KnownTypeNames.LeakyReLU => LayerKind.LeakyReLU,
                KnownTypeNames.PReLU => LayerKind.PReLU,
                KnownTypeNames.Sigmoid => LayerKind.Sigmoid,
                KnownTypeNames.Tanh => LayerKind.Tanh,
                KnownTypeNames.Elu => LayerKind.Elu,
                KnownTypeNames.Identity => LayerKind.Identity,
                KnownTypeNames.Dropout => LayerKind.Dropout,
                _ => null,
            };
            if (kind is not { } layerKind)
            {
                return null;
            }

            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            LocationInfo? location = LocationInfo.From(syntax);
            LocationInfo? positional = null;
            var named = new Dictionary<string, LocationInfo>();
            if (syntax?.ArgumentList is { } list)
            {
                foreach (AttributeArgumentSyntax argument in list.Arguments)
                {
                    LocationInfo? at = LocationInfo.From(argument);
                    if (at is null)
                    {
                        continue;
                    }

                    if (argument.NameEquals is { } nameEquals)
                    {
                        named[nameEquals.Name.Identifier.ValueText] = at;
                    }
                    else
                    {
                        positional ??= at;
                    }
                }
            }

            string? layerName = null;
            int units = 0;
            double argument0 = layerKind switch
            {
                LayerKind.LeakyReLU => 0.01,
                LayerKind.PReLU => 0.25,
                LayerKind.Elu => 1.0,
                _ => 0.0,
            };
            bool bias = true;
            int init = 0;
            double biasInit = 0;
            string? argumentName = layerKind switch
            {
                LayerKind.LeakyReLU => "Slope",
                LayerKind.PReLU => "Init",
                LayerKind.Elu => "Alpha",
                _ => null,
            };

            if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is { } ctorValue)
            {
                if (layerKind == LayerKind.Dense)
                {
                    units = Convert.ToInt32(ctorValue);
                }
                else
                {
                    argument0 = Convert.ToDouble(ctorValue);
                }
            }

            foreach (KeyValuePair<string, TypedConstant> pair in attribute.NamedArguments)
            {
                if (pair.Value.Kind == TypedConstantKind.Error)
                {
                    continue;
                }

                object? value = pair.Value.Value;
                switch (pair.Key)
                {
                    case "Name": layerName = value as string; break;
                    case "Bias" when value is bool b: bias = b; break;
                    case "Init" when layerKind == LayerKind.Dense && value is not null: init = Convert.ToInt32(value); break;
                    case "BiasInit" when value is not null: biasInit = Convert.ToDouble(value); break;
                    default:
                        if (pair.Key == argumentName && value is not null)
                        {
                            argument0 = Convert.ToDouble(value);
                            positional = named.TryGetValue(pair.Key, out LocationInfo? at) ? at : positional;
                        }

                        break;
                }
            }

            string display = layerName ?? $"{layerKind} #{index}";
            LocationInfo? argumentLocation = positional ?? location;
            switch (layerKind)
            {
                case LayerKind.Dense when units <= 0:
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnitsNotPositive, argumentLocation, display, network, units));
                    break;
                case LayerKind.Dense when !Enum.IsDefined(typeof(InitKind), init):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownEnumValue, named.TryGetValue("Init", out LocationInfo? initAt) ? initAt : location, "Init", init, network, string.Join(", ", Enum.GetNames(typeof(InitKind)))));
                    break;
                case LayerKind.Dropout when !(argument0 >= 0 && argument0 < 1):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutOutOfRange, argumentLocation, display, network, argument0));
                    break;
                case LayerKind.LeakyReLU when !(argument0 >= 0) || double.IsInfinity(argument0):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, argumentLocation, "LeakyReLU", display, network, "Slope", argument0, "the negative slope must be a finite value ≥ 0, e.g. 0.01"));
                    break;
                case LayerKind.Elu when !(argument0 > 0) || double.IsInfinity(argument0):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, argumentLocation, "ELU", display, network, "Alpha", argument0, "α must be a finite value > 0, e.g. 1.0"));
                    break;
                case LayerKind.PReLU when double.IsNaN(argument0) || double.IsInfinity(argument0):
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActivationArgumentOutOfRange, argumentLocation, "PReLU", display, network, "Init", argument0, "the initial slope must be finite, e.g. 0.25"));
                    break;
            }

            return new LayerSpec(layerKind, layerName, units, argument0, bias, (InitKind)init, biasInit, location, argumentLocation, named.TryGetValue("Name", out LocationInfo? nameAt) ? nameAt : null);
        }
    }
}
