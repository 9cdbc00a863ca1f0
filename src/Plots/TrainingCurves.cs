using System;
using System.Collections.Generic;
using ScottPlot;
using SkiaSharp;

namespace NetGen;

/// <summary>
/// Loss and accuracy per epoch, training and validation, side by side, from the <see cref="TrainingHistory"/> that
/// Fit returns. The loss panel shows the mean training-step loss (dropout on, parameters moving), the training loss
/// measured at the epoch's end in inference mode and the validation loss; the second panel shows the training and
/// validation accuracy (RMSE for float targets). A thin grey vertical line marks early stopping's best epoch. Values not
/// measured (NaN) are left out. A widening gap between the training and validation curves is overfitting.
/// </summary>
/// <example><code>
/// TrainingHistory history = net.Fit(data.Train, options);
/// new TrainingCurves(history).Save("pictures/curves");   // curves.png and curves.svg
/// </code></example>
public sealed class TrainingCurves : Picture
{
    /// <summary>Legend text of the mean training-step loss.</summary>
    public const string StepLossLabel = "training steps (mean)";

    /// <summary>Legend text of the curves measured on the training rows at each epoch's end.</summary>
    public const string TrainLabel = "training";

    /// <summary>Legend text of the curves measured on the validation rows.</summary>
    public const string ValidationLabel = "validation";

    private readonly TrainingHistory _history;

    /// <summary>Curves of <paramref name="history"/>.</summary>
    /// <param name="history">The result of Fit (at least one epoch).</param>
    /// <param name="title">The picture's title; empty for none.</param>
    /// <param name="panelWidth">Width of each of the (one or two) panels, ≥ 200.</param>
    /// <param name="panelHeight">Height of the panels, ≥ 150.</param>
    public TrainingCurves(TrainingHistory history, string title = "Training curves", int panelWidth = 480, int panelHeight = 360)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(title);
        if (history.Count == 0)
        {
            throw new ArgumentException("The history has no epoch to draw.", nameof(history));
        }

        PanelWidth = panelWidth >= 200 ? panelWidth : throw new ArgumentOutOfRangeException(nameof(panelWidth), panelWidth, "panelWidth must be ≥ 200.");
        PanelHeight = panelHeight >= 150 ? panelHeight : throw new ArgumentOutOfRangeException(nameof(panelHeight), panelHeight, "panelHeight must be ≥ 150.");
        _history = history;
        Title = title;
        SecondMetric = HasAny("train_accuracy") || HasAny("val_accuracy") ? "accuracy" : HasAny("train_rmse") || HasAny("val_rmse") ? "rmse" : null;
    }

    /// <summary>The title above the panels.</summary>
    public string Title { get; }

    /// <summary>Width of one panel.</summary>
    public int PanelWidth { get; }

    /// <summary>Height of a panel.</summary>
    public int PanelHeight { get; }

    /// <summary>"accuracy", "rmse" or null: what the second panel shows (null: no second panel, only the loss).</summary>
    public string? SecondMetric { get; }

    /// <inheritdoc/>
    public override int Width => PanelWidth * (SecondMetric is null ? 1 : 2);

    /// <inheritdoc/>
    public override int Height => PanelHeight + (Title.Length == 0 ? 0 : Panels.TitleHeight);

    /// <inheritdoc/>
    protected override void Draw(SKCanvas canvas)
    {
        double[] epochs = _history.Column("epoch");
        var plots = new List<Plot>();
        try
        {
            Plot loss = Panels.NewPlot("loss", "epoch", "loss");
            Panels.AddLine(loss, epochs, _history.Column("loss"), StepLossLabel, Panels.ColorAt(2).WithAlpha(0.6), 1.5f);
            Panels.AddLine(loss, epochs, _history.Column("train_loss"), TrainLabel, Panels.ColorAt(0));
            Panels.AddLine(loss, epochs, _history.Column("val_loss"), ValidationLabel, Panels.ColorAt(1));
            plots.Add(loss);
            if (SecondMetric is not null)
            {
                string prefix = SecondMetric == "accuracy" ? "accuracy" : "rmse";
                Plot second = Panels.NewPlot(SecondMetric, "epoch", SecondMetric);
                Panels.AddLine(second, epochs, _history.Column("train_" + prefix), TrainLabel, Panels.ColorAt(0));
                Panels.AddLine(second, epochs, _history.Column("val_" + prefix), ValidationLabel, Panels.ColorAt(1));
                plots.Add(second);
            }

            foreach (Plot plot in plots)
            {
                if (_history.BestEpoch > 0)
                {
                    var best = plot.Add.VerticalLine(_history.BestEpoch, 1, Colors.Gray);
                    best.LegendText = $"best epoch ({_history.BestEpoch})";
                }

                // Whole epochs on the x axis, also for one or two epochs.
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
                plot.Axes.SetLimitsX(0.8, Math.Max(epochs[^1], 1) + 0.2);
                plot.ShowLegend(Alignment.UpperRight);
            }

            plots[0].Legend.Alignment = Alignment.UpperRight;
            if (plots.Count > 1)
            {
                plots[1].Legend.Alignment = SecondMetric == "accuracy" ? Alignment.LowerRight : Alignment.UpperRight;
            }

            int top = Title.Length == 0 ? 0 : Panels.TitleHeight;
            Panels.DrawTitle(canvas, Title, Width);
            Panels.Draw(canvas, plots, plots.Count, PanelWidth, PanelHeight, top);
        }
        finally
        {
            foreach (Plot plot in plots)
            {
                plot.Dispose();
            }
        }
    }

    private bool HasAny(string column)
    {
        foreach (double value in _history.Column(column))
        {
            if (double.IsFinite(value))
            {
                return true;
            }
        }

        return false;
    }
}
