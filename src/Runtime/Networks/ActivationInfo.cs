using System;
using System.Collections.Generic;

namespace NetGen;

/// <summary>
/// One node output a generated network keeps from its last forward pass, for monitoring (<see cref="ActivationMonitor"/>,
/// histograms): the layer's name and kind, the shape per sample and its place in the network's activation arena. The
/// outputs listed are those the forward stores: a Dense or Conv2D whose ReLU is fused into its store is represented by
/// the ReLU's output (its own output is never written), and views (Flatten) and the hidden tensors of the fused narrow
/// pair are left out.
/// </summary>
public sealed class ActivationInfo
{
    private readonly int[] _shape;

    /// <summary>Describes a stored node output.</summary>
    /// <param name="layer">The layer's name, e.g. "act1".</param>
    /// <param name="kind">The layer kind as in the catalog: "ReLU", "Sigmoid", "Tanh", "Dense", "Conv2D", …</param>
    /// <param name="shape">The output's shape per sample.</param>
    /// <param name="offset">Offset of sample 0 in the activation arena (and in the activation-gradient arena).</param>
    /// <param name="length">Values per sample.</param>
    /// <param name="hasGradient">Whether backward computes ∂L/∂(output) (false for outputs before the first layer with parameters).</param>
    /// <param name="onRequest">Whether the forward stores it only while the network's <c>RecordActivations</c> is on (see <see cref="OnRequest"/>).</param>
    public ActivationInfo(string layer, string kind, int[] shape, int offset, int length, bool hasGradient, bool onRequest = false)
    {
        OnRequest = onRequest;
        Layer = layer;
        Kind = kind;
        _shape = shape;
        Offset = offset;
        Length = length;
        HasGradient = hasGradient;
    }

    /// <summary>The layer's name.</summary>
    public string Layer { get; }

    /// <summary>The layer kind ("ReLU", "Sigmoid", "Tanh", "Dense", …).</summary>
    public string Kind { get; }

    /// <summary>The shape per sample: [features] or [C, H, W].</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Offset of sample 0 in the arena.</summary>
    public int Offset { get; }

    /// <summary>Values per sample.</summary>
    public int Length { get; }

    /// <summary>Whether backward computes ∂L/∂(output).</summary>
    public bool HasGradient { get; }

    /// <summary>Whether the forward stores this output only while the network's <c>RecordActivations</c> is on: no kernel
    /// reads it (a convolution's output, or its fused ReLU's, whose max pool runs in the convolution's epilogue and reads it
    /// there), so writing it would only serve the views. <see cref="ActivationMonitor"/> switches recording on.</summary>
    public bool OnRequest { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Layer} ({Kind}) [{string.Join(", ", _shape)}]";

    /// <summary>Rows [0, <paramref name="rows"/>) of entry <paramref name="index"/> in <paramref name="arena"/>: [rows, Length], row-major;
    /// empty for an entry stored <see cref="OnRequest"/> when the last forward did not record it (<paramref name="recorded"/> false).</summary>
    public static ReadOnlySpan<T> Slice<T>(ActivationInfo[] table, int index, T[]? arena, int rows, string network, bool recorded)
    {
        ReadOnlySpan<T> slice = Slice(table, index, arena, rows, network);
        return table[index].OnRequest && !recorded ? default : slice;
    }

    /// <summary>Rows [0, <paramref name="rows"/>) of entry <paramref name="index"/> in <paramref name="arena"/>: [rows, Length], row-major.</summary>
    public static ReadOnlySpan<T> Slice<T>(ActivationInfo[] table, int index, T[]? arena, int rows, string network)
    {
        if ((uint)index >= (uint)table.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Network '{network}' keeps {table.Length} activations; index {index} is outside [0, {table.Length}).");
        }

        return arena is null ? default : new ReadOnlySpan<T>(arena, table[index].Offset, rows * table[index].Length);
    }

    /// <summary>As <see cref="Slice{T}(ActivationInfo[], int, T[], int, string)"/> for the gradient arena: empty when it is null (not recorded) or the entry has no gradient.</summary>
    public static ReadOnlySpan<T> GradientSlice<T>(ActivationInfo[] table, int index, T[]? arena, int rows, string network)
    {
        ReadOnlySpan<T> slice = Slice(table, index, arena, rows, network);
        return table[index].HasGradient ? slice : default;
    }
}
