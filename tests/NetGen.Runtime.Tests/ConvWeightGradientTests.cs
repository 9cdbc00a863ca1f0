using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The direct weight gradient of ADR 0056 (<see cref="Conv2DWeightGradient"/>): dW bit for bit the kernel it
/// replaces (lane sums on registers or on scalars, samples inside or outside the blocks), db (now summed per group) against a float64 reference, and both the same on 1, 2 and 8 threads. In
/// <see cref="KernelStateCollection"/>: the tests switch the kernel off and on, which other classes' thread-count tests
/// must not see mid-run (db's bits depend on the switch).</summary>
[Collection(nameof(KernelStateCollection))]
public class ConvWeightGradientTests
{
    /// <summary>C, H, W, O, Kh, Kw, batch: stride-1, unpadded geometries of the direct dW.</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        [1, 28, 28, 8, 3, 3, 64],   // the bench CNN's conv1
        [8, 13, 13, 16, 3, 3, 64],  // the bench CNN's conv2
        [1, 28, 28, 20, 5, 5, 3],   // LeNet's conv1: O = 20, the last channel block overlaps; Kw = 5, so does the last tap block
        [3, 9, 11, 9, 3, 4, 13],    // odd sizes, O = 9, Kw = 4, a batch that splits unevenly into 8 groups
        [2, 7, 16, 12, 2, 3, 5],    // Kh = 2, W = 16: every wide row a whole register
        [4, 6, 6, 8, 4, 6, 1],      // one sample, one group; the kernel as wide as the input (Wo = 1)
        [2, 30, 20, 9, 3, 4, 5],    // 35 registers of wide outputs: samples outside the blocks, O = 9, Kw = 4
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void NewKernel_GivesTheDwBitsOfTheKernelItReplaces(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2D.DirectWeightGradient<float>(g));
        Assert.True(Conv2DWeightGradient.Serves<float>(g) || !Simd512<float>.IsAccelerated);
        Compare<float>(g, batch);
        Compare<double>(g, batch);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Db_MatchesAFloat64Reference(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 3);
        float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
        Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
        for (int r = 0; r < o; r++)
        {
            double expected = 0, magnitude = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int q = 0; q < g.OutPlane; q++)
                {
                    float v = dy[(b * g.OutputLength) + (r * g.OutPlane) + q];
                    expected += v;
                    magnitude += Math.Abs(v);
                }
            }
            // Float32 sums of n terms: an error bound of about n·ε·Σ|v| in the worst case, far less in practice.
            Assert.True(Math.Abs(db[r] - expected) <= 1e-5 * magnitude, $"db[{r}] = {db[r]}, float64 {expected}");
        }
        // dW against float64 too (the same bits as before, so this pins the arithmetic, not the schedule).
        for (int r = 0; r < o; r++)
        {
            for (int p = 0; p < g.ColumnRows; p++)
            {
                int ci = p / (kh * kw), i = p % (kh * kw) / kw, j = p % kw;
                double expected = 0, magnitude = 0;
                for (int b = 0; b < batch; b++)
                {
                    for (int y = 0; y < g.OutHeight; y++)
                    {
                        for (int xo = 0; xo < g.OutWidth; xo++)
                        {
                            double term = (double)dy[(b * g.OutputLength) + (r * g.OutPlane) + (y * g.OutWidth) + xo]
                                * x[(b * g.InputLength) + (ci * h * w) + ((y + i) * w) + xo + j];
                            expected += term;
                            magnitude += Math.Abs(term);
                        }
                    }
                }
                Assert.True(Math.Abs(dw[(r * g.ColumnRows) + p] - expected) <= 1e-5 * magnitude, $"dW[{r}, {p}] = {dw[(r * g.ColumnRows) + p]}, float64 {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Results_DoNotDependOnTheThreadCount(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        AssertSameBitsOnEveryThreadCount(new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0), batch, seed: 1);
    }

    /// <summary>dx, dW and db of <c>Conv2D.Backward</c> with the workers held, then split as for 1, 2 and 8 threads: the same
    /// bits every time (inputs drawn from <paramref name="seed"/>, <paramref name="seed"/> + 1 and + 3).</summary>
    internal static void AssertSameBitsOnEveryThreadCount(Conv2DGeometry g, int batch, int seed)
    {
        float[] x = TestUtil.Random<float>(batch * g.InputLength, seed), wt = TestUtil.Random<float>(g.WeightLength, seed + 1);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, seed + 3);
        (float[] Dx, float[] Dw, float[] Db) Run()
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[g.OutChannels];
            Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            return (dx, dw, db);
        }

        Conv2DTests.HoldWorkers();
        (float[] Dx, float[] Dw, float[] Db) serial;
        try
        {
            serial = Run();
        }
        finally
        {
            Workers.RunAndRelease(new Conv2DTests.Nothing(), 1);
        }
        foreach (int threads in new[] { 1, 2, 8 })
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                var parallel = Run();
                Assert.Equal(serial.Dx.Select(BitConverter.SingleToInt32Bits), parallel.Dx.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(serial.Dw.Select(BitConverter.SingleToInt32Bits), parallel.Dw.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(serial.Db.Select(BitConverter.SingleToInt32Bits), parallel.Db.Select(BitConverter.SingleToInt32Bits));
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
    }

    [Fact]
    public void SamplesRunOutsideTheBlocks_ForLongWideRows()
    {
        Assert.True(Conv2DWeightGradient.SamplesOutside(new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0)));   // 46 registers
        Assert.False(Conv2DWeightGradient.SamplesOutside(new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0))); // 9 registers
    }

    [Fact]
    public void NewKernel_IsNotTaken_OutsideItsRule()
    {
        Assert.False(Conv2DWeightGradient.Serves<float>(new Conv2DGeometry(3, 9, 9, 4, 3, 3, 1, 1, 0, 0)));  // O = 4 < 8
        Assert.False(Conv2DWeightGradient.Serves<float>(new Conv2DGeometry(3, 9, 9, 16, 3, 2, 1, 1, 0, 0))); // Kw = 2 < 3
        try
        {
            Conv2DWeightGradient.Enabled = false;
            Assert.False(Conv2DWeightGradient.Serves<float>(new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0)));
        }
        finally
        {
            Conv2DWeightGradient.Enabled = true;
        }
    }

    /// <summary>dW of the new kernel and of the old one hold the same bits, on inputs with −0, ∞ and NaN kept out of
    /// the products that reach a sum (random values, a few exact zeros and repeated values).</summary>
    private static void Compare<T>(Conv2DGeometry g, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 5), wt = TestUtil.Random<T>(g.WeightLength, 6);
        T[] dy = TestUtil.Random<T>(batch * g.OutputLength, 7);
        for (int i = 0; i < dy.Length; i += 5)
        {
            dy[i] = T.Zero; // the ReLU's and the pool's zeros
        }
        (T[] Dw, T[] Db) Run()
        {
            T[] dw = new T[g.WeightLength], db = new T[g.OutChannels];
            Conv2D.Backward<T>(dy, x, wt, default, dw, db, batch, g);
            return (dw, db);
        }

        var fresh = Run();
        (T[] Dw, T[] Db) before, scalarLanes;
        try
        {
            Conv2DWeightGradient.Enabled = false;
            before = Run();
            Conv2DWeightGradient.Enabled = true;
            Conv2DWeightGradient.LanesOnRegisters = false;
            scalarLanes = Run();
        }
        finally
        {
            Conv2DWeightGradient.Enabled = true;
            Conv2DWeightGradient.LanesOnRegisters = true;
        }
        // The lane sums on registers (a transpose, then the columns in lane order) give the bits of the scalar chains.
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scalarLanes.Dw.AsSpan()).SequenceEqual(
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(fresh.Dw.AsSpan())), "dW with the lanes on registers differs in its bits");
        Assert.Equal(before.Dw, fresh.Dw); // IEEE equality, then the bits below
        ReadOnlySpan<byte> e = System.Runtime.InteropServices.MemoryMarshal.AsBytes(before.Dw.AsSpan());
        ReadOnlySpan<byte> a = System.Runtime.InteropServices.MemoryMarshal.AsBytes(fresh.Dw.AsSpan());
        Assert.True(e.SequenceEqual(a), "dW differs in its bits");
        Assert.Contains(fresh.Dw, v => v != T.Zero);
        // db is summed in another order (per group, then over the groups): rounding only.
        for (int r = 0; r < g.OutChannels; r++)
        {
            double expected = double.CreateChecked(before.Db[r]), actual = double.CreateChecked(fresh.Db[r]);
            Assert.True(Math.Abs(expected - actual) <= 1e-5 * (1 + Math.Abs(expected)), $"db[{r}]: {actual} against {expected}");
        }
    }
}
