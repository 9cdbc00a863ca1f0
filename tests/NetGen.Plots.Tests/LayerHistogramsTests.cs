namespace NetGen.Plots.Tests;

/// <summary>TensorHistogram counts by hand-checked bins; LayerHistograms takes named tensors or a network's parameters and gradients.</summary>
public sealed class LayerHistogramsTests : TempFolderTest
{
    [Fact]
    public void Histogram_CountsEveryFiniteValueInItsBin()
    {
        float[] values = [0f, 0.1f, 0.5f, 0.99f, 1f, float.NaN, float.PositiveInfinity, 0.25f];

        TensorHistogram h = TensorHistogram.Of("x", values, bins: 4);

        // Bins of width 0.25 over [0, 1]: [0, 0.25) holds 0 and 0.1; [0.25, 0.5) holds 0.25; [0.5, 0.75) holds 0.5;
        // the last bin holds 0.99 and the maximum 1.
        Assert.Equal([2L, 1L, 1L, 2L], h.Counts);
        Assert.Equal((0.0, 1.0, 0.25), (h.Min, h.Max, h.BinWidth));
        Assert.Equal((6L, 2L), (h.Total, h.NonFinite));
        double[] finite = [0, 0.1f, 0.5, 0.99f, 1, 0.25];
        double mean = finite.Average();
        Assert.Equal(mean, h.Mean, 12);
        Assert.Equal(Math.Sqrt(finite.Select(v => (v - mean) * (v - mean)).Average()), h.Std, 12);
    }

    [Fact]
    public void Histogram_OfAConstantTensorSpansTheValuePlusMinusAHalf_AndOfNoFiniteValueIsEmpty()
    {
        TensorHistogram constant = TensorHistogram.Of("c", [3f, 3f, 3f], bins: 3);
        Assert.Equal((2.5, 3.5), (constant.Min, constant.Max));
        Assert.Equal([0L, 3L, 0L], constant.Counts);

        TensorHistogram none = TensorHistogram.Of("n", [float.NaN], bins: 2);
        Assert.Equal((0L, 1L), (none.Total, none.NonFinite));
        Assert.True(double.IsNaN(none.Mean));
    }

    [Fact]
    public void OfGradients_HasOneHistogramPerParameterTensor_MatchingTheRuntimeStatistics()
    {
        var net = new PictureMlp(5);
        var data = PictureFiles.Clusters(16, 5);
        net.ComputeGradients(data.Features, data.Labels);

        LayerHistograms gradients = LayerHistograms.OfGradients(net);
        LayerHistograms parameters = LayerHistograms.OfParameters(net, bins: 10, columns: 2);

        (TensorStatistics Weights, TensorStatistics Gradients)[] statistics = TensorStatistics.OfParameters(net);
        Assert.Equal(PictureMlp.ParameterTable.Select(p => p.Key), gradients.Histograms.Select(h => h.Name));
        for (int t = 0; t < statistics.Length; t++)
        {
            Assert.Equal(PictureMlp.ParameterTable[t].Length, gradients.Histograms[t].Counts.Sum() + gradients.Histograms[t].NonFinite);
            Assert.Equal(statistics[t].Gradients.Mean, gradients.Histograms[t].Mean, 12);
            Assert.Equal(statistics[t].Weights.Std, parameters.Histograms[t].Std, 12);
            // The range is the tensor's, except for a constant tensor (a bias initialised to 0), whose bin spans ±0.5.
            Assert.Equal(statistics[t].Weights.Min - (statistics[t].Weights.Std == 0 ? 0.5 : 0), parameters.Histograms[t].Min);
        }

        gradients.Save(Path.Combine(Folder, "gradients"));
        parameters.SavePng(Path.Combine(Folder, "parameters.png"));

        // 4 tensors: one row of 4 panels under the title band; 2 columns: two rows, no title band... but a title.
        Assert.Equal((4 * 320, 30 + 240), PictureFiles.PngSize(File.ReadAllBytes(Path.Combine(Folder, "gradients.png"))));
        Assert.Equal((2 * 320, 30 + (2 * 240)), PictureFiles.PngSize(File.ReadAllBytes(Path.Combine(Folder, "parameters.png"))));
        (_, List<string> texts) = PictureFiles.ReadSvg(Path.Combine(Folder, "gradients.svg"));
        Assert.Contains("Gradients of the last step", texts);
        foreach (ParameterInfo info in PictureMlp.ParameterTable)
        {
            Assert.Contains(info.Key, texts);
        }

        Assert.Contains(texts, t => t.StartsWith("mean ", StringComparison.Ordinal));
    }

    [Fact]
    public void NamedArrays_KeepTheirOrder_AndSpansAddToThem()
    {
        var activations = new Dictionary<string, float[]>
        {
            ["conv1"] = [0f, 0f, 0.5f, 2f],
            ["fc1"] = [-1f, 1f],
        };

        var pictures = new LayerHistograms(activations, title: "Activations", bins: 2).Add("fc2", new float[] { 1f, 2f, 3f }.AsSpan(1));

        Assert.Equal(["conv1", "fc1", "fc2"], pictures.Histograms.Select(h => h.Name));
        Assert.Equal([3L, 1L], pictures.Histograms[0].Counts);
        Assert.Equal(2L, pictures.Histograms[2].Total);
        (_, List<string> texts) = PictureFiles.ReadSvg(pictures.SaveSvg(Path.Combine(Folder, "activations.svg")));
        Assert.Contains("Activations", texts);
        Assert.Contains("fc2", texts);
        Assert.Equal((3 * 320, 30 + 240), PictureFiles.PngSize(pictures.ToPng()));
    }
}
