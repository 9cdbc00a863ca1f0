using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --lenet-poolconv-ab [STEPS] [--cpu]</c>, ADR 0064): pool 2's ReLU backward and
/// conv 2's backward (dx, dW, db) of <see cref="BenchLeNet"/> as two kernels (A: <see cref="MaxPool2DReLU.Backward{T}"/>
/// then <see cref="Conv2D.Backward{T}"/>, the step of before) against one (B: <see cref="PoolConvBackward.Backward{T}"/>
/// over the pool's sparse gradient), switched by <see cref="PoolConvBackward.Enabled"/>, in one process on the same
/// inputs (the argmax and pooled values of a real forward).
/// <list type="number">
/// <item>The backward alone, called STEPS × 2 times alternating AB, BA, …: medians of each side and A/B, on one thread (the
/// workers held) and on both cores.</item>
/// <item>The whole training step written out kernel by kernel as the generator writes it (the step of
/// <c>--lenet-profile</c>, with the two kernels or the fused one in one line), in rounds of 10 steps alternating AB, BA:
/// per kernel the medians and A/B, on one thread and on both cores.</item>
/// </list>
/// <c>--cpu</c>: the one-thread figures by the thread's CPU clock. Checks first that A and B give the same bits.</summary>
internal static class LeNetPoolConvAb
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private static bool s_cpuClock;

    private static long Now()
    {
        if (!s_cpuClock)
        {
            return Stopwatch.GetTimestamp();
        }
        ClockGetTime(3, out TimeSpec t); // CLOCK_THREAD_CPUTIME_ID
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    private static double Frequency => s_cpuClock ? 1e9 : Stopwatch.Frequency;

    public static int Run(string[] args)
    {
        bool cpu = args.Contains("--cpu");
        int steps = args.Length > 1 && int.TryParse(args[1], out int s0) ? s0 : 300;
        const int B = 64;
        var g1 = new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0);
        var g2 = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var p2 = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
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
        string[] names =
        {
            "conv1+pool1 forward", "conv2 forward", "pool2 forward", "fc1 forward", "fc2 forward", "loss", "fc2 backward",
            "relu3 backward", "fc1 backward (dx, dW)", "pool2+relu+conv2 bwd", "pool1+relu+conv1 dW bwd", "adam",
        };
        long t = 0;
        float[]? capture = null;
        void Step(long[] st)
        {
            Span<float> p = prm, gr = grd;
            int k = 0;
            st[k++] = Now();
            ConvPool.Forward<float>(x, p.Slice(W0, 500), p.Slice(B0, 20), y1, q1, i1, B, g1, p1, fuseReLU: true, storeY: false);
            st[k++] = Now();
            Conv2D.Forward<float>(q1, p.Slice(W3, 25000), p.Slice(B3, 50), y2, B, g2, fuseReLU: true);
            st[k++] = Now();
            MaxPool2D.Forward<float>(y2, q2, i2, B, p2);
            st[k++] = Now();
            Dense.Forward<float>(q2, p.Slice(W7, 400000), p.Slice(B7, 500), h, B, 800, 500, GemmMode.PackedParallel, fuseReLU: true, packed: packed7, rowMode: GemvMode.Parallel);
            st[k++] = Now();
            Dense.Forward<float>(h, p.Slice(W9, 5000), p.Slice(B9, 10), s, B, 500, 10, GemmMode.Packed, packed: packed9, rowMode: GemvMode.Serial);
            st[k++] = Now();
            finite.Reset();
            Losses.SoftmaxCrossEntropy<float>(s, labels, d0.AsSpan(0, B * 10), B, 10);
            st[k++] = Now();
            Dense.Backward<float>(d0.AsSpan(0, B * 10), h, p.Slice(W9, 5000), d1.AsSpan(0, B * 500), gr.Slice(W9, 5000), gr.Slice(B9, 10), B, 500, 10, GemmMode.Packed, GemmMode.Packed, accumulate: false, finite: finite);
            st[k++] = Now();
            Activations.ReLUBackward<float>(d1.AsSpan(0, B * 500), h, d0.AsSpan(0, B * 500));
            st[k++] = Now();
            Dense.Backward<float>(d0.AsSpan(0, B * 500), q2, p.Slice(W7, 400000), d1.AsSpan(0, B * 800), gr.Slice(W7, 400000), gr.Slice(B7, 500), B, 800, 500, GemmMode.PackedParallel, GemmMode.PackedParallel, accumulate: false, finite: finite);
            st[k++] = Now();
            if (capture != null)
            {
                d1.AsSpan(0, B * 800).CopyTo(capture);
            }
            // As the generated code since ADR 0064: the pool's gradient read from d1, conv2's dx written over it (the
            // kernel copies the gradient into d0 first); switched off, the two kernels through d0.
            PoolConvBackward.Backward<float>(d1.AsSpan(0, B * 800), i2, q2, y2, q1, p.Slice(W3, 25000), d0.AsSpan(0, B * 3200), d1.AsSpan(0, B * 2880), gr.Slice(W3, 25000), gr.Slice(B3, 50), B, g2, p2);
            st[k++] = Now();
            ConvPoolBackward.Backward<float>(d1.AsSpan(0, B * 2880), i1, q1, y1, x, p.Slice(W0, 500), d0.AsSpan(0, B * 11520), gr.Slice(W0, 500), gr.Slice(B0, 20), B, g1, p1);
            st[k++] = Now();
            Optimizers.Adam<float>(prm, grd, m, v, 0f, 0.9f, 0.999f, 1e-8f, ++t); // lr 0: the same weights every step
            packed7.Invalidate();
            packed9.Invalidate();
            st[k++] = Now();
        }

        // Inputs of the backward alone: a real step's pool gradient, argmax and pooled values.
        var stamps = new long[names.Length + 1];
        float[] gPool = new float[B * 800];
        capture = gPool;
        Step(stamps);
        capture = null;
        float[] dyA = new float[B * 3200], dxA = new float[B * 2880], dwA = new float[25000], dbA = new float[50];
        float[] dyB = new float[B * 3200], dxB = new float[B * 2880], dwB = new float[25000], dbB = new float[50];
        float[] w3 = prm[W3..B3];
        // NETGEN_POOLCONV_AB=copies: A = the fused kernel with one copy of x (PoolConvBackward.AlignedCopies = 1), B = with
        // its default (4); otherwise A = the two kernels, B = the fused one.
        bool copies = Environment.GetEnvironmentVariable("NETGEN_POOLCONV_AB") == "copies";
        void Alone(bool on)
        {
            PoolConvBackward.Enabled = on || copies;
            PoolConvBackward.AlignedCopies = copies && !on ? 1 : 4;
            PoolConvBackward.Backward<float>(gPool, i2, q2, y2, q1, w3, on ? dyB : dyA, on ? dxB : dxA, on ? dwB : dwA, on ? dbB : dbA, B, g2, p2);
        }
        Alone(false);
        Alone(true);
        bool same = dxA.AsSpan().SequenceEqual(dxB) && dwA.AsSpan().SequenceEqual(dwB) && dbA.AsSpan().SequenceEqual(dbB);
        int nonZero = 0;
        for (int i = 0; i < q2.Length; i++)
        {
            nonZero += q2[i] > 0f ? 1 : 0;
        }
        Console.WriteLine(FormattableString.Invariant($"fused: {PoolConvBackward.Fuses<float>(g2, p2)}; dx, dW, db the same bits off and on: {same}; non-zero dy terms {nonZero} of {B * 3200} ({100.0 * nonZero / (B * 3200):F1} %)"));

        foreach (bool oneThread in new[] { true, false })
        {
            BenchThreads.Set(oneThread);
            s_cpuClock = cpu && oneThread;
            var per = new[] { new List<double>(), new List<double>() };
            for (int i = 0; i < 10; i++)
            {
                Alone(i % 2 == 1);
            }
            for (int r = 0; r < steps; r++)
            {
                for (int k = 0; k < 2; k++)
                {
                    int side = (k + r) % 2;
                    long t0 = Now();
                    Alone(side == 1);
                    per[side].Add((Now() - t0) * 1e6 / Frequency);
                }
            }
            double a = Median(per[0]), b = Median(per[1]);
            Console.WriteLine(FormattableString.Invariant($"pool2+relu+conv2 bwd alone, {(oneThread ? "1 thread " : "2 threads")}: two kernels {a,8:F1} us   PoolConvBackward {b,8:F1} us   ratio {a / b:F3}   (fastest {per[0][0]:F1} / {per[1][0]:F1})"));
        }

        foreach (bool oneThread in new[] { true, false })
        {
            BenchThreads.Set(oneThread);
            s_cpuClock = cpu && oneThread;
            Console.WriteLine($"whole step, {(oneThread ? "1 thread" : "2 threads")}, rounds of 10 steps AB, BA:");
            SwitchAb(names, Step, stamps, steps, on => PoolConvBackward.Enabled = on, "two kernels", "fused");
        }
        PoolConvBackward.Enabled = true;
        s_cpuClock = false;
        BenchThreads.Cores();
        return 0;
    }

    private static double Median(List<double> l)
    {
        l.Sort();
        return l[l.Count / 2];
    }

    /// <summary>The switch off (A) and on (B), in rounds of 10 steps alternating AB, BA; per kernel the median of each side and A/B.</summary>
    private static void SwitchAb(string[] names, Action<long[]> step, long[] stamps, int steps, Action<bool> set, string a, string b)
    {
        int rounds = Math.Max(2, steps / 10);
        var per = new List<double>[2][];
        for (int side = 0; side < 2; side++)
        {
            per[side] = Enumerable.Range(0, names.Length + 1).Select(_ => new List<double>()).ToArray();
            set(side == 1);
            for (int i = 0; i < 20; i++)
            {
                step(stamps);
            }
        }
        for (int r = 0; r < rounds; r++)
        {
            for (int k = 0; k < 2; k++)
            {
                int side = (k + r) % 2;
                set(side == 1);
                step(stamps);
                for (int i = 0; i < 10; i++)
                {
                    step(stamps);
                    for (int n = 0; n < names.Length; n++)
                    {
                        per[side][n].Add((stamps[n + 1] - stamps[n]) * 1e6 / Frequency);
                    }
                    per[side][names.Length].Add((stamps[names.Length] - stamps[0]) * 1e6 / Frequency);
                }
            }
        }
        set(true);
        for (int n = 0; n <= names.Length; n++)
        {
            string name = n < names.Length ? names[n] : "whole step";
            double ma = Median(per[0][n]), mb = Median(per[1][n]);
            Console.WriteLine(FormattableString.Invariant($"  {name,-26} {a} {ma,8:F1} us   {b} {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
    }
}
