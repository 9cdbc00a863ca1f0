using System;
using System.Collections.Generic;

namespace NetGen;

/// <summary>
/// One parameter tensor of a generated network: its PyTorch state_dict key (e.g. "0.weight"), the layer that owns it,
/// its PyTorch shape (Dense weights are [out, in]) and its place in the parameter arena.
/// </summary>
public sealed class ParameterInfo
{
    private readonly int[] _shape;

    /// <summary>Describes a parameter tensor.</summary>
    public ParameterInfo(string key, string layer, int[] shape, int offset, int length, bool weightDecay)
    {
        Key = key;
        Layer = layer;
        _shape = shape;
        Offset = offset;
        Length = length;
        WeightDecay = weightDecay;
    }

    /// <summary>The state_dict key, e.g. "0.weight".</summary>
    public string Key { get; }

    /// <summary>The name of the layer that owns the tensor.</summary>
    public string Layer { get; }

    /// <summary>The PyTorch shape.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The shape as a span (no allocation).</summary>
    public ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>Offset of the first element in the parameter arena.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Whether the regularisation settings (WeightDecay, L1) apply to this tensor: every Dense and Conv2D weight, and a bias whose layer sets RegularizeBias.</summary>
    public bool WeightDecay { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Key} [{string.Join(", ", _shape)}] ({Layer})";

    /// <summary>The slice of <paramref name="arena"/> that holds tensor <paramref name="index"/>.</summary>
    public static Span<T> Slice<T>(ParameterInfo[] table, int index, T[] arena)
    {
        if ((uint)index >= (uint)table.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Parameter index {index} is outside [0, {table.Length}).");
        }

        return new Span<T>(arena, table[index].Offset, table[index].Length);
    }

    /// <summary>The slice of <paramref name="arena"/> that holds the tensor with state_dict key <paramref name="key"/>.</summary>
    public static Span<T> Slice<T>(ParameterInfo[] table, string key, T[] arena, string network)
    {
        foreach (ParameterInfo info in table)
        {
            if (info.Key == key)
            {
                return new Span<T>(arena, info.Offset, info.Length);
            }
        }

        var keys = new List<string>();
        foreach (ParameterInfo info in table)
        {
            keys.Add(info.Key);
        }

        throw new KeyNotFoundException($"Network '{network}' has no parameter '{key}'. Its parameters are: {string.Join(", ", keys)}.");
    }
}
