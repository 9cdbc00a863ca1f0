using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --step-profile [STEPS]</c>): <see cref="BenchCnn"/>'s training step written out
/// kernel by kernel as the generator writes it (same kernels, same buffers, same order), with a timestamp between two
/// kernels; prints each kernel's median over STEPS steps on one thread (the workers held) and on both cores, so the
/// kernels that do not gain from the second core, or lose, stand out with the data flow of a real step.</summary>
internal static class StepProfile
{
    public static int Run(string[] args)
    {
        int steps = args.Length > 1 ? int.Parse(args[1]) : 300;
        const int B = 64;
        var g1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var g2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p2 = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = NetworkBenchmarks.Fill(B * 784, 1);
        float[] prm = NetworkBenchmarks.Fill(72 + 8 + 1152 + 16 + 5760 + 10, 2);
        for (int i = 0; i < prm.Length; i++)
        {
            prm[i] *= 0.1f;
        }
        float[] grd = new float[prm.Length], vel = new float[prm.Length];
        float[] y1 = new float[B * 5408], q1 = new float[B * 1352], y2 = new float[B * 1936], q2 = new float[B * 576], s = new float[B * 10];
        int[] i1 = new int[q1.Length], i2 = new int[q2.Length];
        float[] d0 = new float[B * 5408], d1 = new float[B * 5408];
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();
        var packed = new PackedWeights<float>(576, 10);
        string[] names =
        {
            "conv1+pool1 forward", "conv2+pool2 forward", "dense forward", "loss", "dense backward", "pool2+relu backward",
            "conv2 backward (dx, dW)", "pool1+relu backward", "conv1 backward (dW)", "momentum",
        };
        bool storeY = false; // as the generated step: nothing reads y (the pools' backward reads pooled and argmax)
        bool fuse = true; // as the generated step: conv1's dW with pool1+relu's backward (ADR 0059)
        void Step(long[] t)
        {
            Span<float> p = prm, gr = grd;
            int k = 0;
            t[k++] = Stopwatch.GetTimestamp();
            ConvPool.Forward<float>(x, p.Slice(0, 72), p.Slice(72, 8), y1, q1, i1, B, g1, p1, fuseReLU: true, storeY: storeY);
            t[k++] = Stopwatch.GetTimestamp();
            ConvPool.Forward<float>(q1, p.Slice(80, 1152), p.Slice(1232, 16), y2, q2, i2, B, g2, p2, fuseReLU: true, storeY: storeY);
            t[k++] = Stopwatch.GetTimestamp();
            Dense.Forward<float>(q2, p.Slice(1248, 5760), p.Slice(7008, 10), s, B, 576, 10, GemmMode.Packed, packed: packed, rowMode: GemvMode.Serial);
            t[k++] = Stopwatch.GetTimestamp();
            Losses.SoftmaxCrossEntropy<float>(s, labels, d0.AsSpan(0, B * 10), B, 10);
            t[k++] = Stopwatch.GetTimestamp();
            Dense.Backward<float>(d0.AsSpan(0, B * 10), q2, p.Slice(1248, 5760), d1.AsSpan(0, B * 576), gr.Slice(1248, 5760), gr.Slice(7008, 10), B, 576, 10, GemmMode.Packed, GemmMode.Packed, accumulate: false);
            t[k++] = Stopwatch.GetTimestamp();
            MaxPool2DReLU.Backward<float>(d1.AsSpan(0, B * 576), i2, q2, y2, d0.AsSpan(0, B * 1936), B, p2);
            t[k++] = Stopwatch.GetTimestamp();
            Conv2D.Backward<float>(d0.AsSpan(0, B * 1936), q1, p.Slice(80, 1152), d1.AsSpan(0, B * 1352), gr.Slice(80, 1152), gr.Slice(1232, 16), B, g2);
            t[k++] = Stopwatch.GetTimestamp();
            if (fuse)
            {
                // ADR 0059: both in one kernel (timed in the pool's slot; the convolution's slot stays empty).
                ConvPoolBackward.Backward<float>(d1.AsSpan(0, B * 1352), i1, q1, y1, x, p.Slice(0, 72), d0.AsSpan(0, B * 5408), gr.Slice(0, 72), gr.Slice(72, 8), B, g1, p1);
                t[k++] = Stopwatch.GetTimestamp();
            }
            else
            {
                MaxPool2DReLU.Backward<float>(d1.AsSpan(0, B * 1352), i1, q1, y1, d0.AsSpan(0, B * 5408), B, p1);
                t[k++] = Stopwatch.GetTimestamp();
                Conv2D.Backward<float>(d0.AsSpan(0, B * 5408), x, p.Slice(0, 72), default, gr.Slice(0, 72), gr.Slice(72, 8), B, g1);
            }
            t[k++] = Stopwatch.GetTimestamp();
            Optimizers.Momentum<float>(prm, grd, vel, 0f, 0.9f); // lr 0: the same weights every step
            t[k++] = Stopwatch.GetTimestamp();
        }
        var stamps = new long[names.Length + 1];
        if (args.Contains("--one-thread"))
        {
            BenchThreads.One();
        }
        if (args.Contains("--parts-ab"))
        {
            return SwitchAb(names, Step, stamps, steps, on => Workers.KeepPartsOnTheirCore = on, "one queue", "own segments");
        }
        if (args.Contains("--pool-ab"))
        {
            return SwitchAb(names, Step, stamps, steps, on => MaxPool2DPositions.Enabled = on, "256-bit pool", "512-bit pool");
        }
        if (args.Contains("--check-ab"))
        {
            return SwitchAb(names, Step, stamps, steps, on => MaxPool2DReLU.CheckOwnPart = on, "caller's check", "each part's own");
        }
        if (args.Contains("--fuse-ab"))
        {
            return SwitchAb(names, Step, stamps, steps, on => fuse = on, "pool1 then conv1", "fused", combine: (7, 8));
        }
        if (args.Contains("--store-y-ab"))
        {
            return SwitchAb(names, Step, stamps, steps, on => storeY = !on, "y stored", "y not stored");
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
                    per[n][i] = (stamps[n + 1] - stamps[n]) * 1e6 / Stopwatch.Frequency;
                }
                per[names.Length][i] = (stamps[names.Length] - stamps[0]) * 1e6 / Stopwatch.Frequency;
            }
            results[side] = per.Select(a => { Array.Sort(a); return a[a.Length / 2]; }).ToArray();
        }
        for (int n = 0; n <= names.Length; n++)
        {
            string name = n < names.Length ? names[n] : "whole step";
            Console.WriteLine(FormattableString.Invariant($"{name,-28} 1 thread {results[0][n],8:F1} us   2 threads {results[1][n],8:F1} us   speed-up {results[0][n] / results[1][n]:F2}"));
        }
        Console.WriteLine("(pool1+relu backward and conv1's dW run as one kernel, ConvPoolBackward (ADR 0059): both are in the pool's line; --fuse-ab pairs it with the two kernels)");
        return 0;
    }

    /// <summary><c>--step-profile STEPS [--one-thread] --parts-ab</c> (<see cref="Workers.KeepPartsOnTheirCore"/>, ADR 0055),
    /// <c>--pool-ab</c> (<see cref="MaxPool2DPositions.Enabled"/>, ADR 0058) or <c>--store-y-ab</c> (the convolutions' outputs
    /// before their fused pools stored or not, ADR 0058) or <c>--check-ab</c> (<see cref="MaxPool2DReLU.CheckOwnPart"/>, ADR 0058)
    /// or <c>--fuse-ab</c> (pool1+relu's backward and conv1's dW as two kernels or as <see cref="ConvPoolBackward"/>, ADR 0059;
    /// the fused kernel is timed in the pool's slot, and a line adds the two slots of each step):
    /// the switch off (A) and on (B), in rounds of 10 steps that alternate AB, BA; per kernel the median over all steps of each side and the
    /// ratio A/B (ADR 0055).</summary>
    private static int SwitchAb(string[] names, Action<long[]> step, long[] stamps, int steps, Action<bool> set, string a, string b, (int First, int Second)? combine = null)
    {
        var both = new[] { new List<double>(), new List<double>() };
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
                    if (combine is (int first, int second))
                    {
                        both[side].Add((stamps[second + 1] - stamps[first]) * 1e6 / Stopwatch.Frequency);
                    }
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
            Console.WriteLine(FormattableString.Invariant($"{name,-28} {a} {ma,8:F1} us   {b} {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
        if (combine is (int f, int s))
        {
            double ma = Median(both[0]), mb = Median(both[1]);
            string name = names[f] + " + " + names[s];
            Console.WriteLine(FormattableString.Invariant($"{name} (per step): {a} {ma,8:F1} us   {b} {mb,8:F1} us   ratio {ma / mb:F2}"));
        }
        return 0;
    }
}
