using System;
using System.Numerics.Tensors;

namespace NetGen;

/// <summary>
/// A running average of a network's parameters for evaluation, PyTorch's <c>torch.optim.swa_utils.AveragedModel</c>:
/// Polyak averaging (Polyak and Juditsky, 1992; the CS231n notes' "parameter averaging" — equal weights, as stochastic
/// weight averaging) or an exponential moving average with <c>decay</c>. Call <see cref="Update"/> after the training
/// steps to average (PyTorch's <c>update_parameters(model)</c>); the first call copies the parameters, call n + 1 sets
/// <list type="bullet">
/// <item>Polyak: avg ← avg + (p − avg) / (n + 1), the mean of every parameter vector passed so far;</item>
/// <item>EMA: avg ← decay·avg + (1 − decay)·p (PyTorch: <c>avg_fn=lambda a, p, n: decay*a + (1-decay)*p</c>).</item>
/// </list>
/// To evaluate with the average, swap it into the network and back out; nothing is copied by hand and the training
/// weights come back bit for bit:
/// <code>
/// using (average.SwapIn())
/// {
///     net.Predict(validationX, scores);   // the averaged weights
/// }
/// // the training weights again; training goes on
/// </code>
/// With <c>averageBuffers</c> the float buffers (BatchNorm's running statistics) are averaged and swapped too, PyTorch's
/// <c>use_buffers=True</c>; without it the swapped-in network keeps its own current buffers. Counters are never averaged.
/// </summary>
public sealed class AveragedParameters
{
    private readonly INeuralNetwork _network;
    private readonly float[] _parameters;
    private readonly float[] _buffers;
    private readonly BufferInfo[] _floatBuffers;

    /// <summary>Creates an empty average of <paramref name="network"/>'s parameters (nothing is read until
    /// <see cref="Update"/>).</summary>
    /// <param name="network">The network whose parameters are averaged.</param>
    /// <param name="decay">Null for the Polyak (equal-weight) average; in [0, 1] for an exponential moving average that keeps
    /// <paramref name="decay"/> of the old average at each update (e.g. 0.999).</param>
    /// <param name="averageBuffers">Whether float buffers (running statistics) are averaged and swapped as well.</param>
    public AveragedParameters(INeuralNetwork network, double? decay = null, bool averageBuffers = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (decay is { } d && !(d >= 0 && d <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), d, "The average's decay must be in [0, 1] (null for the equal-weight Polyak average).");
        }

        _network = network;
        Decay = decay;
        AveragesBuffers = averageBuffers;
        _parameters = new float[network.Parameters.Length];
        int floats = 0, count = 0;
        if (averageBuffers)
        {
            foreach (BufferInfo info in network.BufferTable)
            {
                if (info.Dtype == BufferDtype.F32)
                {
                    floats += info.Length;
                    count++;
                }
            }
        }

        _buffers = new float[floats];
        _floatBuffers = new BufferInfo[count];
        if (averageBuffers)
        {
            int i = 0;
            foreach (BufferInfo info in network.BufferTable)
            {
                if (info.Dtype == BufferDtype.F32)
                {
                    _floatBuffers[i++] = info;
                }
            }
        }
    }

    /// <summary>Null for the Polyak average, else the EMA's decay.</summary>
    public double? Decay { get; }

    /// <summary>Whether float buffers are averaged and swapped too.</summary>
    public bool AveragesBuffers { get; }

    /// <summary>Calls of <see cref="Update"/> so far (PyTorch's <c>n_averaged</c>).</summary>
    public long Count { get; private set; }

    /// <summary>Whether the average is in the network now (between <see cref="SwapIn"/> and <see cref="SwapOut"/>).</summary>
    public bool IsSwappedIn { get; private set; }

    /// <summary>The averaged parameters, laid out like <see cref="INeuralNetwork.Parameters"/> (the network's training
    /// parameters while swapped in).</summary>
    public ReadOnlySpan<float> Parameters => _parameters;

    /// <summary>Folds the network's current parameters (and buffers, if averaged) into the average.</summary>
    /// <exception cref="InvalidOperationException">The average is swapped in: the network holds it, not the training weights.</exception>
    public void Update()
    {
        if (IsSwappedIn)
        {
            throw new InvalidOperationException($"The average of '{_network.Name}' is swapped in; swap it out before Update, which reads the training weights.");
        }

        // PyTorch: copy on the first call; then avg_fn(avg, p, n). avg + (p − avg)·a is avg·(1 − a) + p·a, the Lerp.
        float amount = Decay is { } d ? (float)(1.0 - d) : (float)(1.0 / (Count + 1));
        Fold(_network.Parameters, _parameters, amount);
        int offset = 0;
        foreach (BufferInfo info in _floatBuffers)
        {
            Fold(_network.GetBuffer(info.Key), _buffers.AsSpan(offset, info.Length), amount);
            offset += info.Length;
        }

        Count++;
    }

    private void Fold(ReadOnlySpan<float> current, Span<float> average, float amount)
    {
        if (Count == 0)
        {
            current.CopyTo(average);
        }
        else
        {
            TensorPrimitives.Lerp(average, current, amount, average);
        }
    }

    /// <summary>Exchanges the network's parameters (and averaged buffers) with the average: the network now predicts with
    /// the averaged weights. Dispose the returned scope (or call <see cref="SwapOut"/>) to exchange them back.</summary>
    /// <exception cref="InvalidOperationException">Nothing averaged yet, or already swapped in.</exception>
    public Swap SwapIn()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException($"The average of '{_network.Name}' is empty; call Update after training steps first.");
        }

        if (IsSwappedIn)
        {
            throw new InvalidOperationException($"The average of '{_network.Name}' is already swapped in.");
        }

        Exchange();
        IsSwappedIn = true;
        return new Swap(this);
    }

    /// <summary>Puts the training parameters back (no-op when the average is not swapped in).</summary>
    public void SwapOut()
    {
        if (IsSwappedIn)
        {
            Exchange();
            IsSwappedIn = false;
        }
    }

    private void Exchange()
    {
        // A fresh span: taking it tells the network its weights change (pre-packed copies are refreshed at the next call).
        Exchange(_network.Parameters, _parameters);
        int offset = 0;
        foreach (BufferInfo info in _floatBuffers)
        {
            Exchange(_network.GetBuffer(info.Key), _buffers.AsSpan(offset, info.Length));
            offset += info.Length;
        }
    }

    private static void Exchange(Span<float> a, Span<float> b)
    {
        for (int i = 0; i < a.Length; i++)
        {
            (a[i], b[i]) = (b[i], a[i]);
        }
    }

    /// <summary>The scope of <see cref="SwapIn"/>: disposing it swaps the training parameters back.</summary>
    public readonly struct Swap : IDisposable
    {
        private readonly AveragedParameters _owner;

        internal Swap(AveragedParameters owner) => _owner = owner;

        /// <summary>Swaps the training parameters back (<see cref="SwapOut"/>).</summary>
        public void Dispose() => _owner?.SwapOut();
    }
}
