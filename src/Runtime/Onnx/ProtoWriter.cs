using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace NetGen.Onnx;

/// <summary>
/// The few Protocol Buffers wire-format primitives an ONNX file needs: varints, length-delimited fields (strings, bytes,
/// nested messages) and fixed 32-bit floats, written into a growable buffer. A nested message is built in its own
/// <see cref="ProtoWriter"/> and then written with its length. No reflection, no schema, no dependency (docs/adr/0025).
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public long Length => _buffer.Length;

    /// <summary>A varint field (wire type 0): int32, int64, enum.</summary>
    public void Int(int field, long value)
    {
        Tag(field, 0);
        Varint(unchecked((ulong)value));
    }

    /// <summary>A fixed 32-bit field (wire type 5): float.</summary>
    public void Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    /// <summary>A length-delimited UTF-8 string (wire type 2).</summary>
    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A length-delimited byte field (wire type 2).</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _buffer.Write(value);
    }

    /// <summary>A nested message (wire type 2): its length, then its bytes.</summary>
    public void Message(int field, ProtoWriter message)
    {
        Tag(field, 2);
        Varint((ulong)message._buffer.Length);
        message._buffer.Position = 0;
        message._buffer.CopyTo(_buffer);
    }

    /// <summary>float32 values as little-endian bytes in a length-delimited field (TensorProto.raw_data).</summary>
    public void RawFloats(int field, ReadOnlySpan<float> values)
    {
        Tag(field, 2);
        Varint((ulong)values.Length * 4);
        Span<byte> bytes = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
            _buffer.Write(bytes);
        }
    }

    /// <summary>int64 values as little-endian bytes in a length-delimited field (TensorProto.raw_data).</summary>
    public void RawInt64s(int field, ReadOnlySpan<long> values)
    {
        Tag(field, 2);
        Varint((ulong)values.Length * 8);
        Span<byte> bytes = stackalloc byte[8];
        foreach (long v in values)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes, v);
            _buffer.Write(bytes);
        }
    }

    public void CopyTo(Stream stream)
    {
        _buffer.Position = 0;
        _buffer.CopyTo(stream);
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _buffer.WriteByte((byte)value);
    }
}
