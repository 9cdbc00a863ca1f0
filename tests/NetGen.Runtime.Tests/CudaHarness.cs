using System.Diagnostics;
using System.Globalization;
using NetGen.Kernels;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>What the host-emulation tests of the CUDA kernels share: the harnesses' inputs, the comparisons, and compiling
/// and running a harness of tests/cuda-host with g++.</summary>
internal static class CudaHarness
{
    /// <summary>(Uniform(Key(11, stream, 0, 0), i) · 2 − 1) · scale, as the harnesses' input().</summary>
    internal static float[] Input(ulong stream, int n, float scale)
    {
        ulong key = CounterRng.Key(11, stream, 0, 0);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = ((CounterRng.Uniform(key, (ulong)i) * 2.0f) - 1.0f) * scale;
        }
        return v;
    }

    internal static void Exact(double[] emulated, float[] cpu)
    {
        Assert.Equal(cpu.Length, emulated.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.True((float)emulated[i] == cpu[i], $"[{i}]: emulated {emulated[i]:R}, CPU {cpu[i]:R}");
        }
    }

    /// <summary>|emulated − CPU| ≤ 1e-5 · max(|CPU|, <paramref name="scale"/>): relative, except where the result is much
    /// smaller than the operands it is computed from (a dot product that cancels, 1 − y² near saturation), where the
    /// error is measured against the operands' scale.</summary>
    internal static void Close(double[] emulated, float[] cpu, string what, double scale = 1e-2) =>
        Close(emulated, cpu.Select(v => (double)v).ToArray(), what, scale);

    internal static void Close(double[] emulated, double[] cpu, string what, double scale = 1e-2)
    {
        Assert.Equal(cpu.Length, emulated.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            double tolerance = 1e-5 * Math.Max(Math.Abs(cpu[i]), scale);
            Assert.True(Math.Abs(emulated[i] - cpu[i]) <= tolerance, $"{what}[{i}]: emulated {emulated[i]:R}, CPU {cpu[i]:R}");
        }
    }

    /// <summary>Compiles and runs tests/cuda-host/<paramref name="source"/> (with emulate.h) once; its results by name, or why it
    /// could not run.</summary>
    internal static (Dictionary<string, double[]>?, string) RunHarness(string source)
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
        string dir = Path.Combine(root, "tests", "cuda-host");
        string exe = Path.Combine(Path.GetTempPath(), $"netgen-cuda-{Path.GetFileNameWithoutExtension(source)}-{Environment.ProcessId}");
        string gxx = Environment.GetEnvironmentVariable("CXX") ?? "g++";
        (int compiled, string compileOutput) = Run(gxx, ["-std=c++20", "-O1", "-ffp-contract=off", "-pthread", "-include", "emulate.h", source, "-o", exe], dir);
        if (compiled == -1)
        {
            return (null, $"{gxx} (C++20) is not installed: the host emulation of the CUDA kernels needs it.");
        }
        Assert.True(compiled == 0, source + " did not compile:\n" + compileOutput);
        (int ran, string output) = Run(exe, [], dir);
        File.Delete(exe);
        Assert.True(ran == 0, "the harness failed:\n" + output);

        var results = new Dictionary<string, double[]>();
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < lines.Length;)
        {
            string[] head = lines[i++].Split(' ');
            int count = int.Parse(head[1], CultureInfo.InvariantCulture);
            results[head[0]] = lines.Skip(i).Take(count).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            i += count;
        }
        return (results, "");
    }

    internal static (int ExitCode, string Output) Run(string file, string[] args, string directory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        try
        {
            using Process process = Process.Start(info)!;
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, "");
        }
    }
}
