using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>
/// Asserts that code allocates nothing on the calling thread, in a way that a loaded machine cannot fail.
/// </summary>
/// <remarks>
/// <para><see cref="GC.GetAllocatedBytesForCurrentThread"/> counts this thread's allocations only: other threads (the
/// test runner, tests running beside this one, the kernels' worker threads) never show in it. But it is the thread's
/// allocated bytes minus the unused rest of its allocation context, and a garbage collection retires that context: a
/// collection that another thread's allocations start while this thread is inside the measured window adds the unused
/// rest, up to the 8 KB allocation quantum, to the count. Measured here on .NET 10 (a thread allocating beside 3,000
/// windows of LayerNorm calls): 7.6–8.2 KB in about 1 window in 100 while background collections ran, every such window
/// with a GC pause in it and none without (the background collection's second suspension does not change
/// <see cref="GC.CollectionCount"/>, so the pause total is what tells). That is the 6–7 KB with which
/// <c>LayerNormTests.ForwardAndBackward_DoNotAllocate</c> failed under load.</para>
/// <para>So a window during which the runtime paused threads for a collection (<see cref="GC.GetTotalPauseDuration"/> or
/// a collection count changed) is measured again, up to <see cref="Windows"/> times, after running
/// <c>beforeEachWindow</c> again (a test of first calls re-creates its first-call state there). Every undisturbed window
/// must show 0 bytes, and the first undisturbed one that does not fails the test at once: an allocation made by the
/// code in a window is caught as before. Windows in which this thread compiled code are not discarded, so a path the
/// warm-up did not take still fails if its first call allocates.</para>
/// <para>A window during which another test called <c>Workers.ForgetJobObjects</c> (<c>AllocationTests</c> does, to
/// make every kernel's next call a first call) is measured again too: the kernel's next call then creates its shared
/// job object again (88 bytes a job type, 248 in the test of it) inside this test's window. <c>BatchNormTests.TrainingStep_DoesNotAllocate</c>, which
/// runs beside that collection, failed once so.</para>
/// <para>A disturbed window that still shows 0 bytes passes: a collection or a re-created job object can only add to the
/// count (the retired rest of the allocation context, the job object), never take an allocation out of it, so 0 proves
/// the calls allocated nothing. Under a test run at load 15–50 every one of 20 windows of
/// <c>BatchNormTests.TrainingStep_DoesNotAllocate</c> once had a collection in it, each measuring 0 bytes, and the test
/// failed for want of an undisturbed window. So that the probe's own bookkeeping leaves the allocation context empty
/// between windows, nothing is allocated between them: the disturbed windows' counts go into arrays made before the
/// first one, and the message is built only when the test fails.</para>
/// </remarks>
internal static class AllocationProbe
{
    /// <summary>Windows tried before the test gives up finding one without a collection.</summary>
    public const int Windows = 20;

    /// <summary>Runs <paramref name="calls"/> <paramref name="warmups"/> times, then asserts that <paramref name="repeats"/>
    /// further runs allocate 0 bytes on this thread, in a window without a garbage collection.</summary>
    public static void AssertNoAllocation(Action calls, int warmups = 3, int repeats = 3, Action? beforeEachWindow = null)
    {
        for (int i = 0; i < warmups; i++)
        {
            calls();
        }

        long[] disturbedBytes = new long[Windows];
        bool[] forgets = new bool[Windows];
        for (int window = 0; window < Windows; window++)
        {
            beforeEachWindow?.Invoke();
            TimeSpan paused = GC.GetTotalPauseDuration();
            int collections = GC.CollectionCount(0);
            int forgotten = Workers.JobObjectsForgotten;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < repeats; i++)
            {
                calls();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (GC.GetTotalPauseDuration() == paused && GC.CollectionCount(0) == collections && Workers.JobObjectsForgotten == forgotten)
            {
                Assert.True(allocated == 0, $"{allocated} bytes allocated in {repeats} runs after {warmups} warm-up runs, in a window without a garbage collection ({window} windows with one before it: {Disturbed(disturbedBytes, forgets, window)})");
                return;
            }

            if (allocated == 0)
            {
                return; // disturbed, yet 0: a disturbance only adds to the count, so nothing was allocated
            }

            disturbedBytes[window] = allocated;
            forgets[window] = Workers.JobObjectsForgotten != forgotten;
        }

        Assert.Fail($"every one of {Windows} windows of {repeats} runs had a garbage collection or a forget of the job objects in it, and none of them measured 0 bytes: {Disturbed(disturbedBytes, forgets, Windows)}");
    }

    /// <summary>The disturbed windows' counts, for a failure's message.</summary>
    private static string Disturbed(long[] bytes, bool[] forgets, int count) =>
        string.Join("; ", Enumerable.Range(0, count).Select(w => forgets[w] ? $"{bytes[w]} bytes (job objects forgotten)" : $"{bytes[w]} bytes"));
}
