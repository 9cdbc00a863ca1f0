using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --lenet-profile [STEPS] [--one-thread] [--SWITCH-ab]</c>): <see cref="BenchLeNet"/>'s
/// training step written out kernel by kernel as the generator writes it (the same kernels with the same GEMM modes and
/// geometries, the same buffers, the same order, Adam and the invalidation of the pre-packed Wᵀ included), with a timestamp
/// between two kernels. Without a switch: each kernel's median over STEPS steps on one thread (the workers held) and on both
/// cores, with its GFLOP/s. With <c>--SWITCH-ab</c>: the switch off (A) and on (B) in rounds of 10 steps alternating AB, BA,
/// per kernel the median of each side and the ratio A/B (ADR 0055's paired method; ADR 0060).</summary>
internal static class LeNetProfile
{
    /// <summary>The A/B switches: name, setter (true = the new kernel), the two sides' labels.</summary>
    private static readonly (string Name, Action<bool> Set, string A, string B)[] Switches =
    {
        ("panel-rows", on => Conv2D.PanelRowsOnRegisters = on, "CopyTo runs", "register runs"),
        ("tap-dw", on => Conv2DTapGradient.Enabled = on, "before", "tap dW"),
        ("deep-dw", on => Conv2D.DeepDirectWeightGradient = on, "GEMM dW", "direct dW"),
        ("all", All, "before", "ADR 0060"),
        ("dx-once", on => Conv2DBackward.WeightsOncePerCall = on, "Wt per group", "Wt per call"),
        ("dx-interleave", on => Conv2DBackward.InterleavedCol2Im = on, "whole dcol", "interleaved"),
        ("dx-permuted", on => Conv2DBackward.PermutedGather = on, "masked gather", "permuted"),
        ("dx", on => { Conv2DBackward.WeightsOncePerCall = on; Conv2DBackward.PermutedGather = on; }, "before", "ADR 0063"),
    };

    /// <summary>Every switch of ADR 0060 at once: before (all off) and after.</summary>
    private static void All(bool on)
    {
        Conv2D.PanelRowsOnRegisters = on;
        Conv2DTapGradient.Enabled = on;
        Conv2D.DeepDirectWeightGradient = on;
    }

    /// <summary><c>--cpu</c>: time by this thread's CPU clock (<c>CLOCK_THREAD_CPUTIME_ID</c>, Linux) instead of the wall
    /// clock, so the time slices other processes take on a loaded host are not counted; meaningful on one thread only
    /// (<c>--one-thread</c> or <c>--parts</c>), where every kernel runs on the calling thread.</summary>
    private static bool s_cpuClock;

    private static double Frequency => s_cpuClock ? 1e9 : Stopwatch.Frequency;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private static long Now()
    {
        if (!s_cpuClock)
        {
            return Stopwatch.GetTimestamp();
        }
        ClockGetTime(3, out TimeSpec t); // CLOCK_THREAD_CPUTIME_ID
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    public static int Run(string[] args)
    {
        s_cpuClock = args.Contains("--cpu");
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
        string[] names =
        {
            "conv1+pool1 forward", "conv2 forward", "pool2 forward", "fc1 forward", "fc2 forward", "loss", "fc2 backward",
            "relu3 backward", "fc1 backward (dx, dW)", "pool2+relu backward", "conv2 backward (dx, dW)",
            "pool1+relu+conv1 dW bwd", "adam",
        };
        const double MAC = 2e-3; // FLOP per multiply-add, in GFLOP/s per (multiply-adds / us)
        double[] gflop =
        {
            B * 20 * 576 * 25 * MAC, B * 50 * 64 * 500 * MAC, 0, B * 800 * 500 * MAC, B * 500 * 10 * MAC, 0, 2 * B * 500 * 10 * MAC,
            0, 2 * B * 800 * 500 * MAC, 0, 2 * B * 50 * 64 * 500 * MAC, B * 20 * 576 * 25 * MAC, 0,
        };
        long t = 0;
        void Step(long[] st)
        {
            Span<float> p = prm, gr = grd;
            int k = 0;
            st[k++] = Now();
            ConvPool.Forward<float>(x, p.Slice(W0, 500), p.Slice(B0, 20), y1, q1, i1, B, g1, p1, fuseReLU: true, storeY: false);
            st[k++] = Now();
            if (ConvGemmPool.Enabled)
            {
                // As the generated code since ADR 0065: conv2, its ReLU and pool2 in one kernel, timed in conv2's line.
                ConvPool.Forward<float>(q1, p.Slice(W3, 25000), p.Slice(B3, 50), y2, q2, i2, B, g2, p2, fuseReLU: true, storeY: true);
            }
            else
            {
                Conv2D.Forward<float>(q1, p.Slice(W3, 25000), p.Slice(B3, 50), y2, B, g2, fuseReLU: true);
            }
            st[k++] = Now();
            if (!ConvGemmPool.Enabled)
            {
                MaxPool2D.Forward<float>(y2, q2, i2, B, p2);
            }
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
            if (PoolConvBackward.Enabled)
            {
                // As the generated code since ADR 0064: pool2's ReLU backward and conv2's dx, dW, db in one kernel over the
                // pool's sparse gradient, timed in conv2's line (the pool line reads near zero).
                st[k++] = Now();
                PoolConvBackward.Backward<float>(d1.AsSpan(0, B * 800), i2, q2, y2, q1, p.Slice(W3, 25000), d0.AsSpan(0, B * 3200), d1.AsSpan(0, B * 2880), gr.Slice(W3, 25000), gr.Slice(B3, 50), B, g2, p2);
            }
            else
            {
                MaxPool2DReLU.Backward<float>(d1.AsSpan(0, B * 800), i2, q2, y2, d0.AsSpan(0, B * 3200), B, p2);
                st[k++] = Now();
                Conv2D.Backward<float>(d0.AsSpan(0, B * 3200), q1, p.Slice(W3, 25000), d1.AsSpan(0, B * 2880), gr.Slice(W3, 25000), gr.Slice(B3, 50), B, g2);
            }
            st[k++] = Now();
            // As the generated code since ADR 0059: pool1's ReLU backward and conv1's dW (+db) in one kernel.
            ConvPoolBackward.Backward<float>(d1.AsSpan(0, B * 2880), i1, q1, y1, x, p.Slice(W0, 500), d0.AsSpan(0, B * 11520), gr.Slice(W0, 500), gr.Slice(B0, 20), B, g1, p1);
            st[k++] = Now();
            Optimizers.Adam<float>(prm, grd, m, v, 0f, 0.9f, 0.999f, 1e-8f, ++t); // lr 0: the same weights every step
            packed7.Invalidate(); // as WeightsChanged: the next forward repacks Wᵀ
            packed9.Invalidate();
            st[k++] = Now();
        }
        var stamps = new long[names.Length + 1];
        if (args.Contains("--parts"))
        {
            Step(stamps); // dy and dx of a real step
            return Parts(steps, q1, prm[W3..B3], prm[B3..W7], y2, d0[..(B * 3200)], d1[..(B * 2880)], grd[W3..B3], grd[B3..W7], q2, prm[W7..B7], prm[B7..W9]);
        }
        if (args.Contains("--one-thread"))
        {
            BenchThreads.One();
        }
        foreach (var sw in Switches)
        {
            if (args.Contains("--" + sw.Name + "-ab"))
            {
                return SwitchAb(names, Step, stamps, steps, sw.Set, sw.A, sw.B);
            }
        }
        var results = new double[2][];
        for (int side = 0; side < 2; side++)
        {
            BenchThreads.Set(oneThread: side == 0);
            for (int i = 0; i < 30; i++)
            {
                Step(stamps);
            }
            var per = new double[names.Length + 1][];
            for (int n = 0; n <= names.Length; n++)
            {
                per[n] = new double[steps];
            }
            for (int i = 0; i < steps; i++)
            {
                Step(stamps);
                for (int n = 0; n < names.Length; n++)
                {
                    per[n][i] = (stamps[n + 1] - stamps[n]) * 1e6 / Frequency;
                }
                per[names.Length][i] = (stamps[names.Length] - stamps[0]) * 1e6 / Frequency;
            }
            results[side] = per.Select(a => { Array.Sort(a); return a[a.Length / 2]; }).ToArray();
        }
        double total = gflop.Sum();
        for (int n = 0; n <= names.Length; n++)
        {
            string name = n < names.Length ? names[n] : "whole step";
            double f = n < names.Length ? gflop[n] : total;
            string rate = f > 0 ? FormattableString.Invariant($"   GFLOP/s {f / results[0][n],6:F1} / {f / results[1][n],6:F1}") : "";
            Console.WriteLine(FormattableString.Invariant($"{name,-26} 1 thread {results[0][n],8:F1} us   2 threads {results[1][n],8:F1} us   speed-up {results[0][n] / results[1][n]:F2}{rate}"));
        }
        return 0;
    }

    /// <summary>The switch off (A) and on (B), in rounds of 10 steps alternating AB, BA; per kernel the median of each side and A/B.</summary>
    private static int SwitchAb(string[] names, Action<long[]> step, long[] stamps, int steps, Action<bool> set, string a, string b)
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
        static double Median(List<double> l)
        {
            l.Sort();
            return l[l.Count / 2];
        }
        for (int n = 0; n <= names.Length; n++)
        {
            string name = n < names.Length ? names[n] : "whole step";
            double ma = Median(per[0][n]), mb = Median(per[1][n]);
            Console.WriteLine(FormattableString.Invariant($"{name,-26} {a} {ma,8:F1} us   {b} {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
        return 0;
    }

    /// <summary><c>--lenet-profile STEPS --parts</c>: conv2's pieces on one thread (im2col, the forward, dW alone, dx alone),
    /// medians of STEPS calls, interleaved: where the convolution's time goes.</summary>
    private static unsafe int Parts(int reps, float[] q1, float[] w, float[] bias, float[] y2, float[] dy, float[] dx, float[] dw, float[] db, float[] q2, float[] w7, float[] b7)
    {
        var packed7 = new PackedWeights<float>(800, 500);
        float[] h = new float[64 * 500], q2x = new float[64 * 800], dw7 = new float[500 * 800], db7 = new float[500];
        const int B = 64;
        var g2 = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        BenchThreads.One();
        int nr = PackedGemm.NR<float>(), panels = (64 + nr - 1) / nr, panelLength = 501 * nr;
        float[] packed = new float[panels * panelLength], col = new float[500 * 64];
        float[] augmented = new float[50 * 501], out1 = new float[50 * 64];
        for (int r = 0; r < 50; r++)
        {
            Array.Copy(w, r * 500, augmented, r * 501, 500);
            augmented[(r * 501) + 500] = bias[r];
        }
        fixed (float* px = q1, pp = packed)
        {
            Conv2D.Im2ColPacked(px, pp, g2, nr, panelLength);
            for (int q = 0; q < panels; q++)
            {
                new Span<float>(pp + (q * panelLength) + (500 * nr), nr).Fill(1f);
            }
        }
        string[] names = { "conv2 forward", "GEMM alone x64", "im2col into panels x64", "im2col plain x64", "conv2 dW (+db) only", "conv2 dx only (direct)", "conv2 backward", "fc1 forward, Wt packed", "fc1 forward, Wt repacked", "fc1 backward" };
        var per = names.Select(_ => new List<double>()).ToArray();
        Action[] bodies =
        {
            () => Conv2D.Forward<float>(q1, w, bias, y2, B, g2, fuseReLU: true),
            () =>
            {
                fixed (float* pa = augmented, pp = packed, pc = out1)
                {
                    for (int b = 0; b < B; b++)
                    {
                        var operands = new PackedGemm.Operands<float> { A = pa, Ars = 501, Acs = 1, PackedB = pp, C = pc, Ldc = 64, M = 50, N = 64, K = 501, Relu = true };
                        PackedGemm.Run(operands, parallel: false);
                    }
                }
            },
            () =>
            {
                fixed (float* px = q1, pp = packed)
                {
                    for (int b = 0; b < B; b++)
                    {
                        Conv2D.Im2ColPacked(px + (b * 2880), pp, g2, nr, panelLength);
                    }
                }
            },
            () =>
            {
                fixed (float* px = q1, pc = col)
                {
                    for (int b = 0; b < B; b++)
                    {
                        Conv2D.Im2Col(px + (b * 2880), pc, g2);
                    }
                }
            },
            () => Conv2D.Backward<float>(dy, q1, w, default, dw, db, B, g2),
            () =>
            {
                fixed (float* pdy = dy, pw = w, pdx = dx)
                {
                    Conv2DBackward.DirectInputGradient(pdy, pw, pdx, 0, B, g2);
                }
            },
            () => Conv2D.Backward<float>(dy, q1, w, dx, dw, db, B, g2),
            () => Dense.Forward<float>(q2, w7, b7, h, B, 800, 500, GemmMode.PackedParallel, fuseReLU: true, packed: packed7, rowMode: GemvMode.Parallel),
            () =>
            {
                packed7.Invalidate();
                Dense.Forward<float>(q2, w7, b7, h, B, 800, 500, GemmMode.PackedParallel, fuseReLU: true, packed: packed7, rowMode: GemvMode.Parallel);
            },
            () => Dense.Backward<float>(h, q2, w7, q2x, dw7, db7, B, 800, 500, GemmMode.PackedParallel, GemmMode.PackedParallel, accumulate: false),
        };
        for (int r = 0; r < reps + 5; r++)
        {
            for (int n = 0; n < bodies.Length; n++)
            {
                long t0 = Now();
                bodies[n]();
                if (r >= 5)
                {
                    per[n].Add((Now() - t0) * 1e6 / Frequency);
                }
            }
        }
        for (int n = 0; n < names.Length; n++)
        {
            per[n].Sort();
            Console.WriteLine(FormattableString.Invariant($"{names[n],-26} 1 thread {per[n][per[n].Count / 2],8:F1} us"));
        }
        return 0;
    }
}
