using NetGen;

namespace Samples.Cifar;

/// <summary>The residual branch at 16 channels, 32×32: conv 3×3 → BN → ReLU → conv 3×3 → BN (He et al., 2016, "basic
/// block"; the convolutions have no bias, the batch normalisation that follows has one).</summary>
[Block]
[Conv2D(16, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(16, 3, Padding = 1, Bias = false), BatchNorm2D]
public class Block16 { }

/// <summary>The branch that halves height and width and doubles the channels to 32 (stride 2 in its first
/// convolution); NetGen adds the 1×1 stride-2 projection shortcut.</summary>
[Block]
[Conv2D(32, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(32, 3, Padding = 1, Bias = false), BatchNorm2D]
public class Down32 { }

/// <summary>The branch to 64 channels at 8×8.</summary>
[Block]
[Conv2D(64, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2D, ReLU, Conv2D(64, 3, Padding = 1, Bias = false), BatchNorm2D]
public class Down64 { }

/// <summary>
/// A small ResNet for 3×32×32 images, the CIFAR layout of He et al. (2016) with one block per stage (ResNet-8):
/// conv 3×3 ×16 → BN → ReLU → block 16 @ 32×32 → block 32 @ 16×16 → block 64 @ 8×8 → global average pooling → 64 → 10
/// class scores, with stochastic depth over the three blocks (Huang et al. 2016, linear rule: p = 0.1·l/3 for block l).
/// Softmax cross-entropy, SGD with Nesterov momentum 0.9, learning rate 0.05, weight decay 5e-4, batches of
/// 128. NetGen writes SmallResNet.NetGen.g.cs at compile time.
/// </summary>
[Network(InputShape = new[] { 3, 32, 32 }, BatchSize = 128, Optimizer = Optimizer.Nesterov, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 5e-4, StochasticDepth = 0.1)]
[Conv2D(16, 3, Padding = 1, Bias = false, Name = "stem"), BatchNorm2D(Name = "stem_bn"), ReLU]
[Residual(typeof(Block16)), ReLU, Residual(typeof(Down32)), ReLU, Residual(typeof(Down64)), ReLU]
[GlobalAvgPool2D, Dense(10, Name = "fc")]
public partial class SmallResNet { }
