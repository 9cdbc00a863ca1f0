using NetGen;

namespace NetGen.Tests.Networks;

// Backend.Cuda parity networks of the image layers (CudaCnnParityTests): a LeNet-style CNN under SGD-momentum and Adam, and
// a channel-dropout network. The other CNN parity networks are the reference networks of the other files (BnAdam,
// FoldMix, AvgPoolMomentum, LayerNormAdam, ConvGeneralAdam, DilationPoolAdam, LrnMomentum, MaxoutAdam, ChwActsMomentum):
// they run on Backend.Cuda unchanged. The emulated driver runs each GPU thread as a fiber on the CPU: kept small.

[Network(InputShape = new[] { 1, 10, 10 }, BatchSize = 6, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3), ReLU, MaxPool2D(2), Conv2D(6, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class CudaLeNetMomentum { }

[Network(InputShape = new[] { 1, 10, 10 }, BatchSize = 6, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(4, 3), ReLU, MaxPool2D(2), Conv2D(6, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class CudaLeNetAdam { }

[Network(InputShape = new[] { 2, 5, 5 }, BatchSize = 6, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Conv2D(4, 3, Padding = 1), Tanh, Dropout2D(0.5), Flatten, Dense(3)]
public partial class CudaDropout2DNet { }

// Batch normalisation under Adam: BatchNorm2D only. (A BatchNorm1D after a Dense makes the batch sum of every gradient below
// it 0, so the β gradient of a BatchNorm2D under it is 0 up to round-off, ~1e-8; Adam's first step, lr·g/|g|, turns that
// round-off into ±lr on either backend, a difference no kernel causes. BnAdam has that shape; BatchNorm1D is checked under
// momentum below, where round-off stays round-off. Here every BatchNorm2D follows a nonlinearity or feeds one.)
[Network(InputShape = new[] { 3, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(4, 3, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2), Conv2D(6, 1), Tanh, BatchNorm2D(Momentum = 0.2), Flatten, Dense(3)]
public partial class CudaBnAdamNet { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(8), BatchNorm1D, ReLU, Dense(3)]
public partial class CudaBn1DMomentumNet { }
