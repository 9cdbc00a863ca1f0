using System.Globalization;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// The output size of a window sliding over one spatial dimension, out = (N − F + 2P)/S + 1, checked as the CS231n notes
/// ask: it must be a whole number ≥ 1 (PyTorch would silently drop the last rows). NG0105 shows the arithmetic and a fix.
/// </summary>
internal static class Window2D
{
    public static int? Output(int n, int f, int p, int s, string dimension, LayerSpec spec, string kind, ShapeContext shapes)
    {
        int span = n - f + (2 * p);
        string arithmetic = $"({I(n)} − {I(f)} + 2·{I(p)})/{I(s)} + 1";
        if (span < 0)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.OutputSizeNotWhole, spec.LocationOfAny("Kernel", "Padding"), kind, shapes.Display, shapes.Network, dimension,
                $"{arithmetic} = {Number((double)span / s + 1)} is less than 1 (the {I(f)}-wide window is larger than the padded input of {I(n + (2 * p))})",
                $"Use a kernel of at most {I(n + (2 * p))} or Padding = {I((f - n + 1) / 2)}."));
            return null;
        }

        if (span % s != 0)
        {
            string fix = "Use " + Alternatives(n, f, p, s);
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.OutputSizeNotWhole, spec.LocationOfAny("Stride", "Kernel"), kind, shapes.Display, shapes.Network, dimension,
                $"{arithmetic} = {Number((double)span / s + 1)} is not a whole number", fix + "."));
            return null;
        }

        return (span / s) + 1;
    }

    /// <summary>"Stride = 2 or Padding = 1": the nearest stride below (else above) and the smallest larger padding that tile.</summary>
    private static string Alternatives(int n, int f, int p, int s)
    {
        int span = n - f + (2 * p);
        int? stride = null;
        for (int candidate = s - 1; candidate >= 1 && stride is null; candidate--)
        {
            stride = span % candidate == 0 ? candidate : null;
        }

        for (int candidate = s + 1; candidate <= span && stride is null; candidate++)
        {
            stride = span % candidate == 0 ? candidate : null;
        }

        int? padding = null;
        for (int candidate = p + 1; candidate <= p + s && padding is null; candidate++)
        {
            padding = (n - f + (2 * candidate)) % s == 0 ? candidate : null;
        }

        return (stride, padding) switch
        {
            ({ } a, { } b) => $"Stride = {I(a)} or Padding = {I(b)}",
            ({ } a, null) => $"Stride = {I(a)}",
            (null, { } b) => $"Padding = {I(b)}",
            _ => "another kernel size",
        };
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
