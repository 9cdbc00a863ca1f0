using System;
using System.Runtime.InteropServices;

namespace NetGen.Cuda;

/// <summary>
/// The CUDA driver API (<c>libcuda.so.1</c>, installed with the NVIDIA driver; no toolkit), the calls NetGen makes. Every
/// signature is blittable (integers, pointers, <c>out</c> integers), so the source-generated stubs are NativeAOT-safe.
/// Handles (<c>CUcontext</c>, <c>CUmodule</c>, <c>CUfunction</c>, <c>CUstream</c>, <c>CUevent</c>) are <see cref="nint"/>; a
/// <c>CUdeviceptr</c> is a 64-bit <see cref="ulong"/>; a <c>CUresult</c> is an <see cref="int"/>, 0 = success. The
/// <c>_v2</c> names are the exported symbols of the 64-bit API that cuda.h maps the plain names onto.
/// </summary>
internal static unsafe partial class CudaDriver
{
    /// <summary>The driver's shared library.</summary>
    public const string Library = "libcuda.so.1";

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    [LibraryImport(Library)] public static partial int cuInit(uint flags);
    [LibraryImport(Library)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Library)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Library)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Library)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Library)] public static partial int cuDeviceTotalMem_v2(out nuint bytes, int device);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Library)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] public static partial int cuCtxPushCurrent_v2(nint context);
    [LibraryImport(Library)] public static partial int cuCtxPopCurrent_v2(out nint context);
    [LibraryImport(Library)] public static partial int cuCtxSynchronize();
    [LibraryImport(Library)] public static partial int cuMemAlloc_v2(out ulong pointer, nuint bytes);
    [LibraryImport(Library)] public static partial int cuMemFree_v2(ulong pointer);
    [LibraryImport(Library)] public static partial int cuMemsetD8_v2(ulong pointer, byte value, nuint count);
    [LibraryImport(Library)] public static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [LibraryImport(Library)] public static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [LibraryImport(Library)] public static partial int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes);
    [LibraryImport(Library)] public static partial int cuModuleLoadData(out nint module, void* image);
    [LibraryImport(Library)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Library)] public static partial int cuModuleGetFunction(out nint function, nint module, byte* name);
    [LibraryImport(Library)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY,
        uint blockZ, uint sharedBytes, nint stream, void** parameters, void** extra);
    [LibraryImport(Library)] public static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Library)] public static partial int cuStreamDestroy_v2(nint stream);
    [LibraryImport(Library)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Library)] public static partial int cuEventCreate(out nint cudaEvent, uint flags);
    [LibraryImport(Library)] public static partial int cuEventDestroy_v2(nint cudaEvent);
    [LibraryImport(Library)] public static partial int cuEventRecord(nint cudaEvent, nint stream);
    [LibraryImport(Library)] public static partial int cuEventSynchronize(nint cudaEvent);
    [LibraryImport(Library)] public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(Library)] public static partial int cuGetErrorName(int result, out byte* name);
    [LibraryImport(Library)] public static partial int cuGetErrorString(int result, out byte* description);

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
            description = $"(no description: {Library} cannot be loaded)";
        }
        throw new CudaException(call, result, name, description);
    }
}
