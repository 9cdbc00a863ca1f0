using System.Buffers.Binary;
using System.Text;
using NetGen.Serialization;

namespace NetGen.Runtime.Tests;

public class SafeTensorsTests
{
    private static byte[] WriteSample()
    {
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.Add("1.weight", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]);
        writer.Add("0.bias", [2], [-1.5f, 0.25f]);
        writer.Add("0.weight", [3, 4], Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray());
        var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    private static string Header(byte[] file)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return Encoding.UTF8.GetString(file, 8, length);
    }

    /// <summary>A file with the given header text (padded to 8) and data bytes.</summary>
    private static MemoryStream Build(string header, byte[]? data = null, bool pad = true)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        int padding = pad ? (8 - (json.Length % 8)) % 8 : 0;
        var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
        stream.Write(length);
        stream.Write(json);
        stream.Write(Enumerable.Repeat((byte)' ', padding).ToArray());
        stream.Write(data ?? []);
        stream.Position = 0;
        return stream;
    }

    private static string ReadError(Stream stream) => Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(stream)).Message;

    [Fact]
    public void Header_IsSortedPaddedAndCompact_LikeThePythonLibrary()
    {
        byte[] file = WriteSample();
        string header = Header(file);
        Assert.Equal(0, header.Length % 8);
        Assert.Equal(
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[8,56]}," +
            "\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[56,80]}}",
            header.TrimEnd(' '));
        Assert.Equal(8 + header.Length + 80, file.Length);
        // Data are little-endian floats in header order: 0.bias first.
        Assert.Equal(-1.5f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + header.Length)));
    }

    [Fact]
    public void RoundTrip_PreservesNamesShapesDataAndMetadata()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(WriteSample()));
        Assert.Equal(["0.bias", "0.weight", "1.weight"], file.Names);
        Assert.True(file.Contains("0.weight"));
        Assert.False(file.Contains("2.weight"));
        Assert.Equal("F32", file.GetDtype("1.weight"));
        Assert.Equal([3, 4], file.GetShape("0.weight"));
        Assert.Equal("pt", file.Metadata["format"]);

        float[] w = new float[12];
        file.ReadInto("0.weight", [3, 4], w);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 0.5f), w);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], file.ReadSingles("1.weight"));
        file.RequireExactly(["1.weight", "0.weight", "0.bias"], "Net");
    }

    [Fact]
    public void RoundTrip_TensorsLongerThanTheWritersChunk()
    {
        // The writer streams each tensor in chunks of 2^20 elements (a tensor's bytes may exceed what one span addresses);
        // tensors of 2^20 + 3 floats and doubles cross a chunk boundary and must come back element for element.
        const int n = (1 << 20) + 3;
        float[] singles = TestUtil.Random<float>(n, 7);
        double[] doubles = TestUtil.Random<double>(n, 8);
        var writer = new SafeTensorsWriter();
        writer.Add("s", [n], singles);
        writer.Add("d", [n], doubles);
        var stream = new MemoryStream();
        writer.WriteTo(stream);

        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(stream.ToArray()));
        Assert.Equal(singles, file.ReadSingles("s"));
        double[] back = new double[n];
        file.ReadInto("d", [n], back);
        Assert.Equal(doubles, back);
    }

    [Fact]
    public void Checkpoint_RefusesBeforeWritingAFileTooLargeToLoadBack()
    {
        // 300M parameters: the parameters alone (1.2 GB) load back; with Adam's two moments (3.6 GB) they would not, so
        // SaveTrainingState refuses before writing anything rather than leave a checkpoint LoadTrainingState rejects.
        NetGen.Checkpoint.RequireReadable(300_000_000, "Big");
        var ex = Assert.Throws<InvalidOperationException>(() => NetGen.Checkpoint.RequireReadable(3 * 300_000_000L, "Big"));
        Assert.Contains("'Big' would write 900,000,000 values", ex.Message);
        Assert.Contains("3,600,000,000 bytes", ex.Message);
        Assert.Contains("Nothing was written", ex.Message);
    }

    [Fact]
    public void RoundTrip_ThroughAFile_AndDoubles()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netgen-{Guid.NewGuid():N}.safetensors");
        try
        {
            var writer = new SafeTensorsWriter();
            writer.Add("a", [2], [1.0, Math.PI]);
            writer.Add("b", [], [7f]);
            writer.WriteTo(path);
            SafeTensorsFile file = SafeTensorsFile.Read(path);
            // F64 sorts before F32, as the Python library lays out wider dtypes first.
            Assert.Equal(["a", "b"], file.Names);
            double[] a = new double[2];
            file.ReadInto("a", [2], a);
            Assert.Equal([1.0, Math.PI], a);
            Assert.Empty(file.GetShape("b"));
            Assert.Equal([7f], file.ReadSingles("b"));
            Assert.Empty(file.Metadata);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadInto_DtypeMismatch_NamesTensor()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("0.weight", [2], [1.0, 2.0]);
        var stream = new MemoryStream();
        writer.WriteTo(stream);
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(stream.ToArray()));
        var e = Assert.Throws<InvalidDataException>(() => file.ReadInto("0.weight", [2], new float[2]));
        Assert.Equal("tensor '0.weight' has dtype F64, expected F32.", e.Message);
    }

    [Fact]
    public void ReadInto_ShapeMismatch_NamesTensor()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(WriteSample()));
        var e = Assert.Throws<InvalidDataException>(() => file.ReadInto("0.weight", [4, 3], new float[12]));
        Assert.Equal("tensor '0.weight' has shape [3, 4], expected [4, 3].", e.Message);
        Assert.Contains("'nope' is not in the file", Assert.Throws<InvalidDataException>(() => file.ReadInto("nope", [1], new float[1])).Message);
        Assert.Throws<ArgumentException>(() => file.ReadInto("0.weight", [3, 4], new float[11]));
    }

    [Fact]
    public void RequireExactly_NamesFirstMissingAndFirstUnexpected()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(WriteSample()));
        var e = Assert.Throws<InvalidDataException>(() => file.RequireExactly(["0.weight", "0.bias", "2.weight", "2.bias"], "MnistMlp"));
        Assert.Equal("The safetensors file does not match 'MnistMlp'; missing tensor '2.weight' (and 1 more); unexpected tensor '1.weight'.", e.Message);

        e = Assert.Throws<InvalidDataException>(() => file.RequireExactly(["0.weight", "0.bias", "1.weight", "1.bias"], "Net"));
        Assert.Equal("The safetensors file does not match 'Net'; missing tensor '1.bias'.", e.Message);

        e = Assert.Throws<InvalidDataException>(() => file.RequireExactly(["0.weight", "0.bias"], "Net"));
        Assert.Equal("The safetensors file does not match 'Net'; unexpected tensor '1.weight'.", e.Message);
    }

    [Fact]
    public void Truncated_Data_IsReported()
    {
        byte[] file = WriteSample();
        string message = ReadError(new MemoryStream(file[..^4]));
        Assert.Contains("tensor '1.weight'", message);
        Assert.Contains("truncated", message);
    }

    [Fact]
    public void Truncated_Header_IsReported()
    {
        byte[] file = WriteSample();
        Assert.Contains("header", ReadError(new MemoryStream(file[..20])));
        Assert.StartsWith("header: the file has 3 bytes", ReadError(new MemoryStream(file[..3])));
        Assert.StartsWith("header: the file has 0 bytes", ReadError(new MemoryStream()));
    }

    [Fact]
    public void Truncated_NonSeekableStream_IsReported()
    {
        byte[] file = WriteSample();
        Assert.Contains("truncated", ReadError(new NonSeekable(file[..^1])));
        Assert.Contains("truncated", ReadError(new NonSeekable(file[..30])));
        Assert.Equal(3, SafeTensorsFile.Read(new NonSeekable(file)).Names.Count);
    }

    [Fact]
    public void HeaderLength_Insane_IsReported()
    {
        var stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes(ulong.MaxValue));
        stream.Write(new byte[16]);
        stream.Position = 0;
        Assert.StartsWith("header: length 18446744073709551615 is outside", ReadError(stream));

        stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes(1000UL));
        stream.Write(Encoding.UTF8.GetBytes("{}      "));
        stream.Position = 0;
        Assert.StartsWith("header: length 1000 exceeds the 8 bytes", ReadError(stream));
    }

    [Theory]
    [InlineData("not json", "header: does not start with '{'")]
    [InlineData("{\"a\":", "header: malformed JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", "header: malformed JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\" \"shape\":[1]}}", "header: malformed JSON")]
    [InlineData("{\"a\":[1]}", "tensor 'a': entry must be an object")]
    [InlineData("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'a': missing 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "tensor 'a': missing 'shape'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "tensor 'a': missing 'data_offsets'")]
    [InlineData("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'a': unknown dtype 'F33'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "tensor 'a': 'shape' must be an array of non-negative integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", "tensor 'a': 'shape' must be an array of non-negative integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "tensor 'a': 'data_offsets' must be an array of two")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "tensor 'a': 'data_offsets' must be an array of two")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "tensor 'a': data_offsets [0, 4] hold 4 bytes but dtype F32 with shape [2] needs 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "tensor 'a': data_offsets [4, 0] end before they begin")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "tensor 'a': appears twice")]
    [InlineData("{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "header: '__metadata__' entry 'k' must be a string")]
    [InlineData("[1, 2]", "header: does not start with '{'")]
    public void BadHeaders_AreReported(string header, string expectedStart)
    {
        string message = ReadError(Build(header, new byte[8]));
        Assert.StartsWith(expectedStart, message);
    }

    [Fact]
    public void Offsets_OutOfRange_Overlapping_Gapped_OrTrailing_AreReported()
    {
        const string Entry = "\"dtype\":\"F32\",\"shape\":[1]";
        Assert.Contains("tensor 'a': data_offsets [0, 4] extend past the end of the data section (2 bytes)",
            ReadError(Build($"{{\"a\":{{{Entry},\"data_offsets\":[0,4]}}}}", new byte[2])));
        Assert.Contains("tensor 'b': data_offsets [2, 6] overlap tensor 'a'",
            ReadError(Build($"{{\"a\":{{{Entry},\"data_offsets\":[0,4]}},\"b\":{{{Entry},\"data_offsets\":[2,6]}}}}", new byte[8])));
        Assert.Contains("tensor 'b': data_offsets [8, 12] leave a gap",
            ReadError(Build($"{{\"a\":{{{Entry},\"data_offsets\":[0,4]}},\"b\":{{{Entry},\"data_offsets\":[8,12]}}}}", new byte[12])));
        Assert.StartsWith("header: the tensors cover 4 bytes but the data section has 6",
            ReadError(Build($"{{\"a\":{{{Entry},\"data_offsets\":[0,4]}}}}", new byte[6])));
    }

    [Fact]
    public void UnknownFieldsAndOtherDtypes_AreAccepted_AndReported()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(Build(
            "{\"__metadata__\":{\"who\":\"torch\"},\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4],\"extra\":{\"x\":[1]}}}",
            new byte[4], pad: false));
        Assert.Equal("F16", file.GetDtype("h"));
        Assert.Equal("torch", file.Metadata["who"]);
        Assert.Equal("tensor 'h' has dtype F16, expected F32.", Assert.Throws<InvalidDataException>(() => file.ReadInto("h", [2], new float[2])).Message);
    }

    [Fact]
    public void Int64_ZeroDimensional_IsLaidOutAsTheSpecSays()
    {
        // PyTorch stores BatchNorm's num_batches_tracked as a 0-d int64 tensor: dtype "I64", shape [], 8 bytes of
        // little-endian two's complement (torch.tensor(7).numpy().tobytes() = 07 00 00 00 00 00 00 00).
        var writer = new SafeTensorsWriter();
        writer.Add("1.num_batches_tracked", [], [7L]);
        var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] file = stream.ToArray();

        string header = Header(file);
        Assert.Equal("{\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", header.TrimEnd(' '));
        Assert.Equal(0, header.Length % 8);
        Assert.Equal(8 + header.Length + 8, file.Length);
        Assert.Equal<byte>([7, 0, 0, 0, 0, 0, 0, 0], file.AsSpan(8 + header.Length).ToArray());
        Assert.Equal<byte>([(byte)header.Length, 0, 0, 0, 0, 0, 0, 0], file.AsSpan(0, 8).ToArray());
    }

    [Fact]
    public void RoundTrip_Int64_ZeroAndOneDimensional_BesideFloats()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("1.weight", [2], [0.5f, -2f]);
        writer.Add("1.num_batches_tracked", [], [123_456_789_012L]);
        writer.Add("ids", [4], [-1L, 0L, long.MaxValue, long.MinValue]);
        writer.Add("mean", [1], [Math.E]);
        var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] bytes = stream.ToArray();

        // Wider dtypes first as the Python library sorts them (I64 after F64 in its enum): I64, then F64, then F32.
        Assert.StartsWith("{\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"ids\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[8,40]},\"mean\":{\"dtype\":\"F64\"", Header(bytes));

        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(bytes));
        Assert.Equal(SafeTensorsDtype.I64, file.GetDtype("1.num_batches_tracked"));
        Assert.Empty(file.GetShape("1.num_batches_tracked"));
        Assert.Equal(123_456_789_012L, file.ReadInt64Scalar("1.num_batches_tracked"));
        long[] scalar = new long[1];
        file.ReadInto("1.num_batches_tracked", [], scalar);
        Assert.Equal([123_456_789_012L], scalar);
        long[] ids = new long[4];
        file.ReadInto("ids", [4], ids);
        Assert.Equal([-1L, 0L, long.MaxValue, long.MinValue], ids);
        Assert.Equal([0.5f, -2f], file.ReadSingles("1.weight"));
        Assert.Equal(8, SafeTensorsDtype.SizeOf(SafeTensorsDtype.I64));
    }

    [Fact]
    public void Int64_DtypeAndShapeMismatches_NameTheTensorAndBothDtypes()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("n", [], [3L]);
        writer.Add("v", [1], [3L]);
        writer.Add("w", [2], [1f, 2f]);
        writer.Add("d", [], [1.0]);
        var stream = new MemoryStream();
        writer.WriteTo(stream);
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(stream.ToArray()));

        Assert.Equal("tensor 'n' has dtype I64, expected F32.", Assert.Throws<InvalidDataException>(() => file.ReadInto("n", [], new float[1])).Message);
        Assert.Equal("tensor 'n' has dtype I64, expected F64.", Assert.Throws<InvalidDataException>(() => file.ReadInto("n", [], new double[1])).Message);
        Assert.Equal("tensor 'n' has dtype I64, expected F32.", Assert.Throws<InvalidDataException>(() => file.ReadSingles("n")).Message);
        Assert.Equal("tensor 'w' has dtype F32, expected I64.", Assert.Throws<InvalidDataException>(() => file.ReadInto("w", [2], new long[2])).Message);
        Assert.Equal("tensor 'd' has dtype F64, expected I64.", Assert.Throws<InvalidDataException>(() => file.ReadInt64Scalar("d")).Message);
        Assert.Equal("tensor 'v' has shape [1], expected [].", Assert.Throws<InvalidDataException>(() => file.ReadInt64Scalar("v")).Message);
        Assert.Equal("tensor 'n' has shape [], expected [1].", Assert.Throws<InvalidDataException>(() => file.ReadInto("n", [1], new long[1])).Message);
        Assert.Contains("'missing' is not in the file", Assert.Throws<InvalidDataException>(() => file.ReadInt64Scalar("missing")).Message);
        Assert.Throws<ArgumentException>(() => file.ReadInto("v", [1], new long[2]));
    }

    [Theory]
    [InlineData("{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "tensor 'n': data_offsets [0, 4] hold 4 bytes but dtype I64 with shape [] needs 8.")]
    [InlineData("{\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'n': data_offsets [0, 8] hold 8 bytes but dtype I64 with shape [2] needs 16.")]
    [InlineData("{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,16]}}", 16, "tensor 'n': data_offsets [0, 16] hold 16 bytes but dtype I64 with shape [] needs 8.")]
    public void Int64_WithTheWrongByteLength_IsRejected(string header, int dataBytes, string expected)
    {
        Assert.Equal(expected, ReadError(Build(header, new byte[dataBytes])));
    }

    [Fact]
    public void Writer_RejectsInt64DataThatDoesNotFitTheShape()
    {
        var writer = new SafeTensorsWriter();
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => writer.Add("n", [], ReadOnlySpan<long>.Empty)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => writer.Add("n", [], [1L, 2L])).ParamName);
        writer.Add("n", [], [1L]);
        Assert.Equal(1, writer.Count);
    }

    [Fact]
    public void Writer_RejectsBadInput()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("a", [2], [1f, 2f]);
        Assert.Throws<ArgumentException>(() => writer.Add("a", [2], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("b", [3], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("c", [-2], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [2], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("", [2], [1f, 2f]));
        writer.Add("b", [1, 2], [1f, 2f]); // a rejected name stays available
        Assert.Equal(2, writer.Count);
    }

    /// <summary>A forward-only view of a byte array (like a network or pipe stream).</summary>
    private sealed class NonSeekable(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 5));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
