using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Tests;

/// <summary>The Planner alone (no Roslyn) for stochastic depth and fractional max pooling: where the drop-path node sits,
/// its gradient routing, Huang's linear rule over nested and repeated blocks, and the fractional pooling shape and cache.</summary>
public sealed class DepthPlannerTests
{
    private static LayerSpec Layer(string kind, params (string Name, double Value)[] arguments) => PlannerTests.Layer(kind, arguments);

    private static LayerSpec Residual(string block, double? p = null) =>
        new("Residual", null, new[] { new ArgumentValue("Block", 0, "Demo." + block) }
            .Concat(p is { } value ? new[] { new ArgumentValue("DropProbability", value, null) } : Array.Empty<ArgumentValue>()).ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty);

    private static BlockSpec Block(string name, params LayerSpec[] layers) =>
        new("Demo." + name, name, layers.ToEquatableArray(), null, EquatableArray<DiagnosticInfo>.Empty);

    private static Plan Create(double stochasticDepth, int[] shape, BlockSpec[] blocks, params LayerSpec[] layers)
    {
        var spec = new NetworkSpec("Demo", "Net", shape.ToEquatableArray(), 4, new TrainingSpec(LossKind.SoftmaxCrossEntropy, OptimizerKind.Sgd, 0.1, 0.9, 0.9, 0.999, 1e-8, 0, StochasticDepth: stochasticDepth),
            layers.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty);
        (Plan plan, EquatableArray<DiagnosticInfo> diagnostics) = NetworkPlanner.CreatePlan(spec, blocks.ToEquatableArray(), EquatableArray<DiagnosticInfo>.Empty);
        Assert.Empty(diagnostics);
        return plan;
    }

    private static double[] Probabilities(Plan plan) => plan.Nodes.Where(n => n.Kind == "StochasticDepth").Select(n => n.Arguments.Number("P", 0)).ToArray();

    [Fact]
    public void TheDropPathNodeSitsBetweenTheBranchAndTheAdditionAndScalesOnlyTheBranchsGradient()
    {
        BlockSpec block = Block("B", PlannerTests.Dense(4), Layer("Tanh"), PlannerTests.Dense(4));
        Plan plan = Create(0, new[] { 4 }, new[] { block }, PlannerTests.Dense(4), Residual("B", 0.25), PlannerTests.Dense(2));
        Assert.Equal(new[] { "0", "1.branch.0", "1.branch.1", "1.branch.2", "1.drop_path", "1", "2" }, plan.Nodes.Select(n => n.Path).ToArray());
        NodePlan drop = plan.Nodes[4], add = plan.Nodes[5];
        Assert.Equal("StochasticDepth", drop.Kind);
        Assert.Equal(drop.Output, add.Inputs[0]);
        Assert.Equal(0.25, drop.Arguments.Number("P", 0));

        // One factor per sample is kept for backward; no state, so the state_dict keys are those of the plain residual.
        CachePlan mask = Assert.Single(plan.Caches, c => c.Node == drop.Ordinal);
        Assert.Equal(("mask", 1, true, false), (mask.Local, mask.Length, mask.PerSample, mask.IsInt));
        Assert.DoesNotContain(plan.State, s => s.Node == drop.Ordinal);

        // The addition still aliases dy to both inputs; the drop-path node writes the branch's gradient.
        Assert.Equal(GradientRoute.Alias, add.InputGradients[0].Route);
        Assert.Equal(GradientRoute.Write, drop.InputGradients[0].Route);
    }

    [Fact]
    public void TheLinearRuleCountsEveryResidualInExecutionOrderNestedAndRepeatedOnesIncluded()
    {
        BlockSpec inner = Block("Inner", PlannerTests.Dense(4));
        BlockSpec outer = Block("Outer", PlannerTests.Dense(4), Residual("Inner"));
        // Blocks in execution order: Outer (1), its Inner (2), Inner (3, own p = 0.05), Outer (4), its Inner (5): L = 5.
        Plan plan = Create(0.5, new[] { 4 }, new[] { inner, outer }, PlannerTests.Dense(4), Residual("Outer"), Residual("Inner", 0.05), Residual("Outer"), PlannerTests.Dense(2));
        double[] p = Probabilities(plan);
        // Nodes are ordered branch first, so the inner block's drop-path precedes its outer block's.
        Assert.Equal(new[] { 2 * 0.5 / 5, 1 * 0.5 / 5, 0.05, 5 * 0.5 / 5, 4 * 0.5 / 5 }, p);
    }

    [Fact]
    public void AnOwnZeroOptsOutAndWithoutTheRuleNothingIsAdded()
    {
        BlockSpec block = Block("B", PlannerTests.Dense(4));
        Assert.Equal(new[] { 1 * 0.3 / 2 }, Probabilities(Create(0.3, new[] { 4 }, new[] { block }, Residual("B"), Residual("B", 0), PlannerTests.Dense(2))));
        Assert.Empty(Probabilities(Create(0, new[] { 4 }, new[] { block }, Residual("B"), Residual("B"), PlannerTests.Dense(2))));
    }

    [Fact]
    public void FractionalPoolingTakesPyTorchsOutputSizeAndKeepsAnArgmax()
    {
        Plan plan = Create(0, new[] { 3, 10, 9 }, Array.Empty<BlockSpec>(), Layer("FractionalMaxPool2D", ("Kernel", 2), ("OutputRatio", 0.7)), Layer("FractionalMaxPool2D", ("Kernel", 3), ("OutputSize", 2)), Layer("Flatten"), PlannerTests.Dense(2));
        Assert.Equal(new[] { 3, 7, 6 }, plan.Tensors[plan.Nodes[0].Output].Shape.ToArray()); // int(10·0.7) = 7, int(9·0.7) = 6
        Assert.Equal(new[] { 3, 2, 2 }, plan.Tensors[plan.Nodes[1].Output].Shape.ToArray());
        CachePlan argmax = Assert.Single(plan.Caches, c => c.Node == 0);
        Assert.Equal(("argmax", 3 * 7 * 6, true, true), (argmax.Local, argmax.Length, argmax.PerSample, argmax.IsInt));
    }
}
