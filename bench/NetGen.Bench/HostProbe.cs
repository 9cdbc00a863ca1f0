using System.Diagnostics;
using System.Text.Json;

namespace NetGen.Bench;

/// <summary>
/// <c>NetGen.Bench --host-probe [--json FILE]</c>: how the two cores of this machine hand work and data to each other,
/// the facts behind every two-thread figure (ADR 0055). A virtual machine's two vCPUs may sit on cores that share their
/// last-level cache or on cores that do not (another chiplet, another socket), and which it is can change from one boot
/// of the host to the next; the second case makes every hand-off and every read of data the other core wrote several
/// times slower, for NetGen's kernels and for the peers' thread pools alike.
/// <list type="bullet">
/// <item><c>round_trip_ns</c>: two threads take turns on one shared cache line (write, wait for the other's write);
/// the median over rounds of the time per round trip.</item>
/// <item><c>own_read_gbs</c> / <c>other_read_gbs</c>: one thread sums a 512 KiB buffer that it wrote itself, or that the
/// other thread wrote just before; medians over rounds. The ratio is the price of handing data over.</item>
/// </list>
/// Not pinned to cores (.NET has no per-thread affinity): with both threads spinning, the scheduler keeps them on the
/// two vCPUs; on a busy machine the figures degrade, and say so.
/// </summary>
internal static class HostProbe
{
    private const int LineLongs = 16; // 128 bytes: the shared flag alone on its line pair

    public static int Run(string[] args)
    {
        (double roundTrip, double own, double other) = Measure();
        Console.WriteLine(FormattableString.Invariant($"round trip between the two threads: {roundTrip:F0} ns"));
        Console.WriteLine(FormattableString.Invariant($"reading 512 KiB it wrote itself: {own:F1} GB/s; that the other core wrote: {other:F1} GB/s ({own / other:F1}x slower)"));
        int json = Array.IndexOf(args, "--json");
        if (json > 0 && json + 1 < args.Length)
        {
            File.WriteAllText(args[json + 1], JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["round_trip_ns"] = Math.Round(roundTrip),
                ["own_read_gbs"] = Math.Round(own, 1),
                ["other_read_gbs"] = Math.Round(other, 1),
            }));
        }
        return 0;
    }

    public static (double RoundTripNs, double OwnReadGBs, double OtherReadGBs) Measure()
    {
        if (Environment.ProcessorCount < 2)
        {
            return (double.NaN, double.NaN, double.NaN);
        }
        long[] flag = new long[3 * LineLongs];
        const int Trips = 20_000, Rounds = 15;
        var trips = new double[Rounds];
        var partner = new Thread(() =>
        {
            for (long i = 1; i <= (long)Trips * Rounds; i++)
            {
                while (Volatile.Read(ref flag[LineLongs]) != (2 * i) - 1)
                {
                }
                Volatile.Write(ref flag[LineLongs], 2 * i);
            }
        }) { IsBackground = true };
        partner.Start();
        long n = 0;
        for (int r = 0; r < Rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Trips; i++)
            {
                n++;
                Volatile.Write(ref flag[LineLongs], (2 * n) - 1);
                while (Volatile.Read(ref flag[LineLongs]) != 2 * n)
                {
                }
            }
            trips[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds * 1e9 / Trips;
        }
        partner.Join();

        // Bandwidth: the reader sums buf after it (own) or the other thread (other) filled it.
        float[] buf = new float[1 << 17];
        const int Reads = 41;
        var ownRead = new double[Reads];
        var otherRead = new double[Reads];
        long[] turn = new long[3 * LineLongs];
        var writer = new Thread(() =>
        {
            for (long i = 1; i <= Reads; i++)
            {
                while (Volatile.Read(ref turn[LineLongs]) != (2 * i) - 1)
                {
                }
                buf.AsSpan().Fill(i);
                Volatile.Write(ref turn[LineLongs], 2 * i);
            }
        }) { IsBackground = true };
        writer.Start();
        float sink = 0;
        for (int i = 0; i < Reads; i++)
        {
            buf.AsSpan().Fill(-i);
            long t0 = Stopwatch.GetTimestamp();
            sink += Sum(buf);
            ownRead[i] = buf.Length * 4.0 / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;

            Volatile.Write(ref turn[LineLongs], (2L * (i + 1)) - 1);
            while (Volatile.Read(ref turn[LineLongs]) != 2L * (i + 1))
            {
            }
            t0 = Stopwatch.GetTimestamp();
            sink += Sum(buf);
            otherRead[i] = buf.Length * 4.0 / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }
        writer.Join();
        GC.KeepAlive(sink);
        return (Median(trips), Median(ownRead), Median(otherRead));
    }

    /// <summary>Σ buf with four independent register chains (the loads, not the adds, set the pace).</summary>
    private static float Sum(float[] buf)
    {
        var s0 = System.Runtime.Intrinsics.Vector512<float>.Zero;
        var s1 = s0;
        var s2 = s0;
        var s3 = s0;
        ref float b = ref buf[0];
        int n = System.Runtime.Intrinsics.Vector512<float>.Count;
        for (int i = 0; i + (4 * n) <= buf.Length; i += 4 * n)
        {
            s0 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref b, (nuint)i);
            s1 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref b, (nuint)(i + n));
            s2 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref b, (nuint)(i + (2 * n)));
            s3 += System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref b, (nuint)(i + (3 * n)));
        }
        return System.Runtime.Intrinsics.Vector512.Sum(s0 + s1 + s2 + s3);
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
