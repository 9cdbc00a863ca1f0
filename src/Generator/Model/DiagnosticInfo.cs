using System;
using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Model;

/// <summary>A diagnostic as equatable data: the descriptor's id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments) =>
        new(descriptor, location, Array.ConvertAll(arguments, a => Format(a)).ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(), Array.ConvertAll(ToArray(Arguments), a => (object?)a));

    /// <summary>The message without a location, used in the members emitted when a network has errors.</summary>
    public string Message => Descriptor.Id + ": " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture), ToArray(Arguments));

    public bool IsError => Descriptor.DefaultSeverity == DiagnosticSeverity.Error;

    private static string[] ToArray(EquatableArray<string> items)
    {
        var result = new string[items.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = items[i];
        }

        return result;
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
