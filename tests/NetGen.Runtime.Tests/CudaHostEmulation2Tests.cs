using System.Diagnostics;
using System.Globalization;
using NetGen.Kernels;
using Xunit.Abstractions;

using static NetGen.Runtime.Tests.CudaHarness;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The convolution, pooling, normalisation, loss and optimizer kernels of src/Runtime/Cuda/kernels.cu without a GPU:
/// tests/cuda-host/harness2.cpp compiles kernels.cu for the host with g++ and tests/cuda-host/emulate.h and runs each
/// kernel on inputs drawn from the counter RNG; this test computes the same cases with the C# CPU kernels and compares:
/// within 1e-5 relative (measured against the operands' scale where a sum cancels), bit for bit where the kernel sums
/// in the CPU's order (pooling). Shapes are not multiples of the GEMM tile (16). Skips (with the reason) without g++.
/// </summary>
public sealed class CudaHostEmulation2Tests
{
    private static readonly Lazy<(Dictionary<string, double[]>? Results, string Reason)> s_results = new(() => CudaHarness.RunHarness("harness2.cpp"));
    private readonly ITestOutputHelper _output;

    public CudaHostEmulation2Tests(ITestOutputHelper output) => _output = output;

    /// <summary>harness2.cpp's convolutions: B, C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, bias, act (0 identity, 1 ReLU).</summary>
    public static readonly int[][] ConvCases =
    [
        [3, 3, 11, 9, 5, 3, 3, 2, 1, 1, 2, 1, 1, 1, 1, 1],
        [2, 2, 10, 12, 7, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0],
        [2, 4, 9, 10, 6, 3, 2, 1, 2, 2, 1, 2, 1, 2, 1, 0],
        [2, 3, 7, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3, 1, 1],
        [2, 5, 6, 7, 17, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0],
    ];

    /// <summary>harness2.cpp's poolings: B, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw.</summary>
    public static readonly int[][] PoolCases =
    [
        [2, 3, 8, 10, 2, 2, 2, 2, 0, 0],
        [2, 2, 9, 7, 3, 3, 2, 2, 1, 1],
        [1, 3, 6, 9, 3, 2, 1, 2, 1, 0],
        [3, 4, 5, 7, 5, 7, 1, 1, 0, 0],
    ];

    public static TheoryData<int> ConvIndices() => [.. Enumerable.Range(0, ConvCases.Length)];

    public static TheoryData<int> PoolIndices() => [.. Enumerable.Range(0, PoolCases.Length)];

    [Theory]
    [MemberData(nameof(ConvIndices))]
    public void ConvolutionForwardAndBothGradientsMatchTheCpu(int index)
    {
        if (Results() is not { } r)
        {
            return;
        }
        int[] c = ConvCases[index];
        (int batch, int channels, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups) =
            (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]);
        bool hasBias = c[14] != 0, relu = c[15] == 1;
        var g = new Conv2DGeneralGeometry(channels, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        float[] x = Input((ulong)(20 + index), batch * g.InputLength, 1), wt = Input((ulong)(30 + index), g.WeightLength, 0.5f);
        float[] bias = hasBias ? Input((ulong)(40 + index), o, 0.5f) : [];
        float[] dy = Input((ulong)(50 + index), batch * g.OutputLength, 1);
        float[] y = new float[batch * g.OutputLength], dx = new float[x.Length], dW = new float[wt.Length], db = new float[o];
        if (groups == 1 && dh == 1 && dw == 1)
        {
            // The CPU's fast kernel, the one the generator calls for these layers.
            var g1 = new Conv2DGeometry(channels, h, w, o, kh, kw, sh, sw, ph, pw);
            Conv2D.Forward<float>(x, wt, bias, y, batch, g1, relu);
            Conv2D.Backward<float>(dy, x, wt, dx, dW, db, batch, g1);
        }
        else
        {
            Conv2DGeneral.Forward<float>(x, wt, bias, y, batch, g, relu);
            Conv2DGeneral.Backward<float>(dy, x, wt, dx, dW, db, batch, g);
        }
        string p = $"conv{index}_";
        Close(r[p + "y"], y, p + "y", 1);
        Close(r[p + "dw"], dW, p + "dw", 1);
        Close(r[p + "dx"], dx, p + "dx", 1);
        Close(r[p + "db"], db, p + "db", 1);
    }

    [Theory]
    [MemberData(nameof(PoolIndices))]
    public void PoolingForwardAndBackwardAreTheCpusBitForBit(int index)
    {
        if (Results() is not { } r)
        {
            return;
        }
        int[] q = PoolCases[index];
        int batch = q[0];
        var g = new Pool2DGeometry(q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9]);
        float[] xs = Input((ulong)(60 + index), batch * g.InputLength, 3);
        float[] x = xs.Select(MathF.Floor).ToArray(); // few distinct values: ties in the windows
        float[] dy = Input((ulong)(70 + index), batch * g.OutputLength, 1);
        float[] y = new float[dy.Length], dx = new float[x.Length];
        int[] argmax = new int[dy.Length];
        string p = $"pool{index}_";

        MaxPool2D.Forward<float>(x, y, argmax, batch, g);
        MaxPool2D.Backward<float>(dy, argmax, dx, batch, g);
        Exact(r[p + "max_y"], y);
        Exact(r[p + "max_argmax"], argmax.Select(i => (float)i).ToArray());
        Exact(r[p + "max_dx"], dx);

        AvgPool2D.Forward<float>(xs, y, batch, g);
        AvgPool2D.Backward<float>(dy, dx, batch, g);
        Exact(r[p + "avg_y"], y);
        Exact(r[p + "avg_dx"], dx);

        // count_include_pad = False (PyTorch's option; the CPU backend has no kernel for it): the divisor is the number of
        // real elements in the window. The sums are in the same row-major order, so these are exact too.
        (float[] ey, float[] edx) = AvgPoolExcludingPadding(xs, dy, batch, g);
        Exact(r[p + "avg_exclude_y"], ey);
        Exact(r[p + "avg_exclude_dx"], edx);
        if (g.PaddingHeight == 0 && g.PaddingWidth == 0)
        {
            Exact(r[p + "avg_exclude_y"], y); // no padding: the same divisor as the CPU's count_include_pad = True
        }
    }

    [Theory]
    [InlineData(0, 3, 5, 42, true)]
    [InlineData(1, 9, 11, 1, false)]
    public void BatchNormTrainingBackwardAndEvaluationMatchTheCpu(int index, int batch, int channels, int spatial, bool affine)
    {
        if (Results() is not { } r)
        {
            return;
        }
        int n = batch * channels * spatial;
        float[] x = Input((ulong)(80 + index), n, 2).Select(v => v + 1.5f).ToArray(), dy = Input((ulong)(85 + index), n, 1);
        float[] gamma = affine ? Input((ulong)(90 + index), channels, 1) : [], beta = affine ? Input((ulong)(95 + index), channels, 1) : [];
        float[] rm = Input((ulong)(100 + index), channels, 1), rv = Input((ulong)(105 + index), channels, 1).Select(v => v + 2.0f).ToArray();
        float[] y = new float[n], mean = new float[channels], inv = new float[channels], dx = new float[n];
        float[] dg = affine ? new float[channels] : [], db = affine ? new float[channels] : [];
        string p = $"bn{index}_";
        BatchNorm.ForwardTraining<float>(x, gamma, beta, y, mean, inv, rm, rv, batch, channels, spatial, 0.1f, 1e-5f);
        Close(r[p + "y"], y, p + "y");
        Close(r[p + "mean"], mean, p + "mean");
        Close(r[p + "invstd"], inv, p + "invstd");
        Close(r[p + "running_mean"], rm, p + "running_mean");
        Close(r[p + "running_var"], rv, p + "running_var");
        BatchNorm.Backward<float>(dy, x, gamma, mean, inv, dx, dg, db, batch, channels, spatial);
        Close(r[p + "dx"], dx, p + "dx", 1);
        if (affine)
        {
            Close(r[p + "dgamma"], dg, p + "dgamma", 1);
            Close(r[p + "dbeta"], db, p + "dbeta", 1);
        }
        BatchNorm.ForwardInference<float>(x, gamma, beta, rm, rv, y, batch, channels, spatial, 1e-5f);
        Close(r[p + "eval_y"], y, p + "eval_y");
    }

    [Theory]
    [InlineData(0, 5, 300, true)]
    [InlineData(1, 3, 17, false)]
    public void LayerNormForwardAndGradientsMatchTheCpu(int index, int batch, int features, bool affine)
    {
        if (Results() is not { } r)
        {
            return;
        }
        int n = batch * features;
        float[] x = Input((ulong)(110 + index), n, 2).Select(v => v - 0.75f).ToArray(), dy = Input((ulong)(115 + index), n, 1);
        float[] gamma = affine ? Input((ulong)(120 + index), features, 1) : [], beta = affine ? Input((ulong)(125 + index), features, 1) : [];
        float[] y = new float[n], mean = new float[batch], inv = new float[batch], dx = new float[n], dg = new float[features], db = new float[features];
        string p = $"ln{index}_";
        LayerNorm.Forward<float>(x, gamma, beta, y, mean, inv, batch, features, 1e-5f);
        Close(r[p + "y"], y, p + "y");
        Close(r[p + "mean"], mean, p + "mean");
        Close(r[p + "invstd"], inv, p + "invstd");
        LayerNorm.Backward<float>(dy, x, gamma, mean, inv, dx, dg, db, batch, features);
        Close(r[p + "dx"], dx, p + "dx", 1);
        // The parameter gradients sum the rows in the CPU's order, in double: the same bits.
        Exact(r[p + "dgamma"], dg);
        Exact(r[p + "dbeta"], db);
    }

    [Fact]
    public void MaeHuberBceAndTheHingesMatchTheCpu()
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int B = 7, O = 13, n = B * O;
        float[] pred = Input(130, n, 2), target = Input(131, n, 1), d = new float[n];
        // The kernels give Σ of the terms; the CPU's Σ_i L_i divides the dense losses by O.
        double loss = Losses.MeanAbsoluteError<float>(pred, target, d, B, O);
        Close([r["mae_loss"][0] / O], [loss], "mae_loss");
        Close(r["mae_d"], d, "mae_d");
        loss = Losses.Huber<float>(pred, target, d, B, O, 0.5);
        Close([r["huber_loss"][0] / O], [loss], "huber_loss");
        Close(r["huber_d"], d, "huber_d");
        Assert.Contains(d, v => Math.Abs(v) == 0.5f / n); // both sides of δ are covered
        Assert.Contains(d, v => Math.Abs(v) < 0.5f / n && v != 0);

        float[] logits = Input(132, n, 6), prob = Input(133, n, 1).Select(v => (v * 0.5f) + 0.5f).ToArray();
        loss = Losses.BinaryCrossEntropyWithLogits<float>(logits, prob, d, B, O);
        Close([r["bce_loss"][0] / O], [loss], "bce_loss");
        Close(r["bce_d"], d, "bce_d");

        float[] bits = Input(134, n, 1).Select(v => v > 0 ? 1f : 0f).ToArray(), scores = Input(135, n, 2);
        loss = Losses.BinaryHinge<float>(scores, bits, d, B, O, 1.0);
        Close(r["binary_hinge_loss"], [loss], "binary_hinge_loss");
        Exact(r["binary_hinge_d"], d);

        const int Bm = 9, C = 7;
        float[] f = Input(136, Bm * C, 1), dm = new float[Bm * C];
        ulong k = CounterRng.Key(11, 137, 0, 0);
        int[] labels = Enumerable.Range(0, Bm).Select(i => (int)(CounterRng.Bits(k, (ulong)i) % C)).ToArray();
        loss = Losses.MulticlassHinge<float>(f, labels, dm, Bm, C, 1.0);
        Close(r["multiclass_hinge_loss"], [loss], "multiclass_hinge_loss");
        Exact(r["multiclass_hinge_d"], dm);
        loss = Losses.MulticlassSquaredHinge<float>(f, labels, dm, Bm, C, 1.0);
        Close(r["squared_hinge_loss"], [loss], "squared_hinge_loss");
        Exact(r["squared_hinge_d"], dm);
    }

    [Fact]
    public void AdamWAmsGradRmsPropVariantsAndAdaDeltaMatchTheCpuOverThreeSteps()
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int n = 1000;
        const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, alpha = 0.99f, mu = 0.9f, rho = 0.9f;
        float[][] p = Enumerable.Range(0, 6).Select(_ => Input(140, n, 1)).ToArray();
        float[][] s1 = Enumerable.Range(0, 6).Select(_ => new float[n]).ToArray();
        float[][] s2 = Enumerable.Range(0, 6).Select(_ => new float[n]).ToArray();
        float[][] s3 = Enumerable.Range(0, 6).Select(_ => new float[n]).ToArray();
        for (int t = 1; t <= 3; t++)
        {
            float[] g = Input((ulong)(140 + t), n, 1);
            Optimizers.DecoupledWeightDecay<float>(p[0], 0.01, 0.01);
            Optimizers.Adam<float>(p[0], g, s1[0], s2[0], lr, b1, b2, eps, t);
            Optimizers.AmsGrad<float>(p[1], g, s1[1], s2[1], s3[1], lr, b1, b2, eps, t);
            Optimizers.RmsProp<float>(p[2], g, s1[2], s2[2], [], lr, alpha, eps, mu);
            Optimizers.RmsProp<float>(p[3], g, s1[3], [], s3[3], lr, alpha, eps, 0f);
            Optimizers.RmsProp<float>(p[4], g, s1[4], s2[4], s3[4], lr, alpha, eps, mu);
            Optimizers.AdaDelta<float>(p[5], g, s1[5], s2[5], 1.0f, rho, 1e-6f);
        }
        // Element-wise with the CPU's operations in its order: the same bits.
        Exact(r["adamw_p"], p[0]);
        Exact(r["amsgrad_p"], p[1]);
        Exact(r["amsgrad_vmax"], s3[1]);
        Exact(r["rmsprop_momentum_p"], p[2]);
        Exact(r["rmsprop_centered_p"], p[3]);
        Exact(r["rmsprop_centered_momentum_p"], p[4]);
        Exact(r["adadelta_p"], p[5]);
        Exact(r["adadelta_u"], s2[5]);
    }

    [Fact]
    public void ResidualAddAndGradientAccumulationAreTheCpusBitForBit()
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int n = 300;
        float[] a = Input(150, n, 1), b = Input(151, n, 1), y = new float[n];
        Residual.Add<float>(a, b, y);
        Exact(r["residual_y"], y);
        Residual.Accumulate<float>(y, a);
        Exact(r["residual_accumulated"], y);
    }

    [Fact]
    public void PenaltiesClippingAndMaxNormMatchTheCpu()
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int n = 500;
        float[] w = Input(160, n, 1), dw = Input(161, n, 1);
        for (int i = 0; i < 10; i++)
        {
            w[i * 37] = 0f;
        }
        Close(r["sum_squares"], [Regularization.SumOfSquares<float>(w)], "sum_squares");
        Close(r["sum_abs"], [Regularization.SumOfAbsolutes<float>(w)], "sum_abs");
        float[] l2 = (float[])dw.Clone(), l1 = (float[])dw.Clone(), byValue = (float[])dw.Clone();
        Regularization.AddL2Gradient<float>(w, l2, 0.01f);
        Exact(r["l2_dw"], l2);
        Regularization.AddL1Gradient<float>(w, l1, 0.001f);
        Exact(r["l1_dw"], l1);
        Clipping.ByValue<float>(byValue, 0.5);
        Exact(r["clip_value"], byValue);
        float[] clipped = (float[])dw.Clone(), kept = (float[])dw.Clone();
        Assert.True(Clipping.ByGlobalNorm<float>(clipped, 1.0) > 1.0); // this one clips
        Clipping.ByGlobalNorm<float>(kept, 100.0);                      // this one does not
        Close(r["clip_norm_1"], clipped, "clip_norm_1");
        Exact(r["clip_norm_100"], kept);

        const int units = 7, fanIn = 45;
        float[] m = Input(162, units * fanIn, 1);
        for (int u = 0; u < units; u++)
        {
            for (int i = 0; i < fanIn; i++)
            {
                m[(u * fanIn) + i] *= (u + 1) * 0.25f;
            }
        }
        int rescaled = Regularization.MaxNorm<float>(m, units, 3.0);
        Assert.InRange(rescaled, 1, units - 1); // rows on both sides of the bound
        Close(r["max_norm"], m, "max_norm");
    }

    [Fact]
    public void CrossEntropyWithLabelSmoothingAndProbabilityTargetsMatchesTheCpu()
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int B = 9, C = 7;
        float[] f = Input(170, B * C, 3), t = Input(171, B * C, 1).Select(v => (v * 0.5f) + 0.5f).ToArray(), d = new float[B * C];
        ulong k = CounterRng.Key(11, 172, 0, 0);
        int[] labels = Enumerable.Range(0, B).Select(i => (int)(CounterRng.Bits(k, (ulong)i) % C)).ToArray();
        double loss = Losses.SoftmaxCrossEntropy<float>(f, labels, d, B, C, 0.1);
        Close(r["smoothed_loss"], [loss], "smoothed_loss");
        Close(r["smoothed_d"], d, "smoothed_d", 1.0 / B);
        loss = Losses.SoftmaxCrossEntropy<float>(f, t, d, B, C, 0.2);
        Close(r["soft_loss"], [loss], "soft_loss");
        Close(r["soft_d"], d, "soft_d", 1.0 / B);
    }

    [Fact]
    public void ChannelPReLUMaxoutRowDropoutAndVanillaDropoutMatchTheCpu()
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int rows = 5, C = 6, inner = 23, n = rows * C * inner;
        float[] x = Input(180, n, 2), dy = Input(181, n, 1), a = Input(182, C, 0.5f), y = new float[n], dx = new float[n], da = new float[C];
        ChannelPReLU.Forward<float>(x, a, y, C, inner);
        Exact(r["channel_prelu_y"], y);
        ChannelPReLU.Backward<float>(dy, x, a, dx, da, C, inner);
        Exact(r["channel_prelu_dx"], dx);
        Close(r["channel_prelu_da"], da, "channel_prelu_da", 1);

        const int units = 3, pieces = 3, mi = 11, mrows = 4;
        float[] mx = Input(183, mrows * units * pieces * mi, 2).Select(MathF.Floor).ToArray(), mdy = Input(184, mrows * units * mi, 1);
        float[] my = new float[mdy.Length], mdx = new float[mx.Length];
        Maxout.Forward<float>(mx, my, mrows, units, pieces, mi);
        Exact(r["maxout_y"], my);
        Maxout.Backward<float>(mdy, mx, mdx, mrows, units, pieces, mi);
        Exact(r["maxout_dx"], mdx);

        const int samples = 40, per = 7;
        float[] sx = Input(185, samples * per, 1), sdy = Input(186, samples * per, 1), sy = new float[samples * per], smask = new float[samples], sdx = new float[samples * per];
        ulong key = CounterRng.Key(5, 1, 8, 2);
        StochasticDepth.Forward<float>(sx, sy, smask, 0.3, key);
        Exact(r["row_mask"], smask);
        Exact(r["row_y"], sy);
        StochasticDepth.Backward<float>(sdy, smask, sdx);
        Exact(r["row_dx"], sdx);
        float[] planeMask = new float[samples], planeY = new float[samples * per];
        Dropout2D.Forward<float>(sx, planeY, planeMask, per, 0.3, key); // the same rows as planes: the same masks
        Exact(r["row_mask"], planeMask);
        Exact(r["row_y"], planeY);

        float[] vmask = new float[n];
        VanillaDropout.Forward<float>(x, y, vmask, 0.25, CounterRng.Key(5, 1, 8, 3));
        Exact(r["vanilla_mask"], vmask);
        Exact(r["vanilla_y"], y);
        VanillaDropout.Inference<float>(x, y, 0.25);
        Exact(r["vanilla_inference"], y);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void LocalResponseNormMatchesTheCpu(int size)
    {
        if (Results() is not { } r)
        {
            return;
        }
        const int B = 3, C = 7, plane = 20, n = B * C * plane;
        float[] x = Input(190, n, 3), dy = Input(191, n, 1), y = new float[n], dx = new float[n];
        LocalResponseNorm.Forward<float>(x, y, B, C, plane, size, 0.01f, 0.75f, 2.0f);
        LocalResponseNorm.Backward<float>(dy, x, dx, B, C, plane, size, 0.01f, 0.75f, 2.0f);
        Close(r[$"lrn{size}_y"], y, $"lrn{size}_y");
        Close(r[$"lrn{size}_dx"], dx, $"lrn{size}_dx", 1);
    }

    /// <summary>y = Σ window / (real elements in it); dx gathers dy/divisor, both in row-major order.</summary>
    private static (float[] Y, float[] Dx) AvgPoolExcludingPadding(float[] x, float[] dy, int batch, in Pool2DGeometry g)
    {
        int planes = batch * g.Channels, h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth;
        float[] y = new float[planes * ho * wo], dx = new float[planes * h * w];
        for (int p = 0; p < planes; p++)
        {
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < wo; ow++)
                {
                    int h0 = (oh * g.StrideHeight) - g.PaddingHeight, w0 = (ow * g.StrideWidth) - g.PaddingWidth;
                    int h1 = Math.Min(h0 + g.KernelHeight, h), w1 = Math.Min(w0 + g.KernelWidth, w);
                    h0 = Math.Max(h0, 0);
                    w0 = Math.Max(w0, 0);
                    float divisor = (h1 - h0) * (w1 - w0), sum = 0;
                    int o = (((p * ho) + oh) * wo) + ow;
                    float share = dy[o] / divisor;
                    for (int ih = h0; ih < h1; ih++)
                    {
                        for (int iw = w0; iw < w1; iw++)
                        {
                            sum += x[(((p * h) + ih) * w) + iw];
                            dx[(((p * h) + ih) * w) + iw] += share;
                        }
                    }
                    y[o] = sum / divisor;
                }
            }
        }
        return (y, dx);
    }

    private Dictionary<string, double[]>? Results()
    {
        (Dictionary<string, double[]>? results, string reason) = s_results.Value;
        if (results is null)
        {
            // xunit 2 has no dynamic skip: say why in the output and return.
            _output.WriteLine("SKIPPED: " + reason);
        }
        return results;
    }
}
