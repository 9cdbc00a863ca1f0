using NetGen;

// Networks of LayerNorm over the last dimensions of a sample (LayerNorm's NormalizedDims, nn.LayerNorm's
// normalized_shape). The reference one mirrors tests/reference/cases_lnshape.py module for module (same state_dict keys).
namespace NetGen.Tests.Networks;

// ── PyTorch reference network ──────────────────────────────────────────────────────────────────────────────────
// On [4, 6, 4] maps: per channel over [H, W] = [6, 4] (γ, β [6, 4]), then per row over [W] = [4] with ε 1e-3; on the
// vector of 8 features NormalizedDims = 1 is the whole sample. Rectangular maps, so that H and W cannot be swapped. The
// first convolution has no bias: the per-channel normalisation after it cancels any per-channel constant, so that bias
// would have an identically zero gradient (float32 noise that Adam would turn into steps of lr).
[Network(InputShape = new[] { 2, 6, 4 }, BatchSize = 5, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(4, 3, Padding = 1, Bias = false), LayerNorm(NormalizedDims = 2), ReLU, LayerNorm(NormalizedDims = 1, Epsilon = 1e-3), MaxPool2D(2)]
[Flatten, Dense(8), LayerNorm(NormalizedDims = 1), Tanh, Dense(3)]
public partial class LnShapeAdam { }

// ── Gradient-check network ─────────────────────────────────────────────────────────────────────────────────────
// Smooth activations: per channel over [H, W], per row over [W] without affine parameters, and NormalizedDims = 3 on
// [C, H, W] written out (the whole sample, as the default). No bias before the per-channel normalisation (see above).
[Network(InputShape = new[] { 2, 4, 5 }, BatchSize = 3)]
[Conv2D(3, 3, Padding = 1, Bias = false), LayerNorm(NormalizedDims = 2), Tanh, LayerNorm(NormalizedDims = 1, Affine = false)]
[Conv2D(2, 3, Padding = 1), LayerNorm(NormalizedDims = 3, Epsilon = 1e-3), Tanh, Flatten, Dense(5), Dense(3)]
public partial class GcLnShape { }
