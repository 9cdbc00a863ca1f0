using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace NetGen.Cuda;

/// <summary>A loaded PTX module (cuModuleLoadData: the driver JIT-compiles the PTX for the GPU), unloaded when
/// disposed.</summary>
public sealed unsafe class CudaModule : CudaResource
{
    /// <summary>The manifest resource name of the embedded kernels (NetGen.Runtime.csproj).</summary>
    public const string PtxResourceName = "NetGen.Cuda.kernels.ptx";

    private CudaModule(PrimaryContext context)
        : base(context)
    {
    }

    /// <summary>The embedded PTX of src/Runtime/Cuda/kernels.cu, as text.</summary>
    /// <returns>The PTX.</returns>
    public static string EmbeddedPtxText() => Encoding.ASCII.GetString(EmbeddedPtx().AsSpan().TrimEnd((byte)0));

    /// <summary>The embedded PTX, NUL-terminated (as cuModuleLoadData reads it).</summary>
    /// <returns>The bytes.</returns>
    internal static byte[] EmbeddedPtx()
    {
        using Stream stream = typeof(CudaModule).Assembly.GetManifestResourceStream(PtxResourceName)
            ?? throw new InvalidOperationException($"NetGen.Runtime has no resource {PtxResourceName}.");
        var bytes = new byte[stream.Length + 1];
        stream.ReadExactly(bytes, 0, (int)stream.Length);
        return bytes;
    }

    internal static CudaModule Load(PrimaryContext context, byte[] ptx)
    {
        var module = new CudaModule(context);
        fixed (byte* image = ptx)
        {
            // CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222) means a driver older than the PTX ISA 7.0 of the module.
            module.ThrowIfCreateFailed(CudaDriver.cuModuleLoadData(out nint handle, image), "cuModuleLoadData(NetGen kernels, PTX ISA 7.0, sm_80)");
            module.SetHandle(handle);
        }
        return module;
    }

    /// <summary>Looks up kernel <paramref name="name"/> (its extern "C" name in kernels.cu).</summary>
    /// <param name="name">The kernel, e.g. "ng_sgemm".</param>
    /// <returns>The function.</returns>
    public CudaFunction GetFunction(string name)
    {
        CudaDriver.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(Context.DangerousGetHandle()), "cuCtxSetCurrent");
        byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* n = utf8)
        {
            CudaDriver.ThrowIfFailed(CudaDriver.cuModuleGetFunction(out nint function, handle, n), $"cuModuleGetFunction({name})");
            return new CudaFunction(function, name, this);
        }
    }

    private protected override int Free() => CudaDriver.cuModuleUnload(handle);
}

/// <summary>One argument of a kernel launch: the value in an 8-byte slot (the driver reads as many bytes as the kernel's
/// parameter has: 4 for int and float, 8 for double, unsigned long long and pointers).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct KernelArg
{
    private readonly ulong _bits;

    private KernelArg(ulong bits) => _bits = bits;

    /// <summary>The slot's bits.</summary>
    public ulong Bits => _bits;

    /// <summary>An int parameter.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(int value) => new((uint)value);

    /// <summary>A float parameter.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(float value) => new(BitConverter.SingleToUInt32Bits(value));

    /// <summary>A double parameter.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(double value) => new(BitConverter.DoubleToUInt64Bits(value));

    /// <summary>An unsigned long long parameter (an RNG key), or a raw device address (0 = null).</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(ulong value) => new(value);

    /// <summary>A pointer parameter: the buffer's device address.</summary>
    /// <param name="buffer">The buffer.</param>
    public static implicit operator KernelArg(DeviceBuffer<float> buffer) => new(buffer.Pointer);

    /// <summary>A pointer parameter: the buffer's device address.</summary>
    /// <param name="buffer">The buffer.</param>
    public static implicit operator KernelArg(DeviceBuffer<int> buffer) => new(buffer.Pointer);

    /// <summary>A pointer parameter: the buffer's device address.</summary>
    /// <param name="buffer">The buffer.</param>
    public static implicit operator KernelArg(DeviceBuffer<double> buffer) => new(buffer.Pointer);

    /// <summary>A pointer parameter: the view's device address.</summary>
    /// <param name="view">The view.</param>
    public static implicit operator KernelArg(DeviceView<float> view) => new(view.Pointer);

    /// <summary>A pointer parameter: the view's device address.</summary>
    /// <param name="view">The view.</param>
    public static implicit operator KernelArg(DeviceView<int> view) => new(view.Pointer);

    /// <summary>A pointer parameter: the view's device address.</summary>
    /// <param name="view">The view.</param>
    public static implicit operator KernelArg(DeviceView<double> view) => new(view.Pointer);
}

/// <summary>A kernel of a loaded module (cuModuleGetFunction); valid while its module is.</summary>
public sealed unsafe class CudaFunction
{
    private readonly nint _function;
    private readonly CudaModule _module;

    internal CudaFunction(nint function, string name, CudaModule module)
    {
        _function = function;
        Name = name;
        _module = module;
    }

    /// <summary>The kernel's name.</summary>
    public string Name { get; }

    /// <summary>Launches the kernel (cuLaunchKernel), asynchronously on <paramref name="stream"/> (null = the default
    /// stream). The arguments must match the kernel's parameters in order and type (kernels.cu).</summary>
    /// <param name="grid">Blocks in x, y.</param>
    /// <param name="block">Threads per block in x, y.</param>
    /// <param name="stream">The stream, or null.</param>
    /// <param name="args">The arguments.</param>
    public void Launch((uint X, uint Y) grid, (uint X, uint Y) block, CudaStream? stream, params ReadOnlySpan<KernelArg> args)
    {
        if (CudaGraph.Intercept(_function, grid, block, args))
        {
            return; // a graph's replay compares the launches and launches nothing itself
        }
        ulong* slots = stackalloc ulong[Math.Max(1, args.Length)];
        void** pointers = stackalloc void*[Math.Max(1, args.Length)];
        for (int i = 0; i < args.Length; i++)
        {
            slots[i] = args[i].Bits;
            pointers[i] = slots + i;
        }
        nint s = stream is null ? 0 : stream.DangerousGetHandle();
        int result = CudaDriver.cuLaunchKernel(_function, grid.X, grid.Y, 1, block.X, block.Y, 1, 0, s, pointers, null);
        if (result != 0) // the message only for a failure: a launch allocates nothing
        {
            CudaDriver.ThrowIfFailed(result, $"cuLaunchKernel({Name}, grid {grid.X}×{grid.Y}, block {block.X}×{block.Y})");
        }
        GC.KeepAlive(_module);
    }
}

/// <summary>A CUDA stream (cuStreamCreate, non-blocking unless asked otherwise), destroyed when disposed.</summary>
public sealed class CudaStream : CudaResource
{
    internal CudaStream(PrimaryContext context, bool blocking = false)
        : base(context)
    {
        ThrowIfCreateFailed(CudaDriver.cuStreamCreate(out nint stream, blocking ? 0u : 1u), blocking ? "cuStreamCreate(CU_STREAM_DEFAULT)" : "cuStreamCreate(CU_STREAM_NON_BLOCKING)");
        SetHandle(stream);
    }

    /// <summary>Waits until every operation on the stream is done.</summary>
    public void Synchronize() => CudaDriver.ThrowIfFailed(CudaDriver.cuStreamSynchronize(handle), "cuStreamSynchronize");

    private protected override int Free() => CudaDriver.cuStreamDestroy_v2(handle);
}

/// <summary>A CUDA event (cuEventCreate), destroyed when disposed: marks a point in a stream, for waiting and timing.</summary>
public sealed class CudaEvent : CudaResource
{
    internal CudaEvent(PrimaryContext context)
        : base(context)
    {
        ThrowIfCreateFailed(CudaDriver.cuEventCreate(out nint cudaEvent, 0), "cuEventCreate");
        SetHandle(cudaEvent);
    }

    /// <summary>Records the event on <paramref name="stream"/> (null = the default stream).</summary>
    /// <param name="stream">The stream.</param>
    public void Record(CudaStream? stream) =>
        CudaDriver.ThrowIfFailed(CudaDriver.cuEventRecord(handle, stream is null ? 0 : stream.DangerousGetHandle()), "cuEventRecord");

    /// <summary>Waits until the event has happened.</summary>
    public void Synchronize() => CudaDriver.ThrowIfFailed(CudaDriver.cuEventSynchronize(handle), "cuEventSynchronize");

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and completed).</summary>
    /// <param name="start">The earlier event.</param>
    /// <returns>The elapsed time.</returns>
    public float MillisecondsSince(CudaEvent start)
    {
        CudaDriver.ThrowIfFailed(CudaDriver.cuEventElapsedTime(out float ms, start.DangerousGetHandle(), handle), "cuEventElapsedTime");
        return ms;
    }

    private protected override int Free() => CudaDriver.cuEventDestroy_v2(handle);
}
