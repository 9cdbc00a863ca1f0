using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using NetGen.Cuda;
using NetGen.Cuda.Emulation;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// "Deterministic mode gives the same bits run to run" (issue 17), on the emulated driver: two fresh instances with the same
/// seed, trained 20 steps on the same batches, end with the same bits (every loss, every parameter, the whole training state
/// as SaveTrainingState writes it), with CUDA graphs and launch by launch, and the two modes agree with each other. A run
/// with another seed differs, so the comparison can fail. NetGen has no separate deterministic mode: the kernels reduce in
/// fixed orders and trees and the shipped PTX has no atomic instruction (checked here too). The same check runs on a GPU in
/// tests/gpu/NetGen.CudaCheck (Determinism.cs), where the emulator's serial execution cannot hide a race.
/// </summary>
public sealed class CudaDeterminismTests
{
    private const int Steps = 20;

    [EmulatedCudaFact]
    public void TwoRunsOfAnMlpGiveTheSameBitsWithAndWithoutGraphs()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        SameBitsRunToRun((seed, graphs) => new CudaDeterminismMlp(seed, Backend.Cuda) { CudaGraphs = graphs });
    }

    [EmulatedCudaFact]
    public void TwoRunsOfACnnGiveTheSameBitsWithAndWithoutGraphs()
    {
        using IDisposable driver = EmulatedCudaDriver.Use();
        SameBitsRunToRun((seed, graphs) => new CudaDeterminismCnn(seed, Backend.Cuda) { CudaGraphs = graphs });
    }

    [Fact]
    public void TheShippedPtxHasNoAtomicInstruction()
    {
        Assert.Empty(AtomicInstructions("\tld.global.f32 \t%f1, [%rd4];\n\tst.global.f32 \t[%rd5], %f1;\n// atom. in a comment\n"));
        Assert.Equal(2, AtomicInstructions("\tatom.global.add.f32 \t%f2, [%rd1], %f1;\n\t@%p1 red.shared.add.u32 \t[%r1], 1;\n").Count);
        string ptx = CudaModule.EmbeddedPtxText();
        Assert.Contains(".entry ng_sgemm", ptx);
        Assert.Empty(AtomicInstructions(ptx));
    }

    /// <summary>Lines of <paramref name="ptx"/> whose instruction (after an optional predicate) is atom.* or red.*.</summary>
    private static List<string> AtomicInstructions(string ptx) =>
        ptx.Split('\n').Where(line => Regex.IsMatch(line, @"^\s*(@!?%\w+\s+)?(atom|red)\.")).ToList();

    private static void SameBitsRunToRun<T>(Func<ulong, bool, T> create)
        where T : INeuralNetwork<int>, IDisposable
    {
        Run graphs = Train(create(5, true)), again = Train(create(5, true));
        Run launches = Train(create(5, false)), launchesAgain = Train(create(5, false));
        AssertSameBits(graphs, again);
        AssertSameBits(launches, launchesAgain);
        AssertSameBits(graphs, launches);

        Run otherSeed = Train(create(6, true));
        Assert.NotEqual(Bits(graphs.Parameters), Bits(otherSeed.Parameters));
    }

    private static Run Train<T>(T net)
        where T : INeuralNetwork<int>, IDisposable
    {
        using (net)
        {
            var losses = new float[Steps];
            for (int step = 0; step < Steps; step++)
            {
                (float[] x, int[] labels) = Batch(net.InputSize, net.MaxBatch - (step % 3), net.OutputSize, step);
                losses[step] = net.TrainStep(x, labels);
            }

            using var state = new MemoryStream();
            net.SaveTrainingState(state);
            return new Run(losses, net.Parameters.ToArray(), state.ToArray());
        }
    }

    private static void AssertSameBits(Run a, Run b)
    {
        Assert.Equal(Bits(a.Losses), Bits(b.Losses));
        Assert.Equal(Bits(a.Parameters), Bits(b.Parameters));
        Assert.Equal(a.TrainingState, b.TrainingState);
    }

    private static uint[] Bits(float[] values) => MemoryMarshal.Cast<float, uint>(values).ToArray();

    private static (float[] X, int[] Labels) Batch(int inputs, int rows, int classes, int step)
    {
        var x = new float[rows * inputs];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < inputs; i++)
            {
                x[(r * inputs) + i] = (float)Math.Sin((0.37 * i) + (1.3 * r) + (0.11 * step));
            }

            labels[r] = ((r * 7) + step) % classes;
        }

        return (x, labels);
    }

    private sealed record Run(float[] Losses, float[] Parameters, byte[] TrainingState);
}
