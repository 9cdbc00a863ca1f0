using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using NetGen.Serialization;

namespace NetGen;

/// <summary>
/// The trainer's checkpoint: one safetensors file holding the network's training state (every tensor and metadata entry
/// of <see cref="INeuralNetwork.SaveTrainingState"/>, unchanged) plus the trainer's own: the history so far
/// (<c>trainer.history</c>, F64 [epochs, columns]), the best parameters and float buffers of early stopping
/// (<c>trainer.best.parameters</c>, <c>trainer.best.buffers</c>) and, as <c>netgen.trainer.*</c> metadata, the epochs
/// done, the shuffle seed, the stop reason, the early-stopping counters and the schedule's counters.
/// </summary>
/// <remarks>
/// Written atomically: to a temporary file in the same folder, flushed to disk, then renamed over the destination (a
/// rename within a folder replaces the file in one step), so a crash leaves the previous checkpoint or the new one,
/// never half a file. Read: everything is parsed and checked, the network's part is loaded with
/// <see cref="INeuralNetwork.LoadTrainingState"/> (which checks every tensor before changing anything), then the
/// schedule and early-stopping state are restored.
/// </remarks>
public static class TrainerCheckpoint
{
    /// <summary>Prefix of the trainer's tensors.</summary>
    public const string TensorPrefix = "trainer.";

    /// <summary>Prefix of the trainer's metadata keys.</summary>
    public const string MetadataPrefix = "netgen.trainer.";

    private const string HistoryKey = "trainer.history";
    private const string BestParametersKey = "trainer.best.parameters";
    private const string BestBuffersKey = "trainer.best.buffers";
    private const string EpochsKey = "netgen.trainer.epochs_done";
    private const string SeedKey = "netgen.trainer.seed";
    private const string StopKey = "netgen.trainer.stop_reason";
    private const string BestEpochKey = "netgen.trainer.best_epoch";
    private const string BestValueKey = "netgen.trainer.best_value";
    private const string BadEpochsKey = "netgen.trainer.bad_epochs";
    private const string ScheduleKey = "netgen.trainer.schedule";
    private const string SkippedKey = "netgen.trainer.skipped_steps";

    /// <summary>The trainer's state at the end of an epoch.</summary>
    internal sealed record State(int EpochsDone, ulong Seed, StopReason StopReason, int BestEpoch, double BestValue, int BadEpochs, bool HaveBest, IReadOnlyList<EpochRecord> History, long SkippedSteps = 0);

    /// <summary>Writes the checkpoint atomically (temporary file, flush to disk, rename).</summary>
    internal static void Write(string path, INeuralNetwork network, State state, ITrainingSchedule? schedule, float[]? bestParameters, float[]? bestBuffers)
    {
        var networkState = new MemoryStream();
        network.SaveTrainingState(networkState);
        networkState.Position = 0;
        SafeTensorsFile file = SafeTensorsFile.Read(networkState);
        SafeTensorsWriter writer = Copy(file, name => true);
        writer.AddMetadata(EpochsKey, state.EpochsDone.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(SeedKey, state.Seed.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(StopKey, state.StopReason.ToString());
        writer.AddMetadata(BestEpochKey, state.BestEpoch.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(BestValueKey, state.BestValue.ToString("R", CultureInfo.InvariantCulture));
        writer.AddMetadata(BadEpochsKey, state.BadEpochs.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata(SkippedKey, state.SkippedSteps.ToString(CultureInfo.InvariantCulture));
        if (schedule is not null)
        {
            writer.AddMetadata(ScheduleKey, string.Join(",", Array.ConvertAll(schedule.SaveState(), v => v.ToString("R", CultureInfo.InvariantCulture))));
        }

        int columns = EpochRecord.ColumnNames.Count;
        var history = new double[state.History.Count * columns];
        for (int e = 0; e < state.History.Count; e++)
        {
            state.History[e].Values.CopyTo(history, e * columns);
        }

        writer.Add(HistoryKey, [state.History.Count, columns], history);
        if (bestParameters is not null && state.HaveBest)
        {
            writer.Add(BestParametersKey, [bestParameters.Length], bestParameters);
            writer.Add(BestBuffersKey, [bestBuffers!.Length], bestBuffers);
        }

        ModelFile.Write(path, writer.WriteTo);
    }

    /// <summary>The shuffle seed recorded in a checkpoint.</summary>
    internal static ulong ReadSeed(string path)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        return ulong.TryParse(Text(file, SeedKey, $"The trainer checkpoint '{path}'"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : throw Bad($"The trainer checkpoint '{path}'", SeedKey);
    }

    /// <summary>Reads a checkpoint, loads the network's training state and the schedule's counters, fills the best
    /// snapshot, and returns the trainer's state. Throws <see cref="InvalidDataException"/> naming what is wrong, before
    /// the network or the schedule is changed.</summary>
    internal static State Read(string path, INeuralNetwork network, ITrainingSchedule? schedule, float[]? bestParameters, float[]? bestBuffers)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        string where = $"The trainer checkpoint '{path}'";
        int epochs = (int)Number(file, EpochsKey, where);
        ulong seed = ulong.TryParse(Text(file, SeedKey, where), NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : throw Bad(where, SeedKey);
        StopReason stop = Enum.TryParse(Text(file, StopKey, where), out StopReason r) ? r : throw Bad(where, StopKey);
        int bestEpoch = (int)Number(file, BestEpochKey, where);
        double bestValue = double.Parse(Text(file, BestValueKey, where), NumberStyles.Float, CultureInfo.InvariantCulture);
        int badEpochs = (int)Number(file, BadEpochsKey, where);
        long skipped = file.Metadata.ContainsKey(SkippedKey) ? Number(file, SkippedKey, where) : 0; // absent in checkpoints of older versions

        int columns = EpochRecord.ColumnNames.Count;
        var history = new double[epochs * columns];
        file.ReadInto(HistoryKey, [epochs, columns], history);
        var records = new List<EpochRecord>(epochs);
        for (int e = 0; e < epochs; e++)
        {
            records.Add(new EpochRecord(history.AsSpan(e * columns, columns).ToArray()));
        }

        double[]? scheduleState = null;
        if (schedule is not null)
        {
            if (!file.Metadata.TryGetValue(ScheduleKey, out string? text))
            {
                throw new InvalidDataException($"{where} has no schedule state ('{ScheduleKey}'), but FitOptions.Schedule is set: it was written without a schedule.");
            }

            scheduleState = Array.ConvertAll(text.Split(','), v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture));
            if (scheduleState.Length != schedule.SaveState().Length)
            {
                throw new InvalidDataException($"{where} holds {scheduleState.Length} schedule values; the {schedule.GetType().Name} given takes {schedule.SaveState().Length}: it was written with another schedule.");
            }
        }

        float[]? stagedParameters = null, stagedBuffers = null;
        if (bestParameters is not null && bestEpoch > 0)
        {
            if (!file.Contains(BestParametersKey))
            {
                throw new InvalidDataException($"{where} has no best parameters ('{BestParametersKey}'), but early stopping with RestoreBest is set: it was written without it.");
            }

            stagedParameters = new float[bestParameters.Length];
            stagedBuffers = new float[bestBuffers!.Length];
            file.ReadInto(BestParametersKey, [bestParameters.Length], stagedParameters);
            file.ReadInto(BestBuffersKey, [bestBuffers.Length], stagedBuffers);
        }

        // The network's part, as SaveTrainingState wrote it; LoadTrainingState checks it all before changing anything.
        var networkState = new MemoryStream();
        Copy(file, name => !name.StartsWith(TensorPrefix, StringComparison.Ordinal), key => !key.StartsWith(MetadataPrefix, StringComparison.Ordinal)).WriteTo(networkState);
        networkState.Position = 0;
        try
        {
            network.LoadTrainingState(networkState);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }

        if (scheduleState is not null)
        {
            schedule!.RestoreState(scheduleState);
        }

        stagedParameters?.CopyTo(bestParameters!, 0);
        stagedBuffers?.CopyTo(bestBuffers!, 0);
        return new State(epochs, seed, stop, bestEpoch, bestValue, badEpochs, bestEpoch > 0, records, skipped);
    }

    /// <summary>A writer holding the tensors of <paramref name="file"/> accepted by <paramref name="tensor"/> and its
    /// metadata accepted by <paramref name="metadata"/> (all when null), with their dtypes and shapes.</summary>
    private static SafeTensorsWriter Copy(SafeTensorsFile file, Func<string, bool> tensor, Func<string, bool>? metadata = null)
    {
        var writer = new SafeTensorsWriter();
        foreach (KeyValuePair<string, string> entry in file.Metadata)
        {
            if (metadata is null || metadata(entry.Key))
            {
                writer.AddMetadata(entry.Key, entry.Value);
            }
        }

        foreach (string name in file.Names)
        {
            if (!tensor(name))
            {
                continue;
            }

            int[] shape = file.GetShape(name);
            long elements = 1;
            foreach (int d in shape)
            {
                elements *= d;
            }

            switch (file.GetDtype(name))
            {
                case SafeTensorsDtype.F32:
                    writer.Add(name, shape, file.ReadSingles(name));
                    break;
                case SafeTensorsDtype.F64:
                    var doubles = new double[elements];
                    file.ReadInto(name, shape, doubles);
                    writer.Add(name, shape, doubles);
                    break;
                default:
                    var longs = new long[elements];
                    file.ReadInto(name, shape, longs);
                    writer.Add(name, shape, longs);
                    break;
            }
        }

        return writer;
    }

    private static string Text(SafeTensorsFile file, string key, string where) =>
        file.Metadata.TryGetValue(key, out string? text) ? text : throw new InvalidDataException($"{where} lacks the metadata '{key}': it is not a checkpoint written by Fit.");

    private static long Number(SafeTensorsFile file, string key, string where) =>
        long.TryParse(Text(file, key, where), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= int.MaxValue ? n : throw Bad(where, key);

    private static InvalidDataException Bad(string where, string key) => new($"{where} has an invalid '{key}'.");
}
