using NetGen;

// Networks of the dropout-variant tests (DropoutVariantTests). The Gc* networks are gradient-checked with the masks of
// the current step; the *Net networks share their parameter table with PlainNet (Identity in place of the dropout) so
// their inference outputs can be compared.
namespace NetGen.Tests.Networks;

[Network(InputSize = 4, BatchSize = 3)]
[Dense(8), Tanh, VanillaDropout(0.5), Dense(3)]
public partial class GcVanillaDropout { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(8), Tanh, GaussianDropout(0.3), Dense(3)]
public partial class GcGaussianDropout { }

[Network(InputShape = new[] { 2, 5, 5 }, BatchSize = 3)]
[Conv2D(4, 3, Padding = 1), Tanh, Dropout2D(0.5), Flatten, Dense(3)]
public partial class GcDropout2D { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Tanh, Identity, Dense(3, Bias = false)]
public partial class PlainNet { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Tanh, VanillaDropout(0.25), Dense(3, Bias = false)]
public partial class VanillaDropoutNet { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Tanh, GaussianDropout(0.25), Dense(3, Bias = false)]
public partial class GaussianDropoutNet { }

[Network(InputSize = 4, BatchSize = 3)]
[Dense(8), Standout(Alpha = 2, Beta = 0.5), Tanh, Dense(3)]
public partial class GcStandout { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Identity, ReLU, Dense(3, Bias = false)]
public partial class PlainReLUNet { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Standout(Alpha = 1.5, Beta = -0.5), ReLU, Dense(3, Bias = false)]
public partial class StandoutNet { }

// DropConnect first (no input gradient) and in the middle (input gradient through the masked weights).
[Network(InputSize = 4, BatchSize = 3)]
[DropConnect(6, 0.5), Tanh, DropConnect(5, 0.3, Bias = false), Tanh, Dense(3)]
public partial class GcDropConnect { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Tanh, Dense(3, Bias = false)]
public partial class PlainDenseNet { }

[Network(InputSize = 5, BatchSize = 4)]
[Dense(6), Tanh, DropConnect(3, 0.5, Bias = false)]
public partial class DropConnectNet { }
