using System.Diagnostics;
using NetGen.Data;
using NetGen.Tests.Networks;
using Xunit.Abstractions;

namespace NetGen.Tests.Networks
{
    /// <summary>A small CNN for the real-data smoke test: 1×28×28 → conv 5×5 ×8 → 8×24×24 → pool 2 → 8×12×12 → 10.</summary>
    [Network(InputShape = new[] { 1, 28, 28 }, BatchSize = 64, Optimizer = Optimizer.Adam, LearningRate = 1e-3)]
    [Conv2D(8, 5), ReLU, MaxPool2D(2), Flatten, Dense(10)]
    public partial class MnistSmallCnn { }
}

namespace NetGen.Tests
{
    /// <summary>
    /// Real data through the convolution path: the small CNN trained for one epoch (469 steps, about 2–3 s on 2 cores) on
    /// the first 30,000 MNIST training images (normalised with MNIST's mean 0.1307 and std 0.3081), then tested on the
    /// first 2,000 test images.
    /// </summary>
    /// <remarks>
    /// Measured: loss of the first 20 batches 1.90, of the last 20 0.18; test accuracy 0.9260 (floor 0.89).
    /// One epoch of 6,000 images is too little for a 0.90 floor: NetGen reaches 0.861, and PyTorch with the same init
    /// (He-normal conv, Glorot linear; xavier_normal_ there, NetGen draws uniform) 0.815–0.862 over seeds 0–2, with its default init 0.870–0.887.
    /// </remarks>
    public sealed class MnistCnnTests
    {
        private const int TrainRows = 30000, TestRows = 2000, Window = 20;
        private readonly ITestOutputHelper _output;

        public MnistCnnTests(ITestOutputHelper output) => _output = output;

        [MnistFact]
        public void SmallCnnLearnsFromThirtyThousandImagesInOneEpoch()
        {
            string directory = TestPaths.Mnist()!;

            MnistDataset mnist = Mnist.Load(directory);
            var train = new InMemoryDataset(Normalized(mnist.TrainImages, TrainRows), mnist.TrainLabels[..TrainRows], Mnist.ImageSize);
            float[] testImages = Normalized(mnist.TestImages, TestRows);
            int[] testLabels = mnist.TestLabels[..TestRows];

            var net = new MnistSmallCnn(seed: 11);
            var batches = new Batches(train.Count, MnistSmallCnn.MaxBatch, seed: 5);
            batches.Shuffle(epoch: 0);
            var x = new float[MnistSmallCnn.MaxBatch * MnistSmallCnn.InputSize];
            var y = new int[MnistSmallCnn.MaxBatch];
            var losses = new float[batches.BatchCount];
            var clock = Stopwatch.StartNew();
            for (int b = 0; b < batches.BatchCount; b++)
            {
                int rows = batches.CopyBatch(b, train, x, y);
                losses[b] = net.TrainStep(x.AsSpan(0, rows * MnistSmallCnn.InputSize), y.AsSpan(0, rows));
            }
            double trainSeconds = clock.Elapsed.TotalSeconds;

            double first = losses.AsSpan(0, Window).ToArray().Average();
            double last = losses.AsSpan(losses.Length - Window).ToArray().Average();
            double accuracy = net.Accuracy(testImages, testLabels);
            _output.WriteLine($"{batches.BatchCount} steps in {trainSeconds:F2} s; mean loss of the first {Window} batches {first:F4}, " +
                              $"of the last {Window} {last:F4}; accuracy on {TestRows} test images {accuracy:F4}");

            Assert.True(last < 0.5 * first, $"the loss did not halve: first {Window} batches {first:F4}, last {Window} {last:F4}");
            Assert.True(accuracy >= 0.89, $"test accuracy {accuracy:F4} < 0.89"); // measured 0.9260
        }

        /// <summary>(pixel − 0.1307) / 0.3081 for the first <paramref name="rows"/> images.</summary>
        private static float[] Normalized(float[] images, int rows)
        {
            float[] result = images[..(rows * Mnist.ImageSize)];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = (result[i] - 0.1307f) / 0.3081f;
            }
            return result;
        }
    }
}
