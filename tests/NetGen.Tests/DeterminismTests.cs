using System.Runtime.InteropServices;
using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>Runs alone (it changes how every job is split, process-wide), after the tests that run in parallel.</summary>
[CollectionDefinition(nameof(SplitChangingCollection), DisableParallelization = true)]
public sealed class SplitChangingCollection;

/// <summary>
/// Training gives the same bits whatever the thread count: 50 steps of a GEMM-sized MLP (packed, parallel GEMMs, dropout,
/// Adam) and of a CNN (convolutions, BatchNorm, pooling, momentum) with every kernel on one thread, split for two threads
/// and split for eight are compared bit for bit; and two instances trained at the same time on two threads end where
/// the same two runs end one after the other.
/// </summary>
[Collection(nameof(SplitChangingCollection))]
public sealed class DeterminismTests
{
    private const int Steps = 50;

    /// <summary>Rows for step <paramref name="step"/>: smooth functions of (step, index), the label a function of the row.</summary>
    private static (float[] X, int[] Labels) Batch(int inputs, int rows, int classes, int step)
    {
        var x = new float[rows * inputs];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int i = 0; i < inputs; i++)
            {
                float v = (float)Math.Sin((0.37 * i) + (1.3 * r) + (0.11 * step));
                x[(r * inputs) + i] = v;
                sum += v * ((i % 7) - 3);
            }

            labels[r] = (int)((uint)(sum * 1000) % (uint)classes);
        }

        return (x, labels);
    }

    /// <summary>Trains a fresh network <see cref="Steps"/> steps and returns its whole training state (parameters,
    /// buffers, optimizer state, step) as bytes.</summary>
    private static byte[] Train(Func<INeuralNetwork<int>> create)
    {
        INeuralNetwork<int> net = create();
        for (int step = 0; step < Steps; step++)
        {
            (float[] x, int[] labels) = Batch(net.InputSize, net.MaxBatch, net.OutputSize, step);
            float loss = net.TrainStep(x, labels);
            Assert.True(float.IsFinite(loss));
        }

        var stream = new MemoryStream();
        net.SaveTrainingState(stream);
        return stream.ToArray();
    }

    private static byte[] TrainSplitAsIf(int threads, Func<INeuralNetwork<int>> create)
    {
        int previous = Workers.SplitAsIfForTests(threads);
        try
        {
            return Train(create);
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
        }
    }

    public static TheoryData<string> Networks() => new() { nameof(ThreadsMlp), nameof(ThreadsCnn) };

    private static Func<INeuralNetwork<int>> Factory(string name) => name == nameof(ThreadsMlp)
        ? () => new ThreadsMlp(17)
        : () => new ThreadsCnn(17);

    [Theory]
    [MemberData(nameof(Networks))]
    public void FiftyStepsOnOneThreadAndOnTwoGiveTheSameBits(string name)
    {
        byte[] one = TrainSplitAsIf(1, Factory(name));
        byte[] two = TrainSplitAsIf(2, Factory(name));
        byte[] eight = TrainSplitAsIf(8, Factory(name));
        Assert.Equal(one, two);
        Assert.Equal(one, eight);

        // The run really trained (the parameters moved).
        var untrained = new MemoryStream();
        Factory(name)().SaveTrainingState(untrained);
        Assert.NotEqual(untrained.ToArray(), one);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void TwoInstancesTrainedConcurrentlyMatchSequentialRuns(string name)
    {
        // Two different seeds, so a mix-up of their state would show.
        Func<INeuralNetwork<int>> a = name == nameof(ThreadsMlp) ? () => new ThreadsMlp(1) : () => new ThreadsCnn(1);
        Func<INeuralNetwork<int>> b = name == nameof(ThreadsMlp) ? () => new ThreadsMlp(2) : () => new ThreadsCnn(2);
        byte[] sequentialA = Train(a);
        byte[] sequentialB = Train(b);
        Assert.NotEqual(sequentialA, sequentialB);

        byte[]? concurrentA = null, concurrentB = null;
        using var start = new Barrier(2);
        var ta = new Thread(() => { start.SignalAndWait(); concurrentA = Train(a); });
        var tb = new Thread(() => { start.SignalAndWait(); concurrentB = Train(b); });
        ta.Start();
        tb.Start();
        ta.Join();
        tb.Join();
        Assert.Equal(sequentialA, concurrentA);
        Assert.Equal(sequentialB, concurrentB);
    }

    [Fact]
    public void TheParametersAloneAreBitIdenticalToo()
    {
        // The same comparison on the parameter arena itself, as floats, for a message that points at the first difference.
        int previous = Workers.SplitAsIfForTests(1);
        var one = new ThreadsMlp(5);
        try
        {
            TrainInPlace(one);
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
        }

        var many = new ThreadsMlp(5);
        TrainInPlace(many);
        byte[] p1 = MemoryMarshal.AsBytes(one.Parameters).ToArray();
        byte[] p2 = MemoryMarshal.AsBytes(many.Parameters).ToArray();
        Assert.Equal(p1, p2);
        Assert.Equal(Steps, many.Step);

        static void TrainInPlace(ThreadsMlp net)
        {
            for (int step = 0; step < Steps; step++)
            {
                (float[] x, int[] labels) = Batch(ThreadsMlp.InputSize, ThreadsMlp.MaxBatch, ThreadsMlp.OutputSize, step);
                net.TrainStep(x, labels);
            }
        }
    }
}
