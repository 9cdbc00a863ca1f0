using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Emitter;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator;

/// <summary>
/// NetGen's incremental generator: for each <c>[Network]</c> partial class, Parser → Planner → Emitter writes one file,
/// <c>{Namespace}.{Class}.NetGen.g.cs</c>. This file is the pipeline only; each stage lives in its own file.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class NetGenGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Parse: ForAttributeWithMetadataName is the cheap, syntax-filtered entry: only classes carrying [Network] are
        //    looked at, and the result is a plain equatable model (no symbols, no syntax), so unchanged classes stay cached.
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.NetworkAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        // 2. Blocks: every [Block] class, parsed the same way, then collected into one sorted array. A network that uses a
        //    block by type (Residual) is planned against this collection, so an edit to a block in another file re-plans the
        //    networks (ForAttributeWithMetadataName alone re-runs only for the edited tree); equal plans still emit nothing.
        IncrementalValuesProvider<BlockSpec> blockSpecs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.BlockAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                transform: static (ctx, ct) => Parser.ParseBlock(ctx, ct))
            .WithTrackingName(TrackingNames.Blocks);
        IncrementalValueProvider<EquatableArray<BlockSpec>> blocks = blockSpecs
            .Collect()
            .Select(static (items, _) => items.OrderBy(b => b.TypeName, StringComparer.Ordinal).ToEquatableArray());

        // A block's own diagnostics (a bad layer argument inside it) are reported once, from the block, not per network.
        context.RegisterSourceOutput(blockSpecs.Select(static (block, _) => block.Diagnostics), static (spc, items) =>
        {
            foreach (DiagnosticInfo info in items)
            {
                spc.ReportDiagnostic(info.ToDiagnostic());
            }
        });

        // Layer attributes on a class with neither [Network] nor [Block] (NG0008): otherwise ignored in silence, leaving the
        // user with compiler errors at the call sites. Only classes with attribute lists reach the semantic check, and the
        // result is a plain equatable value.
        IncrementalValuesProvider<DiagnosticInfo> orphanLayers = context.SyntaxProvider
            .CreateSyntaxProvider(
                predicate: static (node, _) => Parser.MayCarryLayers(node),
                transform: static (ctx, ct) => Parser.LayersWithoutNetwork(ctx, ct))
            .Where(static info => info is not null)
            .Select(static (info, _) => info!)
            .WithTrackingName(TrackingNames.OrphanLayers);
        context.RegisterSourceOutput(orphanLayers, static (spc, info) => spc.ReportDiagnostic(info.ToDiagnostic()));

        // 3. Plan: graph, shapes, state, liveness and wiring checks. The result pairs a Plan (no locations, so moving code
        //    around does not change it) with the diagnostics of both stages.
        IncrementalValuesProvider<PlanResult> planned = parsed
            .Combine(blocks)
            .Select(static (pair, _) => PlanSafely(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Plan);

        // 4. Diagnostics are reported from their own branch, so a diagnostic that only moved does not re-emit source.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = planned
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, items) =>
        {
            foreach (DiagnosticInfo info in items)
            {
                spc.ReportDiagnostic(info.ToDiagnostic());
            }
        });

        // 5. Emit: one file per network from the Plan alone; equal plans give identical text and are not re-emitted.
        IncrementalValuesProvider<(Plan Plan, string HintName)> plans = planned
            .Where(static result => result.Plan is not null)
            .Select(static (result, _) => (result.Plan!, result.HintName ?? NetworkEmitter.HintName(result.Plan!)))
            .WithTrackingName(TrackingNames.Source);
        context.RegisterSourceOutput(plans, static (spc, item) =>
        {
            Plan plan = item.Plan;
            string source;
            try
            {
                source = NetworkEmitter.Emit(plan);
            }
            catch (Exception ex)
            {
                // The generator never throws (that would surface as CS8785 with no output): report NG9001 instead.
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, plan.ClassName, ex.GetType().Name + ": " + ex.Message));
                return;
            }

            HintNames.Add(spc, item.HintName, plan, source);
        });
    }

    internal static PlanResult PlanSafely(ParseResult result) => PlanSafely(result, EquatableArray<BlockSpec>.Empty);

    internal static PlanResult PlanSafely(ParseResult result, EquatableArray<BlockSpec> blocks)
    {
        if (result.Spec is null)
        {
            return new PlanResult(null, result.Diagnostics, result.HintName);
        }

        try
        {
            (Plan plan, EquatableArray<DiagnosticInfo> diagnostics) = NetworkPlanner.CreatePlan(result.Spec, blocks, result.Diagnostics);
            return new PlanResult(plan, diagnostics, result.HintName);
        }
        catch (Exception ex)
        {
            return new PlanResult(null, result.Diagnostics.Concat(ImmutableArray.Create(DiagnosticInfo.Create(
                DiagnosticDescriptors.InternalError, result.Spec.AttributeLocation, result.Spec.ClassName, ex.GetType().Name + ": " + ex.Message))).ToEquatableArray(), result.HintName);
        }
    }

    /// <summary>The Planner's output: the plan (null when nothing can be emitted) and all diagnostics so far.</summary>
    internal sealed record PlanResult(Plan? Plan, EquatableArray<DiagnosticInfo> Diagnostics, string? HintName = null);
}
