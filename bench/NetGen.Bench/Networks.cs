using NetGen;

namespace NetGen.Bench;

/// <summary>The MLP of the performance issue: 784-256-128-10, ReLU, softmax cross-entropy, Adam, batch 64.</summary>
[Network(InputSize = 784, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Dense(256), ReLU, Dense(128), ReLU, Dense(10)]
public partial class BenchMlp { }

/// <summary>The CS231n spiral network, full batch of 300.</summary>
[Network(InputSize = 2, BatchSize = 300, LearningRate = 1.0, WeightDecay = 1e-3)]
[Dense(100), ReLU, Dense(3)]
public partial class BenchSpiral { }
