using NetGen;

// Networks of the N-D graph: convolutions, pooling, flatten, batch normalisation, residual blocks, regression and a
// learning-rate schedule. The Reference* ones mirror the PyTorch modules of tests/reference/make_reference.py (same
// module order and nesting, so the same state_dict keys).
namespace NetGen.Tests.Networks;

// ── PyTorch reference networks ──────────────────────────────────────────────────────────────────────────────────
[Network(InputShape = new[] { 2, 8, 8 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1), ReLU, MaxPool2D(2), Conv2D(6, 2, Stride = 2), Tanh, Flatten, Dense(3)]
public partial class CnnMomentum { }

[Network(InputShape = new[] { 3, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(4, 3, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2), Flatten, Dense(8, Bias = false), BatchNorm1D, ReLU, Dense(3)]
public partial class BnAdam { }

[Block]
[Conv2D(4, 3, Padding = 1), ReLU, Conv2D(4, 3, Padding = 1)]
public class BasicBlock4 { }

[Block]
[Conv2D(8, 3, Stride = 2, Padding = 1), ReLU, Conv2D(8, 3, Padding = 1)]
public class DownBlock8 { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 4, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Conv2D(4, 3, Padding = 1), ReLU, Residual(typeof(BasicBlock4)), ReLU, Residual(typeof(DownBlock8)), ReLU, Flatten, Dense(3)]
public partial class ResnetSgd { }

[Network(InputSize = 4, BatchSize = 8, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Dense(8), Tanh, Dense(1)]
public partial class MseSgd { }

[Network(InputSize = 4, BatchSize = 8, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(8), ReLU, Dense(3)]
public partial class MseMultiAdam { }

[Network(InputSize = 5, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9)]
[Dense(6), ReLU, Dense(3)]
public partial class StepLrMomentum { }

[Network(InputShape = new[] { 2, 8, 8 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1), ReLU, AvgPool2D(2), Conv2D(6, 3, Padding = 1), Tanh, AvgPool2D(3, Stride = 1, Padding = 1), GlobalAvgPool2D, Dense(3)]
public partial class AvgPoolMomentum { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1), LayerNorm, ReLU, MaxPool2D(2), Flatten, Dense(8), LayerNorm, Tanh, Dense(3)]
public partial class LayerNormAdam { }

// ── Gradient-check networks ────────────────────────────────────────────────────────────────────────────────────
// Padding 1, pooling, a convolution without padding, flatten.
[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 3)]
[Conv2D(3, 3, Padding = 1), ReLU, MaxPool2D(2), Conv2D(4, 2), Tanh, Flatten, Dense(3)]
public partial class GcConv { }

// Stride 2 with padding, overlapping pooling with padding, a sigmoid in between (no fused ReLU).
[Network(InputShape = new[] { 2, 5, 5 }, BatchSize = 3)]
[Conv2D(3, 3, Stride = 2, Padding = 1), Sigmoid, MaxPool2D(3, Stride = 1, Padding = 1), Flatten, Dense(3)]
public partial class GcConvStridePool { }

[Network(InputShape = new[] { 3, 4, 4 }, BatchSize = 8)]
[Conv2D(4, 3, Padding = 1, Bias = false), BatchNorm2D, Tanh, Flatten, Dense(6), BatchNorm1D, Tanh, Dense(3)]
public partial class GcBatchNorm { }

[Block]
[Conv2D(3, 3, Padding = 1), Tanh, Conv2D(3, 3, Padding = 1)]
public class GcSameBlock { }

[Block]
[Conv2D(5, 3, Stride = 2, Padding = 1), Tanh, Conv2D(5, 3, Padding = 1)]
public class GcDownBlock { }

// A residual on the input (which needs no gradient), then one whose input has two consumers and a projection shortcut.
[Network(InputShape = new[] { 3, 6, 6 }, BatchSize = 3)]
[Residual(typeof(GcSameBlock)), Tanh, Residual(typeof(GcDownBlock)), Tanh, Flatten, Dense(3)]
public partial class GcResidual { }

[Block]
[Dense(6), Tanh, Dense(6)]
public class GcDenseBlock { }

// Residual blocks on vectors, nested twice in a row: the Dense before the first one is read by the branch and the skip.
[Network(InputSize = 4, BatchSize = 3)]
[Dense(6), Residual(typeof(GcDenseBlock)), Residual(typeof(GcDenseBlock)), Dense(3)]
public partial class GcDenseResidual { }

[Network(InputSize = 4, BatchSize = 3, Loss = Loss.MeanSquaredError)]
[Dense(5), Tanh, Dense(2)]
public partial class GcMse { }

// Average pooling with non-overlapping windows, overlapping windows with zero padding (counted in the divisor), a
// stride that drops nothing, then global average pooling straight into a Dense.
[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 3)]
[Conv2D(3, 3, Padding = 1), Tanh, AvgPool2D(2), Conv2D(4, 3, Padding = 1), Sigmoid, AvgPool2D(3, Stride = 1, Padding = 1), GlobalAvgPool2D, Dense(3)]
public partial class GcAvgPool { }

// Layer normalisation over an image's whole [C, H, W] (γ and β of that shape) and over a vector, one without affine
// parameters, one with another ε.
[Network(InputShape = new[] { 2, 4, 4 }, BatchSize = 3)]
[Conv2D(3, 3, Padding = 1), LayerNorm, Tanh, Flatten, Dense(6), LayerNorm(Affine = false), Tanh, Dense(5), LayerNorm(Epsilon = 1e-3), Dense(3)]
public partial class GcLayerNorm { }
