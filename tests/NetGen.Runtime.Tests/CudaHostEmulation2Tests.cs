using System.Diagnostics;
using System.Globalization;
using NetGen.Kernels;
using Xunit.Abstractions;

namespace NetGen.Runtime.Tests;

/// <summary>
/// The convolution, pooling, normalisation, loss and optimizer kernels of src/Runtime/Cuda/kernels.cu without a GPU:
/// tests/cuda-host/harness2.cpp compiles kernels.cu for the host with g++ and tests/cuda-host/emulate.h and runs each
/// kernel on inputs drawn from the counter RNG; this test computes the same cases with the C# CPU kernels and compares:
/// within 1e-5 relative (measured against the operands' scale where a sum cancels), bit for bit where the kernel sums
/// in the CPU's order (pooling). Shapes are not multiples of the GEMM tile (16). Skips (with the reason) without g++.
/// </summary>
public sealed class CudaHostEmulation2Tests
{
    private static readonly Lazy<(Dictionary<string, double[]>? Results, string Reason)> s_results = new(RunHarness);
    private readonly ITestOutputHelper _output;

    public CudaHostEmulation2Tests(ITestOutputHelper output) => _output = output;

    /// <summary>harness2.cpp's convolutions: B, C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, bias, act (0 identity, 1 ReLU).</summary>
    public static readonly int[][] ConvCases =
    [
        [3, 3, 11, 9, 5, 3, 3, 2, 1, 1, 2, 1, 1, 1, 1, 1],
        [2, 2, 10, 12, 7, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0],
        [2, 4, 9, 10, 6, 3, 2, 1, 2, 2, 1, 2, 1, 2, 1, 0],
        [2, 3, 7, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3, 1, 1],
        [2, 5, 6, 7, 17, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0],
    ];

    /// <summary>harness2.cpp's poolings: B, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw.</summary>
    public static readonly int[][] PoolCases =
    [
        [2, 3, 8, 10, 2, 2, 2, 2, 0, 0],
        [2, 2, 9, 7, 3, 3, 2, 2, 1, 1],
        [1, 3, 6, 9, 3, 2, 1, 2, 1, 0],
        [3, 4, 5, 7, 5, 7, 1, 1, 0, 0],
    ];

    public static TheoryData<int> ConvIndices() => [.. Enumerable.Range(0, ConvCases.Length)];

    public static TheoryData<int> PoolIndices() => [.. Enumerable.Range(0, PoolCases.Length)];

    [Theory]
    [MemberData(nameof(ConvIndices))]
    public void ConvolutionForwardAndBothGradientsMatchTheCpu(int index)
    {
        if (Results() is not { } r)
        {
            return;
        }
        int[] c = ConvCases[index];
        (int batch, int channels, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups) =
            (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]);
        bool hasBias = c[14] != 0, relu = c[15] == 1;
        var g = new Conv2DGeneralGeometry(channels, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        float[] x = Input((ulong)(20 + index), batch * g.InputLength, 1), wt = Input((ulong)(30 + index), g.WeightLength, 0.5f);
        float[] bias = hasBias ? Input((ulong)(40 + index), o, 0.5f) : [];
        float[] dy = Input((ulong)(50 + index), batch * g.OutputLength, 1);
        float[] y = new float[batch * g.OutputLength], dx = new float[x.Length], dW = new float[wt.Length], db = new float[o];
        if (groups == 1 && dh == 1 && dw == 1)
        {
            // The CPU's fast kernel, the one the generator calls for these layers.
            var g1 = new Conv2DGeometry(channels, h, w, o, kh, kw, sh, sw, ph, pw);
            Conv2D.Forward<float>(x, wt, bias, y, batch, g1, relu);
            Conv2D.Backward<float>(dy, x, wt, dx, dW, db, batch, g1);
        }
        else
        {
            Conv2DGeneral.Forward<float>(x, wt, bias, y, batch, g, relu);
            Conv2DGeneral.Backward<float>(dy, x, wt, dx, dW, db, batch, g);
        }
        string p = $"conv{index}_";
        Close(r[p + "y"], y, p + "y", 1);
        Close(r[p + "dw"], dW, p + "dw", 1);
        Close(r[p + "dx"], dx, p + "dx", 1);
        Close(r[p + "db"], db, p + "db", 1);
    }

    [Theory]
    [MemberData(nameof(PoolIndices))]
    public void PoolingForwardAndBackwardAreTheCpusBitForBit(int index)
    {
        if (Results() is not { } r)
        {
            return;
        }
        int[] q = PoolCases[index];
        int batch = q[0];
        var g = new Pool2DGeometry(q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9]);
        float[] xs = Input((ulong)(60 + index), batch * g.InputLength, 3);
        float[] x = xs.Select(MathF.Floor).ToArray(); // few distinct values: ties in the windows
        float[] dy = Input((ulong)(70 + index), batch * g.OutputLength, 1);
        float[] y = new float[dy.Length], dx = new float[x.Length];
        int[] argmax = new int[dy.Length];
        string p = $"pool{index}_";

        MaxPool2D.Forward<float>(x, y, argmax, batch, g);
        MaxPool2D.Backward<float>(dy, argmax, dx, batch, g);
        Exact(r[p + "max_y"], y);
        Exact(r[p + "max_argmax"], argmax.Select(i => (float)i).ToArray());
        Exact(r[p + "max_dx"], dx);

        AvgPool2D.Forward<float>(xs, y, batch, g);
        AvgPool2D.Backward<float>(dy, dx, batch, g);
        Exact(r[p + "avg_y"], y);
        Exact(r[p + "avg_dx"], dx);

        // count_include_pad = False (PyTorch's option; the CPU backend has no kernel for it): the divisor is the number of
        // real elements in the window. The sums are in the same row-major order, so these are exact too.
        (float[] ey, float[] edx) = AvgPoolExcludingPadding(xs, dy, batch, g);
        Exact(r[p + "avg_exclude_y"], ey);
        Exact(r[p + "avg_exclude_dx"], edx);
        if (g.PaddingHeight == 0 && g.PaddingWidth == 0)
        {
            Exact(r[p + "avg_exclude_y"], y); // no padding: the same divisor as the CPU's count_include_pad = True
        }
    }

    /// <summary>y = Σ window / (real elements in it); dx gathers dy/divisor, both in row-major order.</summary>
    private static (float[] Y, float[] Dx) AvgPoolExcludingPadding(float[] x, float[] dy, int batch, in Pool2DGeometry g)
    {
        int planes = batch * g.Channels, h = g.Height, w = g.Width, ho = g.OutHeight, wo = g.OutWidth;
        float[] y = new float[planes * ho * wo], dx = new float[planes * h * w];
        for (int p = 0; p < planes; p++)
        {
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < wo; ow++)
                {
                    int h0 = (oh * g.StrideHeight) - g.PaddingHeight, w0 = (ow * g.StrideWidth) - g.PaddingWidth;
                    int h1 = Math.Min(h0 + g.KernelHeight, h), w1 = Math.Min(w0 + g.KernelWidth, w);
                    h0 = Math.Max(h0, 0);
                    w0 = Math.Max(w0, 0);
                    float divisor = (h1 - h0) * (w1 - w0), sum = 0;
                    int o = (((p * ho) + oh) * wo) + ow;
                    float share = dy[o] / divisor;
                    for (int ih = h0; ih < h1; ih++)
                    {
                        for (int iw = w0; iw < w1; iw++)
                        {
                            sum += x[(((p * h) + ih) * w) + iw];
                            dx[(((p * h) + ih) * w) + iw] += share;
                        }
                    }
                    y[o] = sum / divisor;
                }
            }
        }
        return (y, dx);
    }

    /// <summary>(Uniform(Key(11, stream, 0, 0), i) · 2 − 1) · scale, as harness2.cpp's input().</summary>
    private static float[] Input(ulong stream, int n, float scale)
    {
        ulong key = CounterRng.Key(11, stream, 0, 0);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = ((CounterRng.Uniform(key, (ulong)i) * 2.0f) - 1.0f) * scale;
        }
        return v;
    }

    private static void Exact(double[] emulated, float[] cpu)
    {
        Assert.Equal(cpu.Length, emulated.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.True((float)emulated[i] == cpu[i], $"[{i}]: emulated {emulated[i]:R}, CPU {cpu[i]:R}");
        }
    }

    /// <summary>|emulated − CPU| ≤ 1e-5 · max(|CPU|, <paramref name="scale"/>): relative, except where the result is much
    /// smaller than the operands it is computed from (a sum that cancels), where the error is measured against the
    /// operands' scale.</summary>
    private static void Close(double[] emulated, float[] cpu, string what, double scale = 1e-2) =>
        Close(emulated, cpu.Select(v => (double)v).ToArray(), what, scale);

    private static void Close(double[] emulated, double[] cpu, string what, double scale = 1e-2)
    {
        Assert.Equal(cpu.Length, emulated.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            double tolerance = 1e-5 * Math.Max(Math.Abs(cpu[i]), scale);
            Assert.True(Math.Abs(emulated[i] - cpu[i]) <= tolerance, $"{what}[{i}]: emulated {emulated[i]:R}, CPU {cpu[i]:R}");
        }
    }

    private Dictionary<string, double[]>? Results()
    {
        (Dictionary<string, double[]>? results, string reason) = s_results.Value;
        if (results is null)
        {
            // xunit 2 has no dynamic skip: say why in the output and return.
            _output.WriteLine("SKIPPED: " + reason);
        }
        return results;
    }

    /// <summary>Compiles and runs tests/cuda-host/harness2.cpp once; its results by name, or why it could not run.</summary>
    private static (Dictionary<string, double[]>?, string) RunHarness()
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
        string exe = Path.Combine(Path.GetTempPath(), $"netgen-cuda-harness2-{Environment.ProcessId}");
        string gxx = Environment.GetEnvironmentVariable("CXX") ?? "g++";
        (int compiled, string compileOutput) = Run(gxx, ["-std=c++20", "-O1", "-ffp-contract=off", "-pthread", "-include", "emulate.h", "harness2.cpp", "-o", exe], dir);
        if (compiled == -1)
        {
            return (null, $"{gxx} (C++20) is not installed: the host emulation of the CUDA kernels needs it.");
        }
        Assert.True(compiled == 0, "harness2.cpp did not compile:\n" + compileOutput);
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

    private static (int ExitCode, string Output) Run(string file, string[] args, string directory)
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
