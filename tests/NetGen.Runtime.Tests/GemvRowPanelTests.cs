using System.Numerics;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The batch-1 GEMV's row panels (ADR 0054): W reordered so each 8-row block is read as one stream, packed by
/// the second one-row call after the weights change. The bits are those of W read as stored, on every register width,
/// on one core, split over the cores, and with the workers asleep (run on the caller alone).</summary>
[Collection(nameof(KernelStateCollection))] // waits for the workers to fall asleep: nothing else may use them meanwhile
public class GemvRowPanelTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 3, 5 }, { 4, 16 }, { 7, 33 }, { 8, 64 }, { 11, 100 }, { 16, 17 }, { 21, 129 }, { 29, 784 }, { 256, 784 }, { 128, 256 }, { 10, 128 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RowPanels_GiveTheBitsOfWAsStored_OnEveryRegisterWidth(int outputs, int inputs)
    {
        Width<Simd512<float>, Vector512<float>, float>(outputs, inputs);
        Width<Simd256<float>, Vector256<float>, float>(outputs, inputs);
        Width<Simd128<float>, Vector128<float>, float>(outputs, inputs);
        Width<Scalar<float>, float, float>(outputs, inputs);
        Width<Simd512<double>, Vector512<double>, double>(outputs, inputs);
        Width<Simd256<double>, Vector256<double>, double>(outputs, inputs);
        Width<Simd128<double>, Vector128<double>, double>(outputs, inputs);
        Width<Scalar<double>, double, double>(outputs, inputs);
    }

    private static unsafe void Width<TS, TV, T>(int outputs, int inputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TS : ISimd<TV, T>
        where TV : struct
    {
        foreach (bool relu in new[] { false, true })
        {
            T[] x = TestUtil.Random<T>(inputs, 1), w = TestUtil.Random<T>(outputs * inputs, 2), b = TestUtil.Random<T>(outputs, 3);
            T[] asStored = new T[outputs], packing = new T[outputs], fromPanels = new T[outputs];
            T[] panels = TestUtil.Random<T>(outputs * inputs, 4); // overwritten by the packing call
            fixed (T* px = x, pw = w, pb = b, pp = panels, y0 = asStored, y1 = packing, y2 = fromPanels)
            {
                var o = new Gemv.Operands<T> { X = px, W = pw, Bias = pb, Y = y0, Inputs = inputs, Outputs = outputs, Relu = relu };
                Gemv.Rows<T, TS, TV>(o, 0, outputs);
                o.Y = y1;
                o.Panels = pp;
                o.Pack = true;
                Gemv.Rows<T, TS, TV>(o, 0, outputs);
                o.Y = y2;
                o.Pack = false;
                o.W = null; // the panels alone
                Gemv.Rows<T, TS, TV>(o, 0, outputs);
            }

            Assert.Equal(asStored, packing);
            Assert.Equal(asStored, fromPanels);
            Assert.True(asStored.Zip(fromPanels).All(p => Bits(p.First) == Bits(p.Second)), $"{typeof(TV).Name} {outputs}×{inputs}: bits differ");

            // The panels hold every weight once: a permutation of W.
            Assert.Equal(w.Select(Bits).Order(), panels.Select(Bits).Order());
        }
    }

    [Theory]
    [InlineData(256, 784)]
    [InlineData(131, 300)]
    [InlineData(17, 4100)]
    public void TheSecondCallPacks_LaterCallsReadThePanels_InvalidateGoesBackToW(int outputs, int inputs)
    {
        float[] x = TestUtil.Random<float>(inputs, 5), w = TestUtil.Random<float>(outputs * inputs, 6), b = TestUtil.Random<float>(outputs, 7);
        var packed = new PackedWeights<float>(inputs, outputs);
        foreach (GemvMode mode in new[] { GemvMode.Serial, GemvMode.Parallel })
        {
            packed.Invalidate();
            float[] expected = Serial(x, w, b, outputs, inputs);
            for (int call = 0; call < 4; call++)
            {
                float[] y = new float[outputs];
                Gemv.Forward<float>(x, w, b, y, inputs, outputs, relu: true, mode, packed);
                Assert.Equal(expected.Select(Bits), y.Select(Bits));
                Assert.Equal(call >= 1, packed.RowPanelsAreCurrent); // the first call after a change reads W as stored
            }

            // The weights change: the owner invalidates, and no call reads the old panels.
            w[3] += 1f;
            w[^1] -= 2f;
            packed.Invalidate();
            expected = Serial(x, w, b, outputs, inputs);
            for (int call = 0; call < 3; call++)
            {
                float[] y = new float[outputs];
                Gemv.Forward<float>(x, w, b, y, inputs, outputs, relu: true, mode, packed);
                Assert.Equal(expected.Select(Bits), y.Select(Bits));
            }
        }

        Assert.Throws<ArgumentException>(() => Gemv.Forward<float>(x, w, b, new float[outputs], inputs, outputs, packed: new PackedWeights<float>(inputs, outputs + 1)));
    }

    [Fact]
    public void AOneRowTrainingLoopNeverPacks()
    {
        // Dense.Forward at batch 1 after every update: each call is the first since the weights changed.
        const int inputs = 784, outputs = 256;
        float[] x = TestUtil.Random<float>(inputs, 8), w = TestUtil.Random<float>(outputs * inputs, 9), b = TestUtil.Random<float>(outputs, 10);
        var packed = new PackedWeights<float>(inputs, outputs);
        for (int step = 0; step < 5; step++)
        {
            float[] y = new float[outputs];
            Dense.Forward<float>(x, w, b, y, 1, inputs, outputs, GemmMode.PackedParallel, fuseReLU: true, packed, GemvMode.Parallel);
            Assert.Equal(Serial(x, w, b, outputs, inputs).Select(Bits), y.Select(Bits));
            w[step] += 0.5f; // the update
            packed.Invalidate();
        }

        Assert.Null(packed.RowPanels);
    }

    [Fact]
    public void WithTheWorkersAsleep_TheSplitRunsOnTheCaller_WithTheSameBits_AndABurstWakesThem()
    {
        if (Workers.MaxParts == 1)
        {
            return; // one core: nothing is ever split
        }

        const int inputs = 784, outputs = 256;
        float[] x = TestUtil.Random<float>(inputs, 11), w = TestUtil.Random<float>(outputs * inputs, 12), b = TestUtil.Random<float>(outputs, 13);
        float[] expected = Serial(x, w, b, outputs, inputs);
        var packed = new PackedWeights<float>(inputs, outputs);
        bool ranOnCaller = false, wokeForTheBurst = false;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(ranOnCaller && wokeForTheBurst) && DateTime.UtcNow < deadline)
        {
            // Idle past the workers' spin (200 µs) and past a burst (1 ms) until they block.
            Thread.Sleep(5);
            if (!Workers.AnyAsleep)
            {
                continue;
            }

            // An isolated call: on the caller alone, and nobody is woken.
            (long runs, long wakes) = (Workers.OneCoreRuns, Workers.WakesWithoutJob);
            float[] y = new float[outputs];
            Gemv.Forward<float>(x, w, b, y, inputs, outputs, relu: true, GemvMode.Parallel, packed);
            Assert.Equal(expected.Select(Bits), y.Select(Bits));
            bool isolated = Workers.OneCoreRuns == runs + 1;
            ranOnCaller |= isolated;
            Assert.True(!isolated || Workers.WakesWithoutJob == wakes, "an isolated call woke the workers");

            // Called back to back: the second call of the burst wakes them, and the woken worker takes its part again,
            // with the same bits.
            for (int call = 0; call < 20; call++)
            {
                Array.Clear(y);
                Gemv.Forward<float>(x, w, b, y, inputs, outputs, relu: true, GemvMode.Parallel, packed);
                Assert.Equal(expected.Select(Bits), y.Select(Bits));
            }
            wokeForTheBurst |= isolated && Workers.WakesWithoutJob > wakes;
        }

        Assert.True(ranOnCaller, "no one-row call found the workers asleep in 20 s");
        Assert.True(wokeForTheBurst, "no burst of one-row calls woke the sleeping workers in 20 s");
    }

    private static float[] Serial(float[] x, float[] w, float[] b, int outputs, int inputs)
    {
        float[] y = new float[outputs];
        Gemv.Forward<float>(x, w, b, y, inputs, outputs, relu: true, GemvMode.Serial);
        return y;
    }

    private static long Bits<T>(T value)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? BitConverter.SingleToInt32Bits((float)(object)value) : BitConverter.DoubleToInt64Bits((double)(object)value);
}
