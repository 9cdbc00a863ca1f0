using NetGen;

// Networks of the folded non-finite check tests (GuardFuseTests, ADR 0040). At batch 64 the three weight gradients of
// FusedCheckMlp take the three paths of Dense's backward: dW of [0] (96×200 from 64 rows, 1.2M multiply-adds) the packed
// GEMM split over the cores, [2] (40×96) the packed GEMM on one core with a 4-row last panel, [4] (10×40) the direct
// kernel; 200 columns end in a partial column panel. FusedCheckDecay adds an L2 term, which changes every weight gradient
// after Backward, so those gradients are read by the step check instead.
namespace NetGen.Tests.Networks;

[Network(InputSize = 200, BatchSize = 64, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Dense(96), ReLU, Dense(40), ReLU, Dense(10)]
public partial class FusedCheckMlp { }

[Network(InputSize = 200, BatchSize = 64, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Momentum, LearningRate = 1e-2, WeightDecay = 1e-3)]
[Dense(96), ReLU, Dense(40), ReLU, Dense(10)]
public partial class FusedCheckDecay { }
