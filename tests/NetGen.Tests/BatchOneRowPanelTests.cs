using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// A generated network's one-row Predict over the batch-1 GEMV's row panels (ADR 0054): the first call after the weights
/// change reads W as stored, the second packs the panels, later calls read them. Every call gives the same bits, on one
/// core and split for two or eight, the panels never outlive the weights they were packed from, and calls after the
/// warm-up allocate nothing.
/// </summary>
[Collection(nameof(SplitChangingCollection))]
public sealed class BatchOneRowPanelTests
{
    [Fact]
    public void OneRowPredict_GivesTheSameBitsOnEveryCall_AndForEveryThreadCount()
    {
        uint[]? expected = null;
        foreach (int threads in new[] { 1, 2, 8 })
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                var net = new MnistMlp(3);
                (float[] x, _) = GradientCheckTests.Batch(net, 1, 5);
                for (int call = 0; call < 5; call++) // as stored, packing, then from the panels
                {
                    uint[] bits = Bits(Predict(net, x));
                    expected ??= bits;
                    Assert.Equal(expected, bits);
                }
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
    }

    [Fact]
    public void AfterATrainingStepOrALoad_OneRowPredictUsesTheNewWeights()
    {
        var warm = new MnistMlp(3);
        var cold = new MnistMlp(3);
        (float[] x, int[] labels) = GradientCheckTests.Batch(warm, 64, 7);
        float[] row = x.AsSpan(0, MnistMlp.InputSize).ToArray();
        for (int call = 0; call < 3; call++)
        {
            Predict(warm, row); // warm now reads its row panels
        }

        warm.TrainStep(x, labels);
        cold.TrainStep(x, labels);
        float[] expected = Predict(cold, row); // never packed: W as stored
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(Bits(expected), Bits(Predict(warm, row)));
        }

        // Load other weights into the warm network: its panels are stale, and no call reads them.
        var other = new MnistMlp(11);
        var saved = new MemoryStream();
        other.Save(saved);
        saved.Position = 0;
        warm.Load(saved);
        float[] otherScores = Predict(other, row);
        Assert.NotEqual(Bits(expected), Bits(otherScores));
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(Bits(otherScores), Bits(Predict(warm, row)));
        }

        // A writable view of the parameters, written through: the same.
        warm.Parameters[0] += 1f;
        other.Parameters[0] += 1f;
        float[] nudged = Predict(other, row);
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(Bits(nudged), Bits(Predict(warm, row)));
        }
    }

    [Fact]
    public void OneRowPredictAllocatesNothingOnceThePanelsArePacked()
    {
        var net = new MnistMlp(1);
        (float[] x, _) = GradientCheckTests.Batch(net, 1, 3);
        var scores = new float[MnistMlp.OutputSize];
        NetGen.Runtime.Tests.AllocationProbe.AssertNoAllocation(() => net.Predict(x, scores), warmups: 3, repeats: 20);
    }

    private static float[] Predict(MnistMlp net, float[] row)
    {
        var scores = new float[MnistMlp.OutputSize];
        net.Predict(row, scores);
        return scores;
    }

    private static uint[] Bits(float[] values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();
}
