using NetGen.Generator.Model;

namespace NetGen.Generator.Planner;

/// <summary>
/// Everything the Emitter needs, computed once: shapes, the parameter arena (PyTorch state_dict order), the activation
/// arena, FLOP and byte counts. Pure data (no Roslyn), so equal plans mean identical source and the output is cached.
/// </summary>
internal sealed record Plan(
    string? Namespace,
    string ClassName,
    int InputSize,
    int OutputSize,
    int MaxBatch,
    TrainingSpec Training,
    EquatableArray<LayerPlan> Layers,
    EquatableArray<ParamPlan> Parameters,
    int ParameterCount,
    int ActivationArenaSize,
    int GradientBufferSize,
    long FlopsPerSample,
    EquatableArray<string> Errors)
{
    public bool HasErrors => Errors.Count > 0;

    public long ParameterBytes => ParameterCount * 4L;

    /// <summary>Float32 bytes of the activation arena, dropout masks and the two gradient buffers at MaxBatch rows.</summary>
    public long ActivationBytes => ((long)ActivationArenaSize + (2L * GradientBufferSize)) * 4;

    public bool UsesDropout
    {
        get
        {
            foreach (LayerPlan layer in Layers)
            {
                if (layer.Kind == LayerKind.Dropout)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>
/// One layer, placed: its index in the nn.Sequential, shapes per sample (N-dimensional: [features] now, [C, H, W] for
/// convolutional layers), where its output lives in the activation arena and which parameters it owns.
/// </summary>
internal sealed record LayerPlan(
    int Index,
    LayerKind Kind,
    string Name,
    EquatableArray<int> InputShape,
    EquatableArray<int> OutputShape,
    int InputSize,
    int OutputSize,
    int OutputOffset,
    int MaskOffset,
    int WeightParameter,
    int BiasParameter,
    double Argument,
    long Flops);

/// <summary>A parameter tensor: its state_dict key, PyTorch shape, place in the arena and initialisation.</summary>
internal sealed record ParamPlan(
    int Index,
    string Key,
    string Layer,
    EquatableArray<int> Shape,
    int Offset,
    int Length,
    bool WeightDecay,
    InitRule Init);

/// <summary>How a parameter tensor starts: a normal (scale = std), a uniform (scale = limit) or a constant.</summary>
internal sealed record InitRule(InitDistribution Distribution, double Scale, string Description);

internal enum InitDistribution
{
    Normal,
    Uniform,
    Constant,
}
