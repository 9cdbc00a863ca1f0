using System;
using System.IO;
using NetGen.Serialization;

namespace NetGen;

/// <summary>
/// Loads that also compare the network name a file records (<see cref="Checkpoint.NetworkMetadata"/>) with the network
/// loading it. A plain <c>Load</c> accepts any file with the right keys, dtypes and shapes, as PyTorch's
/// <c>load_state_dict</c> does: a file written by another network of the same shapes loads. With <c>strict: true</c> a
/// different or missing name is refused too (a PyTorch state_dict records none), before anything changes.
/// </summary>
public static class StrictLoad
{
    /// <summary><c>Load(path)</c>, and with <paramref name="strict"/> the file must have been written by a network of
    /// this name. Every error names the file; on error the network is unchanged.</summary>
    public static void Load(this INeuralNetwork network, string path, bool strict)
    {
        ArgumentNullException.ThrowIfNull(network);
        ModelFile.Read(path, stream =>
        {
            if (strict)
            {
                RequireName(stream, network.Name);
            }

            network.Load(stream);
        });
    }

    /// <summary><c>LoadTrainingState(path)</c>, and with <paramref name="strict"/> the file must have been written by a
    /// network of this name. Every error names the file; on error the network is unchanged.</summary>
    public static void LoadTrainingState(this INeuralNetwork network, string path, bool strict)
    {
        ArgumentNullException.ThrowIfNull(network);
        ModelFile.Read(path, stream =>
        {
            if (strict)
            {
                RequireName(stream, network.Name);
            }

            network.LoadTrainingState(stream);
        });
    }

    /// <summary>Reads the file once to compare its network name, then rewinds the stream for the load itself.</summary>
    private static void RequireName(Stream stream, string network)
    {
        long start = stream.Position;
        SafeTensorsFile file = SafeTensorsFile.Read(stream);
        if (!file.Metadata.TryGetValue(Checkpoint.NetworkMetadata, out string? written))
        {
            throw new InvalidDataException(
                $"strict load into '{network}': the file records no network name ('{Checkpoint.NetworkMetadata}'), so it was not written by a NetGen network (a PyTorch state_dict?). Load it without strict to accept it by its keys and shapes.");
        }

        if (!string.Equals(written, network, StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"strict load into '{network}': the file was written by network '{written}'. Its keys and shapes may match, but it is another network; load it without strict to accept it anyway.");
        }

        stream.Position = start;
    }
}
