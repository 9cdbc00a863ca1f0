using NetGen;

namespace NetGen.CudaCheck;

// Fractional max pooling checked end to end on the GPU against the CPU backend (FmpHsmChecks.cs): the declaration of the
// emulated-driver parity test (tests/NetGen.Tests/Networks.CudaFmp.cs).

[Network(InputShape = new[] { 2, 9, 9 }, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(4, 3, Padding = 1), ReLU, FractionalMaxPool2D(3, OutputSize = 5), Conv2D(5, 3, Padding = 1), Tanh, FractionalMaxPool2D(2, OutputRatio = 0.7), Flatten, Dense(3)]
public partial class FractionalPoolAdam { }
