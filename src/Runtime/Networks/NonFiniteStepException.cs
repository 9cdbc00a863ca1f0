using System;

namespace NetGen;

/// <summary>
/// A training step refused because its loss or a gradient is NaN or ±∞ (an overflow, or a NaN that reached the
/// parameters). Nothing was changed: the parameters, buffers, optimizer state and step counter are as before the call.
/// <see cref="FitOptions.NonFiniteSteps"/> = <see cref="NonFiniteStepPolicy.Skip"/> makes <c>Fit</c> skip such a batch and
/// count it instead of stopping.
/// </summary>
public sealed class NonFiniteStepException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteStepException(string message, string network, string call, double loss, string? layer, string? tensor, int element)
        : base(message)
    {
        Network = network;
        Call = call;
        Loss = loss;
        Layer = layer;
        Tensor = tensor;
        Element = element;
    }

    /// <summary>The network's name.</summary>
    public string Network { get; }

    /// <summary>The refused call: <c>TrainStep</c> or <c>ComputeGradients</c>.</summary>
    public string Call { get; }

    /// <summary>The loss of the refused step (it may be finite when only a gradient overflowed).</summary>
    public double Loss { get; }

    /// <summary>The first layer where the step went non-finite, as <c>'name' ([path] Kind)</c> for a layer output or
    /// <c>'name'</c> for a gradient; null when only the loss itself is not finite.</summary>
    public string? Layer { get; }

    /// <summary>The state_dict key of the parameter tensor whose gradient is named, or null when a layer output is.</summary>
    public string? Tensor { get; }

    /// <summary>The element of <see cref="Tensor"/> named, or −1.</summary>
    public int Element { get; }
}
