using System.Numerics;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The one-row (batch 1) kernel of a Dense layer: every register width against a double reference, the bias
/// and ReLU, the row blocks and depth tails, and the same bits on one core, split over the cores, or cut into any number
/// of parts.</summary>
public class GemvTests
{
    // Outputs across the 8-row and 4-row blocks and the 1–3 row remainder; depths with and without a tail for every width.
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 3, 5 }, { 4, 16 }, { 7, 33 }, { 8, 64 }, { 11, 100 }, { 16, 17 }, { 21, 129 }, { 256, 784 }, { 128, 256 }, { 10, 128 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryRegisterWidth_MatchesReference(int outputs, int inputs)
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
            T[] y = TestUtil.Random<T>(outputs, 4); // overwritten, never read
            fixed (T* px = x, pw = w, pb = b, py = y)
            {
                var o = new Gemv.Operands<T> { X = px, W = pw, Bias = pb, Y = py, Inputs = inputs, Outputs = outputs, Relu = relu };
                Gemv.Rows<T, TS, TV>(o, 0, outputs);
            }

            for (int r = 0; r < outputs; r++)
            {
                double sum = double.CreateTruncating(b[r]), magnitude = Math.Abs(sum);
                for (int p = 0; p < inputs; p++)
                {
                    double term = double.CreateTruncating(x[p]) * double.CreateTruncating(w[(r * inputs) + p]);
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                double expected = relu ? Math.Max(sum, 0) : sum;
                double tolerance = 4 * (inputs + 2) * TestUtil.Epsilon<T>() * magnitude;
                Assert.True(Math.Abs(double.CreateTruncating(y[r]) - expected) <= tolerance,
                    $"{typeof(TV).Name} {outputs}×{inputs} relu={relu}: y[{r}] = {y[r]}, expected {expected} ± {tolerance}");
            }
        }
    }

    /// <summary>The workers' wait policies (pause-only windows, the affine grace of the split GEMV) change when a part
    /// runs and on which thread, never what it computes: every policy gives the one-core bits, call after call.</summary>
    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(10, 10, 0)]
    [InlineData(0, 0, 20)]
    [InlineData(10, 10, 1000)]
    public void EveryWaitPolicyGivesTheSameBits(int callerPause, int workerPause, int grace)
    {
        const int outputs = 256, inputs = 784;
        float[] x = TestUtil.Random<float>(inputs, 8), w = TestUtil.Random<float>(outputs * inputs, 9), b = TestUtil.Random<float>(outputs, 10);
        float[] serial = new float[outputs], parallel = new float[outputs];
        Gemv.Forward<float>(x, w, b, serial, inputs, outputs, relu: false, GemvMode.Serial);
        (int c, int wk, int g) = (Workers.CallerPauseMicroseconds, Workers.WorkerPauseMicroseconds, Workers.AffinityGraceMicroseconds);
        try
        {
            (Workers.CallerPauseMicroseconds, Workers.WorkerPauseMicroseconds, Workers.AffinityGraceMicroseconds) = (callerPause, workerPause, grace);
            for (int call = 0; call < 50; call++)
            {
                Array.Clear(parallel);
                Gemv.Forward<float>(x, w, b, parallel, inputs, outputs, relu: false, GemvMode.Parallel);
                Assert.Equal(serial.Select(BitConverter.SingleToInt32Bits), parallel.Select(BitConverter.SingleToInt32Bits));
            }
        }
        finally
        {
            (Workers.CallerPauseMicroseconds, Workers.WorkerPauseMicroseconds, Workers.AffinityGraceMicroseconds) = (c, wk, g);
        }
    }

    [Theory]
    [InlineData(256, 784)]
    [InlineData(131, 300)]
    [InlineData(17, 4100)]
    public void SameBitsOnOneCoreSplitAndInAnyNumberOfParts(int outputs, int inputs)
    {
        float[] x = TestUtil.Random<float>(inputs, 5), w = TestUtil.Random<float>(outputs * inputs, 6), b = TestUtil.Random<float>(outputs, 7);
        float[] serial = new float[outputs], parallel = new float[outputs];
        Gemv.Forward<float>(x, w, b, serial, inputs, outputs, relu: true, GemvMode.Serial);
        Gemv.Forward<float>(x, w, b, parallel, inputs, outputs, relu: true, GemvMode.Parallel);
        Assert.Equal(serial.Select(BitConverter.SingleToInt32Bits), parallel.Select(BitConverter.SingleToInt32Bits));

        // Any row range made of whole 8-row blocks (what a part gets), computed on its own, gives the same bits.
        for (int start = 0; start < outputs; start += Gemv.RowBlock)
        {
            float[] part = new float[outputs];
            unsafe
            {
                fixed (float* px = x, pw = w, pb = b, py = part)
                {
                    var o = new Gemv.Operands<float> { X = px, W = pw, Bias = pb, Y = py, Inputs = inputs, Outputs = outputs, Relu = true };
                    Gemv.Rows(o, start, Math.Min(outputs, start + (3 * Gemv.RowBlock)));
                }
            }
            for (int r = start; r < Math.Min(outputs, start + (3 * Gemv.RowBlock)); r++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(serial[r]), BitConverter.SingleToInt32Bits(part[r]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SameBitsAsTheDirectKernelGaveOneRow(int outputs, int inputs)
    {
        // Before the GEMV, a one-row forward was: bias copied into y, the direct NT kernel accumulating x·Wᵀ, a ReLU pass
        // (and without bias, the NT kernel overwriting y). The GEMV repeats its operations in its order.
        foreach (bool hasBias in new[] { true, false })
        {
            float[] x = TestUtil.Random<float>(inputs, 11), w = TestUtil.Random<float>(outputs * inputs, 12);
            float[] b = hasBias ? TestUtil.Random<float>(outputs, 13) : [];
            float[] before = new float[outputs], gemv = new float[outputs];
            b.CopyTo(before, 0);
            Gemm.MatMulNT<float>(x, w, before, 1, outputs, inputs, accumulate: hasBias, GemmMode.Direct);
            System.Numerics.Tensors.TensorPrimitives.Max(before, 0f, before);
            Gemv.Forward<float>(x, w, b, gemv, inputs, outputs, relu: true, GemvMode.Parallel);
            Assert.Equal(before.Select(BitConverter.SingleToInt32Bits), gemv.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void DenseForwardOfOneRow_IsTheGemv()
    {
        // Dense.Forward at batch 1 (a one-sample Predict) runs the GEMV whatever batch kernel the layer was planned with.
        const int inputs = 784, outputs = 256;
        float[] x = TestUtil.Random<float>(inputs, 8), w = TestUtil.Random<float>(outputs * inputs, 9), b = TestUtil.Random<float>(outputs, 10);
        float[] expected = new float[outputs];
        Gemv.Forward<float>(x, w, b, expected, inputs, outputs, relu: true, GemvMode.Serial);
        foreach (GemmMode mode in new[] { GemmMode.Direct, GemmMode.Packed, GemmMode.PackedParallel })
        {
            float[] y = new float[outputs];
            Dense.Forward<float>(x, w, b, y, 1, inputs, outputs, mode, fuseReLU: true, packed: new PackedWeights<float>(inputs, outputs), rowMode: GemvMode.Parallel);
            Assert.Equal(expected, y);
        }
    }

    [Fact]
    public void BadLengthsAreRejected()
    {
        float[] x = new float[10], w = new float[30], y = new float[3];
        Assert.Throws<ArgumentException>(() => Gemv.Forward<float>(x.AsSpan(0, 9), w, default, y, 10, 3));
        Assert.Throws<ArgumentException>(() => Gemv.Forward<float>(x, w.AsSpan(0, 29), default, y, 10, 3));
        Assert.Throws<ArgumentException>(() => Gemv.Forward<float>(x, w, new float[2], y, 10, 3));
        Assert.Throws<ArgumentException>(() => Gemv.Forward<float>(x, w, default, y.AsSpan(0, 2), 10, 3));
    }

    [Fact]
    public void ChooseSplitsOnlyWideEnoughProducts()
    {
        Assert.Equal(GemvMode.Parallel, Gemv.Choose(256, 784));
        Assert.Equal(GemvMode.Serial, Gemv.Choose(10, 128));
        Assert.Equal(GemvMode.Serial, Gemv.Choose(8, 1 << 20)); // one row block: nothing to split
        Assert.Equal(GemvMode.Serial, Gemv.Choose(64, 64));
    }
}
