using System.Globalization;
using NetGen.Data;
using NetGen.Serialization;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>Saves to a path are atomic (a failure midway leaves the previous file and no temporary file); loads refuse
/// an absurd step counter, a non-seekable stream longer than the model, and (in strict mode) a file of another network;
/// every load error names the file, and a refused load changes no bit of the model.</summary>
public sealed class RobustFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "netgen-robust-" + Guid.NewGuid().ToString("N"));

    public RobustFileTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static byte[] TrainingState(INeuralNetwork net)
    {
        var stream = new MemoryStream();
        net.SaveTrainingState(stream);
        return stream.ToArray();
    }

    private static RobustAdam Trained(ulong seed)
    {
        var net = new RobustAdam(seed);
        float[] x = { 0.5f, -1f, 1.5f, 0.25f, -0.75f, 2f, 1f, -0.5f };
        net.TrainStep(x, new[] { 0, 1, 1, 0 });
        net.TrainStep(x, new[] { 0, 1, 1, 0 });
        return net;
    }

    /// <summary>A stream that accepts <paramref name="limit"/> bytes and then fails as a full disk does.</summary>
    private sealed class FullDisk(Stream inner, long limit) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > limit)
            {
                int fits = (int)(limit - _written);
                inner.Write(buffer[..fits]);
                _written = limit;
                throw new IOException("No space left on device (simulated).");
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }
    }

    /// <summary>Runs <paramref name="save"/> with every write on this thread failing after <paramref name="limit"/> bytes.</summary>
    private static void OnAFullDisk(long limit, Action save)
    {
        ModelFile.WrapForTests = s => new FullDisk(s, limit);
        try
        {
            save();
        }
        finally
        {
            ModelFile.WrapForTests = null;
        }
    }

    public static TheoryData<string> PathSaves() => new() { "Save", "SaveTrainingState", "ExportOnnx", "FoldedSave", "Standardizer" };

    [Theory]
    [MemberData(nameof(PathSaves))]
    public void ASaveThatFailsMidwayLeavesThePreviousFileIntactAndNoTemporaryFile(string which)
    {
        string path = PathOf("model.bin");
        var net = new FoldMix(3);
        Standardizer standardizer = Standardizer.Fit(new float[] { 1, 2, 3, 4, 5, 7 }, 2);
        Action save = which switch
        {
            "Save" => () => net.Save(path),
            "SaveTrainingState" => () => net.SaveTrainingState(path),
            "ExportOnnx" => () => net.ExportOnnx(path),
            "FoldedSave" => () => net.FoldBatchNorm().Save(path),
            _ => () => standardizer.Save(path),
        };
        save();
        byte[] good = File.ReadAllBytes(path);
        Assert.True(good.Length > 100);

        // The model changes, and the next save dies after 100 bytes: the file must still be the previous one, whole.
        net.Parameters.Fill(0.25f);
        standardizer = Standardizer.Fit(new float[] { 2, 2, 3, 5, 5, 9 }, 2);
        var e = Assert.Throws<IOException>(() => OnAFullDisk(100, save));
        Assert.Contains("No space left", e.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));

        // And without the failure the save replaces it.
        save();
        Assert.NotEqual(good, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void ASaveRefusedBeforeItWritesLeavesThePreviousFileIntact()
    {
        // What Checkpoint.RequireReadable does for a model too large to load back: throw before the first byte.
        string path = PathOf("model.safetensors");
        Trained(1).Save(path);
        byte[] good = File.ReadAllBytes(path);
        Assert.Throws<InvalidOperationException>(() => ModelFile.Write(path, _ => throw new InvalidOperationException("too large")));
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));

        var loaded = new RobustAdam(9);
        loaded.Load(path);
        Assert.Equal(Trained(1).Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    /// <summary>The training state of <paramref name="net"/> with metadata <paramref name="key"/> set to <paramref name="value"/>.</summary>
    private static byte[] WithMetadata(INeuralNetwork net, string key, string? value)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(TrainingState(net)));
        var writer = new SafeTensorsWriter();
        foreach (KeyValuePair<string, string> entry in file.Metadata)
        {
            if (entry.Key != key)
            {
                writer.AddMetadata(entry.Key, entry.Value);
            }
        }

        if (value is not null)
        {
            writer.AddMetadata(key, value);
        }

        foreach (string name in file.Names)
        {
            writer.Add(name, file.GetShape(name), file.ReadSingles(name));
        }

        var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(Checkpoint.MaxStep + 1)]
    public void AnAbsurdStepIsRefusedAtLoadAndTheModelIsUnchanged(long step)
    {
        byte[] forged = WithMetadata(Trained(1), Checkpoint.StepMetadata, step.ToString(CultureInfo.InvariantCulture));
        RobustAdam net = Trained(2);
        byte[] before = TrainingState(net);

        var e = Assert.Throws<InvalidDataException>(() => net.LoadTrainingState(new MemoryStream(forged)));
        Assert.Contains("'netgen.step'", e.Message);
        Assert.Contains("2^53", e.Message);
        Assert.Equal(before, TrainingState(net));
        Assert.Equal(2, net.Step);

        string path = PathOf("forged.safetensors");
        File.WriteAllBytes(path, forged);
        Assert.StartsWith($"'{path}': ", Assert.Throws<InvalidDataException>(() => net.LoadTrainingState(path)).Message);
        Assert.Equal(before, TrainingState(net));
    }

    [Fact]
    public void TheLargestStepLoadsAndAdamStillTakesAFiniteStep()
    {
        byte[] state = WithMetadata(Trained(1), Checkpoint.StepMetadata, Checkpoint.MaxStep.ToString(CultureInfo.InvariantCulture));
        var net = new RobustAdam(5);
        net.LoadTrainingState(new MemoryStream(state));
        Assert.Equal(Checkpoint.MaxStep, net.Step);
        net.TrainStep(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new[] { 0, 1, 0, 1 });
        Assert.Equal(Checkpoint.MaxStep + 1, net.Step);
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>A non-seekable stream: <paramref name="head"/>, then <paramref name="tail"/> bytes of zeros, counting what is read.</summary>
    private sealed class Endless(byte[] head, long tail) : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long left = head.Length + tail - Served;
            int n = (int)Math.Min(buffer.Length, left);
            for (int i = 0; i < n; i++)
            {
                long at = Served + i;
                buffer[i] = at < head.Length ? head[at] : (byte)0;
            }

            Served += n;
            return n;
        }
    }

    [Fact]
    public void ANonSeekableStreamLongerThanAnyModelIsRefusedEarly()
    {
        var source = new MemoryStream();
        Trained(1).Save(source);
        byte[] file = source.ToArray();
        RobustAdam net = Trained(2);
        byte[] before = TrainingState(net);

        // The model's bytes followed by 3 GB more: refused after reading at most one byte past what the header declares.
        var endless = new Endless(file, 3L << 30);
        var e = Assert.Throws<InvalidDataException>(() => net.Load(endless));
        Assert.Contains("the stream goes on after the", e.Message);
        Assert.True(endless.Served <= file.Length + 4096, $"read {endless.Served} bytes of a {file.Length}-byte model");
        Assert.Equal(before, TrainingState(net));

        // The file of a larger network: its header declares more data than this network holds, refused before the data.
        var larger = new MemoryStream();
        new ThreadsMlp(1).Save(larger);
        var big = new Endless(larger.ToArray(), 0);
        e = Assert.Throws<InvalidDataException>(() => net.Load(big));
        Assert.Contains("more than the parameters and buffers of 'RobustAdam'", e.Message);
        Assert.True(big.Served < 100_000, $"read {big.Served} bytes");
        Assert.Equal(before, TrainingState(net));

        // The exact file through a non-seekable stream still loads.
        net.Load(new Endless(file, 0));
        Assert.Equal(Trained(1).Parameters.ToArray(), net.Parameters.ToArray());
    }

    [Fact]
    public void AFileOfAnotherNetworkWithTheSameShapesLoadsUnlessStrict()
    {
        string path = PathOf("twin.safetensors");
        string statePath = PathOf("twin.state");
        var twin = new RobustAdamTwin(7);
        twin.Save(path);
        twin.SaveTrainingState(statePath);

        RobustAdam net = Trained(2);
        byte[] before = TrainingState(net);
        var e = Assert.Throws<InvalidDataException>(() => net.Load(path, strict: true));
        Assert.StartsWith($"'{path}': ", e.Message);
        Assert.Contains("written by network 'RobustAdamTwin'", e.Message);
        Assert.Contains("'RobustAdam'", e.Message);
        Assert.Contains("written by network 'RobustAdamTwin'", Assert.Throws<InvalidDataException>(() => net.LoadTrainingState(statePath, strict: true)).Message);
        Assert.Equal(before, TrainingState(net));

        // As PyTorch's load_state_dict: same keys and shapes, accepted.
        net.Load(path, strict: false);
        Assert.Equal(twin.Parameters.ToArray(), net.Parameters.ToArray());
        net.LoadTrainingState(statePath);
        Assert.Equal(TrainingState(twin)[^64..], TrainingState(net)[^64..]);

        // Its own file passes the strict check.
        string own = PathOf("own.safetensors");
        Trained(1).Save(own);
        net.Load(own, strict: true);
        Assert.Equal(Trained(1).Parameters.ToArray(), net.Parameters.ToArray());
    }

    [Fact]
    public void AStrictLoadRefusesAFileWithoutANetworkName()
    {
        // A PyTorch state_dict records no network name: a plain load accepts it, a strict one does not.
        string path = PathOf("torch.safetensors");
        RobustAdam source = Trained(3);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        foreach (ParameterInfo p in RobustAdam.ParameterTable)
        {
            writer.Add(p.Key, p.ShapeSpan, source.GetParameter(p.Key));
        }

        writer.WriteTo(path);
        RobustAdam net = Trained(2);
        byte[] before = TrainingState(net);
        Assert.Contains("records no network name", Assert.Throws<InvalidDataException>(() => net.Load(path, strict: true)).Message);
        Assert.Equal(before, TrainingState(net));
        net.Load(path);
        Assert.Equal(source.Parameters.ToArray(), net.Parameters.ToArray());
    }

    public static TheoryData<string> Corruptions() => new() { "truncated", "shape", "empty", "garbage" };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void EveryLoadErrorNamesTheFileAndChangesNoBit(string how)
    {
        var source = new MemoryStream();
        Trained(1).SaveTrainingState(source);
        byte[] good = source.ToArray();
        byte[] bad = how switch
        {
            "truncated" => good[..^7],
            "empty" => [],
            "garbage" => [.. BitConverter.GetBytes(20L), .. "{\"a\": nonsense      "u8.ToArray()],
            _ => WithShape(good),
        };
        string path = PathOf($"{how}.safetensors");
        File.WriteAllBytes(path, bad);

        RobustAdam net = Trained(2);
        byte[] before = TrainingState(net);
        Assert.StartsWith($"'{path}': ", Assert.Throws<InvalidDataException>(() => net.Load(path)).Message);
        Assert.StartsWith($"'{path}': ", Assert.Throws<InvalidDataException>(() => net.LoadTrainingState(path)).Message);
        Assert.StartsWith($"'{path}': ", Assert.Throws<InvalidDataException>(() => net.Load(path, strict: true)).Message);
        Assert.Equal(before, TrainingState(net));
        Assert.StartsWith($"'{path}': ", Assert.Throws<InvalidDataException>(() => Standardizer.Load(path)).Message);
        if (how != "shape")
        {
            // A transposed shape is still a valid safetensors file; the other three are not.
            Assert.StartsWith($"'{path}': ", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path)).Message);
        }
    }

    /// <summary>The file with its first tensor's shape declared transposed ([3, 2] → [2, 3]: same size, other shape).</summary>
    private static byte[] WithShape(byte[] good)
    {
        int headerLength = (int)BitConverter.ToInt64(good, 0);
        string header = System.Text.Encoding.UTF8.GetString(good, 8, headerLength);
        string changed = header.Replace("\"shape\":[3,2]", "\"shape\":[2,3]");
        Assert.NotEqual(header, changed);
        return [.. good[..8], .. System.Text.Encoding.UTF8.GetBytes(changed), .. good[(8 + headerLength)..]];
    }
}
