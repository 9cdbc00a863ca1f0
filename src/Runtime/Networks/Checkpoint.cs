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
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Checkpoint
{
    /// <summary>Writes every tensor of <paramref name="table"/> from <paramref name="parameters"/> (a network without buffers).</summary>
    public static void Save(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, string network) =>
        Save(stream, table, parameters, Array.Empty<BufferInfo>(), Array.Empty<float>(), Array.Empty<long>(), network);

    /// <summary>Writes every parameter of <paramref name="table"/> and every buffer of <paramref name="buffers"/> (float32 from
    /// <paramref name="bufferValues"/>, int64 counters from <paramref name="counters"/>, as PyTorch stores num_batches_tracked).</summary>
    public static void Save(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, IReadOnlyList<BufferInfo> buffers, float[] bufferValues, long[] counters, string network)
    {
        RequireReadable((long)parameters.Length + bufferValues.Length + counters.Length, network);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata(NetworkMetadata, network);
        AddArena(writer, table, parameters, null);
        AddBuffers(writer, buffers, bufferValues, counters);
        writer.WriteTo(stream);
    }

    /// <summary>Parameters and buffers read from a file, staged in new arrays: the caller copies them once all checks passed.</summary>
    public sealed class ModelState
    {
        internal ModelState(float[] parameters, float[] buffers, long[] counters)
        {
            Parameters = parameters;
            Buffers = buffers;
            Counters = counters;
        }

        /// <summary>The parameter arena.</summary>
        public float[] Parameters { get; }

        /// <summary>The float32 buffer arena.</summary>
        public float[] Buffers { get; }

        /// <summary>The int64 counters.</summary>
        public long[] Counters { get; }
    }

    /// <summary>
    /// Reads and checks a whole file: exactly the parameter and buffer keys, the expected dtypes (F32; I64 for counters) and
    /// shapes, no truncation. Throws <see cref="InvalidDataException"/> naming the tensor; the caller's network is not
    /// touched until this returns.
    /// </summary>
    public static ModelState Read(Stream stream, IReadOnlyList<ParameterInfo> table, int parameterCount, IReadOnlyList<BufferInfo> buffers, int bufferCount, string network)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(stream, DataBytes(parameterCount, 0, buffers, bufferCount), $"the parameters and buffers of '{network}'");
        var keys = new List<string>(table.Count + buffers.Count);
        AddKeys(keys, table, null);
        foreach (BufferInfo info in buffers)
        {
            keys.Add(info.Key);
        }

        file.RequireExactly(keys, network);
        float[] parameters = ReadArena(file, table, parameterCount, null);
        (float[] values, long[] counters) = ReadBuffers(file, buffers, bufferCount);
        return new ModelState(parameters, values, counters);
    }

    /// <summary>
    /// Reads and checks a whole file into a new parameter arena: exactly the expected keys, dtype F32, the expected
    /// shapes, no truncation. Throws <see cref="InvalidDataException"/> naming the tensor; the caller's network is not
    /// touched until this returns.
    /// </summary>
    public static float[] Read(Stream stream, IReadOnlyList<ParameterInfo> table, int parameterCount, string network) =>
        Read(stream, table, parameterCount, Array.Empty<BufferInfo>(), 0, network).Parameters;

    /// <summary>Metadata key of the optimizer step counter in a training state.</summary>
    public const string StepMetadata = "netgen.step";

    /// <summary>
    /// The largest step counter a training state may hold: 2^53, the last integer a double holds exactly (Adam's bias
    /// corrections compute β^t in double). No run reaches it (2^53 steps at a microsecond each take 285 years), so a file
    /// that claims more is corrupt or forged, and refusing it at load also keeps the counter's increment far from
    /// <see cref="long.MaxValue"/>, where it would wrap to a negative step.
    /// </summary>
    public const long MaxStep = 1L << 53;

    /// <summary>Metadata key of the network's name (informational in a plain load; compared by a strict load).</summary>
    public const string NetworkMetadata = "netgen.network";

    /// <summary>Metadata key of the network's seed (it keys the dropout masks) in a training state.</summary>
    public const string SeedMetadata = "netgen.seed";

    /// <summary>Metadata key of the learning rate at the time of saving (a schedule may have changed it), as a round-trip double.</summary>
    public const string LearningRateMetadata = "netgen.learning_rate";

    /// <summary>Metadata key of the optimizer's description in a training state (informational: not checked on load).</summary>
    public const string OptimizerMetadata = "netgen.optimizer";

    /// <summary>The key of optimizer state <paramref name="stateName"/> (e.g. <c>exp_avg</c>) of parameter
    /// <paramref name="parameterKey"/> (e.g. <c>0.weight</c>): <c>optimizer.0.weight.exp_avg</c>.</summary>
    public static string StateKey(string parameterKey, string stateName) => "optimizer." + parameterKey + "." + stateName;

    /// <summary>Writes the parameters (keys as in Save), each optimizer state array split by parameter tensor
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
    public static void SaveTrainingState(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, IReadOnlyList<string> stateNames, IReadOnlyList<float[]> state, long step, ulong seed, string network, string optimizer) =>
        SaveTrainingState(stream, table, parameters, Array.Empty<BufferInfo>(), Array.Empty<float>(), Array.Empty<long>(), stateNames, state, step, seed, double.NaN, network, optimizer);

    /// <summary>A training state with buffers and the learning rate (NaN: not recorded); see the overload above.</summary>
    public static void SaveTrainingState(Stream stream, IReadOnlyList<ParameterInfo> table, float[] parameters, IReadOnlyList<BufferInfo> buffers, float[] bufferValues, long[] counters, IReadOnlyList<string> stateNames, IReadOnlyList<float[]> state, long step, ulong seed, double learningRate, string network, string optimizer)
    {
        ArgumentNullException.ThrowIfNull(stateNames);
        ArgumentNullException.ThrowIfNull(state);
        if (stateNames.Count != state.Count)
        {
            throw new ArgumentException($"{stateNames.Count} optimizer state names for {state.Count} state arrays.", nameof(state));
        }

        RequireReadable(((long)parameters.Length * (1 + state.Count)) + bufferValues.Length + counters.Length, network);
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata(NetworkMetadata, network);
        writer.AddMetadata(StepMetadata, step.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(SeedMetadata, seed.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(OptimizerMetadata, optimizer);
        if (!double.IsNaN(learningRate))
        {
            writer.AddMetadata(LearningRateMetadata, learningRate.ToString("R", CultureInfo.InvariantCulture));
        }

        AddArena(writer, table, parameters, null);
        AddBuffers(writer, buffers, bufferValues, counters);
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
    public static TrainingState ReadTrainingState(Stream stream, IReadOnlyList<ParameterInfo> table, int parameterCount, IReadOnlyList<string> stateNames, string network) =>
        ReadTrainingState(stream, table, parameterCount, Array.Empty<BufferInfo>(), 0, stateNames, network);

    /// <summary>A training state with buffers (see the overload above); the learning rate is read when the file records one.</summary>
    public static TrainingState ReadTrainingState(Stream stream, IReadOnlyList<ParameterInfo> table, int parameterCount, IReadOnlyList<BufferInfo> buffers, int bufferCount, IReadOnlyList<string> stateNames, string network)
    {
        ArgumentNullException.ThrowIfNull(stateNames);
        SafeTensorsFile file = SafeTensorsFile.Read(stream, DataBytes(parameterCount, stateNames.Count, buffers, bufferCount), $"the training state of '{network}'");
        var keys = new List<string>(table.Count * (1 + stateNames.Count));
        AddKeys(keys, table, null);
        foreach (BufferInfo info in buffers)
        {
            keys.Add(info.Key);
        }

        foreach (string stateName in stateNames)
        {
            AddKeys(keys, table, stateName);
        }

        file.RequireExactly(keys, network);
        // NumberStyles.None: digits only, so the step cannot be negative; above MaxStep it is refused (see there).
        long step = long.TryParse(Metadata(file, StepMetadata), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= MaxStep
            ? n
            : throw BadMetadata(file, StepMetadata, network, "an integer in [0, 2^53] (steps taken)");
        ulong seed = ulong.TryParse(Metadata(file, SeedMetadata), NumberStyles.None, CultureInfo.InvariantCulture, out ulong u) ? u : throw BadMetadata(file, SeedMetadata, network, "an unsigned integer");

        double? learningRate = null;
        if (Metadata(file, LearningRateMetadata) is { } lrText)
        {
            learningRate = double.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr) && lr >= 0 && !double.IsInfinity(lr)
                ? lr
                : throw BadMetadata(file, LearningRateMetadata, network, "a finite number ≥ 0");
        }

        float[] parameters = ReadArena(file, table, parameterCount, null);
        (float[] bufferValues, long[] counters) = ReadBuffers(file, buffers, bufferCount);
        var optimizerState = new float[stateNames.Count][];
        for (int i = 0; i < stateNames.Count; i++)
        {
            optimizerState[i] = ReadArena(file, table, parameterCount, stateNames[i]);
        }

        return new TrainingState(parameters, optimizerState, step, seed, bufferValues, counters, learningRate);
    }

    /// <summary>The data bytes of a file holding the parameters (and <paramref name="states"/> optimizer arrays laid out like
    /// them) and the buffers: float32 values, int64 counters. A file that declares more cannot be this network's.</summary>
    private static long DataBytes(int parameterCount, int states, IReadOnlyList<BufferInfo> buffers, int bufferCount)
    {
        long counters = 0;
        foreach (BufferInfo info in buffers)
        {
            counters += info.Dtype == BufferDtype.I64 ? 1 : 0;
        }

        return ((long)parameterCount * (1 + states) * sizeof(float)) + ((long)bufferCount * sizeof(float)) + (counters * sizeof(long));
    }

    /// <summary>Refuses, before anything is written, a file that Load or LoadTrainingState could not read back (its data
    /// section above <see cref="SafeTensorsFile.MaxDataLength"/>), so a save never leaves a checkpoint that cannot be loaded.</summary>
    internal static void RequireReadable(long elements, string network)
    {
        // Float32 values, 4 bytes each (a BatchNorm counter takes 8, a few bytes this bound ignores).
        if (elements * sizeof(float) > SafeTensorsFile.MaxDataLength)
        {
            throw new InvalidOperationException(FormattableString.Invariant(
                $"'{network}' would write {elements:N0} values ({elements * sizeof(float):N0} bytes), more than NetGen's safetensors reader loads ({SafeTensorsFile.MaxDataLength:N0} bytes), so the file could not be loaded back. Nothing was written."));
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

    /// <summary>Adds every buffer: float32 tensors from <paramref name="values"/>, int64 counters (shape []) from <paramref name="counters"/>.</summary>
    private static void AddBuffers(SafeTensorsWriter writer, IReadOnlyList<BufferInfo> buffers, float[] values, long[] counters)
    {
        foreach (BufferInfo info in buffers)
        {
            if (info.Dtype == BufferDtype.F32)
            {
                writer.Add(info.Key, info.ShapeSpan, new ReadOnlySpan<float>(values, info.Offset, info.Length));
            }
            else
            {
                writer.Add(info.Key, info.ShapeSpan, new ReadOnlySpan<long>(counters, info.Offset, 1));
            }
        }
    }

    /// <summary>Reads every buffer into new arrays (keys already checked; dtypes and shapes checked here).</summary>
    private static (float[] Values, long[] Counters) ReadBuffers(SafeTensorsFile file, IReadOnlyList<BufferInfo> buffers, int bufferCount)
    {
        int counterCount = 0;
        foreach (BufferInfo info in buffers)
        {
            counterCount += info.Dtype == BufferDtype.I64 ? 1 : 0;
        }

        var values = new float[bufferCount];
        var counters = new long[counterCount];
        foreach (BufferInfo info in buffers)
        {
            if (info.Dtype == BufferDtype.F32)
            {
                file.ReadInto(info.Key, info.ShapeSpan, new Span<float>(values, info.Offset, info.Length));
            }
            else
            {
                file.ReadInto(info.Key, info.ShapeSpan, new Span<long>(counters, info.Offset, 1));
            }
        }

        return (values, counters);
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

    /// <summary>What ReadTrainingState read: the parameter arena, the optimizer state arrays (in the order of
    /// the names passed in), the step counter and the seed.</summary>
    public sealed class TrainingState
    {
        internal TrainingState(float[] parameters, float[][] optimizerState, long step, ulong seed, float[] buffers, long[] counters, double? learningRate)
        {
            Buffers = buffers;
            Counters = counters;
            LearningRate = learningRate;
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

        /// <summary>The float32 buffer arena.</summary>
        public float[] Buffers { get; }

        /// <summary>The int64 counters.</summary>
        public long[] Counters { get; }

        /// <summary>The learning rate when the state was saved, or null for a file that does not record it.</summary>
        public double? LearningRate { get; }
    }
}
