using NetGen.Data;
using NetGen.Tests.Networks;
using Xunit.Abstractions;

namespace NetGen.Tests;

/// <summary>Real data: the MLP 784-256-128-10 (ReLU, Adam) trained on the original MNIST files for 2 epochs.</summary>
public sealed class MnistTests
{
    private readonly ITestOutputHelper _output;

    public MnistTests(ITestOutputHelper output) => _output = output;

    [MnistFact]
    public void MlpReaches97PercentTestAccuracyInTwoEpochs()
    {
        string directory = TestPaths.Mnist()!;

        MnistDataset mnist = Mnist.Load(directory);
        Assert.Equal(60000, mnist.TrainCount);
        Assert.Equal(10000, mnist.TestCount);

        var net = new MnistMlp(seed: 2024);
        var batches = new Batches(mnist.TrainCount, MnistMlp.MaxBatch, seed: 7);
        var x = new float[MnistMlp.MaxBatch * MnistMlp.InputSize];
        var y = new int[MnistMlp.MaxBatch];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            batches.Shuffle(epoch);
            double lossSum = 0;
            for (int b = 0; b < batches.BatchCount; b++)
            {
                int rows = batches.CopyBatch(b, mnist.Train, x, y);
                lossSum += net.TrainStep(x.AsSpan(0, rows * MnistMlp.InputSize), y.AsSpan(0, rows));
            }

            _output.WriteLine($"epoch {epoch + 1}: mean training loss {lossSum / batches.BatchCount:F4}");
        }

        double accuracy = net.Accuracy(mnist.TestImages, mnist.TestLabels);
        _output.WriteLine($"test accuracy after 2 epochs: {accuracy:P2}");
        Assert.True(accuracy >= 0.97, $"test accuracy {accuracy:P2} < 97 %");
    }
}
