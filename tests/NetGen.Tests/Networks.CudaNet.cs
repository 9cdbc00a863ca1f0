using NetGen;

namespace NetGen.Tests.Networks;

// Backend.Cuda parity networks of the CUDA core's optimizers, losses, regularisers and graphs (CudaNetParityTests): small
// MLPs, 20 inputs, batch 8, as Networks.Cuda.cs (the emulated driver runs each GPU thread as a fiber on the CPU).

// ── Optimizers ──────────────────────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.AdamW, LearningRate = 0.01, DecoupledWeightDecay = 0.1)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaAdamWNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.AdamW, LearningRate = 0.01, DecoupledWeightDecay = 0.05, Amsgrad = true)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaAdamWAmsGradNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01, Amsgrad = true, WeightDecay = 1e-3)]
[Dense(16), Sigmoid, Dense(3)]
public partial class CudaAmsGradNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.AdaDelta, Rho = 0.9)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaAdaDeltaNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, Momentum = 0.9)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaRmsPropMomentumNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, Centered = true)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaRmsPropCenteredNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.RmsProp, LearningRate = 0.005, Momentum = 0.5, Centered = true, Alpha = 0.95)]
[Dense(16), ELU, Dense(3)]
public partial class CudaRmsPropCenteredMomentumNet { }

// ── Losses ──────────────────────────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 20, BatchSize = 8, Loss = Loss.MulticlassHinge, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaHingeNet { }

[Network(InputSize = 20, BatchSize = 8, Loss = Loss.MulticlassSquaredHinge, Margin = 0.5, Optimizer = Optimizer.Momentum, LearningRate = 0.02)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaSquaredHingeNet { }

[Network(InputSize = 20, BatchSize = 8, LabelSmoothing = 0.1, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaLabelSmoothingNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaSoftTargetNet { }

[Network(InputSize = 20, BatchSize = 8, Loss = Loss.MeanAbsoluteError, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaMaeNet { }

[Network(InputSize = 20, BatchSize = 8, Loss = Loss.Huber, Delta = 0.5, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaHuberNet { }

[Network(InputSize = 20, BatchSize = 8, Loss = Loss.BinaryCrossEntropyWithLogits, Optimizer = Optimizer.Momentum, LearningRate = 0.05)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaBceNet { }

[Network(InputSize = 20, BatchSize = 8, Loss = Loss.BinaryHinge, Margin = 0.5, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Dense(16), Tanh, Dense(3)]
public partial class CudaBinaryHingeNet { }

// ── Regularisation ──────────────────────────────────────────────────────────────────────────────────────────────
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, WeightDecay = 1e-3, L1 = 2e-3)]
[Dense(16, RegularizeBias = true), ReLU, Dense(3, L1 = 5e-3, WeightDecay = 0)]
public partial class CudaL1Net { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.3, MaxNorm = 0.6)]
[Dense(16), ReLU, Dense(3, MaxNorm = 0.4)]
public partial class CudaMaxNormNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(16, NormBound = 0.5, DualRate = 1.0), Tanh, Dense(3, NormBound = 0.3)]
public partial class CudaNormBoundNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01, WeightDecay = 1e-3)]
[Dense(16), ReLU, Dense(3)]
public partial class CudaClipNet { }

// ── Graphs: residual blocks of Dense layers (a tensor read by the branch and the addition), nested, stochastic depth ──
[Block]
[Dense(16), ReLU, Dense(16)]
public class CudaDenseBlock16 { }

[Block]
[Dense(16), Tanh, Residual(typeof(CudaDenseBlock16)), Dense(16)]
public class CudaNestedBlock16 { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, WeightDecay = 1e-3)]
[Dense(16), Residual(typeof(CudaDenseBlock16)), ReLU, Residual(typeof(CudaNestedBlock16)), Dense(3)]
public partial class CudaResidualNet { }

// Huang's linear rule over the four residual blocks (the nested block's inner one included), the third with its own p.
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01, StochasticDepth = 0.5)]
[Dense(16), Residual(typeof(CudaDenseBlock16)), Residual(typeof(CudaDenseBlock16)), Tanh, Residual(typeof(CudaNestedBlock16), DropProbability = 0.4), Dense(3)]
public partial class CudaStochasticDepthNet { }
