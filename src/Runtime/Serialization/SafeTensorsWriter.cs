using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NetGen.Serialization;

/// <summary>
/// Builds a safetensors file: <c>[u64 little-endian header length][JSON header, space-padded to a multiple of 8]
/// [raw little-endian tensor data]</c>.
/// </summary>
/// <remarks>
/// The layout follows the Python <c>safetensors</c> library: <c>__metadata__</c> first, then tensors sorted by dtype
/// (wider first) and name (ordinal), their data contiguous in that order. Tensor data is copied when added.
/// </remarks>
public sealed class SafeTensorsWriter
{
    private readonly List<Entry> _tensors = new();
    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Number of tensors added so far.</summary>
    public int Count => _tensors.Count;

    /// <summary>Adds a float32 tensor (dtype F32) of the given shape; <paramref name="data"/> is copied.</summary>
    /// <param name="name">Unique tensor name, e.g. "0.weight".</param>
    /// <param name="shape">Dimensions, each ≥ 0; their product must be <c>data.Length</c> (an empty shape is a scalar).</param>
    /// <param name="data">Elements in row-major order.</param>
    public void Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        Check(name, shape, data.Length);
        _tensors.Add(new Entry(name, SafeTensorsDtype.F32, shape.ToArray(), data.ToArray(), (long)data.Length * sizeof(float)));
    }

    /// <summary>Adds a float64 tensor (dtype F64) of the given shape; <paramref name="data"/> is copied.</summary>
    /// <param name="name">Unique tensor name, e.g. "0.weight".</param>
    /// <param name="shape">Dimensions, each ≥ 0; their product must be <c>data.Length</c>.</param>
    /// <param name="data">Elements in row-major order.</param>
    public void Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<double> data)
    {
        Check(name, shape, data.Length);
        _tensors.Add(new Entry(name, SafeTensorsDtype.F64, shape.ToArray(), data.ToArray(), (long)data.Length * sizeof(double)));
    }

    /// <summary>Adds a signed 64-bit integer tensor (dtype I64) of the given shape; <paramref name="data"/> is copied.</summary>
    /// <param name="name">Unique tensor name, e.g. "1.num_batches_tracked".</param>
    /// <param name="shape">Dimensions, each ≥ 0; their product must be <c>data.Length</c> (an empty shape is a scalar, one
    /// element: PyTorch stores a BatchNorm layer's <c>num_batches_tracked</c> so).</param>
    /// <param name="data">Elements in row-major order.</param>
    public void Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> data)
    {
        Check(name, shape, data.Length);
        _tensors.Add(new Entry(name, SafeTensorsDtype.I64, shape.ToArray(), data.ToArray(), (long)data.Length * sizeof(long)));
    }

    /// <summary>Adds (or replaces) a <c>__metadata__</c> entry; safetensors metadata is string → string.</summary>
    /// <param name="key">Metadata key.</param>
    /// <param name="value">Metadata value.</param>
    public void AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
    }

    /// <summary>Writes the whole file to <paramref name="stream"/> (from its current position).</summary>
    /// <param name="stream">A writable stream; it is not closed.</param>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);

        // Lay the tensors out as the Python library does: dtype rank descending, then name.
        var ordered = new List<Entry>(_tensors);
        ordered.Sort(static (x, y) =>
        {
            int byDtype = SafeTensorsDtype.Rank(y.Dtype).CompareTo(SafeTensorsDtype.Rank(x.Dtype));
            return byDtype != 0 ? byDtype : string.CompareOrdinal(x.Name, y.Name);
        });

        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (KeyValuePair<string, string> pair in _metadata)
                {
                    json.WriteString(pair.Key, pair.Value);
                }
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (Entry tensor in ordered)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.Dtype);
                json.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.ByteLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        // The header is padded with spaces so that the data starts 8-byte aligned.
        int padding = (8 - (header.WrittenCount % 8)) % 8;
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.WrittenCount + padding));
        stream.Write(length);
        stream.Write(header.WrittenSpan);
        for (int i = 0; i < padding; i++)
        {
            stream.WriteByte((byte)' ');
        }
        foreach (Entry tensor in ordered)
        {
            switch (tensor.Data)
            {
                case float[] singles:
                    WriteLittleEndian<float>(stream, singles, static (d, v) => BinaryPrimitives.WriteSingleLittleEndian(d, v));
                    break;
                case double[] doubles:
                    WriteLittleEndian<double>(stream, doubles, static (d, v) => BinaryPrimitives.WriteDoubleLittleEndian(d, v));
                    break;
                default:
                    WriteLittleEndian<long>(stream, (long[])tensor.Data, static (d, v) => BinaryPrimitives.WriteInt64LittleEndian(d, v));
                    break;
            }
        }
        stream.Flush();
    }

    /// <summary>Writes the whole file to <paramref name="path"/>, replacing it atomically (<see cref="ModelFile.Write"/>: a
    /// temporary file in the same folder, flushed to disk, renamed over the path).</summary>
    /// <param name="path">File path.</param>
    public void WriteTo(string path) => ModelFile.Write(path, WriteTo);

    private void Check(string name, ReadOnlySpan<int> shape, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafeTensorsFile.MetadataKey)
        {
            throw new ArgumentException($"'{SafeTensorsFile.MetadataKey}' is reserved and cannot name a tensor.", nameof(name));
        }
        if (!_names.Add(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }

        long count = 1;
        bool overflow = false;
        foreach (int dimension in shape)
        {
            if (dimension < 0)
            {
                _names.Remove(name);
                throw new ArgumentException($"Tensor '{name}' has a negative dimension in shape {SafeTensorsFile.Format(shape)}.", nameof(shape));
            }
            overflow |= dimension != 0 && count > long.MaxValue / dimension;
            count = unchecked(count * dimension);
        }
        if (overflow || count != length)
        {
            _names.Remove(name);
            throw new ArgumentException($"Tensor '{name}' has shape {SafeTensorsFile.Format(shape)} but {length} elements of data.", "data");
        }
    }

    /// <summary>Writes the elements little-endian, at most <see cref="ChunkElements"/> at a time: a tensor's byte count may
    /// exceed what one span can address (over 2³¹ bytes), its element count never does.</summary>
    private static void WriteLittleEndian<T>(Stream stream, T[] values, SpanAction<byte, T> write)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        byte[]? swapped = BitConverter.IsLittleEndian ? null : new byte[Math.Min(values.Length, ChunkElements) * size];
        for (int start = 0; start < values.Length; start += ChunkElements)
        {
            ReadOnlySpan<T> chunk = values.AsSpan(start, Math.Min(ChunkElements, values.Length - start));
            if (swapped is null)
            {
                stream.Write(MemoryMarshal.AsBytes(chunk));
                continue;
            }

            for (int i = 0; i < chunk.Length; i++)
            {
                write(swapped.AsSpan(i * size, size), chunk[i]);
            }

            stream.Write(swapped, 0, chunk.Length * size);
        }
    }

    private const int ChunkElements = 1 << 20;

    /// <summary>A tensor to write: its elements (a <c>float[]</c>, <c>double[]</c> or <c>long[]</c>, as its dtype says) and
    /// their size in bytes.</summary>
    private sealed record Entry(string Name, string Dtype, int[] Shape, Array Data, long ByteLength);
}
