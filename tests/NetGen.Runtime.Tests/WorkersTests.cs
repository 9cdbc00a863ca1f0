using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The worker pool hands out every part of every job exactly once, however the threads race for them.</summary>
[Collection(nameof(KernelStateCollection))] // they hold the workers for thousands of jobs and switch how parts are claimed
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
    public void EveryPartRunsExactlyOnce_WithOneSharedQueueToo()
    {
        // KeepPartsOnTheirCore off (the A side of the paired A/B): every thread takes parts from the caller's queue.
        var job = new CountingJob();
        try
        {
            Workers.KeepPartsOnTheirCore = false;
            for (int round = 0; round < 500; round++)
            {
                int parts = 2 + (round % 31);
                job.Reset(parts);
                Acquire();
                Workers.RunAndRelease(job, parts);
                for (int part = 0; part < parts; part++)
                {
                    Assert.True(job.Counts[part] == 1, $"round {round}: part {part} of {parts} ran {job.Counts[part]} times");
                }
            }
        }
        finally
        {
            Workers.KeepPartsOnTheirCore = true;
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Segments_AreContiguousInThreadOrder_CoverEveryPart_AndGivePartZeroToTheCaller(int threads)
    {
        for (int parts = 1; parts <= 70; parts++)
        {
            int expectedStart = 0;
            for (int t = 0; t < threads; t++)
            {
                (int start, int end) = Workers.Segment(t, threads, parts);
                Assert.Equal(expectedStart, start);
                Assert.True(end >= start, $"{parts} parts, thread {t}: [{start}, {end})");
                // As even as whole parts allow: no segment more than one part longer than another.
                Assert.InRange(end - start, parts / threads, (parts + threads - 1) / threads);
                expectedStart = end;
            }
            Assert.Equal(parts, expectedStart);
            Assert.True(Workers.Segment(0, threads, parts).End >= 1, "part 0 must be in the caller's segment");
        }
        Assert.Equal((0, 4), Workers.Segment(0, 2, 8));
        Assert.Equal((4, 8), Workers.Segment(1, 2, 8));
        Assert.Equal((0, 3), Workers.Segment(0, 2, 5));
    }

    [Fact]
    public void TheCallerRunsItsOwnSegmentFromTheFront_OthersTakeFromItsEnd()
    {
        // Whichever thread helps, the caller claims its segment upward from part 0 and another thread steals from the
        // segment's end downward: the parts of the caller's segment that the caller ran are a prefix of it, whatever
        // the timing. Parts of other segments that the caller ran are a suffix of those segments.
        var job = new RecordingJob();
        int caller = Environment.CurrentManagedThreadId;
        for (int round = 0; round < 300; round++)
        {
            int parts = 2 + (round % 15);
            job.Reset(parts);
            Acquire();
            Workers.RunAndRelease(job, parts);
            int threads = Math.Min(Environment.ProcessorCount, 8);
            for (int t = 0; t < threads; t++)
            {
                (int start, int end) = Workers.Segment(t, threads, parts);
                bool[] byCaller = Enumerable.Range(start, end - start).Select(p => job.Threads[p] == caller).ToArray();
                if (t == 0)
                {
                    Assert.True(byCaller.Length > 0 && byCaller[0], $"round {round}: part 0 ran off the caller's thread");
                    int prefix = Array.IndexOf(byCaller, false) is int f and >= 0 ? f : byCaller.Length;
                    Assert.True(byCaller.Skip(prefix).All(b => !b), $"round {round}: the caller's parts of its segment [{start}, {end}) are not a prefix");
                }
                else if (byCaller.Length > 0)
                {
                    int suffix = Array.IndexOf(byCaller, true) is int f and >= 0 ? f : byCaller.Length;
                    Assert.True(byCaller.Skip(suffix).All(b => b), $"round {round}: the caller's parts of segment {t} [{start}, {end}) are not a suffix");
                }
            }
        }
    }

    private static void Acquire()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Workers.TryAcquire())
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
            Thread.Yield();
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

    private sealed class RecordingJob : ParallelJob
    {
        public int[] Threads = new int[64];

        public void Reset(int parts) => Array.Clear(Threads, 0, parts);

        public override void Run(int part, int parts)
        {
            Threads[part] = Environment.CurrentManagedThreadId;
            Thread.SpinWait(200);
        }
    }
}
