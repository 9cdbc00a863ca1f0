using NetGen;

// Networks of label smoothing, probability (soft) targets, L1 / elastic-net / per-layer regularisation and the max-norm
// constraint. The Reference* ones mirror the cases of tests/reference/make_loss_reference.py (ls_sgd, soft_momentum,
// elastic_sgd, maxnorm_sgd); the Gc* ones are gradient-checked.
namespace NetGen.Tests.Networks;

// ── PyTorch reference networks ──────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 5, BatchSize = 6, LabelSmoothing = 0.1, WeightDecay = 1e-3, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(8), Tanh, Dense(4)]
public partial class LabelSmoothingSgd { }

[Network(InputSize = 5, BatchSize = 6, LabelSmoothing = 0.05, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9)]
[Dense(8), Tanh, Dense(4)]
public partial class SoftTargetsMomentum { }

[Network(InputSize = 4, BatchSize = 8, WeightDecay = 1e-2, L1 = 2e-2, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9)]
[Dense(6, RegularizeBias = true), ReLU, Dense(3, WeightDecay = 5e-2, L1 = 0)]
public partial class ElasticNetMomentum { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 4, WeightDecay = 1e-3, MaxNorm = 0.6, Optimizer = Optimizer.Sgd, LearningRate = 0.2)]
[Conv2D(4, 3, Padding = 1, L1 = 1e-3, MaxNorm = 0.57), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class MaxNormSgd { }

// ── Gradient-check networks ────────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 4, BatchSize = 3, LabelSmoothing = 0.2)]
[Dense(5), Tanh, Dense(3)]
public partial class GcLabelSmoothing { }

[Network(InputSize = 4, BatchSize = 3, WeightDecay = 1e-2, L1 = 3e-2)]
[Dense(5, RegularizeBias = true, BiasInit = 0.1), Tanh, Dense(3, L1 = 1e-1, WeightDecay = 0)]
public partial class GcElasticNet { }

[Network(InputShape = new[] { 2, 5, 5 }, BatchSize = 3, L1 = 1e-2)]
[Conv2D(3, 3, WeightDecay = 2e-2, RegularizeBias = true, BiasInit = 0.1), Tanh, Flatten, Dense(3)]
public partial class GcConvElasticNet { }

// maxnorm_sgd without the constraint, to show that the constraint test can fail.
[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 4, WeightDecay = 1e-3, Optimizer = Optimizer.Sgd, LearningRate = 0.2)]
[Conv2D(4, 3, Padding = 1, L1 = 1e-3), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class MaxNormFree { }

// ── Binary (per-attribute) hinge ────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 5, BatchSize = 6, Loss = Loss.BinaryHinge, WeightDecay = 1e-3, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(7), Tanh, Dense(4)]
public partial class BinaryHingeSgd { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.BinaryHinge, Margin = 0.5)]
[Dense(5), Tanh, Dense(3)]
public partial class GcBinaryHinge { }

// ── Initial loss with small random weights (Init.SmallNormal: w ~ 0.01·N(0, 1), biases 0), 10 outputs ─────────────
[Network(InputSize = 20, BatchSize = 32)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitSoftmax { }

[Network(InputSize = 20, BatchSize = 32, LabelSmoothing = 0.1)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitSmoothedSoftmax { }

[Network(InputSize = 20, BatchSize = 32, Loss = Loss.MulticlassHinge)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitHinge { }

[Network(InputSize = 20, BatchSize = 32, Loss = Loss.MulticlassHinge, Margin = 2)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitHingeMargin2 { }

[Network(InputSize = 20, BatchSize = 32, Loss = Loss.MulticlassSquaredHinge, Margin = 2)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitSquaredHinge { }

[Network(InputSize = 20, BatchSize = 32, Loss = Loss.BinaryCrossEntropyWithLogits)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitBce { }

[Network(InputSize = 20, BatchSize = 32, Loss = Loss.BinaryHinge)]
[Dense(50, Init = Init.SmallNormal), ReLU, Dense(10, Init = Init.SmallNormal)]
public partial class InitBinaryHinge { }

[Network(InputSize = 20, BatchSize = 32)]
[Dense(50), ReLU, Dense(10)]
public partial class InitSoftmaxDefaultInit { }
