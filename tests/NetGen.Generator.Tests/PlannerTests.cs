using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Tests;

/// <summary>The Planner alone, without Roslyn: shapes, parameter layout, counts, init rules, wiring errors.</summary>
public sealed class PlannerTests
{
    private static LayerSpec Layer(LayerKind kind, int units = 0, double argument = 0, bool bias = true, InitKind init = InitKind.Auto) =>
        new(kind, null, units, argument, bias, init, 0, null, null, null);

    private static Plan PlanOf(int inputSize, params LayerSpec[] layers) =>
        NetworkPlanner.CreatePlan(
            new NetworkSpec("Demo", "Net", inputSize, 16, new TrainingSpec(LossKind.SoftmaxCrossEntropy, OptimizerKind.Sgd, 0.1, 0.9, 0.9, 0.999, 1e-8, 0),
                layers.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty),
            EquatableArray<DiagnosticInfo>.Empty).Plan;

    [Fact]
    public void ChooseGemm_IsTheRuntimesRule()
    {
        // The generator picks each layer's GEMM kernel at compile time; the runtime resolves GemmMode.Auto with its own
        // copy of the rule (the generator cannot reference the runtime). Every shape on this grid must agree.
        int[] sizes = [1, 2, 3, 4, 5, 6, 7, 10, 16, 31, 64, 100, 128, 256, 300, 512, 784, 1024, 4096];
        foreach (int m in sizes)
        {
            foreach (int n in sizes)
            {
                foreach (int k in sizes)
                {
                    Assert.Equal(global::NetGen.Kernels.Gemm.Choose(m, n, k).ToString(), NetworkPlanner.ChooseGemm(m, n, k));
                }
            }
        }
    }

    [Fact]
    public void ANetworkJustUnderTheArrayLimitIsPlanned()
    {
        // 46,000² weights + biases + a 46,000 → 2 layer: 2,116,138,002 parameters, under the 2,147,483,591 limit (NG0104).
        Plan plan = PlanOf(46000, Layer(LayerKind.Dense, 46000), Layer(LayerKind.Dense, 2));
        Assert.Empty(plan.Errors);
        Assert.Equal(2_116_138_002, plan.ParameterCount);
        Assert.Equal(8_464_552_008, plan.ParameterBytes);
    }

    [Fact]
    public void AParameterArenaOfExactlyTheArrayLimitIsPlannedAndOneMoreRowIsNot()
    {
        // 317,159 × (6,768 + 1) + 2 × 317,159 + 2 = 2,147,483,591 = Array.MaxLength exactly (and the pre-packed Wᵀ,
        // 317,184 × 6,768, fits too). One more input adds 317,159 parameters.
        Plan atLimit = PlanOf(6768, Layer(LayerKind.Dense, 317159), Layer(LayerKind.Dense, 2));
        Assert.Empty(atLimit.Errors);
        Assert.Equal(NetworkPlanner.MaxArrayLength, atLimit.ParameterCount);

        Plan over = PlanOf(6769, Layer(LayerKind.Dense, 317159), Layer(LayerKind.Dense, 2));
        Assert.Contains("NG0104", Assert.Single(over.Errors));
    }

    [Fact]
    public void SizeLimits_AreTheRuntimes()
    {
        // The widest GEMM panel: NR = 2 registers of float on Vector512 (PackedGemm.NR), whatever this machine has.
        Assert.Equal(NetworkPlanner.WidestPanel, 2 * System.Runtime.Intrinsics.Vector512<float>.Count);
        // NG0104 checks sizes against copies of runtime facts (the generator targets netstandard2.0 and cannot reference
        // the runtime): the largest array, and the narrow pair's scratch length.
        Assert.Equal(NetworkPlanner.MaxArrayLength, Array.MaxLength);
        foreach ((int i, int h, int o) in new[] { (1, 1, 1), (2, 100, 3), (4, 17, 4), (3, 1000, 2) })
        {
            Assert.Equal(global::NetGen.Kernels.DenseReLUDense.ScratchLength(i, h, o), NetworkPlanner.PairScratchLength(i, h, o));
        }
    }

    [Fact]
    public void NarrowPair_IsDenseReLUDenseAtTheStart_WithAtMostFourInputsAndOutputs()
    {
        Assert.True(NetworkPlanner.IsNarrowPair(PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3)).Layers));
        Assert.True(NetworkPlanner.IsNarrowPair(PlanOf(4, Layer(LayerKind.Dense, 7, bias: false), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 4), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 9)).Layers));
        Assert.True(NetworkPlanner.IsNarrowPair(PlanOf(1, Layer(LayerKind.Dense, 1), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 1)).Layers));

        Assert.False(NetworkPlanner.IsNarrowPair(PlanOf(5, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3)).Layers)); // 5 inputs
        Assert.False(NetworkPlanner.IsNarrowPair(PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 5)).Layers)); // 5 outputs
        Assert.False(NetworkPlanner.IsNarrowPair(PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.Tanh), Layer(LayerKind.Dense, 3)).Layers)); // not ReLU
        Assert.False(NetworkPlanner.IsNarrowPair(PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU)).Layers)); // no second Dense
        Assert.False(NetworkPlanner.IsNarrowPair(PlanOf(2, Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3)).Layers)); // not at the start
    }

    [Fact]
    public void NarrowPairLimit_IsTheRuntimes()
    {
        Assert.Equal(global::NetGen.Kernels.DenseReLUDense.MaxInputs, NetworkPlanner.NarrowPairLimit);
        Assert.Equal(global::NetGen.Kernels.DenseReLUDense.MaxOutputs, NetworkPlanner.NarrowPairLimit);
    }

    [Fact]
    public void NetworkA_3_4_2_Has26Parameters()
    {
        // CS231n notes test vector: 3 → 4 → 2 has 20 weights + 6 biases = 26 learnable parameters.
        Plan plan = PlanOf(3, Layer(LayerKind.Dense, 4), Layer(LayerKind.Sigmoid), Layer(LayerKind.Dense, 2));
        Assert.Equal(26, plan.ParameterCount);
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void NetworkB_3_4_4_1_Has41Parameters()
    {
        // 3 → 4 → 4 → 1: 32 weights + 9 biases = 41 (a regression-shaped net: one output is flagged for classification losses).
        Plan plan = PlanOf(3, Layer(LayerKind.Dense, 4), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 4), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 1));
        Assert.Equal(41, plan.ParameterCount);
        Assert.Contains(plan.Errors, e => e.StartsWith("NG0103", StringComparison.Ordinal));
    }

    [Fact]
    public void ParametersAreLaidOutInStateDictOrderWithPyTorchShapes()
    {
        Plan plan = PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.PReLU, argument: 0.25), Layer(LayerKind.Dense, 3, bias: false));
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "2.weight" }, plan.Parameters.Select(p => p.Key));
        Assert.Equal(new[] { 0, 200, 300, 301 }, plan.Parameters.Select(p => p.Offset));
        Assert.Equal(new[] { 100, 2 }, plan.Parameters[0].Shape);
        Assert.Equal(new[] { 3, 100 }, plan.Parameters[3].Shape);
        Assert.Equal(new[] { true, false, false, true }, plan.Parameters.Select(p => p.WeightDecay));
        Assert.Equal(-1, plan.Layers[2].BiasParameter);
    }

    [Fact]
    public void ShapesAndFlopsPerSample()
    {
        Plan plan = PlanOf(5, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3));
        Assert.Equal(new[] { 100 }, plan.Layers[1].OutputShape);
        Assert.Equal(3, plan.OutputSize);
        Assert.Equal((2 * 5 * 100) + 100 + 100 + (2 * 100 * 3) + 3, plan.FlopsPerSample);
        Assert.Equal(16 * 100, plan.GradientBufferSize);
        Assert.Equal((16 * 100) + (16 * 100) + (16 * 3), plan.ActivationArenaSize);
    }

    [Fact]
    public void NarrowPair_StoresNoHiddenActivations()
    {
        // 2 → 100 → ReLU → 3 → ReLU → 8: the pair's [0] and [1] get no arena room and no gradient buffer is 100 wide.
        Plan plan = PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 8));
        Assert.Equal(-1, plan.Layers[0].OutputOffset);
        Assert.Equal(-1, plan.Layers[1].OutputOffset);
        Assert.Equal(0, plan.Layers[2].OutputOffset);
        Assert.Equal(16 * 3, plan.Layers[3].OutputOffset);
        Assert.Equal((16 * 3) + (16 * 3) + (16 * 8), plan.ActivationArenaSize);
        Assert.Equal(16 * 8, plan.GradientBufferSize);
    }

    [Fact]
    public void DropoutKeepsAMaskInTheArena()
    {
        Plan plan = PlanOf(4, Layer(LayerKind.Dense, 8), Layer(LayerKind.Dropout, argument: 0.5), Layer(LayerKind.Dense, 2));
        Assert.Equal(16 * 8, plan.Layers[1].OutputOffset);
        Assert.Equal(2 * 16 * 8, plan.Layers[1].MaskOffset);
        Assert.True(plan.UsesDropout);
    }

    [Theory]
    [InlineData("ReLU", true)]
    [InlineData("Elu", true)]
    [InlineData("Tanh", false)]
    [InlineData("Sigmoid", false)]
    public void AutoInitIsHeForTheReLUFamilyAndGlorotOtherwise(string activationName, bool he)
    {
        var activation = Enum.Parse<LayerKind>(activationName);
        InitDistribution expected = he ? InitDistribution.Normal : InitDistribution.Uniform;
        Plan plan = PlanOf(50, Layer(LayerKind.Dense, 30), Layer(activation, argument: 1), Layer(LayerKind.Dense, 2));
        ParamPlan weight = plan.Parameters[0];
        Assert.Equal(expected, weight.Init.Distribution);
        double scale = expected == InitDistribution.Normal ? Math.Sqrt(2.0 / 50) : Math.Sqrt(6.0 / 80);
        Assert.Equal(scale, weight.Init.Scale, 12);
    }

    [Fact]
    public void AutoInitLooksThroughDropout()
    {
        Plan plan = PlanOf(10, Layer(LayerKind.Dense, 10), Layer(LayerKind.Dropout, argument: 0.5), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 2));
        Assert.Equal(InitDistribution.Normal, plan.Parameters[0].Init.Distribution);
    }

    [Fact]
    public void MissingInputAndNoLayersAreErrors()
    {
        Assert.Contains(PlanOf(0, Layer(LayerKind.Dense, 2)).Errors, e => e.StartsWith("NG0102", StringComparison.Ordinal));
        Assert.Contains(PlanOf(3).Errors, e => e.StartsWith("NG0101", StringComparison.Ordinal));
    }

    [Fact]
    public void EqualSpecsGiveEqualPlans()
    {
        Plan a = PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3));
        Plan b = PlanOf(2, Layer(LayerKind.Dense, 100), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3));
        Plan c = PlanOf(2, Layer(LayerKind.Dense, 101), Layer(LayerKind.ReLU), Layer(LayerKind.Dense, 3));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
