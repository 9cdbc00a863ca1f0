using System;
using System.Diagnostics;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>A piece of work split into parts that run at the same time, one per core.</summary>
internal abstract class ParallelJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>. Must not throw for validated input.</summary>
    public abstract void Run(int part, int parts);
}

/// <summary>
/// The cores beyond the caller's: dedicated background threads that run one <see cref="ParallelJob"/> at a time.
/// </summary>
/// <remarks>
/// <para>The caller runs part 0 itself and waits for the others; nothing is allocated per job. After a job a worker
/// spins for <see cref="SpinMicroseconds"/> before it blocks, so the next GEMM of the same training step finds it
/// awake (waking a blocked thread costs tens of microseconds, as much as a small GEMM).</para>
/// <para>One job runs at a time. A caller that finds the workers busy (two networks trained on two threads) is told so
/// by <see cref="TryAcquire"/> and runs the work itself: splitting never changes results (see <c>PackedGemm</c>), so
/// this only costs time.</para>
/// </remarks>
internal static class Workers
{
    /// <summary>How long an idle worker spins before it blocks.</summary>
    private const int SpinMicroseconds = 200;

    /// <summary>Parts a job may be split into: this machine's logical cores, at most 8 (the caller counts as one).</summary>
    public static readonly int MaxParts = Math.Clamp(Environment.ProcessorCount, 1, 8);

    private static readonly object s_gate = new();
    private static ParallelJob? s_job;
    private static int s_parts;
    private static long s_generation;
    private static int s_pending;
    private static int s_sleeping;
    private static int s_busy;
    private static Exception? s_failure;

    /// <summary>Takes the workers for one job; <see langword="false"/> when another caller holds them. A caller that gets
    /// them fills in its job and then calls <see cref="RunAndRelease"/> (the job object may be shared, so it must not be
    /// touched before this returns <see langword="true"/>).</summary>
    public static bool TryAcquire() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    /// <summary>Runs <paramref name="job"/> in <paramref name="parts"/> parts, part 0 on this thread, then releases the
    /// workers taken by <see cref="TryAcquire"/>.</summary>
    public static void RunAndRelease(ParallelJob job, int parts)
    {
        try
        {
            if (parts <= 1)
            {
                job.Run(0, 1);
                return;
            }
            s_job = job;
            s_parts = parts;
            s_failure = null;
            Volatile.Write(ref s_pending, parts - 1);
            Interlocked.Increment(ref s_generation); // full fence: publishes the job before the workers look
            if (Volatile.Read(ref s_sleeping) != 0)
            {
                lock (s_gate)
                {
                    Monitor.PulseAll(s_gate);
                }
            }

            job.Run(0, parts);
            var spin = new SpinWait();
            while (Volatile.Read(ref s_pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            s_job = null;
            if (s_failure is { } failure)
            {
                throw new InvalidOperationException("A worker thread failed while running a parallel kernel.", failure);
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>The workers start with the first use of this class (the warm-up call), so that no later call allocates.</summary>
    static Workers()
    {
        for (int part = 1; part < MaxParts; part++)
        {
            int p = part;
            new Thread(() => Loop(p, 0)) { IsBackground = true, Name = $"NetGen worker {p}" }.Start();
        }
    }

    private static void Loop(int part, long seen)
    {
        while (true)
        {
            seen = WaitForNext(seen);
            ParallelJob? job = s_job;
            if (job is not null && part < s_parts)
            {
                try
                {
                    job.Run(part, s_parts);
                }
                catch (Exception e)
                {
                    s_failure = e;
                }
                Interlocked.Decrement(ref s_pending);
            }
        }
    }

    private static long WaitForNext(long seen)
    {
        long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
        var spin = new SpinWait();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            long now = Volatile.Read(ref s_generation);
            if (now != seen)
            {
                return now;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }

        lock (s_gate)
        {
            Interlocked.Increment(ref s_sleeping); // full fence: either RunAndRelease sees us sleeping, or we see its job
            try
            {
                long now;
                while ((now = Volatile.Read(ref s_generation)) == seen)
                {
                    Monitor.Wait(s_gate);
                }
                return now;
            }
            finally
            {
                Interlocked.Decrement(ref s_sleeping);
            }
        }
    }
}
