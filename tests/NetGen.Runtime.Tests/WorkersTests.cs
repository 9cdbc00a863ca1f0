using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The worker pool hands out every part of every job exactly once, however the threads race for them.</summary>
public class WorkersTests
{
    [Fact]
    public void EveryPartRunsExactlyOnce_AcrossManyBackToBackJobs()
    {
        var job = new CountingJob();
        var random = new Random(5);
        for (int round = 0; round < 3000; round++)
        {
            int parts = random.Next(2, 33);
            job.Reset(parts);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!Workers.TryAcquire())
            {
                Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
                Thread.Yield();
            }
            Workers.RunAndRelease(job, parts);
            for (int part = 0; part < parts; part++)
            {
                Assert.True(job.Counts[part] == 1, $"round {round}: part {part} of {parts} ran {job.Counts[part]} times");
            }
        }
    }

    [Fact]
    public void PartsFor_StaysWithinTheLimits()
    {
        Assert.Equal(1, Workers.PartsFor(10, 1 << 16, 100));
        Assert.Equal(Math.Min(3, Workers.MaxParts == 1 ? 1 : 3), Workers.PartsFor(1L << 40, 1 << 16, 3));
        int most = Workers.PartsFor(1L << 40, 1 << 16, 1 << 20);
        Assert.Equal(Workers.MaxParts == 1 ? 1 : Workers.MaxParts * Workers.PartsPerThread, most);
    }

    private sealed class CountingJob : ParallelJob
    {
        public int[] Counts = new int[64];

        public void Reset(int parts) => Array.Clear(Counts, 0, parts);

        public override void Run(int part, int parts)
        {
            Interlocked.Increment(ref Counts[part]);
            Thread.SpinWait(50);
        }
    }
}
