using NetGen;

namespace NetGen.Bench;

/// <summary>The small CNN of the convolution rows (issue 13): 1×28×28 → conv 3×3 ×8 (valid) → ReLU → pool 2 → 8×13×13
/// → conv 3×3 ×16 (valid) → ReLU → pool 2 with padding 1 → 16×6×6 → flatten 576 → 10. Softmax cross-entropy, SGD with
/// momentum 0.9, lr 0.01, batches of 64. The second pool has padding 1 because NetGen refuses a window that leaves the
/// last row of its 11×11 input unread (NG0105), which PyTorch's floor would silently drop (16×5×5).
/// <c>bench/peers/pytorch_cnn_peer.py</c> and <c>bench/peers/export_cnn_onnx.py</c> build the same network.</summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
[Conv2D(8, 3), ReLU, MaxPool2D(2)]
[Conv2D(16, 3), ReLU, MaxPool2D(2, Padding = 1)]
[Flatten, Dense(10)]
public partial class BenchCnn { }

/// <summary>The LeNet-style CNN of samples/Mnist (Caffe's LeNet layout): conv 5×5 ×20 → ReLU → pool 2 → conv 5×5 ×50 →
/// ReLU → pool 2 → 800 → 500 ReLU → 10. Softmax cross-entropy, Adam 1e-3, batches of 64.</summary>
[Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
[Conv2D(20, 5), ReLU, MaxPool2D(2)]
[Conv2D(50, 5), ReLU, MaxPool2D(2)]
[Flatten, Dense(500), ReLU, Dense(10)]
public partial class BenchLeNet { }
