using NetGen;

// Networks exported to ONNX by OnnxExportTests, with the networks of the other files that cover the rest of the layer
// kinds (GcLayerNorm, ChwActsMomentum, ConvGeneralAdam, GcDenseResidual, AvgPoolMomentum, FractionalPoolMomentum).
namespace NetGen.Tests.Networks;

// The benchmark MLP, with a dropout that must be the identity in the exported graph.
[Network(InputSize = 784, BatchSize = 8)]
[Dense(256), ReLU, Dropout(0.2), Dense(128), ReLU, Dense(10)]
public partial class OnnxMlp { }

// LeNet-like with batch normalisation on images (affine and not, another ε) and on features, max and average pooling
// (zero padding counted), a Dense without bias and a dropout.
[Network(InputShape = new[] { 1, 12, 12 }, BatchSize = 8)]
[Conv2D(4, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2)]
[Conv2D(6, 3), BatchNorm2D(Affine = false, Epsilon = 1e-3), Tanh, AvgPool2D(3, Stride = 1, Padding = 1)]
[Flatten, Dense(8, Bias = false), BatchNorm1D, ReLU, Dropout(0.3), Dense(3)]
public partial class OnnxLeNet { }

// A ResNet: an identity shortcut and a projection shortcut (1×1 stride-2 Conv), stochastic depth on every branch,
// overlapping max pooling with padding and global average pooling.
[Network(InputShape = new[] { 2, 8, 8 }, BatchSize = 8, StochasticDepth = 0.5)]
[Conv2D(4, 3, Padding = 1), BatchNorm2D, ReLU, Residual(typeof(SdBlock4)), ReLU, Residual(typeof(DownBlock8)), ReLU]
[MaxPool2D(3, Stride = 1, Padding = 1), GlobalAvgPool2D, Dense(3)]
public partial class OnnxResNet { }

// Every activation on vectors: LeakyReLU with its slope, PReLU per feature and shared, Sigmoid, Tanh, ELU with α,
// Identity, ReLU after a Dense without bias.
[Network(InputSize = 5, BatchSize = 8)]
[Dense(6), LeakyReLU(Slope = 0.2), Dense(6), PReLU(NumParameters = 6), Dense(6), PReLU, Dense(6), Sigmoid]
[Dense(6), Tanh, Dense(6), ELU(Alpha = 0.7), Dense(6), Identity, Dense(6, Bias = false), ReLU, Dense(3)]
public partial class OnnxActivations { }

// Local response normalisation with an odd window (ONNX's LRN) and an even one (composed: ONNX centres an even window
// one channel later than PyTorch), Maxout after a Conv2D and after a Dense, and channel dropout (identity).
[Network(InputShape = new[] { 2, 6, 6 }, BatchSize = 8)]
[Conv2D(6, 3, Padding = 1), Tanh, LocalResponseNorm(3, Alpha = 0.5, Beta = 0.75, K = 1.5), Dropout2D(0.3)]
[Conv2D(8, 3, Padding = 1), LocalResponseNorm(4, Alpha = 1, Beta = 0.6, K = 2), Maxout(2), MaxPool2D(2)]
[Flatten, Dense(12), Maxout(3), Dense(3)]
public partial class OnnxNormMaxout { }

// The dropout variants at inference: vanilla (scaled by 1 − p), Gaussian (identity), standout (z·σ(α·z + β)) and
// DropConnect (a Dense), with and without bias.
[Network(InputSize = 5, BatchSize = 8)]
[Dense(8), Tanh, VanillaDropout(0.25), Dense(8), GaussianDropout(0.3), Standout(Alpha = 1.5, Beta = -0.5), ReLU]
[DropConnect(6, 0.5), Tanh, DropConnect(5, 0.3, Bias = false), Standout, Dense(3)]
public partial class OnnxDropoutVariants { }
