using NetGen;

// Networks of stochastic depth, fractional max pooling and BatchNorm folding. SdMomentum mirrors the PyTorch module of
// tests/reference/make_depth_reference.py (same module order and nesting, so the same state_dict keys).
namespace NetGen.Tests.Networks;

[Block]
[Conv2D(4, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(4, 3, Padding = 1)]
public class SdBlock4 { }

// Huang's linear rule over 3 blocks (p = 1/6, —, 1/2), the second block's own p = 0.3.
[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3, StochasticDepth = 0.5)]
[Conv2D(4, 3, Padding = 1), ReLU, Residual(typeof(SdBlock4)), ReLU, Residual(typeof(SdBlock4), DropProbability = 0.3), ReLU, Residual(typeof(DownBlock8)), ReLU, Flatten, Dense(3)]
public partial class SdMomentum { }

// Gradient check: Tanh residual stack (as GcResidual) with every branch dropped for some rows of the batch.
[Network(InputShape = new[] { 3, 6, 6 }, BatchSize = 6, StochasticDepth = 0.6)]
[Residual(typeof(GcSameBlock)), Tanh, Residual(typeof(GcDownBlock)), Tanh, Flatten, Dense(3)]
public partial class GcStochasticDepth { }

// Residual blocks on vectors with their own drop probabilities (no network-wide rule), one block with p = 0.
[Network(InputSize = 4, BatchSize = 6)]
[Dense(6), Residual(typeof(GcDenseBlock), DropProbability = 0.5), Residual(typeof(GcDenseBlock), DropProbability = 0), Residual(typeof(GcDenseBlock), DropProbability = 0.25), Dense(3)]
public partial class GcDenseStochasticDepth { }

// Fractional max pooling by ratio (8×8 → 5×5, overlapping windows) and by size (3×3 → 2×2).
[Network(InputShape = new[] { 2, 8, 8 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1), ReLU, FractionalMaxPool2D(2, OutputRatio = 0.7), Conv2D(6, 3), Tanh, FractionalMaxPool2D(2, OutputSize = 2), Flatten, Dense(3)]
public partial class FractionalPoolMomentum { }

// Gradient check: a 2×2 and a 3×3 fractional pooling after a Tanh (7×7 → 4×4 → 2×2).
[Network(InputShape = new[] { 2, 7, 7 }, BatchSize = 3)]
[Conv2D(3, 3, Padding = 1), Tanh, FractionalMaxPool2D(2, OutputRatio = 0.6), FractionalMaxPool2D(3, OutputSize = 2), Flatten, Dense(3)]
public partial class GcFractionalPool { }

// BatchNorm folding: a Conv2D with bias before a BatchNorm2D with ε = 1e-3, a Conv2D without bias before a non-affine
// BatchNorm2D, and a BatchNorm2D after pooling (nothing to fold it into: it stays).
[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Conv2D(4, 3, Padding = 1), BatchNorm2D(Epsilon = 1e-3), ReLU, MaxPool2D(2), BatchNorm2D, Conv2D(5, 3, Padding = 1, Bias = false), BatchNorm2D(Affine = false), Tanh, Flatten, Dense(3)]
public partial class FoldMix { }
