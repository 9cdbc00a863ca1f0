using NetGen.Generator.Lowering;
using NetGen.Generator.Model;
using NetGen.Generator.Planner;

namespace NetGen.Generator.Tests;

/// <summary>The Planner and the CPU lowering alone, without Roslyn: shapes, state layout, counts, init rules, gradient
/// routing, wiring errors, and the seed notes' worked numbers.</summary>
public sealed class PlannerTests
{
    internal static LayerSpec Layer(string kind, params (string Name, double Value)[] arguments) =>
        new(kind, null, arguments.Select(a => new ArgumentValue(a.Name, a.Value, null)).ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty);

    internal static LayerSpec Dense(int units, bool bias = true, int init = 0) => Layer("Dense", ("Units", units), ("Bias", bias ? 1 : 0), ("Init", init));

    internal static LayerSpec Conv(int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true) =>
        Layer("Conv2D", ("OutChannels", outChannels), ("Kernel", kernel), ("Stride", stride), ("Padding", padding), ("Bias", bias ? 1 : 0));

    private static LayerSpec Residual(string block) =>
        new("Residual", null, new[] { new ArgumentValue("Block", 0, block) }.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty);

    private static BlockSpec Block(string name, params LayerSpec[] layers) =>
        new("Demo." + name, name, layers.ToEquatableArray(), null, EquatableArray<DiagnosticInfo>.Empty);

    private static NetworkSpec Spec(int[] shape, LossKind loss, LayerSpec[] layers) =>
        new("Demo", "Net", shape.ToEquatableArray(), 16, new TrainingSpec(loss, OptimizerKind.Sgd, 0.1, 0.9, 0.9, 0.999, 1e-8, 0),
            layers.ToEquatableArray(), null, EquatableArray<NamedLocation>.Empty);

    private static (Plan Plan, EquatableArray<DiagnosticInfo> Diagnostics) Create(int[] shape, BlockSpec[] blocks, params LayerSpec[] layers) =>
        NetworkPlanner.CreatePlan(Spec(shape, LossKind.SoftmaxCrossEntropy, layers), blocks.ToEquatableArray(), EquatableArray<DiagnosticInfo>.Empty);

    private static Plan PlanOf(int inputSize, params LayerSpec[] layers) => Create(new[] { inputSize }, Array.Empty<BlockSpec>(), layers).Plan;

    private static Plan PlanOf(int[] shape, params LayerSpec[] layers) => Create(shape, Array.Empty<BlockSpec>(), layers).Plan;

    private static IEnumerable<StatePlan> Parameters(Plan plan) => plan.State.Where(s => s.Role == StateRole.Parameter);

    [Fact]
    public void ChooseGemm_IsTheRuntimesRule()
    {
        // The CPU lowering picks each product's GEMM kernel at compile time; the runtime resolves GemmMode.Auto with its
        // own copy of the rule (the generator cannot reference the runtime). Every shape on this grid must agree.
        int[] sizes = [1, 2, 3, 4, 5, 6, 7, 10, 16, 31, 64, 100, 128, 256, 300, 512, 784, 1024, 4096];
        foreach (int m in sizes)
        {
            foreach (int n in sizes)
            {
                foreach (int k in sizes)
                {
                    Assert.Equal(global::NetGen.Kernels.Gemm.Choose(m, n, k).ToString(), CpuLowering.ChooseMode(m, n, k).ToString());
                }
            }
        }
    }

    [Fact]
    public void ANetworkJustUnderTheArrayLimitIsPlanned()
    {
        // 46,000² weights + biases + a 46,000 → 2 layer: 2,116,138,002 parameters, under the 2,147,483,591 limit (NG0104).
        Plan plan = PlanOf(46000, Dense(46000), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(2_116_138_002, plan.ParameterCount);
        Assert.Equal(8_464_552_008, plan.ParameterBytes);
    }

    [Fact]
    public void AParameterArenaOfExactlyTheArrayLimitIsPlannedAndOneMoreRowIsNot()
    {
        // 317,159 × (6,768 + 1) + 2 × 317,159 + 2 = 2,147,483,591 = Array.MaxLength exactly (and the pre-packed Wᵀ,
        // 317,184 × 6,768, fits too). One more input adds 317,159 parameters.
        Plan atLimit = PlanOf(6768, Dense(317159), Dense(2));
        Assert.Empty(atLimit.Errors);
        Assert.Equal(NetworkPlanner.MaxArrayLength, atLimit.ParameterCount);

        Plan over = PlanOf(6769, Dense(317159), Dense(2));
        Assert.Contains("NG0104", Assert.Single(over.Errors));
    }

    [Fact]
    public void SizeLimits_AreTheRuntimes()
    {
        // The widest GEMM panel: NR = 2 registers of float on Vector512 (PackedGemm.NR), whatever this machine has.
        Assert.Equal(CpuLowering.WidestPanel, 2 * System.Runtime.Intrinsics.Vector512<float>.Count);
        // NG0104 checks sizes against copies of runtime facts (the generator targets netstandard2.0 and cannot reference
        // the runtime): the largest array, and the narrow pair's scratch length.
        Assert.Equal(NetworkPlanner.MaxArrayLength, Array.MaxLength);
        foreach ((int i, int h, int o) in new[] { (1, 1, 1), (2, 100, 3), (4, 17, 4), (3, 1000, 2) })
        {
            Assert.Equal(global::NetGen.Kernels.DenseReLUDense.ScratchLength(i, h, o), CpuLowering.PairScratchLength(i, h, o));
        }
    }

    private static bool IsNarrowPair(Plan plan) => CpuLowering.Lower(plan).NarrowPair;

    [Fact]
    public void NarrowPair_IsDenseReLUDenseAtTheStart_WithAtMostFourInputsAndOutputs()
    {
        Assert.True(IsNarrowPair(PlanOf(2, Dense(100), Layer("ReLU"), Dense(3))));
        Assert.True(IsNarrowPair(PlanOf(4, Dense(7, bias: false), Layer("ReLU"), Dense(4), Layer("ReLU"), Dense(9))));
        Assert.True(IsNarrowPair(PlanOf(1, Dense(2), Layer("ReLU"), Dense(2))));

        Assert.False(IsNarrowPair(PlanOf(5, Dense(100), Layer("ReLU"), Dense(3)))); // 5 inputs
        Assert.False(IsNarrowPair(PlanOf(2, Dense(100), Layer("ReLU"), Dense(5)))); // 5 outputs
        Assert.False(IsNarrowPair(PlanOf(2, Dense(100), Layer("Tanh"), Dense(3)))); // not ReLU
        Assert.False(IsNarrowPair(PlanOf(2, Layer("ReLU"), Dense(100), Layer("ReLU"), Dense(3)))); // not at the start
    }

    [Fact]
    public void NarrowPairLimit_IsTheRuntimes()
    {
        Assert.Equal(global::NetGen.Kernels.DenseReLUDense.MaxInputs, CpuLowering.NarrowPairLimit);
        Assert.Equal(global::NetGen.Kernels.DenseReLUDense.MaxOutputs, CpuLowering.NarrowPairLimit);
    }

    [Fact]
    public void NetworkA_3_4_2_Has26Parameters()
    {
        // CS231n notes test vector: 3 → 4 → 2 has 20 weights + 6 biases = 26 learnable parameters.
        Plan plan = PlanOf(3, Dense(4), Layer("Sigmoid"), Dense(2));
        Assert.Equal(26, plan.ParameterCount);
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void NetworkB_3_4_4_1_Has41Parameters_AndOneOutputIsAnErrorOnlyForClassification()
    {
        // 3 → 4 → 4 → 1: 32 weights + 9 biases = 41 (a regression-shaped net: one output is flagged for classification losses).
        LayerSpec[] layers = { Dense(4), Layer("ReLU"), Dense(4), Layer("ReLU"), Dense(1) };
        Plan plan = PlanOf(3, layers);
        Assert.Equal(41, plan.ParameterCount);
        Assert.Contains(plan.Errors, e => e.StartsWith("NG0103", StringComparison.Ordinal));

        Plan regression = NetworkPlanner.CreatePlan(Spec(new[] { 3 }, LossKind.MeanSquaredError, layers), EquatableArray<DiagnosticInfo>.Empty).Plan;
        Assert.Empty(regression.Errors);
    }

    [Fact]
    public void ParametersAreLaidOutInStateDictOrderWithPyTorchShapes()
    {
        Plan plan = PlanOf(2, Dense(100), Layer("PReLU", ("Init", 0.25)), Dense(3, bias: false));
        StatePlan[] p = Parameters(plan).ToArray();
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "2.weight" }, p.Select(s => s.Key));
        Assert.Equal(new[] { 0, 200, 300, 301 }, p.Select(s => s.Offset));
        Assert.Equal(new[] { 100, 2 }, p[0].Shape);
        Assert.Equal(new[] { 3, 100 }, p[3].Shape);
        Assert.Equal(new[] { true, false, false, true }, p.Select(s => s.WeightDecay));
    }

    [Fact]
    public void ShapesFlopsAndArenas()
    {
        Plan plan = PlanOf(5, Dense(100), Layer("ReLU"), Dense(3));
        CpuPlan cpu = CpuLowering.Lower(plan);
        Assert.Equal(new[] { 100 }, plan.Tensors[plan.Nodes[1].Output].Shape);
        Assert.Equal(3, plan.OutputSize);
        Assert.Equal((2 * 5 * 100) + 100 + 100 + (2 * 100 * 3) + 3, plan.FlopsPerSample);
        Assert.Equal(16 * 100, cpu.GradientSlotSize);
        Assert.Equal(2, plan.GradientSlots); // a chain ping-pongs between two slots
        Assert.Equal((16 * 100) + (16 * 100) + (16 * 3), cpu.ActivationArenaSize);
        Assert.True(cpu.Nodes[1].FusedIntoPrevious);
        Assert.True(cpu.Nodes[0].FusesNextReLU);
    }

    [Fact]
    public void NarrowPair_StoresNoHiddenActivations()
    {
        // 2 → 100 → ReLU → 3 → ReLU → 8: the pair's [0] and [1] get no arena room and no gradient slot is 100 wide.
        Plan plan = PlanOf(2, Dense(100), Layer("ReLU"), Dense(3), Layer("ReLU"), Dense(8));
        CpuPlan cpu = CpuLowering.Lower(plan);
        Assert.Equal(-1, cpu.TensorOffsets[plan.Nodes[0].Output]);
        Assert.Equal(-1, cpu.TensorOffsets[plan.Nodes[1].Output]);
        Assert.Equal(0, cpu.TensorOffsets[plan.Nodes[2].Output]);
        Assert.Equal(16 * 3, cpu.TensorOffsets[plan.Nodes[3].Output]);
        Assert.Equal((16 * 3) + (16 * 3) + (16 * 8), cpu.ActivationArenaSize);
        Assert.Equal(16 * 8, cpu.GradientSlotSize);
    }

    [Fact]
    public void DropoutKeepsAMaskInTheArena()
    {
        Plan plan = PlanOf(4, Dense(8), Layer("Dropout", ("P", 0.5)), Dense(2));
        CpuPlan cpu = CpuLowering.Lower(plan);
        Assert.Equal(16 * 8, cpu.TensorOffsets[plan.Nodes[1].Output]);
        CachePlan mask = Assert.Single(plan.Caches);
        Assert.Equal(("mask", 1, true), (mask.Local, mask.Node, mask.PerSample));
        Assert.Equal(2 * 16 * 8, cpu.CacheOffsets[0]);
    }

    [Theory]
    [InlineData("ReLU", true)]
    [InlineData("ELU", true)]
    [InlineData("Tanh", false)]
    [InlineData("Sigmoid", false)]
    public void AutoInitIsHeForTheReLUFamilyAndGlorotOtherwise(string activation, bool he)
    {
        InitDistribution expected = he ? InitDistribution.Normal : InitDistribution.Uniform;
        Plan plan = PlanOf(50, Dense(30), Layer(activation), Dense(2));
        StatePlan weight = Parameters(plan).First();
        Assert.Equal(expected, weight.Init.Distribution);
        double scale = expected == InitDistribution.Normal ? Math.Sqrt(2.0 / 50) : Math.Sqrt(6.0 / 80);
        Assert.Equal(scale, weight.Init.Scale, 12);
    }

    [Fact]
    public void AutoInitLooksThroughDropoutBatchNormAndPooling()
    {
        Assert.Equal(InitDistribution.Normal, Parameters(PlanOf(10, Dense(10), Layer("Dropout", ("P", 0.5)), Layer("ReLU"), Dense(2))).First().Init.Distribution);
        Plan conv = PlanOf(new[] { 3, 8, 8 }, Conv(4, 3, bias: false), Layer("BatchNorm2D"), Layer("MaxPool2D", ("Kernel", 2)), Layer("ReLU"), Layer("Flatten"), Dense(2));
        StatePlan weight = Parameters(conv).First();
        Assert.Equal(InitDistribution.Normal, weight.Init.Distribution);
        Assert.Equal(Math.Sqrt(2.0 / (3 * 3 * 3)), weight.Init.Scale, 12); // fan-in C·k·k, as PyTorch
    }

    [Fact]
    public void MissingInputAndNoLayersAreErrors()
    {
        Assert.Contains(PlanOf(0, Dense(2)).Errors, e => e.StartsWith("NG0102", StringComparison.Ordinal));
        Assert.Contains(PlanOf(new[] { 3, 0, 2 }, Dense(2)).Errors, e => e.StartsWith("NG0102", StringComparison.Ordinal));
        Assert.Contains(PlanOf(new[] { 3, 2 }, Dense(2)).Errors, e => e.StartsWith("NG0102", StringComparison.Ordinal)); // rank 2
        Assert.Contains(PlanOf(3).Errors, e => e.StartsWith("NG0101", StringComparison.Ordinal));
    }

    [Fact]
    public void EqualSpecsGiveEqualPlans()
    {
        Plan a = PlanOf(2, Dense(100), Layer("ReLU"), Dense(3));
        Plan b = PlanOf(2, Dense(100), Layer("ReLU"), Dense(3));
        Plan c = PlanOf(2, Dense(101), Layer("ReLU"), Dense(3));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    // ── The seed notes' worked numbers (convolution layer) ───────────────────────────────────────────────────────────
    [Theory]
    [InlineData(1, 0, 5)]
    [InlineData(2, 0, 3)]
    [InlineData(1, 1, 7)] // "same" padding: (7 − 3 + 2)/1 + 1 = 7
    public void ConvOutputSize_N7_F3(int stride, int padding, int expected)
    {
        Plan plan = PlanOf(new[] { 1, 7, 7 }, Conv(2, 3, stride, padding), Layer("Flatten"), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 2, expected, expected }, plan.Tensors[plan.Nodes[0].Output].Shape);
    }

    [Fact]
    public void ConvOutputSize_N7_F3_Stride3_IsAnErrorShowingTheArithmeticAndAFix()
    {
        string error = Assert.Single(PlanOf(new[] { 1, 7, 7 }, Conv(2, 3, stride: 3), Layer("Flatten"), Dense(2)).Errors);
        Assert.StartsWith("NG0105", error);
        Assert.Contains("(7 − 3 + 0)/3 + 1 = 2.33 is not a whole number", error);
        Assert.Contains("Use Stride = 2 or Padding = 1.", error);
    }

    [Fact]
    public void ConvWindowLargerThanTheInputIsAnError()
    {
        string error = Assert.Single(PlanOf(new[] { 1, 2, 2 }, Conv(2, 3), Layer("Flatten"), Dense(2)).Errors);
        Assert.StartsWith("NG0105", error);
        Assert.Contains("is less than 1", error);
    }

    [Fact]
    public void AStrideWhoseRemainderFallsInThePaddingIsAccepted()
    {
        // ResNet's 3×3 stride-2 padding-1 convolution on 6×6: (6 − 3 + 2)/2 + 1 = 3.5; only a padding row goes unread.
        Plan plan = PlanOf(new[] { 1, 6, 6 }, Conv(2, 3, stride: 2, padding: 1), Layer("Flatten"), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 2, 3, 3 }, plan.Tensors[plan.Nodes[0].Output].Shape);
    }

    [Fact]
    public void A5x5FilterOnDepth3Has76ParametersAndTenOfThem760()
    {
        Plan one = PlanOf(new[] { 3, 32, 32 }, Conv(1, 5), Layer("Flatten"), Dense(2));
        Assert.Equal(76, Parameters(one).Where(s => s.Node == 0).Sum(s => s.Length));
        Assert.Equal(new[] { 1, 28, 28 }, one.Tensors[one.Nodes[0].Output].Shape); // 32×32×3, 5×5×3 filter → 28×28

        Plan ten = PlanOf(new[] { 3, 32, 32 }, Conv(10, 5), Layer("Flatten"), Dense(2));
        Assert.Equal(760, Parameters(ten).Where(s => s.Node == 0).Sum(s => s.Length));
        Assert.Equal(new[] { 10, 3, 5, 5 }, Parameters(ten).First().Shape);
    }

    [Fact]
    public void DenseAfterAnImageWithoutFlattenIsAnError()
    {
        string error = Assert.Single(PlanOf(new[] { 1, 6, 6 }, Conv(4, 3), Dense(2)).Errors);
        Assert.StartsWith("NG0106", error);
        Assert.Contains("[4, 4, 4]", error);
        Assert.Contains("[Flatten]", error);
    }

    [Fact]
    public void FlattenIsAViewOfItsInput()
    {
        Plan plan = PlanOf(new[] { 2, 4, 4 }, Conv(3, 3, padding: 1), Layer("ReLU"), Layer("Flatten"), Dense(2));
        TensorPlan flat = plan.Tensors[plan.Nodes[2].Output];
        Assert.Equal(new[] { 48 }, flat.Shape);
        Assert.Equal(plan.Nodes[1].Output, flat.ViewOf);
        Assert.Equal(new[] { 2, 48 }, Parameters(plan).Single(s => s.Key == "3.weight").Shape);
        Assert.Equal(GradientRoute.Alias, plan.Nodes[2].InputGradients[0].Route);
    }

    [Fact]
    public void MaxPoolAndBatchNormDeclareTheirCachesAndBuffers()
    {
        Plan plan = PlanOf(new[] { 3, 8, 8 }, Conv(4, 3, bias: false), Layer("BatchNorm2D"), Layer("ReLU"), Layer("MaxPool2D", ("Kernel", 2)), Layer("Flatten"), Dense(6), Layer("BatchNorm1D"), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { "1.running_mean", "1.running_var", "1.num_batches_tracked", "6.running_mean", "6.running_var", "6.num_batches_tracked" },
            plan.State.Where(s => s.Role == StateRole.Buffer).Select(s => s.Key));
        Assert.Equal(new[] { StateDtype.F32, StateDtype.F32, StateDtype.I64 }, plan.State.Where(s => s.Node == 1 && s.Role == StateRole.Buffer).Select(s => s.Dtype));
        Assert.Equal((4 * 2) + (6 * 2), plan.BufferCount);
        Assert.Equal(2, plan.CounterCount);
        Assert.Contains(plan.Caches, c => c.Local == "argmax" && c.IsInt && c.PerSample && c.Length == 4 * 3 * 3);
        Assert.Contains(plan.Caches, c => c.Local == "inv_std" && !c.PerSample && c.Length == 4);
        Assert.Equal(new[] { false, false }, plan.State.Where(s => s.Node == 1 && s.Role == StateRole.Parameter).Select(s => s.WeightDecay));
    }

    [Fact]
    public void AvgPoolFollowsTheWindowRuleAndKeepsNothingForBackward()
    {
        // 2×8×8: AvgPool2D(2) → 2×4×4; AvgPool2D(3, Stride = 1, Padding = 1) keeps 4×4; no state, no cache.
        Plan plan = PlanOf(new[] { 2, 8, 8 }, Layer("AvgPool2D", ("Kernel", 2)), Layer("AvgPool2D", ("Kernel", 3), ("Stride", 1), ("Padding", 1)), Layer("Flatten"), Dense(2));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 2, 4, 4 }, plan.Tensors[plan.Nodes[0].Output].Shape);
        Assert.Equal(new[] { 2, 4, 4 }, plan.Tensors[plan.Nodes[1].Output].Shape);
        Assert.Empty(plan.Caches);
        Assert.Equal(new[] { "3.weight", "3.bias" }, plan.State.Select(s => s.Key));
        Assert.Equal((32L * 4) + (32 * 9) + (2 * 32 * 2) + 2, plan.FlopsPerSample);

        // 5×5 with a 2×2 window at stride 2 leaves the last row unread: NG0105, the arithmetic and a fix, as for MaxPool2D.
        string error = Assert.Single(PlanOf(new[] { 1, 5, 5 }, Layer("AvgPool2D", ("Kernel", 2)), Layer("Flatten"), Dense(2)).Errors);
        Assert.StartsWith("NG0105", error);
        Assert.Contains("(5 − 2 + 0)/2 + 1 = 2.5 is not a whole number", error);
        Assert.Contains("AvgPool2D", error);

        // On a vector: NG0106.
        Assert.StartsWith("NG0106", Assert.Single(PlanOf(8, Layer("AvgPool2D", ("Kernel", 2)), Dense(2)).Errors));
    }

    [Fact]
    public void GlobalAvgPoolGivesAVectorADenseCanRead()
    {
        // [6, 4, 4] → [6]: the Dense after it needs no Flatten and reads 6 features.
        Plan plan = PlanOf(new[] { 2, 4, 4 }, Conv(6, 3, padding: 1), Layer("ReLU"), Layer("GlobalAvgPool2D"), Dense(3));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 6 }, plan.Tensors[plan.Nodes[2].Output].Shape);
        Assert.Equal(new[] { 3, 6 }, Parameters(plan).Single(s => s.Key == "3.weight").Shape);
        Assert.Empty(plan.Caches);

        // On a vector: NG0106.
        string error = Assert.Single(PlanOf(8, Dense(4), Layer("GlobalAvgPool2D"), Dense(2)).Errors);
        Assert.StartsWith("NG0106", error);
        Assert.Contains("an image C×H×W", error);
    }

    [Fact]
    public void LayerNormKeepsTheShapeAndOwnsGammaAndBetaOfThatShape()
    {
        // Over an image: γ and β are [4, 6, 6], as nn.LayerNorm([4, 6, 6]); over a vector: [8]; Affine = false: none.
        // The per-sample mean and 1/σ are cached (one value per row); no buffers; γ and β are not weight-decayed.
        Plan plan = PlanOf(new[] { 2, 6, 6 }, Conv(4, 3, padding: 1), Layer("LayerNorm"), Layer("ReLU"), Layer("Flatten"), Dense(8), Layer("LayerNorm", ("Affine", 0)), Dense(3));
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { 4, 6, 6 }, plan.Tensors[plan.Nodes[1].Output].Shape);
        StatePlan gamma = Parameters(plan).Single(s => s.Key == "1.weight");
        Assert.Equal(new[] { 4, 6, 6 }, gamma.Shape);
        Assert.Equal(new[] { 4, 6, 6 }, Parameters(plan).Single(s => s.Key == "1.bias").Shape);
        Assert.False(gamma.WeightDecay);
        Assert.DoesNotContain(plan.State, s => s.Key.StartsWith("5.", StringComparison.Ordinal));
        Assert.Equal(0, plan.BufferCount);
        Assert.Contains(plan.Caches, c => c.Local == "mean" && c.PerSample && c.Length == 1 && !c.IsInt);
        Assert.Contains(plan.Caches, c => c.Local == "inv_std" && c.PerSample && c.Length == 1);

        Plan vector = PlanOf(5, Dense(8), Layer("LayerNorm"), Dense(2));
        Assert.Equal(new[] { 8 }, Parameters(vector).Single(s => s.Key == "1.weight").Shape);
    }

    // ── Residual blocks and gradient routing ────────────────────────────────────────────────────────────────────────
    [Fact]
    public void AnIdentityResidualAliasesTheGradientAndAddsTheBranchContribution()
    {
        BlockSpec block = Block("B", Conv(4, 3, padding: 1), Layer("ReLU"), Conv(4, 3, padding: 1));
        Plan plan = Create(new[] { 2, 6, 6 }, new[] { block }, Conv(4, 3, padding: 1), Layer("ReLU"), Residual("Demo.B"), Layer("Flatten"), Dense(3)).Plan;
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { "0", "1", "2.branch.0", "2.branch.1", "2.branch.2", "2", "3", "4" }, plan.Nodes.Select(n => n.Path));
        NodePlan add = plan.Nodes.Single(n => n.Kind == "Residual");
        Assert.Equal(new[] { plan.Nodes[4].Output, plan.Nodes[1].Output }, add.Inputs); // branch output, then the skip
        Assert.All(add.InputGradients, g => Assert.Equal(GradientRoute.Alias, g.Route));
        // The branch's first convolution is the skip tensor's second consumer: it adds its contribution.
        InputGradient branchIn = plan.Nodes[2].InputGradients[0];
        Assert.Equal(GradientRoute.Accumulate, branchIn.Route);
        Assert.Equal(add.InputGradients[1].Slot, branchIn.Slot);
        Assert.NotEqual(branchIn.Slot, branchIn.TempSlot);
        Assert.Equal(3, plan.GradientSlots);
        Assert.True(CpuLowering.Lower(plan).Nodes[1].FusedIntoPrevious); // the ReLU is still fused: only its own output has two readers
    }

    [Fact]
    public void AShapeChangingBlockGetsAOneByOneProjectionWithNestedKeys()
    {
        BlockSpec block = Block("Down", Conv(8, 3, stride: 2, padding: 1), Layer("ReLU"), Conv(8, 3, padding: 1));
        Plan plan = Create(new[] { 4, 6, 6 }, new[] { block }, Residual("Demo.Down"), Layer("Flatten"), Dense(3)).Plan;
        Assert.Empty(plan.Errors);
        Assert.Equal(new[] { "0.branch.0.weight", "0.branch.0.bias", "0.branch.2.weight", "0.branch.2.bias", "0.shortcut.0.weight", "2.weight", "2.bias" }, Parameters(plan).Select(s => s.Key));
        Assert.Equal(new[] { 8, 4, 1, 1 }, Parameters(plan).Single(s => s.Key == "0.shortcut.0.weight").Shape);
        NodePlan shortcut = plan.Nodes.Single(n => n.Path == "0.shortcut.0");
        Assert.Equal(2, shortcut.Arguments.Int("Stride", 0));
        Assert.Equal(new[] { 8, 3, 3 }, plan.Tensors[shortcut.Output].Shape);
    }

    [Fact]
    public void TheProjectionTakesTheBranchsStrideWhenItFits()
    {
        // 4×4 → 2×2 through a 1×1 stride-3 convolution: strides 2 and 3 both give ⌊(4 − 1)/s⌋ + 1 = 2; the branch's is taken.
        BlockSpec block = Block("S3", Conv(4, 1, stride: 3));
        Plan plan = Create(new[] { 2, 4, 4 }, new[] { block }, Residual("Demo.S3"), Layer("Flatten"), Dense(2)).Plan;
        Assert.Empty(plan.Errors);
        Assert.Equal(3, plan.Nodes.Single(n => n.Path == "0.shortcut.0").Arguments.Int("Stride", 0));
    }

    [Fact]
    public void InitialisationLooksThroughTheResidualAdditionToTheReLUAfterIt()
    {
        BlockSpec block = Block("B", Conv(2, 3, padding: 1), Layer("Tanh"), Conv(2, 3, padding: 1));
        Plan plan = Create(new[] { 2, 4, 4 }, new[] { block }, Residual("Demo.B"), Layer("ReLU"), Layer("Flatten"), Dense(2)).Plan;
        Assert.Equal(InitDistribution.Uniform, plan.State.Single(s => s.Key == "0.branch.0.weight").Init.Distribution); // Tanh follows
        Assert.Equal(InitDistribution.Normal, plan.State.Single(s => s.Key == "0.branch.2.weight").Init.Distribution); // ReLU after the sum
    }

    [Fact]
    public void ResidualErrors_UnknownBlock_Cycle_NoProjection_Empty()
    {
        Assert.StartsWith("NG0006", Assert.Single(Create(new[] { 4 }, Array.Empty<BlockSpec>(), Residual("Demo.Missing"), Dense(2)).Plan.Errors));

        BlockSpec a = Block("A", Dense(4), Residual("Demo.B"));
        BlockSpec b = Block("B", Residual("Demo.A"));
        string cycle = Assert.Single(Create(new[] { 4 }, new[] { a, b }, Residual("Demo.A"), Dense(2)).Plan.Errors);
        Assert.StartsWith("NG0007", cycle);
        Assert.Contains("A → B → A", cycle);

        BlockSpec bad = Block("Bad", Conv(4, 3, stride: 3));
        string inBlock = Assert.Single(Create(new[] { 1, 7, 7 }, new[] { bad }, Residual("Demo.Bad"), Layer("Flatten"), Dense(2)).Plan.Errors);
        Assert.Contains("Conv2D layer 'Conv2D #0' of network 'Net' (block 'Bad'): output height", inBlock);

        BlockSpec toVector = Block("V", Dense(5));
        string projection = Assert.Single(Create(new[] { 4 }, new[] { toVector }, Residual("Demo.V"), Dense(2)).Plan.Errors);
        Assert.StartsWith("NG0107", projection);
        Assert.Contains("[4] to [5]", projection);

        Assert.StartsWith("NG0108", Assert.Single(Create(new[] { 4 }, new[] { Block("E") }, Residual("Demo.E"), Dense(2)).Plan.Errors));
    }
}
