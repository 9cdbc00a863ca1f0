using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Bench;

/// <summary>
/// <c>--read-bandwidth [--reps N]</c>: how fast this machine's cores read floats that are already in their caches — the
/// floor under a batch-1 forward pass, which must read every weight once. For the benchmark MLP 784-256-128-10 the
/// weights are 234,752 floats (0.94 MB). Prints, best of N repetitions (the best is the figure a quiet moment gives;
/// medians are printed beside it):
/// <list type="bullet">
/// <item>one core summing 0.94 MB, 0.47 MB (half of the weights: one core's share when the layers are split) and 24 KB (L1);</item>
/// <item>two cores each summing their own 0.47 MB, started by one spinning hand-off and joined by another, as a split
/// batch-1 forward would be — the time from the caller's start to both sums done.</item>
/// </list>
/// The sums use Vector512 (Vector256 where the JIT does not accelerate 512 bits) with 8 independent accumulators, so
/// the loads, not the adds, bound them.
/// </summary>
internal static class ReadBandwidth
{
    private const int MlpWeights = (784 * 256) + (256 * 128) + (128 * 10);

    public static int Run(string[] args)
    {
        int reps = 20_000;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--reps" && i + 1 < args.Length)
            {
                reps = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Console.WriteLine($"Vector512 accelerated: {Vector512.IsHardwareAccelerated}; {Environment.ProcessorCount} logical CPUs; {reps} repetitions each, best and median");
        OneCore("one core, all MLP weights (0.94 MB)", MlpWeights, reps);
        OneCore("one core, half the MLP weights (0.47 MB)", MlpWeights / 2, reps);
        OneCore("one core, 24 KB (L1)", 6 * 1024, reps);
        TwoCores(MlpWeights / 2, reps);
        return 0;
    }

    private static void OneCore(string what, int floats, int reps)
    {
        float[] data = Filled(floats);
        float sink = 0;
        for (int i = 0; i < 200; i++)
        {
            sink += Sum(data);
        }

        var ticks = new long[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            sink += Sum(data);
            ticks[r] = Stopwatch.GetTimestamp() - t0;
        }

        Report(what, floats, ticks, sink);
    }

    private static void TwoCores(int floatsPerCore, int reps)
    {
        float[] mine = Filled(floatsPerCore);
        float[]? theirs = null;
        long go = 0, done = 0, stop = 0;
        float workerSink = 0;
        var worker = new Thread(() =>
        {
            float[] local = Filled(floatsPerCore); // allocated and first touched by the worker
            Volatile.Write(ref theirs, local);
            long seen = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                long g = Volatile.Read(ref go);
                if (g == seen)
                {
                    continue; // spin: the hand-off this measures is one cache line changing hands
                }

                seen = g;
                workerSink += Sum(local);
                Volatile.Write(ref done, g);
            }
        })
        { IsBackground = true };
        worker.Start();
        while (Volatile.Read(ref theirs) is null)
        {
            Thread.SpinWait(10);
        }

        float sink = 0;
        var ticks = new long[reps];
        for (int r = -200; r < reps; r++)
        {
            long round = r + 201;
            long t0 = Stopwatch.GetTimestamp();
            Volatile.Write(ref go, round);
            sink += Sum(mine);
            while (Volatile.Read(ref done) != round)
            {
            }

            long t = Stopwatch.GetTimestamp() - t0;
            if (r >= 0)
            {
                ticks[r] = t;
            }
        }

        Volatile.Write(ref stop, 1);
        worker.Join();
        Report("two cores, 0.47 MB each, one spinning hand-off and join", 2 * floatsPerCore, ticks, sink + workerSink);
    }

    private static void Report(string what, int floats, long[] ticks, float sink)
    {
        Array.Sort(ticks);
        double best = ticks[0] * 1e6 / Stopwatch.Frequency;
        double median = ticks[ticks.Length / 2] * 1e6 / Stopwatch.Frequency;
        double bytes = floats * 4.0;
        Console.WriteLine(FormattableString.Invariant(
            $"{what,-58} {bytes / 1e6,6:F3} MB  best {best,7:F3} µs ({bytes / best / 1e3,6:F1} GB/s)  median {median,7:F3} µs ({bytes / median / 1e3,6:F1} GB/s){(sink == 12345 ? " " : "")}"));
    }

    private static float[] Filled(int floats)
    {
        var data = new float[floats];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (i % 7) * 1e-3f;
        }

        return data;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Sum(float[] data)
    {
        return Vector512.IsHardwareAccelerated ? Sum512(data) : Sum256(data);
    }

    private static float Sum512(float[] data)
    {
        ref float p = ref data[0];
        int n = data.Length, i = 0;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (; i <= n - 128; i += 128)
        {
            a0 += Vector512.LoadUnsafe(ref p, (nuint)i);
            a1 += Vector512.LoadUnsafe(ref p, (nuint)(i + 16));
            a2 += Vector512.LoadUnsafe(ref p, (nuint)(i + 32));
            a3 += Vector512.LoadUnsafe(ref p, (nuint)(i + 48));
            a4 += Vector512.LoadUnsafe(ref p, (nuint)(i + 64));
            a5 += Vector512.LoadUnsafe(ref p, (nuint)(i + 80));
            a6 += Vector512.LoadUnsafe(ref p, (nuint)(i + 96));
            a7 += Vector512.LoadUnsafe(ref p, (nuint)(i + 112));
        }

        float s = Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        for (; i < n; i++)
        {
            s += data[i];
        }

        return s;
    }

    private static float Sum256(float[] data)
    {
        ref float p = ref data[0];
        int n = data.Length, i = 0;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (; i <= n - 64; i += 64)
        {
            a0 += Vector256.LoadUnsafe(ref p, (nuint)i);
            a1 += Vector256.LoadUnsafe(ref p, (nuint)(i + 8));
            a2 += Vector256.LoadUnsafe(ref p, (nuint)(i + 16));
            a3 += Vector256.LoadUnsafe(ref p, (nuint)(i + 24));
            a4 += Vector256.LoadUnsafe(ref p, (nuint)(i + 32));
            a5 += Vector256.LoadUnsafe(ref p, (nuint)(i + 40));
            a6 += Vector256.LoadUnsafe(ref p, (nuint)(i + 48));
            a7 += Vector256.LoadUnsafe(ref p, (nuint)(i + 56));
        }

        float s = Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        for (; i < n; i++)
        {
            s += data[i];
        }

        return s;
    }
}
