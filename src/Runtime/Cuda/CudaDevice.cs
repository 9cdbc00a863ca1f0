using System;
using System.Runtime.InteropServices;
using System.Text;

namespace NetGen.Cuda;

/// <summary>
/// An NVIDIA GPU reached through the CUDA driver API alone (<c>libcuda.so.1</c>, which the driver installs; no toolkit, no
/// cuBLAS): its primary context, retained while this object lives. Methods make that context current on the calling
/// thread first, so an instance may be used from any thread (one at a time).
/// </summary>
/// <remarks>Dispose buffers, modules, streams and events before the device; each of them also keeps the context alive
/// until it is released, so a forgotten one never frees memory of a released context.</remarks>
public sealed unsafe class CudaDevice : IDisposable
{
    private readonly PrimaryContext _context;

    private CudaDevice(int ordinal, PrimaryContext context, string name, int major, int minor, ulong totalMemory)
    {
        Ordinal = ordinal;
        _context = context;
        Name = name;
        ComputeCapability = (major, minor);
        TotalMemory = totalMemory;
    }

    /// <summary>True when <c>libcuda.so.1</c> loads, <c>cuInit</c> succeeds and there is at least one device.</summary>
    public static bool IsAvailable => UnavailableReason is null;

    /// <summary>Why CUDA is not available (no <c>libcuda.so.1</c>, <c>cuInit</c> failed, no device), or null when it is.</summary>
    /// <remarks>Probed once per driver library (<see cref="CudaDriver.Current"/>).</remarks>
    public static string? UnavailableReason => CudaDriver.Current.Probe(Probe);

    /// <summary>The device's ordinal (0 = the first GPU the driver lists).</summary>
    public int Ordinal { get; }

    /// <summary>The device's name, as the driver reports it.</summary>
    public string Name { get; }

    /// <summary>The compute capability (8, 0 for an A100); the embedded PTX targets sm_80 and needs at least that.</summary>
    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>The device memory in bytes.</summary>
    public ulong TotalMemory { get; }

    /// <summary>The compute capability the embedded PTX is compiled for (src/Runtime/Cuda/build-ptx.sh: sm_80).</summary>
    public static (int Major, int Minor) RequiredComputeCapability => (8, 0);

    /// <summary>Opens device <paramref name="ordinal"/>: retains its primary context.</summary>
    /// <param name="ordinal">0 for the first GPU.</param>
    /// <returns>The device.</returns>
    /// <exception cref="InvalidOperationException">CUDA is not available (<see cref="UnavailableReason"/>), the ordinal is
    /// out of range, or the device is older than <see cref="RequiredComputeCapability"/>.</exception>
    /// <exception cref="CudaException">A driver call failed.</exception>
    public static CudaDevice Open(int ordinal = 0)
    {
        if (UnavailableReason is string reason)
        {
            throw new InvalidOperationException("CUDA is not available: " + reason);
        }
        CudaDriver.ThrowIfFailed(CudaDriver.cuDeviceGetCount(out int count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"There are {count} CUDA device(s).");
        }
        CudaDriver.ThrowIfFailed(CudaDriver.cuDeviceGet(out int device, ordinal), $"cuDeviceGet({ordinal})");
        byte* name = stackalloc byte[256];
        CudaDriver.ThrowIfFailed(CudaDriver.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        string deviceName = Marshal.PtrToStringUTF8((nint)name) ?? "?";
        CudaDriver.ThrowIfFailed(CudaDriver.cuDeviceGetAttribute(out int major, CudaDriver.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
        CudaDriver.ThrowIfFailed(CudaDriver.cuDeviceGetAttribute(out int minor, CudaDriver.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
        if ((major, minor).CompareTo(RequiredComputeCapability) < 0)
        {
            throw new InvalidOperationException(
                $"CUDA device {ordinal} ({deviceName}) has compute capability {major}.{minor}; NetGen's kernels need {RequiredComputeCapability.Major}.{RequiredComputeCapability.Minor} or newer.");
        }
        CudaDriver.ThrowIfFailed(CudaDriver.cuDeviceTotalMem_v2(out nuint memory, device), "cuDeviceTotalMem");
        CudaDriver.ThrowIfFailed(CudaDriver.cuDevicePrimaryCtxRetain(out nint context, device), $"cuDevicePrimaryCtxRetain({ordinal})");
        return new CudaDevice(ordinal, new PrimaryContext(context, device), deviceName, major, minor, memory);
    }

    /// <summary>Makes this device's context current on the calling thread.</summary>
    public void MakeCurrent() => CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context), "cuCtxSetCurrent");

    /// <summary>Waits for all work on the device.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>Allocates <paramref name="count"/> elements of <typeparamref name="T"/> (contents undefined).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="count">Number of elements, ≥ 0.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<T> Allocate<T>(int count)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        MakeCurrent();
        return new DeviceBuffer<T>(_context, count);
    }

    /// <summary>Allocates a buffer holding a copy of <paramref name="values"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="values">The host values.</param>
    /// <returns>The buffer.</returns>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        DeviceBuffer<T> buffer = Allocate<T>(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>Loads NetGen's kernels (the embedded PTX; the driver JIT-compiles it for this GPU).</summary>
    /// <returns>The module.</returns>
    public CudaModule LoadKernels()
    {
        MakeCurrent();
        return CudaModule.Load(_context, CudaModule.EmbeddedPtx());
    }

    /// <summary>Creates a stream (non-blocking with respect to the legacy default stream).</summary>
    /// <returns>The stream.</returns>
    public CudaStream CreateStream()
    {
        MakeCurrent();
        return new CudaStream(_context);
    }

    /// <summary>Creates a blocking stream: it waits for the legacy default stream and the legacy stream waits for it, so
    /// the synchronous copies (<see cref="DeviceView{T}.CopyTo"/>) stay in order with the launches on it.</summary>
    /// <returns>The stream.</returns>
    internal CudaStream CreateBlockingStream()
    {
        MakeCurrent();
        return new CudaStream(_context, blocking: true);
    }

    /// <summary>Creates an event (with timing).</summary>
    /// <returns>The event.</returns>
    public CudaEvent CreateEvent()
    {
        MakeCurrent();
        return new CudaEvent(_context);
    }

    /// <summary>Releases the primary context (once every buffer, module, stream and event holding it is released).</summary>
    public void Dispose() => _context.Dispose();

    private nint Context => _context.DangerousGetHandle();

    /// <summary>Loads the driver and counts devices; the reason CUDA cannot be used, or null.</summary>
    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return "the CUDA driver exists only on Linux and Windows.";
        }
        CudaDriver.Exports driver = CudaDriver.Current;
        if (driver.LoadError is not null)
        {
            return $"the NVIDIA driver library {driver.Path} cannot be loaded (no NVIDIA driver installed).";
        }
        try
        {
            int init = CudaDriver.cuInit(0);
            if (init != 0)
            {
                return $"cuInit failed with CUresult {init} ({Describe(init)}): the driver found no usable GPU.";
            }
            int count = CudaDriver.cuDeviceGetCount(out int devices);
            if (count != 0 || devices == 0)
            {
                return "the NVIDIA driver reports no CUDA device.";
            }
            return null;
        }
        catch (EntryPointNotFoundException e)
        {
            return $"{driver.Path} lacks a driver API entry point ({e.Message}); the driver is too old.";
        }
    }

    private static string Describe(int result)
    {
        if (CudaDriver.cuGetErrorName(result, out byte* name) == 0 && name != null)
        {
            return Marshal.PtrToStringUTF8((nint)name) ?? "?";
        }
        return "?";
    }
}

/// <summary>A retained primary context; released (cuDevicePrimaryCtxRelease) when the last holder lets go. It remembers
/// the driver it came from (<see cref="CudaDriver.Current"/> when it was retained): releases go there on any thread.</summary>
internal sealed class PrimaryContext : SafeHandle
{
    private readonly int _device;
    private readonly CudaDriver.Exports _driver;

    public PrimaryContext(nint context, int device)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(context);
        _device = device;
        _driver = CudaDriver.Current;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Runs <paramref name="release"/> with this context current on the calling thread (a finalizer thread has none).</summary>
    public bool WithCurrent(Func<int> release)
    {
        using CudaDriver.Scope driver = CudaDriver.Enter(_driver);
        if (CudaDriver.cuCtxPushCurrent_v2(handle) != 0)
        {
            return false;
        }
        int result = release();
        CudaDriver.cuCtxPopCurrent_v2(out _);
        return result == 0;
    }

    protected override bool ReleaseHandle()
    {
        using CudaDriver.Scope driver = CudaDriver.Enter(_driver);
        return CudaDriver.cuDevicePrimaryCtxRelease_v2(_device) == 0;
    }
}

/// <summary>A resource that belongs to a context: it holds the context (DangerousAddRef) until it is released itself.</summary>
public abstract class CudaResource : SafeHandle
{
    private readonly PrimaryContext _context;

    private protected CudaResource(PrimaryContext context)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _context = context;
        bool added = false;
        context.DangerousAddRef(ref added);
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    internal PrimaryContext Context => _context;

    /// <summary>In a constructor, before the handle is set: on failure lets the context go (ReleaseHandle never runs
    /// for a handle that was never set) and throws.</summary>
    private protected void ThrowIfCreateFailed(int result, string call)
    {
        if (result != 0)
        {
            _context.DangerousRelease();
            GC.SuppressFinalize(this);
            CudaDriver.ThrowIfFailed(result, call);
        }
    }

    /// <summary>Frees the resource with its context current, then lets the context go.</summary>
    /// <returns>Whether the driver freed it.</returns>
    protected override bool ReleaseHandle()
    {
        bool released = _context.WithCurrent(Free);
        _context.DangerousRelease();
        return released;
    }

    private protected abstract int Free();
}
