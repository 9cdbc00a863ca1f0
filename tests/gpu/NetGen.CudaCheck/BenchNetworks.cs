using NetGen;

namespace NetGen.CudaCheck;

// The networks of the CUDA benchmark (Bench.cs, `NetGen.CudaCheck --bench`): the same declarations as the CPU benchmark's
// (bench/NetGen.Bench/Networks.cs, BenchMlp; bench/NetGen.Bench/ConvNetworks.cs, BenchCnn), declared again here because a
// generated network belongs to the assembly that declares it and the GPU run carries this one binary only.
// bench/peers/pytorch_cuda_peer.py builds the same networks in PyTorch.

/// <summary>The MLP of the performance issue: 784-256-128-10, ReLU, softmax cross-entropy, Adam lr 1e-3, batch 64.</summary>
[Network(InputSize = 784, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Dense(256), ReLU, Dense(128), ReLU, Dense(10)]
public partial class CudaBenchMlp { }

/// <summary>The same MLP for batches of up to 4096 rows (MaxBatch is part of the declaration).</summary>
[Network(InputSize = 784, BatchSize = 4096, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Dense(256), ReLU, Dense(128), ReLU, Dense(10)]
public partial class CudaBenchMlp4096 { }

/// <summary>The small CNN of the CPU benchmark: 1×28×28 → conv 3×3 ×8 → ReLU → max pool 2 → conv 3×3 ×16 → ReLU → max
/// pool 2 (padding 1) → flatten 576 → Dense(10); softmax cross-entropy, SGD with momentum 0.9, lr 0.01, batch 64.</summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
[Conv2D(8, 3), ReLU, MaxPool2D(2)]
[Conv2D(16, 3), ReLU, MaxPool2D(2, Padding = 1)]
[Flatten, Dense(10)]
public partial class CudaBenchCnn { }
