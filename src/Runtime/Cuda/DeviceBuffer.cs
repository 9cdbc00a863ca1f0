using System;

namespace NetGen.Cuda;

/// <summary>Device memory of <see cref="Length"/> elements of <typeparamref name="T"/> (cuMemAlloc), freed (cuMemFree) when
/// disposed or finalized. Copies are synchronous (cuMemcpyHtoD / cuMemcpyDtoH wait for the work before them).</summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class DeviceBuffer<T> : CudaResource
    where T : unmanaged
{
    internal DeviceBuffer(PrimaryContext context, int length)
        : base(context)
    {
        Length = length;
        nuint bytes = (nuint)Math.Max(1L, (long)length * sizeof(T)); // cuMemAlloc rejects 0 bytes
        ThrowIfCreateFailed(CudaDriver.cuMemAlloc_v2(out ulong pointer, bytes), $"cuMemAlloc({bytes} bytes)");
        SetHandle((nint)pointer);
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The device address (CUdeviceptr), what a kernel launch passes.</summary>
    public ulong Pointer => (ulong)handle;

    /// <summary>Copies <paramref name="source"/> (exactly <see cref="Length"/> elements) to the device.</summary>
    /// <param name="source">The host values.</param>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length != Length)
        {
            throw new ArgumentException($"The buffer holds {Length} elements, the source {source.Length}.", nameof(source));
        }
        MakeCurrent();
        fixed (T* s = source)
        {
            Check(CudaDriver.cuMemcpyHtoD_v2(Pointer, s, Bytes), "cuMemcpyHtoD");
        }
    }

    /// <summary>Copies the buffer (exactly <see cref="Length"/> elements) to <paramref name="destination"/>.</summary>
    /// <param name="destination">The host values (overwritten).</param>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException($"The buffer holds {Length} elements, the destination {destination.Length}.", nameof(destination));
        }
        MakeCurrent();
        fixed (T* d = destination)
        {
            Check(CudaDriver.cuMemcpyDtoH_v2(d, Pointer, Bytes), "cuMemcpyDtoH");
        }
    }

    /// <summary>Copies the buffer to a new array.</summary>
    /// <returns>The values.</returns>
    public T[] ToArray()
    {
        var values = new T[Length];
        CopyTo(values);
        return values;
    }

    /// <summary>Sets every byte to zero (cuMemsetD8).</summary>
    public void Clear()
    {
        MakeCurrent();
        Check(CudaDriver.cuMemsetD8_v2(Pointer, 0, Bytes), "cuMemsetD8");
    }

    private nuint Bytes => (nuint)((long)Length * sizeof(T));

    private void MakeCurrent() =>
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context.DangerousGetHandle()), "cuCtxSetCurrent");

    private void Check(int result, string call) => CudaDriver.ThrowIfFailed(result, $"{call}({Length} × {sizeof(T)} bytes)");

    private protected override int Free() => CudaDriver.cuMemFree_v2((ulong)handle);
}
