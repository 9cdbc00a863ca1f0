using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --c2fwd-ab [STEPS] [--one-thread] [--alone]</c>, ADR 0065): LeNet's conv2 + pool2
/// forward as two kernels (A: <c>Conv2D.Forward</c> then <c>MaxPool2D.Forward</c>, <c>ConvGemmPool.Enabled</c> off) and as
/// one (B: <c>ConvPool.Forward</c> → <c>ConvGemmPool</c>), paired in one process.
/// Without <c>--alone</c>: <see cref="BenchLeNet"/>'s training step written out kernel by kernel as in
/// <c>--lenet-profile</c>, the two sides in rounds of 10 steps alternating AB, BA, per kernel the median of each side and
/// A/B. With <c>--alone</c>: the pair alone, STEPS calls per side alternating one call A, one call B, on one thread (timed
/// by the thread's CPU clock) and on two (wall clock), medians and A/B; <c>--alone --variant</c>: A = ConvGemmPool over
/// the column matrix, B = with its registers loaded from x (<c>ConvGemmPool.FromInput</c>).</summary>
internal static class LeNetForwardAb
{
    public static int Run(string[] args)
    {
        int steps = args.Length > 1 && int.TryParse(args[1], out int s0) ? s0 : 300;
        const int B = 64;
        var g1 = new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0);
        var g2 = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p2 = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        // The parameter arena as the generated code lays it out.
        const int W0 = 0, B0 = 500, W3 = 520, B3 = 25520, W7 = 25570, B7 = 425570, W9 = 426070, B9 = 431070, NP = 431080;
        float[] x = NetworkBenchmarks.Fill(B * 784, 1);
        float[] prm = NetworkBenchmarks.Fill(NP, 2);
        for (int i = 0; i < prm.Length; i++)
        {
            prm[i] *= 0.05f;
        }
        float[] grd = new float[NP], m = new float[NP], v = new float[NP];
        float[] y1 = new float[B * 11520], q1 = new float[B * 2880], y2 = new float[B * 3200], q2 = new float[B * 800];
        float[] h = new float[B * 500], s = new float[B * 10];
        int[] i1 = new int[q1.Length], i2 = new int[q2.Length];
        float[] d0 = new float[B * 11520], d1 = new float[B * 11520];
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();
        var packed7 = new PackedWeights<float>(800, 500);
        var packed9 = new PackedWeights<float>(500, 10);
        var finite = new FiniteCheck();

        void Pair()
        {
            Span<float> p = prm;
            if (ConvGemmPool.Enabled)
            {
                // As the generated code since ADR 0065 (training: y stored, c2bwd's backward may read it).
                ConvPool.Forward<float>(q1, p.Slice(W3, 25000), p.Slice(B3, 50), y2, q2, i2, B, g2, p2, fuseReLU: true, storeY: true);
            }
            else
            {
                Conv2D.Forward<float>(q1, p.Slice(W3, 25000), p.Slice(B3, 50), y2, B, g2, fuseReLU: true);
                MaxPool2D.Forward<float>(y2, q2, i2, B, p2);
            }
        }

        if (args.Contains("--alone"))
        {
            // --variant: A = ConvGemmPool over the column matrix, B = ConvGemmPool with the product's registers loaded from x.
            bool variant = args.Contains("--variant");
            ConvPool.Forward<float>(x, prm.AsSpan(W0, 500), prm.AsSpan(B0, 20), y1, q1, i1, B, g1, p1, fuseReLU: true, storeY: false);
            bool fromInput = ConvGemmPool.FromInput;
            foreach (bool one in new[] { true, false })
            {
                BenchThreads.Set(oneThread: one);
                var per = new[] { new List<double>(), new List<double>() };
                for (int r = 0; r < steps + 20; r++)
                {
                    for (int k = 0; k < 2; k++)
                    {
                        int side = (k + r) % 2;
                        if (variant)
                        {
                            ConvGemmPool.FromInput = side == 1;
                        }
                        else
                        {
                            ConvGemmPool.Enabled = side == 1;
                        }
                        long t0 = Now(one);
                        Pair();
                        if (r >= 20)
                        {
                            per[side].Add((Now(one) - t0) * 1e6 / (one ? 1e9 : Stopwatch.Frequency));
                        }
                    }
                }
                ConvGemmPool.Enabled = true;
                ConvGemmPool.FromInput = fromInput;
                double ma = Median(per[0]), mb = Median(per[1]);
                Console.WriteLine(FormattableString.Invariant($"conv2+pool2 forward, {(one ? "1 thread " : "2 threads")}: {(variant ? "im2col" : "two kernels")} {ma,8:F1} us   {(variant ? "from x" : "ConvGemmPool")} {mb,8:F1} us   ratio {ma / mb:F2}   (GFLOP/s {204.8e3 / ma:F0} / {204.8e3 / mb:F0})"));
            }
            return 0;
        }

        string[] names =
        {
            "conv1+pool1 forward", "conv2+pool2 forward", "fc1 forward", "fc2 forward", "loss", "fc2 backward",
            "relu3 backward", "fc1 backward (dx, dW)", "pool2+relu backward", "conv2 backward (dx, dW)",
            "pool1+relu+conv1 dW bwd", "adam",
        };
        long t = 0;
        void Step(long[] st)
        {
            Span<float> p = prm, gr = grd;
            int k = 0;
            st[k++] = Stopwatch.GetTimestamp();
            ConvPool.Forward<float>(x, p.Slice(W0, 500), p.Slice(B0, 20), y1, q1, i1, B, g1, p1, fuseReLU: true, storeY: false);
            st[k++] = Stopwatch.GetTimestamp();
            Pair();
            st[k++] = Stopwatch.GetTimestamp();
            Dense.Forward<float>(q2, p.Slice(W7, 400000), p.Slice(B7, 500), h, B, 800, 500, GemmMode.PackedParallel, fuseReLU: true, packed: packed7, rowMode: GemvMode.Parallel);
            st[k++] = Stopwatch.GetTimestamp();
            Dense.Forward<float>(h, p.Slice(W9, 5000), p.Slice(B9, 10), s, B, 500, 10, GemmMode.Packed, packed: packed9, rowMode: GemvMode.Serial);
            st[k++] = Stopwatch.GetTimestamp();
            finite.Reset();
            Losses.SoftmaxCrossEntropy<float>(s, labels, d0.AsSpan(0, B * 10), B, 10);
            st[k++] = Stopwatch.GetTimestamp();
            Dense.Backward<float>(d0.AsSpan(0, B * 10), h, p.Slice(W9, 5000), d1.AsSpan(0, B * 500), gr.Slice(W9, 5000), gr.Slice(B9, 10), B, 500, 10, GemmMode.Packed, GemmMode.Packed, accumulate: false, finite: finite);
            st[k++] = Stopwatch.GetTimestamp();
            Activations.ReLUBackward<float>(d1.AsSpan(0, B * 500), h, d0.AsSpan(0, B * 500));
            st[k++] = Stopwatch.GetTimestamp();
            Dense.Backward<float>(d0.AsSpan(0, B * 500), q2, p.Slice(W7, 400000), d1.AsSpan(0, B * 800), gr.Slice(W7, 400000), gr.Slice(B7, 500), B, 800, 500, GemmMode.PackedParallel, GemmMode.PackedParallel, accumulate: false, finite: finite);
            st[k++] = Stopwatch.GetTimestamp();
            MaxPool2DReLU.Backward<float>(d1.AsSpan(0, B * 800), i2, q2, y2, d0.AsSpan(0, B * 3200), B, p2);
            st[k++] = Stopwatch.GetTimestamp();
            Conv2D.Backward<float>(d0.AsSpan(0, B * 3200), q1, p.Slice(W3, 25000), d1.AsSpan(0, B * 2880), gr.Slice(W3, 25000), gr.Slice(B3, 50), B, g2);
            st[k++] = Stopwatch.GetTimestamp();
            ConvPoolBackward.Backward<float>(d1.AsSpan(0, B * 2880), i1, q1, y1, x, p.Slice(W0, 500), d0.AsSpan(0, B * 11520), gr.Slice(W0, 500), gr.Slice(B0, 20), B, g1, p1);
            st[k++] = Stopwatch.GetTimestamp();
            Optimizers.Adam<float>(prm, grd, m, v, 0f, 0.9f, 0.999f, 1e-8f, ++t); // lr 0: the same weights every step
            packed7.Invalidate();
            packed9.Invalidate();
            st[k++] = Stopwatch.GetTimestamp();
        }

        BenchThreads.Set(oneThread: args.Contains("--one-thread"));
        var stamps = new long[names.Length + 1];
        int rounds = Math.Max(2, steps / 10);
        var sides = new List<double>[2][];
        for (int side = 0; side < 2; side++)
        {
            sides[side] = Enumerable.Range(0, names.Length + 1).Select(_ => new List<double>()).ToArray();
            ConvGemmPool.Enabled = side == 1;
            for (int i = 0; i < 20; i++)
            {
                Step(stamps);
            }
        }
        for (int r = 0; r < rounds; r++)
        {
            for (int k = 0; k < 2; k++)
            {
                int side = (k + r) % 2;
                ConvGemmPool.Enabled = side == 1;
                Step(stamps);
                for (int i = 0; i < 10; i++)
                {
                    Step(stamps);
                    for (int n = 0; n < names.Length; n++)
                    {
                        sides[side][n].Add((stamps[n + 1] - stamps[n]) * 1e6 / Stopwatch.Frequency);
                    }
                    sides[side][names.Length].Add((stamps[names.Length] - stamps[0]) * 1e6 / Stopwatch.Frequency);
                }
            }
        }
        ConvGemmPool.Enabled = true;
        for (int n = 0; n <= names.Length; n++)
        {
            string name = n < names.Length ? names[n] : "whole step";
            double ma = Median(sides[0][n]), mb = Median(sides[1][n]);
            Console.WriteLine(FormattableString.Invariant($"{name,-26} two kernels {ma,8:F1} us   ConvGemmPool {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    /// <summary>On one thread, this thread's CPU clock (<c>CLOCK_THREAD_CPUTIME_ID</c>, Linux: other processes' time slices on
    /// a loaded host are not counted); on two, the wall clock.</summary>
    private static long Now(bool threadClock)
    {
        if (!threadClock)
        {
            return Stopwatch.GetTimestamp();
        }
        ClockGetTime(3, out TimeSpec t);
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    private static double Median(List<double> l)
    {
        l.Sort();
        return l[l.Count / 2];
    }
}
