using System.Globalization;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator.Catalog.Layers;

/// <summary>
/// The output size of a window sliding over one spatial dimension, out = ⌊(N − F + 2P)/S⌋ + 1, checked as the CS231n notes
/// ask: it must be ≥ 1, and the windows must tile the input, i.e. (N − F + 2P)/S must be a whole number, except that
/// the remainder may fall in the trailing padding (ResNet's 3×3 stride-2 padding-1 convolution on an even size drops
/// only a padding row, as PyTorch's floor does). A remainder that would leave real input rows unread is NG0105, which
/// shows the arithmetic and a fix.
/// </summary>
internal static class Window2D
{
    /// <param name="dilation">D: a kernel of <paramref name="f"/> taps D apart spans D·(f − 1) + 1 positions, the F of
    /// the rule (the message says so).</param>
    /// <param name="strideName">The argument the fix names for the stride ("StrideHeight" when the layer wrote it).</param>
    /// <param name="paddingName">The argument the fix names for the padding.</param>
    /// <param name="dilationName">The argument that set the dilation ("DilationHeight" when the layer wrote it).</param>
    /// <param name="kernelName">The argument that set the window size on this axis ("KernelHeight" for a rectangular window).</param>
    public static int? Output(int n, int f, int p, int s, string dimension, LayerSpec spec, string kind, ShapeContext shapes, int dilation = 1, string strideName = "Stride", string paddingName = "Padding", string dilationName = "Dilation", string kernelName = "Kernel")
    {
        int taps = f;
        f = (int)System.Math.Min(((long)dilation * (f - 1)) + 1, int.MaxValue / 4); // a huge dilation cannot overflow
        int span = n - f + (2 * p);
        string arithmetic = $"({I(n)} − {I(f)} + {I(2 * p)})/{I(s)} + 1" + (dilation == 1 ? string.Empty : $" with the dilated window {I(f)} = {I(dilation)}·({I(taps)} − 1) + 1");
        if (span < 0)
        {
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.OutputSizeNotWhole, (dilation > 1 ? spec.LocationOfAny(dilationName, "Dilation") : spec.LocationOfAny(kernelName, "Kernel", "KernelHeight", paddingName, "Padding")), kind, shapes.Display, shapes.Owner, dimension,
                $"{arithmetic} = {Number((double)span / s + 1)} is less than 1 (the {I(f)}-wide window is larger than the padded input of {I(n + (2 * p))})",
                $"Use a {(dilation > 1 ? "dilated window" : "kernel")} of at most {I(n + (2 * p))} or {paddingName} = {I((f - n + 1) / 2)}."));
            return null;
        }

        if (!Tiles(n, f, p, s))
        {
            int ignored = (span % s) - p;
            string fix = "Use " + Alternatives(n, f, p, s, strideName, paddingName);
            shapes.Report(DiagnosticInfo.Create(DiagnosticDescriptors.OutputSizeNotWhole, spec.LocationOfAny(strideName, "Stride", kernelName, "Kernel", "KernelHeight", dilationName, "Dilation"), kind, shapes.Display, shapes.Owner, dimension,
                $"{arithmetic} = {Number((double)span / s + 1)} is not a whole number (the last {I(ignored)} input {(ignored == 1 ? "row" : "rows")} would never be read)", fix + "."));
            return null;
        }

        return (span / s) + 1;
    }

    /// <summary>NG0121 (a warning) for each square argument (<c>Stride</c>, <c>Padding</c>, <c>Dilation</c>) that the
    /// layer writes together with both of its per-axis arguments (<c>StrideHeight</c> and <c>StrideWidth</c>…), which
    /// replace it on both axes: the value written is silently unused.</summary>
    public static void CheckOverridden(LayerSpec spec, string display, string owner, System.Collections.Generic.List<DiagnosticInfo> diagnostics, params string[] squares)
    {
        foreach (string square in squares)
        {
            if (spec.Arguments.Has(square) && spec.Arguments.Has(square + "Height") && spec.Arguments.Has(square + "Width"))
            {
                int value = spec.Arguments.Int(square, 0);
                string written = spec.Kind == "Conv2D" && square == "Padding" && value == int.MinValue ? "Padding = Conv2DAttribute.Same" : $"{square} = {I(value)}";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowArgumentOverridden, spec.LocationOf(square), spec.Kind, display, owner, written, square + "Height", square + "Width"));
            }
        }
    }

    /// <summary>Whether the windows read every input row: the remainder of (N − F + 2P)/S lies within the trailing padding.</summary>
    public static bool Tiles(int n, int f, int p, int s) => n - f + (2 * p) >= 0 && (n - f + (2 * p)) % s <= p;

    /// <summary>"Stride = 2 or Padding = 1": the nearest stride below (else above) and the smallest larger padding that tile.</summary>
    private static string Alternatives(int n, int f, int p, int s, string strideName, string paddingName)
    {
        int span = n - f + (2 * p);
        int? stride = null;
        for (int candidate = s - 1; candidate >= 1 && stride is null; candidate--)
        {
            stride = Tiles(n, f, p, candidate) ? candidate : null;
        }

        for (int candidate = s + 1; candidate <= span && stride is null; candidate++)
        {
            stride = Tiles(n, f, p, candidate) ? candidate : null;
        }

        int? padding = null;
        for (int candidate = p + 1; candidate <= p + s && padding is null; candidate++)
        {
            padding = Tiles(n, f, candidate, s) ? candidate : null;
        }

        return (stride, padding) switch
        {
            ({ } a, { } b) => $"{strideName} = {I(a)} or {paddingName} = {I(b)}",
            ({ } a, null) => $"{strideName} = {I(a)}",
            (null, { } b) => $"{paddingName} = {I(b)}",
            _ => "another kernel size",
        };
    }

    /// <summary>The input index a window reads, for formulas: "i + u", "2i + u", "2i − 1 + u".</summary>
    public static string Index(string output, int stride, int padding, string offset) =>
        (stride == 1 ? output : I(stride) + output) + (padding == 0 ? string.Empty : " − " + I(padding)) + " + " + offset;

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
