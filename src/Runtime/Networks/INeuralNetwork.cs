using System;
using System.Collections.Generic;
using System.IO;

namespace NetGen;

/// <summary>
/// What every generated network offers, for code that works with any of them (training loops, metrics). Generated
/// classes also expose the same members directly, with their shapes as constants. The training members, whose target
/// type depends on the loss, are on <see cref="INeuralNetwork{TTarget}"/>.
/// </summary>
public interface INeuralNetwork
{
    /// <summary>The network class's name.</summary>
    string Name { get; }

    /// <summary>Input values per sample (the product of <see cref="InputShape"/>).</summary>
    int InputSize { get; }

    /// <summary>The input's shape per sample: [features] or [C, H, W].</summary>
    IReadOnlyList<int> InputShape { get; }

    /// <summary>Outputs (scores or predicted values) per sample.</summary>
    int OutputSize { get; }

    /// <summary>The most rows one training call accepts.</summary>
    int MaxBatch { get; }

    /// <summary>The declared loss ([Network(Loss = …)]): <see cref="Trainer"/>'s validation loss and the
    /// <see cref="SanityChecks"/> use it unless <see cref="FitOptions.Loss"/> overrides it.</summary>
    Loss Loss { get; }

    /// <summary>Δ of the hinge losses as declared ([Network(Margin = …)], 1 by default).</summary>
    double LossMargin { get; }

    /// <summary>δ of the Huber loss as declared ([Network(Delta = …)], 1 by default).</summary>
    double LossDelta { get; }

    /// <summary>Optimizer steps taken so far.</summary>
    long Step { get; }

    /// <summary>The learning rate of the next optimizer step (the declared one until changed, e.g. by a schedule).</summary>
    double LearningRate { get; set; }

    /// <summary>Gradient clipping by value in training (PyTorch's clip_grad_value_); null = off.</summary>
    double? ClipGradientValue { get; set; }

    /// <summary>Gradient clipping by global L2 norm in training (PyTorch's clip_grad_norm_); null = off.</summary>
    double? ClipGradientNorm { get; set; }

    /// <summary>The seed the network was created with, or the one LoadTrainingState restored; it keys the dropout masks.</summary>
    ulong Seed { get; }

    /// <summary>Every parameter tensor: state_dict key, layer, shape and place in <see cref="Parameters"/>.</summary>
    IReadOnlyList<ParameterInfo> ParameterTable { get; }

    /// <summary>Every buffer (saved and loaded, not trained), e.g. BatchNorm's running statistics.</summary>
    IReadOnlyList<BufferInfo> BufferTable { get; }

    /// <summary>All parameters, one contiguous arena in state_dict order.</summary>
    Span<float> Parameters { get; }

    /// <summary>Gradients of the last training step or ComputeGradients.</summary>
    ReadOnlySpan<float> Gradients { get; }

    /// <summary>The node outputs the forward pass keeps, for monitoring (<see cref="ActivationMonitor"/>).</summary>
    IReadOnlyList<ActivationInfo> ActivationTable { get; }

    /// <summary>Rows of the last forward pass (0 before the first).</summary>
    int ActivationRows { get; }

    /// <summary>Whether backward keeps each output's gradient ∂L/∂y for <see cref="GetActivationGradients"/> (off by default).</summary>
    bool RecordActivationGradients { get; set; }

    /// <summary>Whether the forward also stores the outputs that no kernel reads (<see cref="ActivationInfo.OnRequest"/>) for
    /// <see cref="GetActivations"/> (off by default).</summary>
    bool RecordActivations { get; set; }

    /// <summary>Entry <paramref name="index"/> of <see cref="ActivationTable"/> as the last forward left it, [ActivationRows, Length]; a view,
    /// valid until the next call; empty for an entry stored on request that the last forward did not record.</summary>
    ReadOnlySpan<float> GetActivations(int index);

    /// <summary>∂L/∂y of entry <paramref name="index"/> from the last backward; empty unless <see cref="RecordActivationGradients"/> is on.</summary>
    ReadOnlySpan<float> GetActivationGradients(int index);

    /// <summary>The values of a float32 buffer by state_dict key.</summary>
    Span<float> GetBuffer(string key);

    /// <summary>The value of an int64 buffer (a counter such as num_batches_tracked) by state_dict key.</summary>
    long GetCounter(string key);

    /// <summary>Inference (dropout off, running statistics) on any number of rows.</summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>Writes the parameters and buffers as safetensors with PyTorch state_dict keys.</summary>
    void Save(Stream stream);

    /// <summary>Reads parameters and buffers from safetensors; the network is unchanged on error.</summary>
    void Load(Stream stream);

    /// <summary>Writes parameters, buffers, optimizer state, step, seed and learning rate as safetensors, to resume training later.</summary>
    void SaveTrainingState(Stream stream);

    /// <summary>Resumes from a training state; the network is unchanged on error.</summary>
    void LoadTrainingState(Stream stream);

    /// <summary>A Keras-like summary.</summary>
    string Summary();
}

/// <summary>
/// A network's training members, typed by what its loss compares the output with: <c>int</c> class indices (softmax
/// cross-entropy, hinge) or <c>float</c> targets shaped like the output (mean squared error).
/// </summary>
/// <typeparam name="TTarget"><c>int</c> or <c>float</c>.</typeparam>
public interface INeuralNetwork<TTarget> : INeuralNetwork
    where TTarget : unmanaged
{
    /// <summary>One training step; returns the mean loss before the update.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<TTarget> targets);

    /// <summary>Forward and backward without an update; returns the mean loss.</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<TTarget> targets);

    /// <summary>Gradient check in float64 against centered differences.</summary>
    GradCheckResult GradCheck(ReadOnlySpan<float> inputs, ReadOnlySpan<TTarget> targets, double h = 1e-5, int maxChecksPerTensor = 0);
}

/// <summary>
/// A classifier that also trains against target distributions (soft targets): softmax cross-entropy networks, as PyTorch's
/// <c>F.cross_entropy</c> with probability targets. Each row of <c>targetProbabilities</c> ([rows, OutputSize]) must be
/// finite and ≥ 0; rows are used as given, not renormalised (a row summing to s weighs its example by s). Label smoothing ε
/// applies to them too: (1 − ε)·t + ε/C. Mixup and similar techniques train through this interface.
/// </summary>
public interface ISoftTargetNetwork : INeuralNetwork<int>
{
    /// <summary>One training step against target distributions; returns the mean loss before the update.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targetProbabilities);

    /// <summary>Forward and backward against target distributions without an update; returns the mean loss.</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targetProbabilities);

    /// <summary>Gradient check in float64 against target distributions.</summary>
    GradCheckResult GradCheck(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targetProbabilities, double h = 1e-5, int maxChecksPerTensor = 0);
}
