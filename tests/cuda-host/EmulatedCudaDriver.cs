using System.Diagnostics;
using System.Runtime.InteropServices;

namespace NetGen.Cuda.Emulation;

/// <summary>
/// The emulated CUDA driver of tests/cuda-host (fakecuda.cpp over kernels.cu and emulate.h; docs/adr/0037), built once per
/// test process by build-fakecuda.sh with g++, for test projects that link this file (it needs NetGen.Runtime's internals).
/// <c>using var driver = EmulatedCudaDriver.Use();</c> points the caller's CUDA calls (and its tasks') at it: CudaDevice.Open, buffers,
/// CudaKernels, graphs then run on the CPU. Tests of one process share the fake's state (allocations, <see cref="Configure"/>):
/// a test that configures it restores <see cref="Defaults"/>.
/// </summary>
internal static unsafe class EmulatedCudaDriver
{
    private static readonly Lazy<(string? Path, string Reason)> s_library = new(Build);

    /// <summary>Why the emulated driver cannot be built (no g++), or null when it can.</summary>
    public static string? UnavailableReason => s_library.Value.Path is null ? s_library.Value.Reason : null;

    /// <summary>The built library (null without g++).</summary>
    public static string? LibraryPath => s_library.Value.Path;

    /// <summary>The device the fake reports unless configured: one device, compute capability 8.0, 4 GiB.</summary>
    public static (int Devices, int Major, int Minor, ulong TotalMemory) Defaults => (1, 8, 0, 4UL << 30);

    /// <summary>Points the caller's CUDA driver calls (its thread, the tasks it starts) at the emulated driver until disposed.</summary>
    /// <returns>The scope.</returns>
    /// <exception cref="InvalidOperationException">It cannot be built (<see cref="UnavailableReason"/>).</exception>
    public static IDisposable Use()
    {
        string path = LibraryPath ?? throw new InvalidOperationException("The emulated CUDA driver is not available: " + UnavailableReason);
        return CudaDriver.Use(path);
    }

    /// <summary>What the fake reports from now on: device count, compute capability, memory (for the error paths).</summary>
    public static void Configure(int devices, int major, int minor, ulong totalMemory) =>
        ((delegate* unmanaged<int, int, int, ulong, void>)Export("ngfake_configure"))(devices, major, minor, totalMemory);

    /// <summary>Restores <see cref="Defaults"/>.</summary>
    public static void Reset() => Configure(Defaults.Devices, Defaults.Major, Defaults.Minor, Defaults.TotalMemory);

    /// <summary>Kernel launches the fake has run (a graph launch counts each of its kernels).</summary>
    public static long Launches => ((delegate* unmanaged<long>)Export("ngfake_launches"))();

    /// <summary>Successful cuMemAlloc calls so far (all tests of the process: compare differences).</summary>
    public static long AllocationCalls => ((delegate* unmanaged<long>)Export("ngfake_alloc_calls"))();

    /// <summary>Allocations on the fake device not freed.</summary>
    public static long LiveAllocations => ((delegate* unmanaged<long>)Export("ngfake_live_allocations"))();

    /// <summary>Graph launches (cuGraphLaunch) run so far.</summary>
    public static long GraphLaunches => ((delegate* unmanaged<long>)Export("ngfake_graph_launches"))();

    /// <summary>Executable graphs instantiated so far (cuGraphInstantiateWithFlags): one per captured graph.</summary>
    public static long Instantiations => ((delegate* unmanaged<long>)Export("ngfake_instantiations"))();

    /// <summary>Kernel nodes of executable graphs rewritten so far (cuGraphExecKernelNodeSetParams).</summary>
    public static long NodeUpdates => ((delegate* unmanaged<long>)Export("ngfake_node_updates"))();

    /// <summary>Bytes allocated on the fake device and not freed.</summary>
    public static ulong AllocatedBytes => ((delegate* unmanaged<ulong>)Export("ngfake_allocated_bytes"))();

    private static nint Export(string name)
    {
        string path = LibraryPath ?? throw new InvalidOperationException("The emulated CUDA driver is not available: " + UnavailableReason);
        return NativeLibrary.GetExport(NativeLibrary.Load(path), name);
    }

    /// <summary>Runs tests/cuda-host/build-fakecuda.sh into the temporary folder.</summary>
    private static (string?, string) Build()
    {
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "NetGen.sln")))
        {
            root = Path.GetDirectoryName(root);
        }
        if (root is null)
        {
            return (null, "the repository (NetGen.sln) is not above the test's folder.");
        }
        string output = Path.Combine(Path.GetTempPath(), $"netgen-fakecuda-{Environment.ProcessId}.so");
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(root, "tests", "cuda-host", "build-fakecuda.sh"));
        info.ArgumentList.Add(output);
        try
        {
            using Process process = Process.Start(info)!;
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 127)
            {
                return (null, (stdout + stderr.Result).Trim() + ": the emulated CUDA driver needs it.");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("tests/cuda-host/build-fakecuda.sh failed:\n" + stdout + stderr.Result);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "bash is not installed: the emulated CUDA driver is built by a bash script.");
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(output); // loaded already: unlinking is safe
        return (output, "");
    }
}
