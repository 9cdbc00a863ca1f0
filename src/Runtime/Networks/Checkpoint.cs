using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using NetGen.Serialization;

namespace NetGen;

/// <summary>
/// Save and Load of generated networks: safetensors with the keys and layouts of the equivalent PyTorch nn.Sequential
/// state_dict, float32 little-endian. A training state adds the optimizer's state tensors under
/// <c>optimizer.{key}.{name}</c> (PyTorch's names: <c>momentum_buffer</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>) and the
/// step counter and seed as metadata, so training resumes where it stopped.
/// </summary>
public static class Checkpoint
{
    /// <summary>Writes every tensor of <paramref name="table"/> from <paramref name="parameters"/>.</summary>
    public static void Save(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, string network)
    {
        RequireReadable(parameters.Length, 1, network);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata("netgen.network", network);
        AddArena(writer, table, parameters, null);
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
        AddKeys(keys, table, null);
        file.RequireExactly(keys, network);
        return ReadArena(file, table, parameterCount, null);
    }

    /// <summary>Metadata key of the optimizer step counter in a training state.</summary>
    public const string StepMetadata = "netgen.step";

    /// <summary>Metadata key of the network's seed (it keys the dropout masks) in a training state.</summary>
    public const string SeedMetadata = "netgen.seed";

    /// <summary>Metadata key of the optimizer's description in a training state (informational: not checked on load).</summary>
    public const string OptimizerMetadata = "netgen.optimizer";

    /// <summary>The key of optimizer state <paramref name="stateName"/> (e.g. <c>exp_avg</c>) of parameter
    /// <paramref name="parameterKey"/> (e.g. <c>0.weight</c>): <c>optimizer.0.weight.exp_avg</c>.</summary>
    public static string StateKey(string parameterKey, string stateName) => "optimizer." + parameterKey + "." + stateName;

    /// <summary>Writes the parameters (keys as in <see cref="Save"/>), each optimizer state array split by parameter tensor
    /// under <see cref="StateKey"/>, and the step counter, seed and optimizer as metadata.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="table">The network's parameter tensors.</param>
    /// <param name="parameters">The parameter arena.</param>
    /// <param name="stateNames">PyTorch's name of each optimizer state array (none for plain SGD).</param>
    /// <param name="state">The optimizer state arrays, laid out like the parameter arena, in the order of <paramref name="stateNames"/>.</param>
    /// <param name="step">Optimizer steps taken.</param>
    /// <param name="seed">The network's seed.</param>
    /// <param name="network">The network's name.</param>
    /// <param name="optimizer">The optimizer and its settings, for whoever reads the file.</param>
    public static void SaveTrainingState(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, IReadOnlyList<string> stateNames, IReadOnlyList<float[]> state, long step, ulong seed, string network, string optimizer)
    {
        ArgumentNullException.ThrowIfNull(stateNames);
        ArgumentNullException.ThrowIfNull(state);
        if (stateNames.Count != state.Count)
        {
            throw new ArgumentException($"{stateNames.Count} optimizer state names for {state.Count} state arrays.", nameof(state));
        }

        RequireReadable(parameters.Length, 1 + state.Count, network);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata("netgen.network", network);
        writer.AddMetadata(StepMetadata, step.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(SeedMetadata, seed.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(OptimizerMetadata, optimizer);
        AddArena(writer, table, parameters, null);
        for (int s = 0; s < state.Count; s++)
        {
            AddArena(writer, table, state[s], stateNames[s]);
        }

        writer.WriteTo(stream);
    }

    /// <summary>
    /// Reads and checks a whole training state into new arrays: exactly the parameter and optimizer state keys, dtype F32,
    /// the expected shapes, a step counter ≥ 0 and a seed in the metadata. Throws <see cref="InvalidDataException"/> naming
    /// the tensor or metadata key; the caller's network is not touched until this returns.
    /// </summary>
    public static TrainingState ReadTrainingState(Stream stream, IReadOnlyList<ParameterInfo> table, int parameterCount, IReadOnlyList<string> stateNames, string network)
    {
        ArgumentNullException.ThrowIfNull(stateNames);
        SafeTensorsFile file = SafeTensorsFile.Read(stream);
        var keys = new List<string>(table.Count * (1 + stateNames.Count));
        AddKeys(keys, table, null);
        foreach (string stateName in stateNames)
        {
            AddKeys(keys, table, stateName);
        }

        file.RequireExactly(keys, network);
        // NumberStyles.None: digits only, so the step cannot be negative.
        long step = long.TryParse(Metadata(file, StepMetadata), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : throw BadMetadata(file, StepMetadata, network, "an integer ≥ 0");
        ulong seed = ulong.TryParse(Metadata(file, SeedMetadata), NumberStyles.None, CultureInfo.InvariantCulture, out ulong u) ? u : throw BadMetadata(file, SeedMetadata, network, "an unsigned integer");

        float[] parameters = ReadArena(file, table, parameterCount, null);
        var optimizerState = new float[stateNames.Count][];
        for (int i = 0; i < stateNames.Count; i++)
        {
            optimizerState[i] = ReadArena(file, table, parameterCount, stateNames[i]);
        }

        return new TrainingState(parameters, optimizerState, step, seed);
    }

    /// <summary>Refuses, before anything is written, a file that Load or LoadTrainingState could not read back (its data
    /// section above <see cref="SafeTensorsFile.MaxDataLength"/>), so a save never leaves a checkpoint that cannot be loaded.</summary>
    internal static void RequireReadable(int parameterCount, int arenas, string network)
    {
        long bytes = (long)parameterCount * arenas * sizeof(float);
        if (bytes > SafeTensorsFile.MaxDataLength)
        {
            throw new InvalidOperationException(FormattableString.Invariant(
                $"'{network}' has {parameterCount:N0} parameters: {arenas} arena(s) of them take {bytes:N0} bytes, more than NetGen's safetensors reader loads ({SafeTensorsFile.MaxDataLength:N0} bytes), so the file could not be loaded back. Nothing was written."));
        }
    }

    /// <summary>The key of each tensor of an arena: the parameter key, or its <see cref="StateKey"/> for a state array.</summary>
    private static string KeyOf(ParameterInfo info, string? stateName) => stateName is null ? info.Key : StateKey(info.Key, stateName);

    private static void AddKeys(List<string> keys, IReadOnlyList<ParameterInfo> table, string? stateName)
    {
        foreach (ParameterInfo info in table)
        {
            keys.Add(KeyOf(info, stateName));
        }
    }

    /// <summary>Adds an arena (the parameters, or one optimizer state array laid out like them) tensor by tensor.</summary>
    private static void AddArena(SafeTensorsWriter writer, IReadOnlyList<ParameterInfo> table, float[] arena, string? stateName)
    {
        foreach (ParameterInfo info in table)
        {
            writer.Add(KeyOf(info, stateName), info.ShapeSpan, new ReadOnlySpan<float>(arena, info.Offset, info.Length));
        }
    }

    /// <summary>Reads an arena tensor by tensor into a new array (keys already checked).</summary>
    private static float[] ReadArena(SafeTensorsFile file, IReadOnlyList<ParameterInfo> table, int parameterCount, string? stateName)
    {
        var arena = new float[parameterCount];
        foreach (ParameterInfo info in table)
        {
            file.ReadInto(KeyOf(info, stateName), info.ShapeSpan, new Span<float>(arena, info.Offset, info.Length));
        }

        return arena;
    }

    private static string? Metadata(SafeTensorsFile file, string key) => file.Metadata.TryGetValue(key, out string? text) ? text : null;

    private static InvalidDataException BadMetadata(SafeTensorsFile file, string key, string network, string expected) =>
        new(file.Metadata.TryGetValue(key, out string? text)
            ? $"The training state for '{network}' has metadata '{key}' = '{text}', which is not {expected}."
            : $"The training state for '{network}' lacks the metadata '{key}' ({expected}): it is not a training state written by SaveTrainingState.");

    /// <summary>What <see cref="ReadTrainingState"/> read: the parameter arena, the optimizer state arrays (in the order of
    /// the names passed in), the step counter and the seed.</summary>
    public sealed class TrainingState
    {
        internal TrainingState(float[] parameters, float[][] optimizerState, long step, ulong seed)
        {
            Parameters = parameters;
            OptimizerState = optimizerState;
            Step = step;
            Seed = seed;
        }

        /// <summary>The parameter arena.</summary>
        public float[] Parameters { get; }

        /// <summary>The optimizer state arrays, each laid out like the parameter arena.</summary>
        public IReadOnlyList<float[]> OptimizerState { get; }

        /// <summary>Optimizer steps taken.</summary>
        public long Step { get; }

        /// <summary>The network's seed.</summary>
        public ulong Seed { get; }
    }
}
