namespace NetGen.Plots.Tests;

/// <summary>TrainingCurves: both files written, the PNG of the announced size, the SVG with every panel, axis and series.</summary>
public sealed class TrainingCurvesTests : TempFolderTest
{
    [Fact]
    public void Classifier_WritesLossAndAccuracyPanelsWithEverySeries()
    {
        var net = new PictureMlp(1);
        TrainingHistory history = net.Fit(PictureFiles.Clusters(192, 1), new FitOptions
        {
            Epochs = 3, Seed = 1, ValidationSplit = 0.25, EarlyStopping = new EarlyStopping(patience: 10), Progress = TrainingProgress.None,
        });
        var curves = new TrainingCurves(history);

        curves.Save(Path.Combine(Folder, "sub", "curves"));

        Assert.Equal("accuracy", curves.SecondMetric);
        Assert.Equal((2 * 480, 360 + 30), (curves.Width, curves.Height));
        Assert.Equal((curves.Width, curves.Height), PictureFiles.PngSize(File.ReadAllBytes(Path.Combine(Folder, "sub", "curves.png"))));
        (_, List<string> texts) = PictureFiles.ReadSvg(Path.Combine(Folder, "sub", "curves.svg"));
        foreach (string expected in new[] { "Training curves", "loss", "accuracy", "epoch", TrainingCurves.StepLossLabel, TrainingCurves.TrainLabel, TrainingCurves.ValidationLabel })
        {
            Assert.Contains(expected, texts);
        }

        Assert.True(history.BestEpoch > 0);
        Assert.Contains($"best epoch ({history.BestEpoch})", texts);
        // Both panels have a legend with both measured curves.
        Assert.Equal(2, texts.Count(t => t == TrainingCurves.ValidationLabel));
    }

    [Fact]
    public void FloatTargets_ShowRmseInsteadOfAccuracy_AndWithoutValidationNoValidationCurve()
    {
        var net = new PictureRegression(2);
        TrainingHistory history = net.Fit(PictureFiles.Linear(96, 2), new FitOptions { Epochs = 2, Seed = 2, Progress = TrainingProgress.None });
        var curves = new TrainingCurves(history, title: "", panelWidth: 300, panelHeight: 200);

        string svg = curves.SaveSvg(Path.Combine(Folder, "regression.svg"));

        Assert.Equal("rmse", curves.SecondMetric);
        Assert.Equal((600, 200), PictureFiles.PngSize(File.ReadAllBytes(curves.SavePng(Path.Combine(Folder, "regression.png")))));
        (_, List<string> texts) = PictureFiles.ReadSvg(svg);
        Assert.Contains("rmse", texts);
        Assert.DoesNotContain("accuracy", texts);
        Assert.DoesNotContain(TrainingCurves.ValidationLabel, texts);
        Assert.Contains(TrainingCurves.TrainLabel, texts);
    }

    [Fact]
    public void EmptyHistoryOrTinyPanels_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new TrainingCurves(new TrainingHistory()));
        var net = new PictureRegression(3);
        TrainingHistory history = net.Fit(PictureFiles.Linear(32, 3), new FitOptions { Epochs = 1, Progress = TrainingProgress.None });
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingCurves(history, panelWidth: 10));
    }
}
