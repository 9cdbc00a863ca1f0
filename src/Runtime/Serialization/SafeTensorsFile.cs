using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace NetGen.Serialization;

/// <summary>
/// A safetensors file read and validated in full: header, offsets and data. Every problem is reported as an
/// <see cref="InvalidDataException"/> whose message names the tensor (or "header") and what is wrong, before
/// any caller's state is touched.
/// </summary>
/// <remarks>
/// The checks mirror the Python/Rust <c>safetensors</c> library: an 8-byte little-endian header length within
/// limits and within the file, a JSON object header (<c>__metadata__</c> of strings, then per tensor
/// <c>dtype</c>, <c>shape</c>, <c>data_offsets</c>), known dtypes, offsets that tile the data section exactly
/// (contiguous, no overlap, no gap, nothing missing or left over) and agree with shape × element size.
/// The JSON is parsed with <see cref="Utf8JsonReader"/> (no reflection).
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>The header key that holds the string → string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted, as the Python library (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The largest data section this reader loads: it reads the section into one byte array.</summary>
    public static readonly long MaxDataLength = Array.MaxLength;

    private readonly Dictionary<string, Entry> _tensors;
    private readonly List<string> _names;
    private readonly byte[] _data;

    private SafeTensorsFile(Dictionary<string, Entry> tensors, List<string> names, Dictionary<string, string> metadata, byte[] data)
    {
        _tensors = tensors;
        _names = names;
        _data = data;
        Names = names.AsReadOnly();
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
    }

    /// <summary>Tensor names in the order of the header.</summary>
    public IReadOnlyCollection<string> Names { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The dtype string of a tensor, e.g. "F32".</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>The dtype as written in the header.</returns>
    public string GetDtype(string name) => Get(name).Dtype;

    /// <summary>The shape of a tensor (a fresh copy).</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>The dimensions.</returns>
    public int[] GetShape(string name) => (int[])Get(name).Shape.Clone();

    /// <summary>Copies an F32 tensor into <paramref name="destination"/> after checking its dtype and shape.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="expectedShape">The shape the caller expects.</param>
    /// <param name="destination">Where the elements go; exactly the number of elements of <paramref name="expectedShape"/>.</param>
    /// <exception cref="InvalidDataException">The tensor is missing, is not F32, or has another shape.</exception>
    public void ReadInto(string name, ReadOnlySpan<int> expectedShape, Span<float> destination)
    {
        ReadOnlySpan<byte> bytes = Checked(name, SafeTensorsDtype.F32, expectedShape, destination.Length);
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(destination));
        }
        else
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * sizeof(float)));
            }
        }
    }

    /// <summary>Copies an F64 tensor into <paramref name="destination"/> after checking its dtype and shape.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="expectedShape">The shape the caller expects.</param>
    /// <param name="destination">Where the elements go; exactly the number of elements of <paramref name="expectedShape"/>.</param>
    /// <exception cref="InvalidDataException">The tensor is missing, is not F64, or has another shape.</exception>
    public void ReadInto(string name, ReadOnlySpan<int> expectedShape, Span<double> destination)
    {
        ReadOnlySpan<byte> bytes = Checked(name, SafeTensorsDtype.F64, expectedShape, destination.Length);
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(destination));
        }
        else
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(i * sizeof(double)));
            }
        }
    }

    /// <summary>Copies an I64 tensor into <paramref name="destination"/> after checking its dtype and shape.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="expectedShape">The shape the caller expects (empty for a 0-dimensional tensor, one element).</param>
    /// <param name="destination">Where the elements go; exactly the number of elements of <paramref name="expectedShape"/>.</param>
    /// <exception cref="InvalidDataException">The tensor is missing, is not I64, or has another shape.</exception>
    public void ReadInto(string name, ReadOnlySpan<int> expectedShape, Span<long> destination)
    {
        ReadOnlySpan<byte> bytes = Checked(name, SafeTensorsDtype.I64, expectedShape, destination.Length);
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(destination));
        }
        else
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(i * sizeof(long)));
            }
        }
    }

    /// <summary>The value of a 0-dimensional I64 tensor (shape <c>[]</c>), such as PyTorch's <c>num_batches_tracked</c>.</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>The one element.</returns>
    /// <exception cref="InvalidDataException">The tensor is missing, is not I64, or is not 0-dimensional.</exception>
    public long ReadInt64Scalar(string name)
    {
        Span<long> value = stackalloc long[1];
        ReadInto(name, [], value);
        return value[0];
    }

    /// <summary>The elements of an F32 tensor, whatever its shape (see <see cref="GetShape"/>).</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>A new array with the elements in row-major order.</returns>
    public float[] ReadSingles(string name)
    {
        Entry entry = Get(name);
        var result = new float[entry.ByteLength / sizeof(float)];
        ReadInto(name, entry.Shape, result);
        return result;
    }

    /// <summary>
    /// Checks that the file holds exactly the tensors <paramref name="expectedNames"/>: throws naming the first
    /// expected tensor that is missing and the first tensor (in header order) that is not expected.
    /// </summary>
    /// <param name="expectedNames">The names the model has, e.g. its state_dict keys.</param>
    /// <param name="modelName">The model's name, for the message.</param>
    /// <exception cref="InvalidDataException">A tensor is missing or unexpected.</exception>
    public void RequireExactly(IReadOnlyList<string> expectedNames, string modelName)
    {
        ArgumentNullException.ThrowIfNull(expectedNames);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        string? missing = null;
        int missingCount = 0;
        foreach (string name in expectedNames)
        {
            expected.Add(name);
            if (!_tensors.ContainsKey(name))
            {
                missing ??= name;
                missingCount++;
            }
        }

        string? unexpected = null;
        int unexpectedCount = 0;
        foreach (string name in _names)
        {
            if (!expected.Contains(name))
            {
                unexpected ??= name;
                unexpectedCount++;
            }
        }

        if (missing is null && unexpected is null)
        {
            return;
        }

        var message = new StringBuilder();
        message.Append("The safetensors file does not match '").Append(modelName).Append('\'');
        if (missing is not null)
        {
            message.Append("; missing tensor '").Append(missing).Append('\'');
            if (missingCount > 1)
            {
                message.Append(" (and ").Append(missingCount - 1).Append(" more)");
            }
        }
        if (unexpected is not null)
        {
            message.Append("; unexpected tensor '").Append(unexpected).Append('\'');
            if (unexpectedCount > 1)
            {
                message.Append(" (and ").Append(unexpectedCount - 1).Append(" more)");
            }
        }
        message.Append('.');
        throw new InvalidDataException(message.ToString());
    }

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <param name="path">File path.</param>
    /// <returns>The validated file, data included.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message starts with the path.</exception>
    public static SafeTensorsFile Read(string path) => ModelFile.Read<SafeTensorsFile>(path, Read); // errors name the file

    /// <summary>Reads and validates a safetensors file from the current position of <paramref name="stream"/> to its end.</summary>
    /// <param name="stream">A readable stream; it is not closed.</param>
    /// <returns>The validated file, data included.</returns>
    /// <exception cref="InvalidDataException">The stream does not hold a valid safetensors file.</exception>
    public static SafeTensorsFile Read(Stream stream) => Read(stream, MaxDataLength, null);

    /// <summary>
    /// Reads and validates a safetensors file whose data section can be at most <paramref name="maxDataLength"/> bytes
    /// (what the model being loaded holds). A non-seekable stream whose header declares more is refused before any data is
    /// read, and one is read only up to the end its header declares (one byte more tells trailing data apart), so a stream
    /// longer than any model could be is refused early instead of being read to the 2 GB limit. A seekable stream is read
    /// whole (its length is known and bounded), and a wrong tensor is then reported by its name by the caller.
    /// </summary>
    /// <param name="stream">A readable stream; it is not closed.</param>
    /// <param name="maxDataLength">The largest data section accepted, in bytes.</param>
    /// <param name="what">What the limit is, for the message (e.g. "the 3 tensors of 'SpiralNet'"); null for the reader's own limit.</param>
    /// <returns>The validated file, data included.</returns>
    /// <exception cref="InvalidDataException">The stream does not hold a valid safetensors file, or holds more data than allowed.</exception>
    public static SafeTensorsFile Read(Stream stream, long maxDataLength, string? what)
    {
        ArgumentNullException.ThrowIfNull(stream);
        maxDataLength = Math.Min(maxDataLength, MaxDataLength);
        what ??= "what this reader supports";

        // 1. The header length: 8 bytes, little-endian, sane, and within the stream.
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
        {
            throw new InvalidDataException($"header: the file has {got} bytes, fewer than the 8-byte header length (not a safetensors file, or empty).");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderLength)
        {
            throw new InvalidDataException($"header: length {headerLength} is outside [2, {MaxHeaderLength}] (not a safetensors file?).");
        }
        if (stream.CanSeek && (long)headerLength > stream.Length - stream.Position)
        {
            throw new InvalidDataException($"header: length {headerLength} exceeds the {stream.Length - stream.Position} bytes that follow it (truncated, or not a safetensors file).");
        }

        byte[] header = new byte[headerLength];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
        {
            throw new InvalidDataException($"header: length {headerLength} but the file ends after {got} header bytes (truncated).");
        }

        // 2. The JSON.
        var tensors = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var names = new List<string>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        ParseHeader(header, tensors, names, metadata);

        // 3. The data section: everything after the header, which must not exceed what the header declares nor the limit.
        ulong declared = 0;
        foreach (Entry entry in tensors.Values)
        {
            declared = Math.Max(declared, entry.End);
        }

        // From a seekable stream the section is as long as the stream says, so it is read and the tensors are checked by
        // name and dtype first (the clearer message); a non-seekable one could go on for ever, so it is refused here.
        if (declared > (ulong)MaxDataLength || (!stream.CanSeek && declared > (ulong)maxDataLength))
        {
            throw new InvalidDataException($"header: its {tensors.Count} tensors take {declared} bytes, more than {what} ({maxDataLength} bytes); refused before reading the data.");
        }

        byte[] data = ReadData(stream, (long)declared, maxDataLength, what);

        // 4. Offsets: sorted by start, they must tile [0, data.Length) exactly, each matching shape × dtype.
        var byOffset = new List<Entry>(tensors.Values);
        byOffset.Sort(static (x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
        ulong expectedBegin = 0;
        string? previous = null;
        foreach (Entry entry in byOffset)
        {
            if (entry.Begin != expectedBegin)
            {
                throw new InvalidDataException(entry.Begin < expectedBegin
                    ? $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous}', which ends at {expectedBegin}."
                    : $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] leave a gap after byte {expectedBegin}; tensors must be contiguous.");
            }
            if (entry.End > (ulong)data.Length)
            {
                throw new InvalidDataException($"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] extend past the end of the data section ({data.Length} bytes); the file is truncated.");
            }
            expectedBegin = entry.End;
            previous = entry.Name;
        }
        if (expectedBegin != (ulong)data.Length)
        {
            throw new InvalidDataException($"header: the tensors cover {expectedBegin} bytes but the data section has {data.Length}; the file has trailing bytes or its header is incomplete.");
        }

        return new SafeTensorsFile(tensors, names, metadata, data);
    }

    /// <summary>The data section: from a seekable stream, everything left (so a length that differs from the header's is
    /// reported with both); from a non-seekable one, the <paramref name="declared"/> bytes and one more to detect trailing
    /// data, never more than that.</summary>
    private static byte[] ReadData(Stream stream, long declared, long maxDataLength, string what)
    {
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > MaxDataLength)
            {
                throw new InvalidDataException($"header: the data section has {remaining} bytes, more than this reader supports ({MaxDataLength}).");
            }
            byte[] data = new byte[remaining];
            int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < data.Length)
            {
                throw new InvalidDataException($"header: the data section ends after {got} of {data.Length} bytes (truncated).");
            }
            return data;
        }

        byte[] exact = new byte[declared];
        int read = stream.ReadAtLeast(exact, exact.Length, throwOnEndOfStream: false);
        if (read < exact.Length)
        {
            // Fewer bytes than the header declares: the offsets check below reports the first tensor cut off.
            return exact.AsSpan(0, read).ToArray();
        }

        Span<byte> one = stackalloc byte[1];
        if (stream.Read(one) != 0)
        {
            throw new InvalidDataException(declared == maxDataLength
                ? $"header: the stream goes on after the {declared} bytes the tensors take, which is all of {what}; refused without reading the rest."
                : $"header: the tensors cover {declared} bytes but the stream goes on after them; the file has trailing bytes or its header is incomplete (the rest was not read).");
        }

        return exact;
    }

    // ------------------------------------------------------------------------------------------------ header

    private static void ParseHeader(byte[] header, Dictionary<string, Entry> tensors, List<string> names, Dictionary<string, string> metadata)
    {
        if (header[0] != (byte)'{')
        {
            throw new InvalidDataException("header: does not start with '{' (not a safetensors file?).");
        }

        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
            Expect(ref reader, JsonTokenType.StartObject, "header", "is not a JSON object");
            while (true)
            {
                Next(ref reader, "header");
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                string name = reader.GetString()!;
                if (name == MetadataKey)
                {
                    ParseMetadata(ref reader, metadata);
                    continue;
                }
                if (tensors.ContainsKey(name))
                {
                    throw new InvalidDataException($"tensor '{name}': appears twice in the header.");
                }

                Entry entry = ParseTensor(ref reader, name);
                tensors.Add(name, entry);
                names.Add(name);
            }

            // Only the padding (whitespace) may follow the object; Utf8JsonReader rejects anything else.
            if (reader.Read())
            {
                throw new InvalidDataException("header: unexpected content after the JSON object.");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"header: malformed JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this for invalid UTF-8 inside a string.
            throw new InvalidDataException($"header: malformed JSON ({e.Message})", e);
        }
    }

    private static void ParseMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        Next(ref reader, "header");
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException($"header: '{MetadataKey}' must be an object of strings.");
        }

        while (true)
        {
            Next(ref reader, "header");
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }
            string key = reader.GetString()!;
            Next(ref reader, "header");
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new InvalidDataException($"header: '{MetadataKey}' entry '{key}' must be a string, not {Describe(reader.TokenType)}.");
            }
            metadata[key] = reader.GetString()!;
        }
    }

    private static Entry ParseTensor(ref Utf8JsonReader reader, string name)
    {
        string what = $"tensor '{name}'";
        Next(ref reader, what);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException($"{what}: entry must be an object with dtype, shape and data_offsets, not {Describe(reader.TokenType)}.");
        }

        string? dtype = null;
        int[]? shape = null;
        ulong[]? offsets = null;
        while (true)
        {
            Next(ref reader, what);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    Next(ref reader, what);
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new InvalidDataException($"{what}: 'dtype' must be a string, not {Describe(reader.TokenType)}.");
                    }
                    dtype = reader.GetString()!;
                    break;
                case "shape":
                    shape = ParseShape(ref reader, what);
                    break;
                case "data_offsets":
                    offsets = ParseOffsets(ref reader, what);
                    break;
                default:
                    // Unknown fields are ignored, as the Python library does.
                    Next(ref reader, what);
                    reader.Skip();
                    break;
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string absent = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw new InvalidDataException($"{what}: missing '{absent}'.");
        }

        int elementSize = SafeTensorsDtype.SizeOf(dtype);
        if (elementSize == 0)
        {
            throw new InvalidDataException($"{what}: unknown dtype '{dtype}'.");
        }

        ulong begin = offsets[0], end = offsets[1];
        if (end < begin)
        {
            throw new InvalidDataException($"{what}: data_offsets [{begin}, {end}] end before they begin.");
        }

        ulong bytes = (ulong)elementSize;
        foreach (int dimension in shape)
        {
            if (dimension != 0 && bytes > ulong.MaxValue / (ulong)dimension)
            {
                throw new InvalidDataException($"{what}: shape {Format(shape)} is too large.");
            }
            bytes *= (ulong)dimension;
        }
        if (end - begin != bytes)
        {
            throw new InvalidDataException($"{what}: data_offsets [{begin}, {end}] hold {end - begin} bytes but dtype {dtype} with shape {Format(shape)} needs {bytes}.");
        }

        return new Entry(name, dtype, shape, begin, end);
    }

    private static int[] ParseShape(ref Utf8JsonReader reader, string what)
    {
        Next(ref reader, what);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException($"{what}: 'shape' must be an array of non-negative integers, not {Describe(reader.TokenType)}.");
        }

        var dimensions = new List<int>();
        while (true)
        {
            Next(ref reader, what);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return dimensions.ToArray();
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long dimension) || dimension < 0)
            {
                throw new InvalidDataException($"{what}: 'shape' must be an array of non-negative integers.");
            }
            if (dimension > int.MaxValue)
            {
                throw new InvalidDataException($"{what}: shape dimension {dimension} exceeds {int.MaxValue}.");
            }
            dimensions.Add((int)dimension);
        }
    }

    private static ulong[] ParseOffsets(ref Utf8JsonReader reader, string what)
    {
        const string Message = "'data_offsets' must be an array of two non-negative integers [begin, end]";
        Next(ref reader, what);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException($"{what}: {Message}, not {Describe(reader.TokenType)}.");
        }

        var offsets = new ulong[2];
        int count = 0;
        while (true)
        {
            Next(ref reader, what);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong value) || count == 2)
            {
                throw new InvalidDataException($"{what}: {Message}.");
            }
            offsets[count++] = value;
        }
        if (count != 2)
        {
            throw new InvalidDataException($"{what}: {Message}.");
        }
        return offsets;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what, string problem)
    {
        Next(ref reader, what);
        if (reader.TokenType != type)
        {
            throw new InvalidDataException($"{what}: {problem}.");
        }
    }

    private static void Next(ref Utf8JsonReader reader, string what)
    {
        if (!reader.Read())
        {
            throw new InvalidDataException($"{what}: the JSON ends unexpectedly.");
        }
    }

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };

    // ------------------------------------------------------------------------------------------------ access

    private Entry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_tensors.TryGetValue(name, out Entry? entry))
        {
            throw new InvalidDataException($"tensor '{name}' is not in the file.");
        }
        return entry;
    }

    private ReadOnlySpan<byte> Checked(string name, string dtype, ReadOnlySpan<int> expectedShape, int destinationLength)
    {
        Entry entry = Get(name);
        if (entry.Dtype != dtype)
        {
            throw new InvalidDataException($"tensor '{name}' has dtype {entry.Dtype}, expected {dtype}.");
        }
        if (!expectedShape.SequenceEqual(entry.Shape))
        {
            throw new InvalidDataException($"tensor '{name}' has shape {Format(entry.Shape)}, expected {Format(expectedShape)}.");
        }

        long elements = (long)entry.ByteLength / SafeTensorsDtype.SizeOf(dtype);
        if (destinationLength != elements)
        {
            throw new ArgumentException($"The destination for tensor '{name}' has {destinationLength} elements but shape {Format(expectedShape)} has {elements}.", "destination");
        }
        return _data.AsSpan((int)entry.Begin, (int)entry.ByteLength);
    }

    /// <summary>Formats a shape as "[3, 4]".</summary>
    internal static string Format(ReadOnlySpan<int> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }
            text.Append(shape[i]);
        }
        return text.Append(']').ToString();
    }

    private sealed record Entry(string Name, string Dtype, int[] Shape, ulong Begin, ulong End)
    {
        public ulong ByteLength => End - Begin;
    }
}
