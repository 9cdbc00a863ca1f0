using NetGen;

// Networks of the hierarchical softmax (Loss.HierarchicalSoftmax). HsmAdam and HsmTreeMomentum mirror the cases of
// tests/reference/make_hsm_reference.py; GcHsm is gradient-checked; HsmThousand counts the cost of 1,000 classes.
namespace NetGen.Tests.Networks;

[Network(InputSize = 6, BatchSize = 6, Loss = Loss.HierarchicalSoftmax, Classes = 7, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(8), Tanh, Dense(5)]
public partial class HsmAdam { }

[Network(InputSize = 4, BatchSize = 5, Loss = Loss.HierarchicalSoftmax, Classes = 4, ClassTree = new[] { -1, 0, 1, 0, 1, 2, 2 }, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9)]
[Dense(6), ReLU, Dense(3)]
public partial class HsmTreeMomentum { }

[Network(InputSize = 4, BatchSize = 8, Loss = Loss.HierarchicalSoftmax, Classes = 9, Optimizer = Optimizer.Sgd, LearningRate = 0.5, WeightDecay = 1e-3)]
[Dense(6), Tanh, Dense(4)]
public partial class GcHsm { }

[Network(InputSize = 8, BatchSize = 32, Loss = Loss.HierarchicalSoftmax, Classes = 1000, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), ReLU, Dense(16)]
public partial class HsmThousand { }
