using NetGen;

namespace NetGen.Tests.Networks;

// Backend.Cuda parity networks of fractional max pooling (CudaFmpParityTests): 3×3 windows at α = 1.5 (9×9 → 5×5, each
// input in up to two windows per axis) after a ReLU under Adam, then 2×2 windows at ratio 0.7 (5×5 → 3×3, α = 1.5). A
// fractional α: the regions depend on the uniforms (an integer α gives the same starts for every u). FractionalPoolMomentum and GcFractionalPool (Networks.Depth.cs) run
// on Backend.Cuda unchanged. The emulated driver runs each GPU thread on the CPU: kept small.

[Network(InputShape = new[] { 2, 9, 9 }, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(4, 3, Padding = 1), ReLU, FractionalMaxPool2D(3, OutputSize = 5), Conv2D(5, 3, Padding = 1), Tanh, FractionalMaxPool2D(2, OutputRatio = 0.7), Flatten, Dense(3)]
public partial class CudaFmpAdamNet { }
