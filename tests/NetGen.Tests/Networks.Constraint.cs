using NetGen;

// Networks of the explicit norm constraint NormBound (½·‖W‖²_F ≤ k by the Lagrangian and dual ascent on α).
// NormBoundSgd mirrors tests/reference/make_constraint_reference.py (normbound_sgd).
namespace NetGen.Tests.Networks;

[Network(InputSize = 4, BatchSize = 6, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(6, NormBound = 0.5, DualRate = 1.0), Tanh, Dense(3)]
public partial class NormBoundSgd { }

[Network(InputSize = 4, BatchSize = 3, WeightDecay = 1e-2)]
[Dense(5, NormBound = 0.2), Tanh, Dense(3, NormBound = 0.3, DualRate = 0.5)]
public partial class GcNormBound { }

// A wide layer trained long: the constrained one and the same without the constraint.
[Network(InputSize = 8, BatchSize = 16, Optimizer = Optimizer.Sgd, LearningRate = 0.2)]
[Dense(16, NormBound = 1.0), Tanh, Dense(3)]
public partial class NormBoundLong { }

[Network(InputSize = 8, BatchSize = 16, Optimizer = Optimizer.Sgd, LearningRate = 0.2)]
[Dense(16), Tanh, Dense(3)]
public partial class NormBoundLongFree { }
