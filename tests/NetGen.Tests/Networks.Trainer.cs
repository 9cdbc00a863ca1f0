using NetGen;

// Networks of the trainer tests (TrainerTests): small enough to train for a few epochs in a test.
namespace NetGen.Tests.Networks;

[Network(InputSize = 6, BatchSize = 16, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-4)]
[Dense(16), ReLU, Dropout(0.2), Dense(4)]
public partial class TrainerMlp { }

[Network(InputSize = 6, BatchSize = 16, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Dense(12, Bias = false), BatchNorm1D, ReLU, Dense(4)]
public partial class TrainerBatchNorm { }

[Network(InputSize = 3, BatchSize = 16, Loss = Loss.Huber, Delta = 0.5, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), Tanh, Dense(2)]
public partial class TrainerRegression { }

/// <summary>No weight decay and no dropout: the sanity checks' network.</summary>
[Network(InputSize = 6, BatchSize = 32, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(32), ReLU, Dense(4)]
public partial class TrainerPlain { }
