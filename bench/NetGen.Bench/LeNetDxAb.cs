using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --lenet-dx-ab [CALLS] [--cpu]</c>, ADR 0063): LeNet's conv2 backward
/// (20 → 50 channels, 5×5, 12×12 → 8×8, batch 64: dx and dW, as the training step calls it) and its dx alone
/// (<see cref="Conv2DBackward.DirectInputGradient{T}"/> over the batch, one thread), with ADR 0063's switches off (A) and on
/// (B), alternating call by call (AB, BA, …) on the same inputs; per case the medians of each side and their ratio A/B, on
/// one thread and on both cores. <c>--cpu</c>: the one-thread cases by the thread's CPU clock (the time slices other
/// processes take are not counted). Also checks that A and B give the same bits.</summary>
internal static class LeNetDxAb
{
    /// <summary>Which switch A/B flips: <c>NETGEN_DX_AB=once</c> (<see cref="Conv2DBackward.WeightsOncePerCall"/>, the
    /// default), <c>permuted</c> (<see cref="Conv2DBackward.PermutedGather"/>), <c>all</c> (both: before and after ADR 0063)
    /// or <c>interleave</c> (<see cref="Conv2DBackward.InterleavedCol2Im"/>, kept off); the others stay on.</summary>
    private static readonly string s_which = Environment.GetEnvironmentVariable("NETGEN_DX_AB") ?? "once";

    private static void Set(bool on)
    {
        Conv2DBackward.WeightsOncePerCall = on || (s_which != "once" && s_which != "all");
        Conv2DBackward.PermutedGather = on || (s_which != "permuted" && s_which != "all");
        Conv2DBackward.InterleavedCol2Im = on && s_which == "interleave";
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private static long CpuNow()
    {
        ClockGetTime(3, out TimeSpec t); // CLOCK_THREAD_CPUTIME_ID
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    public static unsafe int Run(string[] args)
    {
        bool cpu = args.Contains("--cpu");
        int calls = args.Length > 1 && int.TryParse(args[1], out int c0) ? c0 : 200;
        const int B = 64;
        var g = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        float[] x = NetworkBenchmarks.Fill(B * g.InputLength, 1), dy = NetworkBenchmarks.Fill(B * g.OutputLength, 2), w = NetworkBenchmarks.Fill(g.WeightLength, 3);
        float[] dwA = new float[g.WeightLength], dbA = new float[50], dwB = new float[g.WeightLength], dbB = new float[50];
        float[] dxA = new float[B * g.InputLength], dxB = new float[B * g.InputLength];
        void Backward(bool on)
        {
            Set(on);
            Conv2D.Backward<float>(dy, x, w, on ? dxB : dxA, on ? dwB : dwA, on ? dbB : dbA, B, g);
        }
        void DxAlone(bool on)
        {
            Set(on);
            fixed (float* pdy = dy, pw = w, pdx = on ? dxB : dxA)
            {
                Conv2DBackward.DirectInputGradient(pdy, pw, pdx, 0, B, g);
            }
        }
        Backward(false);
        Backward(true);
        bool same = dxA.AsSpan().SequenceEqual(dxB) && dwA.AsSpan().SequenceEqual(dwB);
        Console.WriteLine($"dx and dW the same bits with the switches off and on: {same}");
        var cases = new (string Name, Action<bool> Body, bool OneThread)[]
        {
            ("conv2 backward, 1 thread", Backward, true),
            ("conv2 dx alone, 1 thread", DxAlone, true),
            ("conv2 backward, 2 threads", Backward, false),
        };
        foreach (var (name, body, oneThread) in cases)
        {
            BenchThreads.Set(oneThread);
            bool useCpu = cpu && oneThread;
            double freq = useCpu ? 1e9 : Stopwatch.Frequency;
            var per = new[] { new List<double>(), new List<double>() };
            for (int i = 0; i < 10; i++)
            {
                body(i % 2 == 1);
            }
            for (int r = 0; r < calls; r++)
            {
                for (int k = 0; k < 2; k++)
                {
                    int side = (k + r) % 2;
                    long t0 = useCpu ? CpuNow() : Stopwatch.GetTimestamp();
                    body(side == 1);
                    long t1 = useCpu ? CpuNow() : Stopwatch.GetTimestamp();
                    per[side].Add((t1 - t0) * 1e6 / freq);
                }
            }
            foreach (var l in per)
            {
                l.Sort();
            }
            double a = per[0][per[0].Count / 2], b = per[1][per[1].Count / 2];
            Console.WriteLine(FormattableString.Invariant($"{name,-28} before {a,8:F1} us   ADR 0063 {b,8:F1} us   ratio {a / b:F3}   (fastest {per[0][0]:F1} / {per[1][0]:F1})"));
        }
        Conv2DBackward.WeightsOncePerCall = true;
        Conv2DBackward.PermutedGather = true;
        Conv2DBackward.InterleavedCol2Im = false;
        return 0;
    }
}
