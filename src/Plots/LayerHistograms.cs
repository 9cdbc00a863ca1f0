using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace NetGen;

/// <summary>
/// One histogram per named tensor (a layer's weights, gradients, activations or their gradients), in a grid of panels,
/// each titled with its name and captioned with its mean, standard deviation and range. It takes any named float values:
/// a dictionary, (name, span) pairs through <see cref="Add"/>, or a network's parameters or gradients
/// (<see cref="OfParameters"/>, <see cref="OfGradients"/>). The values are counted when added and not kept.
/// What to look for: activations piling up at 0 (dead ReLUs) or at ±1 (saturated tanh), gradients that shrink layer
/// after layer towards the input (vanishing) or grow (exploding).
/// </summary>
/// <example><code>
/// LayerHistograms.OfGradients(net).Save("pictures/gradients");
/// new LayerHistograms("Activations").Add("conv1", conv1Output).Add("fc1", fc1Output).Save("pictures/activations");
/// </code></example>
public sealed class LayerHistograms : Picture
{
    private readonly List<TensorHistogram> _histograms = [];

    /// <summary>An empty set of histograms; add tensors with <see cref="Add"/>.</summary>
    /// <param name="title">The picture's title; empty for none.</param>
    /// <param name="bins">Bins per histogram, ≥ 1.</param>
    /// <param name="columns">Panels per row, ≥ 1.</param>
    /// <param name="panelWidth">Width of a panel, ≥ 150.</param>
    /// <param name="panelHeight">Height of a panel, ≥ 120.</param>
    public LayerHistograms(string title = "", int bins = 40, int columns = 4, int panelWidth = 320, int panelHeight = 240)
    {
        ArgumentNullException.ThrowIfNull(title);
        Title = title;
        Bins = bins >= 1 ? bins : throw new ArgumentOutOfRangeException(nameof(bins), bins, "bins must be ≥ 1.");
        Columns = columns >= 1 ? columns : throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be ≥ 1.");
        PanelWidth = panelWidth >= 150 ? panelWidth : throw new ArgumentOutOfRangeException(nameof(panelWidth), panelWidth, "panelWidth must be ≥ 150.");
        PanelHeight = panelHeight >= 120 ? panelHeight : throw new ArgumentOutOfRangeException(nameof(panelHeight), panelHeight, "panelHeight must be ≥ 120.");
    }

    /// <summary>Histograms of every tensor of <paramref name="tensors"/>, in its order.</summary>
    public LayerHistograms(IEnumerable<KeyValuePair<string, float[]>> tensors, string title = "", int bins = 40, int columns = 4)
        : this(title, bins, columns)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (KeyValuePair<string, float[]> tensor in tensors)
        {
            Add(tensor.Key, tensor.Value);
        }
    }

    /// <summary>The title above the panels.</summary>
    public string Title { get; }

    /// <summary>Bins per histogram.</summary>
    public int Bins { get; }

    /// <summary>Panels per row.</summary>
    public int Columns { get; }

    /// <summary>Width of a panel.</summary>
    public int PanelWidth { get; }

    /// <summary>Height of a panel.</summary>
    public int PanelHeight { get; }

    /// <summary>The histograms, in the order added.</summary>
    public IReadOnlyList<TensorHistogram> Histograms => _histograms;

    /// <inheritdoc/>
    public override int Width => PanelWidth * Math.Max(1, Math.Min(Columns, _histograms.Count));

    /// <inheritdoc/>
    public override int Height => (Title.Length == 0 ? 0 : Panels.TitleHeight) + (PanelHeight * Math.Max(1, (_histograms.Count + Columns - 1) / Columns));

    /// <summary>Histograms of a network's parameter tensors (state_dict keys), e.g. "conv1.weight".</summary>
    public static LayerHistograms OfParameters(INeuralNetwork network, string title = "Parameters", int bins = 40, int columns = 4) =>
        OfArena(network, network.Parameters, title, bins, columns);

    /// <summary>Histograms of the gradients of the last training step (or ComputeGradients), per parameter tensor.</summary>
    public static LayerHistograms OfGradients(INeuralNetwork network, string title = "Gradients of the last step", int bins = 40, int columns = 4) =>
        OfArena(network, network.Gradients, title, bins, columns);

    /// <summary>Counts <paramref name="values"/> into a new histogram named <paramref name="name"/>; returns this.</summary>
    public LayerHistograms Add(string name, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        _histograms.Add(TensorHistogram.Of(name, values, Bins));
        return this;
    }

    /// <inheritdoc/>
    protected override void Draw(SKCanvas canvas)
    {
        var plots = new List<Plot>();
        try
        {
            for (int i = 0; i < _histograms.Count; i++)
            {
                TensorHistogram h = _histograms[i];
                string caption = h.Total == 0
                    ? "no finite value"
                    : string.Create(CultureInfo.InvariantCulture, $"mean {h.Mean:G3}, std {h.Std:G3}") + (h.NonFinite > 0 ? $", {h.NonFinite} not finite" : "");
                Plot plot = Panels.NewPlot(h.Name, caption, "count");
                plot.Axes.Title.Label.FontSize = 13;
                plot.Axes.Bottom.Label.FontSize = 11;
                plot.Axes.Bottom.Label.Bold = false;
                var bars = new List<Bar>(h.Counts.Count);
                for (int b = 0; b < h.Counts.Count; b++)
                {
                    bars.Add(new Bar
                    {
                        Position = h.Min + ((b + 0.5) * h.BinWidth),
                        Value = h.Counts[b],
                        Size = h.BinWidth,
                        FillColor = Panels.ColorAt(0),
                        LineWidth = 0,
                    });
                }

                plot.Add.Bars(bars);
                plot.Axes.Margins(bottom: 0);
                plots.Add(plot);
            }

            int top = Title.Length == 0 ? 0 : Panels.TitleHeight;
            Panels.DrawTitle(canvas, Title, Width);
            Panels.Draw(canvas, plots, Columns, PanelWidth, PanelHeight, top);
        }
        finally
        {
            foreach (Plot plot in plots)
            {
                plot.Dispose();
            }
        }
    }

    private static LayerHistograms OfArena(INeuralNetwork network, ReadOnlySpan<float> arena, string title, int bins, int columns)
    {
        ArgumentNullException.ThrowIfNull(network);
        var pictures = new LayerHistograms(title, bins, columns);
        foreach (ParameterInfo info in network.ParameterTable)
        {
            pictures.Add(info.Key, arena.Slice(info.Offset, info.Length));
        }

        return pictures;
    }
}

/// <summary>
/// The histogram of one tensor: <see cref="Counts"/> of its finite values in equal bins over [<see cref="Min"/>,
/// <see cref="Max"/>] (the last bin includes <see cref="Max"/>), with their mean and population standard deviation.
/// When every value is the same, the one bin spans value ± 0.5.
/// </summary>
public sealed class TensorHistogram
{
    private TensorHistogram(string name, long[] counts, double min, double max, double mean, double std, long total, long nonFinite)
    {
        Name = name;
        Counts = counts;
        Min = min;
        Max = max;
        Mean = mean;
        Std = std;
        Total = total;
        NonFinite = nonFinite;
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>Finite values per bin.</summary>
    public IReadOnlyList<long> Counts { get; }

    /// <summary>The left edge of the first bin.</summary>
    public double Min { get; }

    /// <summary>The right edge of the last bin.</summary>
    public double Max { get; }

    /// <summary>The width of a bin.</summary>
    public double BinWidth => (Max - Min) / Counts.Count;

    /// <summary>The mean of the finite values (NaN when there is none).</summary>
    public double Mean { get; }

    /// <summary>The population standard deviation of the finite values (NaN when there is none).</summary>
    public double Std { get; }

    /// <summary>Finite values counted.</summary>
    public long Total { get; }

    /// <summary>Values left out because they are NaN or infinite.</summary>
    public long NonFinite { get; }

    /// <summary>Counts the finite values of <paramref name="values"/> into <paramref name="bins"/> equal bins between their
    /// smallest and largest value (sums in double).</summary>
    public static TensorHistogram Of(string name, ReadOnlySpan<float> values, int bins)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, squares = 0;
        long total = 0, nonFinite = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                nonFinite++;
                continue;
            }

            total++;
            sum += v;
            squares += (double)v * v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        if (total == 0)
        {
            return new TensorHistogram(name, new long[bins], -0.5, 0.5, double.NaN, double.NaN, 0, nonFinite);
        }

        if (max == min)
        {
            (min, max) = (min - 0.5, max + 0.5);
        }

        var counts = new long[bins];
        double scale = bins / (max - min);
        foreach (float v in values)
        {
            if (float.IsFinite(v))
            {
                counts[Math.Clamp((int)((v - min) * scale), 0, bins - 1)]++;
            }
        }

        double mean = sum / total;
        return new TensorHistogram(name, counts, min, max, mean, Math.Sqrt(Math.Max((squares / total) - (mean * mean), 0)), total, nonFinite);
    }
}
