using NetGen;

namespace NetGen.Tests.Networks;

// CudaArenaTests: the device arenas, Dispose and the CUDA graphs of the step. Adam (a bias correction that changes every
// step), Dropout (a key per step), PReLU (a memset node in the backward graph) and WeightDecay (Σw² in the results), at a
// batch of up to 64 rows.

[Network(InputSize = 12, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(16), ReLU, Dropout(0.25), Dense(8), PReLU, Dense(3)]
public partial class CudaArenaAdamNet { }

[Network(InputSize = 12, BatchSize = 64, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.RmsProp, LearningRate = 0.01)]
[Dense(8), Tanh, Dense(2)]
public partial class CudaArenaRegressionNet { }
