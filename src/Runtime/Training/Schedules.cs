using System;
using System.Collections.Generic;

namespace NetGen;

/// <summary>
/// A learning-rate schedule that sets a network's <see cref="INeuralNetwork.LearningRate"/> each time
/// <see cref="Step"/> is called, as PyTorch's <c>torch.optim.lr_scheduler</c> classes set the optimizer's: call it where
/// PyTorch calls <c>scheduler.step()</c> (after each optimizer step, or after each epoch). The subclasses follow PyTorch
/// 1.13's formulas, in its recursive ("chainable") form where PyTorch uses it, so the rates have PyTorch's bits
/// (tests/reference/make_schedule_reference.py).
/// </summary>
public abstract class LearningRateSchedule : ITrainingSchedule
{
    /// <summary>Starts the schedule from the network's current learning rate.</summary>
    protected LearningRateSchedule(INeuralNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        BaseLearningRate = network.LearningRate;
    }

    /// <summary>Resumes a schedule: <paramref name="epoch"/> calls of <see cref="Step"/> already made, from
    /// <paramref name="baseLearningRate"/>.</summary>
    protected LearningRateSchedule(INeuralNetwork network, int epoch, double baseLearningRate)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        Epoch = epoch;
        BaseLearningRate = baseLearningRate;
    }

    /// <summary>The network whose learning rate the schedule sets.</summary>
    public INeuralNetwork Network { get; }

    /// <summary>The learning rate when the schedule was created (PyTorch's <c>base_lr</c>); inside a
    /// <see cref="SequentialLR"/>, the rate the sequence started from.</summary>
    public double BaseLearningRate { get; private set; }

    /// <summary>Calls of <see cref="Step"/> so far (PyTorch's <c>last_epoch</c>); inside a <see cref="SequentialLR"/>,
    /// counted from the schedule's milestone.</summary>
    public int Epoch { get; private set; }

    /// <summary>The rate at epoch 0 from <paramref name="baseLearningRate"/> (PyTorch's closed form at 0): the base itself
    /// for every schedule but <see cref="LinearLR"/>, which starts at base·startFactor.</summary>
    protected virtual double InitialLearningRate(double baseLearningRate) => baseLearningRate;

    /// <summary>Starts the schedule again at epoch 0 from <paramref name="baseLearningRate"/> and sets the network's rate
    /// to its first value: what PyTorch's <c>SequentialLR</c> does to a scheduler at its milestone
    /// (<c>scheduler.step(0)</c>, the closed form at epoch 0, with the base rate every scheduler of the optimizer shares).</summary>
    internal void Restart(double baseLearningRate)
    {
        BaseLearningRate = baseLearningRate;
        Epoch = 0;
        Network.LearningRate = InitialLearningRate(baseLearningRate);
    }

    /// <summary>Advances the schedule by one and sets the network's learning rate.</summary>
    public void Step()
    {
        Epoch++;
        Network.LearningRate = Next(Network.LearningRate, Epoch);
    }

    /// <summary>The learning rate at <paramref name="epoch"/> from the current one.</summary>
    protected abstract double Next(double current, int epoch);

    void ITrainingSchedule.Step(double monitored) => Step();

    double[] ITrainingSchedule.SaveState() => SaveState();

    void ITrainingSchedule.RestoreState(ReadOnlySpan<double> state) => RestoreState(state);

    /// <summary>What a resumed run needs to go on with the same bits (written into trainer checkpoints): <see cref="Epoch"/>
    /// for a schedule whose next rate depends only on it and the network's current rate (which the checkpoint restores).
    /// A schedule that holds more (as <see cref="SequentialLR"/> holds its schedules) overrides both methods.</summary>
    protected internal virtual double[] SaveState() => [Epoch];

    /// <summary>Puts back what <see cref="SaveState"/> wrote; throws <see cref="ArgumentException"/> on a length that does not match.</summary>
    protected internal virtual void RestoreState(ReadOnlySpan<double> state) => Epoch = (int)TrainingScheduleState.Require(state, 1, GetType().Name)[0];

    /// <summary>Sets the epoch and base rate of a resumed schedule (<see cref="SequentialLR"/> restoring its schedules).</summary>
    internal void Resume(int epoch, double baseLearningRate)
    {
        Epoch = epoch;
        BaseLearningRate = baseLearningRate;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    protected static double Require(double value, double min, double max, string name, string rule) =>
        value >= min && value <= max && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, rule);
}

/// <summary>Exponential decay, PyTorch's <c>ExponentialLR(gamma)</c>: lr ← lr·γ at every step (lr = lr₀·γ^t).</summary>
public sealed class ExponentialLR : LearningRateSchedule
{
    /// <summary>Creates the schedule; <paramref name="gamma"/> in (0, 1].</summary>
    public ExponentialLR(INeuralNetwork network, double gamma)
        : base(network) => Gamma = Require(gamma, double.Epsilon, 1, nameof(gamma), "ExponentialLR's gamma must be in (0, 1].");

    /// <summary>The factor of each step.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double Next(double current, int epoch) => current * Gamma;
}

/// <summary>1/t decay: lr = lr₀ / (1 + k·t) after t steps (PyTorch: <c>LambdaLR(lambda t: 1 / (1 + k·t))</c>).</summary>
public sealed class InverseTimeLR : LearningRateSchedule
{
    /// <summary>Creates the schedule; <paramref name="k"/> ≥ 0.</summary>
    public InverseTimeLR(INeuralNetwork network, double k)
        : base(network) => K = Require(k, 0, double.MaxValue, nameof(k), "InverseTimeLR's k must be a finite value ≥ 0.");

    /// <summary>The decay constant k.</summary>
    public double K { get; }

    /// <inheritdoc/>
    protected override double Next(double current, int epoch) => BaseLearningRate * (1.0 / (1.0 + (K * epoch)));
}

/// <summary>
/// Cosine annealing without restarts (Loshchilov and Hutter, 2017), PyTorch's <c>CosineAnnealingLR(T_max, eta_min)</c>:
/// lr_t = η_min + (lr₀ − η_min)·(1 + cos(π·t/T_max))/2, computed in PyTorch's recursive form; past T_max it rises again
/// (period 2·T_max), as PyTorch's does.
/// </summary>
public sealed class CosineAnnealingLR : LearningRateSchedule
{
    /// <summary>Creates the schedule; <paramref name="tMax"/> ≥ 1 steps, <paramref name="etaMin"/> ≥ 0.</summary>
    public CosineAnnealingLR(INeuralNetwork network, int tMax, double etaMin = 0)
        : base(network)
    {
        TMax = tMax >= 1 ? tMax : throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR's tMax must be ≥ 1.");
        EtaMin = Require(etaMin, 0, double.MaxValue, nameof(etaMin), "CosineAnnealingLR's etaMin must be a finite value ≥ 0.");
    }

    /// <summary>Steps from lr₀ down to η_min.</summary>
    public int TMax { get; }

    /// <summary>The smallest learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double Next(double current, int epoch)
    {
        if ((epoch - 1 - TMax) % (2 * TMax) == 0)
        {
            return current + ((BaseLearningRate - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2);
        }

        return ((1 + Math.Cos(Math.PI * epoch / TMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / TMax)) * (current - EtaMin)) + EtaMin;
    }
}

/// <summary>
/// Linear warm-up, PyTorch's <c>LinearLR(start_factor, end_factor, total_iters)</c>: the rate starts at
/// lr₀·startFactor when the schedule is created and moves linearly to lr₀·endFactor over <c>totalIters</c> steps, then
/// stays there.
/// </summary>
public sealed class LinearLR : LearningRateSchedule
{
    /// <summary>Creates the schedule and sets the starting rate; factors in (0, 1], <paramref name="totalIters"/> ≥ 1.</summary>
    public LinearLR(INeuralNetwork network, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
        : base(network)
    {
        StartFactor = Require(startFactor, double.Epsilon, 1, nameof(startFactor), "LinearLR's startFactor must be in (0, 1].");
        EndFactor = Require(endFactor, 0, 1, nameof(endFactor), "LinearLR's endFactor must be in [0, 1].");
        TotalIters = totalIters >= 1 ? totalIters : throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, "LinearLR's totalIters must be ≥ 1.");
        network.LearningRate = network.LearningRate * StartFactor;
    }

    /// <summary>The factor of the first step.</summary>
    public double StartFactor { get; }

    /// <inheritdoc/>
    protected override double InitialLearningRate(double baseLearningRate) => baseLearningRate * StartFactor;

    /// <summary>The factor after <see cref="TotalIters"/> steps.</summary>
    public double EndFactor { get; }

    /// <summary>Steps of the warm-up.</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    protected override double Next(double current, int epoch) => epoch > TotalIters
        ? current
        : current * (1.0 + ((EndFactor - StartFactor) / ((TotalIters * StartFactor) + ((epoch - 1) * (EndFactor - StartFactor)))));
}

/// <summary>
/// Schedules one after another, PyTorch's <c>SequentialLR(optimizer, schedulers, milestones)</c>: schedule i runs from
/// step milestones[i−1] (0 for the first) until milestones[i]; at its milestone it starts again from the rate the sequence
/// started from (PyTorch calls <c>scheduler.step(0)</c>, the closed form at epoch 0: the base rate, base·startFactor for a
/// <see cref="LinearLR"/>). The usual use is a linear warm-up followed by another schedule:
/// <code>
/// var warmup = new LinearLR(net, startFactor: 0.1, totalIters: 5);
/// var cosine = new CosineAnnealingLR(net, tMax: 95);
/// var schedule = new SequentialLR(net, new LearningRateSchedule[] { warmup, cosine }, milestones: new[] { 5 });
/// </code>
/// Create the schedules, then the sequence, in that order and before training, as in PyTorch: the sequence resets the
/// network's rate to the first schedule's base rate and starts that schedule again (so the rate is base·0.1 above).
/// Then call only the sequence's <see cref="LearningRateSchedule.Step"/>, once per batch or once per epoch, wherever
/// PyTorch calls <c>scheduler.step()</c>; the milestones count those calls.
/// </summary>
public sealed class SequentialLR : LearningRateSchedule
{
    private readonly LearningRateSchedule[] _schedules;
    private readonly int[] _milestones;

    /// <summary>Creates the sequence; <paramref name="milestones"/> has one element fewer than <paramref name="schedules"/>,
    /// each ≥ 1 and larger than the one before; every schedule belongs to <paramref name="network"/>, once.</summary>
    public SequentialLR(INeuralNetwork network, IReadOnlyList<LearningRateSchedule> schedules, IReadOnlyList<int> milestones)
        : base(network, 0, Validate(network, schedules, milestones))
    {
        _schedules = new LearningRateSchedule[schedules.Count];
        for (int i = 0; i < _schedules.Length; i++)
        {
            _schedules[i] = schedules[i];
        }

        _milestones = new int[milestones.Count];
        for (int i = 0; i < _milestones.Length; i++)
        {
            _milestones[i] = milestones[i];
        }

        _schedules[0].Restart(BaseLearningRate);
    }

    /// <summary>The schedules, in order.</summary>
    public IReadOnlyList<LearningRateSchedule> Schedules => _schedules;

    /// <summary>The step at which each schedule after the first takes over.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>The schedule that set the current rate.</summary>
    public LearningRateSchedule Current => _schedules[Index(Epoch)];

    /// <inheritdoc/>
    protected override double Next(double current, int epoch)
    {
        int index = Index(epoch);
        LearningRateSchedule schedule = _schedules[index];
        if (index > 0 && _milestones[index - 1] == epoch)
        {
            schedule.Restart(BaseLearningRate);
        }
        else
        {
            schedule.Step();
        }

        return Network.LearningRate;
    }

    /// <summary>The sequence's epoch and base rate, then, per schedule, its base rate (a schedule's changes at its milestone),
    /// the length of its own state and that state: the schedules' epochs decide their next rates, so <see cref="LearningRateSchedule.Epoch"/>
    /// of the sequence alone would resume them from 0.</summary>
    protected internal override double[] SaveState()
    {
        var state = new List<double> { Epoch, BaseLearningRate };
        foreach (LearningRateSchedule schedule in _schedules)
        {
            double[] own = schedule.SaveState();
            state.Add(schedule.BaseLearningRate);
            state.Add(own.Length);
            state.AddRange(own);
        }

        return state.ToArray();
    }

    /// <inheritdoc/>
    protected internal override void RestoreState(ReadOnlySpan<double> state)
    {
        int length = 2;
        var lengths = new int[_schedules.Length];
        for (int i = 0; i < _schedules.Length; i++)
        {
            lengths[i] = _schedules[i].SaveState().Length;
            length += 2 + lengths[i];
        }

        TrainingScheduleState.Require(state, length, GetType().Name);
        for (int i = 0, p = 2; i < _schedules.Length; p += 2 + lengths[i], i++)
        {
            if (state[p + 1] != lengths[i])
            {
                throw new ArgumentException($"SequentialLR's schedule {i} ({_schedules[i].GetType().Name}) takes {lengths[i]} state values; the saved state holds {state[p + 1]}: the checkpoint was written with other schedules.", nameof(state));
            }
        }

        int at = 2;
        for (int i = 0; i < _schedules.Length; i++)
        {
            _schedules[i].RestoreState(state.Slice(at + 2, lengths[i]));
            _schedules[i].Resume(_schedules[i].Epoch, state[at]);
            at += 2 + lengths[i];
        }

        Resume((int)state[0], state[1]);
    }

    /// <summary>PyTorch's <c>bisect_right(milestones, epoch)</c>: how many milestones are ≤ epoch.</summary>
    private int Index(int epoch)
    {
        int index = 0;
        while (index < _milestones.Length && _milestones[index] <= epoch)
        {
            index++;
        }

        return index;
    }

    /// <summary>The base rate of the sequence (the first schedule's), after checking every argument.</summary>
    private static double Validate(INeuralNetwork network, IReadOnlyList<LearningRateSchedule> schedules, IReadOnlyList<int> milestones)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedules.Count == 0)
        {
            throw new ArgumentException("SequentialLR needs at least one schedule.", nameof(schedules));
        }

        if (milestones.Count != schedules.Count - 1)
        {
            throw new ArgumentException($"SequentialLR needs one milestone fewer than schedules: {schedules.Count} schedules, {milestones.Count} milestones.", nameof(milestones));
        }

        for (int i = 0; i < schedules.Count; i++)
        {
            LearningRateSchedule schedule = schedules[i] ?? throw new ArgumentNullException(nameof(schedules), $"SequentialLR's schedule {i} is null.");
            if (!ReferenceEquals(schedule.Network, network))
            {
                throw new ArgumentException($"SequentialLR's schedule {i} ({schedule.GetType().Name}) sets another network's learning rate.", nameof(schedules));
            }

            if (schedule is SequentialLR)
            {
                throw new ArgumentException($"SequentialLR's schedule {i} is itself a SequentialLR; list its schedules instead.", nameof(schedules));
            }

            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(schedules[j], schedule))
                {
                    throw new ArgumentException($"SequentialLR's schedules {j} and {i} are the same object.", nameof(schedules));
                }
            }
        }

        for (int i = 0; i < milestones.Count; i++)
        {
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
            {
                throw new ArgumentOutOfRangeException(nameof(milestones), milestones[i], $"SequentialLR's milestone {i} must be ≥ 1 and larger than the one before.");
            }
        }

        return schedules[0].BaseLearningRate;
    }
}

/// <summary>Whether a smaller or a larger monitored value is better (<see cref="ReduceLROnPlateau"/>).</summary>
public enum PlateauMode
{
    /// <summary>A loss: smaller is better.</summary>
    Min,

    /// <summary>An accuracy: larger is better.</summary>
    Max,
}

/// <summary>
/// Lower the learning rate when a monitored value stops improving (the CS231n notes' advice), PyTorch's
/// <c>ReduceLROnPlateau</c>: after more than <c>patience</c> steps without an improvement by more than
/// <c>threshold</c> (relative: best·(1 ∓ threshold); absolute: best ∓ threshold), lr ← max(lr·factor, minLr) (when that
/// changes it by more than <c>eps</c>), then <c>cooldown</c> steps during which bad steps are not counted.
/// </summary>
public sealed class ReduceLROnPlateau : ITrainingSchedule
{
    private readonly INeuralNetwork _network;
    private int _cooldownCounter;

    /// <summary>Creates the schedule with PyTorch's defaults.</summary>
    public ReduceLROnPlateau(INeuralNetwork network, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, bool relativeThreshold = true, int cooldown = 0, double minLearningRate = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau's factor must be in (0, 1).");
        }

        if (patience < 0 || cooldown < 0)
        {
            throw new ArgumentOutOfRangeException(patience < 0 ? nameof(patience) : nameof(cooldown), "ReduceLROnPlateau's patience and cooldown must be ≥ 0.");
        }

        if (!(threshold >= 0) || !(minLearningRate >= 0) || !(eps >= 0))
        {
            throw new ArgumentOutOfRangeException(!(threshold >= 0) ? nameof(threshold) : !(minLearningRate >= 0) ? nameof(minLearningRate) : nameof(eps), "ReduceLROnPlateau's threshold, minLearningRate and eps must be ≥ 0.");
        }

        _network = network;
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        RelativeThreshold = relativeThreshold;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
        Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>Smaller or larger is better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The factor of a reduction.</summary>
    public double Factor { get; }

    /// <summary>Steps without improvement tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>The least improvement that counts.</summary>
    public double Threshold { get; }

    /// <summary>Whether <see cref="Threshold"/> is relative to the best value (PyTorch's "rel") or absolute ("abs").</summary>
    public bool RelativeThreshold { get; }

    /// <summary>Steps after a reduction during which bad steps are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>The learning rate is never reduced below this.</summary>
    public double MinLearningRate { get; }

    /// <summary>A reduction smaller than this is skipped.</summary>
    public double Eps { get; }

    /// <summary>The best monitored value so far.</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive steps without improvement.</summary>
    public int BadSteps { get; private set; }

    /// <summary>Calls of <see cref="Step"/> so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Records <paramref name="metric"/> (e.g. the validation loss) and lowers the rate on a plateau.</summary>
    public void Step(double metric)
    {
        if (double.IsNaN(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "ReduceLROnPlateau's metric is NaN; the schedule is unchanged.");
        }

        Epoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadSteps = 0;
        }
        else
        {
            BadSteps++;
        }

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            BadSteps = 0;
        }

        if (BadSteps > Patience)
        {
            double old = _network.LearningRate;
            double lowered = Math.Max(old * Factor, MinLearningRate);
            if (old - lowered > Eps)
            {
                _network.LearningRate = lowered;
            }

            _cooldownCounter = Cooldown;
            BadSteps = 0;
        }
    }

    void ITrainingSchedule.Step(double monitored) => Step(monitored);

    double[] ITrainingSchedule.SaveState() => [Epoch, Best, BadSteps, _cooldownCounter];

    void ITrainingSchedule.RestoreState(ReadOnlySpan<double> state)
    {
        TrainingScheduleState.Require(state, 4, nameof(ReduceLROnPlateau));
        (Epoch, Best, BadSteps, _cooldownCounter) = ((int)state[0], state[1], (int)state[2], (int)state[3]);
    }

    private bool IsBetter(double value) => (Mode, RelativeThreshold) switch
    {
        (PlateauMode.Min, true) => value < Best * (1.0 - Threshold),
        (PlateauMode.Min, false) => value < Best - Threshold,
        (PlateauMode.Max, true) => value > Best * (Threshold + 1.0),
        _ => value > Best + Threshold,
    };
}

/// <summary>Checks of <see cref="ITrainingSchedule.RestoreState"/>.</summary>
internal static class TrainingScheduleState
{
    /// <summary>Throws unless <paramref name="state"/> holds <paramref name="length"/> values; returns it.</summary>
    public static ReadOnlySpan<double> Require(ReadOnlySpan<double> state, int length, string schedule) => state.Length == length
        ? state
        : throw new ArgumentException($"The saved state of a {schedule} schedule has {state.Length} values; expected {length}: the checkpoint was written with another schedule.", nameof(state));
}
