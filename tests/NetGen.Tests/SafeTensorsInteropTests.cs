using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NetGen.Tests.Networks;

namespace NetGen.Tests;

/// <summary>
/// Save/Load against PyTorch: a file PyTorch wrote loads and reproduces PyTorch's outputs; the file NetGen writes is
/// the one the reference script loaded with load_state_dict(strict=True); every bad file is rejected, naming the tensor,
/// with the network unchanged.
/// </summary>
public sealed class SafeTensorsInteropTests
{
    [Fact]
    public void FileWrittenByPyTorchLoadsAndGivesPyTorchOutputs()
    {
        var reference = ReferenceCase.Load("acts_sgd");
        var net = new ActsSgd(99);

        net.Load(TestPaths.Reference("acts.pytorch.safetensors"));

        foreach (ParameterInfo info in ActsSgd.ParameterTable)
        {
            float[] expected = reference.Parameter(info.Key).Select(v => (float)v).ToArray();
            Assert.Equal(expected, net.GetParameter(info.Key).ToArray());
        }

        using JsonDocument f32 = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("acts.pytorch.f32.json")));
        double[] pytorchOutput = f32.RootElement.GetProperty("inference_output_f32").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var scores = new float[pytorchOutput.Length];
        net.Predict(reference.X, scores);
        Close.Tensor(pytorchOutput, scores, 1e-5, "outputs after loading PyTorch's file");
    }

    [Fact]
    public void FileWrittenByNetGenIsTheOnePyTorchLoadedStrictly()
    {
        var reference = ReferenceCase.Load("acts_sgd");
        var net = new ActsSgd(1);
        reference.CopyParametersInto(net);
        using var stream = new MemoryStream();
        net.Save(stream);
        byte[] written = stream.ToArray();

        string committed = Path.Combine(TestPaths.RepositoryRoot(), "tests", "NetGen.Tests", "Reference", "acts.netgen.safetensors");
        if (!File.Exists(committed) || !File.ReadAllBytes(committed).AsSpan().SequenceEqual(written))
        {
            File.WriteAllBytes(Path.ChangeExtension(committed, ".received.safetensors"), written);
            Assert.Fail($"NetGen's safetensors output changed; the new file is beside {committed} as *.received.safetensors. " +
                        "Review it, rename it over the committed file and rerun tests/reference/make_reference.py --check-netgen.");
        }

        using JsonDocument record = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("netgen_roundtrip.json")));
        JsonElement root = record.RootElement;
        Assert.Equal(Convert.ToHexString(SHA256.HashData(written)).ToLowerInvariant(), root.GetProperty("sha256").GetString());
        Assert.True(root.GetProperty("strict_load").GetBoolean(), root.GetProperty("error").ToString());
        Assert.True(root.GetProperty("max_abs_diff_vs_reference").GetDouble() < 1e-5);
    }

    [Fact]
    public void SaveThenLoadRestoresEveryParameter()
    {
        var source = new AllocationNet(1);
        var target = new AllocationNet(2);
        using var stream = new MemoryStream();
        source.Save(stream);
        stream.Position = 0;

        target.Load(stream);

        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "missing", "'0.bias'" },
        { "extra", "'9.weight'" },
        { "dtype", "F64" },
        { "shape", "[4, 5]" },
        { "truncated", "" },
        { "header", "" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFileThrowsNamingTheProblemAndLeavesTheNetworkUnchanged(string kind, string expectedInMessage)
    {
        var net = new GcReLU(1);
        float[] before = net.Parameters.ToArray();
        byte[] file = BadFile(kind);

        var ex = Assert.ThrowsAny<Exception>(() => net.Load(new MemoryStream(file)));

        Assert.True(ex is InvalidDataException or EndOfStreamException, ex.ToString());
        Assert.Contains(expectedInMessage, ex.Message);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    /// <summary>Builds safetensors bytes by hand (independently of NetGen's writer) for GcReLU: 0.weight [5,4], 0.bias [5], 2.weight [3,5], 2.bias [3].</summary>
    private static byte[] BadFile(string kind)
    {
        var tensors = new List<(string Name, string Dtype, int[] Shape)>
        {
            ("0.weight", "F32", new[] { 5, 4 }), ("0.bias", "F32", new[] { 5 }), ("2.weight", "F32", new[] { 3, 5 }), ("2.bias", "F32", new[] { 3 }),
        };
        switch (kind)
        {
            case "missing": tensors.RemoveAt(1); break;
            case "extra": tensors.Add(("9.weight", "F32", new[] { 2 })); break;
            case "dtype": tensors[2] = ("2.weight", "F64", new[] { 3, 5 }); break;
            case "shape": tensors[0] = ("0.weight", "F32", new[] { 4, 5 }); break;
        }

        var header = new StringBuilder("{");
        long offset = 0;
        foreach ((string name, string dtype, int[] shape) in tensors)
        {
            long bytes = shape.Aggregate(1, (a, b) => a * b) * (dtype == "F64" ? 8 : 4);
            header.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + bytes}]}},");
            offset += bytes;
        }

        header.Length--;
        header.Append('}');
        if (kind == "header")
        {
            header.Length -= 5; // cut the JSON
        }

        byte[] json = Encoding.UTF8.GetBytes(header.ToString());
        var stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        stream.Write(new byte[kind == "truncated" ? offset - 7 : offset]);
        return stream.ToArray();
    }
}
