using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class BatchNormTests
{
    private const double Momentum = 0.1, Epsilon = 1e-5;

    [Fact]
    public void HandExample_RunningStatisticsUseTheUnbiasedVariance()
    {
        // x = [1, 2, 3, 4] as B = 4, C = 1, S = 1: μ = 2.5, biased σ² = 1.25 (normalises), unbiased 5/3 (running_var).
        double[] x = [1, 2, 3, 4];
        double[] y = new double[4], mean = new double[1], invStd = new double[1];
        double[] runningMean = [0.0], runningVar = [1.0];
        BatchNorm.ForwardTraining<double>(x, [], [], y, mean, invStd, runningMean, runningVar, 4, 1, 1, Momentum, Epsilon);

        Assert.Equal(2.5, mean[0]);
        Assert.Equal(1 / Math.Sqrt(1.25 + Epsilon), invStd[0], 15);
        Assert.Equal(0.25, runningMean[0], 15);
        Assert.Equal((0.9 * 1.0) + (0.1 * (5.0 / 3.0)), runningVar[0], 15); // 1.0666…
        Assert.Equal(1.0666666666666667, runningVar[0], 15);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal((x[i] - 2.5) / Math.Sqrt(1.25 + Epsilon), y[i], 14);
        }
    }

    [Fact]
    public void PyTorchExample_BatchNorm2d_TrainingStepBackwardAndEval()
    {
        // Values from torch 1.13 in float64: nn.BatchNorm2d(2) with weight [1.5, 0.5], bias [0.25, −1], running stats
        // [0.1, −0.2] / [2, 0.5], x of shape [3, 2, 1, 2] (S = 2), loss = Σ y ⊙ w; then bn.eval() on the same x.
        double[] x = [0.5, -1.25, 2.0, 0.75, 1.5, -0.5, 3.0, 0.25, -2.0, 1.0, 0.125, -0.75];
        double[] w = [1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, -0.5, 1.5, -3.0, 0.75, 1.0];
        double[] gamma = [1.5, 0.5], beta = [0.25, -1.0];
        double[] runningMean = [0.1, -0.2], runningVar = [2.0, 0.5];
        double[] y = new double[12], mean = new double[2], invStd = new double[2];
        BatchNorm.ForwardTraining<double>(x, gamma, beta, y, mean, invStd, runningMean, runningVar, 3, 2, 2, Momentum, Epsilon);
        TestUtil.AssertClose<double>([1.0063267648716607, -1.1113881767689893, -0.558641137560193, -1.0582926799448802, 2.216449588666318,
            -0.2037960589229964, -0.15891990365244313, -1.2581532968987552, -2.018980294614982, 1.6113881767689893, -1.308118451137224,
            -1.657874530806505], y, 1e-14, 0, "y");
        TestUtil.AssertClose<double>([0.07750000000000001, -0.09041666666666667], runningMean, 1e-15, 0, "running_mean");
        TestUtil.AssertClose<double>([1.984375, 0.6377604166666666], runningVar, 1e-15, 0, "running_var");

        double[] dx = new double[12], dgamma = new double[2], dbeta = new double[2];
        BatchNorm.Backward<double>(w, x, gamma, mean, invStd, dx, dgamma, dbeta, 3, 2, 2);
        TestUtil.AssertClose<double>([2.2783782797509957, -2.5077525188888274, -0.3636846113480561, 0.7645152735975967, 0.5185682477364542,
            0.7103505463302304, 0.13277979937254605, -0.5829503250090163, 1.2323506527113925, -2.231895207640246, -0.07040910260670126,
            0.11974896599363098], dx, 1e-14, 0, "dx");
        TestUtil.AssertClose<double>([-4.058953638144579, 1.9361497267406629], dgamma, 1e-14, 0, "dgamma");
        TestUtil.AssertClose<double>([-3.25, 6.75], dbeta, 1e-14, 0, "dbeta");

        BatchNorm.ForwardInference<double>(x, gamma, beta, runningMean, runningVar, y, 3, 2, 2, Epsilon);
        TestUtil.AssertClose<double>([0.6998886166977809, -1.1635553577900692, 0.30879214089361695, -0.47382225469754324, 1.7647137449765524,
            -0.36493651158099055, 0.9348836573665451, -0.7868680129340073, -1.9621742039991479, 1.2323011808371667, -0.8651294524931233,
            -1.4129595294069355], y, 1e-14, 0, "y (eval)");
    }

    [Theory]
    [InlineData(4, 3, 1, true)]
    [InlineData(4, 3, 1, false)]
    [InlineData(33, 70, 1, true)]     // S = 1 with two channel blocks and a scalar tail
    [InlineData(5, 7, 9, true)]
    [InlineData(3, 2, 17, false)]
    [InlineData(2, 3, 64, true)]
    public void Training_Inference_AndBackward_MatchDoubleReference(int batch, int channels, int spatial, bool affine)
    {
        Check<float>(batch, channels, spatial, affine, offset: 0.0, tolerance: 2e-6);
        Check<double>(batch, channels, spatial, affine, offset: 0.0, tolerance: 1e-12);
    }

    [Theory]
    [InlineData(50_000, 3, 1)]   // BatchNorm1d over a large batch
    [InlineData(2, 3, 25_000)]   // BatchNorm2d, 158×158 maps
    public void LargeBatches_FloatStaysWithin1e6_OfTheDoubleReference(int batch, int channels, int spatial)
    {
        // x = 3 + U(−1, 1): a mean three times the spread, where a one-pass Σx² − (Σx)²/n in float would lose digits.
        Check<float>(batch, channels, spatial, affine: true, offset: 3.0, tolerance: 2e-6);
    }

    [Fact]
    public void Backward_MatchesCentredDifferences()
    {
        // L = Σ r ⊙ y(x, γ, β) in double; ∂L/∂x, ∂L/∂γ, ∂L/∂β by centred differences through the training forward
        // (batch statistics included).
        const int B = 3, C = 2, S = 4, n = B * C * S;
        const double h = 1e-6;
        double[] x = TestUtil.Random<double>(n, 11), r = TestUtil.Random<double>(n, 12);
        double[] gamma = [1.3, -0.7], beta = [0.2, 0.4];

        double Loss(double[] xs, double[] g, double[] b)
        {
            double[] y = new double[n];
            BatchNorm.ForwardTraining<double>(xs, g, b, y, new double[C], new double[C], new double[C], new double[C], B, C, S, Momentum, Epsilon);
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += r[i] * y[i];
            }
            return sum;
        }

        double Centred(double[] v, int i, Func<double> loss)
        {
            double keep = v[i];
            v[i] = keep + h;
            double up = loss();
            v[i] = keep - h;
            double down = loss();
            v[i] = keep;
            return (up - down) / (2 * h);
        }

        double[] mean = new double[C], invStd = new double[C];
        BatchNorm.ForwardTraining<double>(x, gamma, beta, new double[n], mean, invStd, new double[C], new double[C], B, C, S, Momentum, Epsilon);
        double[] dx = new double[n], dgamma = new double[C], dbeta = new double[C];
        BatchNorm.Backward<double>(r, x, gamma, mean, invStd, dx, dgamma, dbeta, B, C, S);

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(Centred(x, i, () => Loss(x, gamma, beta)), dx[i], 6);
        }
        for (int c = 0; c < C; c++)
        {
            Assert.Equal(Centred(gamma, c, () => Loss(x, gamma, beta)), dgamma[c], 6);
            Assert.Equal(Centred(beta, c, () => Loss(x, gamma, beta)), dbeta[c], 6);
        }
    }

    [Fact]
    public void GammaIsTheStandardDeviation_BetaIsTheMean_GiveBackTheInput()
    {
        const int B = 6, C = 3, S = 5;
        float[] x = TestUtil.Random<float>(B * C * S, 21);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (x[i] * (1 + (i % C))) + (i % C) - 1; // channels with different means and spreads
        }
        double[] reference = TestUtil.ToDouble<float>(x);
        (double[] mu, double[] variance, _) = Statistics(reference, B, C, S);
        float[] gamma = new float[C], beta = new float[C];
        for (int c = 0; c < C; c++)
        {
            gamma[c] = (float)Math.Sqrt(variance[c] + Epsilon);
            beta[c] = (float)mu[c];
        }

        float[] y = new float[x.Length];
        BatchNorm.ForwardTraining<float>(x, gamma, beta, y, new float[C], new float[C], new float[C], new float[C], B, C, S, 0.1f, 1e-5f);
        TestUtil.AssertClose<float>(reference, y, 1e-6, 1e-6, "y");
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(0, 2, 4)]
    [InlineData(3, 2, 0)]
    public void Training_WithOneValuePerChannel_ThrowsAndWritesNothing(int batch, int channels, int spatial)
    {
        int count = batch * channels * spatial;
        float[] x = TestUtil.Random<float>(count, 3), y = Enumerable.Repeat(9f, count).ToArray();
        float[] mean = Enumerable.Repeat(9f, channels).ToArray(), invStd = Enumerable.Repeat(9f, channels).ToArray();
        float[] runningMean = Enumerable.Repeat(0.5f, channels).ToArray(), runningVar = Enumerable.Repeat(2f, channels).ToArray();
        var e = Assert.Throws<ArgumentException>(() =>
            BatchNorm.ForwardTraining<float>(x, [], [], y, mean, invStd, runningMean, runningVar, batch, channels, spatial, 0.1f, 1e-5f));
        Assert.StartsWith("Expected more than 1 value per channel when training", e.Message);
        Assert.All(y, v => Assert.Equal(9f, v));
        Assert.All(mean, v => Assert.Equal(9f, v));
        Assert.All(invStd, v => Assert.Equal(9f, v));
        Assert.All(runningMean, v => Assert.Equal(0.5f, v));
        Assert.All(runningVar, v => Assert.Equal(2f, v));

        Assert.Throws<ArgumentException>(() =>
            BatchNorm.Backward<float>(x, x, [], mean, invStd, y, [], [], batch, channels, spatial));

        // Inference has no such limit.
        BatchNorm.ForwardInference<float>(x, [], [], runningMean, runningVar, y, batch, channels, spatial, 1e-5f);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal((x[i] - 0.5) / Math.Sqrt(2 + 1e-5), y[i], 6);
        }
    }

    [Fact]
    public void ShortSpans_AreNamed_BeforeAnythingIsWritten()
    {
        const int B = 2, C = 3, S = 2, n = B * C * S;
        float[] x = new float[n], y = Enumerable.Repeat(9f, n).ToArray(), c3 = new float[C], running = Enumerable.Repeat(9f, C).ToArray();

        void Training(float[] xs, float[] g, float[] b, float[] ys, float[] m, float[] i, float[] rm, float[] rv) =>
            BatchNorm.ForwardTraining<float>(xs, g, b, ys, m, i, rm, rv, B, C, S, 0.1f, 1e-5f);

        string Name(Action call) => Assert.ThrowsAny<ArgumentException>(call).ParamName!;

        Assert.Equal("x", Name(() => Training(new float[n - 1], [], [], y, c3, c3, running, running)));
        Assert.Equal("y", Name(() => Training(x, [], [], new float[n - 1], c3, c3, running, running)));
        Assert.Equal("gamma", Name(() => Training(x, new float[C - 1], [], y, c3, c3, running, running)));
        Assert.Equal("beta", Name(() => Training(x, [], new float[1], y, c3, c3, running, running)));
        Assert.Equal("mean", Name(() => Training(x, [], [], y, new float[C - 1], c3, running, running)));
        Assert.Equal("invStd", Name(() => Training(x, [], [], y, c3, new float[C - 1], running, running)));
        Assert.Equal("runningMean", Name(() => Training(x, [], [], y, c3, c3, new float[C - 1], running)));
        Assert.Equal("runningVar", Name(() => Training(x, [], [], y, c3, c3, running, new float[C - 1])));
        Assert.Equal("y", Name(() => Training(x, [], [], x, c3, c3, running, running))); // in place: backward needs x
        Assert.Equal("y", Name(() => BatchNorm.ForwardTraining<float>(x.AsSpan(0, n - 1), [], [], x.AsSpan(1), c3, c3, running, running, 1, C, S, 0.1f, 1e-5f)));
        Assert.Equal("batch", Name(() => BatchNorm.ForwardTraining<float>(x, [], [], y, c3, c3, running, running, -1, C, S, 0.1f, 1e-5f)));
        Assert.All(y, v => Assert.Equal(9f, v));
        Assert.All(running, v => Assert.Equal(9f, v));

        Assert.Equal("runningVar", Name(() => BatchNorm.ForwardInference<float>(x, [], [], running, new float[1], y, B, C, S, 1e-5f)));
        Assert.Equal("y", Name(() => BatchNorm.ForwardInference<float>(x, [], [], running, running, new float[1], B, C, S, 1e-5f)));
        Assert.Equal("dy", Name(() => BatchNorm.Backward<float>(new float[n - 1], x, [], c3, c3, y, [], [], B, C, S)));
        Assert.Equal("x", Name(() => BatchNorm.Backward<float>(x, new float[n - 1], [], c3, c3, y, [], [], B, C, S)));
        Assert.Equal("dx", Name(() => BatchNorm.Backward<float>(x, x, [], c3, c3, new float[n - 1], [], [], B, C, S)));
        Assert.Equal("dgamma", Name(() => BatchNorm.Backward<float>(x, x, [], c3, c3, y, new float[1], [], B, C, S)));
        Assert.Equal("dbeta", Name(() => BatchNorm.Backward<float>(x, x, [], c3, c3, y, [], new float[1], B, C, S)));
        Assert.All(y, v => Assert.Equal(9f, v));
    }

    [Fact]
    public void Backward_InPlaceOverDy_AndInferenceInPlace_GiveTheSameValues()
    {
        const int B = 9, C = 19, S = 1, n = B * C * S;
        float[] x = TestUtil.Random<float>(n, 31), dy = TestUtil.Random<float>(n, 32), gamma = TestUtil.Random<float>(C, 33);
        float[] mean = new float[C], invStd = new float[C], runningMean = new float[C], runningVar = Enumerable.Repeat(1f, C).ToArray();
        BatchNorm.ForwardTraining<float>(x, gamma, [], new float[n], mean, invStd, runningMean, runningVar, B, C, S, 0.1f, 1e-5f);

        float[] dx = new float[n];
        BatchNorm.Backward<float>(dy, x, gamma, mean, invStd, dx, [], [], B, C, S);
        BatchNorm.Backward<float>(dy, x, gamma, mean, invStd, dy, [], [], B, C, S);
        Assert.Equal(dx, dy);

        float[] y = new float[n];
        BatchNorm.ForwardInference<float>(x, gamma, [], runningMean, runningVar, y, B, C, S, 1e-5f);
        BatchNorm.ForwardInference<float>(x, gamma, [], runningMean, runningVar, x, B, C, S, 1e-5f);
        Assert.Equal(y, x);
    }

    [Theory]
    [InlineData(1024, 80, 1)]
    [InlineData(8, 37, 200)]
    public void Results_HaveTheSameBits_OnOneThreadAndOnEvery(int batch, int channels, int spatial)
    {
        Assert.True(batch * channels * spatial >= BatchNorm.ParallelThreshold);
        float[][] Run()
        {
            int n = batch * channels * spatial;
            float[] x = TestUtil.Random<float>(n, 41), dy = TestUtil.Random<float>(n, 42);
            float[] gamma = TestUtil.Random<float>(channels, 43), beta = TestUtil.Random<float>(channels, 44);
            float[] y = new float[n], mean = new float[channels], invStd = new float[channels], yi = new float[n], dx = new float[n];
            float[] runningMean = new float[channels], runningVar = Enumerable.Repeat(1f, channels).ToArray();
            float[] dgamma = new float[channels], dbeta = new float[channels];
            BatchNorm.ForwardTraining<float>(x, gamma, beta, y, mean, invStd, runningMean, runningVar, batch, channels, spatial, 0.1f, 1e-5f);
            BatchNorm.ForwardInference<float>(x, gamma, beta, runningMean, runningVar, yi, batch, channels, spatial, 1e-5f);
            BatchNorm.Backward<float>(dy, x, gamma, mean, invStd, dx, dgamma, dbeta, batch, channels, spatial);
            return [y, mean, invStd, runningMean, runningVar, yi, dx, dgamma, dbeta];
        }

        float[][] parallel = Run();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Workers.TryAcquire())
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
            Thread.Sleep(1);
        }
        try
        {
            float[][] single = Run(); // the workers are held: every kernel runs on this thread alone
            for (int i = 0; i < single.Length; i++)
            {
                Assert.Equal(single[i].Select(BitConverter.SingleToInt32Bits), parallel[i].Select(BitConverter.SingleToInt32Bits));
            }
        }
        finally
        {
            Workers.RunAndRelease(new NoWork(), 1);
        }
    }

    [Fact]
    public void TrainingStep_DoesNotAllocate()
    {
        float[][] Buffers(int batch, int channels, int spatial)
        {
            int n = batch * channels * spatial;
            return [TestUtil.Random<float>(n, 1), TestUtil.Random<float>(channels, 2), TestUtil.Random<float>(channels, 3), new float[n],
                new float[channels], new float[channels], new float[channels], Enumerable.Repeat(1f, channels).ToArray(),
                TestUtil.Random<float>(n, 4), new float[n], new float[channels], new float[channels]];
        }

        void Step(float[][] b, int batch, int channels, int spatial)
        {
            BatchNorm.ForwardTraining<float>(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], batch, channels, spatial, 0.1f, 1e-5f);
            BatchNorm.Backward<float>(b[8], b[0], b[1], b[4], b[5], b[9], b[10], b[11], batch, channels, spatial);
            BatchNorm.ForwardInference<float>(b[0], b[1], b[2], b[6], b[7], b[3], batch, channels, spatial, 1e-5f);
        }

        float[][] small1d = Buffers(16, 20, 1), small2d = Buffers(4, 6, 49), large1d = Buffers(512, 96, 1), large2d = Buffers(8, 16, 400);
        void All()
        {
            Step(small1d, 16, 20, 1);
            Step(small2d, 4, 6, 49);
            Step(large1d, 512, 96, 1);
            Step(large2d, 8, 16, 400);
        }

        AllocationProbe.AssertNoAllocation(All, warmups: 20, repeats: 5);
    }

    // ------------------------------------------------------------------ the double reference

    /// <summary>Per channel: μ, the biased variance and the unbiased one, straight from the definitions.</summary>
    private static (double[] Mean, double[] Variance, double[] Unbiased) Statistics(double[] x, int batch, int channels, int spatial)
    {
        double n = batch * spatial;
        var mean = new double[channels];
        var variance = new double[channels];
        var unbiased = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    sum += x[(((b * channels) + c) * spatial) + s];
                }
            }
            mean[c] = sum / n;
            double squares = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    double d = x[(((b * channels) + c) * spatial) + s] - mean[c];
                    squares += d * d;
                }
            }
            variance[c] = squares / n;
            unbiased[c] = squares / (n - 1);
        }
        return (mean, variance, unbiased);
    }

    private static void Check<T>(int batch, int channels, int spatial, bool affine, double offset, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = batch * channels * spatial;
        double n = batch * spatial;
        T[] x = TestUtil.Random<T>(count, count + channels);
        for (int i = 0; i < count; i++)
        {
            x[i] += T.CreateTruncating(offset);
        }
        T[] dy = TestUtil.Random<T>(count, count + 1);
        T[] gamma = affine ? TestUtil.Random<T>(channels, 5) : [];
        T[] beta = affine ? TestUtil.Random<T>(channels, 6) : [];
        T[] runningMean = TestUtil.Random<T>(channels, 7), runningVar = new T[channels];
        for (int c = 0; c < channels; c++)
        {
            runningVar[c] = T.CreateTruncating(0.5 + c);
        }

        double[] xd = TestUtil.ToDouble<T>(x), dyd = TestUtil.ToDouble<T>(dy);
        double[] g = affine ? TestUtil.ToDouble<T>(gamma) : Enumerable.Repeat(1.0, channels).ToArray();
        double[] b = affine ? TestUtil.ToDouble<T>(beta) : new double[channels];
        double[] rm0 = TestUtil.ToDouble<T>(runningMean), rv0 = TestUtil.ToDouble<T>(runningVar);
        (double[] mu, double[] variance, double[] unbiased) = Statistics(xd, batch, channels, spatial);

        // Reference, in double from the definitions.
        var yRef = new double[count];
        var yEval = new double[count];
        var dxRef = new double[count];
        var dgRef = new double[channels];
        var dbRef = new double[channels];
        var rmRef = new double[channels];
        var rvRef = new double[channels];
        var invRef = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double inv = 1 / Math.Sqrt(variance[c] + Epsilon);
            invRef[c] = inv;
            rmRef[c] = ((1 - Momentum) * rm0[c]) + (Momentum * mu[c]);
            rvRef[c] = ((1 - Momentum) * rv0[c]) + (Momentum * unbiased[c]);
            double sumDy = 0, sumDyXhat = 0;
            for (int bi = 0; bi < batch; bi++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    int i = (((bi * channels) + c) * spatial) + s;
                    double xhat = (xd[i] - mu[c]) * inv;
                    yRef[i] = (g[c] * xhat) + b[c];
                    sumDy += dyd[i];
                    sumDyXhat += dyd[i] * xhat;
                }
            }
            dgRef[c] = sumDyXhat;
            dbRef[c] = sumDy;
            for (int bi = 0; bi < batch; bi++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    int i = (((bi * channels) + c) * spatial) + s;
                    double xhat = (xd[i] - mu[c]) * inv;
                    dxRef[i] = g[c] * inv / n * ((n * dyd[i]) - sumDy - (xhat * sumDyXhat));
                    yEval[i] = (g[c] * (xd[i] - rmRef[c]) / Math.Sqrt(rvRef[c] + Epsilon)) + b[c];
                }
            }
        }

        T[] y = new T[count], mean = new T[channels], invStd = new T[channels];
        BatchNorm.ForwardTraining<T>(x, gamma, beta, y, mean, invStd, runningMean, runningVar, batch, channels, spatial,
            T.CreateTruncating(Momentum), T.CreateTruncating(Epsilon));
        // ε as T differs from 1e-5 by up to 2⁻²⁴ relative for float: 1e-12 next to variances of ~0.3, below the tolerance.
        TestUtil.AssertClose<T>(mu, mean, tolerance, tolerance, "mean");
        TestUtil.AssertClose<T>(invRef, invStd, 0, tolerance, "invStd");
        TestUtil.AssertClose<T>(rmRef, runningMean, tolerance, tolerance, "running_mean");
        TestUtil.AssertClose<T>(rvRef, runningVar, 0, tolerance, "running_var");
        TestUtil.AssertClose<T>(yRef, y, tolerance, tolerance, "y");

        T[] dx = new T[count], dgamma = affine ? new T[channels] : [], dbeta = affine ? new T[channels] : [];
        BatchNorm.Backward<T>(dy, x, gamma, mean, invStd, dx, dgamma, dbeta, batch, channels, spatial);
        TestUtil.AssertClose<T>(dxRef, dx, tolerance, tolerance, "dx");
        if (affine)
        {
            // Sums of n terms of random sign: about √n in size, and so is the absolute error allowed.
            TestUtil.AssertClose<T>(dgRef, dgamma, tolerance * Math.Sqrt(n), tolerance, "dgamma");
            TestUtil.AssertClose<T>(dbRef, dbeta, tolerance * Math.Sqrt(n), tolerance, "dbeta");
        }

        T[] yInference = new T[count];
        BatchNorm.ForwardInference<T>(x, gamma, beta, runningMean, runningVar, yInference, batch, channels, spatial, T.CreateTruncating(Epsilon));
        TestUtil.AssertClose<T>(yEval, yInference, tolerance * (1 + offset), tolerance, "y (inference)");
    }

    private sealed class NoWork : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }
}
