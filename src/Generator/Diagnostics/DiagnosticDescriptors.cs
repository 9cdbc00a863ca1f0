using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Diagnostics;

/// <summary>
/// The one registry of NetGen diagnostics. Ranges: NG00xx declaration, NG01xx shapes and wiring,
/// NG02xx hyper-parameter values, NG03xx advice, NG9xxx internal. Each message names the thing, says what is
/// wrong, the consequence and the fix. docs/diagnostics.md lists every id.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "NetGen.Declaration";
    private const string Shapes = "NetGen.Shapes";
    private const string Values = "NetGen.Values";
    private const string Advice = "NetGen.Advice";
    private const string Internal = "NetGen.Internal";

    /// <summary>Where each id's help link points: its row of docs/diagnostics.md, whose anchor is the id in lower case
    /// (<c>#ng0001</c>). The analyzers use the same base (<c>AdviceDescriptors.HelpLinkBase</c>; docs/adr/0033).</summary>
    public const string HelpLinkBase = "https://github.com/netgen/netgen/blob/main/docs/diagnostics.md#";

    /// <summary>The help link of <paramref name="id"/>.</summary>
    public static string HelpLink(string id) => HelpLinkBase + id.ToLowerInvariant();

    public static readonly DiagnosticDescriptor NotPartial = Error(
        "NG0001", Declaration, "Network class must be partial",
        "Network class '{0}' is not partial; no code is generated for it. Add the 'partial' modifier to every declaration of '{0}'.");

    public static readonly DiagnosticDescriptor GenericNotSupported = Error(
        "NG0002", Declaration, "Generic network classes are not supported",
        "Network class '{0}' is generic; no code is generated for it. Remove the type parameters: a network's shapes and types are fixed at compile time.");

    public static readonly DiagnosticDescriptor NestedNotSupported = Error(
        "NG0003", Declaration, "Nested network classes are not supported",
        "Network class '{0}' is nested in '{1}'; no code is generated for it. Declare '{0}' directly in a namespace.");

    public static readonly DiagnosticDescriptor DuplicateLayerName = Error(
        "NG0004", Declaration, "Duplicate layer name",
        "Layer name '{0}' is used by layers {1} and {2} of {3}; names identify layers in summaries and errors, so the network's generated members throw until this is fixed. Give each layer a unique Name.");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Error(
        "NG0005", Declaration, "Unknown enum value",
        "{0} value {1} of {2} is not a defined member of NetGen.{0}; the network's generated members throw until this is fixed. Use one of: {3}.");

    public static readonly DiagnosticDescriptor UnknownBlock = Error(
        "NG0006", Declaration, "Residual block type is not a [Block]",
        "Residual layer '{0}' of {1} uses '{2}', which is not a class marked [Block]; the network's generated members throw until this is fixed. Add [Block] and the block's layer attributes to '{2}'.");

    public static readonly DiagnosticDescriptor BlockCycle = Error(
        "NG0007", Declaration, "Block contains itself",
        "Block '{0}' used by network '{1}' contains itself ({2}); the network's generated members throw until this is fixed. Remove the Residual layer that closes the cycle.");

    public static readonly DiagnosticDescriptor LayersWithoutNetwork = Error(
        "NG0008", Declaration, "Layer attributes on a class without [Network]",
        "Class '{0}' carries the layer attribute [{1}] but neither [Network] nor [Block], so nothing is generated for it (calls to its constructor, Predict or TrainStep fail with compiler errors). Add [Network(InputSize = …)] to '{0}', or [Block] if it is a residual block used by another network.");

    public static readonly DiagnosticDescriptor NameCollidesWithGeneratedMember = Error(
        "NG0010", Declaration, "Network class name collides with generated code",
        "Network class '{0}' {1}, so the generated code would not compile and nothing is generated for it. Rename the class, e.g. '{2}'.");

    public static readonly DiagnosticDescriptor PrimaryConstructor = Error(
        "NG0011", Declaration, "Network class has a primary constructor",
        "Network class '{0}' declares a primary constructor; the generated constructor '{0}(ulong seed)' cannot call it with values it does not know, so nothing is generated for it. Remove the parameter list after '{0}' and keep the values in fields or properties set after construction.");

    public static readonly DiagnosticDescriptor StaticClass = Error(
        "NG0012", Declaration, "Network class is static",
        "Network class '{0}' is static, but a network is an object that holds its parameters and optimizer state, so nothing is generated for it. Remove the 'static' modifier and create the network with 'new {0}(seed)'.");

    public static readonly DiagnosticDescriptor NotAClass = Error(
        "NG0013", Declaration, "[Network] or [Block] on a record",
        "'{0}' is a {1}; NetGen adds constructors and members to a plain class only, so nothing is generated for it. Declare '{0}' as a 'partial class'.");

    public static readonly DiagnosticDescriptor UnknownLayerAttribute = Error(
        "NG0014", Declaration, "Layer attribute NetGen does not know",
        "[{0}] on {1} derives from NetGen.LayerAttribute but is not one of NetGen's layers, which are fixed by the generator's catalog; the network's generated members throw until this is fixed. Remove [{0}] and write the layer with NetGen's attributes (docs/catalog.md lists them).");

    public static readonly DiagnosticDescriptor LayerNameCharacter = Error(
        "NG0015", Declaration, "Layer name contains a character NetGen cannot write",
        "Layer name \"{0}\" of {1} contains {2}, which cannot be written into the generated comments, documentation and string literals; the network's generated members throw until this is fixed. Use a name without control characters, line or paragraph separators, quotes, backslashes or '<', '>', '&', e.g. \"{3}\".");

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "NG0101", Shapes, "Network has no layers",
        "Network '{0}' declares no layers; the network's generated members throw until this is fixed. Add layer attributes such as [Dense(10)] after [Network].");

    public static readonly DiagnosticDescriptor MissingInputSize = Error(
        "NG0102", Shapes, "Input shape missing or not positive",
        "Network '{0}' has input shape {1}; the first layer's shape cannot be computed, so the network's generated members throw until this is fixed. Set InputSize to the number of input features (> 0), or InputShape to C×H×W for images (e.g. new[] {{ 1, 28, 28 }}), every dimension > 0.");

    public static readonly DiagnosticDescriptor TooFewClasses = Error(
        "NG0103", Shapes, "Classification loss needs at least two outputs",
        "Network '{0}' ends with {1} output(s) but loss '{2}' classifies among at least 2 classes; the network's generated members throw until this is fixed. End the network with a Dense layer of 2 or more units.");

    public static readonly DiagnosticDescriptor NetworkTooLarge = Error(
        "NG0104", Shapes, "Network too large",
        "Network '{0}' is too large: {1} would take {2} elements in one array, more than the {3} a .NET array holds; the network's generated members throw until this is fixed. {4}");

    public static readonly DiagnosticDescriptor OutputSizeNotWhole = Error(
        "NG0105", Shapes, "Window does not tile the input",
        "{0} layer '{1}' of {2}: output {3} = {4}; the network's generated members throw until this is fixed. {5}");

    public static readonly DiagnosticDescriptor WrongInputRank = Error(
        "NG0106", Shapes, "Layer receives a tensor of the wrong rank",
        "{0} layer '{1}' of {2} receives a {3} tensor but takes {4}; the network's generated members throw until this is fixed. {5}");

    public static readonly DiagnosticDescriptor ResidualCannotProject = Error(
        "NG0107", Shapes, "Residual block changes the shape in a way no shortcut can follow",
        "Residual layer '{0}' of {1}: block '{2}' maps {3} to {4}, which no 1×1 convolution shortcut can produce ({5}); the network's generated members throw until this is fixed. Make the block keep its input's shape, or change only its channels and divide its height and width by a whole stride.");

    public static readonly DiagnosticDescriptor BlockHasNoLayers = Error(
        "NG0108", Shapes, "Block has no layers",
        "Block '{0}' used by network '{1}' declares no layers; the network's generated members throw until this is fixed. Add layer attributes such as [Conv2D(16, 3, Padding = 1)] to '{0}'.");

    public static readonly DiagnosticDescriptor FractionalPoolTooLarge = Error(
        "NG0120", Shapes, "Fractional pooling output does not fit its input",
        "FractionalMaxPool2D layer '{0}' of {1}: {2}; the network's generated members throw until this is fixed. {3}");

    public static readonly DiagnosticDescriptor WindowArgumentOverridden = Warning(
        "NG0121", Shapes, "Window argument overridden on both axes",
        "{0} layer '{1}' of {2} sets {3}, but {4} and {5} replace it on both axes, so it has no effect. Remove {3}, or the per-axis argument that should take it.");

    public static readonly DiagnosticDescriptor LayerNormDimsExceedRank = Error(
        "NG0122", Shapes, "LayerNorm normalises more dimensions than its input has",
        "LayerNorm layer '{0}' of {1} has NormalizedDims = {2} but receives {3}, which has {4} dimension{5} per sample; the network's generated members throw until this is fixed. Use NormalizedDims from 1 to {4}, or remove it to normalise the whole sample (nn.LayerNorm({6})).");

    public static readonly DiagnosticDescriptor InputShapeConflict = Error(
        "NG0109", Shapes, "InputSize and InputShape disagree",
        "Network '{0}' sets InputSize = {1} and InputShape = {2} ({3} features); the network's generated members throw until this is fixed. Set only one of them.");

    public static readonly DiagnosticDescriptor ChannelsNotDivisibleByGroups = Error(
        "NG0110", Shapes, "Convolution groups do not divide the input channels",
        "Conv2D layer '{0}' of {1} receives {2} channels, which do not split into Groups = {3} equal groups; the network's generated members throw until this is fixed. Use Groups = {4}, or change the channels of the layer before.");

    public static readonly DiagnosticDescriptor PReLUParametersDoNotMatch = Error(
        "NG0111", Shapes, "PReLU slopes do not match the channels",
        "PReLU layer '{0}' of {1} has NumParameters = {2} but receives {3}, whose {4} is {5}; the network's generated members throw until this is fixed. Use NumParameters = 1 (one shared slope) or {5} (one per {4}), as nn.PReLU(num_parameters).");

    public static readonly DiagnosticDescriptor MaxoutPiecesDoNotDivide = Error(
        "NG0112", Shapes, "Maxout pieces do not divide the input",
        "Maxout layer '{0}' of {1} takes the maximum over groups of Pieces = {2} but receives {3}, whose {4} {5} is not a multiple of {2}; the network's generated members throw until this is fixed. Make the layer before produce k × units, e.g. {6}.");

    public static readonly DiagnosticDescriptor UnitsNotPositive = Error(
        "NG0201", Values, "Dense units must be positive",
        "Dense layer '{0}' of {1} has {2} units; the network's generated members throw until this is fixed. Use a unit count > 0.");

    public static readonly DiagnosticDescriptor DropoutOutOfRange = Error(
        "NG0202", Values, "Dropout probability out of range",
        "Dropout layer '{0}' of {1} has p = {2}; p is the probability of dropping a value (PyTorch's convention) and must be in [0, 1). The network's generated members throw until this is fixed. Use e.g. 0.5.");

    public static readonly DiagnosticDescriptor LearningRateNotPositive = Error(
        "NG0203", Values, "Learning rate must be positive",
        "LearningRate of network '{0}' is {1}; training would not move or would diverge. The network's generated members throw until this is fixed. Use a learning rate > 0, e.g. 0.01.");

    public static readonly DiagnosticDescriptor NegativeWeightDecay = Error(
        "NG0204", Values, "Weight decay must not be negative",
        "WeightDecay of network '{0}' is {1}; a negative L2 strength rewards large weights. The network's generated members throw until this is fixed. Use 0 (off) or a positive value such as 1e-4.");

    public static readonly DiagnosticDescriptor MomentumOutOfRange = Error(
        "NG0205", Values, "Momentum out of range",
        "Momentum of network '{0}' is {1}; it must be in [0, 1) or the velocity grows without bound. The network's generated members throw until this is fixed. Use e.g. 0.9.");

    public static readonly DiagnosticDescriptor BetaOutOfRange = Error(
        "NG0206", Values, "Adam beta out of range",
        "{1} of network '{0}' is {2}; Adam's moment decay rates must be in [0, 1). The network's generated members throw until this is fixed. Use the defaults Beta1 = 0.9, Beta2 = 0.999.");

    public static readonly DiagnosticDescriptor EpsilonNotPositive = Error(
        "NG0207", Values, "Epsilon must be positive",
        "Epsilon of network '{0}' is {1}; Adam, RMSProp and AdaGrad divide by a square root + ε, which can be 0. The network's generated members throw until this is fixed. Use e.g. 1e-8.");

    public static readonly DiagnosticDescriptor AlphaOutOfRange = Error(
        "NG0210", Values, "RMSProp alpha out of range",
        "Alpha of network '{0}' is {1}; RMSProp's smoothing constant must be in [0, 1) (at 1 the average never moves from 0). The network's generated members throw until this is fixed. Use the default 0.99.");

    public static readonly DiagnosticDescriptor BatchSizeNotPositive = Error(
        "NG0208", Values, "Batch size must be positive",
        "BatchSize of network '{0}' is {1}; the activation arena is sized for it. The network's generated members throw until this is fixed. Use the largest batch you will pass, e.g. 64.");

    public static readonly DiagnosticDescriptor ActivationArgumentOutOfRange = Error(
        "NG0209", Values, "Activation parameter out of range",
        "{0} layer '{1}' of {2} has {3} = {4}; {5}. The network's generated members throw until this is fixed.");

    public static readonly DiagnosticDescriptor LayerArgumentOutOfRange = Error(
        "NG0211", Values, "Layer argument out of range",
        "{0} layer '{1}' of {2} has {3} = {4}; {5}. The network's generated members throw until this is fixed.");

    public static readonly DiagnosticDescriptor MarginNotPositive = Error(
        "NG0212", Values, "Hinge margin must be positive",
        "Margin of network '{0}' is {1}; the hinge losses ask the correct class to beat every other by Δ > 0 (at 0 a constant output costs nothing). The network's generated members throw until this is fixed. Use e.g. 1 (the default).");

    public static readonly DiagnosticDescriptor DecoupledWeightDecayOutOfRange = Error(
        "NG0214", Values, "Decoupled weight decay must not be negative",
        "DecoupledWeightDecay of network '{0}' is {1}; AdamW multiplies the weights by 1 − lr·λ, and a negative or infinite λ makes them grow or vanish. The network's generated members throw until this is fixed. Use 0 (off) or a positive value such as 0.01 (the default).");

    public static readonly DiagnosticDescriptor RhoOutOfRange = Error(
        "NG0215", Values, "AdaDelta rho out of range",
        "Rho of network '{0}' is {1}; AdaDelta's decay of its running averages must be in [0, 1) (at 1 they never move from 0). The network's generated members throw until this is fixed. Use the default 0.9.");

    public static readonly DiagnosticDescriptor DeltaNotPositive = Error(
        "NG0213", Values, "Huber delta must be positive",
        "Delta of network '{0}' is {1}; the Huber loss is quadratic within δ and linear beyond, and needs δ > 0. The network's generated members throw until this is fixed. Use e.g. 1 (the default, PyTorch's).");

    public static readonly DiagnosticDescriptor StochasticDepthOutOfRange = Error(
        "NG0250", Values, "Stochastic depth out of range",
        "StochasticDepth of network '{0}' is {1}; it is the drop probability p_L of the last residual block (block l of L drops its branch with l/L · p_L) and must be in [0, 1) (at 1 the last block would never train). The network's generated members throw until this is fixed. Use e.g. 0.2, or 0.5 as Huang et al. for a 110-layer ResNet.");

    public static readonly DiagnosticDescriptor DropProbabilityOutOfRange = Error(
        "NG0251", Values, "Residual drop probability out of range",
        "Residual layer '{0}' of {1} has DropProbability = {2}; it is the probability of dropping the block's branch for a sample during training (stochastic depth) and must be in [0, 1) (at 1 the branch would never train). The network's generated members throw until this is fixed. Use e.g. 0.1, or 0 to turn stochastic depth off for this block.");

    public static readonly DiagnosticDescriptor StochasticDepthUnused = Warning(
        "NG0254", Values, "Stochastic depth has no effect",
        "StochasticDepth = {1} is set on network '{0}' but no [Residual] layer takes it: the network has none, or every one writes its own DropProbability. Remove it, or drop DropProbability from the blocks that should follow the linear rule.");

    public static readonly DiagnosticDescriptor FractionalPoolArgumentOutOfRange = Error(
        "NG0252", Values, "Fractional pooling argument out of range",
        "FractionalMaxPool2D layer '{0}' of {1} has {2} = {3}; {4}. The network's generated members throw until this is fixed.");

    public static readonly DiagnosticDescriptor FractionalPoolOutputUnspecified = Error(
        "NG0253", Values, "Fractional pooling needs exactly one output argument",
        "FractionalMaxPool2D layer '{0}' of {1} {2}; the output is set by exactly one of OutputRatio (a fraction of the input in (0, 1), e.g. 0.7) and OutputSize (rows and columns, e.g. 5), as PyTorch's output_ratio and output_size. The network's generated members throw until this is fixed.");

    public static readonly DiagnosticDescriptor LabelSmoothingOutOfRange = Error(
        "NG0220", Values, "Label smoothing out of range",
        "LabelSmoothing of network '{0}' is {1}; ε must lie in [0, 1) (the target is (1 − ε)·onehot + ε/C, and at ε = 1 it no longer depends on the label). The network's generated members throw until this is fixed. Use e.g. 0.1.");

    public static readonly DiagnosticDescriptor RegularizationNegative = Error(
        "NG0221", Values, "Regularisation strength must be finite and non-negative",
        "{0} of {1} is {2}; a negative strength rewards large weights. The network's generated members throw until this is fixed. Use 0 (off) or a positive value such as 1e-4.");

    public static readonly DiagnosticDescriptor DropConnectMomentMatchingNeedsReLU = Error(
        "NG0230", Values, "DropConnect moment matching needs a following ReLU",
        "DropConnect layer '{0}' of {1} has Inference = DropConnectInference.MomentMatching but is followed by {2}; the moment-matching inference averages ReLU(u) over Gaussian samples of the pre-activation, so the next layer must be [ReLU]. The network's generated members throw until this is fixed. Put [ReLU] right after it, or use the default DropConnectInference.Mean.");

    public static readonly DiagnosticDescriptor DropConnectSamplesOutOfRange = Error(
        "NG0231", Values, "DropConnect moment-matching samples must be positive",
        "DropConnect layer '{0}' of {1} has Samples = {2}; the moment-matching inference averages Z ≥ 1 Gaussian samples per unit. The network's generated members throw until this is fixed. Use e.g. 1000 (the default, as Wan et al.).");

    public static readonly DiagnosticDescriptor MaxNormNegative = Error(
        "NG0222", Values, "Max-norm must be finite and non-negative",
        "MaxNorm of {0} is {1}; the constraint ‖w‖₂ ≤ c needs c > 0 (0 turns it off). The network's generated members throw until this is fixed. Use e.g. 3 or 4.");

    public static readonly DiagnosticDescriptor NormBoundNotPositive = Error(
        "NG0308", Values, "NormBound must be finite and positive",
        "NormBound of {0} is {1}; the constraint ½·‖W‖²_F ≤ k needs a finite k > 0. The network's generated members throw until this is fixed. Use e.g. 1 or 10, or remove it.");

    public static readonly DiagnosticDescriptor DualRateNotPositive = Error(
        "NG0309", Values, "DualRate must be finite and positive",
        "DualRate of {0} is {1}; the dual ascent α ← max(0, α + ρ·(Ω(W) − k)) needs a finite ρ > 0. The network's generated members throw until this is fixed. Use e.g. 0.1 (the default).");

    public static readonly DiagnosticDescriptor HierarchicalSoftmaxClasses = Error(
        "NG0226", Values, "Hierarchical softmax needs Classes ≥ 2",
        "Network '{0}' uses Loss.HierarchicalSoftmax with Classes {1}; the tree needs at least 2 classes, and the last layer produces the features, not the classes. The network's generated members throw until this is fixed. Write e.g. Classes = 1000 on [Network].");

    public static readonly DiagnosticDescriptor HierarchicalSoftmaxTree = Error(
        "NG0227", Values, "ClassTree is not a binary tree over the classes",
        "ClassTree of network '{0}' is not a binary tree over its {1} classes: {2}. The network's generated members throw until this is fixed. Write a parent array of 2C − 1 entries (inner nodes 0 … C − 2, root first with parent −1, then one leaf per class), or leave ClassTree out for the balanced tree.");

    public static readonly DiagnosticDescriptor RegularizeBiasWithoutBias = Warning(
        "NG0304", Advice, "RegularizeBias on a layer without a bias",
        "{0} layer '{1}' of {2} sets RegularizeBias = true but has Bias = false, so there is no bias to regularise; remove RegularizeBias or the Bias = false.");

    public static readonly DiagnosticDescriptor SamePaddingNotPossible = Error(
        "NG0240", Values, "Same padding is not possible",
        "Conv2D layer '{0}' of {1} has Padding = Conv2DAttribute.Same but {2}. The network's generated members throw until this is fixed. Use an odd kernel (3, 5, 7) at stride 1, or write the padding as a number.");

    public static readonly DiagnosticDescriptor OutChannelsNotDivisibleByGroups = Error(
        "NG0241", Values, "Convolution groups do not divide the output channels",
        "Conv2D layer '{0}' of {1} has {2} output channels, which do not split into Groups = {3} equal groups (each group has as many filters); the network's generated members throw until this is fixed. Use a multiple of {3} output channels, or other Groups.");

    public static readonly DiagnosticDescriptor Float32Rounding = Error(
        "NG0315", Values, "Value changes in float32 arithmetic",
        "{0} of {1} is {2}, which training's float32 arithmetic rounds to {3}: {4}. The network's generated members throw until this is fixed. {5}");

    public static readonly DiagnosticDescriptor Float32Underflow = Warning(
        "NG0316", Advice, "Value is zero in float32 arithmetic",
        "{0} of {1} is {2}, which training's float32 arithmetic rounds to 0, so it has no effect. Write 0 to turn it off, or a value of at least 1e-38.");

    public static readonly DiagnosticDescriptor DualRateWithoutNormBound = Warning(
        "NG0317", Advice, "DualRate without NormBound has no effect",
        "{0} sets DualRate = {1} but no NormBound, so there is no constraint for the dual ascent to enforce and DualRate is ignored; add NormBound = k (the bound on ½·‖W‖²_F) or remove DualRate.");

    public static readonly DiagnosticDescriptor SettingIgnored = Warning(
        "NG0301", Advice, "Setting has no effect",
        "{0} is set on network '{1}' but {2} does not use it; remove it or choose one that does ({3}).");

    public static readonly DiagnosticDescriptor DecoupledDecayFlipsWeights = Warning(
        "NG0302", Advice, "Decoupled weight decay zeroes or flips the weights",
        "DecoupledWeightDecay of network '{0}' is {1} with LearningRate {2}: each AdamW step multiplies every decayed weight by 1 − lr·λ = {3} ≤ 0, which zeroes or flips it. Use lr·λ well below 1 (PyTorch's defaults give 1e-5).");

    public static readonly DiagnosticDescriptor ConstantInit = Warning(
        "NG0306", Advice, "Constant weight initialisation does not break symmetry",
        "Init.{0} on {1} layer '{2}' of {3} starts every weight at {4}: every unit then computes the same output and receives the same gradient and update, so the units stay identical (and with all-zero weights and biases nothing is learned). Use a random Init (Auto, HeNormal, GlorotUniform), or keep it only where the units need not differ.");

    public static readonly DiagnosticDescriptor InitOptionIgnored = Warning(
        "NG0307", Advice, "Initialisation option has no effect",
        "{0} is set on {1} layer '{2}' of {3} but Init.{4} does not read it; remove it or use {5}.");

    public static readonly DiagnosticDescriptor InternalError = new(
        "NG9001", "NetGen internal error",
        "NetGen failed while generating '{0}': {1}. Nothing is generated for it. Please report this with the declaration that caused it.",
        Internal, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink("NG9001"));

    private static DiagnosticDescriptor Error(string id, string category, string title, string message) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static DiagnosticDescriptor Warning(string id, string category, string title, string message) =>
        new(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink(id));
}
