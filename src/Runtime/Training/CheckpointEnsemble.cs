using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics.Tensors;

namespace NetGen;

/// <summary>What a <see cref="CheckpointEnsemble"/> averages.</summary>
public enum EnsembleAverage
{
    /// <summary>The members' outputs as <c>Predict</c> returns them (scores, logits or regression values).</summary>
    Outputs,

    /// <summary>The members' softmax probabilities over each row's outputs (classification).</summary>
    SoftmaxProbabilities,
}

/// <summary>
/// A model ensemble of K saved checkpoints of one network class (the CS231n notes, Neural Networks Part 3, "model
/// ensembles": several checkpoints of one run, or independently trained models, averaged at test time). Each checkpoint
/// is a file written by <see cref="INeuralNetwork.Save(Stream)"/> (or a PyTorch <c>state_dict</c> in safetensors), read
/// and checked once when the ensemble is built. <see cref="Predict"/> loads each member's parameters and buffers into the
/// network in turn, predicts, and averages; the network's own parameters and buffers are put back afterwards, bit for bit.
/// PyTorch equivalent: <c>torch.stack([m(x) for m in models]).mean(0)</c> (or of <c>softmax(m(x), 1)</c>) in eval mode.
/// </summary>
public sealed class CheckpointEnsemble
{
    private readonly INeuralNetwork _network;
    private readonly List<Checkpoint.ModelState> _members = new();
    private readonly BufferInfo[] _floatBuffers;
    private readonly float[] _savedParameters;
    private readonly float[] _savedBuffers;
    private float[] _scratch = Array.Empty<float>();

    /// <summary>Reads the checkpoints at <paramref name="paths"/>; a bad file throws <see cref="InvalidDataException"/>
    /// naming it and its tensor, and no ensemble is built.</summary>
    public CheckpointEnsemble(INeuralNetwork network, IEnumerable<string> paths)
        : this(network)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (string path in paths)
        {
            using FileStream stream = File.OpenRead(path);
            Add(stream, path);
        }

        RequireMembers();
    }

    /// <summary>Reads the checkpoints from <paramref name="streams"/> (each from its current position).</summary>
    public CheckpointEnsemble(INeuralNetwork network, IEnumerable<Stream> streams)
        : this(network)
    {
        ArgumentNullException.ThrowIfNull(streams);
        int i = 0;
        foreach (Stream stream in streams)
        {
            Add(stream, "checkpoint " + i++);
        }

        RequireMembers();
    }

    private CheckpointEnsemble(INeuralNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        var floats = new List<BufferInfo>();
        int bufferCount = 0;
        foreach (BufferInfo info in network.BufferTable)
        {
            if (info.Dtype == BufferDtype.F32)
            {
                floats.Add(info);
                bufferCount = Math.Max(bufferCount, info.Offset + info.Length);
            }
        }

        _floatBuffers = floats.ToArray();
        BufferCount = bufferCount;
        _savedParameters = new float[network.Parameters.Length];
        _savedBuffers = new float[bufferCount];
    }

    private int BufferCount { get; }

    /// <summary>The number of checkpoints (K).</summary>
    public int Count => _members.Count;

    /// <summary>The network the members are loaded into.</summary>
    public INeuralNetwork Network => _network;

    private void Add(Stream stream, string what)
    {
        try
        {
            _members.Add(Checkpoint.Read(stream, _network.ParameterTable, _savedParameters.Length, _network.BufferTable, BufferCount, _network.Name));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Ensemble member {what}: {e.Message}", e);
        }
    }

    private void RequireMembers()
    {
        if (_members.Count == 0)
        {
            throw new ArgumentException($"An ensemble of '{_network.Name}' needs at least one checkpoint.");
        }
    }

    /// <summary>The average over the members of their predictions for <paramref name="inputs"/> (rows of
    /// <see cref="INeuralNetwork.InputSize"/> values) into <paramref name="outputs"/> (rows of
    /// <see cref="INeuralNetwork.OutputSize"/>). The network's own parameters and buffers are unchanged afterwards.</summary>
    public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs, EnsembleAverage average = EnsembleAverage.Outputs)
    {
        int rows = inputs.Length / _network.InputSize;
        int length = rows * _network.OutputSize;
        if (inputs.Length != rows * _network.InputSize || outputs.Length != length)
        {
            throw new ArgumentException($"Ensemble of '{_network.Name}': {inputs.Length} inputs and {outputs.Length} outputs are not whole rows of {_network.InputSize} and {_network.OutputSize} for the same number of rows.", nameof(outputs));
        }

        if (_scratch.Length < length)
        {
            _scratch = new float[length];
        }

        Span<float> member = _scratch.AsSpan(0, length);
        _network.Parameters.CopyTo(_savedParameters);
        Copy(_network, _floatBuffers, _savedBuffers, toNetwork: false);
        try
        {
            outputs.Clear();
            foreach (Checkpoint.ModelState state in _members)
            {
                state.Parameters.CopyTo(_network.Parameters);
                Copy(_network, _floatBuffers, state.Buffers, toNetwork: true);
                _network.Predict(inputs, member);
                if (average == EnsembleAverage.SoftmaxProbabilities)
                {
                    Kernels.Losses.Softmax<float>(member, member, rows, _network.OutputSize);
                }

                TensorPrimitives.Add(outputs, member, outputs);
            }

            TensorPrimitives.Multiply(outputs, 1f / _members.Count, outputs);
        }
        finally
        {
            _savedParameters.CopyTo(_network.Parameters);
            Copy(_network, _floatBuffers, _savedBuffers, toNetwork: true);
        }
    }

    private static void Copy(INeuralNetwork network, BufferInfo[] buffers, float[] arena, bool toNetwork)
    {
        foreach (BufferInfo info in buffers)
        {
            Span<float> values = arena.AsSpan(info.Offset, info.Length);
            if (toNetwork)
            {
                values.CopyTo(network.GetBuffer(info.Key));
            }
            else
            {
                network.GetBuffer(info.Key).CopyTo(values);
            }
        }
    }
}
