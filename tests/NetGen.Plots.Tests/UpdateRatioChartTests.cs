namespace NetGen.Plots.Tests;

/// <summary>UpdateRatioRecorder keeps every measurement of the monitor; UpdateRatioChart draws them on a log scale.</summary>
public sealed class UpdateRatioChartTests : TempFolderTest
{
    [Fact]
    public void Recorder_KeepsEveryMeasurement_AtTheStepsTheMonitorMeasures()
    {
        var net = new PictureMlp(4);
        var recorder = new UpdateRatioRecorder(net, everySteps: 2);
        var lastRatios = new List<double[]>();
        net.Fit(PictureFiles.Clusters(160, 4), new FitOptions
        {
            Epochs = 2, Seed = 4, Progress = TrainingProgress.None,
            OnBatchEnd = _ =>
            {
                long before = recorder.Monitor!.MeasuredAtStep;
                recorder.Observe();
                if (recorder.Monitor.MeasuredAtStep != before)
                {
                    lastRatios.Add(recorder.Monitor.Ratios.ToArray());
                }
            },
        });

        // The monitor copies the parameters at even steps and measures after the next one: steps 3, 5, 7, …
        long steps = net.Step;
        Assert.Equal(20, steps);
        Assert.Equal(Enumerable.Range(1, (int)((steps - 1) / 2)).Select(k => (long)((2 * k) + 1)), recorder.Steps);
        Assert.Equal(["1.weight", "1.bias", "3.weight", "3.bias"], recorder.Keys);   // PyTorch indices: Flatten is layer 0
        Assert.Equal(lastRatios.Count, recorder.Count);
        for (int t = 0; t < recorder.Keys.Count; t++)
        {
            double[] series = recorder.Series(t);
            Assert.Equal(lastRatios.Select(r => r[t]), series);
            Assert.All(series, r => Assert.True(r > 0 && r < 1, $"ratio {r} of {recorder.Keys[t]}"));
        }
    }

    [Fact]
    public void Chart_WritesEveryTensorAndTheGuideLine()
    {
        var recorder = new UpdateRatioRecorder(["conv1.weight", "conv1.bias", "fc.weight"]);
        recorder.Add(10, [1e-3, 5e-4, 2e-2]);
        recorder.Add(20, [8e-4, 0, double.NaN]);   // zero and NaN are left out (log scale)
        recorder.Add(30, [7e-4, 3e-4, 1e-2]);
        var chart = new UpdateRatioChart(recorder, width: 700, height: 300);

        chart.Save(Path.Combine(Folder, "ratios"));

        Assert.Equal((700, 300), PictureFiles.PngSize(File.ReadAllBytes(Path.Combine(Folder, "ratios.png"))));
        (_, List<string> texts) = PictureFiles.ReadSvg(Path.Combine(Folder, "ratios.svg"));
        foreach (string expected in new[] { "conv1.weight", "conv1.bias", "fc.weight", "1e-3 (healthy)", "optimizer step", "1e-3", "1e-2", "1e-4" })
        {
            Assert.Contains(expected, texts);
        }

        Assert.Equal([2e-2, double.NaN, 1e-2], recorder.Series(2));
    }

    [Fact]
    public void Recorder_RefusesRowsOfTheWrongLength_AndObserveWithoutMonitor()
    {
        var recorder = new UpdateRatioRecorder(["a", "b"]);
        Assert.Throws<ArgumentException>(() => recorder.Add(1, [1e-3]));
        Assert.Throws<InvalidOperationException>(recorder.Observe);
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Series(2));
    }
}
