using System;
using System.Collections.Generic;

namespace NetGen.Cuda;

/// <summary>
/// The device side of one generated network on <see cref="Backend.Cuda"/>: GPU 0, NetGen's kernels loaded on it, device
/// allocations, and the two reductions the generated CUDA core needs besides the typed launches of
/// <see cref="CudaKernels"/> (the sum of squares of a tensor in double: the L2 penalty and the finiteness check of the
/// gradients; the sum of per-row losses). Generated code uses it; it is public for that reason only.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class CudaNetworkRuntime : IDisposable
{
    private readonly Dictionary<int, Squares> _squares = [];
    private readonly DeviceBuffer<double> _sum;
    private readonly double[] _host = new double[1];

    /// <summary>Opens GPU 0 and loads the kernels for network <paramref name="network"/>.</summary>
    /// <param name="network">The network's name, for messages.</param>
    /// <exception cref="InvalidOperationException">CUDA is not available (no <c>libcuda.so.1</c>, no device, a device older
    /// than sm_80): the message names the network and what is missing.</exception>
    public CudaNetworkRuntime(string network)
    {
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

        Kernels = new CudaKernels(Device);
        _sum = Device.Allocate<double>(1);
    }

    /// <summary>The device (GPU 0).</summary>
    public CudaDevice Device { get; }

    /// <summary>The kernels, loaded on <see cref="Device"/>; launches go to the default stream, in order.</summary>
    public CudaKernels Kernels { get; }

    /// <summary>A float buffer of <paramref name="count"/> elements (contents undefined).</summary>
    /// <param name="count">Elements.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<float> Allocate(int count) => Device.Allocate<float>(count);

    /// <summary>A float buffer of <paramref name="count"/> zeros.</summary>
    /// <param name="count">Elements.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<float> Zeros(int count)
    {
        DeviceBuffer<float> buffer = Device.Allocate<float>(count);
        buffer.Clear();
        return buffer;
    }

    /// <summary>Frees <paramref name="old"/> (when there is one) and allocates <paramref name="count"/> elements: the
    /// per-batch buffers of a generated core, sized for the rows of the current call.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="old">The buffer to free, or null.</param>
    /// <param name="count">Elements.</param>
    /// <returns>The new buffer.</returns>
    public DeviceBuffer<T> Reallocate<T>(DeviceBuffer<T>? old, int count)
        where T : unmanaged
    {
        old?.Dispose();
        return Device.Allocate<T>(count);
    }

    /// <summary>Σ values[0..count) in double (one block, a fixed tree: deterministic), copied back to the host.</summary>
    /// <param name="values">The values.</param>
    /// <param name="count">How many.</param>
    /// <returns>The sum.</returns>
    public double Sum(DeviceBuffer<double> values, int count)
    {
        Kernels.Sum(values, count, _sum);
        _sum.CopyTo(_host);
        return _host[0];
    }

    /// <summary>Σ x² in double over the whole buffer, copied back to the host: NaN or ∞ exactly when some element is not
    /// finite (a finite float squared never overflows a double). The squares come from the mean-squared-error kernel
    /// against zeros ((x − 0)² in double), summed by the deterministic reduction.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The sum of squares.</returns>
    public double SumOfSquares(DeviceBuffer<float> x)
    {
        if (!_squares.TryGetValue(x.Length, out Squares? s))
        {
            s = new Squares(Zeros(x.Length), Allocate(x.Length), Device.Allocate<double>(x.Length));
            _squares[x.Length] = s;
        }

        Kernels.MeanSquaredError(x, s.Zeros, s.Scratch, s.Values);
        return Sum(s.Values, x.Length);
    }

    /// <summary>Σ |x| in double over the whole buffer (ng_sum_abs_f64, one block, deterministic), copied back to the host:
    /// the L1 penalty's ‖w‖₁.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The sum of absolute values.</returns>
    public double SumOfAbsolutes(DeviceBuffer<float> x)
    {
        Kernels.SumOfAbsolutes(x, _sum);
        _sum.CopyTo(_host);
        return _host[0];
    }

    /// <summary>Frees the scratch, the kernels and the device.</summary>
    public void Dispose()
    {
        foreach (Squares s in _squares.Values)
        {
            s.Zeros.Dispose();
            s.Scratch.Dispose();
            s.Values.Dispose();
        }

        _squares.Clear();
        _sum.Dispose();
        Kernels.Dispose();
        Device.Dispose();
    }

    private sealed record Squares(DeviceBuffer<float> Zeros, DeviceBuffer<float> Scratch, DeviceBuffer<double> Values);
}
