using System.Numerics;
using System.Runtime.InteropServices;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>ADR 0066: Dense's dW = dyᵀ·x on a transposed copy of dy through the 8-row panels gives the bits of the 6-row
/// panels over packed dyᵀ (float and double, every edge, accumulation, the non-finite check), agrees with float64, and
/// keeps its bits on 1, 2 and 8 threads; the optimizers' prefetching loop gives the bits of the plain one (serial
/// collection: the tests switch kernels through static flags).</summary>
[Collection(nameof(KernelStateCollection))]
public sealed class FcAdamTests
{
    /// <summary>Batch, inputs, outputs: LeNet's fc1 and the benchmark MLP's first two layers at batch 64; a batch that is
    /// not a multiple of 8 (the transpose's scalar tail) with outputs past the last 8-row panel; a second row block of
    /// outputs (MC = 72) with a 4-row edge; a partial register of columns; the smallest batch and outputs it serves.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 64, 800, 500 }, { 64, 784, 256 }, { 64, 256, 128 }, { 13, 40, 21 }, { 24, 33, PackedGemm.MC + 12 }, { 8, 70, 16 },
        { 32, 17, 100 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradientOnEightRows_GivesTheBitsOfThePackedSixRowPanels(int batch, int inputs, int outputs)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            foreach (GemmMode mode in new[] { GemmMode.Packed, GemmMode.PackedParallel })
            {
                CompareBits<float>(batch, inputs, outputs, accumulate, mode);
                CompareBits<double>(batch, inputs, outputs, accumulate, mode);
            }
        }
    }

    [Fact]
    public void WeightGradientOnEightRows_FlagsANonFiniteGradientAsBefore()
    {
        const int batch = 64, inputs = 48, outputs = 40;
        float[] dy = TestUtil.Random<float>(batch * outputs, 1), x = TestUtil.Random<float>(batch * inputs, 2), w = TestUtil.Random<float>(outputs * inputs, 3);
        dy[(5 * outputs) + 33] = float.NaN; // output 33: in the fifth 8-row panel of dW
        foreach (bool on in new[] { false, true })
        {
            var check = new FiniteCheck();
            float[] dw = new float[outputs * inputs], db = new float[outputs];
            Switch(on, () => Dense.Backward<float>(dy, x, w, default, dw, db, batch, inputs, outputs, GemmMode.Packed, GemmMode.Packed, accumulate: false, finite: check));
            Assert.False(check.AllFinite);
        }
    }

    [Fact]
    public void WeightGradientOnEightRows_GivesTheSameBitsOnOneTwoAndEightThreads()
    {
        const int batch = 64, inputs = 800, outputs = 500;
        float[] dy = TestUtil.Random<float>(batch * outputs, 4), x = TestUtil.Random<float>(batch * inputs, 5), w = TestUtil.Random<float>(outputs * inputs, 6);
        float[] Backward(int threads)
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                float[] dx = new float[batch * inputs], dw = new float[outputs * inputs], db = new float[outputs];
                Dense.Backward<float>(dy, x, w, dx, dw, db, batch, inputs, outputs, GemmMode.PackedParallel, GemmMode.PackedParallel, accumulate: false, finite: new FiniteCheck());
                return [.. dx, .. dw, .. db];
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        Assert.True(Dense.WeightGradientOnEightRows);
        float[] one = Backward(1);
        Assert.Contains(one, v => v != 0);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), Backward(2).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), Backward(8).Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>Every optimizer rule over LeNet's arena (431,080 parameters, split over the cores) and over a short one
    /// (where the prefetching loop stops early and the plain loop finishes), prefetching off and on, on 1, 2 and 8
    /// threads: the bits of the one-thread run without prefetch (the prefetch is a hint; ADR 0066).</summary>
    [Theory]
    [InlineData("adam")]
    [InlineData("amsgrad")]
    [InlineData("momentum")]
    [InlineData("adagrad")]
    [InlineData("rmsprop_centered_momentum")]
    [InlineData("adadelta")]
    public void PrefetchingUpdates_GiveTheBitsOfThePlainLoop(string rule)
    {
        foreach (int n in new[] { 431_080, 300 })
        {
            float[] p0 = TestUtil.Random<float>(n, 1), g = TestUtil.Random<float>(n, 2), m0 = TestUtil.Random<float>(n, 3);
            float[] v0 = TestUtil.Random<float>(n, 4), w0 = TestUtil.Random<float>(n, 5);
            for (int i = 0; i < n; i++)
            {
                v0[i] = Math.Abs(v0[i]) + 1; // second moments: never negative, and above the squared mean
                w0[i] = rule == "amsgrad" ? Math.Abs(w0[i]) : w0[i] * 0.1f;
                m0[i] = rule == "adadelta" ? Math.Abs(m0[i]) : m0[i];
            }

            float[] Update(bool prefetch, int threads)
            {
                float[] p = (float[])p0.Clone(), m = (float[])m0.Clone(), v = (float[])v0.Clone(), w = (float[])w0.Clone();
                bool previous = Optimizers.PrefetchAhead;
                int parts = Workers.SplitAsIfForTests(threads);
                Optimizers.PrefetchAhead = prefetch;
                try
                {
                    for (int step = 1; step <= 2; step++)
                    {
                        switch (rule)
                        {
                            case "adam": Optimizers.Adam<float>(p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, step); break;
                            case "amsgrad": Optimizers.AmsGrad<float>(p, g, m, v, w, 0.01f, 0.9f, 0.999f, 1e-8f, step); break;
                            case "momentum": Optimizers.Momentum<float>(p, g, v, 0.1f, 0.9f); break;
                            case "adagrad": Optimizers.AdaGrad<float>(p, g, v, 0.1f, 1e-10f); break;
                            case "rmsprop_centered_momentum": Optimizers.RmsProp<float>(p, g, v, m, w, 0.01f, 0.99f, 1e-8f, 0.9f); break;
                            default: Optimizers.AdaDelta<float>(p, g, v, m, 1f, 0.9f, 1e-6f); break;
                        }
                    }
                }
                finally
                {
                    Optimizers.PrefetchAhead = previous;
                    Workers.SplitAsIfForTests(parts);
                }
                return [.. p, .. m, .. v, .. w];
            }

            float[] plain = Update(prefetch: false, threads: 1);
            Assert.NotEqual(p0, plain[..n]);
            foreach (int threads in new[] { 1, 2, 8 })
            {
                Assert.True(MemoryMarshal.AsBytes(plain.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(Update(prefetch: true, threads).AsSpan())), $"{rule}, {n} parameters, {threads} threads: prefetching changed the bits");
            }
        }
    }

    /// <summary>dW and db with the switch off and on (dx skipped); the bits must agree, and dW must agree with float64 at
    /// the type's precision (so two equally wrong kernels do not pass).</summary>
    private static void CompareBits<T>(int batch, int inputs, int outputs, bool accumulate, GemmMode mode)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] dy = TestUtil.Random<T>(batch * outputs, 21), x = TestUtil.Random<T>(batch * inputs, 22), w = TestUtil.Random<T>(outputs * inputs, 23);
        T[] dw0 = TestUtil.Random<T>(outputs * inputs, 24), db0 = TestUtil.Random<T>(outputs, 25);
        (T[] Dw, T[] Db) Gradient(bool on)
        {
            T[] dw = (T[])dw0.Clone(), db = (T[])db0.Clone();
            var check = new FiniteCheck();
            Switch(on, () => Dense.Backward<T>(dy, x, w, default, dw, db, batch, inputs, outputs, mode, mode, accumulate, check));
            Assert.True(check.AllFinite);
            return (dw, db);
        }

        (T[] dwOff, T[] dbOff) = Gradient(on: false);
        (T[] dwOn, T[] dbOn) = Gradient(on: true);
        Assert.True(MemoryMarshal.AsBytes(dwOff.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(dwOn.AsSpan())), "dW on the transposed dy changed the bits");
        Assert.True(MemoryMarshal.AsBytes(dbOff.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(dbOn.AsSpan())), "db changed");
        double tolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-12;
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                double s = accumulate ? double.CreateChecked(dw0[(o * inputs) + i]) : 0, scale = Math.Abs(s);
                for (int b = 0; b < batch; b++)
                {
                    double t = double.CreateChecked(dy[(b * outputs) + o]) * double.CreateChecked(x[(b * inputs) + i]);
                    s += t;
                    scale += Math.Abs(t);
                }
                Assert.True(Math.Abs(double.CreateChecked(dwOn[(o * inputs) + i]) - s) <= tolerance * Math.Max(scale, 1), $"dW[{o}, {i}] = {dwOn[(o * inputs) + i]}, float64 {s}");
            }
        }
    }

    private static void Switch(bool on, Action body)
    {
        bool previous = Dense.WeightGradientOnEightRows;
        Dense.WeightGradientOnEightRows = on;
        try
        {
            body();
        }
        finally
        {
            Dense.WeightGradientOnEightRows = previous;
        }
    }
}
