using System;
using System.Collections.Generic;

namespace NetGen.Cuda;

/// <summary>
/// The device side of one generated network on <see cref="Backend.Cuda"/>: GPU 0, NetGen's kernels loaded on it, one
/// blocking stream the launches go to, the device arenas (<see cref="State"/>: parameters, gradients, optimizer state;
/// <see cref="Activations"/>: the per-row tensors, grown and never shrunk), the CUDA graphs of the step
/// (<see cref="Run"/>), and two reductions copied back to the host. Generated code uses it; it is public for that reason
/// only. Disposing it frees every allocation it made; what is not disposed is freed by the finalizers of the SafeHandles
/// that own the memory (docs/adr/0045-device-arenas-dispose-and-cuda-graphs.md).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class CudaNetworkRuntime : IDisposable
{
    private readonly string _network;
    private readonly CudaStream _stream;
    private readonly DeviceBuffer<double> _sum;
    private readonly double[] _host = new double[1];
    private readonly Dictionary<long, CudaGraph> _graphs = [];
    private readonly List<DeviceArena> _state = [];
    private readonly List<IDisposable> _owned = [];
    private DeviceArena? _activations;
    private bool _disposed;

    /// <summary>Opens GPU 0 and loads the kernels for network <paramref name="network"/>.</summary>
    /// <param name="network">The network's name, for messages.</param>
    /// <exception cref="InvalidOperationException">CUDA is not available (no <c>libcuda.so.1</c>, no device, a device older
    /// than sm_80): the message names the network and what is missing.</exception>
    public CudaNetworkRuntime(string network)
    {
        _network = network;
        if (CudaDevice.UnavailableReason is string reason)
        {
            throw new InvalidOperationException($"Network '{network}' was asked to run on Backend.Cuda, but CUDA is not available: {reason} Use Backend.Cpu on this machine.");
        }

        try
        {
            Device = CudaDevice.Open(0);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Network '{network}' was asked to run on Backend.Cuda, but {e.Message}", e);
        }

        _stream = Device.CreateBlockingStream();
        Kernels = new CudaKernels(Device, _stream);
        _sum = Device.Allocate<double>(1);
    }

    /// <summary>The device (GPU 0).</summary>
    public CudaDevice Device { get; }

    /// <summary>The kernels, loaded on <see cref="Device"/>; launches go to this runtime's stream, in order.</summary>
    public CudaKernels Kernels { get; }

    /// <summary>Whether <see cref="Run"/> captures and replays CUDA graphs (true) or launches kernel by kernel.</summary>
    public bool Graphs { get; set; } = true;

    /// <summary>Why graphs were turned off for good (a capture failed: the recorded code made a call a capture forbids), or
    /// null.</summary>
    public string? GraphsUnavailable { get; private set; }

    /// <summary>Graphs captured so far (one per kind of call and batch size, again after the activation arena grew).</summary>
    public int Captures { get; private set; }

    /// <summary>Graph launches so far.</summary>
    public long GraphLaunches { get; private set; }

    /// <summary>Kernel nodes rewritten before a replay because their arguments changed (a learning rate, a step count, a
    /// dropout key).</summary>
    public long NodeUpdates
    {
        get
        {
            long n = 0;
            foreach (CudaGraph g in _graphs.Values)
            {
                n += g.NodeUpdates;
            }
            return n;
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the network once it is disposed; otherwise makes the
    /// device's context current on the calling thread. The first call of every public member of a generated CUDA core.</summary>
    public void Enter()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(_network, $"Network '{_network}' was disposed: its device memory is freed. Create a new instance (and Load the weights) to use it again.");
        }
        Device.MakeCurrent();
    }

    /// <summary>One device allocation of <paramref name="bytes"/> bytes, zeroed, for views that live as long as this
    /// runtime (parameters, gradients, optimizer state, results). <see cref="DeviceArena.Size"/> computes the size.</summary>
    /// <param name="bytes">Bytes.</param>
    /// <returns>The arena; take its views with <see cref="DeviceArena.Take{T}"/>.</returns>
    public DeviceArena State(long bytes)
    {
        var arena = new DeviceArena(Device, bytes);
        _state.Add(arena);
        arena.Clear();
        return arena;
    }

    /// <summary>A float buffer of <paramref name="count"/> elements (contents undefined), owned by this runtime (freed by
    /// <see cref="Dispose"/>). Generated cores take views of <see cref="State"/> instead; this is for lowerings that need a
    /// buffer of their own.</summary>
    /// <param name="count">Elements.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<float> Allocate(int count) => Own(Device.Allocate<float>(count));

    /// <summary>An int buffer of <paramref name="count"/> elements (contents undefined), owned by this runtime (freed by
    /// <see cref="Dispose"/>): a lowering's fixed-size int cache (a pooling's argmax of a fixed size).</summary>
    /// <param name="count">Elements.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<int> AllocateInts(int count) => Own(Device.Allocate<int>(count));

    /// <summary>A float buffer of <paramref name="count"/> zeros, owned by this runtime.</summary>
    /// <param name="count">Elements.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<float> Zeros(int count)
    {
        DeviceBuffer<float> buffer = Allocate(count);
        buffer.Clear();
        return buffer;
    }

    /// <summary>The activation arena, holding at least <paramref name="bytes"/> bytes, with its views reset: it grows
    /// (a new allocation, the graphs captured on the old one dropped) and never shrinks, so after the largest batch a call
    /// allocates nothing.</summary>
    /// <param name="bytes">Bytes the rows of this call need.</param>
    /// <returns>The arena.</returns>
    public DeviceArena Activations(long bytes)
    {
        if (_activations is null || _activations.Capacity < bytes)
        {
            DropGraphs(); // they captured the old arena's addresses
            _activations?.Dispose();
            _activations = null;
            _activations = new DeviceArena(Device, bytes);
        }

        _activations.Reset();
        return _activations;
    }

    /// <summary>Runs <paramref name="record"/>, launches only (no allocation, copy or synchronisation), on the stream:
    /// with <see cref="Graphs"/> on, as a CUDA graph captured on the first call with <paramref name="key"/> and replayed
    /// afterwards, the kernel nodes whose arguments changed since (per-step scalars) rewritten first; otherwise launch by
    /// launch. Both give the same bits: a replay runs the same kernels on the same addresses with this call's arguments.</summary>
    /// <param name="key">Which graph: the kind of call and its batch size.</param>
    /// <param name="record">The launches, reading this call's values from fields (a cached delegate: no allocation).</param>
    public void Run(long key, Action record)
    {
        if (!Graphs || GraphsUnavailable is not null)
        {
            record();
            return;
        }

        if (_graphs.TryGetValue(key, out CudaGraph? graph))
        {
            if (graph.Replay(_stream, record))
            {
                GraphLaunches++;
                return;
            }

            _graphs.Remove(key); // the launch sequence changed: capture it again
            graph.Dispose();
        }

        try
        {
            graph = CudaGraph.Capture(_stream, record);
        }
        catch (CudaException e) when (e.ErrorName.StartsWith("CUDA_ERROR_STREAM_CAPTURE", StringComparison.Ordinal))
        {
            GraphsUnavailable = e.Message;
            record();
            return;
        }

        Captures++;
        _graphs[key] = graph;
        graph.Launch(_stream);
        GraphLaunches++;
    }

    /// <summary>Σ values[0..count) in double (one block, a fixed tree: deterministic), copied back to the host.</summary>
    /// <param name="values">The values.</param>
    /// <param name="count">How many.</param>
    /// <returns>The sum.</returns>
    public double Sum(DeviceView<double> values, int count)
    {
        Kernels.Sum(values, count, _sum);
        _sum.CopyTo(_host);
        return _host[0];
    }

    /// <summary>Σ x² in double over the whole view, copied back to the host: NaN or ∞ exactly when some element is not
    /// finite (a finite float squared never overflows a double). One block, a fixed tree (deterministic).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The sum of squares.</returns>
    public double SumOfSquares(DeviceView<float> x)
    {
        Kernels.SumOfSquares(x, _sum);
        _sum.CopyTo(_host);
        return _host[0];
    }

    /// <summary>Σ |x| in double over the whole view (ng_sum_abs_f64, one block, deterministic), copied back to the host:
    /// the L1 penalty's ‖w‖₁ outside a graph (the generated cores sum it into their results instead).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The sum of absolute values.</returns>
    public double SumOfAbsolutes(DeviceView<float> x)
    {
        Kernels.SumOfAbsolutes(x, _sum);
        _sum.CopyTo(_host);
        return _host[0];
    }

    /// <summary>Frees the graphs, the arenas, the stream, the kernels and the device (idempotent).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DropGraphs();
        foreach (DeviceArena arena in _state)
        {
            arena.Dispose();
        }

        _state.Clear();
        foreach (IDisposable buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
        _activations?.Dispose();
        _activations = null;
        _sum.Dispose();
        Kernels.Dispose();
        _stream.Dispose();
        Device.Dispose();
    }

    private DeviceBuffer<T> Own<T>(DeviceBuffer<T> buffer)
        where T : unmanaged
    {
        _owned.Add(buffer);
        return buffer;
    }

    private void DropGraphs()
    {
        foreach (CudaGraph g in _graphs.Values)
        {
            g.Dispose();
        }

        _graphs.Clear();
    }
}
