using NetGen;

// Networks used by the integration tests, declared exactly as a user would. The Reference* networks mirror the
// nn.Sequential models of tests/reference/make_reference.py (same layer order, so the same state_dict keys).
namespace NetGen.Tests.Networks;

// ── PyTorch reference networks ──────────────────────────────────────────────────────────────────────────────────
// Every activation, dropout and L2 in one stack; one class per optimizer (the optimizer is compile-time).
[Network(InputSize = 5, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Sgd, LearningRate = 0.1, WeightDecay = 1e-3)]
[Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU, Dense(6), Identity, Dropout(0.25), Dense(3)]
public partial class ActsSgd { }

[Network(InputSize = 5, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3)]
[Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU, Dense(6), Identity, Dropout(0.25), Dense(3)]
public partial class ActsMomentum { }

[Network(InputSize = 5, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Nesterov, LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3)]
[Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU, Dense(6), Identity, Dropout(0.25), Dense(3)]
public partial class ActsNesterov { }

[Network(InputSize = 5, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU, Dense(6), Identity, Dropout(0.25), Dense(3)]
public partial class ActsAdam { }

[Network(InputSize = 5, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.AdaGrad, LearningRate = 0.05, WeightDecay = 1e-3)]
[Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU, Dense(6), Identity, Dropout(0.25), Dense(3)]
public partial class ActsAdaGrad { }

[Network(InputSize = 5, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, Alpha = 0.9, WeightDecay = 1e-3)]
[Dense(6), ReLU, Dense(6), LeakyReLU, Dense(6), PReLU, Dense(6), Sigmoid, Dense(6), Tanh, Dense(6), ELU, Dense(6), Identity, Dropout(0.25), Dense(3)]
public partial class ActsRmsProp { }

[Network(InputSize = 5, BatchSize = 8, Loss = Loss.MulticlassHinge, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(7), ReLU, Dense(4, Bias = false)]
public partial class HingeSgd { }

[Network(InputSize = 8, BatchSize = 8, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Adam, LearningRate = 0.005, WeightDecay = 1e-2)]
[Dense(16), Tanh, Dense(16), ReLU, Dense(4)]
public partial class MlpCeAdam { }

// The spiral shape (2 inputs, 3 outputs): the generator fuses [0]-[2] into one DenseReLUDense call per direction.
[Network(InputSize = 2, BatchSize = 300, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Sgd, LearningRate = 1.0, WeightDecay = 1e-3)]
[Dense(100), ReLU, Dense(3)]
public partial class SpiralSgd { }

// ── Gradient-check networks: one per activation, loss and regulariser ─────────────────────────────────────────────
[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), ReLU, Dense(3)]
public partial class GcReLU { }

// Five inputs: too wide for the narrow pair, so this checks the unfused Dense + ReLU epilogue and ReLU backward.
[Network(InputSize = 5, BatchSize = 3)]
[Dense(5), ReLU, Dense(3)]
public partial class GcReLUUnfused { }

// A narrow pair without biases, followed by a ReLU that must not be fused into the pair's second Dense.
[Network(InputSize = 3, BatchSize = 3)]
[Dense(6, Bias = false), ReLU, Dense(4, Bias = false), ReLU, Dense(3)]
public partial class GcNarrowPair { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), LeakyReLU(Slope = 0.1), Dense(3)]
public partial class GcLeakyReLU { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), PReLU, Dense(3)]
public partial class GcPReLU { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), Sigmoid, Dense(3)]
public partial class GcSigmoid { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), Tanh, Dense(3)]
public partial class GcTanh { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), ELU, Dense(3)]
public partial class GcElu { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(5), Identity, Dense(3)]
public partial class GcIdentity { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(8), Tanh, Dropout(0.5), Dense(3)]
public partial class GcDropout { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.MulticlassHinge)]
[Dense(5), Tanh, Dense(3)]
public partial class GcHinge { }

[Network(InputSize = 4, BatchSize = 3, WeightDecay = 0.1)]
[Dense(5), Tanh, Dense(4, Bias = false), Sigmoid, Dense(3)]
public partial class GcWeightDecay { }

[Network(InputSize = 4, BatchSize = 3)]
[PReLU(Init = -0.5), Dense(3)]
public partial class GcInputActivation { }

// ── Real data and allocation ──────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 784, BatchSize = 64, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Dense(256, Name = "fc1"), ReLU, Dense(128, Name = "fc2"), ReLU, Dense(10, Name = "out")]
public partial class MnistMlp { }

[Network(InputSize = 16, BatchSize = 32, Optimizer = Optimizer.Nesterov, LearningRate = 0.05, WeightDecay = 1e-4)]
[Dense(32), ELU, Dropout(0.2), Dense(16), LeakyReLU, Dense(4)]
public partial class AllocationNet { }
