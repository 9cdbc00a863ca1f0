using NetGen;

namespace NetGen.Tests.Networks;

// CudaDeterminismTests: two runs of the same network on Backend.Cuda give the same bits. Between them the reductions a GPU
// port would typically do with atomics (bias and BatchNorm sums over the batch, the loss sum, Σw² of weight decay, the
// convolution's weight gradient) and the per-step RNG (dropout), kept small for the emulated driver.

[Network(InputSize = 12, BatchSize = 16, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(16), BatchNorm1D, ReLU, Dropout(0.25), Dense(8), Tanh, Dense(3)]
public partial class CudaDeterminismMlp { }

[Network(InputShape = new[] { 2, 8, 8 }, BatchSize = 6, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3, Padding = 1), BatchNorm2D, ReLU, MaxPool2D(2), Conv2D(6, 3), ReLU, Flatten, Dense(3)]
public partial class CudaDeterminismCnn { }
