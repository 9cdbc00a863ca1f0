using NetGen;

namespace NetGen.Tests.Networks;

// Backend.Cuda parity networks of the dropout variants (CudaDropoutParityTests): small MLPs, 20 inputs, batch 8, as
// Networks.Cuda.cs (the emulated driver runs each GPU thread as a fiber on the CPU). The *MaskNet ones put the variant
// straight on the input before one Dense, so that with one row the gradient of that Dense shows the mask.

// ── VanillaDropout: unscaled masks in training, y = (1 − p)·x at inference ──────────────────────────────────────
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[Dense(16), Tanh, VanillaDropout(0.3), Dense(16), ReLU, Dense(3)]
public partial class CudaVanillaDropoutNet { }

// One row: dW[o, i] = dy[o]·x[i]·m[i], so the zeros of dW are the mask's.
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[VanillaDropout(0.5), Dense(3)]
public partial class CudaVanillaDropoutMaskNet { }

// ── GaussianDropout: multiplicative N(1, p/(1 − p)) noise in training, the identity at inference ─────────────────────
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), ReLU, GaussianDropout(0.3), Dense(16), Tanh, GaussianDropout(0.1), Dense(3)]
public partial class CudaGaussianDropoutNet { }

// One row: dW[o, i] = dy[o]·x[i]·m[i] with real-valued m: the gradient shows the noise (no zeros to compare).
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[GaussianDropout(0.5), Dense(3)]
public partial class CudaGaussianDropoutMaskNet { }

// ── DropConnect: per-sample weight masks in training (never stored: the backward draws them again), the mean network or
// Wan et al.'s moment matching with the following ReLU at inference ────────────────────────────────────────────────
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Momentum, LearningRate = 0.05, Momentum = 0.9)]
[DropConnect(16, 0.3), ReLU, DropConnect(16, 0.4, Bias = false), Tanh, Dense(3)]
public partial class CudaDropConnectNet { }

[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), Tanh, DropConnect(12, 0.5, Inference = DropConnectInference.MomentMatching, Samples = 300), ReLU, Dense(3)]
public partial class CudaDropConnectMomentMatchingNet { }

// One row: dW[o, i] = dy[o]·x[i]·M[o, i]/(1 − p), so the zeros of dW are the weight mask's.
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[DropConnect(3, 0.5)]
public partial class CudaDropConnectMaskNet { }

// ── Standout: keep probabilities σ(α·z + β) from the pre-activation, y = z·π at inference ─────────────────────────────
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(16), Standout(Alpha = 1.5, Beta = -0.5), ReLU, Dense(16), Standout, Tanh, Dense(3)]
public partial class CudaStandoutNet { }

// One row: dW[o, i] = dy[o]·x[i]·m[i] with m[i] = 1(u < σ(x[i])), so the zeros of dW are the mask's.
[Network(InputSize = 20, BatchSize = 8, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Standout, Dense(3)]
public partial class CudaStandoutMaskNet { }
