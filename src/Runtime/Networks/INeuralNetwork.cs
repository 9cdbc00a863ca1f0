using System;
using System.Collections.Generic;
using System.IO;

namespace NetGen;

/// <summary>
/// What every generated network offers, for code that works with any of them (training loops, metrics). Generated
/// classes also expose the same members directly, with their shapes as constants.
/// </summary>
public interface INeuralNetwork
{
    /// <summary>The network class's name.</summary>
    string Name { get; }

    /// <summary>Input features per sample.</summary>
    int InputSize { get; }

    /// <summary>Scores (classes) per sample.</summary>
    int OutputSize { get; }

    /// <summary>The most rows one training call accepts.</summary>
    int MaxBatch { get; }

    /// <summary>Optimizer steps taken so far.</summary>
    long Step { get; }

    /// <summary>The seed the network was created with, or the one LoadTrainingState restored; it keys the dropout masks.</summary>
    ulong Seed { get; }

    /// <summary>Every parameter tensor: state_dict key, layer, shape and place in <see cref="Parameters"/>.</summary>
    IReadOnlyList<ParameterInfo> ParameterTable { get; }

    /// <summary>All parameters, one contiguous arena in state_dict order.</summary>
    Span<float> Parameters { get; }

    /// <summary>Gradients of the last training step or <see cref="ComputeGradients"/>.</summary>
    ReadOnlySpan<float> Gradients { get; }

    /// <summary>Inference (dropout off) on any number of rows.</summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> scores);

    /// <summary>One training step; returns the mean loss before the update.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels);

    /// <summary>Forward and backward without an update; returns the mean loss.</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels);

    /// <summary>Gradient check in float64 against centered differences.</summary>
    GradCheckResult GradCheck(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, double h = 1e-5, int maxChecksPerTensor = 0);

    /// <summary>Writes the parameters as safetensors with PyTorch state_dict keys.</summary>
    void Save(Stream stream);

    /// <summary>Reads parameters from safetensors; the network is unchanged on error.</summary>
    void Load(Stream stream);

    /// <summary>Writes parameters, optimizer state, step and seed as safetensors, to resume training later.</summary>
    void SaveTrainingState(Stream stream);

    /// <summary>Resumes from a training state; the network is unchanged on error.</summary>
    void LoadTrainingState(Stream stream);

    /// <summary>A Keras-like summary.</summary>
    string Summary();
}
