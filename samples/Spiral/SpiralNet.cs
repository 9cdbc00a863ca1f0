using NetGen;

namespace Samples.Spiral;

/// <summary>
/// The CS231n "spiral" classifier: 2 inputs → 100 ReLU units → 3 class scores, softmax cross-entropy with L2 1e-3,
/// plain SGD with learning rate 1, full batch of 300 points. NetGen writes SpiralNet.NetGen.g.cs at compile time.
/// </summary>
[Network(InputSize = 2, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Sgd, LearningRate = 1.0, WeightDecay = 1e-3, BatchSize = 300)]
[Dense(100, Name = "hidden"), ReLU]
[Dense(3, Name = "scores")]
public partial class SpiralNet { }
