using System;
using System.Collections.Generic;
using ScottPlot;
using SkiaSharp;

namespace NetGen;

/// <summary>
/// Lays ScottPlot plots out as a grid of equal panels on one canvas, under an optional title band, and holds the small
/// helpers the pictures share (a line without its NaN points, the colours).
/// </summary>
internal static class Panels
{
    /// <summary>Height of the title band above the panels, in pixels.</summary>
    public const int TitleHeight = 30;

    /// <summary>Draws <paramref name="plots"/> row by row, <paramref name="columns"/> to a row, each in a
    /// <paramref name="panelWidth"/> × <paramref name="panelHeight"/> panel, below a band of <paramref name="top"/> pixels.</summary>
    public static void Draw(SKCanvas canvas, IReadOnlyList<Plot> plots, int columns, int panelWidth, int panelHeight, int top)
    {
        for (int i = 0; i < plots.Count; i++)
        {
            int row = i / columns, column = i % columns;
            float left = column * panelWidth, upper = top + (row * panelHeight);

            // ScottPlot draws a plot a second time when the first pass changed its layout (tick label sizes); on an SVG
            // canvas both passes would stay in the file, every text twice. A first pass in memory settles the layout.
            plots[i].RenderInMemory(panelWidth, panelHeight);

            // A plot clears its rectangle's background with SKCanvas.Clear, which fills the whole canvas unless clipped.
            canvas.Save();
            canvas.ClipRect(SKRect.Create(left, upper, panelWidth, panelHeight));
            plots[i].Render(canvas, new PixelRect(left, left + panelWidth, upper + panelHeight, upper));
            canvas.Restore();
        }
    }

    /// <summary>A sans-serif family installed here (ScottPlot's own detection answers "DejaVu Serif" for every kind on
    /// Debian), else ScottPlot's choice.</summary>
    public static readonly string SansFont = FindSans();

    /// <summary>Writes <paramref name="title"/> centred in the band of <see cref="TitleHeight"/> pixels at the top.</summary>
    public static void DrawTitle(SKCanvas canvas, string title, int width)
    {
        if (title.Length == 0)
        {
            return;
        }

        using SKTypeface typeface = SKTypeface.FromFamilyName(SansFont, SKFontStyle.Bold) ?? SKTypeface.Default;
        using var font = new SKFont(typeface, 16);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, width / 2f, 21, SKTextAlign.Center, font, paint);
    }

    /// <summary>A plot with the sans-serif font, a title and axis labels.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(SansFont);
        plot.Legend.FontName = SansFont;
        plot.Title(title, 14);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        return plot;
    }

    /// <summary>Adds the points of (x, y) where both are finite as a line with markers labelled <paramref name="label"/>;
    /// false (nothing added) when no point is finite.</summary>
    /// <remarks>Lines are solid: SkiaSharp's SVG canvas does not write dash patterns (path effects; it prints
    /// "Unsupported path effect" and draws the line solid), so series differ by colour and width in both formats.</remarks>
    public static bool AddLine(Plot plot, IReadOnlyList<double> x, IReadOnlyList<double> y, string label, Color color, float width = 2)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            if (double.IsFinite(x[i]) && double.IsFinite(y[i]))
            {
                xs.Add(x[i]);
                ys.Add(y[i]);
            }
        }

        if (xs.Count == 0)
        {
            return false;
        }

        var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
        line.LegendText = label;
        line.LineWidth = width;
        line.MarkerSize = xs.Count > 60 ? 0 : 6;
        return true;
    }

    private static string FindSans()
    {
        var installed = new HashSet<string>(SKFontManager.Default.GetFontFamilies(), StringComparer.OrdinalIgnoreCase);
        foreach (string family in new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI" })
        {
            if (installed.Contains(family))
            {
                return family;
            }
        }

        return Fonts.Sans;
    }

    /// <summary>The i-th colour of the Category10 palette (ScottPlot's default), repeating.</summary>
    public static Color ColorAt(int i) => new ScottPlot.Palettes.Category10().GetColor(i);
}
