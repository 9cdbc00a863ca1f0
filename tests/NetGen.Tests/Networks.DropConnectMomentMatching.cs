using NetGen;

// Networks of DropConnectMomentMatchingTests: the same layers with the default mean-network inference and with Wan et
// al.'s moment-matching inference (which needs the [ReLU] that follows and fuses it into the sampled average).
namespace NetGen.Tests.Networks;

[Network(InputSize = 5, BatchSize = 4)]
[DropConnect(6, 0.5), ReLU, Dense(3)]
public partial class MeanDropConnectReLUNet { }

[Network(InputSize = 5, BatchSize = 4)]
[DropConnect(6, 0.5, Inference = DropConnectInference.MomentMatching, Samples = 2000), ReLU, Dense(3)]
public partial class MomentMatchingDropConnectNet { }
