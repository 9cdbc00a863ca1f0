using System.Text.Json;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// AveragedParameters against torch.optim.swa_utils.AveragedModel (PyTorch 1.13; tests/reference/
/// make_averaging_reference.py): the Polyak (SWA) average and an EMA, updated after each of 10 steps, the averaged
/// parameters (and running statistics, with averageBuffers) after every update at 1e-5, the averaged model's eval output
/// when swapped in, and the training weights back bit for bit when swapped out; CheckpointEnsemble against the mean of
/// three checkpoints' outputs and softmax probabilities.
/// </summary>
public sealed class AveragingReferenceTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData("mlp", "polyak")]
    [InlineData("mlp", "ema")]
    [InlineData("bn", "polyak")]
    [InlineData("bn", "ema")]
    public void TheAverageIsAveragedModels(string name, string kind)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("averaging_" + name + ".json")));
        JsonElement root = document.RootElement;
        var reference = ReferenceCase.Load("averaging_" + name);
        INeuralNetwork<int> net = name == "bn" ? new AvgBn(reference.Seed) : new AvgMlp(reference.Seed);
        reference.CopyParametersInto(net);
        bool buffers = name == "bn";
        var average = new AveragedParameters(net, kind == "ema" ? root.GetProperty("decay").GetDouble() : null, averageBuffers: buffers);
        JsonElement averaged = root.GetProperty(kind);
        float[] x = reference.X;
        int[] labels = reference.Labels;
        for (int step = 0; step < reference.StepCount; step++)
        {
            net.TrainStep(x, labels);
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(reference.ParameterAfterStep(step, info.Key), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"trained '{info.Key}' after step {step}");
            }

            average.Update();
            Assert.Equal(step + 1, average.Count);
            JsonElement expected = averaged.GetProperty("steps")[step];
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(Doubles(expected.GetProperty("params").GetProperty(info.Key)), average.Parameters.Slice(info.Offset, info.Length), Tolerance, $"{kind} '{info.Key}' after update {step + 1}");
            }
        }

        // Swap in: the network holds the average (parameters and, with buffers, running statistics) and predicts with it.
        float[] trained = net.Parameters.ToArray();
        float[][] trainedBuffers = net.BufferTable.Where(b => b.Dtype == BufferDtype.F32).Select(b => net.GetBuffer(b.Key).ToArray()).ToArray();
        var output = new float[labels.Length * net.OutputSize];
        using (average.SwapIn())
        {
            Assert.True(average.IsSwappedIn);
            Assert.Throws<InvalidOperationException>(() => average.Update());
            JsonElement last = averaged.GetProperty("steps")[reference.StepCount - 1];
            foreach (ParameterInfo info in net.ParameterTable)
            {
                Close.Tensor(Doubles(last.GetProperty("params").GetProperty(info.Key)), net.Parameters.Slice(info.Offset, info.Length), Tolerance, $"swapped-in '{info.Key}'");
            }

            foreach (BufferInfo info in net.BufferTable.Where(b => b.Dtype == BufferDtype.F32))
            {
                Close.Tensor(Doubles(last.GetProperty("buffers").GetProperty(info.Key)), net.GetBuffer(info.Key), Tolerance, $"swapped-in '{info.Key}'");
            }

            net.Predict(x, output);
            Close.Tensor(Doubles(averaged.GetProperty("eval_output")), output, Tolerance, $"{kind}: the averaged model's eval output");
        }

        // Swapped out: the training weights and buffers, bit for bit.
        Assert.False(average.IsSwappedIn);
        Assert.Equal(trained, net.Parameters.ToArray());
        int b = 0;
        foreach (BufferInfo info in net.BufferTable.Where(info => info.Dtype == BufferDtype.F32))
        {
            Assert.Equal(trainedBuffers[b++], net.GetBuffer(info.Key).ToArray());
        }

        // The averaged output differs from the trained network's (the test can tell them apart).
        var trainedOutput = new float[output.Length];
        net.Predict(x, trainedOutput);
        Assert.Throws<Xunit.Sdk.TrueException>(() => Close.Tensor(Doubles(averaged.GetProperty("eval_output")), trainedOutput, Tolerance, "trained output"));
    }

    [Fact]
    public void BadUseThrows()
    {
        var net = new AvgMlp(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AveragedParameters(net, decay: 1.5));
        var average = new AveragedParameters(net);
        Assert.Throws<InvalidOperationException>(() => average.SwapIn()); // nothing averaged yet
        average.Update();
        using (average.SwapIn())
        {
            Assert.Throws<InvalidOperationException>(() => average.SwapIn());
        }

        average.SwapOut(); // a no-op once out
        Assert.False(average.IsSwappedIn);
    }

    [Theory]
    [InlineData(EnsembleAverage.Outputs, "mean_scores")]
    [InlineData(EnsembleAverage.SoftmaxProbabilities, "mean_probabilities")]
    public void AnEnsembleOfThreeCheckpointsAveragesTheirPredictions(EnsembleAverage kind, string property)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("ensemble.json")));
        JsonElement root = document.RootElement;
        var net = new AvgMlp(5);
        float[] before = net.Parameters.ToArray();

        // The checkpoints, written as Save writes them (from networks holding PyTorch's parameters).
        var streams = new List<Stream>();
        foreach (JsonElement checkpoint in root.GetProperty("checkpoints").EnumerateArray())
        {
            var member = new AvgMlp(1);
            foreach (ParameterInfo info in AvgMlp.ParameterTable)
            {
                double[] values = Doubles(checkpoint.GetProperty(info.Key));
                for (int i = 0; i < values.Length; i++)
                {
                    member.Parameters[info.Offset + i] = (float)values[i];
                }
            }

            var stream = new MemoryStream();
            member.Save(stream);
            stream.Position = 0;
            streams.Add(stream);
        }

        var ensemble = new CheckpointEnsemble(net, streams);
        Assert.Equal(3, ensemble.Count);
        float[] x = Doubles(root.GetProperty("x")).Select(v => (float)v).ToArray();
        var output = new float[root.GetProperty("rows").GetInt32() * AvgMlp.OutputSize];
        ensemble.Predict(x, output, kind);
        Close.Tensor(Doubles(root.GetProperty(property)), output, Tolerance, property);
        Assert.Equal(before, net.Parameters.ToArray()); // the network's own weights are back

        // Not any one member's prediction: the average.
        Assert.Throws<Xunit.Sdk.TrueException>(() => Close.Tensor(Doubles(root.GetProperty("member_scores")[2]), output, Tolerance, "last member"));
    }

    [Fact]
    public void AnEnsembleRejectsAFileOfAnotherNetwork()
    {
        var other = new AvgBn(1);
        var stream = new MemoryStream();
        other.Save(stream);
        stream.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => new CheckpointEnsemble(new AvgMlp(1), new[] { (Stream)stream }));
        Assert.Contains("checkpoint 0", e.Message);
        Assert.Throws<ArgumentException>(() => new CheckpointEnsemble(new AvgMlp(1), Array.Empty<Stream>()));
    }

    private static double[] Doubles(JsonElement tensor) =>
        (tensor.ValueKind == JsonValueKind.Array ? tensor : tensor.GetProperty("data")).EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
