using NetGen;

namespace NetGen.Tests.Networks;

// Backend.Cuda parity networks (CudaParityTests): small MLPs, 20 inputs, batch 8, one per optimizer of the CUDA core,
// between them every activation with a CUDA kernel, Dropout, both losses and WeightDecay. The emulated driver runs each GPU
// thread as a fiber on the CPU, so they are kept small.

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1, WeightDecay = 1e-3)]
[Dense(16), ReLU, Dropout(0.25), Dense(16), Tanh, Dense(3)]
public partial class CudaSgdNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Dense(16), LeakyReLU(Slope = 0.1), Dense(16), Sigmoid, Dense(3)]
public partial class CudaMomentumNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Nesterov, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Dense(16), PReLU, Dropout(0.5), Dense(3)]
public partial class CudaNesterovNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), ELU(Alpha = 0.5), Dense(16), Identity, ReLU, Dense(3)]
public partial class CudaAdamNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.AdaGrad, LearningRate = 0.05)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaAdaGradNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(16), Sigmoid, Dense(3, Bias = false)]
public partial class CudaRmsPropNet { }

[Network(InputSize = 20, BatchSize = 8, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Momentum, LearningRate = 0.01)]
[Dense(16), ELU, Dense(3)]
public partial class CudaRegressionNet { }

// Dropout straight on the input, then one Dense: with one row, dW[o, i] = dy[o]·x[i]·m[i], so the zeros of dW are the mask.
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dropout(0.5), Dense(3)]
public partial class CudaDropoutMaskNet { }
