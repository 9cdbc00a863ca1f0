using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>ADR 0063: the column dx's Wᵀ laid out once per call of <see cref="Conv2D.Backward"/> and shared by its groups
/// (<see cref="Conv2DBackward.WeightsOncePerCall"/>), and each channel gathered as soon as its dcol rows are computed
/// (<see cref="Conv2DBackward.InterleavedCol2Im"/>, measured and kept off), and col2im's gather by 256-bit loads and a
/// permute for float rows of at most 8 (<see cref="Conv2DBackward.PermutedGather"/>) give the bits of ADR 0057's column kernel, on
/// one thread, 2 and 8, in float and double; a weight changed between two calls is laid out again.</summary>
[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags
public class LeNetDxTests
{
    /// <summary>C, H, W, O, K, batch: LeNet's conv2 (its training batch and an odd one) and the bench CNN's conv2.</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        [20, 12, 12, 50, 5, 64],
        [20, 12, 12, 50, 5, 13],
        [8, 13, 13, 16, 3, 9],
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void WeightsOncePerCall_GivesTheBitsOfWeightsPerGroup(int c, int h, int w, int o, int k, int batch)
    {
        SameBits<float>(c, h, w, o, k, batch, on => Conv2DBackward.WeightsOncePerCall = on);
        SameBits<double>(c, h, w, o, k, batch, on => Conv2DBackward.WeightsOncePerCall = on);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void InterleavedCol2Im_GivesTheBitsOfTheWholeDcol(int c, int h, int w, int o, int k, int batch)
    {
        SameBits<float>(c, h, w, o, k, batch, on => Conv2DBackward.InterleavedCol2Im = on);
        SameBits<double>(c, h, w, o, k, batch, on => Conv2DBackward.InterleavedCol2Im = on);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void PermutedGather_GivesTheBitsOfTheMaskedGather(int c, int h, int w, int o, int k, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, 0, 0);
        // LeNet's conv2 (Wo = 8) takes it where AVX-512 exists; the bench CNN's conv2 (Wo = 11) keeps the masked gather.
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && g.OutWidth <= 8, Conv2DBackward.GathersPermuted(g));
        SameBits<float>(c, h, w, o, k, batch, on => Conv2DBackward.PermutedGather = on);
    }

    /// <summary>The permuted gather on a dcol row shorter than 8 (Wo = 6: the 256-bit load reads the next row, whose lanes the
    /// permute sends to +0), on the GEMM path's col2im: the bits of the masked gather.</summary>
    [Theory]
    [InlineData(3, 10, 10, 12, 5, 5)] // Wo = 6, O·Kh·Kw = 300: the GEMM dcol, then col2im
    [InlineData(4, 11, 9, 12, 5, 3)]  // Wo = 5, Ho = 7
    [InlineData(2, 10, 11, 40, 4, 2)] // Wo = 8, Ho = 7, an even kernel
    public void PermutedGather_ShortRows_GiveTheBitsOfTheMaskedGather(int c, int h, int w, int o, int k, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, 0, 0);
        Assert.False(Conv2DBackward.DirectInput(g), "the geometry should take the GEMM path's col2im");
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, Conv2DBackward.GathersPermuted(g) && Conv2DBackward.GathersCol2Im<float>(g));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 3);
        float[] Dx(bool permuted)
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Array.Fill(dx, float.NaN);
            try
            {
                Conv2DBackward.PermutedGather = permuted;
                Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            }
            finally
            {
                Conv2DBackward.PermutedGather = true;
            }
            return dx;
        }

        float[] masked = Dx(false), permutedDx = Dx(true);
        Assert.DoesNotContain(permutedDx, float.IsNaN);
        Assert.Equal(masked.Select(BitConverter.SingleToInt32Bits), permutedDx.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>The same dx and dW bits with the switch off and on, on 1, 2 and 8 threads; the second call of each side with
    /// other weights (the Wᵀ of the first call must not be reused).</summary>
    private static void SameBits<T>(int c, int h, int w, int o, int k, int batch, Action<bool> set)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, 0, 0);
        Assert.True(Conv2DBackward.DirectInput(g) && Conv2DBackward.Columns(g), "the geometry should take the column dx");
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 1), dy = TestUtil.Random<T>(batch * g.OutputLength, 3);
        T[] w1 = TestUtil.Random<T>(g.WeightLength, 2), w2 = TestUtil.Random<T>(g.WeightLength, 5);
        dy[0] = -T.Zero;
        (T[] Dx1, T[] Dx2, T[] Dw2) Run(bool on)
        {
            T[] dx1 = new T[x.Length], dx2 = new T[x.Length], dw = new T[g.WeightLength], db = new T[o];
            Array.Fill(dx1, T.NaN);
            Array.Fill(dx2, T.NaN);
            bool once = Conv2DBackward.WeightsOncePerCall, interleave = Conv2DBackward.InterleavedCol2Im, permuted = Conv2DBackward.PermutedGather;
            try
            {
                set(on);
                Conv2D.Backward<T>(dy, x, w1, dx1, dw, db, batch, g);
                Conv2D.Backward<T>(dy, x, w2, dx2, dw, db, batch, g);
            }
            finally
            {
                Conv2DBackward.WeightsOncePerCall = once;
                Conv2DBackward.InterleavedCol2Im = interleave;
                Conv2DBackward.PermutedGather = permuted;
            }
            return (dx1, dx2, dw);
        }

        static void Equal(T[] a, T[] b, string what)
        {
            Assert.DoesNotContain(b, T.IsNaN);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(a[i].Equals(b[i]) && T.IsNegative(a[i]) == T.IsNegative(b[i]), $"{what}[{i}]: {a[i]} before, {b[i]} after");
            }
        }

        Conv2DTests.HoldWorkers();
        (T[] Dx1, T[] Dx2, T[] Dw2) before;
        try
        {
            before = Run(false);
            var serial = Run(true);
            Equal(before.Dx1, serial.Dx1, "dx (1 thread)");
            Equal(before.Dx2, serial.Dx2, "dx with other weights (1 thread)");
            Equal(before.Dw2, serial.Dw2, "dW (1 thread)");
        }
        finally
        {
            Workers.RunAndRelease(new Conv2DTests.Nothing(), 1);
        }
        Assert.False(before.Dx1.AsSpan().SequenceEqual(before.Dx2), "the two weights should give two dx");
        foreach (int threads in new[] { 2, 8 })
        {
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                foreach (bool on in new[] { false, true })
                {
                    var split = Run(on);
                    Equal(before.Dx1, split.Dx1, $"dx ({threads} threads, switch {on})");
                    Equal(before.Dx2, split.Dx2, $"dx with other weights ({threads} threads, switch {on})");
                }
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
    }
}
