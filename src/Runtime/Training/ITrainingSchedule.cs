using System;

namespace NetGen;

/// <summary>
/// A learning-rate schedule as the trainer drives it: stepped after each epoch or each batch, and saved in and restored
/// from a trainer checkpoint so a resumed run sets the same rates. Implemented by every <see cref="LearningRateSchedule"/>,
/// <see cref="StepLR"/> and <see cref="ReduceLROnPlateau"/> (explicitly: their own <c>Step</c> stays as it was).
/// </summary>
public interface ITrainingSchedule
{
    /// <summary>Advances the schedule by one; <paramref name="monitored"/> is the watched value (only
    /// <see cref="ReduceLROnPlateau"/> reads it).</summary>
    void Step(double monitored);

    /// <summary>The schedule's counters (the network's learning rate is saved with the network).</summary>
    double[] SaveState();

    /// <summary>Restores counters written by <see cref="SaveState"/>.</summary>
    /// <exception cref="ArgumentException">The state has another length.</exception>
    void RestoreState(ReadOnlySpan<double> state);
}
