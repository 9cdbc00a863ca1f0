using System.Numerics;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class LossTests
{
    [Fact]
    public void EqualScores_TenClasses_CrossEntropyIsLn10()
    {
        // Lecture-notes test vector: with equal scores over C = 10 classes the loss is ln 10 = 2.302585.
        const int B = 3, C = 10;
        float[] logits = new float[B * C];
        Array.Fill(logits, 0.7f);
        float[] d = new float[B * C];
        double loss = Losses.SoftmaxCrossEntropy<float>(logits, [0, 4, 9], d, B, C);
        Assert.Equal(B * Math.Log(10), loss, 5);
        Assert.Equal(2.302585, loss / B, 6);
        for (int r = 0; r < B; r++)
        {
            for (int j = 0; j < C; j++)
            {
                double expected = (0.1 - (j == new[] { 0, 4, 9 }[r] ? 1 : 0)) / B;
                Assert.Equal(expected, d[r * C + j], 6);
            }
        }
    }

    [Fact]
    public void EqualScores_TenClasses_HingeIsNine()
    {
        const int B = 2, C = 10;
        double[] logits = new double[B * C];
        double[] d = new double[B * C];
        double loss = Losses.MulticlassHinge<double>(logits, [3, 7], d, B, C);
        Assert.Equal(18.0, loss);
        for (int j = 0; j < C; j++)
        {
            Assert.Equal(j == 3 ? -9.0 / B : 1.0 / B, d[j]);
            Assert.Equal(j == 7 ? -9.0 / B : 1.0 / B, d[C + j]);
        }
    }

    [Fact]
    public void Cs231nExample_Hinge()
    {
        // CS231n linear classification notes: cat 2.9, car 0, frog 12.9.
        double[] f = [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1];
        double[] d = new double[9];
        double loss = Losses.MulticlassHinge<double>(f, [0, 1, 2], d, 3, 3);
        Assert.Equal(2.9 + 0 + 12.9, loss, 12);
        // cat: only class 1 violates; car: none; frog: classes 0 and 1 violate.
        Assert.Equal([-1 / 3.0, 1 / 3.0, 0, 0, 0, 0, 1 / 3.0, 1 / 3.0, -2 / 3.0], d);
    }

    [Fact]
    public void Cs231nExample_CrossEntropy()
    {
        // Per-example losses from a Python log-sum-exp: 2.04035515280017, 0.07913177829134901, 6.156477201664211.
        double[] f = [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1];
        double[] d = new double[9];
        double loss = Losses.SoftmaxCrossEntropy<double>(f, [0, 1, 2], d, 3, 3);
        Assert.Equal(2.04035515280017 + 0.07913177829134901 + 6.156477201664211, loss, 12);
        // Each gradient row sums to zero.
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(0.0, d[3 * r] + d[(3 * r) + 1] + d[(3 * r) + 2], 15);
        }
    }

    [Fact]
    public void CrossEntropy_LargeLogits_DoNotOverflow()
    {
        float[] f = [1000f, 0f, -1000f, 1000f];
        float[] d = new float[4];
        double loss = Losses.SoftmaxCrossEntropy<float>(f, [0, 0], d, 2, 2);
        // Row 0: p = [1, 0], label 0 → 0. Row 1: logits [−1000, 1000], label 0 → 2000.
        Assert.Equal(2000.0, loss, 3);
        Assert.All(d, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(-0.5f, d[2]);
        Assert.Equal(0.5f, d[3]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(17, 10)]
    [InlineData(4, 37)]
    public void RandomRows_MatchReference(int batch, int classes)
    {
        CheckRandom<float>(batch, classes, 1e-5);
        CheckRandom<double>(batch, classes, 1e-12);
    }

    [Fact]
    public void Softmax_RowsSumToOne_AndSurviveHugeScores()
    {
        float[] f = [1000f, 1001f, 999f, 0f, 0f, 0f];
        float[] p = new float[6];
        Losses.Softmax<float>(f, p, 2, 3);
        double e = Math.Exp(1);
        Assert.Equal(1 / (1 + e + (1 / e)), p[0], 6);
        Assert.Equal(e / (1 + e + (1 / e)), p[1], 6);
        Assert.Equal(1f / 3, p[4], 6);
        Assert.Equal(1.0, p[0] + p[1] + p[2], 6);
    }

    [Fact]
    public void LabelOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy<float>(new float[4], [0, 2], new float[4], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MulticlassHinge<float>(new float[4], [-1, 0], new float[4], 2, 2));
    }

    [Fact]
    public void InPlace_GradientOverLogits_IsAllowed()
    {
        float[] f = TestUtil.Random<float>(30, 3);
        float[] copy = (float[])f.Clone();
        float[] d = new float[30];
        int[] labels = [1, 2, 3];
        double expected = Losses.SoftmaxCrossEntropy<float>(copy, labels, d, 3, 10);
        double actual = Losses.SoftmaxCrossEntropy<float>(f, labels, f, 3, 10);
        Assert.Equal(expected, actual);
        Assert.Equal(d, f);
    }

    [Fact]
    public void MeanSquaredError_HandValues()
    {
        // Row 0: errors [1, −2] → L_0 = (1 + 4)/2 = 2.5; row 1: errors [0.5, 0] → L_1 = 0.125. Σ L_i = 2.625, and
        // Σ L_i / B = 1.3125 = nn.MSELoss()(p, t) over the four elements. dp = 2(p − t)/(B·O) = (p − t)/2.
        float[] p = [1f, 0f, 2.5f, -1f];
        float[] t = [0f, 2f, 2f, -1f];
        float[] d = new float[4];
        double loss = Losses.MeanSquaredError<float>(p, t, d, 2, 2);
        Assert.Equal(2.625, loss);
        Assert.Equal([0.5f, -1f, 0.25f, 0f], d);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(17, 10)]
    [InlineData(64, 37)]
    public void MeanSquaredError_MatchesReference(int batch, int outputs)
    {
        CheckMeanSquaredError<float>(batch, outputs, 1e-6);
        CheckMeanSquaredError<double>(batch, outputs, 1e-14);
    }

    [Fact]
    public void MeanSquaredError_InPlace_AndNonFiniteTargets()
    {
        float[] p = TestUtil.Random<float>(70, 5), t = TestUtil.Random<float>(70, 6);
        float[] d = new float[70];
        double expected = Losses.MeanSquaredError<float>(p, t, d, 7, 10);
        double inPlace = Losses.MeanSquaredError<float>(p, t, p, 7, 10);
        Assert.Equal(expected, inPlace);
        Assert.Equal(d, p);

        // The generated API validates targets; the kernel just lets a non-finite one through to the loss.
        t[3] = float.NaN;
        Assert.True(double.IsNaN(Losses.MeanSquaredError<float>(t, t, d, 7, 10)));
        t[3] = float.PositiveInfinity;
        Assert.Equal(double.PositiveInfinity, Losses.MeanSquaredError<float>(new float[70], t, d, 7, 10));
        t[3] = 0;
        t[65] = float.NegativeInfinity; // in the scalar tail of the vector loop
        Assert.Equal(double.PositiveInfinity, Losses.MeanSquaredError<float>(new float[70], t, d, 7, 10));
    }

    [Fact]
    public void MeanSquaredError_ChecksSizes()
    {
        Assert.Equal(0.0, Losses.MeanSquaredError<float>([], [], [], 0, 3));
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MeanSquaredError<float>(new float[4], new float[4], new float[4], 2, 0)).ParamName);
        Assert.Equal("predictions", Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError<float>(new float[3], new float[4], new float[4], 2, 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError<float>(new float[4], new float[3], new float[4], 2, 2)).ParamName);
        Assert.Equal("dpredictions", Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError<float>(new float[4], new float[4], new float[3], 2, 2)).ParamName);
    }

    [Fact]
    public void EqualScores_TenClasses_HingeIsNineMargins_SquaredHingeNineSquares()
    {
        // All scores equal (small random weights): every wrong class violates by exactly Δ, so L_i = (C − 1)·Δ for the
        // hinge and (C − 1)·Δ² for the squared hinge: the expected initial losses in docs/attributes.md.
        const int B = 2, C = 10;
        double[] logits = new double[B * C];
        double[] d = new double[B * C];
        Assert.Equal(2 * 9 * 2.0, Losses.MulticlassHinge<double>(logits, [3, 7], d, B, C, 2.0));
        Assert.Equal(2 * 9 * 4.0, Losses.MulticlassSquaredHinge<double>(logits, [3, 7], d, B, C, 2.0));
        for (int j = 0; j < C; j++)
        {
            Assert.Equal(j == 3 ? -9 * 4.0 / B : 4.0 / B, d[j]); // 2·Δ/B per violation
        }
    }

    [Fact]
    public void Cs231nExample_SquaredHinge()
    {
        // The CS231n scores with Δ = 1: cat margins [·, 2.9, −3.9] → 2.9²; car none; frog [6.3, 6.6, ·] → 6.3² + 6.6².
        double[] f = [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1];
        double[] d = new double[9];
        double loss = Losses.MulticlassSquaredHinge<double>(f, [0, 1, 2], d, 3, 3, 1.0);
        Assert.Equal((2.9 * 2.9) + (6.3 * 6.3) + (6.6 * 6.6), loss, 12);
        double[] expected = [-2 * 2.9 / 3, 2 * 2.9 / 3, 0, 0, 0, 0, 2 * 6.3 / 3, 2 * 6.6 / 3, -2 * 12.9 / 3];
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(expected[i], d[i], 12);
        }
    }

    [Fact]
    public void Hinge_MarginMustBePositive()
    {
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MulticlassSquaredHinge<float>(new float[4], [0, 1], new float[4], 2, 2, 0.0)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MulticlassHinge<float>(new float[4], [0, 1], new float[4], 2, 2, double.NaN)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MulticlassSquaredHinge<float>(new float[4], [0, 2], new float[4], 2, 2, 1.0));
    }

    [Fact]
    public void MeanAbsoluteError_HandValues()
    {
        // |e| = [1, 2 | 0.5, 0] → L_0 = 1.5, L_1 = 0.25; Σ L_i / B = 0.875 = nn.L1Loss()(p, t). dp = sign(e)/4, 0 at e = 0.
        float[] p = [1f, 0f, 2.5f, -1f];
        float[] t = [0f, 2f, 2f, -1f];
        float[] d = new float[4];
        Assert.Equal(1.75, Losses.MeanAbsoluteError<float>(p, t, d, 2, 2));
        Assert.Equal([0.25f, -0.25f, 0.25f, 0f], d);
    }

    [Fact]
    public void Huber_HandValues()
    {
        // δ = 1, e = [1, −2 | 0.5, 0]: h = [½ (on the boundary), 1·(2 − ½) | ⅛, 0] → L_0 = 1, L_1 = 1/16.
        // dp = clamp(e, −1, 1)/4. With δ = 3 every error is inside: the loss is half the MSE.
        float[] p = [1f, 0f, 2.5f, -1f];
        float[] t = [0f, 2f, 2f, -1f];
        float[] d = new float[4];
        Assert.Equal(1.0625, Losses.Huber<float>(p, t, d, 2, 2, 1.0));
        Assert.Equal([0.25f, -0.25f, 0.125f, 0f], d);
        Assert.Equal(0.5 * Losses.MeanSquaredError<float>(p, t, new float[4], 2, 2), Losses.Huber<float>(p, t, d, 2, 2, 3.0));
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.Huber<float>(p, t, d, 2, 2, -1.0)).ParamName);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_HandValues_AndHugeLogits()
    {
        // f = 0, t = 1: log 2. f = 1000, t = 1: 0 (no e^1000). f = −1000, t = 1: 1000. f = 2, t = ½ (a probability):
        // 2 − 1 + log(1 + e^−2). dlogits = (σ(f) − t)/(B·O).
        float[] f = [0f, 1000f, -1000f, 2f];
        float[] t = [1f, 1f, 1f, 0.5f];
        float[] d = new float[4];
        double loss = Losses.BinaryCrossEntropyWithLogits<float>(f, t, d, 2, 2);
        Assert.Equal((Math.Log(2) / 2) + ((1000 + 1 + Math.Log(1 + Math.Exp(-2))) / 2), loss, 10);
        Assert.Equal(-0.125f, d[0]);
        Assert.Equal(0f, d[1]);
        Assert.Equal(-0.25f, d[2]);
        Assert.Equal((float)((1 / (1 + Math.Exp(-2)) - 0.5) / 4), d[3], 7);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(17, 10)]
    public void NewLosses_MatchReference(int batch, int classes)
    {
        CheckNewLosses<float>(batch, classes, 1e-6);
        CheckNewLosses<double>(batch, classes, 1e-14);
    }

    [Fact]
    public void NewLosses_InPlace_AndSizes()
    {
        float[] p = TestUtil.Random<float>(30, 5), t = TestUtil.Random<float>(30, 6);
        int[] labels = [1, 2, 3];
        foreach (Func<float[], float[], float[], double> loss in new Func<float[], float[], float[], double>[]
        {
            (a, b, g) => Losses.MeanAbsoluteError<float>(a, b, g, 3, 10),
            (a, b, g) => Losses.Huber<float>(a, b, g, 3, 10, 0.3),
            (a, b, g) => Losses.BinaryCrossEntropyWithLogits<float>(a, b, g, 3, 10),
            (a, _, g) => Losses.MulticlassSquaredHinge<float>(a, labels, g, 3, 10, 0.7),
        })
        {
            float[] copy = (float[])p.Clone();
            float[] d = new float[30];
            double expected = loss(copy, t, d);
            Assert.Equal(expected, loss(copy, t, copy));
            Assert.Equal(d, copy);
        }

        Assert.Equal(0.0, Losses.Huber<float>([], [], [], 0, 3, 1.0));
        Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.MeanAbsoluteError<float>(new float[4], new float[4], new float[4], 2, 0)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => Losses.BinaryCrossEntropyWithLogits<float>(new float[4], new float[3], new float[4], 2, 2)).ParamName);
        Assert.Equal("dpredictions", Assert.Throws<ArgumentException>(() => Losses.Huber<float>(new float[4], new float[4], new float[3], 2, 2, 1.0)).ParamName);
    }

    /// <summary>The squared hinge (Δ = 0.7), L1, Huber (δ = 0.3) and BCE with logits against the formulas in double.</summary>
    private static void CheckNewLosses<T>(int batch, int classes, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] p = TestUtil.Random<T>(batch * classes, batch), t = TestUtil.Random<T>(batch * classes, classes + 100);
        for (int i = 0; i < p.Length; i++)
        {
            p[i] *= T.CreateTruncating(3); // errors on both sides of δ and margins on both sides of 0
        }
        int[] labels = Enumerable.Range(0, batch).Select(r => (r * 7) % classes).ToArray();
        double[] f = TestUtil.ToDouble<T>(p), y = TestUtil.ToDouble<T>(t);
        int n = batch * classes;
        const double Margin = 0.7, Delta = 0.3;
        double squared = 0, l1 = 0, huber = 0, bce = 0;
        double[] dSquared = new double[n], dL1 = new double[n], dHuber = new double[n], dBce = new double[n];
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < classes; j++)
            {
                int i = (r * classes) + j;
                double m = f[i] - f[(r * classes) + labels[r]] + Margin;
                if (j != labels[r] && m > 0)
                {
                    squared += m * m;
                    dSquared[i] = 2 * m / batch;
                    dSquared[(r * classes) + labels[r]] -= 2 * m / batch;
                }

                double e = f[i] - y[i];
                l1 += Math.Abs(e) / classes;
                dL1[i] = Math.Sign(e) / (double)n;
                huber += (Math.Abs(e) <= Delta ? 0.5 * e * e : Delta * (Math.Abs(e) - (0.5 * Delta))) / classes;
                dHuber[i] = Math.Clamp(e, -Delta, Delta) / n;
                double sigma = 1 / (1 + Math.Exp(-f[i]));
                bce += (-(y[i] * Math.Log(sigma)) - ((1 - y[i]) * Math.Log(1 - sigma))) / classes; // the unstable textbook form, fine for |f| ≤ 3
                dBce[i] = (sigma - y[i]) / n;
            }
        }

        T[] d = new T[n];
        if (classes > 1)
        {
            Assert.Equal(squared, Losses.MulticlassSquaredHinge<T>(p, labels, d, batch, classes, Margin), tolerance * 100 * n); // margins in T
            TestUtil.AssertClose<T>(dSquared, d, tolerance, tolerance, "dSquaredHinge");
        }
        Assert.Equal(l1, Losses.MeanAbsoluteError<T>(p, t, d, batch, classes), 1e-12 * n);
        TestUtil.AssertClose<T>(dL1, d, 0, tolerance, "dL1");
        Assert.Equal(huber, Losses.Huber<T>(p, t, d, batch, classes, Delta), 1e-12 * n);
        TestUtil.AssertClose<T>(dHuber, d, 0, tolerance, "dHuber");
        Assert.Equal(bce, Losses.BinaryCrossEntropyWithLogits<T>(p, t, d, batch, classes), 1e-12 * n);
        TestUtil.AssertClose<T>(dBce, d, tolerance, tolerance, "dBCE");
    }

    private static void CheckMeanSquaredError<T>(int batch, int outputs, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] p = TestUtil.Random<T>(batch * outputs, batch), t = TestUtil.Random<T>(batch * outputs, outputs + 100);
        double[] pd = TestUtil.ToDouble<T>(p), td = TestUtil.ToDouble<T>(t);
        double expected = 0;
        var grad = new double[p.Length];
        for (int r = 0; r < batch; r++)
        {
            double row = 0;
            for (int j = 0; j < outputs; j++)
            {
                double e = pd[(r * outputs) + j] - td[(r * outputs) + j];
                row += e * e;
                grad[(r * outputs) + j] = 2 * e / (batch * outputs);
            }
            expected += row / outputs;
        }

        T[] d = new T[p.Length];
        double loss = Losses.MeanSquaredError<T>(p, t, d, batch, outputs);
        Assert.Equal(expected, loss, 1e-12 * batch);
        TestUtil.AssertClose<T>(grad, d, 0, tolerance, "dMSE");
    }

    private static void CheckRandom<T>(int batch, int classes, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] logits = TestUtil.Random<T>(batch * classes, batch + classes);
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] *= T.CreateTruncating(5);
        }
        int[] labels = new int[batch];
        for (int r = 0; r < batch; r++)
        {
            labels[r] = (r * 7) % classes;
        }
        double[] f = TestUtil.ToDouble<T>(logits);

        // Reference: softmax cross-entropy and hinge in double, straight from the formulas.
        double ceLoss = 0, hingeLoss = 0;
        var ceGrad = new double[batch * classes];
        var hingeGrad = new double[batch * classes];
        for (int r = 0; r < batch; r++)
        {
            int y = labels[r];
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++)
            {
                max = Math.Max(max, f[r * classes + j]);
            }
            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += Math.Exp(f[r * classes + j] - max);
            }
            ceLoss += Math.Log(sum) - (f[r * classes + y] - max);
            int count = 0;
            for (int j = 0; j < classes; j++)
            {
                ceGrad[r * classes + j] = ((Math.Exp(f[r * classes + j] - max) / sum) - (j == y ? 1 : 0)) / batch;
                double margin = f[r * classes + j] - f[r * classes + y] + 1;
                if (j != y && margin > 0)
                {
                    hingeLoss += margin;
                    hingeGrad[r * classes + j] = 1.0 / batch;
                    count++;
                }
            }
            hingeGrad[r * classes + y] = -(double)count / batch;
        }

        T[] d = new T[batch * classes];
        double loss = Losses.SoftmaxCrossEntropy<T>(logits, labels, d, batch, classes);
        Assert.Equal(ceLoss, loss, tolerance * batch * 10);
        TestUtil.AssertClose<T>(ceGrad, d, tolerance, 0, "dCE");

        loss = Losses.MulticlassHinge<T>(logits, labels, d, batch, classes);
        Assert.Equal(hingeLoss, loss, tolerance * batch * classes * 10);
        TestUtil.AssertClose<T>(hingeGrad, d, tolerance, 0, "dHinge");
    }
}
