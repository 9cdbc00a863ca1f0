using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetGen;

/// <summary>
/// Statistics of one stored node output over the rows of the last forward pass, and of its gradient ∂L/∂y over the last
/// backward pass.
/// </summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="Kind">The layer kind ("ReLU", "Sigmoid", "Tanh", "Dense", …).</param>
/// <param name="Rows">Rows of the forward pass measured.</param>
/// <param name="Mean">Mean of the activations.</param>
/// <param name="Std">Standard deviation (population) of the activations.</param>
/// <param name="GradientMean">Mean of ∂L/∂y; NaN when gradients are not recorded or the layer has none.</param>
/// <param name="GradientStd">Standard deviation (population) of ∂L/∂y; NaN likewise.</param>
/// <param name="DeadFraction">ReLU only (else NaN): the fraction of units (features, or C×H×W positions) that are 0 for
/// every row of the batch: they pass no gradient, and stay dead while every input keeps them below 0.</param>
/// <param name="SaturatedFraction">Sigmoid and tanh only (else NaN): the fraction of values in a flat end of the curve,
/// where the local gradient is almost 0: sigmoid y &lt; 0.01 or y &gt; 0.99 (σ' &lt; 0.0099), tanh |y| &gt; 0.99 (tanh' &lt; 0.02).</param>
/// <param name="Flag">Why the layer is flagged, or null.</param>
public readonly record struct LayerStatistics(string Layer, string Kind, int Rows, double Mean, double Std, double GradientMean, double GradientStd,
    double DeadFraction, double SaturatedFraction, string? Flag)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Layer} ({Kind}): mean {Mean:G4}, std {Std:G4}; ∂L/∂y mean {GradientMean:G4}, std {GradientStd:G4}{(double.IsNaN(DeadFraction) ? string.Empty : $", dead {DeadFraction:P1}")}{(double.IsNaN(SaturatedFraction) ? string.Empty : $", saturated {SaturatedFraction:P1}")}{(Flag is null ? string.Empty : "  ← " + Flag)}");
}

/// <summary>
/// Per-layer activation and gradient statistics (the CS231n notes, "babysitting the learning process": activation and
/// gradient histograms of every layer; the fraction of dead ReLUs; saturated sigmoid or tanh units signal a bad
/// initialisation or learning rate). It reads the network's own views of its last forward and backward pass
/// (<see cref="INeuralNetwork.GetActivations"/>, <see cref="INeuralNetwork.GetActivationGradients"/>), so the training step is
/// unchanged; <see cref="Measure"/> and <see cref="Observe"/> allocate nothing after construction. Typical use inside
/// <c>Fit</c>: <c>OnBatchEnd = _ => monitor.Observe()</c>, then <c>monitor.Report()</c> at an epoch's end.
/// </summary>
public sealed class ActivationMonitor
{
    /// <summary>Sigmoid outputs below this (or above 1 minus it) count as saturated.</summary>
    public const double SigmoidSaturation = 0.01;

    /// <summary>Tanh outputs with |y| above this count as saturated.</summary>
    public const double TanhSaturation = 0.99;

    private readonly INeuralNetwork _network;
    private readonly IReadOnlyList<ActivationInfo> _table;
    private readonly LayerStatistics[] _statistics;
    private readonly bool[] _alive;

    /// <summary>Creates the monitor, switches on <see cref="INeuralNetwork.RecordActivations"/> (the outputs that no kernel
    /// reads are then stored too: one write each per forward) and, with <paramref name="recordGradients"/>,
    /// <see cref="INeuralNetwork.RecordActivationGradients"/> (one copy per layer and training step).</summary>
    /// <param name="network">The network to watch.</param>
    /// <param name="everySteps">Steps between two measurements by <see cref="Observe"/>, ≥ 1.</param>
    /// <param name="recordGradients">Whether to keep and measure ∂L/∂y.</param>
    public ActivationMonitor(INeuralNetwork network, int everySteps = 100, bool recordGradients = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        EverySteps = everySteps >= 1 ? everySteps : throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "everySteps must be ≥ 1.");
        _table = network.ActivationTable;
        _statistics = new LayerStatistics[_table.Count];
        int widest = 0;
        foreach (ActivationInfo info in _table)
        {
            widest = Math.Max(widest, info.Length);
        }

        _alive = new bool[widest];
        network.RecordActivations = true;
        if (recordGradients)
        {
            network.RecordActivationGradients = true;
        }
    }

    /// <summary>Steps between two measurements by <see cref="Observe"/>.</summary>
    public int EverySteps { get; }

    /// <summary>A ReLU layer with more dead units than this is flagged. Default 0.2 (the notes warn that with too high a
    /// learning rate as much as 40 % of a network can be dead).</summary>
    public double MaxDeadFraction { get; init; } = 0.2;

    /// <summary>A sigmoid or tanh layer with more saturated values than this is flagged. Default 0.2.</summary>
    public double MaxSaturatedFraction { get; init; } = 0.2;

    /// <summary>The step at which the statistics were last measured (−1 = never).</summary>
    public long MeasuredAtStep { get; private set; } = -1;

    /// <summary>The last statistics, one per entry of <see cref="INeuralNetwork.ActivationTable"/>.</summary>
    public ReadOnlySpan<LayerStatistics> Statistics => _statistics;

    /// <summary>Call after each optimizer step: measures every <see cref="EverySteps"/> steps.</summary>
    public void Observe()
    {
        if (_network.Step % EverySteps == 0)
        {
            Measure();
        }
    }

    /// <summary>Measures the last forward and backward pass now and returns the statistics (a view of <see cref="Statistics"/>).</summary>
    public ReadOnlySpan<LayerStatistics> Measure()
    {
        int rows = _network.ActivationRows;
        for (int i = 0; i < _table.Count; i++)
        {
            ActivationInfo info = _table[i];
            ReadOnlySpan<float> y = _network.GetActivations(i);
            ReadOnlySpan<float> dy = _network.GetActivationGradients(i);
            (double mean, double std) = MeanStd(y);
            (double gradientMean, double gradientStd) = dy.IsEmpty ? (double.NaN, double.NaN) : MeanStd(dy);
            double dead = info.Kind == "ReLU" ? DeadFraction(y, info.Length) : double.NaN;
            double saturated = info.Kind switch
            {
                "Sigmoid" => SaturatedFraction(y, sigmoid: true),
                "Tanh" => SaturatedFraction(y, sigmoid: false),
                _ => double.NaN,
            };
            string? flag = dead > MaxDeadFraction ? "dead ReLUs: lower the learning rate, check the initialisation and the biases"
                : saturated > MaxSaturatedFraction ? "saturated: the initial weights are too large or the inputs not normalised"
                : null;
            _statistics[i] = new LayerStatistics(info.Layer, info.Kind, rows, mean, std, gradientMean, gradientStd, dead, saturated, flag);
        }

        MeasuredAtStep = _network.Step;
        return _statistics;
    }

    /// <summary>The layers flagged by the last measurement.</summary>
    public IReadOnlyList<string> Flagged()
    {
        var flagged = new List<string>();
        foreach (LayerStatistics s in _statistics)
        {
            if (s.Flag is not null)
            {
                flagged.Add(s.Layer);
            }
        }

        return flagged;
    }

    /// <summary>One line per layer, flagged layers marked.</summary>
    public string Report()
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"activations at step {MeasuredAtStep} ({_network.ActivationRows} rows):")).AppendLine();
        foreach (LayerStatistics s in _statistics)
        {
            text.Append("  ").Append(s.ToString()).AppendLine();
        }

        return text.ToString();
    }

    /// <summary>A copy of every layer's activations of the last forward pass, by layer name (for histograms).</summary>
    public IReadOnlyDictionary<string, float[]> ActivationValues()
    {
        var values = new Dictionary<string, float[]>();
        for (int i = 0; i < _table.Count; i++)
        {
            values[_table[i].Layer] = _network.GetActivations(i).ToArray();
        }

        return values;
    }

    /// <summary>A copy of every recorded ∂L/∂y of the last backward pass, by layer name (for histograms); layers without a
    /// gradient are left out.</summary>
    public IReadOnlyDictionary<string, float[]> GradientValues()
    {
        var values = new Dictionary<string, float[]>();
        for (int i = 0; i < _table.Count; i++)
        {
            ReadOnlySpan<float> dy = _network.GetActivationGradients(i);
            if (!dy.IsEmpty)
            {
                values[_table[i].Layer] = dy.ToArray();
            }
        }

        return values;
    }

    /// <summary>Mean and population standard deviation, summed in double; NaN for no values.</summary>
    internal static (double Mean, double Std) MeanStd(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return (double.NaN, double.NaN);
        }

        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        double mean = sum / values.Length, squares = 0;
        foreach (float v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return (mean, Math.Sqrt(squares / values.Length));
    }

    /// <summary>The fraction of units (columns of [rows, units]) that are ≤ 0 in every row.</summary>
    private double DeadFraction(ReadOnlySpan<float> y, int units)
    {
        if (y.IsEmpty)
        {
            return double.NaN;
        }

        Span<bool> alive = _alive.AsSpan(0, units);
        alive.Clear();
        for (int r = 0; r < y.Length; r += units)
        {
            ReadOnlySpan<float> row = y.Slice(r, units);
            for (int u = 0; u < units; u++)
            {
                alive[u] |= row[u] > 0;
            }
        }

        int dead = 0;
        foreach (bool a in alive)
        {
            dead += a ? 0 : 1;
        }

        return (double)dead / units;
    }

    private static double SaturatedFraction(ReadOnlySpan<float> y, bool sigmoid)
    {
        if (y.IsEmpty)
        {
            return double.NaN;
        }

        int saturated = 0;
        foreach (float v in y)
        {
            bool flat = sigmoid ? v < SigmoidSaturation || v > 1 - SigmoidSaturation : Math.Abs(v) > TanhSaturation;
            saturated += flat ? 1 : 0;
        }

        return (double)saturated / y.Length;
    }
}
