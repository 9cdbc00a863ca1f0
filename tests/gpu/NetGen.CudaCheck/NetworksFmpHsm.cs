using NetGen;

namespace NetGen.CudaCheck;

// Fractional max pooling and the hierarchical softmax checked end to end on the GPU against the CPU backend
// (FmpHsmChecks.cs): the fractional pooling network of the emulated-driver parity test (tests/NetGen.Tests/Networks.CudaFmp.cs)
// and a hierarchical softmax over 10 classes (paths of 3 and 4 steps) under Adam with weight decay on its node vectors.

[Network(InputShape = new[] { 2, 9, 9 }, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(4, 3, Padding = 1), ReLU, FractionalMaxPool2D(3, OutputSize = 5), Conv2D(5, 3, Padding = 1), Tanh, FractionalMaxPool2D(2, OutputRatio = 0.7), Flatten, Dense(3)]
public partial class FractionalPoolAdam { }

[Network(InputSize = 12, BatchSize = 8, Loss = Loss.HierarchicalSoftmax, Classes = 10, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(16), Tanh, Dense(6)]
public partial class HierarchicalSoftmaxAdam { }
