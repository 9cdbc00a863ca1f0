using NetGen;

namespace NetGen.CudaCheck;

// Generated networks checked end to end on the GPU against the CPU backend (Program.cs, "generated networks"): a residual
// MLP with nested blocks (a tensor read by two nodes, its gradient accumulated on the device) and stochastic depth, and an
// MLP with the regularisers and a loss of ADR 0044 (soft targets with label smoothing, L1, max-norm, NormBound).

[Block]
[Dense(32), ReLU, Dense(32)]
public class CheckDenseBlock { }

[Block]
[Dense(32), Tanh, Residual(typeof(CheckDenseBlock))]
public class CheckNestedBlock { }

[Network(InputSize = 64, BatchSize = 16, Optimizer = Optimizer.AdamW, LearningRate = 0.01, DecoupledWeightDecay = 0.05, StochasticDepth = 0.4)]
[Dense(32), Residual(typeof(CheckDenseBlock)), ReLU, Residual(typeof(CheckNestedBlock), DropProbability = 0.3), Dense(10)]
public partial class CheckResidualNet { }

[Network(InputSize = 64, BatchSize = 16, Optimizer = Optimizer.RmsProp, LearningRate = 0.005, Momentum = 0.5, Centered = true, LabelSmoothing = 0.1, L1 = 1e-4, MaxNorm = 2)]
[Dense(32, NormBound = 2, DualRate = 0.5), Tanh, Dense(10)]
public partial class CheckRegularisedNet { }
