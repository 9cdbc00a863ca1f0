using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Catalog.Layers;

namespace NetGen.Generator.Catalog;

/// <summary>
/// The registry of layer kinds: one <see cref="LayerEntry"/> per attribute, each in its own file under Layers/. The
/// Parser finds an attribute's entry by its metadata name, the Planner and Emitter by <see cref="LayerEntry.Kind"/>.
/// </summary>
internal static class LayerCatalog
{
    private static readonly LayerEntry[] All =
    {
        new DenseEntry(),
        new ReLUEntry(),
        new LeakyReLUEntry(),
        new PReLUEntry(),
        new SigmoidEntry(),
        new TanhEntry(),
        new EluEntry(),
        new IdentityEntry(),
        new DropoutEntry(),
        new VanillaDropoutEntry(),
        new GaussianDropoutEntry(),
        new Dropout2DEntry(),
        new StandoutEntry(),
        new DropConnectEntry(),
        new Conv2DEntry(),
        new MaxPool2DEntry(),
        new FractionalMaxPool2DEntry(),
        new AvgPool2DEntry(),
        new GlobalAvgPool2DEntry(),
        new FlattenEntry(),
        new BatchNorm1DEntry(),
        new BatchNorm2DEntry(),
        new LayerNormEntry(),
        new LocalResponseNormEntry(),
        new MaxoutEntry(),
        new ResidualEntry(),
        new StochasticDepthEntry(), // planned by ResidualEntry; no attribute of its own
    };

    private static readonly Dictionary<string, LayerEntry> ByKind = Index(e => e.Kind);

    private static readonly Dictionary<string, LayerEntry> ByAttribute = Index(e => e.AttributeName);

    public static IReadOnlyList<LayerEntry> Entries => All;

    public static LayerEntry Get(string kind) =>
        ByKind.TryGetValue(kind, out LayerEntry? entry) ? entry : throw new KeyNotFoundException($"No catalog entry for layer kind '{kind}'.");

    public static LayerEntry? ForAttribute(string attributeName) => ByAttribute.TryGetValue(attributeName, out LayerEntry? entry) ? entry : null;

    /// <summary>The names a layer attribute can be written with in source ("Dense", "DenseAttribute"): a syntax-only
    /// filter, before any binding, for the check of layer attributes on a class without [Network] (NG0008).</summary>
    private static readonly HashSet<string> SimpleNames = SimpleNamesOf(All);

    public static bool MayBeLayerAttribute(string simpleName) => SimpleNames.Contains(simpleName);

    private static HashSet<string> SimpleNamesOf(LayerEntry[] entries)
    {
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (LayerEntry e in entries)
        {
            string full = e.AttributeName.Substring(e.AttributeName.LastIndexOf('.') + 1);
            names.Add(full);
            if (full.EndsWith("Attribute", System.StringComparison.Ordinal))
            {
                names.Add(full.Substring(0, full.Length - "Attribute".Length));
            }
        }

        return names;
    }

    internal static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, LayerEntry> Index(System.Func<LayerEntry, string> key)
    {
        var map = new Dictionary<string, LayerEntry>();
        foreach (LayerEntry entry in All)
        {
            map[key(entry)] = entry;
        }

        return map;
    }
}
