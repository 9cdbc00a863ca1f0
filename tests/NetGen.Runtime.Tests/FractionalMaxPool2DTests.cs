using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The fractional max pooling kernel: PyTorch's window starts, the forward against a naive maximum over those
/// windows, per-row and per-channel samples, the backward's scatter, and named errors.</summary>
public class FractionalMaxPool2DTests
{
    [Fact]
    public void IntervalsArePyTorchsFormula()
    {
        // N = 8, n = 5, k = 2: α = 6/4 = 1.5; u = 0.5 gives ⌊(i + 0.5)·1.5⌋ − ⌊0.75⌋ = 0, 2, 3, 5, then N − k = 6.
        Span<int> starts = stackalloc int[5];
        FractionalMaxPool2D.Intervals(0.5, 8, 2, starts);
        Assert.Equal(new[] { 0, 2, 3, 5, 6 }, starts.ToArray());

        // Every start leaves the window inside the input, the sequence increases by 1 or 2 (α < 2), and it starts at 0.
        Span<int> s = stackalloc int[7];
        for (int t = 0; t < 100; t++)
        {
            FractionalMaxPool2D.Intervals(CounterRng.Uniform(5, (ulong)t), 11, 3, s);
            Assert.Equal(0, s[0]);
            Assert.Equal(8, s[6]);
            for (int i = 1; i < 7; i++)
            {
                Assert.InRange(s[i] - s[i - 1], 1, 2);
            }
        }
    }

    [Fact]
    public void ForwardIsTheMaximumOverTheDrawnWindows()
    {
        var g = new FractionalPool2DGeometry(3, 9, 8, 2, 5, 4);
        const int B = 2;
        double[] x = TestUtil.Random<double>(B * g.InputLength, 4), y = new double[B * g.OutputLength];
        int[] argmax = new int[y.Length];
        ulong key = CounterRng.Key(1, CounterRng.DropoutStream, 3, 7);
        FractionalMaxPool2D.Forward<double>(x, y, argmax, B, g, key, samplePerRow: true);
        Span<int> rows = stackalloc int[5], cols = stackalloc int[4];
        for (int b = 0; b < B; b++)
        {
            for (int c = 0; c < 3; c++)
            {
                ulong q = (ulong)((b * 3) + c);
                FractionalMaxPool2D.Intervals(CounterRng.Uniform(key, 2 * q), 8, 2, cols);
                FractionalMaxPool2D.Intervals(CounterRng.Uniform(key, (2 * q) + 1), 9, 2, rows);
                for (int i = 0; i < 5; i++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        double max = double.NegativeInfinity;
                        for (int h = rows[i]; h < rows[i] + 2; h++)
                        {
                            for (int w = cols[j]; w < cols[j] + 2; w++)
                            {
                                max = Math.Max(max, x[((((b * 3) + c) * 9) + h) * 8 + w]);
                            }
                        }

                        int o = ((((b * 3) + c) * 5) + i) * 4 + j;
                        Assert.Equal(max, y[o]);
                        Assert.Equal(max, x[(((b * 3) + c) * 72) + argmax[o]]);
                    }
                }
            }
        }
    }

    [Fact]
    public void InferenceSamplesPerChannelGiveEveryRowTheSameRegions()
    {
        var g = new FractionalPool2DGeometry(2, 7, 7, 2, 4, 4);
        float[] one = TestUtil.Random<float>(g.InputLength, 8);
        float[] three = [.. one, .. one, .. one];
        float[] y = new float[3 * g.OutputLength], y1 = new float[g.OutputLength];
        FractionalMaxPool2D.Forward<float>(three, y, default, 3, g, 99, samplePerRow: false);
        FractionalMaxPool2D.Forward<float>(one, y1, default, 1, g, 99, samplePerRow: false);
        for (int b = 0; b < 3; b++)
        {
            Assert.Equal(y1, y.AsSpan(b * g.OutputLength, g.OutputLength).ToArray());
        }

        // In training each row draws its own regions: on a batch of identical rows some outputs differ.
        float[] yt = new float[y.Length];
        FractionalMaxPool2D.Forward<float>(three, yt, new int[y.Length], 3, g, 99, samplePerRow: true);
        Assert.NotEqual(yt.AsSpan(0, g.OutputLength).ToArray(), yt.AsSpan(g.OutputLength, g.OutputLength).ToArray());
    }

    [Fact]
    public void BackwardAddsEachOutputsGradientAtItsArgmax()
    {
        var g = new FractionalPool2DGeometry(1, 5, 5, 2, 3, 3);
        double[] x = TestUtil.Random<double>(25, 2), y = new double[9], dy = TestUtil.Random<double>(9, 3), dx = new double[25];
        int[] argmax = new int[9];
        FractionalMaxPool2D.Forward<double>(x, y, argmax, 1, g, 5, samplePerRow: true);
        dx.AsSpan().Fill(123);
        FractionalMaxPool2D.Backward<double>(dy, argmax, dx, 1, g);
        var expected = new double[25];
        for (int o = 0; o < 9; o++)
        {
            expected[argmax[o]] += dy[o];
        }

        Assert.Equal(expected, dx);
    }

    [Fact]
    public void BadShapesAndLengthsThrowNamedErrors()
    {
        Assert.Equal("outHeight", Assert.Throws<ArgumentOutOfRangeException>(() => new FractionalPool2DGeometry(1, 5, 5, 2, 5, 3)).ParamName);
        Assert.Equal("outWidth", Assert.Throws<ArgumentOutOfRangeException>(() => new FractionalPool2DGeometry(1, 5, 5, 3, 3, 4)).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() => new FractionalPool2DGeometry(1, 5, 5, 0, 3, 3)).ParamName);
        var g = new FractionalPool2DGeometry(1, 5, 5, 2, 3, 3);
        Assert.Equal("y", Assert.ThrowsAny<ArgumentException>(() => FractionalMaxPool2D.Forward<float>(new float[25], new float[8], default, 1, g, 1, true)).ParamName);
        Assert.Equal("g", Assert.Throws<ArgumentException>(() => FractionalMaxPool2D.Forward<float>(new float[25], new float[9], default, 1, default, 1, true)).ParamName);
        double[] dx = new double[25];
        dx.AsSpan().Fill(7);
        Assert.Equal("argmax", Assert.Throws<ArgumentOutOfRangeException>(() => FractionalMaxPool2D.Backward<double>(new double[9], new int[] { 0, 1, 2, 3, 4, 5, 6, 7, 25 }, dx, 1, g)).ParamName);
        Assert.All(dx, v => Assert.Equal(7, v));
    }
}
