using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

public class MaxoutTests
{
    [Theory]
    [InlineData(2, 3, 2, 5)] // images: 6 channels → 3, 5 positions
    [InlineData(3, 4, 3, 1)] // vectors: 12 features → 4 units
    public void TheMaximumOfEachGroupOfConsecutiveChannelsAndItsGradient(int rows, int units, int pieces, int inner)
    {
        double[] x = TestUtil.Random<double>(rows * units * pieces * inner, 5), dy = TestUtil.Random<double>(rows * units * inner, 6);
        var y = new double[dy.Length];
        var dx = new double[x.Length];
        Maxout.Forward<double>(x, y, rows, units, pieces, inner);
        Maxout.Backward<double>(dy, x, dx, rows, units, pieces, inner);
        var expectedDx = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < units; u++)
            {
                for (int p = 0; p < inner; p++)
                {
                    int[] members = Enumerable.Range(0, pieces).Select(j => (((r * units * pieces) + (u * pieces) + j) * inner) + p).ToArray();
                    int best = members.OrderByDescending(m => x[m]).First();
                    int yi = (((r * units) + u) * inner) + p;
                    Assert.Equal(x[best], y[yi]);
                    expectedDx[best] = dy[yi];
                }
            }
        }

        Assert.Equal(expectedDx, dx);
    }

    [Fact]
    public void ATieSendsTheGradientToTheFirstPiece()
    {
        float[] dx = new float[3];
        Maxout.Backward<float>([2f], [1f, 1f, 0f], dx, 1, 1, 3, 1);
        Assert.Equal([2f, 0f, 0f], dx);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheSpan()
    {
        Assert.Equal("x", Assert.ThrowsAny<ArgumentException>(() => Maxout.Forward<float>(new float[5], new float[2], 1, 2, 3, 1)).ParamName);
        Assert.Equal("y", Assert.ThrowsAny<ArgumentException>(() => Maxout.Forward<float>(new float[6], new float[3], 1, 2, 3, 1)).ParamName);
        Assert.Equal("dx", Assert.ThrowsAny<ArgumentException>(() => Maxout.Backward<float>(new float[2], new float[6], new float[5], 1, 2, 3, 1)).ParamName);
    }
}
