using System;

namespace NetGen.Data;

/// <summary>
/// Shuffled mini-batches over <see cref="Count"/> rows: a permutation per epoch, reproducible from
/// (seed, epoch) alone, and copies of a batch's rows and labels into caller-provided buffers.
/// </summary>
/// <remarks>
/// The permutation of an epoch is Fisher–Yates on the identity with counter-based random numbers:
/// <code>
/// key = CounterRng.Key(seed, CounterRng.ShuffleStream, epoch, 0)
/// for i = n−1 down to 1:  j = CounterRng.Bits(key, i) mod (i + 1);  swap(order[i], order[j])
/// </code>
/// Batch <c>b</c> holds rows <c>order[b·BatchSize ..]</c>; the last batch is partial when <c>BatchSize</c> does
/// not divide <c>Count</c>. Nothing is allocated after construction.
/// </remarks>
public sealed class Batches
{
    private readonly int[] _order;

    /// <summary>Creates the batching of <paramref name="count"/> rows, in identity order until <see cref="Shuffle"/>.</summary>
    /// <param name="count">Number of rows, ≥ 0.</param>
    /// <param name="batchSize">Rows per batch, &gt; 0.</param>
    /// <param name="seed">The seed of the shuffles.</param>
    public Batches(int count, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Count = count;
        BatchSize = batchSize;
        Seed = seed;
        _order = new int[count];
        for (int i = 0; i < count; i++)
        {
            _order[i] = i;
        }
    }

    /// <summary>Number of rows.</summary>
    public int Count { get; }

    /// <summary>Rows per batch (the last batch may hold fewer).</summary>
    public int BatchSize { get; }

    /// <summary>The seed of the shuffles.</summary>
    public ulong Seed { get; }

    /// <summary>⌈Count / BatchSize⌉, the number of batches including a partial last one.</summary>
    public int BatchCount => (Count + BatchSize - 1) / BatchSize;

    /// <summary>⌊Count / BatchSize⌋, the number of full batches (PyTorch's <c>drop_last=True</c>).</summary>
    public int FullBatchCount => Count / BatchSize;

    /// <summary>The current row order.</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>Sets <see cref="Order"/> to the permutation of <paramref name="epoch"/> (independent of earlier calls).</summary>
    /// <param name="epoch">Epoch number, ≥ 0.</param>
    public void Shuffle(long epoch) => FillPermutation(_order, Seed, epoch);

    /// <summary>permutation = Fisher–Yates(identity) with j = Bits(Key(seed, ShuffleStream, epoch, 0), i) mod (i+1)</summary>
    /// <param name="permutation">Receives a permutation of 0..Length−1.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="epoch">Epoch number, ≥ 0.</param>
    public static void FillPermutation(Span<int> permutation, ulong seed, long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        for (int i = 0; i < permutation.Length; i++)
        {
            permutation[i] = i;
        }

        ulong key = CounterRng.Key(seed, CounterRng.ShuffleStream, (ulong)epoch, 0);
        for (int i = permutation.Length - 1; i > 0; i--)
        {
            int j = (int)(CounterRng.Bits(key, (ulong)i) % (ulong)(i + 1));
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
    }

    /// <summary>Number of rows in batch <paramref name="batch"/>: <see cref="BatchSize"/>, or fewer for the last.</summary>
    /// <param name="batch">Batch index in [0, BatchCount).</param>
    /// <returns>Rows in the batch.</returns>
    public int RowsIn(int batch)
    {
        if ((uint)batch >= (uint)BatchCount)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch index must be in [0, {BatchCount}).");
        }
        return Math.Min(BatchSize, Count - (batch * BatchSize));
    }

    /// <summary>destination[r, :] = rows[Order[batch·BatchSize + r], :] for each row r of the batch</summary>
    /// <param name="batch">Batch index in [0, BatchCount).</param>
    /// <param name="rows">All rows, row-major [Count, rowLength].</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <param name="destination">Receives the batch, row-major; at least RowsIn(batch) · rowLength elements.</param>
    /// <returns>The number of rows copied.</returns>
    public int Gather<T>(int batch, ReadOnlySpan<T> rows, int rowLength, Span<T> destination)
    {
        int n = RowsIn(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(rowLength);
        if (rows.Length < (long)Count * rowLength)
        {
            throw new ArgumentException($"'rows' has {rows.Length} elements; {Count} rows of {rowLength} need {(long)Count * rowLength}.", nameof(rows));
        }
        if (destination.Length < (long)n * rowLength)
        {
            throw new ArgumentException($"'destination' has {destination.Length} elements; {n} rows of {rowLength} need {(long)n * rowLength}.", nameof(destination));
        }

        ReadOnlySpan<int> order = _order.AsSpan(batch * BatchSize, n);
        for (int r = 0; r < n; r++)
        {
            rows.Slice(order[r] * rowLength, rowLength).CopyTo(destination.Slice(r * rowLength, rowLength));
        }
        return n;
    }

    /// <summary>destination[r] = labels[Order[batch·BatchSize + r]] for each row r of the batch</summary>
    /// <param name="batch">Batch index in [0, BatchCount).</param>
    /// <param name="labels">All labels, [Count].</param>
    /// <param name="destination">Receives the batch's labels; at least RowsIn(batch) elements.</param>
    /// <returns>The number of labels copied.</returns>
    public int GatherLabels(int batch, ReadOnlySpan<int> labels, Span<int> destination) => Gather(batch, labels, 1, destination);

    /// <summary>Copies the features and labels of batch <paramref name="batch"/> of <paramref name="data"/>.</summary>
    /// <param name="batch">Batch index in [0, BatchCount).</param>
    /// <param name="data">The dataset; its Count must equal <see cref="Count"/>.</param>
    /// <param name="features">Receives [rows, data.FeatureCount].</param>
    /// <param name="labels">Receives [rows].</param>
    /// <returns>The number of rows copied.</returns>
    public int CopyBatch(int batch, InMemoryDataset data, Span<float> features, Span<int> labels)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count != Count)
        {
            throw new ArgumentException($"The dataset has {data.Count} rows but these batches cover {Count}.", nameof(data));
        }
        Gather<float>(batch, data.Features, data.FeatureCount, features);
        return GatherLabels(batch, data.Labels, labels);
    }
}
