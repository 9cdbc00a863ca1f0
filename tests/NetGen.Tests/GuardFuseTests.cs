using System.Runtime.InteropServices;
using NetGen.Data;
using NetGen.Kernels;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// The non-finite checks folded into the kernels (ADR 0040): Dense's backward records whether each weight and bias
/// gradient it stores is finite (the packed GEMM's epilogue, or a read of what it just wrote), the step check reads only the
/// gradients no kernel checked, and the inputs' check is left to the first layer's weight gradient. The contract is the
/// one of <see cref="NonFiniteTests"/>: a bad input throws the argument exception naming it, an overflow throws
/// <see cref="NonFiniteStepException"/> naming the tensor, and the training state is unchanged bit for bit. Each case runs
/// with every kernel on one thread and split for two. Runs alone: it changes the split and the benchmark switch, both
/// process-wide.
/// </summary>
[Collection(nameof(SplitChangingCollection))]
public sealed class GuardFuseTests
{
    private const int Inputs = 200;

    private static byte[] State(INeuralNetwork net)
    {
        var stream = new MemoryStream();
        net.SaveTrainingState(stream);
        return stream.ToArray();
    }

    private static (float[] X, int[] Labels) Batch(int rows, int step)
    {
        var x = new float[rows * Inputs];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < Inputs; i++)
            {
                x[(r * Inputs) + i] = (float)Math.Sin((0.37 * i) + (1.3 * r) + (0.11 * step));
            }

            labels[r] = (r + step) % 10;
        }

        return (x, labels);
    }

    private static T Split<T>(int threads, Func<T> run)
    {
        int previous = Workers.SplitAsIfForTests(threads);
        try
        {
            return run();
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
        }
    }

    private static void Split(int threads, Action run) => Split(threads, () =>
    {
        run();
        return 0;
    });

    public static TheoryData<int, float, int> BadInputs()
    {
        var data = new TheoryData<int, float, int>();
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                foreach (int index in new[] { 0, 31 * Inputs + 137, (64 * Inputs) - 1 })
                {
                    data.Add(threads, bad, index);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void ANonFiniteInputValueIsRefusedAsAnArgumentWithNothingChanged(int threads, float bad, int index) => Split(threads, () =>
    {
        var net = new FusedCheckMlp(3);
        var twin = new FusedCheckMlp(3);
        (float[] x, int[] labels) = Batch(64, 0);
        net.TrainStep(x, labels);
        twin.TrainStep(x, labels);
        byte[] before = State(net);

        float[] poisoned = (float[])x.Clone();
        poisoned[index] = bad;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(poisoned, labels));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains($"inputs[{index}] = {bad}", e.Message);
        Assert.Contains("FusedCheckMlp", e.Message);
        Assert.Contains($"inputs[{index}]", Assert.Throws<ArgumentOutOfRangeException>(() => net.ComputeGradients(poisoned, labels)).Message);
        Assert.Equal(before, State(net));
        Assert.Equal(1, net.Step);

        // Nothing stays behind: the next good step gives the bits of a twin that never saw the bad batch.
        (float[] x2, int[] labels2) = Batch(64, 1);
        Assert.Equal(twin.TrainStep(x2, labels2), net.TrainStep(x2, labels2));
        Assert.Equal(State(twin), State(net));
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ANaNInTheLastRowOfAPartialBatchIsRefused(int threads) => Split(threads, () =>
    {
        var net = new FusedCheckMlp(4);
        (float[] x, int[] labels) = Batch(37, 0);
        byte[] before = State(net);
        x[^1] = float.NaN;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(x, labels));
        Assert.Contains($"inputs[{(37 * Inputs) - 1}]", e.Message);
        Assert.Equal(before, State(net));
        Assert.Equal(0, net.Step);

        // The first value of the row just past the batch is not read: a partial batch of 36 rows with the NaN in row 36
        // of the same array is a good step.
        Assert.True(float.IsFinite(net.TrainStep(x.AsSpan(0, 36 * Inputs), labels.AsSpan(0, 36))));
        Assert.Equal(1, net.Step);
    });

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 7)]
    [InlineData(1, 199)]
    [InlineData(2, 199)]
    public void AnOverflowInsideTheFirstLayersWeightGradientGemmIsRefusedNamingIt(int threads, int column) => Split(threads, () =>
    {
        // W0 = 0 and b0 = 1: the forward pass does not see x, so the loss stays finite; x[·, column] = 3e38 (finite)
        // against dh ≈ 0.4 per row makes dW0[·, column] = Σ_b dh·x ≈ 64 · 0.4 · 3e38 overflow inside the GEMM (packed,
        // split over the cores; column 199 lies in the last, partial column panel).
        var net = new FusedCheckMlp(5);
        net.GetParameter("0.weight").Clear();
        net.GetParameter("0.bias").Fill(1);
        Scale(net.GetParameter("4.weight"), 100);
        (float[] x, int[] _) = Batch(64, 0);
        int[] labels = new int[64];
        for (int r = 0; r < 64; r++)
        {
            x[(r * Inputs) + column] = 3e38f;
        }

        byte[] before = State(net);
        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(x, labels));
        Assert.Equal("0.weight", e.Tensor);
        Assert.Equal(column, e.Element % Inputs);
        Assert.Contains("the loss is", e.Message);
        Assert.True(double.IsFinite(e.Loss));
        Assert.Equal(before, State(net));
        Assert.Equal(0, net.Step);
        Assert.Equal("0.weight", Assert.Throws<NonFiniteStepException>(() => net.ComputeGradients(x, labels)).Tensor);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AnOverflowInsideTheSecondLayersWeightGradientGemmIsRefusedNamingIt(int threads) => Split(threads, () =>
    {
        // b0 = 3e38 (finite) with W0 = 0 and W2 = 0: every output stays finite, but dW2 = Σ_b dz·h with h = 3e38
        // overflows in the packed one-core GEMM, in every row down to the 4-row last panel (rows 36-39).
        var net = new FusedCheckMlp(6);
        net.GetParameter("0.weight").Clear();
        net.GetParameter("0.bias").Fill(3e38f);
        net.GetParameter("2.weight").Clear();
        net.GetParameter("2.bias").Fill(1);
        Scale(net.GetParameter("4.weight"), 100);
        (float[] x, int[] _) = Batch(64, 0);
        int[] labels = new int[64];
        byte[] before = State(net);
        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(x, labels));
        Assert.Equal("2.weight", e.Tensor);
        Assert.True(double.IsFinite(e.Loss));
        Assert.Equal(before, State(net));
        Assert.Equal(0, net.Step);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AnOverflowInOneBiasGradientAloneIsRefusedNamingIt(int threads) => Split(threads, () =>
    {
        // h1 = relu(W0·x + b0) = 1e-20 (W0 = 0), h3 = relu(0·h1 + 1e-30) = 1e-30; W4 = ±3e38 in column 5 only, for the
        // two classes 0 and 1 (every label 1). The logits are ±3e8, the loss finite; dh3[·, 5] = (p0 + 1 − p1)·3e38 / 64 ≈
        // 9.4e36 per row, so db2[5] = Σ_b overflows to ∞ while dW2[5, ·] = Σ_b dh3·1e-20 stays finite: the one non-finite
        // gradient is element 5 of "2.bias".
        var net = new FusedCheckMlp(7);
        net.GetParameter("0.weight").Clear();
        net.GetParameter("0.bias").Fill(1e-20f);
        net.GetParameter("2.weight").Clear();
        net.GetParameter("2.bias").Fill(1e-30f);
        Span<float> w4 = net.GetParameter("4.weight");
        w4.Clear();
        w4[(0 * 40) + 5] = 3e38f;
        w4[(1 * 40) + 5] = -3e38f;
        net.GetParameter("4.bias").Clear();
        (float[] x, int[] _) = Batch(64, 0);
        int[] labels = Enumerable.Repeat(1, 64).ToArray();
        byte[] before = State(net);
        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(x, labels));
        Assert.Equal("2.bias", e.Tensor);
        Assert.Equal(5, e.Element);
        Assert.True(double.IsFinite(e.Loss));
        float[] gradients = net.Gradients.ToArray();
        Assert.Single(gradients, g => !float.IsFinite(g));
        Assert.Equal(before, State(net));
        Assert.Equal(0, net.Step);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheChecksChangeNoBitOfTraining(int threads)
    {
        // 20 steps with the checks, 20 with every check off (the benchmark switch): the same bits, loss by loss.
        byte[] With(bool checks) => Split(threads, () =>
        {
            var net = new FusedCheckMlp(8);
            FiniteCheck.Disabled = !checks;
            try
            {
                for (int step = 0; step < 20; step++)
                {
                    (float[] x, int[] labels) = Batch(step % 3 == 2 ? 41 : 64, step);
                    Assert.True(float.IsFinite(net.TrainStep(x, labels)));
                }
            }
            finally
            {
                FiniteCheck.Disabled = false;
            }

            return State(net);
        });

        Assert.Equal(With(checks: false), With(checks: true));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void WithWeightDecayTheWeightGradientsAreReadAndTheContractHolds(int threads) => Split(threads, () =>
    {
        var net = new FusedCheckDecay(9);
        (float[] x, int[] labels) = Batch(64, 0);
        net.TrainStep(x, labels);
        byte[] before = State(net);
        float[] poisoned = (float[])x.Clone();
        poisoned[4321] = float.NaN;
        Assert.Contains("inputs[4321]", Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(poisoned, labels)).Message);
        Assert.Equal(before, State(net));

        net.GetParameter("0.weight").Clear();
        net.GetParameter("0.bias").Fill(1);
        Scale(net.GetParameter("4.weight"), 100);
        before = State(net);
        for (int r = 0; r < 64; r++)
        {
            x[(r * Inputs) + 3] = 3e38f;
        }

        var e = Assert.Throws<NonFiniteStepException>(() => net.TrainStep(x, new int[64]));
        Assert.Equal("0.weight", e.Tensor);
        Assert.Equal(before, State(net));
        Assert.Equal(1, net.Step);
    });

    [Fact]
    public void WithClippingTheInputsAreCheckedFirstAndTheGradientsLeftAlone()
    {
        var net = new FusedCheckMlp(10) { ClipGradientNorm = 1.0 };
        (float[] x, int[] labels) = Batch(64, 0);
        net.TrainStep(x, labels);
        float[] gradients = net.Gradients.ToArray();
        byte[] before = State(net);
        x[999] = float.PositiveInfinity;
        Assert.Contains("inputs[999]", Assert.Throws<ArgumentOutOfRangeException>(() => net.TrainStep(x, labels)).Message);
        Assert.Equal(gradients, net.Gradients.ToArray()); // refused by the guard, before the forward pass
        Assert.Equal(before, State(net));
    }

    [Fact]
    public void FitSkipsAndCountsTheStepsTheFoldedCheckRefuses()
    {
        var x = new float[32 * Inputs];
        var y = new int[32];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)Math.Sin(i * 0.01);
        }

        for (int i = 0; i < y.Length; i++)
        {
            y[i] = i % 10;
        }

        var net = new FusedCheckMlp(11);
        TrainingHistory history = net.Fit(new InMemoryDataset(x, y, Inputs), new FitOptions
        {
            Epochs = 2,
            BatchSize = 8,
            NonFiniteSteps = NonFiniteStepPolicy.Skip,
            TrainingEvaluationRows = 0,
            Progress = TrainingProgress.None,
            TransformBatch = (batch, rows, epoch, index) =>
            {
                if (index == 2)
                {
                    batch.Fill(3e38f); // finite inputs whose forward pass overflows
                }
            },
        });
        Assert.Equal(2, history.SkippedSteps);
        Assert.Equal(2 * 3, net.Step);
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheStepCheckReadsTheUncheckedRangesOnly(int threads) => Split(threads, () =>
    {
        var finite = new FiniteCheck();
        float[] gradients = new float[1000];
        int[] ranges = { 100, 50, 900, 100 };
        Assert.True(Guard.IsFiniteStep<float>(0.5, finite, gradients, ranges));
        gradients[10] = float.NaN; // in no range: a kernel's to check
        Assert.True(Guard.IsFiniteStep<float>(0.5, finite, gradients, ranges));
        gradients[999] = float.NaN; // the last value of the last range (a bias, say)
        Assert.False(Guard.IsFiniteStep<float>(0.5, finite, gradients, ranges));
        gradients[999] = 0;
        Assert.False(Guard.IsFiniteStep<float>(double.NaN, finite, gradients, ranges));
        Volatile.Write(ref finite.NonFinite, 1);
        Assert.False(Guard.IsFiniteStep<float>(0.5, finite, gradients, ranges));
        finite.Reset();
        Assert.True(finite.AllFinite);
    });

    private static void Scale(Span<float> values, float factor)
    {
        foreach (ref float v in values)
        {
            v *= factor;
        }
    }
}
