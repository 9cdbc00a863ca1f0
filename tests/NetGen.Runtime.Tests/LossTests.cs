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
