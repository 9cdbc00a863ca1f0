using System;

namespace NetGen.Cuda;

/// <summary>
/// A non-owning view of device memory: a device address and a number of elements of <typeparamref name="T"/>, what the
/// typed launches of <see cref="CudaKernels"/> take. A <see cref="DeviceBuffer{T}"/> converts to one; a generated CUDA core
/// takes its tensors as views into a few arenas (<see cref="DeviceArena"/>), so a tensor is an offset, not an allocation
/// (docs/adr/0045-device-arenas-dispose-and-cuda-graphs.md). The memory belongs to whoever allocated it: a view is valid
/// while that allocation lives, and copying a view copies the address only.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly unsafe struct DeviceView<T> : IEquatable<DeviceView<T>>
    where T : unmanaged
{
    /// <summary>A view of <paramref name="length"/> elements at device address <paramref name="pointer"/>.</summary>
    /// <param name="pointer">The device address (CUdeviceptr); 0 only for an empty view.</param>
    /// <param name="length">Number of elements, ≥ 0.</param>
    public DeviceView(ulong pointer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Pointer = pointer;
        Length = length;
    }

    /// <summary>The device address (CUdeviceptr), what a kernel launch passes.</summary>
    public ulong Pointer { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The view of a whole buffer.</summary>
    /// <param name="buffer">The buffer (it keeps owning its memory).</param>
    public static implicit operator DeviceView<T>(DeviceBuffer<T> buffer) =>
        buffer is null ? default : new DeviceView<T>(buffer.Pointer, buffer.Length);

    /// <summary>Elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) of this view.</summary>
    /// <param name="start">First element.</param>
    /// <param name="length">Number of elements.</param>
    /// <returns>The view.</returns>
    public DeviceView<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)Length || (uint)length > (uint)(Length - start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start}+{length}) is not inside a view of {Length} elements.");
        }
        return new DeviceView<T>(Pointer + (ulong)start * (ulong)sizeof(T), length);
    }

    /// <summary>Copies <paramref name="source"/> (exactly <see cref="Length"/> elements) to the device, synchronously
    /// (cuMemcpyHtoD on the legacy stream: after the work before it on a blocking stream).</summary>
    /// <param name="source">The host values.</param>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length != Length)
        {
            throw new ArgumentException($"The view holds {Length} elements, the source {source.Length}.", nameof(source));
        }
        if (Length == 0)
        {
            return;
        }
        fixed (T* s = source)
        {
            Check(CudaDriver.cuMemcpyHtoD_v2(Pointer, s, Bytes), "cuMemcpyHtoD");
        }
    }

    /// <summary>Copies the view (exactly <see cref="Length"/> elements) to <paramref name="destination"/>, waiting for the
    /// work before it.</summary>
    /// <param name="destination">The host values (overwritten).</param>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException($"The view holds {Length} elements, the destination {destination.Length}.", nameof(destination));
        }
        if (Length == 0)
        {
            return;
        }
        fixed (T* d = destination)
        {
            Check(CudaDriver.cuMemcpyDtoH_v2(d, Pointer, Bytes), "cuMemcpyDtoH");
        }
    }

    /// <summary>Copies the view to a new array.</summary>
    /// <returns>The values.</returns>
    public T[] ToArray()
    {
        var values = new T[Length];
        CopyTo(values);
        return values;
    }

    /// <summary>Sets every byte to zero, synchronously (cuMemsetD8). Inside a captured step use
    /// <see cref="CudaKernels.Clear{T}"/>, which is a node of the graph.</summary>
    public void Clear()
    {
        if (Length > 0)
        {
            Check(CudaDriver.cuMemsetD8_v2(Pointer, 0, Bytes), "cuMemsetD8");
        }
    }

    /// <inheritdoc/>
    public bool Equals(DeviceView<T> other) => Pointer == other.Pointer && Length == other.Length;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is DeviceView<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Pointer, Length);

    /// <summary>Same address and length.</summary>
    /// <param name="left">A view.</param>
    /// <param name="right">A view.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(DeviceView<T> left, DeviceView<T> right) => left.Equals(right);

    /// <summary>Another address or length.</summary>
    /// <param name="left">A view.</param>
    /// <param name="right">A view.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(DeviceView<T> left, DeviceView<T> right) => !left.Equals(right);

    internal nuint Bytes => (nuint)((long)Length * sizeof(T));

    private void Check(int result, string call)
    {
        if (result != 0) // the message only for a failure: a copy allocates nothing
        {
            CudaDriver.ThrowIfFailed(result, $"{call}({Length} × {sizeof(T)} bytes)");
        }
    }
}

/// <summary>
/// One device allocation carved into views (<see cref="Take{T}"/>), each start aligned to <see cref="Alignment"/> bytes: a
/// generated CUDA core's parameters, gradients and optimizer state, or its per-row activations. Owns its memory through a
/// <see cref="DeviceBuffer{T}"/> (a SafeHandle: a forgotten Dispose is still freed by the finalizer).
/// </summary>
public sealed class DeviceArena : IDisposable
{
    /// <summary>Every view starts on a multiple of this many bytes (coalesced loads, and room for vector types).</summary>
    public const int Alignment = 256;

    private readonly DeviceBuffer<byte> _memory;
    private long _used;

    internal DeviceArena(CudaDevice device, long bytes)
    {
        if (bytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"A device arena of {bytes} bytes is more than one allocation of {int.MaxValue} bytes NetGen makes.");
        }
        _memory = device.Allocate<byte>((int)Math.Max(1, bytes));
        Capacity = bytes;
    }

    /// <summary>Bytes the arena holds.</summary>
    public long Capacity { get; }

    /// <summary>Bytes a set of views needs: each view's bytes rounded up to <see cref="Alignment"/>.</summary>
    /// <param name="bytes">The views' sizes in bytes.</param>
    /// <returns>The arena size.</returns>
    public static long Size(params ReadOnlySpan<long> bytes)
    {
        long total = 0;
        foreach (long b in bytes)
        {
            total += Align(b);
        }
        return total;
    }

    /// <summary>Forgets the views taken so far: the next <see cref="Take{T}"/> starts at the beginning again.</summary>
    public void Reset() => _used = 0;

    /// <summary>The next <paramref name="count"/> elements, starting at the next aligned offset.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="count">Elements, ≥ 0.</param>
    /// <returns>The view.</returns>
    /// <exception cref="InvalidOperationException">The arena is too small (a layout that does not match its size).</exception>
    public unsafe DeviceView<T> Take<T>(int count)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long bytes = (long)count * sizeof(T);
        if (_used + bytes > Capacity)
        {
            throw new InvalidOperationException($"The device arena of {Capacity} bytes has {Capacity - _used} left, not the {bytes} asked for.");
        }
        var view = new DeviceView<T>(_memory.Pointer + (ulong)_used, count);
        _used += Align(bytes);
        return view;
    }

    /// <summary>Sets every byte to zero (synchronously).</summary>
    public void Clear() => _memory.Clear();

    /// <summary>Frees the allocation (idempotent); views into it are invalid afterwards.</summary>
    public void Dispose() => _memory.Dispose();

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
