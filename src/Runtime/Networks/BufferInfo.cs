using System;
using System.Collections.Generic;

namespace NetGen;

/// <summary>The element type of a buffer: float32 (running statistics) or int64 (counters such as num_batches_tracked).</summary>
public enum BufferDtype
{
    /// <summary>float32, in the buffer arena.</summary>
    F32,

    /// <summary>int64, one value, in the counter array.</summary>
    I64,
}

/// <summary>
/// One buffer of a generated network: state that is saved and loaded with the parameters but not trained (BatchNorm's
/// <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c>), with its PyTorch state_dict key, shape and dtype.
/// </summary>
public sealed class BufferInfo
{
    private readonly int[] _shape;

    /// <summary>Describes a buffer.</summary>
    public BufferInfo(string key, string layer, int[] shape, BufferDtype dtype, int offset, int length)
    {
        Key = key;
        Layer = layer;
        _shape = shape;
        Dtype = dtype;
        Offset = offset;
        Length = length;
    }

    /// <summary>The state_dict key, e.g. "1.running_mean".</summary>
    public string Key { get; }

    /// <summary>The name of the layer that owns the buffer.</summary>
    public string Layer { get; }

    /// <summary>The PyTorch shape ([] for a counter).</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The shape as a span.</summary>
    public ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>float32 or int64.</summary>
    public BufferDtype Dtype { get; }

    /// <summary>Offset in the float buffer arena (F32), or index in the counter array (I64).</summary>
    public int Offset { get; }

    /// <summary>Number of elements (1 for a counter).</summary>
    public int Length { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Key} [{string.Join(", ", _shape)}] {Dtype} ({Layer})";

    /// <summary>The float32 buffer with key <paramref name="key"/> in <paramref name="arena"/>.</summary>
    public static Span<float> Slice(BufferInfo[] table, string key, float[] arena, string network)
    {
        BufferInfo info = Find(table, key, network);
        if (info.Dtype != BufferDtype.F32)
        {
            throw new ArgumentException($"Buffer '{key}' of network '{network}' is an int64 counter: read it with GetCounter.", nameof(key));
        }

        return new Span<float>(arena, info.Offset, info.Length);
    }

    /// <summary>The int64 buffer with key <paramref name="key"/> in <paramref name="counters"/>.</summary>
    public static long Counter(BufferInfo[] table, string key, long[] counters, string network)
    {
        BufferInfo info = Find(table, key, network);
        if (info.Dtype != BufferDtype.I64)
        {
            throw new ArgumentException($"Buffer '{key}' of network '{network}' is a float32 tensor: read it with GetBuffer.", nameof(key));
        }

        return counters[info.Offset];
    }

    private static BufferInfo Find(BufferInfo[] table, string key, string network)
    {
        foreach (BufferInfo info in table)
        {
            if (info.Key == key)
            {
                return info;
            }
        }

        var keys = new List<string>();
        foreach (BufferInfo info in table)
        {
            keys.Add(info.Key);
        }

        throw new KeyNotFoundException(keys.Count == 0
            ? $"Network '{network}' has no buffer '{key}': it has no buffers."
            : $"Network '{network}' has no buffer '{key}'. Its buffers are: {string.Join(", ", keys)}.");
    }
}
