namespace NetGen.Tests.Networks;

/// <summary>Both pool paddings after a direct convolution with a ReLU, and a pool fused without an activation, over
/// odd sizes: 1×23×21 → conv 3×3 ×12 → 21×19 → pool 2 pad 1 → 11×10 → conv 2×3 ×5 (no activation) → 10×8 → pool 2 →
/// 5×4 → 3. Every pool here runs in its convolution's epilogue (ADR 0047).</summary>
[Network(InputShape = new[] { 1, 23, 21 }, BatchSize = 16, Optimizer = Optimizer.Momentum, LearningRate = 0.01, Momentum = 0.9)]
[Conv2D(12, 3), ReLU, MaxPool2D(2, Padding = 1)]
[Conv2D(5, 2, 3), MaxPool2D(2)]
[Flatten, Dense(3)]
public partial class ConvInferOddCnn { }
