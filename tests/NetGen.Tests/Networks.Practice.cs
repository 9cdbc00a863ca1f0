using NetGen;

// Networks of the monitoring and declared-loss tests (PracticeTests): a ReLU layer that tests kill with a large negative
// bias, a tanh and a sigmoid layer that they saturate with large weights, and a hinge network trained without FitOptions.Loss.
namespace NetGen.Tests.Networks;

[Network(InputSize = 6, BatchSize = 16, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Dense(8, Name = "fc1"), ReLU(Name = "act1"), Dense(5, Name = "fc2"), Tanh(Name = "act2"), Dense(5, Name = "fc3"), Sigmoid(Name = "act3"), Dense(4, Name = "out")]
public partial class MonitoredNet { }

[Network(InputSize = 6, BatchSize = 16, Loss = Loss.MulticlassHinge, Margin = 2, Optimizer = Optimizer.Sgd, LearningRate = 0.05)]
[Dense(10, Init = Init.SmallNormal), ReLU, Dense(4, Init = Init.SmallNormal)]
public partial class DeclaredHinge { }
