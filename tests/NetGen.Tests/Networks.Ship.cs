using NetGen;

// Networks of the non-finite step tests (NonFiniteTests): two Dense layers with nothing between them, so the test can
// set weights that keep the loss finite while the first layer's weight gradient overflows.
namespace NetGen.Tests.Networks;

[Network(InputSize = 2, BatchSize = 4, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(2), Dense(2)]
public partial class OverflowAdam { }
