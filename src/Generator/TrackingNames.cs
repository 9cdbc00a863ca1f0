namespace NetGen.Generator;

/// <summary>Names of the incremental pipeline steps, so tests can check that each one is cached.</summary>
public static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Blocks = nameof(Blocks);
    public const string Plan = nameof(Plan);
    public const string Source = nameof(Source);
    public const string Diagnostics = nameof(Diagnostics);
    public const string OrphanLayers = nameof(OrphanLayers);
}
