using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Bench;

/// <summary>
/// <c>--gemv-block-probe [--calls N] [--rows R]</c>: one core, raw Vector512, one core's half of the benchmark MLP's first
/// layer (128×784 by default) read from row panels on 64-byte lines, call by call with the kernels taking turns
/// (percentiles of each): 8 rows per block (8 FMA chains, the library's kernel), 16 rows per block (16 chains, x loaded
/// once per 16 FMAs), 8 rows with a software prefetch of the panel 2 KB ahead, and the plain sum of the same bytes.
/// Timing only (ADR 0061).
/// </summary>
internal static class GemvBlockProbe
{
    public static unsafe int Run(string[] args)
    {
        int calls = 100_000, outputs = 128;
        for (int i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == "--calls")
            {
                calls = int.Parse(args[++i]);
            }
            else if (args[i] == "--rows")
            {
                outputs = int.Parse(args[++i]);
            }
        }

        if (!Vector512.IsHardwareAccelerated)
        {
            Console.WriteLine("Vector512 is not accelerated here: nothing to probe.");
            return 0;
        }

        if (args.Contains("--pair"))
        {
            return PairProbe(calls);
        }

        const int inputs = 784;
        float* w = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(outputs * inputs * 4), 64);
        float* x = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(inputs * 4, 64);
        float* y = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(outputs * 4), 64);
        float[] fill = NetworkBenchmarks.Fill(outputs * inputs, 3);
        for (int i = 0; i < fill.Length; i++)
        {
            w[i] = fill[i];
        }
        for (int i = 0; i < inputs; i++)
        {
            x[i] = 0.01f * i;
        }

        float[] wa = fill, xa = new float[inputs], ya = new float[outputs], ba = new float[outputs];
        for (int i = 0; i < inputs; i++)
        {
            xa[i] = x[i];
        }
        var packed = new NetGen.Kernels.PackedWeights<float>(inputs, outputs);
        float[] xPinned = GC.AllocateArray<float>(inputs + 16, pinned: true);
        int xOffset;
        fixed (float* px = xPinned)
        {
            xOffset = (int)((64 - ((nint)px & 63)) & 63) / 4;
        }
        Array.Copy(xa, 0, xPinned, xOffset, inputs);
        float[] yPinned = GC.AllocateArray<float>(outputs + 16, pinned: true);
        string[] names = ["8 rows (raw)", "16 rows", "8 rows, prefetch 2 KB", "plain sum", "Gemv.Forward, one core", "Gemv.Forward, x aligned"];
        Action[] kernels =
        [
            () => Block8(w, x, y, outputs, inputs, false),
            () => Block16(w, x, y, outputs, inputs),
            () => Block8(w, x, y, outputs, inputs, true),
            () => y[0] = Sum(w, outputs * inputs),
            () => NetGen.Kernels.Gemv.Forward<float>(xa, wa, ba, ya, inputs, outputs, relu: true, NetGen.Kernels.GemvMode.Serial, packed),
            () => NetGen.Kernels.Gemv.Forward<float>(xPinned.AsSpan(xOffset, inputs), wa, ba, yPinned.AsSpan(xOffset, outputs), inputs, outputs, relu: true, NetGen.Kernels.GemvMode.Serial, packed),
        ];
        var times = new double[kernels.Length][];
        for (int k = 0; k < kernels.Length; k++)
        {
            times[k] = new double[calls];
        }
        for (int i = 0; i < 4000; i++)
        {
            kernels[i % kernels.Length]();
        }
        for (int i = 0; i < calls * kernels.Length; i++)
        {
            int k = i % kernels.Length;
            long t0 = Stopwatch.GetTimestamp();
            kernels[k]();
            times[k][i / kernels.Length] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        Console.WriteLine($"{outputs}×{inputs} from panels ({outputs * inputs * 4 / 1024} KiB), one core, {calls} calls each, kernels taking turns; µs at percentiles 5/10/25/50 (GB/s at p10); load {File.ReadAllText("/proc/loadavg").Trim()}");
        for (int k = 0; k < kernels.Length; k++)
        {
            double[] s = times[k].Order().ToArray();
            double[] at = [s[calls * 5 / 100], s[calls / 10], s[calls / 4], s[calls / 2]];
            Console.WriteLine($"  {names[k],-24} {string.Join("  ", at.Select(v => v.ToString("F2").PadLeft(6)))}   ({outputs * inputs * 4 / at[1] / 1e3:F0} GB/s)");
        }

        return 0;
    }

    /// <summary>One thread: the pair against its two calls on a smaller first layer (256 → 256 → 128, 384 KiB of weights
    /// for both ways together, so alternating calls do not evict each other from L2), call by call.</summary>
    private static int PairProbe(int calls)
    {
        const int inputs = 256, hidden = 256, outputs = 128;
        float[] x = NetworkBenchmarks.Fill(inputs, 1), w = NetworkBenchmarks.Fill(hidden * inputs, 2), b = NetworkBenchmarks.Fill(hidden, 3);
        float[] w1 = NetworkBenchmarks.Fill(outputs * hidden, 4), b1 = NetworkBenchmarks.Fill(outputs, 5), h = new float[hidden], y = new float[outputs];
        var p0 = new NetGen.Kernels.PackedWeights<float>(inputs, hidden);
        var p1 = new NetGen.Kernels.PackedWeights<float>(hidden, outputs);
        BenchThreads.One();
        string[] names = ["two calls", "pair", "first layer alone", "second layer alone"];
        Action[] ways =
        [
            () =>
            {
                NetGen.Kernels.Gemv.Forward<float>(x, w, b, h, inputs, hidden, true, NetGen.Kernels.GemvMode.Serial, p0);
                NetGen.Kernels.Gemv.Forward<float>(h, w1, b1, y, hidden, outputs, true, NetGen.Kernels.GemvMode.Serial, p1);
            },
            () => NetGen.Kernels.Gemv.ForwardPair<float>(x, w, b, h, w1, b1, y, inputs, hidden, outputs, true, true, p0, p1),
            () => NetGen.Kernels.Gemv.Forward<float>(x, w, b, h, inputs, hidden, true, NetGen.Kernels.GemvMode.Serial, p0),
            () => NetGen.Kernels.Gemv.Forward<float>(h, w1, b1, y, hidden, outputs, true, NetGen.Kernels.GemvMode.Serial, p1),
        ];
        var times = new double[ways.Length][];
        for (int k = 0; k < ways.Length; k++)
        {
            times[k] = new double[calls];
        }
        for (int i = 0; i < 4000; i++)
        {
            ways[i % ways.Length]();
        }
        for (int i = 0; i < calls * ways.Length; i++)
        {
            int k = i % ways.Length;
            long t0 = Stopwatch.GetTimestamp();
            ways[k]();
            times[k][i / ways.Length] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        BenchThreads.Cores();
        Console.WriteLine($"{inputs}→{hidden}→{outputs} at batch 1, one thread, {calls} calls each, taking turns; µs at percentiles 5/10/25/50; load {File.ReadAllText("/proc/loadavg").Trim()}");
        for (int k = 0; k < ways.Length; k++)
        {
            double[] s = times[k].Order().ToArray();
            Console.WriteLine($"  {names[k],-20} {string.Join("  ", new[] { s[calls * 5 / 100], s[calls / 10], s[calls / 4], s[calls / 2] }.Select(v => v.ToString("F2").PadLeft(6)))}");
        }
        return 0;
    }

    // Panels of 8 rows: for each register step, the 8 rows' registers adjacent (the library's layout); the 16-row kernel
    // reads two 8-row panels at once, so both read the same bytes.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block8(float* w, float* x, float* y, int outputs, int k, bool prefetch)
    {
        for (int r = 0; r < outputs; r += 8)
        {
            float* wp = w + ((nint)r * k);
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int p = 0; p < k; p += 16)
            {
                if (prefetch)
                {
                    Sse.Prefetch0(wp + 512);
                    Sse.Prefetch0(wp + 512 + 64);
                }
                Vector512<float> v = Vector512.Load(x + p);
                s0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp), s0);
                s1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 48), s3);
                s4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 64), s4);
                s5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 80), s5);
                s6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 96), s6);
                s7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wp + 112), s7);
                wp += 128;
            }
            y[r] = Vector512.Sum(s0);
            y[r + 1] = Vector512.Sum(s1);
            y[r + 2] = Vector512.Sum(s2);
            y[r + 3] = Vector512.Sum(s3);
            y[r + 4] = Vector512.Sum(s4);
            y[r + 5] = Vector512.Sum(s5);
            y[r + 6] = Vector512.Sum(s6);
            y[r + 7] = Vector512.Sum(s7);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block16(float* w, float* x, float* y, int outputs, int k)
    {
        for (int r = 0; r < outputs; r += 16)
        {
            float* wa = w + ((nint)r * k), wb = wa + (8 * k);
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            Vector512<float> t0 = default, t1 = default, t2 = default, t3 = default, t4 = default, t5 = default, t6 = default, t7 = default;
            for (int p = 0; p < k; p += 16)
            {
                Vector512<float> v = Vector512.Load(x + p);
                s0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa), s0);
                s1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 48), s3);
                s4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 64), s4);
                s5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 80), s5);
                s6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 96), s6);
                s7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wa + 112), s7);
                t0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb), t0);
                t1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 16), t1);
                t2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 32), t2);
                t3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 48), t3);
                t4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 64), t4);
                t5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 80), t5);
                t6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 96), t6);
                t7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(wb + 112), t7);
                wa += 128;
                wb += 128;
            }
            y[r] = Vector512.Sum(s0);
            y[r + 1] = Vector512.Sum(s1);
            y[r + 2] = Vector512.Sum(s2);
            y[r + 3] = Vector512.Sum(s3);
            y[r + 4] = Vector512.Sum(s4);
            y[r + 5] = Vector512.Sum(s5);
            y[r + 6] = Vector512.Sum(s6);
            y[r + 7] = Vector512.Sum(s7);
            y[r + 8] = Vector512.Sum(t0);
            y[r + 9] = Vector512.Sum(t1);
            y[r + 10] = Vector512.Sum(t2);
            y[r + 11] = Vector512.Sum(t3);
            y[r + 12] = Vector512.Sum(t4);
            y[r + 13] = Vector512.Sum(t5);
            y[r + 14] = Vector512.Sum(t6);
            y[r + 15] = Vector512.Sum(t7);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Sum(float* w, int n)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int i = 0; i < n; i += 128)
        {
            s0 += Vector512.Load(w + i);
            s1 += Vector512.Load(w + i + 16);
            s2 += Vector512.Load(w + i + 32);
            s3 += Vector512.Load(w + i + 48);
            s4 += Vector512.Load(w + i + 64);
            s5 += Vector512.Load(w + i + 80);
            s6 += Vector512.Load(w + i + 96);
            s7 += Vector512.Load(w + i + 112);
        }
        return Vector512.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }
}
