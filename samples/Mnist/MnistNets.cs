using NetGen;

namespace Samples.Mnist;

/// <summary>
/// LeNet-style CNN (the layout of Caffe's LeNet example), <c>--model lenet</c>: 1×28×28 → conv 5×5 ×20 → 20×24×24 →
/// pool 2 → 20×12×12 → conv 5×5 ×50 → 50×8×8 → pool 2 → 50×4×4 → flatten 800 → 500 ReLU → 10 class scores. Softmax
/// cross-entropy, Adam 1e-3, batches of 64. NetGen writes MnistCnn.NetGen.g.cs at compile time. bench/NetGen.Bench's
/// <c>lenet_epoch</c> times the same network.
/// </summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Conv2D(20, 5, Name = "conv1"), ReLU, MaxPool2D(2)]
[Conv2D(50, 5, Name = "conv2"), ReLU, MaxPool2D(2)]
[Flatten, Dense(500, Name = "fc1"), ReLU, Dense(10, Name = "fc2")]
public partial class MnistCnn { }

/// <summary>
/// The same CNN with batch normalisation (Ioffe and Szegedy, 2015) after each convolution, whose bias it makes redundant:
/// conv → BatchNorm2D → ReLU → pool, twice, then 800 → 500 ReLU → 10. Softmax cross-entropy, Adam 1e-3, batches of 64.
/// <c>--model cnn</c>, the sample's default, trains it on random crops.
/// </summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Conv2D(20, 5, Name = "conv1", Bias = false), BatchNorm2D(Name = "bn1"), ReLU, MaxPool2D(2)]
[Conv2D(50, 5, Name = "conv2", Bias = false), BatchNorm2D(Name = "bn2"), ReLU, MaxPool2D(2)]
[Flatten, Dense(500, Name = "fc1"), ReLU, Dense(10, Name = "fc2")]
public partial class MnistCnnBn { }

/// <summary>The MLP 784 → 256 ReLU → 128 ReLU → 10, softmax cross-entropy, Adam 1e-3, batches of 64.</summary>
[Network(InputSize = 784, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Dense(256, Name = "fc1"), ReLU, Dense(128, Name = "fc2"), ReLU, Dense(10, Name = "out")]
public partial class MnistMlp { }
