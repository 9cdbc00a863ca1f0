using NetGen;

// Networks of the weight-initialisation tests (InitializationTests). The *Reference networks mirror the nn.Sequential
// models of tests/reference/make_init_reference.py (same layer order, so the same state_dict keys).
namespace NetGen.Tests.Networks;

// Large layers, one scheme each, for the statistical tests (tensor t = its index in ParameterTable).
[Network(InputSize = 300, BatchSize = 2)]
[Dense(400, Init = Init.HeNormal, FanMode = FanMode.FanOut), ReLU,
 Dense(500, Init = Init.HeUniform, FanMode = FanMode.FanOut), ReLU,
 Dense(300, Init = Init.LeCunNormal), Tanh,
 Dense(200, Init = Init.Sparse, SparseCount = 7, BiasInit = 0.01), ReLU,
 Dense(400, Init = Init.Orthogonal, InitGain = 2), Tanh,
 Dense(100, Init = Init.Orthogonal), Tanh,
 Dense(300, Init = Init.HeNormal), ReLU,
 Dense(3)]
public partial class InitStats { }

// Zeros and Constant warn (NG0306, silenced in NetGen.Tests.csproj): the symmetry they leave is the point of the test.
[Network(InputSize = 4, BatchSize = 2)]
[Dense(5, Init = Init.Zeros), Tanh, Dense(6, Init = Init.Constant, InitValue = 0.25, BiasInit = -0.5), Dense(3)]
public partial class InitConstants { }

[Network(InputShape = new[] { 8, 6, 6 }, BatchSize = 2)]
[Conv2D(16, 3, Init = Init.Orthogonal), ReLU, Conv2D(64, 3, Init = Init.Sparse, SparseCount = 5), ReLU, Flatten, Dense(3)]
public partial class InitConvStats { }

[Network(InputSize = 6, BatchSize = 2)]
[Dense(5, Init = Init.Orthogonal, InitGain = 1.5), Tanh, Dense(8, Init = Init.Orthogonal), ReLU,
 Dense(4, Init = Init.HeNormal, FanMode = FanMode.FanOut), Tanh, Dense(6, Init = Init.Sparse, SparseCount = 3), Dense(3, Init = Init.LeCunNormal)]
public partial class InitDenseReference { }

[Network(InputShape = new[] { 2, 5, 5 }, BatchSize = 2)]
[Conv2D(3, 3, Init = Init.Orthogonal), ReLU, Conv2D(4, 2, Init = Init.HeUniform, FanMode = FanMode.FanOut), Flatten,
 Dense(3, Init = Init.Sparse, SparseCount = 2, SparseStd = 0.05)]
public partial class InitConvReference { }

// Glorot normal, the notes' small random numbers, and Auto looking through GaussianDropout and Standout to the ReLU.
[Network(InputSize = 300, BatchSize = 2)]
[Dense(400, Init = Init.GlorotNormal), Tanh, Dense(300, Init = Init.SmallNormal), Tanh, Dense(200), GaussianDropout(0.2), Standout, ReLU, Dense(3)]
public partial class InitMoreStats { }
