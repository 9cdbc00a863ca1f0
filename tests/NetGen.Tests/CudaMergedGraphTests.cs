using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The features of docs/adr/0043 (image layers, BatchNorm's device buffers and host counters) and docs/adr/0044 (residual
/// graphs, stochastic depth, every loss, soft targets, L1, NormBound, clipping) under the CUDA graphs of docs/adr/0045, on the
/// emulated driver: each network trained with graphs replayed against the same network launched one by one
/// (CudaGraphs = false) gives the same losses, parameters and predictions bit for bit, so the per-step values (NormBound's α,
/// the clipping value and maximum, the stochastic-depth keys, BatchNorm's statistics) take effect under replay. Clipping by
/// norm is captured too: ‖g‖, the decision to scale and the scaling stay on the device (ADR 0045).
/// </summary>
[Collection(nameof(CudaCountingCollection))]
public sealed class CudaMergedGraphTests
{
    private const int Steps = 6;

    [EmulatedCudaFact]
    public void NormBoundsMultipliersTakeEffectUnderReplay()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaNormBoundNet(11, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaNormBoundNet(11, Backend.Cuda);
        Compare(Side(eager), Side(graphs), 20);

        static Net Side(CudaNormBoundNet n) => new(i => n.TrainStep(X(8, 20, i), Labels(8, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    [EmulatedCudaFact]
    public void L1AndWeightDecaySumsComeFromTheResultsBlock()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaL1Net(12, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaL1Net(12, Backend.Cuda);
        Compare(Side(eager), Side(graphs), 20);

        static Net Side(CudaL1Net n) => new(i => n.TrainStep(X(8, 20, i), Labels(8, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    [EmulatedCudaFact]
    public void SoftTargetsAndLabelsHaveAGraphEach()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaSoftTargetNet(13, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaSoftTargetNet(13, Backend.Cuda);
        Compare(Side(eager), Side(graphs), 20);

        static Net Side(CudaSoftTargetNet n) => new(i => i % 2 == 0 ? n.TrainStep(X(8, 20, i), Probabilities(8, 3, i)) : n.TrainStep(X(8, 20, i), Labels(8, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    [EmulatedCudaFact]
    public void BinaryHingeDividesBySamplesUnderReplay()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaBinaryHingeNet(14, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaBinaryHingeNet(14, Backend.Cuda);
        Compare(Side(eager), Side(graphs), 20);

        static Net Side(CudaBinaryHingeNet n) => new(i => n.TrainStep(X(8, 20, i), ZeroOnes(8 * 3, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    [EmulatedCudaFact]
    public void ClippingByValueAndByNormAreCaptured()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaClipNet(15, Backend.Cuda) { CudaGraphs = false, ClipGradientValue = 0.05 };
        using var graphs = new CudaClipNet(15, Backend.Cuda) { ClipGradientValue = 0.05 };
        Compare(Side(eager), Side(graphs), 20);

        // By norm, with a maximum small enough that every step scales: ‖g‖ and the decision stay on the device.
        using var eagerNorm = new CudaClipNet(15, Backend.Cuda) { CudaGraphs = false, ClipGradientNorm = 0.1 };
        using var graphsNorm = new CudaClipNet(15, Backend.Cuda) { ClipGradientNorm = 0.1 };
        Compare(Side(eagerNorm), Side(graphsNorm), 20);
        Assert.True(graphsNorm.LastGradientNorm > 0.1);
        Assert.Equal(BitConverter.DoubleToInt64Bits(eagerNorm.LastGradientNorm), BitConverter.DoubleToInt64Bits(graphsNorm.LastGradientNorm));

        // Both, then neither, in turn: each combination is a graph of its own, and the graphs give the launch-by-launch bits.
        using var eagerToggled = new CudaClipNet(15, Backend.Cuda) { CudaGraphs = false };
        using var graphsToggled = new CudaClipNet(15, Backend.Cuda);
        Compare(Toggled(eagerToggled), Toggled(graphsToggled), 20);
        Assert.True(double.IsNaN(graphsToggled.LastGradientNorm)); // the last step (i = 5) was not clipped

        static Net Side(CudaClipNet n) => new(i => n.TrainStep(X(8, 20, i), Labels(8, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });

        static Net Toggled(CudaClipNet n) => new(
            i =>
            {
                n.ClipGradientValue = i % 2 == 0 ? 0.05 : null;
                n.ClipGradientNorm = i % 2 == 0 ? 0.1 : null;
                return n.TrainStep(X(8, 20, i), Labels(8, i));
            },
            () => { n.CopyFromDevice(); return Bits(n.Parameters); },
            x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    [EmulatedCudaFact]
    public void BatchNormStatisticsFollowTheEagerLaunches()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaBnAdamNet(16, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaBnAdamNet(16, Backend.Cuda);
        Compare(Side(eager), Side(graphs), 3 * 6 * 6); // Predict (inference) reads the running statistics

        static Net Side(CudaBnAdamNet n) => new(i => n.TrainStep(X(5, 3 * 6 * 6, i), Labels(5, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    [EmulatedCudaFact]
    public void StochasticDepthKeysTakeEffectUnderReplay()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        using var eager = new CudaStochasticDepthNet(17, Backend.Cuda) { CudaGraphs = false };
        using var graphs = new CudaStochasticDepthNet(17, Backend.Cuda);
        Compare(Side(eager), Side(graphs), 20);

        static Net Side(CudaStochasticDepthNet n) => new(i => n.TrainStep(X(8, 20, i), Labels(8, i)), () => { n.CopyFromDevice(); return Bits(n.Parameters); }, x => { var o = new float[7 * 3]; n.Predict(x, o); return Bits(o); });
    }

    private sealed record Net(Func<int, float> Step, Func<int[]> Parameters, Func<float[], int[]> Predict);

    private static void Compare(Net eager, Net graphs, int inputs)
    {
        var eagerLosses = new float[Steps];
        var graphLosses = new float[Steps];
        long graphLaunches = EmulatedCudaDriver.GraphLaunches;
        for (int i = 0; i < Steps; i++)
        {
            eagerLosses[i] = eager.Step(i);
        }

        Assert.Equal(graphLaunches, EmulatedCudaDriver.GraphLaunches); // launch by launch: no graph
        for (int i = 0; i < Steps; i++)
        {
            graphLosses[i] = graphs.Step(i);
        }

        Assert.Equal(2 * Steps, EmulatedCudaDriver.GraphLaunches - graphLaunches); // each step: the gradient graph and the update graph
        Assert.Equal(Bits(eagerLosses), Bits(graphLosses));
        Assert.Equal(eager.Parameters(), graphs.Parameters());
        Assert.Equal(eager.Predict(X(7, inputs, 99)), graphs.Predict(X(7, inputs, 99)));
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        }

        return bits;
    }

    private static float[] X(int rows, int inputs, long seed)
    {
        var random = new Random((int)seed + 1000);
        var values = new float[rows * inputs];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static float[] ZeroOnes(int count, long seed)
    {
        var random = new Random((int)seed + 2000);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.Next(2);
        }

        return values;
    }

    private static float[] Probabilities(int rows, int classes, long seed)
    {
        var random = new Random((int)seed + 3000);
        var values = new float[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            float sum = 0;
            for (int c = 0; c < classes; c++)
            {
                values[(r * classes) + c] = (float)random.NextDouble() + 0.1f;
                sum += values[(r * classes) + c];
            }

            for (int c = 0; c < classes; c++)
            {
                values[(r * classes) + c] /= sum;
            }
        }

        return values;
    }

    private static int[] Labels(int rows, long seed)
    {
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = (int)((i * 7 + 1 + seed) % 3);
        }

        return labels;
    }
}
