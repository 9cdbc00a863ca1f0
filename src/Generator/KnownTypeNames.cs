namespace NetGen.Generator;

/// <summary>Metadata names of the runtime attributes the generator keys its pipeline on (the generator does not reference
/// the runtime). Layer attributes are found through the catalog: <c>NetGen.{Kind}Attribute</c>.</summary>
internal static class KnownTypeNames
{
    public const string NetworkAttribute = "NetGen.NetworkAttribute";
    public const string BlockAttribute = "NetGen.BlockAttribute";
    public const string LayerAttribute = "NetGen.LayerAttribute";
}
