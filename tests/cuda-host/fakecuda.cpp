// fakecuda.cpp: an emulated CUDA driver (the subset of libcuda.so.1 that src/Runtime/Cuda/CudaDriver.cs binds, same
// names, same C ABI) whose kernels are src/Runtime/Cuda/kernels.cu compiled for the host with emulate.h. The whole C#
// CUDA stack (CudaDevice, DeviceBuffer, CudaModule, CudaKernels, CudaGraph) runs on it in CI, without a GPU
// (docs/adr/0037). Built by build-fakecuda.sh, which also writes kernel-table.h: one NG_ENTRY(name) per kernel of
// kernels.cu, so a kernel added there is launchable here with no edit of this file.
//
// What it checks, as the real driver does: cuInit first; a current context for memory, modules and launches; device
// addresses inside live allocations (copies, memset, frees: a double free is CUDA_ERROR_INVALID_VALUE; a kernel's
// pointer arguments, stricter than a GPU, which faults only on access: CUDA_ERROR_ILLEGAL_ADDRESS); launch shapes
// (≤ 1024 threads per block, grid limits); a module's kernels are .entry names of the PTX it was loaded from, with the
// parameter types of the C++ kernel (a stale PTX is CUDA_ERROR_INVALID_PTX); stream capture rules. Device memory is
// host memory (a CUdeviceptr is a host address). Streams and events are synchronous: a launch has finished when
// cuLaunchKernel returns. Stream capture records launches; cuGraphLaunch replays them.
//
// Test controls (exported, not part of the driver API): ngfake_configure (device count, compute capability, memory),
// ngfake_launches (launches so far).
#include "../../src/Runtime/Cuda/kernels.cu"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#define NG_EXPORT extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef ng_u64 CUdeviceptr;

enum : int
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_ILLEGAL_STATE = 401,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903,
    CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
};

struct ErrorText
{
    int code;
    const char* name;
    const char* text;
};

// The driver's own names and descriptions (cuda.h).
static const ErrorText s_errors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_ILLEGAL_STATE, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {CUDA_ERROR_STREAM_CAPTURE_UNMATCHED, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "capture was not ended in the same stream as it began"},
    {CUDA_ERROR_STREAM_CAPTURE_IMPLICIT, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"},
};

// ------------------------------------------------------------------------------------------------ kernels
// A kernel's C++ type gives its parameters: the launch reads parameter i as *(T_i*)kernelParams[i], as the driver does.

struct Kernel
{
    const char* name;
    std::string ptxTypes;             // "u64 u32 f32 …": what its .entry must declare
    std::vector<std::size_t> sizes;   // sizeof each parameter, for copies of recorded launches
    std::vector<bool> pointers;       // which parameters are device addresses
    void (*launch)(const void* function, ng_dim3 grid, ng_dim3 block, void** params);
    const void* function;
};

template <class T> static const char* ptx_type()
{
    if constexpr (std::is_pointer_v<T> || sizeof(T) == 8 && std::is_integral_v<T>)
        return "u64";
    else if constexpr (std::is_same_v<T, float>)
        return "f32";
    else if constexpr (std::is_same_v<T, double>)
        return "f64";
    else
    {
        // PTX parameters of integer kernel arguments carry the size, not the signedness (int is .u32, bool .u8).
        static_assert(std::is_integral_v<T> && sizeof(T) <= 4, "a kernel parameter type the emulated driver does not know");
        return sizeof(T) == 4 ? "u32" : sizeof(T) == 2 ? "u16" : "u8";
    }
}

template <class... Args, std::size_t... I>
static void invoke(void (*kernel)(Args...), ng_dim3 grid, ng_dim3 block, void** params, std::index_sequence<I...>)
{
    ng_launch(grid, block, kernel, *static_cast<Args*>(params[I])...);
}

template <class... Args>
static Kernel make_kernel(const char* name, void (*kernel)(Args...))
{
    Kernel k;
    k.name = name;
    const char* types[] = {ptx_type<Args>()..., nullptr};
    for (std::size_t i = 0; i < sizeof...(Args); i++)
        k.ptxTypes += (i ? " " : "") + std::string(types[i]);
    k.sizes = {sizeof(Args)...};
    k.pointers = {std::is_pointer_v<Args>...};
    k.function = reinterpret_cast<const void*>(kernel);
    k.launch = [](const void* function, ng_dim3 grid, ng_dim3 block, void** params) {
        invoke(reinterpret_cast<void (*)(Args...)>(const_cast<void*>(function)), grid, block, params,
               std::index_sequence_for<Args...>{});
    };
    return k;
}

static const std::vector<Kernel>& kernels()
{
    static const std::vector<Kernel> table = {
#define NG_ENTRY(name) make_kernel(#name, name),
#include "kernel-table.h"
#undef NG_ENTRY
    };
    return table;
}

// ------------------------------------------------------------------------------------------------ driver state

struct Context
{
    int device;
    int retains;
};

struct Function
{
    const Kernel* kernel;
};

struct Module
{
    std::map<std::string, std::string> entries; // .entry name → PTX parameter types
    std::map<std::string, std::unique_ptr<Function>> functions;
};

struct Launch
{
    const Kernel* kernel;     // null: a memset node (cuMemsetD8Async captured), args = {address, value, bytes}
    ng_dim3 grid, block;
    std::vector<ng_u64> args; // each parameter in an 8-byte slot (all are ≤ 8 bytes)
};

struct Graph;

// A node handle (CUgraphNode) of a captured graph: the graph and the node's place in its chain of launches.
struct Node
{
    Graph* graph;
    std::size_t index;
};

struct Graph
{
    std::vector<Launch> launches;
    std::vector<std::unique_ptr<Node>> nodes; // handles, made on first request (a stream capture is a chain)
};

struct Stream
{
    unsigned flags = 0;       // CU_STREAM_NON_BLOCKING = 1
    Graph* capture = nullptr; // while capturing: the graph being recorded
    int mode = 0;             // its CUstreamCaptureMode: 0 global, 1 thread-local, 2 relaxed
    bool invalidated = false;
};

struct Event
{
    std::chrono::steady_clock::time_point at;
    bool recorded = false;
};

static std::recursive_mutex s_lock;
static bool s_initialized = false;
static int s_devices = 1, s_major = 8, s_minor = 0;
static ng_u64 s_totalMemory = 4ull << 30, s_usedMemory = 0;
static Context s_contexts[8];
static std::map<CUdeviceptr, std::size_t> s_allocations;
static long long s_launches = 0;
static long long s_allocCalls = 0;   // successful cuMemAlloc calls
static long long s_graphLaunches = 0; // cuGraphLaunch calls that ran
static long long s_instantiations = 0; // cuGraphInstantiateWithFlags calls that succeeded
static long long s_nodeUpdates = 0;   // cuGraphExecKernelNodeSetParams calls that succeeded
static int s_globalCaptures = 0;   // captures in CU_STREAM_CAPTURE_MODE_GLOBAL: unsafe calls fail on every thread
static int s_blockingCaptures = 0; // captures of blocking streams: the legacy stream cannot be used meanwhile
static thread_local int t_captures = 0; // this thread's captures in global or thread-local mode
static thread_local std::vector<Context*> t_contexts;

#define LOCK std::lock_guard<std::recursive_mutex> lock(s_lock)

static CUresult need_context()
{
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (t_contexts.empty() || t_contexts.back() == nullptr || t_contexts.back()->retains <= 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    return CUDA_SUCCESS;
}

// A "potentially unsafe" call (allocation, synchronous copy, synchronization) while a capture forbids it.
static bool capture_forbids() { return s_globalCaptures > 0 || t_captures > 0; }

// [p, p + bytes) inside one live allocation.
static bool inside(CUdeviceptr p, std::size_t bytes)
{
    auto it = s_allocations.upper_bound(p);
    if (it == s_allocations.begin())
        return false;
    --it;
    return p >= it->first && p - it->first <= it->second && bytes <= it->second - (p - it->first);
}

static bool valid_context(void* c)
{
    for (Context& context : s_contexts)
        if (&context == c)
            return true;
    return false;
}

// ------------------------------------------------------------------------------------------------ driver API

NG_EXPORT CUresult cuInit(unsigned flags)
{
    LOCK;
    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    s_initialized = true;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuDriverGetVersion(int* version)
{
    if (!version)
        return CUDA_ERROR_INVALID_VALUE;
    *version = 12040;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuDeviceGetCount(int* count)
{
    LOCK;
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (!count)
        return CUDA_ERROR_INVALID_VALUE;
    *count = s_devices;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuDeviceGet(int* device, int ordinal)
{
    LOCK;
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (!device)
        return CUDA_ERROR_INVALID_VALUE;
    if (ordinal < 0 || ordinal >= s_devices)
        return CUDA_ERROR_INVALID_DEVICE;
    *device = ordinal;
    return CUDA_SUCCESS;
}

static CUresult check_device(int device)
{
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    return device >= 0 && device < s_devices ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

NG_EXPORT CUresult cuDeviceGetName(char* name, int length, int device)
{
    LOCK;
    if (CUresult r = check_device(device))
        return r;
    if (!name || length <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    std::snprintf(name, (std::size_t)length, "NetGen host emulation");
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuDeviceGetAttribute(int* value, int attribute, int device)
{
    LOCK;
    if (CUresult r = check_device(device))
        return r;
    if (!value)
        return CUDA_ERROR_INVALID_VALUE;
    switch (attribute)
    {
        case 1: *value = 1024; return CUDA_SUCCESS;                 // MAX_THREADS_PER_BLOCK
        case 2: *value = 1024; return CUDA_SUCCESS;                 // MAX_BLOCK_DIM_X
        case 3: *value = 1024; return CUDA_SUCCESS;                 // MAX_BLOCK_DIM_Y
        case 4: *value = 64; return CUDA_SUCCESS;                   // MAX_BLOCK_DIM_Z
        case 5: *value = 2147483647; return CUDA_SUCCESS;           // MAX_GRID_DIM_X
        case 6: case 7: *value = 65535; return CUDA_SUCCESS;        // MAX_GRID_DIM_Y, Z
        case 8: *value = 48 * 1024; return CUDA_SUCCESS;            // MAX_SHARED_MEMORY_PER_BLOCK
        case 10: *value = 32; return CUDA_SUCCESS;                  // WARP_SIZE
        case 16: *value = 1; return CUDA_SUCCESS;                   // MULTIPROCESSOR_COUNT
        case 75: *value = s_major; return CUDA_SUCCESS;             // COMPUTE_CAPABILITY_MAJOR
        case 76: *value = s_minor; return CUDA_SUCCESS;             // COMPUTE_CAPABILITY_MINOR
        default: return attribute > 0 && attribute < 140 ? (*value = 0, CUDA_SUCCESS) : CUDA_ERROR_INVALID_VALUE;
    }
}

NG_EXPORT CUresult cuDeviceTotalMem_v2(std::size_t* bytes, int device)
{
    LOCK;
    if (CUresult r = check_device(device))
        return r;
    if (!bytes)
        return CUDA_ERROR_INVALID_VALUE;
    *bytes = (std::size_t)s_totalMemory;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuDevicePrimaryCtxRetain(void** context, int device)
{
    LOCK;
    if (CUresult r = check_device(device))
        return r;
    if (!context)
        return CUDA_ERROR_INVALID_VALUE;
    s_contexts[device].device = device;
    s_contexts[device].retains++;
    *context = &s_contexts[device];
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(int device)
{
    LOCK;
    if (CUresult r = check_device(device))
        return r;
    if (s_contexts[device].retains <= 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    s_contexts[device].retains--;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuCtxSetCurrent(void* context)
{
    LOCK;
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (context && !valid_context(context))
        return CUDA_ERROR_INVALID_CONTEXT;
    if (t_contexts.empty())
        t_contexts.push_back(nullptr);
    t_contexts.back() = static_cast<Context*>(context);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuCtxPushCurrent_v2(void* context)
{
    LOCK;
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (!context || !valid_context(context))
        return CUDA_ERROR_INVALID_CONTEXT;
    t_contexts.push_back(static_cast<Context*>(context));
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuCtxPopCurrent_v2(void** context)
{
    LOCK;
    if (!s_initialized)
        return CUDA_ERROR_NOT_INITIALIZED;
    if (t_contexts.empty())
        return CUDA_ERROR_INVALID_CONTEXT;
    if (context)
        *context = t_contexts.back();
    t_contexts.pop_back();
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuCtxSynchronize()
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    return capture_forbids() ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : CUDA_SUCCESS;
}

NG_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* pointer, std::size_t bytes)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!pointer || bytes == 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (capture_forbids())
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (bytes > s_totalMemory - s_usedMemory)
        return CUDA_ERROR_OUT_OF_MEMORY;
    void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!p)
        return CUDA_ERROR_OUT_OF_MEMORY;
    std::memset(p, 0xA5, bytes); // "contents undefined": never zero by accident
    *pointer = (CUdeviceptr)p;
    s_allocations[*pointer] = bytes;
    s_usedMemory += bytes;
    s_allocCalls++;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuMemFree_v2(CUdeviceptr pointer)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    auto it = s_allocations.find(pointer);
    if (it == s_allocations.end())
        return CUDA_ERROR_INVALID_VALUE; // never allocated, or freed already
    s_usedMemory -= it->second;
    s_allocations.erase(it);
    std::free((void*)pointer);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuMemsetD8_v2(CUdeviceptr pointer, unsigned char value, std::size_t count)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (capture_forbids())
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (!inside(pointer, count))
        return CUDA_ERROR_INVALID_VALUE;
    std::memset((void*)pointer, value, count);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void* source, std::size_t bytes)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (capture_forbids())
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (!inside(destination, bytes) || (!source && bytes))
        return CUDA_ERROR_INVALID_VALUE;
    std::memcpy((void*)destination, source, bytes);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuMemcpyDtoH_v2(void* destination, CUdeviceptr source, std::size_t bytes)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (capture_forbids())
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (!inside(source, bytes) || (!destination && bytes))
        return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(destination, (const void*)source, bytes);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr destination, CUdeviceptr source, std::size_t bytes)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (capture_forbids())
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (!inside(destination, bytes) || !inside(source, bytes))
        return CUDA_ERROR_INVALID_VALUE;
    std::memmove((void*)destination, (const void*)source, bytes);
    return CUDA_SUCCESS;
}

// The .entry declarations of a PTX text: name → parameter types ("u64 u32 f32"), as CudaTests reads them.
static bool parse_ptx(const char* text, std::map<std::string, std::string>& entries)
{
    std::string ptx(text);
    if (ptx.find(".version") == std::string::npos || ptx.find(".target") == std::string::npos)
        return false;
    const std::string marker = ".entry ";
    for (std::size_t at = ptx.find(marker); at != std::string::npos; at = ptx.find(marker, at + 1))
    {
        std::size_t open = ptx.find('(', at), close = ptx.find(')', open);
        if (open == std::string::npos || close == std::string::npos)
            return false;
        std::string name = ptx.substr(at + marker.size(), open - at - marker.size());
        while (!name.empty() && (name.back() == ' ' || name.back() == '\n' || name.back() == '\r'))
            name.pop_back();
        std::string types;
        const std::string param = ".param .";
        for (std::size_t p = ptx.find(param, open); p != std::string::npos && p < close; p = ptx.find(param, p + 1))
        {
            std::size_t start = p + param.size(), end = ptx.find(' ', start);
            types += (types.empty() ? "" : " ") + ptx.substr(start, end - start);
        }
        entries[name] = types;
    }
    return true;
}

NG_EXPORT CUresult cuModuleLoadData(void** module, const void* image)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!module || !image)
        return CUDA_ERROR_INVALID_VALUE;
    auto m = std::make_unique<Module>();
    if (!parse_ptx(static_cast<const char*>(image), m->entries))
        return CUDA_ERROR_INVALID_IMAGE;
    const char* target = std::strstr(static_cast<const char*>(image), ".target sm_");
    if (target && std::atoi(target + 11) > s_major * 10 + s_minor)
        return CUDA_ERROR_INVALID_PTX; // the PTX needs a newer GPU than this one
    *module = m.release();
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuModuleUnload(void* module)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!module)
        return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Module*>(module);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuModuleGetFunction(void** function, void* module, const char* name)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!function || !name)
        return CUDA_ERROR_INVALID_VALUE;
    if (!module)
        return CUDA_ERROR_INVALID_HANDLE;
    Module* m = static_cast<Module*>(module);
    auto entry = m->entries.find(name);
    if (entry == m->entries.end())
        return CUDA_ERROR_NOT_FOUND; // not in the PTX
    const Kernel* kernel = nullptr;
    for (const Kernel& k : kernels())
        if (std::strcmp(k.name, name) == 0)
            kernel = &k;
    if (!kernel)
        return CUDA_ERROR_NOT_FOUND; // in the PTX but not in kernels.cu
    if (kernel->ptxTypes != entry->second)
        return CUDA_ERROR_INVALID_PTX; // the PTX is not what kernels.cu compiles to (stale)
    auto& f = m->functions[name];
    if (!f)
        f = std::make_unique<Function>(Function{kernel});
    *function = f.get();
    return CUDA_SUCCESS;
}

// Every pointer argument null or inside a live allocation: a freed buffer or a host address would have the kernel touch
// memory that is not the device's (the GPU faults with CUDA_ERROR_ILLEGAL_ADDRESS; here it would corrupt the process).
static bool addresses_valid(const Launch& launch)
{
    if (!launch.kernel)
        return inside(launch.args[0], launch.args[2]);
    for (std::size_t i = 0; i < launch.args.size(); i++)
        if (launch.kernel->pointers[i] && launch.args[i] != 0 && !inside(launch.args[i], 0))
            return false;
    return true;
}

static CUresult run(const Launch& launch)
{
    if (!launch.kernel)
    {
        if (!inside(launch.args[0], launch.args[2]))
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        std::memset((void*)launch.args[0], (int)launch.args[1], launch.args[2]);
        return CUDA_SUCCESS;
    }
    if (!addresses_valid(launch))
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    std::vector<void*> params(launch.args.size());
    for (std::size_t i = 0; i < params.size(); i++)
        params[i] = (void*)&launch.args[i];
    launch.kernel->launch(launch.kernel->function, launch.grid, launch.block, params.data());
    s_launches++;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuLaunchKernel(void* function, unsigned gridX, unsigned gridY, unsigned gridZ, unsigned blockX,
                                  unsigned blockY, unsigned blockZ, unsigned sharedBytes, void* stream,
                                  void** kernelParams, void** extra)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!function)
        return CUDA_ERROR_INVALID_HANDLE;
    if (extra)
        return CUDA_ERROR_NOT_SUPPORTED;
    if (gridX == 0 || gridY == 0 || gridZ == 0 || blockX == 0 || blockY == 0 || blockZ == 0 || gridY > 65535 ||
        gridZ > 65535 || blockX > 1024 || blockY > 1024 || blockZ > 64)
        return CUDA_ERROR_INVALID_VALUE;
    if ((ng_u64)blockX * blockY * blockZ > 1024)
        return CUDA_ERROR_INVALID_VALUE;
    if (sharedBytes > 48 * 1024)
        return CUDA_ERROR_INVALID_VALUE;
    if (gridZ != 1 || blockZ != 1)
        return CUDA_ERROR_NOT_SUPPORTED; // emulate.h runs 2-D grids and blocks
    const Kernel* kernel = static_cast<Function*>(function)->kernel;
    if (!kernelParams && !kernel->sizes.empty())
        return CUDA_ERROR_INVALID_VALUE;
    Launch launch{kernel, ng_dim3{gridX, gridY, 1}, ng_dim3{blockX, blockY, 1}, {}};
    for (std::size_t i = 0; i < kernel->sizes.size(); i++)
    {
        ng_u64 slot = 0;
        std::memcpy(&slot, kernelParams[i], kernel->sizes[i]);
        launch.args.push_back(slot);
    }
    if (!addresses_valid(launch))
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    Stream* s = static_cast<Stream*>(stream);
    if (s && s->capture)
    {
        s->capture->launches.push_back(std::move(launch));
        return CUDA_SUCCESS;
    }
    if (!s && s_blockingCaptures > 0)
        return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT; // the legacy stream would depend on a capturing blocking stream
    return run(launch);
}

NG_EXPORT CUresult cuStreamCreate(void** stream, unsigned flags)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!stream || flags > 1)
        return CUDA_ERROR_INVALID_VALUE;
    Stream* s = new Stream();
    s->flags = flags;
    *stream = s;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuStreamDestroy_v2(void* stream)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!stream)
        return CUDA_ERROR_INVALID_HANDLE;
    Stream* s = static_cast<Stream*>(stream);
    if (s->capture)
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; // end the capture first
    delete s;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuStreamSynchronize(void* stream)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    Stream* s = static_cast<Stream*>(stream);
    if (s && s->capture)
    {
        s->invalidated = true; // as the driver does: the capture is invalidated
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return CUDA_SUCCESS;
}

static void count_capture(const Stream* s, int delta)
{
    if (s->mode == 0)
        s_globalCaptures += delta;
    if (s->mode != 2)
        t_captures += delta;
    if ((s->flags & 1) == 0)
        s_blockingCaptures += delta;
}

NG_EXPORT CUresult cuStreamBeginCapture_v2(void* stream, int mode)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (mode < 0 || mode > 2)
        return CUDA_ERROR_INVALID_VALUE;
    Stream* s = static_cast<Stream*>(stream);
    if (!s)
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; // the legacy stream cannot be captured
    if (s->capture)
        return CUDA_ERROR_ILLEGAL_STATE; // capturing already
    s->capture = new Graph();
    s->mode = mode;
    s->invalidated = false;
    count_capture(s, +1);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuStreamEndCapture(void* stream, void** graph)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!graph)
        return CUDA_ERROR_INVALID_VALUE;
    Stream* s = static_cast<Stream*>(stream);
    if (!s || !s->capture)
        return CUDA_ERROR_ILLEGAL_STATE; // not capturing
    Graph* g = s->capture;
    s->capture = nullptr;
    count_capture(s, -1);
    if (s->invalidated)
    {
        delete g;
        *graph = nullptr;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    *graph = g;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, ng_u64 flags)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!exec || flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (!graph)
        return CUDA_ERROR_INVALID_HANDLE;
    Graph* e = new Graph(); // an executable graph is a copy of the launches, independent of its graph
    e->launches = static_cast<Graph*>(graph)->launches;
    *exec = e;
    s_instantiations++;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuGraphLaunch(void* exec, void* stream)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!exec)
        return CUDA_ERROR_INVALID_HANDLE;
    Stream* s = static_cast<Stream*>(stream);
    if (s && s->capture)
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; // graphs inside graphs: not emulated
    if (!s && s_blockingCaptures > 0)
        return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    for (const Launch& launch : static_cast<Graph*>(exec)->launches)
        if (CUresult r = run(launch))
            return r;
    s_graphLaunches++;
    return CUDA_SUCCESS;
}

// An asynchronous memset: run now (the fake's streams complete at once), or a memset node while the stream captures.
NG_EXPORT CUresult cuMemsetD8Async(CUdeviceptr pointer, unsigned char value, std::size_t count, void* stream)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    Launch launch{nullptr, ng_dim3{1, 1, 1}, ng_dim3{1, 1, 1}, {pointer, value, count}};
    if (!inside(pointer, count))
        return CUDA_ERROR_INVALID_VALUE;
    Stream* s = static_cast<Stream*>(stream);
    if (s && s->capture)
    {
        s->capture->launches.push_back(std::move(launch));
        return CUDA_SUCCESS;
    }
    if (!s && s_blockingCaptures > 0)
        return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    return run(launch);
}

// Node i of a graph's chain (its handle made on first request).
static Node* node_at(Graph* g, std::size_t i)
{
    if (g->nodes.size() < g->launches.size())
        g->nodes.resize(g->launches.size());
    if (!g->nodes[i])
        g->nodes[i] = std::make_unique<Node>(Node{g, i});
    return g->nodes[i].get();
}

// Writes the handles of up to *count of the given nodes (nodes null: only the count), as the driver does.
static CUresult list_nodes(Graph* g, std::size_t first, std::size_t available, void** nodes, std::size_t* count)
{
    if (!count)
        return CUDA_ERROR_INVALID_VALUE;
    if (!nodes)
    {
        *count = available;
        return CUDA_SUCCESS;
    }
    std::size_t n = *count < available ? *count : available;
    for (std::size_t i = 0; i < n; i++)
        nodes[i] = node_at(g, first + i);
    for (std::size_t i = n; i < *count; i++)
        nodes[i] = nullptr;
    *count = n;
    return CUDA_SUCCESS;
}

// A stream capture is a chain: its first node is the one root.
NG_EXPORT CUresult cuGraphGetRootNodes(void* graph, void** nodes, std::size_t* count)
{
    LOCK;
    if (!graph)
        return CUDA_ERROR_INVALID_HANDLE;
    Graph* g = static_cast<Graph*>(graph);
    return list_nodes(g, 0, g->launches.empty() ? 0 : 1, nodes, count);
}

// ... and each node's one dependent is the next (the last has none).
NG_EXPORT CUresult cuGraphNodeGetDependentNodes(void* node, void** nodes, std::size_t* count)
{
    LOCK;
    if (!node)
        return CUDA_ERROR_INVALID_HANDLE;
    Node* n = static_cast<Node*>(node);
    return list_nodes(n->graph, n->index + 1, n->index + 1 < n->graph->launches.size() ? 1 : 0, nodes, count);
}

// CUDA_KERNEL_NODE_PARAMS (the v1 layout).
struct KernelNodeParams
{
    void* func;
    unsigned gridDimX, gridDimY, gridDimZ;
    unsigned blockDimX, blockDimY, blockDimZ;
    unsigned sharedMemBytes;
    void** kernelParams;
    void** extra;
};

// The kernel node `node` (of the graph the executable graph was instantiated from) gets new arguments in `exec`: the same
// kernel (the driver refuses another function's node type changes), its grid and block as given.
NG_EXPORT CUresult cuGraphExecKernelNodeSetParams(void* exec, void* node, const KernelNodeParams* params)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!exec || !node)
        return CUDA_ERROR_INVALID_HANDLE;
    if (!params || !params->func || params->extra)
        return CUDA_ERROR_INVALID_VALUE;
    Graph* e = static_cast<Graph*>(exec);
    Node* n = static_cast<Node*>(node);
    if (n->index >= e->launches.size() || e->launches.size() != n->graph->launches.size())
        return CUDA_ERROR_INVALID_VALUE; // not a node of the graph this was instantiated from
    Launch& launch = e->launches[n->index];
    const Kernel* kernel = static_cast<Function*>(params->func)->kernel;
    if (!launch.kernel || launch.kernel != kernel)
        return CUDA_ERROR_INVALID_VALUE; // a memset node, or another kernel
    if (params->gridDimZ != 1 || params->blockDimZ != 1 || params->gridDimX == 0 || params->gridDimY == 0 ||
        params->blockDimX == 0 || params->blockDimY == 0)
        return CUDA_ERROR_INVALID_VALUE;
    Launch updated{kernel, ng_dim3{params->gridDimX, params->gridDimY, 1}, ng_dim3{params->blockDimX, params->blockDimY, 1}, {}};
    for (std::size_t i = 0; i < kernel->sizes.size(); i++)
    {
        ng_u64 slot = 0;
        std::memcpy(&slot, params->kernelParams[i], kernel->sizes[i]);
        updated.args.push_back(slot);
    }
    if (!addresses_valid(updated))
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    launch = std::move(updated);
    s_nodeUpdates++;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuGraphExecDestroy(void* exec)
{
    LOCK;
    if (!exec)
        return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Graph*>(exec);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuGraphDestroy(void* graph)
{
    LOCK;
    if (!graph)
        return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Graph*>(graph);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuEventCreate(void** event, unsigned flags)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!event || flags > 0xF)
        return CUDA_ERROR_INVALID_VALUE;
    *event = new Event();
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuEventDestroy_v2(void* event)
{
    LOCK;
    if (!event)
        return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Event*>(event);
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuEventRecord(void* event, void* stream)
{
    LOCK;
    if (CUresult r = need_context())
        return r;
    if (!event)
        return CUDA_ERROR_INVALID_HANDLE;
    Stream* s = static_cast<Stream*>(stream);
    if (s && s->capture)
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; // events inside a capture are graph nodes: not emulated
    Event* e = static_cast<Event*>(event);
    e->at = std::chrono::steady_clock::now();
    e->recorded = true;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuEventSynchronize(void* event)
{
    LOCK;
    if (!event)
        return CUDA_ERROR_INVALID_HANDLE;
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuEventElapsedTime(float* milliseconds, void* start, void* end)
{
    LOCK;
    if (!milliseconds)
        return CUDA_ERROR_INVALID_VALUE;
    if (!start || !end)
        return CUDA_ERROR_INVALID_HANDLE;
    Event* a = static_cast<Event*>(start);
    Event* b = static_cast<Event*>(end);
    if (!a->recorded || !b->recorded)
        return CUDA_ERROR_INVALID_HANDLE;
    *milliseconds = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return CUDA_SUCCESS;
}

NG_EXPORT CUresult cuGetErrorName(int error, const char** name)
{
    if (!name)
        return CUDA_ERROR_INVALID_VALUE;
    for (const ErrorText& e : s_errors)
        if (e.code == error)
        {
            *name = e.name;
            return CUDA_SUCCESS;
        }
    *name = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
}

NG_EXPORT CUresult cuGetErrorString(int error, const char** text)
{
    if (!text)
        return CUDA_ERROR_INVALID_VALUE;
    for (const ErrorText& e : s_errors)
        if (e.code == error)
        {
            *text = e.text;
            return CUDA_SUCCESS;
        }
    *text = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
}

// ------------------------------------------------------------------------------------------------ test controls

// What the next cuDeviceGetCount / cuDeviceGetAttribute / cuDeviceTotalMem report (a test sets an old GPU or none).
NG_EXPORT void ngfake_configure(int devices, int major, int minor, ng_u64 totalMemory)
{
    LOCK;
    s_devices = devices < 0 ? 0 : devices > 8 ? 8 : devices;
    s_major = major;
    s_minor = minor;
    s_totalMemory = totalMemory;
}

// Kernel launches run so far (graph replays count each launch).
NG_EXPORT long long ngfake_launches()
{
    LOCK;
    return s_launches;
}

// Successful cuMemAlloc calls so far.
NG_EXPORT long long ngfake_alloc_calls()
{
    LOCK;
    return s_allocCalls;
}

// Allocations not freed.
NG_EXPORT long long ngfake_live_allocations()
{
    LOCK;
    return (long long)s_allocations.size();
}

// Graph launches run so far.
NG_EXPORT long long ngfake_graph_launches()
{
    LOCK;
    return s_graphLaunches;
}

// Executable graphs instantiated so far.
NG_EXPORT long long ngfake_instantiations()
{
    LOCK;
    return s_instantiations;
}

// Kernel nodes of executable graphs rewritten so far (cuGraphExecKernelNodeSetParams).
NG_EXPORT long long ngfake_node_updates()
{
    LOCK;
    return s_nodeUpdates;
}

// Bytes allocated and not freed.
NG_EXPORT ng_u64 ngfake_allocated_bytes()
{
    LOCK;
    return s_usedMemory;
}
