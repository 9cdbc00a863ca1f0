using NetGen;

namespace NetGen.CudaCheck;

// Generated networks checked end to end on the GPU against the CPU backend (Program.cs, "generated networks"): a residual
// MLP with nested blocks (a tensor read by two nodes, its gradient accumulated on the device) and stochastic depth, and an
// MLP with the regularisers and a loss of ADR 0044 (soft targets with label smoothing, L1, max-norm, NormBound).

[Block]
[Dense(32), ReLU, Dense(32)]
public class CheckDenseBlock { }

[Block]
[Dense(32), Tanh, Residual(typeof(CheckDenseBlock))]
public class CheckNestedBlock { }

[Network(InputSize = 64, BatchSize = 16, Optimizer = Optimizer.AdamW, LearningRate = 0.01, DecoupledWeightDecay = 0.05, StochasticDepth = 0.4)]
[Dense(32), Residual(typeof(CheckDenseBlock)), ReLU, Residual(typeof(CheckNestedBlock), DropProbability = 0.3), Dense(10)]
public partial class CheckResidualNet { }

[Network(InputSize = 64, BatchSize = 16, Optimizer = Optimizer.RmsProp, LearningRate = 0.005, Momentum = 0.5, Centered = true, LabelSmoothing = 0.1, L1 = 1e-4, MaxNorm = 2)]
[Dense(32, NormBound = 2, DualRate = 0.5), Tanh, Dense(10)]
public partial class CheckRegularisedNet { }

// Generated networks of the image layers, checked end to end on the GPU against the CPU backend (NetworkChecks.cs): the
// same declarations as the emulated-driver parity tests (tests/NetGen.Tests/CudaCnnParityTests.cs), small enough that the
// emulated rehearsal stays short.

[Network(InputShape = new[] { 1, 10, 10 }, BatchSize = 6, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3), ReLU, MaxPool2D(2), Conv2D(6, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class LeNetMomentum { }

[Network(InputShape = new[] { 1, 10, 10 }, BatchSize = 6, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(4, 3), ReLU, MaxPool2D(2), Conv2D(6, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class LeNetAdam { }

[Network(InputShape = new[] { 3, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(4, 3, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2), Conv2D(6, 1), Tanh, BatchNorm2D(Momentum = 0.2), Flatten, Dense(3)]
public partial class BatchNorm2DAdam { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(8), BatchNorm1D, ReLU, Dense(3)]
public partial class BatchNorm1DMomentum { }

[Network(InputShape = new[] { 4, 9, 8 }, BatchSize = 3, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(8, 3, 2, StrideWidth = 2, PaddingHeight = 1), ReLU]
[Conv2D(8, 3, Padding = Conv2DAttribute.Same, Groups = 8), ReLU]
[Conv2D(4, 3, Padding = Conv2DAttribute.Same, Dilation = 2, Groups = 2, Bias = false), Tanh]
[Conv2D(6, 3, 1, StrideHeight = 2), ELU, Flatten, Dense(3)]
public partial class GroupedDilatedAdam { }

[Network(InputShape = new[] { 2, 8, 8 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1), ReLU, AvgPool2D(2), Conv2D(6, 3, Padding = 1), Tanh, AvgPool2D(3, Stride = 1, Padding = 1), GlobalAvgPool2D, Dense(3)]
public partial class AvgPoolMomentum { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1), LayerNorm, ReLU, MaxPool2D(2), Flatten, Dense(8), LayerNorm, Tanh, Dense(3)]
public partial class LayerNormAdam { }

[Network(InputShape = new[] { 3, 5, 5 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(6, 3, Padding = 1), ReLU, LocalResponseNorm]
[Conv2D(4, 3, Padding = 1), LocalResponseNorm(4, Alpha = 0.5, Beta = 0.6, K = 2), Tanh, Flatten, Dense(3)]
public partial class LrnMomentum { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(8, 3, Padding = 1), Maxout(2), MaxPool2D(2), Flatten, Dense(18), Maxout(3), Dense(3)]
public partial class MaxoutAdam { }

[Network(InputShape = new[] { 2, 5, 5 }, BatchSize = 6, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3, Padding = 1), PReLU(NumParameters = 4), Dropout2D(0.5), Flatten, Dense(5), PReLU(NumParameters = 5), Dense(3)]
public partial class ChannelPReLUDropout2D { }

// The dropout variants (tests/NetGen.Tests/CudaDropoutParityTests.cs): the same masks as the CPU in training, their own
// inference in Predict.

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Dense(16), Tanh, VanillaDropout(0.3), Dense(16), ReLU, Dense(3)]
public partial class VanillaDropoutMomentum { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), ReLU, GaussianDropout(0.3), Dense(16), Tanh, GaussianDropout(0.1), Dense(3)]
public partial class GaussianDropoutAdam { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[DropConnect(16, 0.3), ReLU, DropConnect(12, 0.5, Inference = DropConnectInference.MomentMatching, Samples = 500), ReLU, DropConnect(3, 0.2, Bias = false)]
public partial class DropConnectMomentum { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), Standout(Alpha = 1.5, Beta = -0.5), ReLU, Dense(16), Standout, Tanh, Dense(3)]
public partial class StandoutAdam { }
