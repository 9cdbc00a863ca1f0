using System.Numerics;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The backward of a first convolution fused with its ReLU → MaxPool2D backward (<see cref="ConvPoolBackward"/>,
/// ADR 0059) against the two kernels it replaces (<see cref="MaxPool2DReLU.Backward{T}"/> then
/// <see cref="Conv2D.Backward{T}"/>), bit for bit, on 1, 2 and 8 threads.</summary>
[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags and hold the workers
public class ConvPoolBackwardTests
{
    /// <summary>C, H, W, O, K (square kernel), pool kernel, pool stride, pool padding, batch.</summary>
    public static IEnumerable<object[]> Cases =>
    [
        [1, 28, 28, 8, 3, 2, 2, 0, 64],   // the bench CNN's conv1 → pool1 (the register pool, 8 groups of 8 samples)
        [1, 28, 28, 20, 5, 2, 2, 0, 19],  // LeNet's conv1 → pool1 (20 channels: a repeated channel block; 19 = uneven groups)
        [1, 28, 28, 8, 3, 2, 2, 1, 7],    // a padded pool: 26 → 14 (clear and scatter)
        [2, 9, 30, 13, 3, 2, 2, 0, 9],    // 7×28 → 3×14: the odd last row lies in no window
        [3, 12, 21, 9, 3, 3, 2, 1, 5],    // overlapping windows: a position takes several gradients
        [3, 8, 8, 8, 3, 2, 2, 0, 11],     // a short span: the samples inside the blocks (all staged first)
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedBackward_GivesTheBitsOfThePoolThenTheConvolution_OnOneTwoAndEightThreads(int c, int h, int w, int o, int k, int pk, int ps, int pp, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, 0, 0);
        var p = new Pool2DGeometry(o, g.OutHeight, g.OutWidth, pk, pk, ps, ps, pp, pp);
        Assert.Equal(Vector512.IsHardwareAccelerated, ConvPoolBackward.Fuses<float>(g)); // the fused path is the one tested here
        SameBitsAsTwoKernels<float>(g, p, batch);
        if (k == 3 && pp == 0)
        {
            SameBitsAsTwoKernels<double>(g, p, batch);
        }
    }

    private static void SameBitsAsTwoKernels<T>(in Conv2DGeometry g, in Pool2DGeometry p, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Case<T> a = MakeCase<T>(g, p, batch);
        (T[] dw, T[] db, T[] dy) = TwoKernels(a, g, p, batch);
        Assert.Contains(dw, v => v != T.Zero);
        Assert.Contains(dy, v => v == T.Zero && !T.IsNegative(v)); // the ReLU's mask and the windows' losers

        // One thread (the workers held), then the split of 2 and of 8 threads.
        Conv2DTests.HoldWorkers();
        try
        {
            Fused(a, g, p, batch, dw, db);
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
                Fused(a, g, p, batch, dw, db);
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }

        // The switch of the paired A/B runs the two kernels through dy.
        try
        {
            ConvPoolBackward.Enabled = false;
            T[] dwOff = new T[g.WeightLength], dbOff = new T[g.OutChannels], dyOff = new T[dy.Length];
            ConvPoolBackward.Backward<T>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dyOff, dwOff, dbOff, batch, g, p);
            SameBits(dw, dwOff);
            SameBits(db, dbOff);
            SameBits(dy, dyOff);
        }
        finally
        {
            ConvPoolBackward.Enabled = true;
        }
    }

    /// <summary>The fused call gives dw and db bit for bit, and leaves the conv's dy (its scratch) untouched.</summary>
    private static void Fused<T>(Case<T> a, in Conv2DGeometry g, in Pool2DGeometry p, int batch, T[] dw, T[] db)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] fdw = new T[g.WeightLength], fdb = new T[g.OutChannels], fdy = new T[batch * g.OutputLength];
        Array.Fill(fdw, T.CreateTruncating(42)); // every element must be written
        Array.Fill(fdb, T.CreateTruncating(42));
        Array.Fill(fdy, T.CreateTruncating(7));
        ConvPoolBackward.Backward<T>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, fdy, fdw, fdb, batch, g, p);
        SameBits(dw, fdw);
        SameBits(db, fdb);
        if (ConvPoolBackward.Fuses<T>(g))
        {
            Assert.All(fdy, v => Assert.Equal(T.CreateTruncating(7), v));
        }
    }

    private static (T[] Dw, T[] Db, T[] Dy) TwoKernels<T>(Case<T> a, in Conv2DGeometry g, in Pool2DGeometry p, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] dy = new T[batch * g.OutputLength], dw = new T[g.WeightLength], db = new T[g.OutChannels];
        MaxPool2DReLU.Backward<T>(a.DPooled, a.Argmax, a.Pooled, a.Y, dy, batch, p);
        Conv2D.Backward<T>(dy, a.X, a.W, default, dw, db, batch, g);
        return (dw, db, dy);
    }

    [Fact]
    public void FusedBackward_WithoutBias_GivesTheBitsOfThePoolThenTheConvolution()
    {
        var g = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        Case<float> a = MakeCase<float>(g, p, 16);
        float[] dy = new float[16 * g.OutputLength], dw = new float[g.WeightLength], fdw = new float[g.WeightLength];
        MaxPool2DReLU.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, dy, 16, p);
        Conv2D.Backward<float>(dy, a.X, a.W, default, dw, default, 16, g);
        ConvPoolBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, new float[dy.Length], fdw, default, 16, g, p);
        SameBits(dw, fdw);
    }

    [Fact]
    public void FusedBackward_RefusesAForeignArgmax_AndAMismatchedPool()
    {
        var g = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        Case<float> a = MakeCase<float>(g, p, 64);
        a.Argmax[5000] = -1;
        float[] dy = new float[64 * g.OutputLength], dw = new float[g.WeightLength], db = new float[8];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ConvPoolBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dw, db, 64, g, p));
        Assert.Equal("argmax", e.ParamName);
        Assert.Contains("argmax[5000]", e.Message, StringComparison.Ordinal);
        var other = new Pool2DGeometry(8, 24, 24, 2, 2, 2, 2, 0, 0);
        Assert.Throws<ArgumentException>(() => ConvPoolBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dw, db, 64, g, other));
        Assert.Throws<ArgumentException>(() => ConvPoolBackward.Backward<float>(a.DPooled.AsSpan(1), a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dw, db, 64, g, p));
    }

    [Fact]
    public void FusedBackward_DoesNotAllocate()
    {
        var g = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        Case<float> a = MakeCase<float>(g, p, 64);
        float[] dy = new float[64 * g.OutputLength], dw = new float[g.WeightLength], db = new float[8];
        AllocationProbe.AssertNoAllocation(() => ConvPoolBackward.Backward<float>(a.DPooled, a.Argmax, a.Pooled, a.Y, a.X, a.W, dy, dw, db, 64, g, p), warmups: 5, repeats: 5);
    }

    private sealed record Case<T>(T[] X, T[] W, T[] Y, T[] Pooled, int[] Argmax, T[] DPooled);

    /// <summary>A real forward: conv (+ bias, ReLU fused: zeros where the output is negative, whole windows of zeros among
    /// them) → max pool with its argmax, and a random pool gradient.</summary>
    private static Case<T> MakeCase<T>(in Conv2DGeometry g, in Pool2DGeometry p, int batch)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 11), w = TestUtil.Random<T>(g.WeightLength, 12);
        T[] bias = TestUtil.Random<T>(g.OutChannels, 13);
        bias[0] = T.CreateTruncating(-100); // channel 0 all zeros after the ReLU: every window's maximum 0, masked
        T[] y = new T[batch * g.OutputLength], pooled = new T[batch * p.OutputLength];
        int[] argmax = new int[pooled.Length];
        Conv2D.Forward<T>(x, w, bias, y, batch, g, fuseReLU: true);
        MaxPool2D.Forward<T>(y, pooled, argmax, batch, p);
        T[] dPooled = TestUtil.Random<T>(pooled.Length, 14);
        return new Case<T>(x, w, y, pooled, argmax, dPooled);
    }

    /// <summary>The two arrays hold the same bits.</summary>
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
