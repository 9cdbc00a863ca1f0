using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

// The GPU check rehearses on the emulated driver (NETGEN_CUDA_DRIVER, tests/gpu/run-gpu-checks.sh --emulated).
[assembly: InternalsVisibleTo("NetGen.CudaCheck")]

namespace NetGen.Cuda;

/// <summary>
/// The CUDA driver API (<c>libcuda.so.1</c>, installed with the NVIDIA driver; no toolkit), the calls NetGen makes. Each
/// call goes through an unmanaged function pointer looked up once per library (<see cref="NativeLibrary.GetExport"/>), with
/// blittable parameters only (integers, pointers), so the binding is NativeAOT-safe and needs no marshalling.
/// Handles (<c>CUcontext</c>, <c>CUmodule</c>, <c>CUfunction</c>, <c>CUstream</c>, <c>CUevent</c>, <c>CUgraph</c>,
/// <c>CUgraphExec</c>) are <see cref="nint"/>; a <c>CUdeviceptr</c> is a 64-bit <see cref="ulong"/>; a <c>CUresult</c> is
/// an <see cref="int"/>, 0 = success. The <c>_v2</c> names are the exported symbols of the 64-bit API that cuda.h maps the
/// plain names onto.
/// </summary>
/// <remarks>
/// The library is <c>libcuda.so.1</c> unless the caller is inside <see cref="Use"/>: tests point the whole stack at the
/// emulated driver of tests/cuda-host (docs/adr/0037) that way. The choice is an <see cref="AsyncLocal{T}"/>: it holds for
/// the calling thread and the tasks and thread-pool work it starts, and for no one else. A context remembers the driver
/// it came from (<see cref="PrimaryContext"/>), so resources are freed through it on any thread, the finalizer's
/// included. Without the library every call throws
/// <see cref="DllNotFoundException"/>; without an export, <see cref="EntryPointNotFoundException"/>.
/// </remarks>
internal static unsafe partial class CudaDriver
{
    /// <summary>The driver's shared library.</summary>
    public const string Library = "libcuda.so.1";

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls are prohibited during a capture.</summary>
    public const int CaptureModeThreadLocal = 1;

    private static readonly Lazy<Exports> s_system = new(() => new Exports(Library));

    private static readonly AsyncLocal<Exports?> s_override = new();

    /// <summary>The driver the caller's calls go to: the one <see cref="Use"/> installed, else <see cref="Library"/>.</summary>
    internal static Exports Current => s_override.Value ?? s_system.Value;

    /// <summary>Until the scope is disposed, the caller's driver calls (and those of the tasks it starts) go to <paramref name="library"/> (a path or a
    /// name the loader finds), loaded now; a failed load is reported by the calls, as for <see cref="Library"/>. Each scope
    /// probes availability afresh (<see cref="CudaDevice.UnavailableReason"/>). For tests: the emulated driver.</summary>
    /// <param name="library">The shared library exporting the driver API.</param>
    /// <returns>The scope; dispose it in the same flow (thread or async method).</returns>
    internal static Scope Use(string library) => Enter(new Exports(library));

    /// <summary>Makes <paramref name="driver"/> the caller's driver until the scope is disposed.</summary>
    /// <param name="driver">The driver.</param>
    /// <returns>The scope.</returns>
    internal static Scope Enter(Exports driver)
    {
        Exports? previous = s_override.Value;
        s_override.Value = driver;
        return new Scope(previous);
    }

    /// <summary>Restores the caller's previous driver.</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly Exports? _previous;

        internal Scope(Exports? previous) => _previous = previous;

        public void Dispose() => s_override.Value = _previous;
    }

    /// <summary>One loaded driver library: its exports, or why it did not load; and what <see cref="CudaDevice"/> found when it
    /// probed it.</summary>
    internal sealed class Exports
    {
        private readonly nint _handle;
        private readonly object _probeLock = new();
        private string? _unavailableReason;
        private bool _probed;

        public readonly nint cuInit;
        public readonly nint cuDriverGetVersion;
        public readonly nint cuDeviceGetCount;
        public readonly nint cuDeviceGet;
        public readonly nint cuDeviceGetName;
        public readonly nint cuDeviceGetAttribute;
        public readonly nint cuDeviceTotalMem_v2;
        public readonly nint cuDevicePrimaryCtxRetain;
        public readonly nint cuDevicePrimaryCtxRelease_v2;
        public readonly nint cuCtxSetCurrent;
        public readonly nint cuCtxPushCurrent_v2;
        public readonly nint cuCtxPopCurrent_v2;
        public readonly nint cuCtxSynchronize;
        public readonly nint cuMemAlloc_v2;
        public readonly nint cuMemFree_v2;
        public readonly nint cuMemsetD8_v2;
        public readonly nint cuMemcpyHtoD_v2;
        public readonly nint cuMemcpyDtoH_v2;
        public readonly nint cuMemcpyDtoD_v2;
        public readonly nint cuModuleLoadData;
        public readonly nint cuModuleUnload;
        public readonly nint cuModuleGetFunction;
        public readonly nint cuLaunchKernel;
        public readonly nint cuStreamCreate;
        public readonly nint cuStreamDestroy_v2;
        public readonly nint cuStreamSynchronize;
        public readonly nint cuStreamBeginCapture_v2;
        public readonly nint cuStreamEndCapture;
        public readonly nint cuGraphInstantiateWithFlags;
        public readonly nint cuGraphLaunch;
        public readonly nint cuGraphExecDestroy;
        public readonly nint cuGraphDestroy;
        public readonly nint cuMemsetD8Async;
        public readonly nint cuGraphGetRootNodes;
        public readonly nint cuGraphNodeGetDependentNodes;
        public readonly nint cuGraphExecKernelNodeSetParams;
        public readonly nint cuEventCreate;
        public readonly nint cuEventDestroy_v2;
        public readonly nint cuEventRecord;
        public readonly nint cuEventSynchronize;
        public readonly nint cuEventElapsedTime;
        public readonly nint cuGetErrorName;
        public readonly nint cuGetErrorString;

        public Exports(string library)
        {
            Path = library;
            try
            {
                _handle = NativeLibrary.Load(library, typeof(CudaDriver).Assembly, null);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                LoadError = e.Message;
                return;
            }
            cuInit = Export(nameof(cuInit));
            cuDriverGetVersion = Export(nameof(cuDriverGetVersion));
            cuDeviceGetCount = Export(nameof(cuDeviceGetCount));
            cuDeviceGet = Export(nameof(cuDeviceGet));
            cuDeviceGetName = Export(nameof(cuDeviceGetName));
            cuDeviceGetAttribute = Export(nameof(cuDeviceGetAttribute));
            cuDeviceTotalMem_v2 = Export(nameof(cuDeviceTotalMem_v2));
            cuDevicePrimaryCtxRetain = Export(nameof(cuDevicePrimaryCtxRetain));
            cuDevicePrimaryCtxRelease_v2 = Export(nameof(cuDevicePrimaryCtxRelease_v2));
            cuCtxSetCurrent = Export(nameof(cuCtxSetCurrent));
            cuCtxPushCurrent_v2 = Export(nameof(cuCtxPushCurrent_v2));
            cuCtxPopCurrent_v2 = Export(nameof(cuCtxPopCurrent_v2));
            cuCtxSynchronize = Export(nameof(cuCtxSynchronize));
            cuMemAlloc_v2 = Export(nameof(cuMemAlloc_v2));
            cuMemFree_v2 = Export(nameof(cuMemFree_v2));
            cuMemsetD8_v2 = Export(nameof(cuMemsetD8_v2));
            cuMemcpyHtoD_v2 = Export(nameof(cuMemcpyHtoD_v2));
            cuMemcpyDtoH_v2 = Export(nameof(cuMemcpyDtoH_v2));
            cuMemcpyDtoD_v2 = Export(nameof(cuMemcpyDtoD_v2));
            cuModuleLoadData = Export(nameof(cuModuleLoadData));
            cuModuleUnload = Export(nameof(cuModuleUnload));
            cuModuleGetFunction = Export(nameof(cuModuleGetFunction));
            cuLaunchKernel = Export(nameof(cuLaunchKernel));
            cuStreamCreate = Export(nameof(cuStreamCreate));
            cuStreamDestroy_v2 = Export(nameof(cuStreamDestroy_v2));
            cuStreamSynchronize = Export(nameof(cuStreamSynchronize));
            cuStreamBeginCapture_v2 = Export(nameof(cuStreamBeginCapture_v2));
            cuStreamEndCapture = Export(nameof(cuStreamEndCapture));
            cuGraphInstantiateWithFlags = Export(nameof(cuGraphInstantiateWithFlags));
            cuGraphLaunch = Export(nameof(cuGraphLaunch));
            cuGraphExecDestroy = Export(nameof(cuGraphExecDestroy));
            cuGraphDestroy = Export(nameof(cuGraphDestroy));
            cuMemsetD8Async = Export(nameof(cuMemsetD8Async));
            cuGraphGetRootNodes = Export(nameof(cuGraphGetRootNodes));
            cuGraphNodeGetDependentNodes = Export(nameof(cuGraphNodeGetDependentNodes));
            cuGraphExecKernelNodeSetParams = Export(nameof(cuGraphExecKernelNodeSetParams));
            cuEventCreate = Export(nameof(cuEventCreate));
            cuEventDestroy_v2 = Export(nameof(cuEventDestroy_v2));
            cuEventRecord = Export(nameof(cuEventRecord));
            cuEventSynchronize = Export(nameof(cuEventSynchronize));
            cuEventElapsedTime = Export(nameof(cuEventElapsedTime));
            cuGetErrorName = Export(nameof(cuGetErrorName));
            cuGetErrorString = Export(nameof(cuGetErrorString));
        }

        /// <summary>The library's name or path.</summary>
        public string Path { get; }

        /// <summary>Why the library did not load, or null.</summary>
        public string? LoadError { get; }

        /// <summary>Runs <paramref name="probe"/> once for this driver and returns what it found.</summary>
        /// <param name="probe">The probe (CudaDevice's).</param>
        /// <returns>The reason CUDA is unavailable, or null.</returns>
        public string? Probe(Func<string?> probe)
        {
            lock (_probeLock)
            {
                if (!_probed)
                {
                    _unavailableReason = probe();
                    _probed = true;
                }
                return _unavailableReason;
            }
        }

        private nint Export(string name) => NativeLibrary.TryGetExport(_handle, name, out nint address) ? address : 0;
    }

    private static nint Entry(nint address, string name) => address != 0 ? address : Missing(name);

    [DoesNotReturn]
    private static nint Missing(string name)
    {
        Exports d = Current;
        if (d.LoadError is not null)
        {
            throw new DllNotFoundException(d.LoadError);
        }
        throw new EntryPointNotFoundException($"{d.Path} has no export {name}.");
    }

    public static int cuInit(uint flags)
    {
        Exports d = Current;
        return ((delegate* unmanaged<uint, int>)Entry(d.cuInit, nameof(cuInit)))(flags);
    }

    public static int cuDriverGetVersion(out int version)
    {
        Exports d = Current;
        int versionOut;
        int status = ((delegate* unmanaged<int*, int>)Entry(d.cuDriverGetVersion, nameof(cuDriverGetVersion)))(&versionOut);
        version = versionOut;
        return status;
    }

    public static int cuDeviceGetCount(out int count)
    {
        Exports d = Current;
        int countOut;
        int status = ((delegate* unmanaged<int*, int>)Entry(d.cuDeviceGetCount, nameof(cuDeviceGetCount)))(&countOut);
        count = countOut;
        return status;
    }

    public static int cuDeviceGet(out int device, int ordinal)
    {
        Exports d = Current;
        int deviceOut;
        int status = ((delegate* unmanaged<int*, int, int>)Entry(d.cuDeviceGet, nameof(cuDeviceGet)))(&deviceOut, ordinal);
        device = deviceOut;
        return status;
    }

    public static int cuDeviceGetName(byte* name, int length, int device)
    {
        Exports d = Current;
        return ((delegate* unmanaged<byte*, int, int, int>)Entry(d.cuDeviceGetName, nameof(cuDeviceGetName)))(name, length, device);
    }

    public static int cuDeviceGetAttribute(out int value, int attribute, int device)
    {
        Exports d = Current;
        int valueOut;
        int status = ((delegate* unmanaged<int*, int, int, int>)Entry(d.cuDeviceGetAttribute, nameof(cuDeviceGetAttribute)))(&valueOut, attribute, device);
        value = valueOut;
        return status;
    }

    public static int cuDeviceTotalMem_v2(out nuint bytes, int device)
    {
        Exports d = Current;
        nuint bytesOut;
        int status = ((delegate* unmanaged<nuint*, int, int>)Entry(d.cuDeviceTotalMem_v2, nameof(cuDeviceTotalMem_v2)))(&bytesOut, device);
        bytes = bytesOut;
        return status;
    }

    public static int cuDevicePrimaryCtxRetain(out nint context, int device)
    {
        Exports d = Current;
        nint contextOut;
        int status = ((delegate* unmanaged<nint*, int, int>)Entry(d.cuDevicePrimaryCtxRetain, nameof(cuDevicePrimaryCtxRetain)))(&contextOut, device);
        context = contextOut;
        return status;
    }

    public static int cuDevicePrimaryCtxRelease_v2(int device)
    {
        Exports d = Current;
        return ((delegate* unmanaged<int, int>)Entry(d.cuDevicePrimaryCtxRelease_v2, nameof(cuDevicePrimaryCtxRelease_v2)))(device);
    }

    public static int cuCtxSetCurrent(nint context)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuCtxSetCurrent, nameof(cuCtxSetCurrent)))(context);
    }

    public static int cuCtxPushCurrent_v2(nint context)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuCtxPushCurrent_v2, nameof(cuCtxPushCurrent_v2)))(context);
    }

    public static int cuCtxPopCurrent_v2(out nint context)
    {
        Exports d = Current;
        nint contextOut;
        int status = ((delegate* unmanaged<nint*, int>)Entry(d.cuCtxPopCurrent_v2, nameof(cuCtxPopCurrent_v2)))(&contextOut);
        context = contextOut;
        return status;
    }

    public static int cuCtxSynchronize()
    {
        Exports d = Current;
        return ((delegate* unmanaged<int>)Entry(d.cuCtxSynchronize, nameof(cuCtxSynchronize)))();
    }

    public static int cuMemAlloc_v2(out ulong pointer, nuint bytes)
    {
        Exports d = Current;
        ulong pointerOut;
        int status = ((delegate* unmanaged<ulong*, nuint, int>)Entry(d.cuMemAlloc_v2, nameof(cuMemAlloc_v2)))(&pointerOut, bytes);
        pointer = pointerOut;
        return status;
    }

    public static int cuMemFree_v2(ulong pointer)
    {
        Exports d = Current;
        return ((delegate* unmanaged<ulong, int>)Entry(d.cuMemFree_v2, nameof(cuMemFree_v2)))(pointer);
    }

    public static int cuMemsetD8_v2(ulong pointer, byte value, nuint count)
    {
        Exports d = Current;
        return ((delegate* unmanaged<ulong, byte, nuint, int>)Entry(d.cuMemsetD8_v2, nameof(cuMemsetD8_v2)))(pointer, value, count);
    }

    public static int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes)
    {
        Exports d = Current;
        return ((delegate* unmanaged<ulong, void*, nuint, int>)Entry(d.cuMemcpyHtoD_v2, nameof(cuMemcpyHtoD_v2)))(destination, source, bytes);
    }

    public static int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes)
    {
        Exports d = Current;
        return ((delegate* unmanaged<void*, ulong, nuint, int>)Entry(d.cuMemcpyDtoH_v2, nameof(cuMemcpyDtoH_v2)))(destination, source, bytes);
    }

    public static int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes)
    {
        Exports d = Current;
        return ((delegate* unmanaged<ulong, ulong, nuint, int>)Entry(d.cuMemcpyDtoD_v2, nameof(cuMemcpyDtoD_v2)))(destination, source, bytes);
    }

    public static int cuModuleLoadData(out nint module, void* image)
    {
        Exports d = Current;
        nint moduleOut;
        int status = ((delegate* unmanaged<nint*, void*, int>)Entry(d.cuModuleLoadData, nameof(cuModuleLoadData)))(&moduleOut, image);
        module = moduleOut;
        return status;
    }

    public static int cuModuleUnload(nint module)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuModuleUnload, nameof(cuModuleUnload)))(module);
    }

    public static int cuModuleGetFunction(out nint function, nint module, byte* name)
    {
        Exports d = Current;
        nint functionOut;
        int status = ((delegate* unmanaged<nint*, nint, byte*, int>)Entry(d.cuModuleGetFunction, nameof(cuModuleGetFunction)))(&functionOut, module, name);
        function = functionOut;
        return status;
    }

    public static int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ, uint sharedBytes, nint stream, void** parameters, void** extra)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)Entry(d.cuLaunchKernel, nameof(cuLaunchKernel)))(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, parameters, extra);
    }

    public static int cuStreamCreate(out nint stream, uint flags)
    {
        Exports d = Current;
        nint streamOut;
        int status = ((delegate* unmanaged<nint*, uint, int>)Entry(d.cuStreamCreate, nameof(cuStreamCreate)))(&streamOut, flags);
        stream = streamOut;
        return status;
    }

    public static int cuStreamDestroy_v2(nint stream)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuStreamDestroy_v2, nameof(cuStreamDestroy_v2)))(stream);
    }

    public static int cuStreamSynchronize(nint stream)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuStreamSynchronize, nameof(cuStreamSynchronize)))(stream);
    }

    public static int cuStreamBeginCapture_v2(nint stream, int mode)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int, int>)Entry(d.cuStreamBeginCapture_v2, nameof(cuStreamBeginCapture_v2)))(stream, mode);
    }

    public static int cuStreamEndCapture(nint stream, out nint graph)
    {
        Exports d = Current;
        nint graphOut;
        int status = ((delegate* unmanaged<nint, nint*, int>)Entry(d.cuStreamEndCapture, nameof(cuStreamEndCapture)))(stream, &graphOut);
        graph = graphOut;
        return status;
    }

    public static int cuGraphInstantiateWithFlags(out nint exec, nint graph, ulong flags)
    {
        Exports d = Current;
        nint execOut;
        int status = ((delegate* unmanaged<nint*, nint, ulong, int>)Entry(d.cuGraphInstantiateWithFlags, nameof(cuGraphInstantiateWithFlags)))(&execOut, graph, flags);
        exec = execOut;
        return status;
    }

    public static int cuGraphLaunch(nint exec, nint stream)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, nint, int>)Entry(d.cuGraphLaunch, nameof(cuGraphLaunch)))(exec, stream);
    }

    public static int cuGraphExecDestroy(nint exec)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuGraphExecDestroy, nameof(cuGraphExecDestroy)))(exec);
    }

    public static int cuGraphDestroy(nint graph)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuGraphDestroy, nameof(cuGraphDestroy)))(graph);
    }

    /// <summary>An asynchronous memset on <paramref name="stream"/>: a memset node when the stream is capturing.</summary>
    public static int cuMemsetD8Async(ulong pointer, byte value, nuint count, nint stream)
    {
        Exports d = Current;
        return ((delegate* unmanaged<ulong, byte, nuint, nint, int>)Entry(d.cuMemsetD8Async, nameof(cuMemsetD8Async)))(pointer, value, count, stream);
    }

    /// <summary>The root nodes of a graph (nodes null: only their number).</summary>
    public static int cuGraphGetRootNodes(nint graph, nint* nodes, nuint* count)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, nint*, nuint*, int>)Entry(d.cuGraphGetRootNodes, nameof(cuGraphGetRootNodes)))(graph, nodes, count);
    }

    /// <summary>The nodes that depend on <paramref name="node"/> (nodes null: only their number).</summary>
    public static int cuGraphNodeGetDependentNodes(nint node, nint* nodes, nuint* count)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, nint*, nuint*, int>)Entry(d.cuGraphNodeGetDependentNodes, nameof(cuGraphNodeGetDependentNodes)))(node, nodes, count);
    }

    /// <summary>Sets the parameters of a kernel node of an executable graph (CUDA_KERNEL_NODE_PARAMS, the v1 layout):
    /// the next launch of the graph uses them.</summary>
    public static int cuGraphExecKernelNodeSetParams(nint exec, nint node, KernelNodeParams* parameters)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, nint, KernelNodeParams*, int>)Entry(d.cuGraphExecKernelNodeSetParams, nameof(cuGraphExecKernelNodeSetParams)))(exec, node, parameters);
    }

    /// <summary>CUDA_KERNEL_NODE_PARAMS (cuda.h, the v1 layout that cuGraphExecKernelNodeSetParams reads).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct KernelNodeParams
    {
        public nint Function;
        public uint GridX, GridY, GridZ;
        public uint BlockX, BlockY, BlockZ;
        public uint SharedMemBytes;
        public void** KernelParams;
        public void** Extra;
    }

    public static int cuEventCreate(out nint cudaEvent, uint flags)
    {
        Exports d = Current;
        nint cudaEventOut;
        int status = ((delegate* unmanaged<nint*, uint, int>)Entry(d.cuEventCreate, nameof(cuEventCreate)))(&cudaEventOut, flags);
        cudaEvent = cudaEventOut;
        return status;
    }

    public static int cuEventDestroy_v2(nint cudaEvent)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuEventDestroy_v2, nameof(cuEventDestroy_v2)))(cudaEvent);
    }

    public static int cuEventRecord(nint cudaEvent, nint stream)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, nint, int>)Entry(d.cuEventRecord, nameof(cuEventRecord)))(cudaEvent, stream);
    }

    public static int cuEventSynchronize(nint cudaEvent)
    {
        Exports d = Current;
        return ((delegate* unmanaged<nint, int>)Entry(d.cuEventSynchronize, nameof(cuEventSynchronize)))(cudaEvent);
    }

    public static int cuEventElapsedTime(out float milliseconds, nint start, nint end)
    {
        Exports d = Current;
        float millisecondsOut;
        int status = ((delegate* unmanaged<float*, nint, nint, int>)Entry(d.cuEventElapsedTime, nameof(cuEventElapsedTime)))(&millisecondsOut, start, end);
        milliseconds = millisecondsOut;
        return status;
    }

    public static int cuGetErrorName(int result, out byte* name)
    {
        Exports d = Current;
        byte* nameOut;
        int status = ((delegate* unmanaged<int, byte**, int>)Entry(d.cuGetErrorName, nameof(cuGetErrorName)))(result, &nameOut);
        name = nameOut;
        return status;
    }

    public static int cuGetErrorString(int result, out byte* description)
    {
        Exports d = Current;
        byte* descriptionOut;
        int status = ((delegate* unmanaged<int, byte**, int>)Entry(d.cuGetErrorString, nameof(cuGetErrorString)))(result, &descriptionOut);
        description = descriptionOut;
        return status;
    }

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> and the driver's name and description of
    /// <paramref name="result"/> unless it is CUDA_SUCCESS (0).</summary>
    /// <param name="result">The CUresult a driver call returned.</param>
    /// <param name="call">The call, as it reads in the source (e.g. "cuMemAlloc(4096 bytes)").</param>
    public static void ThrowIfFailed(int result, string call)
    {
        if (result != 0)
        {
            Throw(result, call);
        }
    }

    private static void Throw(int result, string call)
    {
        string name = "CUDA error " + result;
        string description = "(the driver has no description)";
        try
        {
            if (cuGetErrorName(result, out byte* n) == 0 && n != null)
            {
                name = Marshal.PtrToStringUTF8((nint)n) ?? name;
            }
            if (cuGetErrorString(result, out byte* d) == 0 && d != null)
            {
                description = Marshal.PtrToStringUTF8((nint)d) ?? description;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            description = $"(no description: {Current.Path} cannot be loaded)";
        }
        throw new CudaException(call, result, name, description);
    }
}
