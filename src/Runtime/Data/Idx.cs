using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace NetGen.Data;

/// <summary>
/// An IDX array of unsigned bytes (the format of the MNIST files): its dimensions and its elements.
/// </summary>
public sealed class IdxArray
{
    private readonly int[] _dimensions;

    /// <summary>Wraps dimensions and data; <c>data.Length</c> must be the product of the dimensions.</summary>
    /// <param name="dimensions">Sizes, outermost first.</param>
    /// <param name="data">Elements in row-major order.</param>
    public IdxArray(int[] dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        _dimensions = dimensions;
        Data = data;
    }

    /// <summary>Sizes, outermost first (e.g. [60000, 28, 28] for MNIST training images).</summary>
    public ReadOnlySpan<int> Dimensions => _dimensions;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dimensions.Length;

    /// <summary>The elements in row-major order.</summary>
    public byte[] Data { get; }
}

/// <summary>
/// Reads IDX files (Y. LeCun's format for MNIST): a big-endian header <c>[0x00, 0x00, type, rank]</c>, then
/// <c>rank</c> big-endian 32-bit dimensions, then the elements. Gzip-compressed files are recognised by their
/// magic bytes, whatever their name.
/// </summary>
public static class Idx
{
    /// <summary>The IDX type code of unsigned bytes, the only one MNIST uses.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file of unsigned bytes, gzip-compressed or raw.</summary>
    /// <param name="path">File path (e.g. <c>train-images-idx3-ubyte.gz</c>).</param>
    /// <returns>The dimensions and elements.</returns>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file of unsigned bytes.</exception>
    public static IdxArray Read(string path)
    {
        using FileStream file = File.OpenRead(path);
        return Read(file, Path.GetFileName(path));
    }

    /// <summary>Reads an IDX array of unsigned bytes from a stream, gzip-compressed or raw.</summary>
    /// <param name="stream">The stream, positioned at the start of the file; it is not closed.</param>
    /// <param name="name">Name used in error messages.</param>
    /// <returns>The dimensions and elements.</returns>
    /// <exception cref="InvalidDataException">The stream does not hold a well-formed IDX file of unsigned bytes.</exception>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[4];
        int got = buffered.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw new InvalidDataException($"IDX file '{name}' has {got} bytes, too short for the 4-byte magic number.");
        }

        // Gzip starts with 1F 8B; IDX with 00 00. Put the four bytes back in front of the stream and decode.
        Stream source = new PrefixedStream(magic.ToArray(), buffered);
        GZipStream? gzip = null;
        if (magic[0] == 0x1F && magic[1] == 0x8B)
        {
            // Disposing it releases zlib's state; it closes only the PrefixedStream, never the caller's stream.
            source = gzip = new GZipStream(source, CompressionMode.Decompress);
        }

        try
        {
            return ReadIdx(source, name);
        }
        catch (InvalidDataException e) when (gzip is not null && !e.Message.StartsWith("IDX file", StringComparison.Ordinal))
        {
            // GZipStream reports corrupt compressed data as InvalidDataException too; name the file.
            throw new InvalidDataException($"IDX file '{name}': corrupt gzip data ({e.Message})", e);
        }
        finally
        {
            gzip?.Dispose();
        }
    }

    private static IdxArray ReadIdx(Stream source, string name)
    {
        Span<byte> header = stackalloc byte[4];
        ReadExactly(source, header, name, "the 4-byte magic number");
        if (header[0] != 0 || header[1] != 0)
        {
            throw new InvalidDataException($"IDX file '{name}' starts with 0x{header[0]:X2}{header[1]:X2}, not 0x0000: not an IDX file.");
        }
        if (header[2] != UnsignedByte)
        {
            throw new InvalidDataException($"IDX file '{name}' has element type 0x{header[2]:X2}; only unsigned bytes (0x08) are supported.");
        }
        int rank = header[3];
        if (rank < 1 || rank > 8)
        {
            throw new InvalidDataException($"IDX file '{name}' has {rank} dimensions; expected 1 to 8.");
        }

        Span<byte> sizes = stackalloc byte[4 * rank];
        ReadExactly(source, sizes, name, "the dimensions");
        int[] dimensions = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(sizes.Slice(4 * d));
            if (size < 0)
            {
                throw new InvalidDataException($"IDX file '{name}' has a negative size {size} for dimension {d}.");
            }
            dimensions[d] = size;
            count *= size;
            if (count > Array.MaxLength)
            {
                throw new InvalidDataException($"IDX file '{name}' declares more than {Array.MaxLength} elements.");
            }
        }

        byte[] data = new byte[count];
        int got = source.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
        {
            throw new InvalidDataException($"IDX file '{name}' is truncated: its header declares {count} elements ({string.Join(" × ", dimensions)}) but only {got} follow.");
        }
        if (source.ReadByte() >= 0)
        {
            throw new InvalidDataException($"IDX file '{name}' has bytes after the {count} elements its header declares ({string.Join(" × ", dimensions)}).");
        }
        return new IdxArray(dimensions, data);
    }

    private static void ReadExactly(Stream source, Span<byte> buffer, string name, string what)
    {
        int got = source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (got < buffer.Length)
        {
            throw new InvalidDataException($"IDX file '{name}' is truncated in {what}.");
        }
    }

    /// <summary>A read-only stream that yields a few already-read bytes and then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            return rest.Read(buffer);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
