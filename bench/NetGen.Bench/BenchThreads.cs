using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// The one-thread side of the benchmarks' A/B modes: every kernel on the calling thread, then back to the cores.
/// Splitting as if the machine had one core (<c>Workers.SplitAsIfForTests(1)</c>) is not enough on its own: the
/// convolution backward's sample groups do not depend on <c>Workers.MaxParts</c> (they fix its summation order), so it
/// still hands them to the worker threads. Holding the workers makes every kernel that finds them taken run all its
/// parts itself.
/// </summary>
internal static class BenchThreads
{
    private static bool s_holding;

    /// <summary>Every kernel on this thread from now on: split as one core, the workers held.</summary>
    public static void One()
    {
        Workers.SplitAsIfForTests(1);
        if (!s_holding)
        {
            s_holding = Workers.TryAcquire();
        }
    }

    /// <summary>The workers released (a one-part job releases what <c>TryAcquire</c> took), the work split as if the
    /// machine had <paramref name="parts"/> cores.</summary>
    public static void Cores(int parts = 2)
    {
        if (s_holding)
        {
            Workers.RunAndRelease(new NoJob(), 1);
            s_holding = false;
        }
        Workers.SplitAsIfForTests(parts);
    }

    /// <summary><see cref="One"/> when <paramref name="oneThread"/>, else <see cref="Cores"/> on two.</summary>
    public static void Set(bool oneThread)
    {
        if (oneThread)
        {
            One();
        }
        else
        {
            Cores();
        }
    }

    /// <summary>A job with nothing to do: run as one part, it only releases the workers.</summary>
    private sealed class NoJob : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }
}
