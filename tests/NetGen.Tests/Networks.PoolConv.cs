using NetGen;

namespace NetGen.Tests.Networks;

// ADR 0064: tests/reference/cases_c2bwd.py's poolconv_adam. The second convolution (16 → 8 channels, 3×3: C·kh·kw = 144,
// 8×8 outputs) with its ReLU and 2×2 pool takes PoolConvBackward; the first, ConvPoolBackward.
[Network(InputShape = new[] { 2, 22, 22 }, BatchSize = 9, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(16, 3), ReLU, MaxPool2D(2)]
[Conv2D(8, 3), ReLU, MaxPool2D(2), Flatten, Dense(3)]
public partial class PoolConvAdam { }
