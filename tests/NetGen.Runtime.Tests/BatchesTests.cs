using NetGen.Data;

namespace NetGen.Runtime.Tests;

public class BatchesTests
{
    [Fact]
    public void Permutation_KnownValues_FromPythonReference()
    {
        // Fisher–Yates with j = Bits(Key(7, ShuffleStream, epoch, 0), i) mod (i + 1), computed in Python.
        int[] p = new int[10];
        Batches.FillPermutation(p, 7, 0);
        Assert.Equal([6, 3, 9, 1, 4, 0, 2, 5, 8, 7], p);
        Batches.FillPermutation(p, 7, 1);
        Assert.Equal([6, 4, 8, 7, 0, 2, 5, 3, 9, 1], p);
    }

    [Fact]
    public void Shuffle_IsAPermutation_AndDependsOnlyOnSeedAndEpoch()
    {
        var batches = new Batches(1000, 64, 42);
        Assert.Equal(Enumerable.Range(0, 1000), batches.Order.ToArray());
        batches.Shuffle(3);
        int[] epoch3 = batches.Order.ToArray();
        Assert.Equal(Enumerable.Range(0, 1000), epoch3.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), epoch3);

        batches.Shuffle(4);
        Assert.NotEqual(epoch3, batches.Order.ToArray());
        batches.Shuffle(3);
        Assert.Equal(epoch3, batches.Order.ToArray());

        var other = new Batches(1000, 10, 42);
        other.Shuffle(3);
        Assert.Equal(epoch3, other.Order.ToArray());
    }

    [Fact]
    public void Gather_CopiesRowsAndLabels_WithPartialLastBatch()
    {
        const int Count = 10, Features = 3;
        float[] x = Enumerable.Range(0, Count * Features).Select(i => (float)i).ToArray();
        int[] y = Enumerable.Range(0, Count).Select(i => i * 10).ToArray();
        var data = new InMemoryDataset(x, y, Features);
        var batches = new Batches(Count, 4, 1);
        batches.Shuffle(0);
        Assert.Equal(3, batches.BatchCount);
        Assert.Equal(2, batches.FullBatchCount);
        Assert.Equal(2, batches.RowsIn(2));

        float[] bx = new float[4 * Features];
        int[] by = new int[4];
        var seen = new List<int>();
        for (int b = 0; b < batches.BatchCount; b++)
        {
            int rows = batches.CopyBatch(b, data, bx, by);
            Assert.Equal(batches.RowsIn(b), rows);
            for (int r = 0; r < rows; r++)
            {
                int source = batches.Order[(b * 4) + r];
                Assert.Equal(source * 10, by[r]);
                Assert.Equal(data.Row(source).ToArray(), bx.AsSpan(r * Features, Features).ToArray());
                seen.Add(source);
            }
        }
        Assert.Equal(Enumerable.Range(0, Count), seen.Order());
    }

    [Fact]
    public void Gather_TooSmallDestination_Throws()
    {
        var batches = new Batches(10, 4, 1);
        Assert.Throws<ArgumentException>(() => batches.Gather<float>(0, new float[30], 3, new float[11]));
        Assert.Throws<ArgumentException>(() => batches.Gather<float>(0, new float[29], 3, new float[12]));
        Assert.Throws<ArgumentOutOfRangeException>(() => batches.RowsIn(3));
    }

    [Fact]
    public void InMemoryDataset_ValidatesShapes()
    {
        Assert.Throws<ArgumentException>(() => new InMemoryDataset(new float[7], new int[2], 3));
        var data = new InMemoryDataset(new float[6], new int[2], 3);
        Assert.Equal(2, data.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Row(2));
    }
}
