using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class DropoutTests
{
    [Fact]
    public void ZeroProbability_KeepsEverything()
    {
        float[] x = TestUtil.Random<float>(103, 1), y = new float[103], mask = new float[103];
        Dropout.Forward<float>(x, y, mask, 0.0, CounterRng.Key(1, CounterRng.DropoutStream, 0, 0));
        Assert.All(mask, m => Assert.Equal(1f, m));
        Assert.Equal(x, y);
    }

    [Fact]
    public void HalfProbability_KeepsAboutHalf_ScaledByTwo()
    {
        const int N = 200_000;
        double[] x = new double[N], y = new double[N], mask = new double[N];
        Array.Fill(x, 3.0);
        Dropout.Forward<double>(x, y, mask, 0.5, CounterRng.Key(7, CounterRng.DropoutStream, 2, 5));
        int kept = 0;
        for (int i = 0; i < N; i++)
        {
            Assert.True(mask[i] == 0.0 || mask[i] == 2.0, $"mask[{i}] = {mask[i]}");
            Assert.Equal(3.0 * mask[i], y[i]);
            kept += mask[i] != 0 ? 1 : 0;
        }
        // Binomial(N, 0.5): standard deviation ≈ 224; allow 5σ.
        Assert.InRange(kept, (N / 2) - 1120, (N / 2) + 1120);
    }

    [Fact]
    public void Mask_FollowsCounterRng_KnownValues()
    {
        // u_i = CounterRng.Uniform(Key(1, DropoutStream, 0, 0), i) ≥ 0.5, computed by the Python reference.
        int[] keep = [0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1];
        float[] x = new float[16], y = new float[16], mask = new float[16];
        Array.Fill(x, 1f);
        Dropout.Forward<float>(x, y, mask, 0.5, CounterRng.Key(1, CounterRng.DropoutStream, 0, 0));
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(keep[i] * 2f, mask[i]);
        }
    }

    [Fact]
    public void ScaleIsOneOverOneMinusP_InT()
    {
        float[] x = new float[64], y = new float[64], mask = new float[64];
        Array.Fill(x, 1f);
        Dropout.Forward<float>(x, y, mask, 0.3, 12345);
        Assert.Contains(1f / 0.7f, mask);
        Assert.All(mask, m => Assert.True(m == 0f || m == 1f / 0.7f));
    }

    [Fact]
    public void SameKey_SameMask_OtherKey_OtherMask()
    {
        float[] x = new float[500], y = new float[500], m1 = new float[500], m2 = new float[500], m3 = new float[500];
        ulong key = CounterRng.Key(3, CounterRng.DropoutStream, 1, 9);
        Dropout.Forward<float>(x, y, m1, 0.4, key);
        Dropout.Forward<float>(x, y, m2, 0.4, key);
        Dropout.Forward<float>(x, y, m3, 0.4, CounterRng.Key(3, CounterRng.DropoutStream, 1, 10));
        Assert.Equal(m1, m2);
        Assert.NotEqual(m1, m3);
    }

    [Fact]
    public void Backward_MultipliesByMask()
    {
        float[] dy = [1f, 2f, 3f, 4f], mask = [0f, 2f, 0f, 2f], dx = new float[4];
        Dropout.Backward<float>(dy, mask, dx);
        Assert.Equal([0f, 4f, 0f, 8f], dx);
    }

    [Fact]
    public void ProbabilityOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward<float>(new float[2], new float[2], new float[2], 1.5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward<float>(new float[2], new float[2], new float[2], double.NaN, 0));
    }
}
