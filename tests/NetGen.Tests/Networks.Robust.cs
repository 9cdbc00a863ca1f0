using NetGen;

// Networks of the runtime-safety tests (RobustStepTests, RobustFileTests, DeterminismTests).
namespace NetGen.Tests.Networks;

/// <summary>Two Dense layers without an activation between them, so a huge input makes the first layer's own output
/// overflow (no fused ReLU hides it).</summary>
[Network(InputSize = 2, BatchSize = 4, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Dense(3, Name = "wide"), Dense(2, Name = "scores")]
public partial class RobustMomentum { }

/// <summary>The same layers trained by Adam.</summary>
[Network(InputSize = 2, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(3, Name = "wide"), Dense(2, Name = "scores")]
public partial class RobustAdam { }

/// <summary>Same shapes and keys as <see cref="RobustAdam"/>, another network: a plain load accepts its files, a strict
/// load refuses them.</summary>
[Network(InputSize = 2, BatchSize = 4, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(3, Name = "wide"), Dense(2, Name = "scores")]
public partial class RobustAdamTwin { }

/// <summary>An MLP whose products are GEMM-sized (the packed, parallel kernels) with dropout, for the thread tests.</summary>
[Network(InputSize = 256, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3, WeightDecay = 1e-4)]
[Dense(256), ReLU, Dropout(0.2), Dense(128), ReLU, Dense(10)]
public partial class ThreadsMlp { }

/// <summary>A CNN with batch normalisation (convolution, BatchNorm and pooling kernels that split over the cores).</summary>
[Network(InputShape = new[] { 3, 16, 16 }, BatchSize = 32, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
[Conv2D(16, 3, Padding = 1, Bias = false), BatchNorm2D, ReLU, MaxPool2D(2)]
[Conv2D(32, 3, Padding = 1), ReLU, MaxPool2D(2), Flatten, Dense(10)]
public partial class ThreadsCnn { }
