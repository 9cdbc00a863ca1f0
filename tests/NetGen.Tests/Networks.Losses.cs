using NetGen;

// Networks of the losses beyond softmax cross-entropy, the hinge and the MSE. The Reference* ones mirror the PyTorch
// cases of tests/reference/make_reference.py (squared_hinge_sgd, l1_sgd, huber_adam, bce_momentum); the Gc* ones are
// gradient-checked.
namespace NetGen.Tests.Networks;

// ── PyTorch reference networks ──────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 5, BatchSize = 6, Loss = Loss.MulticlassSquaredHinge, Margin = 2, Optimizer = Optimizer.Sgd, LearningRate = 0.02, WeightDecay = 1e-3)]
[Dense(7), ReLU, Dense(4)]
public partial class SquaredHingeSgd { }

[Network(InputSize = 4, BatchSize = 8, Loss = Loss.MeanAbsoluteError, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Dense(8), Tanh, Dense(2)]
public partial class L1Sgd { }

[Network(InputSize = 4, BatchSize = 8, Loss = Loss.Huber, Delta = 0.5, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(8), ReLU, Dense(3)]
public partial class HuberAdam { }

[Network(InputSize = 5, BatchSize = 6, Loss = Loss.BinaryCrossEntropyWithLogits, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3)]
[Dense(8), Tanh, Dense(4)]
public partial class BceMomentum { }

// ── Gradient-check networks ────────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 4, BatchSize = 3, Loss = Loss.MulticlassSquaredHinge, Margin = 0.5)]
[Dense(5), Tanh, Dense(3)]
public partial class GcSquaredHinge { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.MulticlassHinge, Margin = 3)]
[Dense(5), Tanh, Dense(3)]
public partial class GcHingeMargin3 { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.MeanAbsoluteError)]
[Dense(5), Tanh, Dense(2)]
public partial class GcL1 { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.Huber, Delta = 0.5)]
[Dense(5), Tanh, Dense(2)]
public partial class GcHuber { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.BinaryCrossEntropyWithLogits)]
[Dense(5), Tanh, Dense(3)]
public partial class GcBce { }
