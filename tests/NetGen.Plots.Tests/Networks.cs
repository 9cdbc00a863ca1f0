using NetGen;

// The networks whose training the pictures draw: small enough to train for a few epochs in a test.
namespace NetGen.Plots.Tests;

/// <summary>A 4×4 grey "image" → 8 units → 3 classes: its first layer draws as 8 tiles of 4×4.</summary>
[Network(InputShape = new[] { 1, 4, 4 }, BatchSize = 16, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Flatten, Dense(8, Name = "fc1"), ReLU, Dense(3, Name = "fc2")]
public partial class PictureMlp { }

/// <summary>A 3×6×6 colour image → 5 filters of 3×3 → 3 classes: its first layer draws as 5 RGB tiles of 3×3.</summary>
[Network(InputShape = new[] { 3, 6, 6 }, BatchSize = 8, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Conv2D(5, 3, Name = "conv1"), ReLU, Flatten, Dense(3, Name = "fc")]
public partial class PictureCnn { }

/// <summary>Float targets (mean squared error): its curves show RMSE instead of accuracy.</summary>
[Network(InputSize = 3, BatchSize = 16, Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, LearningRate = 0.01)]
[Dense(8), Tanh, Dense(2)]
public partial class PictureRegression { }
