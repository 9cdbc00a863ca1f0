using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The training kernels of ADR 0052: the ReLU's mask folded into the max-pool backward
/// (<see cref="MaxPool2DReLU"/>) and the backward's staged rows copied on registers, against the kernels they replace
/// bit for bit, and on one thread against split.</summary>
[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags
public class ConvTrainStepTests
{
    /// <summary>C, H, W, Kh, Kw, stride, padding, batch.</summary>
    public static IEnumerable<object[]> PoolGeometries =>
    [
        [8, 26, 26, 2, 2, 2, 0, 5],   // the bench CNN's first pool: the register kernel, 13 windows a row
        [16, 11, 11, 2, 2, 2, 1, 4],  // its second pool: padding 1 (clear and scatter)
        [20, 24, 24, 2, 2, 2, 0, 3],  // LeNet's first pool
        [50, 8, 8, 2, 2, 2, 0, 2],    // LeNet's second: 4 windows a row (clear and scatter)
        [3, 9, 16, 2, 2, 2, 0, 2],    // H = 2·Ho + 1: the last row lies in no window
        [4, 9, 9, 3, 3, 2, 1, 3],     // overlapping windows: a position can take several gradients
        [2, 7, 10, 3, 2, 1, 1, 2],    // stride 1, rectangular window
    ];

    [Theory]
    [MemberData(nameof(PoolGeometries))]
    public void PoolReLUBackward_GivesTheBitsOfThePoolThenTheReLU(int c, int h, int w, int kh, int kw, int s, int p, int batch)
    {
        SameBitsAsTwoKernels<float>(new Pool2DGeometry(c, h, w, kh, kw, s, s, p, p), batch);
        SameBitsAsTwoKernels<double>(new Pool2DGeometry(c, h, w, kh, kw, s, s, p, p), batch);
    }

    private static void SameBitsAsTwoKernels<T>(in Pool2DGeometry g, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (T[] y, T[] pooled, int[] argmax, T[] dy) = Case<T>(g, batch);
        T[] fused = new T[y.Length], pool = new T[y.Length], two = new T[y.Length];
        Array.Fill(fused, T.CreateTruncating(42)); // every element must be written
        MaxPool2DReLU.Backward<T>(dy, argmax, pooled, y, fused, batch, g);
        MaxPool2D.Backward<T>(dy, argmax, pool, batch, g);
        Activations.ReLUBackward<T>(pool, y, two);
        SameBits(two, fused);

        // The switch of the paired A/B runs exactly those two kernels.
        T[] off = new T[y.Length];
        try
        {
            MaxPool2DReLU.Fused = false;
            MaxPool2DReLU.Backward<T>(dy, argmax, pooled, y, off, batch, g);
        }
        finally
        {
            MaxPool2DReLU.Fused = true;
        }
        SameBits(two, off);
        Assert.Contains(fused, v => v != T.Zero); // not all masked away
        bool masked = false;
        for (int i = 0; i < dy.Length && !masked; i++)
        {
            masked = dy[i] != T.Zero && pooled[i] <= T.Zero;
        }
        Assert.True(masked, "no gradient was masked"); // and some were
    }

    [Theory]
    [InlineData(8, 26, 26, 2, 0, 64)]
    [InlineData(16, 11, 11, 2, 1, 64)]
    [InlineData(4, 9, 9, 3, 1, 13)]
    public void PoolReLUBackward_DoesNotDependOnTheThreadCount(int c, int h, int w, int k, int p, int batch)
    {
        var g = new Pool2DGeometry(c, h, w, k, k, 2, 2, p, p);
        (float[] y, float[] pooled, int[] argmax, float[] dy) = Case<float>(g, batch);
        float[] serial = new float[y.Length];
        Conv2DTests.HoldWorkers();
        try
        {
            MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, serial, batch, g);
        }
        finally
        {
            Workers.RunAndRelease(new Conv2DTests.Nothing(), 1);
        }
        foreach (int threads in new[] { 2, 8 })
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                float[] parallel = new float[y.Length];
                MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, parallel, batch, g);
                SameBits(serial, parallel);
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
    }

    [Fact]
    public void PoolReLUBackward_RefusesAForeignArgmax_BeforeWritingAnything()
    {
        var g = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        (float[] y, float[] pooled, int[] argmax, float[] dy) = Case<float>(g, 2);
        argmax[100] = 26 * 26;
        float[] dx = new float[y.Length];
        Array.Fill(dx, 7f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, dx, 2, g));
        Assert.Equal("argmax", e.ParamName);
        Assert.Contains("argmax[100]", e.Message, StringComparison.Ordinal);
        Assert.All(dx, v => Assert.Equal(7f, v));
        Assert.Throws<ArgumentException>(() => MaxPool2DReLU.Backward<float>(dy, argmax, pooled.AsSpan(1), y, dx, 2, g));
    }

    /// <summary>Geometries of the direct dW, the direct dx and the GEMM dx's col2im (the bench CNN's and LeNet's layers,
    /// odd sizes, padding): the rows staged and added on registers and the direct dW's lane sums side by side give the bits
    /// of the per-row calls, the scatter and the sums one after another.</summary>
    [Theory]
    [InlineData(1, 28, 28, 8, 3, 0, 64)]
    [InlineData(8, 13, 13, 16, 3, 0, 13)]
    [InlineData(1, 28, 28, 20, 5, 0, 3)]
    [InlineData(5, 9, 11, 6, 3, 1, 7)]
    [InlineData(20, 12, 12, 50, 5, 0, 3)] // LeNet's conv2: dx on the GEMM, col2im as the register gather (AVX-512)
    [InlineData(3, 9, 14, 12, 5, 2, 2)]   // the GEMM dx with padding 2 (O·kh·kw = 300 > 256), W = 14
    [InlineData(2, 7, 16, 30, 3, 1, 2)]   // W = 16: every row a whole register, the last one too
    public void StagedRowsAndLaneSums_GiveTheBitsOfTheKernelsTheyReplace(int c, int h, int w, int o, int k, int p, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, p, p);
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 3);
        (float[] Dx, float[] Dw, float[] Db) Run()
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            return (dx, dw, db);
        }

        var registers = Run();
        (float[] Dx, float[] Dw, float[] Db) calls;
        try
        {
            Conv2DBackward.RowsOnRegisters = false;
            Conv2DBackward.LanesTogether = false;
            calls = Run();
        }
        finally
        {
            Conv2DBackward.RowsOnRegisters = true;
            Conv2DBackward.LanesTogether = true;
        }
        SameBits(calls.Dx, registers.Dx);
        SameBits(calls.Dw, registers.Dw);
        SameBits(calls.Db, registers.Db);
        Assert.Contains(registers.Dw, v => v != 0f);
    }

    /// <summary>A ReLU's output y (with zeros, ties, −0, NaN and +∞), its pool's output, argmax, and a pool gradient
    /// with −0, NaN and ∞ in it.</summary>
    private static (T[] Y, T[] Pooled, int[] Argmax, T[] Dy) Case<T>(in Pool2DGeometry g, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 5);
        for (int i = 0; i < x.Length; i += 7)
        {
            x[i] = x[i + 1 < x.Length ? i + 1 : i];
        }
        x[3] = T.NaN;
        x[11] = T.PositiveInfinity;
        x[19] = T.NegativeZero;
        // Whole windows of negatives: their maximum, after the ReLU, is 0.
        for (int i = 40; i < Math.Min(x.Length, 120); i++)
        {
            x[i] = -T.Abs(x[i]);
        }
        T[] y = new T[x.Length];
        Activations.ReLUForward<T>(x, y);
        T[] pooled = new T[batch * g.OutputLength];
        int[] argmax = new int[pooled.Length];
        MaxPool2D.Forward<T>(y, pooled, argmax, batch, g);
        T[] dy = TestUtil.Random<T>(pooled.Length, 6);
        dy[0] = T.NegativeZero;
        dy[1] = T.NaN;
        dy[2] = T.PositiveInfinity;
        return (y, pooled, argmax, dy);
    }

    /// <summary>The two arrays hold the same bits (compared as bytes: no boxing, so no garbage beside the allocation tests).</summary>
    private static void SameBits<T>(T[] expected, T[] actual)
        where T : unmanaged
    {
        Assert.Equal(expected.Length, actual.Length);
        ReadOnlySpan<byte> e = System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.AsSpan());
        ReadOnlySpan<byte> a = System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual.AsSpan());
        int at = e.CommonPrefixLength(a);
        Assert.True(at == e.Length, $"element {at / System.Runtime.CompilerServices.Unsafe.SizeOf<T>()} differs: {(at < e.Length ? actual[at / System.Runtime.CompilerServices.Unsafe.SizeOf<T>()] : default)} instead of {(at < e.Length ? expected[at / System.Runtime.CompilerServices.Unsafe.SizeOf<T>()] : default)}");
    }
}
