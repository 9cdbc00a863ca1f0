using System.Diagnostics;
using NetGen.Data;
using NetGen.Kernels;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>
/// End to end through the kernels alone (no generator): a 784-256-128-10 ReLU MLP written by hand, one epoch of
/// Adam on MNIST with shuffled mini-batches, then test accuracy.
/// </summary>
public class MnistTrainingTests(ITestOutputHelper output)
{
    // B = batch, I = 784 inputs, H1 = 256, H2 = 128, C = 10 classes
    private const int B = 64, I = Mnist.ImageSize, H1 = 256, H2 = 128, C = Mnist.Classes;

    [MnistFact]
    public void Mlp_OneEpochOfAdam_ReachesNinetyFivePercent()
    {
        MnistDataset mnist = Mnist.Load(MnistLocator.Directory!);

        // Parameters in PyTorch layout, He-normal weights from the counter-based RNG, zero biases.
        float[] w1 = HeNormal(H1, I, 0), b1 = new float[H1];
        float[] w2 = HeNormal(H2, H1, 1), b2 = new float[H2];
        float[] w3 = HeNormal(C, H2, 2), b3 = new float[C];
        float[][] parameters = [w1, b1, w2, b2, w3, b3];
        float[][] gradients = parameters.Select(p => new float[p.Length]).ToArray();
        float[][] m = parameters.Select(p => new float[p.Length]).ToArray();
        float[][] v = parameters.Select(p => new float[p.Length]).ToArray();

        float[] x = new float[B * I];
        int[] labels = new int[B];
        float[] h1 = new float[B * H1], a1 = new float[B * H1], h2 = new float[B * H2], a2 = new float[B * H2];
        float[] logits = new float[B * C], dlogits = new float[B * C];
        float[] da2 = new float[B * H2], dh2 = new float[B * H2], da1 = new float[B * H1], dh1 = new float[B * H1];

        var batches = new Batches(mnist.TrainCount, B, seed: 1);
        batches.Shuffle(epoch: 0);
        double firstLosses = 0, lastLosses = 0;
        const int Window = 50;
        long step = 0;
        var clock = Stopwatch.StartNew();
        for (int batch = 0; batch < batches.FullBatchCount; batch++)
        {
            batches.CopyBatch(batch, mnist.Train, x, labels);

            // forward
            Dense.Forward<float>(x, w1, b1, h1, B, I, H1);
            Activations.ReLUForward<float>(h1, a1);
            Dense.Forward<float>(a1, w2, b2, h2, B, H1, H2);
            Activations.ReLUForward<float>(h2, a2);
            Dense.Forward<float>(a2, w3, b3, logits, B, H2, C);
            double loss = Losses.SoftmaxCrossEntropy<float>(logits, labels, dlogits, B, C) / B;

            // backward, in the reverse order; gradients start at zero every step
            foreach (float[] g in gradients)
            {
                Array.Clear(g);
            }
            Dense.Backward<float>(dlogits, a2, w3, da2, gradients[4], gradients[5], B, H2, C);
            Activations.ReLUBackward<float>(da2, a2, dh2);
            Dense.Backward<float>(dh2, a1, w2, da1, gradients[2], gradients[3], B, H1, H2);
            Activations.ReLUBackward<float>(da1, a1, dh1);
            Dense.Backward<float>(dh1, x, w1, default, gradients[0], gradients[1], B, I, H1);

            step++;
            for (int t = 0; t < parameters.Length; t++)
            {
                Optimizers.Adam<float>(parameters[t], gradients[t], m[t], v[t], 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            }

            if (batch < Window)
            {
                firstLosses += loss;
            }
            if (batch >= batches.FullBatchCount - Window)
            {
                lastLosses += loss;
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;

        // Test accuracy, B rows at a time (the last partial batch padded with zeros and ignored).
        int correct = 0;
        float[] probabilities = new float[B * C];
        for (int start = 0; start < mnist.TestCount; start += B)
        {
            int rows = Math.Min(B, mnist.TestCount - start);
            Array.Clear(x);
            mnist.TestImages.AsSpan(start * I, rows * I).CopyTo(x);
            Dense.Forward<float>(x, w1, b1, h1, B, I, H1);
            Activations.ReLUForward<float>(h1, a1);
            Dense.Forward<float>(a1, w2, b2, h2, B, H1, H2);
            Activations.ReLUForward<float>(h2, a2);
            Dense.Forward<float>(a2, w3, b3, logits, B, H2, C);
            Losses.Softmax<float>(logits, probabilities, B, C);
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> p = probabilities.AsSpan(r * C, C);
                int predicted = p.IndexOf(p.ToArray().Max());
                correct += predicted == mnist.TestLabels[start + r] ? 1 : 0;
            }
        }
        double accuracy = (double)correct / mnist.TestCount;
        output.WriteLine($"epoch: {seconds:F2} s ({batches.FullBatchCount / seconds:F0} steps/s); mean loss first {Window} steps {firstLosses / Window:F3}, last {Window} {lastLosses / Window:F3}; test accuracy {accuracy:P2}");

        Assert.True(firstLosses / Window > 0.5, $"early loss {firstLosses / Window}");
        Assert.True(lastLosses / Window < 0.25, $"late loss {lastLosses / Window}");
        Assert.True(accuracy >= 0.95, $"test accuracy {accuracy:P2}");
    }

    /// <summary>w ~ N(0, 2/fan_in) from CounterRng.Normal with Key(seed 7, InitStream, tensor, 0).</summary>
    private static float[] HeNormal(int outputs, int inputs, int tensor)
    {
        var w = new float[outputs * inputs];
        ulong key = CounterRng.Key(7, CounterRng.InitStream, (ulong)tensor, 0);
        double std = Math.Sqrt(2.0 / inputs);
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)(std * CounterRng.Normal(key, (ulong)i));
        }
        return w;
    }
}
