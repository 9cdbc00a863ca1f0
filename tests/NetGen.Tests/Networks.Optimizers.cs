using NetGen;

namespace NetGen.Tests.Networks;

// tests/reference/make_optimizer_reference.py: one network per optimizer_<case>.json, Linear(5,7)-Tanh-Linear(7,3).

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(7), Tanh, Dense(3)]
public partial class OptSgd { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.1, WeightDecay = 1e-3)]
[Dense(7), Tanh, Dense(3)]
public partial class OptMomentum { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Nesterov, LearningRate = 0.1, Momentum = 0.9)]
[Dense(7), Tanh, Dense(3)]
public partial class OptNesterov { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdam { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.05, Beta2 = 0.9, Amsgrad = true)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdamAmsgrad { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.AdamW, LearningRate = 0.05, DecoupledWeightDecay = 0.1)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdamW { }

// DecoupledWeightDecay not written: PyTorch's default 0.01.
[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.AdamW, LearningRate = 0.05, Beta2 = 0.9, Amsgrad = true)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdamWAmsgrad { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.AdaGrad, LearningRate = 0.1)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdaGrad { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01)]
[Dense(7), Tanh, Dense(3)]
public partial class OptRmsProp { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, Momentum = 0.9)]
[Dense(7), Tanh, Dense(3)]
public partial class OptRmsPropMomentum { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, Centered = true)]
[Dense(7), Tanh, Dense(3)]
public partial class OptRmsPropCentered { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, Momentum = 0.5, Centered = true, WeightDecay = 1e-3)]
[Dense(7), Tanh, Dense(3)]
public partial class OptRmsPropCenteredMomentum { }

// LearningRate not written: 1.0, PyTorch's Adadelta default.
[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.AdaDelta)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdaDelta { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.AdaDelta, LearningRate = 0.5, Rho = 0.8, Epsilon = 1e-5)]
[Dense(7), Tanh, Dense(3)]
public partial class OptAdaDeltaLr { }

// Warm-up schedules (optim_warmup_*.json).
[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.AdamW, LearningRate = 0.05)]
[Dense(7), Tanh, Dense(3)]
public partial class WarmAdamW { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.1)]
[Dense(7), Tanh, Dense(3)]
public partial class WarmMomentum { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.05)]
[Dense(7), Tanh, Dense(3)]
public partial class WarmAdam { }

// Parameter averaging and ensembles (tests/reference/make_averaging_reference.py).
[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.1)]
[Dense(7), Tanh, Dense(3)]
public partial class AvgMlp { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(7, Bias = false), BatchNorm1D, Tanh, Dense(3)]
public partial class AvgBn { }
