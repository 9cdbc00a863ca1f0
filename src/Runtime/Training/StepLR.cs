using System;

namespace NetGen;

/// <summary>
/// Step decay of the learning rate, PyTorch's <c>torch.optim.lr_scheduler.StepLR</c>: after every
/// <see cref="StepSize"/> calls of <see cref="Step"/> the learning rate is multiplied by <see cref="Gamma"/>, i.e. after
/// e calls lr = lr₀ · γ^⌊e / StepSize⌋, lr₀ being the network's learning rate when the schedule was created. Call
/// <see cref="Step"/> where PyTorch calls <c>scheduler.step()</c> (after each epoch, or after each optimizer step).
/// </summary>
public sealed class StepLR : ITrainingSchedule
{
    private readonly INeuralNetwork _network;

    /// <summary>Creates the schedule for <paramref name="network"/>, starting from its current learning rate.</summary>
    /// <param name="network">The network whose <see cref="INeuralNetwork.LearningRate"/> the schedule sets.</param>
    /// <param name="stepSize">Calls of <see cref="Step"/> between decays, ≥ 1.</param>
    /// <param name="gamma">The factor of each decay, in (0, 1]. Default 0.1, as PyTorch.</param>
    /// <param name="epoch">Calls of <see cref="Step"/> already made (PyTorch's <c>last_epoch</c>), to resume a schedule after
    /// <c>LoadTrainingState</c>, which restores the network's current learning rate: the schedule then continues from it.</param>
    /// <param name="baseLearningRate">lr₀ for <see cref="LearningRateAt"/>; default: the network's learning rate when
    /// <paramref name="epoch"/> is 0, else lr / γ^⌊epoch / stepSize⌋.</param>
    public StepLR(INeuralNetwork network, int stepSize, double gamma = 0.1, int epoch = 0, double? baseLearningRate = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (stepSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR's stepSize must be ≥ 1.");
        }

        if (!(gamma > 0 && gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "StepLR's gamma must be in (0, 1].");
        }

        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "StepLR's epoch must be ≥ 0.");
        }

        _network = network;
        StepSize = stepSize;
        Gamma = gamma;
        Epoch = epoch;
        BaseLearningRate = baseLearningRate ?? network.LearningRate / Math.Pow(gamma, epoch / stepSize);
    }

    /// <summary>Calls of <see cref="Step"/> between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor of each decay.</summary>
    public double Gamma { get; }

    /// <summary>The learning rate the schedule started from.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Calls of <see cref="Step"/> so far (PyTorch's <c>last_epoch</c>).</summary>
    public int Epoch { get; private set; }

    /// <summary>The learning rate after <paramref name="epoch"/> calls: lr₀ · γ^⌊epoch / StepSize⌋.</summary>
    public double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);

    /// <summary>Advances the schedule by one; every <see cref="StepSize"/>-th call multiplies the network's learning rate by
    /// <see cref="Gamma"/> (PyTorch's chainable form, so the rates have PyTorch's bits).</summary>
    public void Step()
    {
        Epoch++;
        if (Epoch % StepSize == 0)
        {
            _network.LearningRate *= Gamma;
        }
    }

    void ITrainingSchedule.Step(double monitored) => Step();

    double[] ITrainingSchedule.SaveState() => [Epoch];

    void ITrainingSchedule.RestoreState(ReadOnlySpan<double> state) => Epoch = (int)TrainingScheduleState.Require(state, 1, nameof(StepLR))[0];
}
