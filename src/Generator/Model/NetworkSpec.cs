namespace NetGen.Generator.Model;

/// <summary>The kinds of layer NetGen knows. Each has one entry in <see cref="Catalog.LayerCatalog"/>.</summary>
internal enum LayerKind
{
    Dense,
    ReLU,
    LeakyReLU,
    PReLU,
    Sigmoid,
    Tanh,
    Elu,
    Identity,
    Dropout,
}

/// <summary>Mirrors <c>NetGen.Loss</c> (same values).</summary>
internal enum LossKind
{
    SoftmaxCrossEntropy = 0,
    MulticlassHinge = 1,
}

/// <summary>Mirrors <c>NetGen.Optimizer</c> (same values).</summary>
internal enum OptimizerKind
{
    Sgd = 0,
    Momentum = 1,
    Nesterov = 2,
    Adam = 3,
    AdaGrad = 4,
    RmsProp = 5,
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
}

/// <summary>
/// One layer attribute, as read from source. <see cref="Argument"/> is the kind's number argument: units (Dense),
/// slope (LeakyReLU), initial slope (PReLU), α (ELU) or drop probability (Dropout).
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    string? Name,
    int Units,
    double Argument,
    bool Bias,
    InitKind Init,
    double BiasInit,
    LocationInfo? Location,
    LocationInfo? ArgumentLocation,
    LocationInfo? NameLocation);

/// <summary>A named attribute argument's location, so a diagnostic can point at exactly that argument.</summary>
internal sealed record NamedLocation(string Name, LocationInfo Location)
{
    /// <summary>The location of the argument named <paramref name="argumentName"/>, or null when it is not written.</summary>
    public static LocationInfo? Find(System.Collections.Generic.IEnumerable<NamedLocation> arguments, string argumentName)
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
    double Alpha = 0.99);

/// <summary>
/// A network declaration, as read from source by the Parser: everything the Planner needs and nothing from Roslyn
/// except plain locations.
/// </summary>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    int InputSize,
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

/// <summary>What the Parser produced for one class: a spec (null when nothing can be generated) and diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
