using NetGen;

// Networks of per-axis dilation, rectangular pooling and the receptive field. The reference one mirrors
// tests/reference/cases_convfeat.py module for module (same state_dict keys).
namespace NetGen.Tests.Networks;

// ── PyTorch reference network ──────────────────────────────────────────────────────────────────────────────────
[Network(InputShape = new[] { 2, 12, 10 }, BatchSize = 3, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Conv2D(4, 3, PaddingHeight = 2, PaddingWidth = 1, DilationHeight = 2, DilationWidth = 1), ReLU]
[MaxPool2D(2, 3, StrideHeight = 2, StrideWidth = 1, Padding = 1)]
[Conv2D(6, 2, 3, StrideWidth = 2, PaddingWidth = 2, DilationHeight = 3, DilationWidth = 2), Tanh]
[AvgPool2D(3, 2, StrideHeight = 1, StrideWidth = 2, Padding = 1)]
[Conv2D(6, 3, Padding = Conv2DAttribute.Same, Dilation = 2, DilationHeight = 1, Groups = 3), ELU, Flatten, Dense(3)]
public partial class DilationPoolAdam { }

// ── Gradient-check network ─────────────────────────────────────────────────────────────────────────────────────
// The same windows with smooth activations (Tanh instead of ReLU): per-axis dilation on the general kernel, with and
// without groups; rectangular max and average pooling with per-axis stride and padding.
[Network(InputShape = new[] { 2, 12, 10 }, BatchSize = 3)]
[Conv2D(3, 3, PaddingHeight = 2, PaddingWidth = 1, DilationHeight = 2, DilationWidth = 1), Tanh]
[MaxPool2D(2, 3, StrideHeight = 2, StrideWidth = 1, Padding = 1)]
[Conv2D(4, 2, 3, StrideWidth = 2, PaddingWidth = 2, DilationHeight = 3, DilationWidth = 2), Tanh]
[AvgPool2D(3, 2, StrideHeight = 1, StrideWidth = 2, Padding = 1)]
[Conv2D(4, 3, Padding = Conv2DAttribute.Same, DilationWidth = 2, Groups = 2), ELU, Flatten, Dense(3)]
public partial class GcDilationPool { }

// ── Receptive field ────────────────────────────────────────────────────────────────────────────────────────────
// Strides, per-axis dilation, square and rectangular pooling and a residual block; the expected fields are measured
// in PyTorch by tests/reference/make_receptive_field_reference.py.
[Network(InputShape = new[] { 1, 64, 48 }, BatchSize = 2)]
[Conv2D(2, 3, Stride = 2, Padding = 1), ReLU]
[MaxPool2D(2)]
[Conv2D(2, 3, Padding = 2, DilationHeight = 2, DilationWidth = 3, PaddingWidth = 3), ReLU]
[AvgPool2D(3, 2, StrideHeight = 1, StrideWidth = 2, PaddingHeight = 1)]
[Conv2D(2, 5, 3, StrideHeight = 2, PaddingHeight = 2, PaddingWidth = 1), Tanh]
[Residual(typeof(ReceptiveBlock)), ReLU]
[GlobalAvgPool2D, Dense(2)]
public partial class ReceptiveFieldNet { }

[Block]
[Conv2D(2, 3, Padding = 1), ReLU, Conv2D(2, 3, Padding = 2, Dilation = 2)]
public partial class ReceptiveBlock { }

// ── Threads and allocations ────────────────────────────────────────────────────────────────────────────────────
// Batch 64 with per-axis dilation (the general kernel) and rectangular pooling windows, large enough to split.
[Network(InputShape = new[] { 3, 32, 32 }, BatchSize = 64, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
[Conv2D(8, 3, PaddingHeight = 2, PaddingWidth = 1, DilationHeight = 2), ReLU]
[MaxPool2D(2, 3, StrideWidth = 2, PaddingWidth = 1)]
[Conv2D(8, 3, Padding = 1, DilationWidth = 1), ReLU]
[AvgPool2D(3, 2, StrideHeight = 2, PaddingHeight = 1)]
[Flatten, Dense(10)]
public partial class DilationPoolThreads { }
