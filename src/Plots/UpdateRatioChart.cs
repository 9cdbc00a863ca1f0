using System;
using System.Collections.Generic;
using ScottPlot;
using SkiaSharp;

namespace NetGen;

/// <summary>
/// Keeps every measurement of an <see cref="UpdateRatioMonitor"/> (which holds only the last one), so the
/// update-to-weight ratio ‖ΔW‖₂ / ‖W‖₂ of each parameter tensor can be drawn over time by <see cref="UpdateRatioChart"/>.
/// Call <see cref="Observe"/> after every optimizer step, e.g. <c>OnBatchEnd = _ => recorder.Observe()</c>; it
/// allocates one row every <see cref="UpdateRatioMonitor.EverySteps"/> steps.
/// </summary>
public sealed class UpdateRatioRecorder
{
    private readonly List<long> _steps = [];
    private readonly List<double[]> _rows = [];
    private readonly string[] _keys;

    /// <summary>Records the ratios of every parameter tensor of <paramref name="network"/>.</summary>
    /// <param name="network">The network to watch.</param>
    /// <param name="everySteps">Steps between two measurements, ≥ 1.</param>
    public UpdateRatioRecorder(INeuralNetwork network, int everySteps = 100)
    {
        ArgumentNullException.ThrowIfNull(network);
        Monitor = new UpdateRatioMonitor(network, everySteps);
        _keys = new string[network.ParameterTable.Count];
        for (int t = 0; t < _keys.Length; t++)
        {
            _keys[t] = network.ParameterTable[t].Key;
        }
    }

    /// <summary>Records ratios given by <see cref="Add"/> only (no monitor), for tensors named <paramref name="keys"/>.</summary>
    public UpdateRatioRecorder(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
    }

    /// <summary>The monitor that measures (null when the recorder was made from keys only).</summary>
    public UpdateRatioMonitor? Monitor { get; }

    /// <summary>The state_dict keys of the tensors, in the order of the ratios.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The optimizer step of each measurement.</summary>
    public IReadOnlyList<long> Steps => _steps;

    /// <summary>Measurements recorded.</summary>
    public int Count => _steps.Count;

    /// <summary>Lets the monitor measure (call after each optimizer step) and records its ratios when they are new.</summary>
    public void Observe()
    {
        if (Monitor is null)
        {
            throw new InvalidOperationException("This recorder has no monitor: it was made from keys; record with Add.");
        }

        Monitor.Observe();
        if (Monitor.MeasuredAtStep > 0 && (_steps.Count == 0 || _steps[^1] != Monitor.MeasuredAtStep))
        {
            Add(Monitor.MeasuredAtStep, Monitor.Ratios);
        }
    }

    /// <summary>Records the ratios of every tensor (in the order of <see cref="Keys"/>) measured at <paramref name="step"/>.</summary>
    public void Add(long step, ReadOnlySpan<double> ratios)
    {
        if (ratios.Length != _keys.Length)
        {
            throw new ArgumentException($"{ratios.Length} ratios given for {_keys.Length} tensors.", nameof(ratios));
        }

        _steps.Add(step);
        _rows.Add(ratios.ToArray());
    }

    /// <summary>The ratios of tensor <paramref name="tensor"/> (an index into <see cref="Keys"/>) over time.</summary>
    public double[] Series(int tensor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tensor);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tensor, _keys.Length);
        var series = new double[_rows.Count];
        for (int i = 0; i < series.Length; i++)
        {
            series[i] = _rows[i][tensor];
        }

        return series;
    }
}

/// <summary>
/// The update-to-weight ratio of every parameter tensor over the optimizer steps, on a log scale, with a line at the
/// healthy 1e-3 and the flagging band [1e-4, 1e-2] in thin grey (the CS231n notes, "babysitting the learning process": far
/// below 1e-3 the learning rate is probably too low, far above it too high). Ratios that are zero or not finite are
/// left out (log scale).
/// </summary>
/// <example><code>
/// var ratios = new UpdateRatioRecorder(net, everySteps: 50);
/// net.Fit(data, new FitOptions { OnBatchEnd = _ => ratios.Observe() });
/// new UpdateRatioChart(ratios).Save("pictures/update-ratios");
/// </code></example>
public sealed class UpdateRatioChart : Picture
{
    /// <summary>The ratio the guide line marks.</summary>
    public const double Healthy = 1e-3;

    private readonly UpdateRatioRecorder _recorder;

    /// <summary>The chart of <paramref name="recorder"/>'s measurements.</summary>
    public UpdateRatioChart(UpdateRatioRecorder recorder, string title = "Update-to-weight ratio per tensor", int width = 900, int height = 420)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(title);
        _recorder = recorder;
        Title = title;
        Width = width >= 300 ? width : throw new ArgumentOutOfRangeException(nameof(width), width, "width must be ≥ 300.");
        Height = height >= 200 ? height : throw new ArgumentOutOfRangeException(nameof(height), height, "height must be ≥ 200.");
    }

    /// <summary>The title of the plot.</summary>
    public string Title { get; }

    /// <inheritdoc/>
    public override int Width { get; }

    /// <inheritdoc/>
    public override int Height { get; }

    /// <inheritdoc/>
    protected override void Draw(SKCanvas canvas)
    {
        using Plot plot = Panels.NewPlot(Title, "optimizer step", "‖ΔW‖ / ‖W‖ (log scale)");
        var steps = new double[_recorder.Count];
        for (int i = 0; i < steps.Length; i++)
        {
            steps[i] = _recorder.Steps[i];
        }

        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        for (int t = 0; t < _recorder.Keys.Count; t++)
        {
            double[] series = _recorder.Series(t);
            for (int i = 0; i < series.Length; i++)
            {
                series[i] = series[i] > 0 ? Math.Log10(series[i]) : double.NaN;
                low = double.IsFinite(series[i]) ? Math.Min(low, series[i]) : low;
                high = double.IsFinite(series[i]) ? Math.Max(high, series[i]) : high;
            }

            Panels.AddLine(plot, steps, series, _recorder.Keys[t], Panels.ColorAt(t), t < 10 ? 2 : 1);
        }

        var guide = plot.Add.HorizontalLine(Math.Log10(Healthy), 2, Colors.Black);
        guide.LegendText = "1e-3 (healthy)";
        var band = Colors.Gray;
        plot.Add.HorizontalLine(-4, 1, band).LegendText = "1e-4 and 1e-2";
        plot.Add.HorizontalLine(-2, 1, band);

        // Powers of ten on the y axis, labelled 1e-3 and so on, with the log-spaced minor ticks between them.
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = y => FormattableString.Invariant($"1e{Math.Round(y):0}"),
        };
        low = double.IsFinite(low) ? Math.Min(low, -4) : -4;
        high = double.IsFinite(high) ? Math.Max(high, -2) : -2;
        plot.Axes.SetLimitsY(Math.Floor(low) - 0.1, Math.Ceiling(high) + 0.1);
        plot.ShowLegend(Edge.Right);
        Panels.Draw(canvas, [plot], 1, Width, Height, 0);
    }
}
