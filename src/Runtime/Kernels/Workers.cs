using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace NetGen.Kernels;

/// <summary>A piece of work split into parts that may run at the same time, in any order, on any thread.</summary>
internal abstract class ParallelJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>. Must not throw for validated input.</summary>
    public abstract void Run(int part, int parts);
}

/// <summary>
/// The cores beyond the caller's: dedicated background threads that run one <see cref="ParallelJob"/> at a time.
/// </summary>
/// <remarks>
/// <para>Each thread starts on its own contiguous segment of the parts (<see cref="Segment"/>: the caller the first, a
/// worker the next), claims them one at a time, and then takes what the others have not claimed yet from the ends of
/// their segments (a slow core simply runs fewer); the caller returns when all are done; nothing is allocated per job.
/// So the same core runs the same parts of every job: for kernels split along the batch, the same samples, whose
/// activations and gradients then stay in that core's cache from one kernel to the next (ADR 0055: the two vCPUs here
/// share no cache, and data the other core wrote is read 4–5× slower than one's own). After a job a worker
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

    /// <summary>Pause-only waits throughout (<see cref="Thread.SpinWait"/>(1) between two reads of the shared state): the
    /// caller for 1 ms, an idle worker for its whole <see cref="SpinMicroseconds"/>, instead of the default 10 µs window
    /// before <see cref="SpinWait.SpinOnce(int)"/>. Off: on the 2-vCPU machine loaded about 6× beyond its cores the 64-row
    /// Predict and the MLP training step ran 1.5× slower with it (in-process, paired), and on the quiet machine it gained
    /// nothing over the 10 µs window (docs/adr/0034). Settable, so <c>NetGen.Bench --inference-ab</c> measures both.</summary>
    internal static bool PauseSpin
    {
        get => CallerPauseMicroseconds >= 1000;
        set => (CallerPauseMicroseconds, WorkerPauseMicroseconds) = value ? (1000, SpinMicroseconds) : (DefaultPauseMicroseconds, DefaultPauseMicroseconds);
    }

    /// <summary>The pause-only window of the caller and of an idle worker by default: long enough for a hand-off between two
    /// running cores (a few microseconds), short enough that a thread sharing its core with the one it waits for (an
    /// oversubscribed machine) yields after at most this long. Quiet 2-core VM, in-process and paired
    /// (<c>NetGen.Bench --inference-ab</c>, ADR 0034): one-row Predict 1.06× faster than with SpinOnce from the start,
    /// 64-row Predict 1.04×, the MLP training step 1.01×; a 1 ms window gained no more.</summary>
    internal const int DefaultPauseMicroseconds = 10;

    /// <summary>How long the caller waits for the last part with pause-only spins before it falls back to
    /// <see cref="SpinWait.SpinOnce(int)"/> (a worker that lost its core needs the scheduler to run again); 0 = SpinOnce
    /// from the start. <see cref="PauseSpin"/> sets it to 1 ms.</summary>
    internal static int CallerPauseMicroseconds { get; set; } = DefaultPauseMicroseconds;

    /// <summary>How long an idle worker polls for the next job with pause-only spins, within its
    /// <see cref="SpinMicroseconds"/>, before it polls with <see cref="SpinWait.SpinOnce(int)"/>; 0 = SpinOnce from the
    /// start.</summary>
    internal static int WorkerPauseMicroseconds { get; set; } = DefaultPauseMicroseconds;

    /// <summary>For jobs run with <c>affine: true</c>: how long the caller, done with part 0, leaves the other parts to the
    /// workers before it claims one itself. A worker that claims its part in time reads the same part of the operands on
    /// every call, which then stays in its core's cache (the batch-1 GEMV, ADR 0034); a worker that lost its core costs
    /// at most this long before the caller takes over. 0 = claim at once, as for every other job.</summary>
    internal static int AffinityGraceMicroseconds { get; set; }

    /// <summary>This machine's logical cores, at most 8: the caller and the worker threads started for it.</summary>
    private static readonly int s_hardwareParts = Math.Clamp(Environment.ProcessorCount, 1, 8);

    private static int s_maxParts = s_hardwareParts;

    /// <summary>Threads that run parts of a job: this machine's logical cores, at most 8 (the caller counts as one).
    /// Kernels split their work by it (see <see cref="PartsFor"/>); results do not depend on it (ADR 0007, ADR 0010).</summary>
    public static int MaxParts => s_maxParts;

    /// <summary>Tests only: splits every job as if the machine had <paramref name="threads"/> cores (1 to 8; 1 runs every
    /// kernel on the caller's thread alone), returning the previous value. It changes how work is cut, not the worker
    /// threads that exist, so a test can compare the results of a 1-, 2- and 8-way split on any machine.</summary>
    internal static int SplitAsIfForTests(int threads)
    {
        int previous = s_maxParts;
        s_maxParts = Math.Clamp(threads, 1, 8);
        return previous;
    }

    /// <summary>Parts per thread a job is cut into, at most: threads claim parts one at a time, so a core that runs slow
    /// (a busy hyperthread sibling, a hypervisor taking it away) ends up with fewer parts instead of holding the others.
    /// A kernel whose parts each re-read a shared operand asks for fewer (see <see cref="PackedGemm.PartsPerThread"/>).</summary>
    public const int PartsPerThread = 4;

    private static readonly object s_gate = new();
    private static ParallelJob? s_job;
    private static int s_parts;
    private static long s_generation;
    /// <summary>Each thread's segment of the running job, one per 128-byte line (no false sharing): at
    /// <c>(thread + 1) · SlotStride</c>, <c>(generation &lt;&lt; 32) | (next &lt;&lt; 16) | end</c>: the thread claims
    /// <c>next</c> upward, another thread that has run out steals <c>end − 1</c> downward (see <see cref="RunParts"/>).</summary>
    private static readonly long[] s_slots = new long[(MaxThreads + 2) * SlotStride];

    private const int SlotStride = 16;
    private const int MaxThreads = 8;

    /// <summary>The most parts a job may have: <c>next</c> and <c>end</c> take 16 bits each in a slot.</summary>
    private const int MaxSlotParts = 0xFFFF;
    private static int s_remaining;
    private static int s_sleeping;
    private static int s_busy;
    private static Exception? s_failure;
    private static readonly List<Action> s_forgetJobObjects = new();
    private static int s_jobObjectsForgotten;

    /// <summary>How many parts to cut <paramref name="work"/> into, each at least <paramref name="minWorkPerPart"/>, at
    /// most <paramref name="units"/> (the indivisible pieces there are) and at most <paramref name="partsPerThread"/> per
    /// thread; 1 on a one-core machine.</summary>
    public static int PartsFor(long work, long minWorkPerPart, long units, int partsPerThread = PartsPerThread)
    {
        if (MaxParts == 1)
        {
            return 1;
        }
        return (int)Math.Clamp(Math.Min(work / minWorkPerPart, units), 1, MaxParts * partsPerThread);
    }

    /// <summary>Tests only: how many times <see cref="ForgetJobObjects"/> ran. An allocation test running beside the test that
    /// calls it reads this before and after its measured window: a kernel's next call after a forget creates its job
    /// object again (88 bytes a job type), which is not an allocation of the code under test.</summary>
    internal static int JobObjectsForgotten => Volatile.Read(ref s_jobObjectsForgotten);

    /// <summary>Tests only: forgets every shared job object, so the next call of each kernel is a first call again.</summary>
    internal static void ForgetJobObjects()
    {
        lock (s_forgetJobObjects)
        {
            Interlocked.Increment(ref s_jobObjectsForgotten);
            foreach (Action forget in s_forgetJobObjects)
            {
                forget();
            }
            s_forgetJobObjects.Clear();
        }
    }

    /// <summary>Takes the workers for one job; <see langword="false"/> when another caller holds them. A caller that gets
    /// them fills in its job and then calls <see cref="RunAndRelease"/> (the job object may be shared, so it must not be
    /// touched before this returns <see langword="true"/>).</summary>
    public static bool TryAcquire() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    /// <summary><see cref="TryAcquire()"/> for a job of type <typeparamref name="TJob"/>, handing out the one object of
    /// that type that every caller fills in (one job runs at a time, so one per type serves them all).</summary>
    /// <remarks>The object is fetched <i>before</i> the workers are asked for, so the first call creates it even when it
    /// finds them busy and runs on one thread; a later call that does split then allocates nothing. Fetched only once
    /// the workers were taken, it was created (88 bytes) inside an allocation test's measured window whenever that
    /// test's warm-up had found the workers held by a test running in parallel.</remarks>
    public static bool TryAcquire<TJob>(out TJob job)
        where TJob : ParallelJob, new()
    {
        job = JobObject<TJob>.Shared;
        return TryAcquire();
    }

    /// <summary>The shared object of one job type, created on first use.</summary>
    private static class JobObject<TJob>
        where TJob : ParallelJob, new()
    {
        private static TJob? s_shared;

        public static TJob Shared => s_shared ?? Create();

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static TJob Create()
        {
            var job = new TJob();
            lock (s_forgetJobObjects)
            {
                s_forgetJobObjects.Add(static () => s_shared = null);
            }
            s_shared = job;
            return job;
        }
    }

    /// <summary>Runs <paramref name="job"/> in <paramref name="parts"/> parts, which this thread and the workers claim one
    /// at a time, then releases the workers taken by <see cref="TryAcquire"/>.</summary>
    /// <param name="job">The job.</param>
    /// <param name="parts">Its parts.</param>
    /// <param name="affine">Each part is meant for its own thread (see <see cref="AffinityGraceMicroseconds"/>).</param>
    /// <param name="oneCoreWhileAsleep">When a worker is asleep (no job for <see cref="SpinMicroseconds"/>), run every
    /// part on this thread instead of handing parts to a thread that first has to be scheduled (ADR 0054: a short,
    /// latency-bound job such as the batch-1 GEMV); and when such a job came less than <see cref="BurstMicroseconds"/>
    /// before, wake the workers for the next one (calls in a burst split again; isolated calls never pay for a wake-up
    /// nor make a worker spin). Splitting never changes results.</param>
    public static void RunAndRelease(ParallelJob job, int parts, bool affine = false, bool oneCoreWhileAsleep = false)
    {
        try
        {
            if (parts <= 1)
            {
                job.Run(0, 1);
                return;
            }
            if (oneCoreWhileAsleep && OneCoreWhileAsleep && Volatile.Read(ref s_sleeping) != 0)
            {
                long now = Stopwatch.GetTimestamp();
                if (now - s_lastOneCoreRun < MicrosecondsToTicks(BurstMicroseconds) && Volatile.Read(ref s_sleeps) != s_sleepsAtWake)
                {
                    WakeWithoutJob(); // the second call of a burst: the next one finds the workers spinning
                }
                s_lastOneCoreRun = now;
                s_oneCoreRuns++;
                for (int part = 0; part < parts; part++)
                {
                    job.Run(part, parts);
                }
                return;
            }
            if (parts > MaxSlotParts)
            {
                for (int part = 0; part < parts; part++)
                {
                    job.Run(part, parts);
                }
                return;
            }
            long generation = s_generation + 1;
            s_job = job;
            s_parts = parts;
            s_failure = null;
            Volatile.Write(ref s_remaining, parts);
            // Thread t's segment is parts [t·parts/T, (t+1)·parts/T): the same thread gets the same range of every job
            // (the same samples, for a kernel split along the batch), so data that one kernel wrote stays in the cache of
            // the core that reads it next. Part 0 is the caller's before anyone can claim: the caller runs at least one
            // part of every job, so the per-thread state it needs (packing buffers sized for the whole product) exists
            // after the first call of each kind, whichever thread is faster; a later call then allocates nothing on the
            // caller's thread.
            int threads = s_hardwareParts;
            for (int t = 0; t < threads; t++)
            {
                (int start, int end) = KeepPartsOnTheirCore ? Segment(t, threads, parts) : t == 0 ? (0, parts) : (0, 0);
                if (t == 0)
                {
                    start = 1; // part 0: the caller's, run below
                }
                Volatile.Write(ref s_slots[(t + 1) * SlotStride], (generation << 32) | ((long)start << 16) | (uint)end);
            }
            Interlocked.Exchange(ref s_generation, generation); // full fence: publishes the job before the workers look
            if (Volatile.Read(ref s_sleeping) != 0)
            {
                lock (s_gate)
                {
                    Monitor.PulseAll(s_gate);
                }
            }

            RunPart(job, 0, parts);
            Interlocked.Decrement(ref s_remaining);
            if (affine && AffinityGraceMicroseconds > 0)
            {
                // Leave the other parts to the workers for a while (see AffinityGraceMicroseconds).
                long grace = Stopwatch.GetTimestamp() + MicrosecondsToTicks(AffinityGraceMicroseconds);
                while (AnyUnclaimed(generation) && Stopwatch.GetTimestamp() < grace)
                {
                    Thread.SpinWait(1);
                }
            }

            RunParts(job, parts, generation, 0);
            var spin = new SpinWait();
            long pauseUntil = CallerPauseMicroseconds > 0 ? Stopwatch.GetTimestamp() + MicrosecondsToTicks(CallerPauseMicroseconds) : 0;
            while (Volatile.Read(ref s_remaining) != 0)
            {
                if (pauseUntil != 0)
                {
                    // Pause-only: read the counter between single pauses, the clock every 64 reads.
                    for (int i = 0; i < 64 && Volatile.Read(ref s_remaining) != 0; i++)
                    {
                        Thread.SpinWait(1);
                    }

                    pauseUntil = Stopwatch.GetTimestamp() < pauseUntil ? pauseUntil : 0;
                    continue;
                }
                spin.SpinOnce(sleep1Threshold: -1);
            }

            // A worker that saw this generation late finds nothing left to claim: every part was claimed (next = end in
            // every slot of this generation), and a later job's slots carry another generation.
            s_job = null;
            if (s_failure is { } failure)
            {
                throw new InvalidOperationException("A thread failed while running a parallel kernel.", failure);
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Wakes the sleeping workers with an empty generation (no job, its claim counter closed): they find nothing to
    /// run and spin for <see cref="SpinMicroseconds"/>, so the next job finds them awake. Called with the workers held.</summary>
    private static void WakeWithoutJob()
    {
        long generation = s_generation + 1;
        s_job = null;
        s_parts = 0;
        for (int t = 0; t < s_hardwareParts; t++)
        {
            Volatile.Write(ref s_slots[(t + 1) * SlotStride], generation << 32);
        }
        Interlocked.Exchange(ref s_generation, generation);
        s_sleepsAtWake = Volatile.Read(ref s_sleeps); // until a worker blocks again, a later call need not wake them
        s_wakesWithoutJob++;
        lock (s_gate)
        {
            Monitor.PulseAll(s_gate);
        }
    }

    /// <summary>Two jobs run with <c>oneCoreWhileAsleep</c> less than this far apart are a burst: the second wakes the
    /// workers. Longer than <see cref="SpinMicroseconds"/> (a worker that blocked has had no job for that long) and short
    /// enough that isolated calls (a request now and then) stay on the caller's core alone.</summary>
    internal const int BurstMicroseconds = 1000;

    private static long s_oneCoreRuns; // with the workers held: no race
    private static long s_wakesWithoutJob;

    /// <summary>Wake-ups of the second call of a burst (<see cref="BurstMicroseconds"/>) since the process started: for tests.</summary>
    internal static long WakesWithoutJob => Volatile.Read(ref s_wakesWithoutJob);
    private static long s_lastOneCoreRun = long.MinValue / 2;
    private static long s_sleeps; // times a worker has blocked, counted under s_gate
    private static long s_sleepsAtWake = -1;

    /// <summary>Whether jobs run with <c>oneCoreWhileAsleep</c> do so (the default, ADR 0054); off, they wake the workers
    /// and hand them parts as every other job does. Settable, so <c>NetGen.Bench --latency-tail</c> measures both.</summary>
    internal static bool OneCoreWhileAsleep { get; set; } = true;

    /// <summary>Jobs run on the caller alone because a worker was asleep (<c>oneCoreWhileAsleep</c>), since the process
    /// started: for tests and <c>NetGen.Bench --latency-tail</c>.</summary>
    internal static long OneCoreRuns => Volatile.Read(ref s_oneCoreRuns);

    /// <summary>Tests only: whether a worker is blocked, waiting to be woken.</summary>
    internal static bool AnyAsleep => Volatile.Read(ref s_sleeping) != 0;

    /// <summary>Claims and runs parts of the job of <paramref name="generation"/> until none are left: first this
    /// thread's own segment from its start upward, then what the others have not claimed yet, from their ends
    /// downward (a thread that lost its core holds up nobody).</summary>
    private static void RunParts(ParallelJob job, int parts, long generation, int thread)
    {
        long tag = generation << 32;
        int threads = s_hardwareParts;
        int done = 0;
        ref long own = ref s_slots[(thread + 1) * SlotStride];
        while (true)
        {
            long slot = Volatile.Read(ref own);
            if ((slot & ~0xFFFF_FFFFL) != tag || ((slot >> 16) & 0xFFFF) >= (slot & 0xFFFF))
            {
                break;
            }
            if (Interlocked.CompareExchange(ref own, slot + (1L << 16), slot) == slot)
            {
                RunPart(job, (int)((slot >> 16) & 0xFFFF), parts);
                done++;
            }
        }
        for (int k = 1; k < threads; k++)
        {
            ref long other = ref s_slots[((thread + k) % threads + 1) * SlotStride];
            while (true)
            {
                long slot = Volatile.Read(ref other);
                if ((slot & ~0xFFFF_FFFFL) != tag || ((slot >> 16) & 0xFFFF) >= (slot & 0xFFFF))
                {
                    break;
                }
                if (KeepPartsOnTheirCore)
                {
                    if (Interlocked.CompareExchange(ref other, slot - 1, slot) == slot)
                    {
                        RunPart(job, (int)(slot & 0xFFFF) - 1, parts);
                        done++;
                    }
                }
                else if (Interlocked.CompareExchange(ref other, slot + (1L << 16), slot) == slot)
                {
                    // As before ADR 0055: one queue, every thread takes the next part from its front.
                    RunPart(job, (int)((slot >> 16) & 0xFFFF), parts);
                    done++;
                }
            }
        }
        if (done > 0)
        {
            Interlocked.Add(ref s_remaining, -done);
        }
    }

    /// <summary>Thread <paramref name="thread"/>'s share of a job of <paramref name="parts"/> parts run by
    /// <paramref name="threads"/> threads: parts [⌈t·parts/T⌉, ⌈(t+1)·parts/T⌉), contiguous, in thread order, thread 0's
    /// never empty (it holds part 0, the caller's).</summary>
    internal static (int Start, int End) Segment(int thread, int threads, int parts) =>
        ((int)((((long)thread * parts) + threads - 1) / threads), (int)((((long)(thread + 1) * parts) + threads - 1) / threads));

    /// <summary>Whether each thread starts on its own <see cref="Segment"/> of a job (the default, ADR 0055); off, every
    /// part waits in the caller's segment and the workers take them from its end, so which core runs which part changes
    /// from job to job, as before. Settable, so <c>NetGen.Bench --step-profile</c> measures both in one process.</summary>
    internal static bool KeepPartsOnTheirCore { get; set; } = true;

    /// <summary>Whether another thread's segment of the job of <paramref name="generation"/> still has unclaimed parts.</summary>
    private static bool AnyUnclaimed(long generation)
    {
        long tag = generation << 32;
        for (int t = 1; t < s_hardwareParts; t++)
        {
            long slot = Volatile.Read(ref s_slots[(t + 1) * SlotStride]);
            if ((slot & ~0xFFFF_FFFFL) == tag && ((slot >> 16) & 0xFFFF) < (slot & 0xFFFF))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Runs one part, keeps its exception for the caller, and counts it done.</summary>
    private static void RunPart(ParallelJob job, int part, int parts)
    {
        try
        {
            job.Run(part, parts);
        }
        catch (Exception e)
        {
            s_failure = e;
        }
    }

    static Workers()
    {
        for (int worker = 1; worker < s_hardwareParts; worker++)
        {
            int thread = worker;
            new Thread(() => Loop(thread)) { IsBackground = true, Name = $"NetGen worker {worker}" }.Start();
        }
    }

    private static void Loop(int thread)
    {
        long seen = 0;
        while (true)
        {
            seen = WaitForNext(seen);
            ParallelJob? job = s_job;
            int parts = s_parts;
            if (job is not null)
            {
                RunParts(job, parts, seen, thread);
            }
        }
    }

    private static long MicrosecondsToTicks(int microseconds) => Stopwatch.Frequency * microseconds / 1_000_000;

    private static long WaitForNext(long seen)
    {
        long start = Stopwatch.GetTimestamp();
        long deadline = start + MicrosecondsToTicks(SpinMicroseconds);
        long pauseUntil = start + MicrosecondsToTicks(Math.Min(WorkerPauseMicroseconds, SpinMicroseconds));
        while (Stopwatch.GetTimestamp() < pauseUntil)
        {
            // Read the generation between single pauses; the clock only every 64 reads.
            for (int i = 0; i < 64; i++)
            {
                long now = Volatile.Read(ref s_generation);
                if (now != seen)
                {
                    return now;
                }
                Thread.SpinWait(1);
            }
        }

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
            Volatile.Write(ref s_sleeps, s_sleeps + 1);
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
