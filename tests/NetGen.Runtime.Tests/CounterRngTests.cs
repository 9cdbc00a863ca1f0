namespace NetGen.Runtime.Tests;

public class CounterRngTests
{
    // Known values computed by an independent Python reimplementation (arbitrary-precision ints masked to
    // 64 bits), the same arithmetic the PyTorch reference script uses:
    //   M = 2**64 - 1
    //   def mix(z): z ^= z >> 30; z = z * 0xBF58476D1CE4E5B9 & M; z ^= z >> 27; z = z * 0x94D049BB133111EB & M; return z ^ (z >> 31)
    //   def derive(a, b): return mix((a + 0x9E3779B97F4A7C15 * (b + 1)) & M)
    //   key = derive(derive(derive(seed, stream), a), b); bits(k, i) = derive(k, i)

    [Fact]
    public void Mix_And_Derive_KnownValues()
    {
        Assert.Equal(0UL, CounterRng.Mix(0));
        Assert.Equal(0x5692161D100B05E5UL, CounterRng.Mix(1));
        // derive(0, 0) = mix(0x9E3779B97F4A7C15): SplitMix64's first output for seed 0.
        Assert.Equal(0xE220A8397B1DCDAFUL, CounterRng.Derive(0, 0));
    }

    [Fact]
    public void Key_KnownValues()
    {
        Assert.Equal(0x6310BF04D8207F46UL, CounterRng.Key(42, CounterRng.InitStream, 0, 0));
        Assert.Equal(0xEA801258CCE8EAE1UL, CounterRng.Key(42, CounterRng.DropoutStream, 3, 7));
        Assert.Equal(0x8785D79E86735300UL, CounterRng.Key(ulong.MaxValue, CounterRng.ShuffleStream, 5, 0));
    }

    [Fact]
    public void Streams_AreTheDocumentedConstants()
    {
        Assert.Equal(0UL, CounterRng.InitStream);
        Assert.Equal(1UL, CounterRng.DropoutStream);
        Assert.Equal(2UL, CounterRng.ShuffleStream);
    }

    [Fact]
    public void Bits_Uniform_Normal_KnownValues()
    {
        ulong key = CounterRng.Key(42, CounterRng.InitStream, 0, 0);
        Assert.Equal(0xC16129ECD0DC5B93UL, CounterRng.Bits(key, 0));
        Assert.Equal(0x723AD4CBD7C9B07BUL, CounterRng.Bits(key, 1));
        Assert.Equal(0x3E53A9F2486D1D0AUL, CounterRng.Bits(key, 2));

        Assert.Equal(0.7553887963294983f, CounterRng.Uniform(key, 0));
        Assert.Equal(0.4462101459503174f, CounterRng.Uniform(key, 1));
        Assert.Equal(0.24346405267715454f, CounterRng.Uniform(key, 2));

        Assert.Equal(0.7553888514674879, CounterRng.UniformDouble(key, 0));
        Assert.Equal(0.44621019341119594, CounterRng.UniformDouble(key, 1));
        Assert.Equal(0.2434641090880415, CounterRng.UniformDouble(key, 2));

        // Box–Muller goes through libm's log/cos, which may differ in the last ulp between platforms.
        Assert.Equal(-1.5832111889683866, CounterRng.Normal(key, 0), 1e-14);
        Assert.Equal(-0.13431244867701586, CounterRng.Normal(key, 1), 1e-14);
        Assert.Equal(-0.7278230493911572, CounterRng.Normal(key, 2), 1e-14);

        ulong dropout = CounterRng.Key(42, CounterRng.DropoutStream, 3, 7);
        Assert.Equal(6262064 / 16777216f, CounterRng.Uniform(dropout, 100));
    }

    [Fact]
    public void Uniform_IsExactTopBits()
    {
        ulong key = CounterRng.Key(9, 1, 2, 3);
        for (ulong i = 0; i < 1000; i++)
        {
            ulong bits = CounterRng.Bits(key, i);
            Assert.Equal((float)(bits >> 40) / (1 << 24), CounterRng.Uniform(key, i));
            Assert.Equal((double)(bits >> 11) / (1UL << 53), CounterRng.UniformDouble(key, i));
        }
    }

    [Fact]
    public void Uniform_MeanVarianceAndRange()
    {
        const int N = 1_000_000;
        ulong key = CounterRng.Key(123, CounterRng.InitStream, 4, 0);
        double sum = 0, sumSquares = 0;
        int[] histogram = new int[10];
        for (int i = 0; i < N; i++)
        {
            float u = CounterRng.Uniform(key, (ulong)i);
            Assert.True(u >= 0f && u < 1f);
            sum += u;
            sumSquares += (double)u * u;
            histogram[(int)(u * 10)]++;
        }
        double mean = sum / N, variance = (sumSquares / N) - (mean * mean);
        Assert.Equal(0.5, mean, 0.002);          // σ/√N ≈ 0.0003
        Assert.Equal(1.0 / 12, variance, 0.001);
        Assert.All(histogram, h => Assert.InRange(h, 99_000, 101_000)); // ±3.3σ of Binomial(N, 0.1)
    }

    [Fact]
    public void Normal_MeanVariance()
    {
        const int N = 500_000;
        ulong key = CounterRng.Key(5, CounterRng.InitStream, 1, 0);
        double sum = 0, sumSquares = 0, sumFourth = 0;
        for (int i = 0; i < N; i++)
        {
            double z = CounterRng.Normal(key, (ulong)i);
            Assert.True(double.IsFinite(z));
            sum += z;
            sumSquares += z * z;
            sumFourth += z * z * z * z;
        }
        double mean = sum / N, variance = (sumSquares / N) - (mean * mean);
        Assert.Equal(0.0, mean, 0.008);          // σ/√N ≈ 0.0014
        Assert.Equal(1.0, variance, 0.01);
        Assert.Equal(3.0, sumFourth / N, 0.06);  // kurtosis of a normal
    }

    [Fact]
    public void DifferentCoordinates_GiveDifferentKeys()
    {
        var keys = new HashSet<ulong>();
        for (ulong stream = 0; stream < 3; stream++)
        {
            for (ulong a = 0; a < 20; a++)
            {
                for (ulong b = 0; b < 20; b++)
                {
                    Assert.True(keys.Add(CounterRng.Key(1, stream, a, b)));
                }
            }
        }
        Assert.NotEqual(CounterRng.Key(1, 0, 0, 0), CounterRng.Key(2, 0, 0, 0));
    }
}
