using NetGen.Generator.Model;
using NetGen.Generator.Planner;
using static NetGen.Generator.Tests.PlannerTests;

namespace NetGen.Generator.Tests;

/// <summary>The Planner alone on the convolution-completeness layers: shape rules, state (PyTorch layouts), caches and
/// the fan-in of grouped convolutions.</summary>
public sealed class ConvPlannerTests
{
    private static Plan PlanOf(int[] shape, params LayerSpec[] layers) =>
        NetworkPlanner.CreatePlan(
            new NetworkSpec("Demo", "Net", shape.ToEquatableArray(), 16, new TrainingSpec(LossKind.SoftmaxCrossEntropy, OptimizerKind.Sgd, 0.1, 0.9, 0.9, 0.999, 1e-8, 0),
                layers.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty),
            EquatableArray<BlockSpec>.Empty, EquatableArray<DiagnosticInfo>.Empty).Plan;

    private static int[] OutputOf(Plan plan, int node) => plan.Tensors[plan.Nodes[node].Output].Shape.ToArray();

    private const double Same = int.MinValue; // Conv2DAttribute.Same

    [Fact]
    public void ADepthwiseConvolutionHasOneInputChannelPerFilterAndItsFanIn()
    {
        Plan plan = PlanOf(new[] { 8, 6, 6 }, Layer("Conv2D", ("OutChannels", 8), ("Kernel", 3), ("Padding", Same), ("Groups", 8)), Layer("ReLU"), Layer("Flatten"), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 8, 6, 6 }, OutputOf(plan, 0));
        StatePlan weight = plan.State.Single(s => s.Key == "0.weight");
        Assert.Equal(new[] { 8, 1, 3, 3 }, weight.Shape.ToArray());
        Assert.Equal(InitDistribution.Normal, weight.Init.Distribution);
        Assert.Equal(Math.Sqrt(2.0 / 9), weight.Init.Scale, 12); // He with fan-in (C/G)·k·k = 1·3·3, as PyTorch
    }

    [Fact]
    public void DilationWidensTheWindowAndSamePaddingKeepsTheSize()
    {
        // 9×9, 3 taps at dilation 2 span 5: (9 − 5)/1 + 1 = 5; 'same' pads D·(k − 1)/2 = 2 and keeps 7×5.
        Assert.Equal(new[] { 2, 5, 5 }, OutputOf(PlanOf(new[] { 1, 9, 9 }, Layer("Conv2D", ("OutChannels", 2), ("Kernel", 3), ("Dilation", 2)), Layer("Flatten"), Dense(2)), 0));
        Assert.Equal(new[] { 4, 7, 5 }, OutputOf(PlanOf(new[] { 3, 7, 5 }, Layer("Conv2D", ("OutChannels", 4), ("Kernel", 3), ("Padding", Same), ("Dilation", 2)), Layer("Flatten"), Dense(2)), 0));
    }

    [Fact]
    public void ARectangularKernelWithPerAxisStrideAndPadding()
    {
        // 16×16, kernel 3×1, stride (2, 1), padding (1, 0): Ho = (16 − 3 + 2)/2 + 1 = 8, Wo = 16.
        Plan plan = PlanOf(new[] { 4, 16, 16 }, Layer("Conv2D", ("OutChannels", 6), ("KernelHeight", 3), ("KernelWidth", 1), ("StrideHeight", 2), ("PaddingHeight", 1)), Layer("Flatten"), Dense(2));
        Assert.Equal(new[] { 6, 8, 16 }, OutputOf(plan, 0));
        Assert.Equal(new[] { 6, 4, 3, 1 }, plan.State.Single(s => s.Key == "0.weight").Shape.ToArray());
    }

    [Fact]
    public void GroupsThatDoNotDivideTheChannelsAreNG0110()
    {
        string error = Assert.Single(PlanOf(new[] { 4, 6, 6 }, Layer("Conv2D", ("OutChannels", 6), ("Kernel", 3), ("Groups", 3)), Layer("Flatten"), Dense(2)).Errors);
        Assert.StartsWith("NG0110", error);
    }

    [Fact]
    public void PReLUOwnsOneSlopePerChannel()
    {
        Plan plan = PlanOf(new[] { 3, 4, 4 }, Conv(5, 3, padding: 1), Layer("PReLU", ("NumParameters", 5)), Layer("Flatten"), Dense(2));
        Assert.Equal(new[] { 5 }, plan.State.Single(s => s.Key == "1.weight").Shape.ToArray());
        Assert.False(plan.State.Single(s => s.Key == "1.weight").WeightDecay);
    }

    [Fact]
    public void MaxoutKeepsOneChannelPerGroupOfPiecesAndOwnsNothing()
    {
        Plan plan = PlanOf(new[] { 2, 6, 6 }, Conv(8, 3, padding: 1), Layer("Maxout", ("Pieces", 2)), Layer("Flatten"), Dense(12), Layer("Maxout", ("Pieces", 3)), Dense(3));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 4, 6, 6 }, OutputOf(plan, 1));
        Assert.Equal(new[] { 4 }, OutputOf(plan, 4));
        Assert.DoesNotContain(plan.State, s => s.Node == 1 || s.Node == 4);
        Assert.Equal(new[] { "0.weight", "0.bias", "3.weight", "3.bias", "5.weight", "5.bias" }, plan.State.Select(s => s.Key).ToArray());
    }

    [Fact]
    public void LocalResponseNormKeepsTheShapeAndOwnsNothing()
    {
        Plan plan = PlanOf(new[] { 3, 5, 5 }, Conv(6, 3, padding: 1), Layer("LocalResponseNorm"), Layer("Flatten"), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 6, 5, 5 }, OutputOf(plan, 1));
        Assert.DoesNotContain(plan.State, s => s.Node == 1);
    }
}
