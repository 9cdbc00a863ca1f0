using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --fcadam-ab STEPS SWITCH [--one-thread]</c>, ADR 0066): <see cref="BenchLeNet"/>'s
/// training step written out kernel by kernel as <c>--lenet-profile</c> writes it, with one switch of fc1 or Adam off (A)
/// and on (B) in rounds of 10 steps alternating AB, BA; per kernel the median of each side and the ratio A/B.
/// <c>--fcadam-ab STEPS adam-alone</c>: Adam alone over the LeNet arena and over a quarter of it, one thread against two,
/// interleaved (what the update costs when nothing else moves its arrays between cores).</summary>
internal static class FcAdamAb
{
    /// <summary>The A/B switches: name, setter (true = the new kernel), the two sides' labels.</summary>
    private static readonly (string Name, Action<bool> Set, string A, string B)[] Switches =
    {
        ("none", _ => { }, "same", "same"),
        ("dw-eight", on => Dense.WeightGradientOnEightRows = on, "6-row packed", "8-row dyT"),
        ("prefetch", on => Optimizers.PrefetchAhead = on, "no prefetch", "prefetch 1 KiB"),
        ("own-slot", on => s_ownSlot = on, "shared D0", "own slot"),
        ("all", on => { Dense.WeightGradientOnEightRows = on; Optimizers.PrefetchAhead = on; }, "before", "ADR 0066"),
    };

    /// <summary>Probe (not a kernel switch): pool2's backward writes, and conv2's backward reads, a buffer of their own
    /// instead of the activation-gradient slot D0 that conv1's backward wrote with another per-sample size.</summary>
    private static bool s_ownSlot;

    public static int Run(string[] args)
    {
        int steps = args.Length > 1 && int.TryParse(args[1], out int s0) ? s0 : 300;
        string which = args.Length > 2 ? args[2] : "none";
        if (which == "adam-alone")
        {
            return AdamAlone(steps);
        }
        if (which == "gemm-k")
        {
            return GemmDepths(steps);
        }
        if (which == "mlp")
        {
            return MlpTrain(steps, args.Length > 3 ? args[3] : "all", args.Contains("--one-thread"));
        }
        if (which == "fc1")
        {
            return Fc1(steps, args.Length > 3 ? args[3] : "dw-eight", args.Contains("--one-thread"));
        }
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
        float[] d0 = new float[B * 11520], d1 = new float[B * 11520], own = new float[B * 3200];
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
        long t = 0;
        void Step(long[] st)
        {
            Span<float> p = prm, gr = grd;
            int k = 0;
            st[k++] = Stopwatch.GetTimestamp();
            ConvPool.Forward<float>(x, p.Slice(W0, 500), p.Slice(B0, 20), y1, q1, i1, B, g1, p1, fuseReLU: true, storeY: false);
            st[k++] = Stopwatch.GetTimestamp();
            Conv2D.Forward<float>(q1, p.Slice(W3, 25000), p.Slice(B3, 50), y2, B, g2, fuseReLU: true);
            st[k++] = Stopwatch.GetTimestamp();
            MaxPool2D.Forward<float>(y2, q2, i2, B, p2);
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
            Span<float> pooled = s_ownSlot ? own : d0.AsSpan(0, B * 3200);
            MaxPool2DReLU.Backward<float>(d1.AsSpan(0, B * 800), i2, q2, y2, pooled, B, p2);
            st[k++] = Stopwatch.GetTimestamp();
            Conv2D.Backward<float>(pooled, q1, p.Slice(W3, 25000), d1.AsSpan(0, B * 2880), gr.Slice(W3, 25000), gr.Slice(B3, 50), B, g2);
            st[k++] = Stopwatch.GetTimestamp();
            ConvPoolBackward.Backward<float>(d1.AsSpan(0, B * 2880), i1, q1, y1, x, p.Slice(W0, 500), d0.AsSpan(0, B * 11520), gr.Slice(W0, 500), gr.Slice(B0, 20), B, g1, p1);
            st[k++] = Stopwatch.GetTimestamp();
            Optimizers.Adam<float>(prm, grd, m, v, 0f, 0.9f, 0.999f, 1e-8f, ++t); // lr 0: the same weights every step
            packed7.Invalidate(); // as WeightsChanged: the next forward repacks Wᵀ
            packed9.Invalidate();
            st[k++] = Stopwatch.GetTimestamp();
        }
        var stamps = new long[names.Length + 1];
        if (args.Contains("--one-thread"))
        {
            BenchThreads.One();
        }
        var sw = Switches.First(x => x.Name == which);
        return SwitchAb(names, Step, stamps, steps, sw.Set, sw.A, sw.B);
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
                        per[side][n].Add((stamps[n + 1] - stamps[n]) * 1e6 / Stopwatch.Frequency);
                    }
                    per[side][names.Length].Add((stamps[names.Length] - stamps[0]) * 1e6 / Stopwatch.Frequency);
                }
            }
        }
        set(true);
        for (int n = 0; n <= names.Length; n++)
        {
            string name = n < names.Length ? names[n] : "whole step";
            double ma = Median(per[0][n]), mb = Median(per[1][n]);
            Console.WriteLine(FormattableString.Invariant($"{name,-26} {a} {ma,8:F1} us   {b} {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
        return 0;
    }

    /// <summary><c>--fcadam-ab REPS fc1 SWITCH [--one-thread]</c>: fc1's backward alone (dW + db only, and dx + dW + db)
    /// and Adam alone, switch off and on, alternating call by call; medians.</summary>
    private static int Fc1(int reps, string which, bool oneThread)
    {
        var sw = Switches.First(x => x.Name == which);
        const int B = 64;
        float[] q2 = NetworkBenchmarks.Fill(B * 800, 1), w = NetworkBenchmarks.Fill(500 * 800, 2), dy = NetworkBenchmarks.Fill(B * 500, 3);
        float[] dx = new float[B * 800], dw = new float[500 * 800], db = new float[500];
        var finite = new FiniteCheck();
        BenchThreads.Set(oneThread);
        (string Name, Action Body)[] bodies =
        {
            ("fc1 dW + db", () => Dense.Backward<float>(dy, q2, w, default, dw, db, B, 800, 500, GemmMode.PackedParallel, GemmMode.PackedParallel, accumulate: false, finite: finite)),
            ("fc1 dx + dW + db", () => Dense.Backward<float>(dy, q2, w, dx, dw, db, B, 800, 500, GemmMode.PackedParallel, GemmMode.PackedParallel, accumulate: false, finite: finite)),
        };
        var per = bodies.Select(_ => new[] { new List<double>(), new List<double>() }).ToArray();
        for (int r = 0; r < reps + 10; r++)
        {
            for (int n = 0; n < bodies.Length; n++)
            {
                for (int k = 0; k < 2; k++)
                {
                    int side = (k + r) % 2;
                    sw.Set(side == 1);
                    long t0 = Stopwatch.GetTimestamp();
                    bodies[n].Body();
                    double us = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                    if (r >= 10)
                    {
                        per[n][side].Add(us);
                    }
                }
            }
        }
        sw.Set(true);
        for (int n = 0; n < bodies.Length; n++)
        {
            double ma = Median(per[n][0]), mb = Median(per[n][1]);
            Console.WriteLine(FormattableString.Invariant($"{bodies[n].Name,-20} {(oneThread ? "1 thread" : "2 threads")}  {sw.A} {ma,8:F1} us   {sw.B} {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
        return 0;
    }

    /// <summary><c>--fcadam-ab REPS gemm-k</c>: x·Wᵀ with Wᵀ pre-packed, 64 rows, 512 columns, one thread, at depths 128 to
    /// 800, interleaved; GFLOP/s of each (does the depth block's B panel, K·NR floats, fit L1?).</summary>
    private static int GemmDepths(int reps)
    {
        (int K, int N)[] shapes = { (128, 512), (256, 512), (512, 512), (800, 512), (800, 500), (800, 496), (784, 256) };
        const int M = 64;
        BenchThreads.One();
        var cases = shapes.Select(s => (s.K, s.N, X: NetworkBenchmarks.Fill(M * s.K, 1), W: NetworkBenchmarks.Fill(s.N * s.K, 2), Packed: new PackedWeights<float>(s.K, s.N), Y: new float[M * s.N])).ToArray();
        var per = cases.Select(_ => new List<double>()).ToArray();
        float[] bias = new float[512];
        for (int r = 0; r < reps + 10; r++)
        {
            for (int n = 0; n < cases.Length; n++)
            {
                var c = cases[n];
                long t0 = Stopwatch.GetTimestamp();
                Dense.Forward<float>(c.X, c.W, bias.AsSpan(0, c.N), c.Y, M, c.K, c.N, GemmMode.Packed, fuseReLU: true, packed: c.Packed);
                double us = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                if (r >= 10)
                {
                    per[n].Add(us);
                }
            }
        }
        for (int n = 0; n < cases.Length; n++)
        {
            double us = Median(per[n]);
            Console.WriteLine(FormattableString.Invariant($"K {cases[n].K,4} N {cases[n].N,4}: {us,7:F1} us  {2.0 * M * cases[n].N * cases[n].K / us / 1e3,6:F1} GFLOP/s"));
        }
        return 0;
    }

    /// <summary><c>--fcadam-ab ROUNDS mlp SWITCH [--one-thread]</c>: <see cref="BenchMlp"/>'s training step (mlp_train) with
    /// the switch off and on, in blocks of 200 steps alternating AB, BA; medians per step and the median per-round ratio.</summary>
    private static int MlpTrain(int rounds, string which, bool oneThread)
    {
        var sw = Switches.First(x => x.Name == which);
        if (oneThread)
        {
            BenchThreads.One();
        }
        var net = new BenchMlp(1);
        float[] x = NetworkBenchmarks.Fill(64 * 784, 1);
        int[] labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        double Block(bool on)
        {
            sw.Set(on);
            net.TrainStep(x, labels);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < 200; i++)
            {
                net.TrainStep(x, labels);
            }
            return (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency / 200;
        }
        Block(false);
        Block(true);
        var a = new List<double>();
        var b = new List<double>();
        var r = new List<double>();
        for (int k = 0; k < rounds; k++)
        {
            double ta, tb;
            if (k % 2 == 0)
            {
                ta = Block(false);
                tb = Block(true);
            }
            else
            {
                tb = Block(true);
                ta = Block(false);
            }
            a.Add(ta);
            b.Add(tb);
            r.Add(ta / tb);
        }
        sw.Set(true);
        Console.WriteLine(FormattableString.Invariant($"mlp_train step ({(oneThread ? "1 thread" : "2 threads")}), {which}: {sw.A} {Median(a):F1} us, {sw.B} {Median(b):F1} us, median ratio {Median(r):F3} ({rounds} rounds of 200 steps)"));
        return 0;
    }

    private static double Median(List<double> l)
    {
        l.Sort();
        return l[l.Count / 2];
    }

    /// <summary>Adam alone, repeated over the same arrays: the LeNet arena (431,080) and a quarter of it, one thread and
    /// two, interleaved call by call; medians.</summary>
    private static int AdamAlone(int reps)
    {
        foreach (int n in new[] { 431080, 107776 })
        {
            float[] p = NetworkBenchmarks.Fill(n, 2), g = NetworkBenchmarks.Fill(n, 3), m = new float[n], v = new float[n];
            var per = new[] { new List<double>(), new List<double>() };
            long t = 0;
            for (int r = 0; r < reps + 10; r++)
            {
                for (int side = 0; side < 2; side++)
                {
                    BenchThreads.Set(oneThread: side == 0);
                    Optimizers.Adam<float>(p, g, m, v, 0f, 0.9f, 0.999f, 1e-8f, ++t);
                    long t0 = Stopwatch.GetTimestamp();
                    Optimizers.Adam<float>(p, g, m, v, 0f, 0.9f, 0.999f, 1e-8f, ++t);
                    double us = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                    if (r >= 10)
                    {
                        per[side].Add(us);
                    }
                }
            }
            BenchThreads.Set(oneThread: false);
            double one = Median(per[0]), two = Median(per[1]);
            double bytes = n * 4.0 * 7;
            Console.WriteLine(FormattableString.Invariant($"adam over {n,7}: 1 thread {one,7:F1} us ({bytes / one / 1e3:F0} GB/s)   2 threads {two,7:F1} us ({bytes / two / 1e3:F0} GB/s)   speed-up {one / two:F2}"));
        }
        return 0;
    }
}
