using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>Two Dense layers at batch 1 in one parallel region (<see cref="Gemv.ForwardPair{T}"/>, ADR 0061): the first
/// layer's bits are <see cref="Gemv.Forward{T}"/>'s; the second layer's sums are cut at <see cref="Gemv.PairSplit"/> on
/// every number of threads (the bits of the two halves computed apart and added), close to a float64 reference, the same
/// from W as stored and from the panels, on 1, 2 and 8 threads and with the workers held.</summary>
[Collection(nameof(KernelStateCollection))] // splits as if the machine had 1, 2 and 8 cores and holds the workers
public class GemvPairTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 784, 256, 128 }, { 784, 256, 10 }, { 300, 40, 10 }, { 100, 1000, 3 }, { 2100, 33, 21 }, { 200, 47, 9 },
        { 300, 64, 70 }, { 100, 48, 200 }, { 500, 40, 64 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheFloat64Reference(int inputs, int hidden, int outputs)
    {
        Reference<float>(inputs, hidden, outputs, 1e-5);
        Reference<double>(inputs, hidden, outputs, 1e-12);
    }

    private static void Reference<T>(int inputs, int hidden, int outputs, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(inputs, 1), w = TestUtil.Random<T>(hidden * inputs, 2), b = TestUtil.Random<T>(hidden, 3);
        T[] w1 = TestUtil.Random<T>(outputs * hidden, 4), b1 = TestUtil.Random<T>(outputs, 5);
        foreach (bool nextReLU in new[] { false, true })
        {
            T[] h = new T[hidden], y = new T[outputs];
            Gemv.ForwardPair<T>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU);

            double[] hd = new double[hidden], magnitude = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                double s = double.CreateTruncating(b[j]), m = Math.Abs(s);
                for (int p = 0; p < inputs; p++)
                {
                    double t = double.CreateTruncating(w[(j * inputs) + p]) * double.CreateTruncating(x[p]);
                    s += t;
                    m += Math.Abs(t);
                }
                hd[j] = Math.Max(0, s);
                magnitude[j] = m;
            }
            for (int j = 0; j < hidden; j++)
            {
                Assert.True(Math.Abs(double.CreateTruncating(h[j]) - hd[j]) <= tolerance * magnitude[j], $"h[{j}]: {h[j]} against {hd[j]}");
            }

            for (int o = 0; o < outputs; o++)
            {
                // Against h as computed (the first layer's own rounding is checked above).
                double s = double.CreateTruncating(b1[o]), m = Math.Abs(s);
                for (int j = 0; j < hidden; j++)
                {
                    double t = double.CreateTruncating(w1[(o * hidden) + j]) * double.CreateTruncating(h[j]);
                    s += t;
                    m += Math.Abs(t);
                }
                double expected = nextReLU ? Math.Max(0, s) : s;
                Assert.True(Math.Abs(double.CreateTruncating(y[o]) - expected) <= tolerance * m, $"y[{o}]: {y[o]} against {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheBitsOfTheTwoHalvesComputedApartAndAdded(int inputs, int hidden, int outputs)
    {
        float[] x = TestUtil.Random<float>(inputs, 6), w = TestUtil.Random<float>(hidden * inputs, 7), b = TestUtil.Random<float>(hidden, 8);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 9), b1 = TestUtil.Random<float>(outputs, 10);
        float[] h = new float[hidden], y = new float[outputs];
        Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: true);

        // The first layer: Gemv.Forward's bits.
        float[] h0 = new float[hidden];
        Gemv.Forward<float>(x, w, b, h0, inputs, hidden, relu: true, GemvMode.Serial);
        Assert.Equal(h0.Select(BitConverter.SingleToInt32Bits), h.Select(BitConverter.SingleToInt32Bits));

        // The second: (b₁ + W₁[:, 0:s]·h[0:s]) + W₁[:, s:H]·h[s:H].
        int s = Gemv.PairSplit(hidden);
        Assert.True(s % 16 == 0 && s >= 16 && s < hidden);
        if (Gemv.PairColumns(outputs))
        {
            // Over columns (ADR 0067): each half one fused multiply-add chain per output along its depth, in order, from b₁
            // or zero; then the halves added and max(0, ·). Spelled out here one scalar at a time.
            float[] chains = new float[outputs];
            for (int o = 0; o < outputs; o++)
            {
                float p = b1[o], q = 0f;
                for (int k = 0; k < s; k++)
                {
                    p = MathF.FusedMultiplyAdd(h0[k], w1[(o * hidden) + k], p);
                }
                for (int k = s; k < hidden; k++)
                {
                    q = MathF.FusedMultiplyAdd(h0[k], w1[(o * hidden) + k], q);
                }
                chains[o] = Math.Max(p + q, 0f);
            }
            if (FusedEverywhere)
            {
                Assert.Equal(chains.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
            }

            // Switched off: the halves as row dot products (ADR 0061), checked below.
            Gemv.ColumnsInPair = false;
            try
            {
                Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: true);
            }
            finally
            {
                Gemv.ColumnsInPair = true;
            }
        }

        float[] first = new float[outputs], second = new float[outputs];
        Gemv.Forward<float>(h0.AsSpan(0, s), Columns(w1, outputs, hidden, 0, s), b1, first, s, outputs, relu: false, GemvMode.Serial);
        Gemv.Forward<float>(h0.AsSpan(s), Columns(w1, outputs, hidden, s, hidden), default, second, hidden - s, outputs, relu: false, GemvMode.Serial);
        float[] expected = first.Zip(second, (p, q) => Math.Max(p + q, 0f)).ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(784, 256, 128)]
    [InlineData(300, 40, 10)]
    [InlineData(2100, 33, 21)]
    public void SameBitsOnEveryThreadCount_FromWAsStoredAndFromThePanels_AndWithTheWorkersHeld(int inputs, int hidden, int outputs)
    {
        float[] x = TestUtil.Random<float>(inputs, 11), w = TestUtil.Random<float>(hidden * inputs, 12), b = TestUtil.Random<float>(hidden, 13);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 14), b1 = TestUtil.Random<float>(outputs, 15);
        float[] hExpected = new float[hidden], yExpected = new float[outputs];
        Gemv.ForwardPair<float>(x, w, b, hExpected, w1, b1, yExpected, inputs, hidden, outputs, relu: true, nextReLU: false);

        int previous = Workers.SplitAsIfForTests(Workers.MaxParts);
        try
        {
            foreach (int threads in new[] { 1, 2, 8 })
            {
                Workers.SplitAsIfForTests(threads);
                var packed = new PackedWeights<float>(inputs, hidden);
                var nextPacked = new PackedWeights<float>(hidden, outputs);
                for (int call = 0; call < 4; call++)
                {
                    float[] h = new float[hidden], y = new float[outputs];
                    Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
                    Assert.Equal(hExpected.Select(BitConverter.SingleToInt32Bits), h.Select(BitConverter.SingleToInt32Bits));
                    Assert.Equal(yExpected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
                    bool panels = Gemv.UsesRowPanels(hidden, inputs) && call >= 1;
                    Assert.Equal(panels, packed.RowPanelsAreCurrent);
                    Assert.Equal(panels, Gemv.PairColumns(outputs) ? nextPacked.PairColumnsAreCurrent : nextPacked.PairPanelsAreCurrent); // packed with the first layer's, read after
                }

                // The weights change: nothing reads the old panels.
                w1[5] += 1f;
                nextPacked.Invalidate();
                packed.Invalidate();
                float[] h2 = new float[hidden], y2 = new float[outputs], h3 = new float[hidden], y3 = new float[outputs];
                Gemv.ForwardPair<float>(x, w, b, h2, w1, b1, y2, inputs, hidden, outputs, relu: true, nextReLU: false);
                Gemv.ForwardPair<float>(x, w, b, h3, w1, b1, y3, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
                Assert.Equal(y2.Select(BitConverter.SingleToInt32Bits), y3.Select(BitConverter.SingleToInt32Bits));
                w1[5] -= 1f;
            }

            // The workers held by another caller: the pair runs on this thread alone, with the same bits.
            Workers.SplitAsIfForTests(2);
            Assert.True(Workers.TryAcquire());
            float[] hHeld = new float[hidden], yHeld = new float[outputs];
            try
            {
                Gemv.ForwardPair<float>(x, w, b, hHeld, w1, b1, yHeld, inputs, hidden, outputs, relu: true, nextReLU: false);
            }
            finally
            {
                Workers.RunAndRelease(new NoJob(), 1);
            }
            Assert.Equal(yExpected.Select(BitConverter.SingleToInt32Bits), yHeld.Select(BitConverter.SingleToInt32Bits));
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
        }
    }

    [Fact]
    public void SwitchedOff_ItIsTheTwoCallsItReplaced()
    {
        const int inputs = 784, hidden = 256, outputs = 128;
        float[] x = TestUtil.Random<float>(inputs, 16), w = TestUtil.Random<float>(hidden * inputs, 17), b = TestUtil.Random<float>(hidden, 18);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 19), b1 = TestUtil.Random<float>(outputs, 20);
        float[] h = new float[hidden], y = new float[outputs], h0 = new float[hidden], y0 = new float[outputs];
        Gemv.PairInOneRegion = false;
        try
        {
            Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: true);
        }
        finally
        {
            Gemv.PairInOneRegion = true;
        }
        Gemv.Forward<float>(x, w, b, h0, inputs, hidden, relu: true, GemvMode.Parallel);
        Gemv.Forward<float>(h0, w1, b1, y0, hidden, outputs, relu: true, GemvMode.Serial);
        Assert.Equal(h0.Select(BitConverter.SingleToInt32Bits), h.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(y0.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void PairsOnlyASplitLayerBeforeAnUnsplitOne_AndRejectsBadShapes()
    {
        Assert.True(Gemv.Pairs(784, 256, 128));
        Assert.True(Gemv.Pairs(784, 256, 10));
        Assert.False(Gemv.Pairs(784, 256, 512)); // the second is split itself
        Assert.False(Gemv.Pairs(100, 100, 10)); // the first is not split
        Assert.False(Gemv.Pairs(4000, 31, 10)); // too few hidden units for two halves of whole registers
        float[] x = new float[784], w = new float[256 * 784], h = new float[256], w1 = new float[128 * 256], y = new float[128];
        Assert.Throws<ArgumentException>(() => Gemv.ForwardPair<float>(x, w, default, h, w1, default, y, 784, 256, 128, true, true, nextPacked: new PackedWeights<float>(256, 127)));
        Assert.ThrowsAny<ArgumentException>(() => Gemv.ForwardPair<float>(x, w, default, h, w1, default, y.AsSpan(0, 100), 784, 256, 128, true, true));
    }

    [Theory]
    [InlineData(784, 256, 128)]
    [InlineData(300, 40, 10)]
    public unsafe void InputCopiesAndPanelsOnCacheLinesGiveTheSameBits(int inputs, int hidden, int outputs)
    {
        // x starts 4 bytes past a cache line (a slice of a pinned array), as a user's array usually does not start on one.
        float[] xs = GC.AllocateArray<float>(inputs + 32, pinned: true);
        int start;
        fixed (float* p = xs)
        {
            start = ((int)((64 - ((nint)p & 63)) & 63) / 4) + 1;
        }
        TestUtil.Random<float>(inputs, 21).CopyTo(xs, start);
        float[] w = TestUtil.Random<float>(hidden * inputs, 22), b = TestUtil.Random<float>(hidden, 23);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 24), b1 = TestUtil.Random<float>(outputs, 25);
        ReadOnlySpan<float> x = xs.AsSpan(start, inputs);
        float[] h = new float[hidden], y = new float[outputs], single = new float[hidden];
        Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: true);
        Gemv.Forward<float>(x, w, b, single, inputs, hidden, relu: true, GemvMode.Serial);

        bool alignInput = Gemv.AlignInput, alignPanels = Gemv.AlignPanels;
        try
        {
            foreach (bool copy in new[] { false, true })
            {
                foreach (bool lines in new[] { false, true })
                {
                    Gemv.AlignInput = copy;
                    Gemv.AlignPanels = lines;
                    var packed = new PackedWeights<float>(inputs, hidden);
                    var nextPacked = new PackedWeights<float>(hidden, outputs);
                    var alone = new PackedWeights<float>(inputs, hidden);
                    for (int call = 0; call < 3; call++)
                    {
                        float[] h2 = new float[hidden], y2 = new float[outputs], s2 = new float[hidden];
                        Gemv.ForwardPair<float>(x, w, b, h2, w1, b1, y2, inputs, hidden, outputs, relu: true, nextReLU: true, packed, nextPacked);
                        Gemv.Forward<float>(x, w, b, s2, inputs, hidden, relu: true, GemvMode.Parallel, alone);
                        Assert.Equal(h.Select(BitConverter.SingleToInt32Bits), h2.Select(BitConverter.SingleToInt32Bits));
                        Assert.Equal(y.Select(BitConverter.SingleToInt32Bits), y2.Select(BitConverter.SingleToInt32Bits));
                        Assert.Equal(single.Select(BitConverter.SingleToInt32Bits), s2.Select(BitConverter.SingleToInt32Bits));
                    }

                    Assert.Equal(copy, packed.XCopies is not null);
                    if (lines && packed.RowPanels is not null)
                    {
                        fixed (float* p = packed.RowPanels)
                        {
                            Assert.Equal(0, ((nint)(p + packed.RowPanelOffset)) & 63);
                        }
                    }
                }
            }
        }
        finally
        {
            Gemv.AlignInput = alignInput;
            Gemv.AlignPanels = alignPanels;
        }
    }

    /// <summary>Whether every register width's multiply-add is fused here (x64 with FMA3, or not x64): the columns' chains
    /// then have the bits of <see cref="MathF.FusedMultiplyAdd"/> in every lane.</summary>
    private static bool FusedEverywhere => System.Runtime.Intrinsics.X86.Fma.IsSupported || !System.Runtime.Intrinsics.X86.X86Base.IsSupported;

    [Theory]
    [InlineData(784, 256, 128)]
    [InlineData(300, 48, 200)]
    [InlineData(300, 64, 70)]
    public void OverColumns_TheSameBitsFromThePanelsAsFromWAsStored_AndFromEveryRegisterWidthsLanes(int inputs, int hidden, int outputs)
    {
        // The first call reads W₁ as stored (one output at a time), the second packs the columns, the third reads them.
        float[] x = TestUtil.Random<float>(inputs, 26), w = TestUtil.Random<float>(hidden * inputs, 27), b = TestUtil.Random<float>(hidden, 28);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 29), b1 = TestUtil.Random<float>(outputs, 30);
        Assert.True(Gemv.PairColumns(outputs) && Gemv.UsesRowPanels(hidden, inputs));
        var packed = new PackedWeights<float>(inputs, hidden);
        var nextPacked = new PackedWeights<float>(hidden, outputs);
        float[] first = new float[outputs];
        Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, first, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
        for (int call = 1; call < 4; call++)
        {
            float[] y = new float[outputs];
            Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
            Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.True(nextPacked.PairColumnsAreCurrent);
        Assert.False(nextPacked.PairPanelsAreCurrent);

        // Switched off and on again: each layout kept apart, both current, the bits of each way unchanged.
        Gemv.ColumnsInPair = false;
        float[] rows = new float[outputs];
        try
        {
            for (int call = 0; call < 3; call++)
            {
                Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, rows, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
            }
        }
        finally
        {
            Gemv.ColumnsInPair = true;
        }
        Assert.True(nextPacked.PairPanelsAreCurrent && nextPacked.PairColumnsAreCurrent);
        float[] again = new float[outputs];
        Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, again, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), again.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(first.Select(BitConverter.SingleToInt32Bits), rows.Select(BitConverter.SingleToInt32Bits)); // another summation order
        nextPacked.Invalidate();
        Assert.False(nextPacked.PairColumnsAreCurrent);
    }

    [Theory]
    [InlineData(784, 256, 128)]
    [InlineData(784, 256, 10)]
    public void TheCallersPartAddingTheHalves_GivesTheBitsOfTheAddAfterTheJoin(int inputs, int hidden, int outputs)
    {
        // ADR 0067: the caller waits for the worker's half inside its own part and adds there; the same operations as the
        // add after RunAndRelease (ADR 0061), so the same bits, call after call (some calls find the worker's half done
        // in time, some leave it to the join; either way the bits hold).
        float[] x = TestUtil.Random<float>(inputs, 31), w = TestUtil.Random<float>(hidden * inputs, 32), b = TestUtil.Random<float>(hidden, 33);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 34), b1 = TestUtil.Random<float>(outputs, 35);
        int previous = Workers.SplitAsIfForTests(2);
        try
        {
            var packed = new PackedWeights<float>(inputs, hidden);
            var nextPacked = new PackedWeights<float>(hidden, outputs);
            float[] after = new float[outputs];
            bool join = Gemv.JoinInCallersPart;
            Gemv.JoinInCallersPart = false;
            Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, after, inputs, hidden, outputs, relu: true, nextReLU: true, packed, nextPacked);
            Gemv.JoinInCallersPart = true;
            for (int call = 0; call < 200; call++)
            {
                float[] y = new float[outputs];
                Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: true, packed, nextPacked);
                Assert.Equal(after.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
            }
            Gemv.JoinInCallersPart = join;
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
            Gemv.JoinInCallersPart = false;
        }
    }

    [Theory]
    [InlineData(784, 256, 128)]
    [InlineData(784, 256, 10)]
    [InlineData(300, 40, 10)]
    [InlineData(2100, 33, 21)]
    public void AnUnevenCut_IsTheCutOfTheArithmetic_OnEveryThreadCount(int inputs, int hidden, int outputs)
    {
        // The caller's share (Gemv.PairCallerSixteenths) moves where each output's second chain starts: the result is the
        // two chains cut there, bit for bit, on 1, 2 and 8 threads; the row panels of the second layer follow the cut.
        float[] x = TestUtil.Random<float>(inputs, 36), w = TestUtil.Random<float>(hidden * inputs, 37), b = TestUtil.Random<float>(hidden, 38);
        float[] w1 = TestUtil.Random<float>(outputs * hidden, 39), b1 = TestUtil.Random<float>(outputs, 40);
        int previous = Workers.SplitAsIfForTests(Workers.MaxParts), share = Gemv.PairCallerSixteenths;
        try
        {
            var packed = new PackedWeights<float>(inputs, hidden);
            var nextPacked = new PackedWeights<float>(hidden, outputs);
            foreach (int sixteenths in new[] { 8, 10, 9, 15, 8 })
            {
                Gemv.PairCallerSixteenths = sixteenths;
                int s = Gemv.PairSplit(hidden);
                Assert.True(s % 16 == 0 && s >= 16 && s < hidden);
                float[] h0 = new float[hidden];
                Gemv.Forward<float>(x, w, b, h0, inputs, hidden, relu: true, GemvMode.Serial);
                float[] expected = new float[outputs];
                if (Gemv.PairColumns(outputs))
                {
                    for (int o = 0; o < outputs; o++)
                    {
                        float p = b1[o], q = 0f;
                        for (int k = 0; k < s; k++)
                        {
                            p = MathF.FusedMultiplyAdd(h0[k], w1[(o * hidden) + k], p);
                        }
                        for (int k = s; k < hidden; k++)
                        {
                            q = MathF.FusedMultiplyAdd(h0[k], w1[(o * hidden) + k], q);
                        }
                        expected[o] = p + q;
                    }
                }
                else
                {
                    float[] first = new float[outputs], second = new float[outputs];
                    Gemv.Forward<float>(h0.AsSpan(0, s), Columns(w1, outputs, hidden, 0, s), b1, first, s, outputs, relu: false, GemvMode.Serial);
                    Gemv.Forward<float>(h0.AsSpan(s), Columns(w1, outputs, hidden, s, hidden), default, second, hidden - s, outputs, relu: false, GemvMode.Serial);
                    expected = first.Zip(second, (p, q) => p + q).ToArray();
                }

                foreach (int threads in new[] { 1, 2, 8 })
                {
                    Workers.SplitAsIfForTests(threads);
                    for (int call = 0; call < 3; call++)
                    {
                        float[] y = new float[outputs];
                        Gemv.ForwardPair<float>(x, w, b, new float[hidden], w1, b1, y, inputs, hidden, outputs, relu: true, nextReLU: false, packed, nextPacked);
                        if (FusedEverywhere || !Gemv.PairColumns(outputs))
                        {
                            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
                        }
                    }
                }
            }
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
            Gemv.PairCallerSixteenths = share;
        }
    }

    private static float[] Columns(float[] w, int rows, int stride, int k0, int k1)
    {
        var c = new float[rows * (k1 - k0)];
        for (int r = 0; r < rows; r++)
        {
            w.AsSpan((r * stride) + k0, k1 - k0).CopyTo(c.AsSpan(r * (k1 - k0)));
        }
        return c;
    }

    private sealed class NoJob : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }
}
