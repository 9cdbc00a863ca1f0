using NetGen;

// Networks of the convolution-completeness work: rectangular kernels, per-axis stride and padding, 'same' padding,
// dilation, groups (depthwise), every activation on C×H×W tensors and per-channel PReLU. The reference ones mirror
// tests/reference/cases_conv.py module for module (same state_dict keys).
namespace NetGen.Tests.Networks;

// ── PyTorch reference networks ──────────────────────────────────────────────────────────────────────────────────
[Network(InputShape = new[] { 4, 9, 8 }, BatchSize = 3, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(8, 3, 2, StrideWidth = 2, PaddingHeight = 1), ReLU]
[Conv2D(8, 3, Padding = Conv2DAttribute.Same, Groups = 8), ReLU]
[Conv2D(4, 3, Padding = Conv2DAttribute.Same, Dilation = 2, Groups = 2, Bias = false), Tanh]
[Conv2D(6, 3, 1, StrideHeight = 2), ELU, Flatten, Dense(3)]
public partial class ConvGeneralAdam { }

[Network(InputShape = new[] { 2, 4, 4 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(3, 3, Padding = 1), ReLU, Conv2D(3, 3, Padding = 1), LeakyReLU]
[Conv2D(3, 3, Padding = 1), PReLU(NumParameters = 3), Conv2D(3, 3, Padding = 1), PReLU]
[Conv2D(3, 3, Padding = 1), Sigmoid, Conv2D(3, 3, Padding = 1), Tanh]
[Conv2D(3, 3, Padding = 1), ELU, Conv2D(3, 3, Padding = 1), Identity]
[Flatten, Dense(5), PReLU(NumParameters = 5), Dense(3)]
public partial class ChwActsMomentum { }

[Network(InputShape = new[] { 3, 5, 5 }, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-3)]
[Conv2D(6, 3, Padding = 1), ReLU, LocalResponseNorm]
[Conv2D(4, 3, Padding = 1), LocalResponseNorm(4, Alpha = 0.5, Beta = 0.6, K = 2), Tanh, Flatten, Dense(3)]
public partial class LrnMomentum { }

[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(8, 3, Padding = 1), Maxout(2), MaxPool2D(2), Flatten, Dense(18), Maxout(3), Dense(3)]
public partial class MaxoutAdam { }

// ── Gradient-check networks ────────────────────────────────────────────────────────────────────────────────────
// Smooth activations only (no kink within h of a checked point): depthwise with 'same' padding, a grouped dilated
// convolution without bias, a rectangular kernel with per-axis stride and padding.
[Network(InputShape = new[] { 4, 7, 6 }, BatchSize = 3)]
[Conv2D(4, 3, Padding = Conv2DAttribute.Same, Groups = 4), Tanh]
[Conv2D(6, 3, Padding = 2, Dilation = 2, Groups = 2, Bias = false), Tanh]
[Conv2D(4, 3, 2, StrideHeight = 2, StrideWidth = 1, PaddingWidth = 1), ELU, Flatten, Dense(3)]
public partial class GcConvGeneral { }

// Per-channel PReLU on C×H×W and per-feature PReLU on vectors.
[Network(InputShape = new[] { 2, 4, 4 }, BatchSize = 3)]
[Conv2D(3, 3, Padding = 1), PReLU(NumParameters = 3), Flatten, Dense(4), PReLU(NumParameters = 4), Dense(3)]
public partial class GcPReLUChannels { }

// Local response normalisation with an odd and an even window, strong enough (α = 0.5 and 1) to matter.
[Network(InputShape = new[] { 5, 4, 4 }, BatchSize = 3)]
[Conv2D(6, 3, Padding = 1), Tanh, LocalResponseNorm(3, Alpha = 0.5, Beta = 0.75, K = 1.5)]
[Conv2D(4, 3, Padding = 1), LocalResponseNorm(4, Alpha = 1, Beta = 0.5, K = 2), Flatten, Dense(3)]
public partial class GcLocalResponseNorm { }

// Maxout after a convolution (2 pieces per channel) and after a Dense (3 pieces per unit).
[Network(InputShape = new[] { 2, 4, 4 }, BatchSize = 3)]
[Conv2D(6, 3, Padding = 1), Maxout(2), Flatten, Dense(12), Maxout(3), Dense(3)]
public partial class GcMaxout { }
