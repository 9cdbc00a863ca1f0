namespace NetGen.Tests.Networks;

/// <summary>The CNN of the bench's convolution rows: conv 3×3 ×8 → ReLU → pool 2 → conv 3×3 ×16 → ReLU → pool 2
/// (padding 1) → 10, SGD with momentum, batch 64.</summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
[Conv2D(8, 3), ReLU, MaxPool2D(2)]
[Conv2D(16, 3), ReLU, MaxPool2D(2, Padding = 1)]
[Flatten, Dense(10)]
public partial class ConvSpeedCnn { }

/// <summary>The LeNet-style CNN of samples/Mnist: conv 5×5 ×20 → pool → conv 5×5 ×50 → pool → 500 → 10, Adam, batch 64.</summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Conv2D(20, 5), ReLU, MaxPool2D(2)]
[Conv2D(50, 5), ReLU, MaxPool2D(2)]
[Flatten, Dense(500), ReLU, Dense(10)]
public partial class ConvSpeedLeNet { }
