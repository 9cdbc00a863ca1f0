using System.Collections.Generic;
using System.Globalization;

namespace NetGen.Generator.Model;

/// <summary>Mirrors <c>NetGen.Loss</c> (same values). Each has one entry in <see cref="Catalog.LossCatalog"/>.</summary>
internal enum LossKind
{
    SoftmaxCrossEntropy = 0,
    MulticlassHinge = 1,
    MeanSquaredError = 2,
    MulticlassSquaredHinge = 3,
    MeanAbsoluteError = 4,
    Huber = 5,
    BinaryCrossEntropyWithLogits = 6,
    BinaryHinge = 7,
    HierarchicalSoftmax = 8,
}

/// <summary>Mirrors <c>NetGen.Optimizer</c> (same values). Each has one entry in <see cref="Catalog.OptimizerCatalog"/>.</summary>
internal enum OptimizerKind
{
    Sgd = 0,
    Momentum = 1,
    Nesterov = 2,
    Adam = 3,
    AdaGrad = 4,
    RmsProp = 5,
    AdamW = 6,
    AdaDelta = 7,
}

/// <summary>Mirrors <c>NetGen.Init</c> (same values).</summary>
internal enum InitKind
{
    Auto = 0,
    HeNormal = 1,
    HeUniform = 2,
    GlorotNormal = 3,
    GlorotUniform = 4,
    SmallNormal = 5,
    PyTorchDefault = 6,
    Zeros = 7,
    Constant = 8,
    LeCunNormal = 9,
    Sparse = 10,
    Orthogonal = 11,
}

/// <summary>Mirrors <c>NetGen.FanMode</c> (same values).</summary>
internal enum FanModeKind
{
    FanIn = 0,
    FanOut = 1,
}

/// <summary>
/// One attribute argument as written: constructor arguments under their parameter name in PascalCase ("units" →
/// "Units"), named arguments under their property name. Numbers (int, double, enum values, bool as 0/1) are kept in
/// <see cref="Number"/>; strings and type names (fully qualified) in <see cref="Text"/>.
/// </summary>
internal sealed record ArgumentValue(string Name, double Number, string? Text);

/// <summary>Typed reads of an attribute's arguments: each catalog entry reads its own, with its own defaults.</summary>
internal static class Arguments
{
    public static bool Has(this EquatableArray<ArgumentValue> arguments, string name) => Find(arguments, name) is not null;

    public static double Number(this EquatableArray<ArgumentValue> arguments, string name, double fallback) =>
        Find(arguments, name) is { } value ? value.Number : fallback;

    public static int Int(this EquatableArray<ArgumentValue> arguments, string name, int fallback) =>
        Find(arguments, name) is { } value ? (int)value.Number : fallback;

    public static bool Bool(this EquatableArray<ArgumentValue> arguments, string name, bool fallback) =>
        Find(arguments, name) is { } value ? value.Number != 0 : fallback;

    public static string? Text(this EquatableArray<ArgumentValue> arguments, string name) => Find(arguments, name)?.Text;

    private static ArgumentValue? Find(EquatableArray<ArgumentValue> arguments, string name)
    {
        foreach (ArgumentValue value in arguments)
        {
            if (value.Name == name)
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>
/// One layer attribute, as read from source: the catalog entry it names (<see cref="Kind"/>, the attribute's type name
/// without "Attribute"), its optional name, its arguments and where each was written.
/// </summary>
internal sealed record LayerSpec(
    string Kind,
    string? Name,
    EquatableArray<ArgumentValue> Arguments,
    LocationInfo? Location,
    EquatableArray<NamedLocation> ArgumentLocations)
{
    /// <summary>Where argument <paramref name="argument"/> was written, or the attribute's location when it was not.</summary>
    public LocationInfo? LocationOf(string argument) => NamedLocation.Find(ArgumentLocations, argument) ?? Location;

    /// <summary>Where the first of <paramref name="arguments"/> that was written is, else the attribute's location.</summary>
    public LocationInfo? LocationOfAny(params string[] arguments)
    {
        foreach (string argument in arguments)
        {
            if (NamedLocation.Find(ArgumentLocations, argument) is { } at)
            {
                return at;
            }
        }

        return Location;
    }

    /// <summary>The name shown in messages: the declared Name, else "Kind #index".</summary>
    public string Display(int index) => Name ?? Kind + " #" + index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A named attribute argument's location, so a diagnostic can point at exactly that argument.</summary>
internal sealed record NamedLocation(string Name, LocationInfo Location)
{
    /// <summary>The location of the argument named <paramref name="argumentName"/>, or null when it is not written.</summary>
    public static LocationInfo? Find(IEnumerable<NamedLocation> arguments, string argumentName)
    {
        foreach (NamedLocation named in arguments)
        {
            if (named.Name == argumentName)
            {
                return named.Location;
            }
        }

        return null;
    }
}

/// <summary>Training settings from the <c>[Network]</c> attribute.</summary>
internal sealed record TrainingSpec(
    LossKind Loss,
    OptimizerKind Optimizer,
    double LearningRate,
    double Momentum,
    double Beta1,
    double Beta2,
    double Epsilon,
    double WeightDecay,
    double Alpha = 0.99,
    double Margin = 1.0,
    double Delta = 1.0,
    double StochasticDepth = 0,
    double DecoupledWeightDecay = 0.01,
    bool Amsgrad = false,
    bool Centered = false,
    double Rho = 0.9,
    double L1 = 0.0,
    double MaxNorm = 0.0,
    double LabelSmoothing = 0.0,
    int Classes = 0,
    EquatableArray<int> ClassTree = default);

/// <summary>
/// A network declaration, as read from source by the Parser: everything the Planner needs and nothing from Roslyn
/// except plain locations. <see cref="InputShape"/> is per sample: [features] or [C, H, W].
/// </summary>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<int> InputShape,
    int BatchSize,
    TrainingSpec Training,
    EquatableArray<LayerSpec> Layers,
    LocationInfo? AttributeLocation,
    EquatableArray<NamedLocation> ArgumentLocations)
{
    /// <summary>The location of a named <c>[Network]</c> argument, or the attribute's when the declaration does not write it.</summary>
    public LocationInfo? LocationOf(string argumentName) => WrittenLocationOf(argumentName) ?? AttributeLocation;

    /// <summary>The location of a named <c>[Network]</c> argument, or null when the declaration does not write it.</summary>
    public LocationInfo? WrittenLocationOf(string argumentName) => NamedLocation.Find(ArgumentLocations, argumentName);
}

/// <summary>
/// A block class (<c>[Block]</c>): a sequence of layers used by type, e.g. by <c>[Residual(typeof(BasicBlock))]</c>.
/// <see cref="TypeName"/> is fully qualified, as <c>typeof</c> arguments are recorded.
/// </summary>
internal sealed record BlockSpec(string TypeName, string Name, EquatableArray<LayerSpec> Layers, LocationInfo? Location, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>What the Parser produced for one class: a spec (null when nothing can be generated) and diagnostics.
/// <see cref="HintName"/> is the generated file's name (see <see cref="NetGenGenerator.HintNames"/>).</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, string? HintName = null);
