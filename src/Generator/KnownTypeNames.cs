namespace NetGen.Generator;

/// <summary>Metadata names of the runtime attributes the generator reads (the generator does not reference the runtime).</summary>
internal static class KnownTypeNames
{
    public const string NetworkAttribute = "NetGen.NetworkAttribute";
    public const string LayerAttribute = "NetGen.LayerAttribute";
    public const string Dense = "NetGen.DenseAttribute";
    public const string ReLU = "NetGen.ReLUAttribute";
    public const string LeakyReLU = "NetGen.LeakyReLUAttribute";
    public const string PReLU = "NetGen.PReLUAttribute";
    public const string Sigmoid = "NetGen.SigmoidAttribute";
    public const string Tanh = "NetGen.TanhAttribute";
    public const string Elu = "NetGen.ELUAttribute";
    public const string Identity = "NetGen.IdentityAttribute";
    public const string Dropout = "NetGen.DropoutAttribute";
}
