namespace NetGen.Runtime.Tests;

/// <summary>The run-time checks and the layout of <see cref="Initializers.Sparse"/> and <see cref="Initializers.Orthogonal"/>
/// (their statistics and PyTorch reference are in NetGen.Tests' InitializationTests, through generated networks).</summary>
public sealed class InitializerTests
{
    [Fact]
    public void SparseRejectsATensorThatIsNotRowsTimesColumnsAndAZeroCount()
    {
        var w = new float[10];
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => Initializers.Sparse<float>(w, 3, 2, 0.01, 1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Sparse<float>(w, 2, 0, 0.01, 1)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => Initializers.Orthogonal<float>(w, 0, 1, 1)).ParamName);
    }

    [Fact]
    public void SparseWithACountAboveTheFanInFillsEveryWeightAndOverwritesOldValues()
    {
        var w = Enumerable.Repeat(7f, 12).ToArray();
        Initializers.Sparse<float>(w, 3, 10, 1.0, 5);
        Assert.All(w, v => Assert.NotEqual(7f, v));
        Assert.All(w, v => Assert.NotEqual(0f, v));

        Initializers.Sparse<float>(w, 3, 1, 1.0, 5);
        Assert.Equal(3, w.Count(v => v != 0));
    }

    [Fact]
    public void OrthogonalOfASquareMatrixIsOrthogonalBothWaysInDouble()
    {
        const int n = 6;
        var w = new double[n * n];
        Initializers.Orthogonal<double>(w, n, 1.0, 3);
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                double rows = 0, columns = 0;
                for (int k = 0; k < n; k++)
                {
                    rows += w[(a * n) + k] * w[(b * n) + k];
                    columns += w[(k * n) + a] * w[(k * n) + b];
                }

                Assert.Equal(a == b ? 1.0 : 0.0, rows, 1e-12);
                Assert.Equal(a == b ? 1.0 : 0.0, columns, 1e-12);
            }
        }
    }
}
