using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>ADR 0057: the direct dx with dy's zero border shared between rows (<see cref="Conv2DBackward.WrapBorder"/>)
/// gives the bits of ADR 0046's kernel; the unpadded direct dx as Wᵀ·dy on registers then col2im
/// (<see cref="Conv2DBackward.ColumnsOnRegisters"/>) the bits of the GEMM path, and its gather by flattened taps those of
/// the gather before; the pool backward's one-pass argmax check (<see cref="MaxPool2DReLU.OnePassCheck"/>) and its check
/// inside the parts (<see cref="MaxPool2DReLU.CheckInParts"/>) give the bits of the two-pass check and refuse a foreign
/// index before anything is written; the default split check (<see cref="MaxPool2DReLU.CheckOwnPart"/>, ADR 0058) refuses
/// it too and writes no plane of the part that holds it.</summary>
[Collection(nameof(KernelStateCollection))] // they switch kernels through static flags
public class ConvDxSpeedTests
{
    /// <summary>C, H, W, O, Kh, Kw, Ph, Pw, batch: the direct dx's geometries of <see cref="ConvTrainBackwardTests"/> and a few
    /// more around the wrapped layout's edges.</summary>
    public static IEnumerable<object[]> Geometries =>
    [
        [8, 13, 13, 16, 3, 3, 0, 0, 64], // the bench CNN's conv2: S = W = 13, dx written in place
        [1, 12, 12, 20, 3, 3, 0, 0, 3],  // one input channel: every channel of the blocks repeats channel 0
        [5, 9, 11, 6, 3, 3, 1, 1, 7],    // padding 1: S = W + 1, the wide buffer; C = 5
        [6, 10, 8, 4, 3, 5, 2, 1, 2],    // rectangular kernel, unequal padding
        [3, 7, 9, 2, 2, 2, 3, 3, 3],     // padding larger than the kernel: S = Wo
        [2, 16, 16, 16, 4, 4, 0, 0, 1],  // even kernel, O·kh·kw = 256
        [7, 6, 20, 3, 1, 3, 0, 1, 2],    // a 1×3 kernel with padding in width only
        [9, 4, 30, 5, 3, 3, 0, 0, 2],    // C = 9: a last block of one channel; a wide, short plane
        [4, 30, 3, 3, 3, 3, 0, 0, 2],    // a narrow, tall plane: S = 3, most of each register wraps
        [12, 20, 20, 4, 5, 5, 2, 2, 3],  // "same" padding of a 5×5 kernel
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void WrappedDx_GivesTheBitsOfTheBorderedKernel(int c, int h, int w, int o, int kh, int kw, int ph, int pw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, ph, pw);
        Assert.True(Conv2DBackward.DirectInput(g), "the geometry should take the direct dx");
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 3);
        dy[0] = -0f;
        float[] Dx(bool wrap)
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Array.Fill(dx, float.NaN); // every element must be written
            try
            {
                Conv2DBackward.WrapBorder = wrap;
                Conv2DBackward.ColumnsOnRegisters = false; // unpadded geometries too on the full convolution
                Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            }
            finally
            {
                Conv2DBackward.WrapBorder = true;
                Conv2DBackward.ColumnsOnRegisters = true;
            }
            return dx;
        }

        float[] bordered = Dx(false), wrapped = Dx(true);
        Assert.DoesNotContain(wrapped, float.IsNaN);
        Assert.Equal(bordered.Select(BitConverter.SingleToInt32Bits), wrapped.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>Unpadded geometries of the direct dx (C, H, W, O, Kh, Kw, batch).</summary>
    public static IEnumerable<object[]> Unpadded =>
    [
        [8, 13, 13, 16, 3, 3, 64], // the bench CNN's conv2: 72 rows (12 blocks of 6), plane 121 (two blocks of 4 registers, overlapping)
        [1, 12, 12, 20, 3, 3, 3],  // K = 9: a last block of 3 rows repeating its last
        [2, 16, 16, 16, 4, 4, 1],  // even kernel, W = 16: every row a whole register
        [9, 6, 30, 5, 3, 3, 2],    // W = 30 > 16: col2im as the scatter
        [3, 20, 9, 2, 5, 1, 3],    // a 5×1 kernel, O = 2
        [20, 12, 12, 50, 5, 5, 3], // LeNet's conv2: O·kh·kw = 1,250 > 256, no full convolution, but the column kernel
    ];

    /// <summary>Unpadded, but an output plane of fewer than 64 (4 × 16 lanes): the full convolution (C, H, W, O, Kh, Kw).</summary>
    [Theory]
    [InlineData(9, 4, 30, 5, 3, 3)]
    [InlineData(4, 30, 3, 3, 3, 3)]
    public void ColumnsDx_IsNotTaken_BelowFourRegistersOfOutput(int c, int h, int w, int o, int kh, int kw)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2DBackward.DirectInput(g));
        Assert.False(Conv2DBackward.Columns(g));
    }

    [Theory]
    [MemberData(nameof(Unpadded))]
    public void ColumnsDx_GivesTheBitsOfTheGemmPath(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2DBackward.DirectInput(g) && Conv2DBackward.Columns(g), "the geometry should take the column kernel");
        SameBitsAsGemmPath<float>(g, batch);
        SameBitsAsGemmPath<double>(g, batch);
    }

    private static void SameBitsAsGemmPath<T>(Conv2DGeometry g, int batch)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        T[] x = TestUtil.Random<T>(batch * g.InputLength, 1), wt = TestUtil.Random<T>(g.WeightLength, 2);
        T[] dy = TestUtil.Random<T>(batch * g.OutputLength, 3);
        T[] Dx(bool direct)
        {
            T[] dx = new T[x.Length], dw = new T[wt.Length], db = new T[g.OutChannels];
            Array.Fill(dx, T.NaN);
            try
            {
                Conv2DBackward.DirectInputAllowed = direct;
                Conv2D.Backward<T>(dy, x, wt, dx, dw, db, batch, g);
            }
            finally
            {
                Conv2DBackward.DirectInputAllowed = true;
            }
            return dx;
        }

        T[] gemm = Dx(false), columns = Dx(true);
        Assert.DoesNotContain(columns, T.IsNaN);
        Assert.Equal(gemm, columns); // T's Equals: NaN-free here, and +0 against −0 would not pass for the bits either
        for (int i = 0; i < gemm.Length; i++)
        {
            Assert.True(T.IsNegative(gemm[i]) == T.IsNegative(columns[i]), $"dx[{i}]: the sign of zero differs");
        }
    }

    /// <summary>The column kernel on one thread, 2 and 8 (LeNet's conv2 and the bench CNN's, odd batches): the same bits.</summary>
    [Theory]
    [InlineData(20, 12, 12, 50, 5, 5, 13)]
    [InlineData(8, 13, 13, 16, 3, 3, 9)]
    public void ColumnsDx_DoesNotDependOnTheThreadCount(int c, int h, int w, int o, int kh, int kw, int batch)
    {
        var g = new Conv2DGeometry(c, h, w, o, kh, kw, 1, 1, 0, 0);
        Assert.True(Conv2DBackward.Columns(g));
        float[] x = TestUtil.Random<float>(batch * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(batch * g.OutputLength, 4);
        float[] Dx()
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Conv2D.Backward<float>(dy, x, wt, dx, dw, db, batch, g);
            return dx;
        }

        Conv2DTests.HoldWorkers();
        float[] serial;
        try
        {
            serial = Dx();
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
                Assert.Equal(serial.Select(BitConverter.SingleToInt32Bits), Dx().Select(BitConverter.SingleToInt32Bits));
            }
            finally
            {
                Workers.SplitAsIfForTests(previous);
            }
        }
    }

    /// <summary>C, H, W, O, K, P: geometries whose col2im runs as the register gather (W ≤ 16).</summary>
    [Theory]
    [InlineData(20, 12, 12, 50, 5, 0)] // LeNet's conv2: 4 interior rows, 8 border rows
    [InlineData(8, 13, 13, 16, 3, 0)]  // the bench CNN's conv2 (its direct dx, gathered)
    [InlineData(3, 9, 14, 12, 5, 2)]   // padding 2
    [InlineData(2, 7, 16, 30, 3, 1)]   // W = 16
    [InlineData(2, 3, 5, 4, 1, 0)]     // pointwise rows: Kh·Kw = 1 (the GEMM writes dx itself: no gather, a control)
    public void GatherByTaps_GivesTheBitsOfTheGatherBefore(int c, int h, int w, int o, int k, int p)
    {
        var g = new Conv2DGeometry(c, h, w, o, k, k, 1, 1, p, p);
        float[] x = TestUtil.Random<float>(3 * g.InputLength, 1), wt = TestUtil.Random<float>(g.WeightLength, 2);
        float[] dy = TestUtil.Random<float>(3 * g.OutputLength, 3);
        float[] Dx(bool together)
        {
            float[] dx = new float[x.Length], dw = new float[wt.Length], db = new float[o];
            Array.Fill(dx, float.NaN);
            try
            {
                Conv2DBackward.GatherRowsTogether = together;
                Conv2D.Backward<float>(dy, x, wt, dx, dw, db, 3, g);
            }
            finally
            {
                Conv2DBackward.GatherRowsTogether = true;
            }
            return dx;
        }

        float[] before = Dx(false), taps = Dx(true);
        Assert.DoesNotContain(taps, float.IsNaN);
        Assert.Equal(before.Select(BitConverter.SingleToInt32Bits), taps.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>The bench CNN's first pool at batch 64, split (2 and 8 threads) and on one: the one-pass check and the check
    /// inside the parts give the bits of the two-pass check.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public void PoolReLUBackward_ChecksGiveTheBitsOfTheTwoPassCheck(int threads)
    {
        var g = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        (float[] y, float[] pooled, int[] argmax, float[] dy) = PoolCase(g, 64);
        float[] Run(bool onePass, bool inParts)
        {
            float[] dx = new float[y.Length];
            Array.Fill(dx, 42f); // every element must be written
            int previous = Workers.SplitAsIfForTests(threads);
            try
            {
                MaxPool2DReLU.OnePassCheck = onePass;
                MaxPool2DReLU.CheckInParts = inParts;
                MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, dx, 64, g);
            }
            finally
            {
                MaxPool2DReLU.OnePassCheck = true;
                MaxPool2DReLU.CheckInParts = false;
                Workers.SplitAsIfForTests(previous);
            }
            return dx;
        }

        float[] twoPass = Run(false, false), onePassed = Run(true, false), parts = Run(true, true);
        Assert.DoesNotContain(onePassed, v => v == 42f);
        Assert.Contains(onePassed, v => v != 0f);
        Assert.Equal(twoPass.Select(BitConverter.SingleToInt32Bits), onePassed.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(twoPass.Select(BitConverter.SingleToInt32Bits), parts.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>A foreign index in the first, a middle or the last part, or a negative one: the split call throws naming it,
    /// and nothing of dx is written, with the check on the calling thread (one pass) or in the parts.</summary>
    [Theory]
    [InlineData(2, 0, 676, false)]
    [InlineData(2, 43_000, 700, false)]
    [InlineData(8, 86_527, 676, false)]
    [InlineData(8, 20_000, -1, false)]
    [InlineData(2, 0, 676, true)]
    [InlineData(2, 43_000, 700, true)]
    [InlineData(8, 86_527, 676, true)]
    [InlineData(8, 20_000, -1, true)]
    public void PoolReLUBackward_Split_RefusesAForeignArgmax_BeforeAnyPartWrites(int threads, int at, int value, bool inParts)
    {
        var g = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        (float[] y, float[] pooled, int[] argmax, float[] dy) = PoolCase(g, 64);
        Assert.Equal(86_528, argmax.Length);
        argmax[at] = value;
        float[] dx = new float[y.Length];
        Array.Fill(dx, 7f);
        int previous = Workers.SplitAsIfForTests(threads);
        try
        {
            MaxPool2DReLU.CheckInParts = inParts;
            MaxPool2DReLU.CheckOwnPart = false; // the strict checks: nothing written
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, dx, 64, g));
            Assert.Equal("argmax", e.ParamName);
            Assert.Contains($"argmax[{at}]", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            MaxPool2DReLU.CheckInParts = false;
            MaxPool2DReLU.CheckOwnPart = true;
            Workers.SplitAsIfForTests(previous);
        }
        Assert.All(dx, v => Assert.Equal(7f, v));
    }

    [Theory]
    [InlineData(2, 0, 676)]
    [InlineData(2, 86_527, -1)]
    [InlineData(8, 40_000, int.MaxValue)]
    [InlineData(1, 5, 700)]
    public void PoolReLUBackward_CheckOwnPart_RefusesAForeignArgmax_AndTheRefusedPlanesStayUnwritten(int threads, int at, int value)
    {
        // The default (ADR 0058): each part checks its own planes' indices before it writes them. The call is refused with
        // the same exception; every plane of dx holds either its untouched 7s or exactly what a good call writes there, and
        // the plane of the bad index is untouched (one thread: all of dx is).
        var g = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        (float[] y, float[] pooled, int[] argmax, float[] dy) = PoolCase(g, 64);
        float[] good = new float[y.Length];
        MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, good, 64, g);
        argmax[at] = value;
        float[] dx = new float[y.Length];
        Array.Fill(dx, 7f);
        int previous = Workers.SplitAsIfForTests(threads);
        try
        {
            Assert.True(MaxPool2DReLU.CheckOwnPart);
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2DReLU.Backward<float>(dy, argmax, pooled, y, dx, 64, g));
            Assert.Equal("argmax", e.ParamName);
            Assert.Contains($"argmax[{at}]", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Workers.SplitAsIfForTests(previous);
        }
        int inPlane = 26 * 26, badPlane = at / (13 * 13);
        for (int p = 0; p < 64 * 8; p++)
        {
            float[] plane = dx.AsSpan(p * inPlane, inPlane).ToArray();
            bool untouched = plane.All(v => v == 7f);
            Assert.True(untouched || plane.SequenceEqual(good.AsSpan(p * inPlane, inPlane).ToArray()), $"plane {p} holds neither 7s nor its gradient");
            Assert.True(p != badPlane || untouched, $"the plane of the bad index ({p}) was written");
        }
        if (threads == 1)
        {
            Assert.All(dx, v => Assert.Equal(7f, v));
        }
    }

    /// <summary>A ReLU's output (about half zeros), its pool's output and argmax from the forward, and a gradient.</summary>
    private static (float[] Y, float[] Pooled, int[] Argmax, float[] Dy) PoolCase(in Pool2DGeometry g, int batch)
    {
        float[] y = TestUtil.Random<float>(batch * g.InputLength, 11);
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Math.Max(y[i], 0f);
        }
        float[] pooled = new float[batch * g.OutputLength];
        int[] argmax = new int[pooled.Length];
        MaxPool2D.Forward<float>(y, pooled, argmax, batch, g);
        return (y, pooled, argmax, TestUtil.Random<float>(pooled.Length, 12));
    }
}
