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
