using System.Collections.Generic;
using System.IO;
using NetGen.Serialization;

namespace NetGen;

/// <summary>
/// Save and Load of generated networks: safetensors with the keys and layouts of the equivalent PyTorch nn.Sequential
/// state_dict, float32 little-endian.
/// </summary>
public static class Checkpoint
{
    /// <summary>Writes every tensor of <paramref name="table"/> from <paramref name="parameters"/>.</summary>
    public static void Save(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, string network)
    {
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata("netgen.network", network);
        foreach (ParameterInfo info in table)
        {
            writer.Add(info.Key, info.ShapeSpan, new System.ReadOnlySpan<float>(parameters, info.Offset, info.Length));
        }

        writer.WriteTo(stream);
    }

    /// <summary>
    /// Reads and checks a whole file into a new parameter arena: exactly the expected keys, dtype F32, the expected
    /// shapes, no truncation. Throws <see cref="InvalidDataException"/> naming the tensor; the caller's network is not
    /// touched until this returns.
    /// </summary>
    public static float[] Read(Stream stream, IReadOnlyList<ParameterInfo> table, int parameterCount, string network)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(stream);
        var keys = new List<string>(table.Count);
        foreach (ParameterInfo info in table)
        {
            keys.Add(info.Key);
        }

        file.RequireExactly(keys, network);
        var staged = new float[parameterCount];
        foreach (ParameterInfo info in table)
        {
            file.ReadInto(info.Key, info.ShapeSpan, new System.Span<float>(staged, info.Offset, info.Length));
        }

        return staged;
    }
}
