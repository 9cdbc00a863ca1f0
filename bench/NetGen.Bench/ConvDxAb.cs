using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// Development aid for ADR 0057 (<c>NetGen.Bench --convdx-ab [ROUNDS] [REPS] [FILTER]</c>): the direct dx kernel of
/// <see cref="BenchCnn"/>'s second convolution and the first pool's fused ReLU backward, old against new in one process.
/// Each round runs every body REPS times with the kernels of before ("old": <see cref="Conv2DBackward.WrapBorder"/>,
/// <see cref="Conv2DBackward.ColumnsOnRegisters"/>, <see cref="Conv2DBackward.GatherRowsTogether"/> and
/// <see cref="MaxPool2DReLU.OnePassCheck"/> off) and REPS times with the new ones, the order alternating from round to
/// round, each side timed as a block after one untimed call. Prints the median of the per-round ratios old/new with its
/// quartiles, each side's median time per call, and the fastest call of each. FILTER keeps the bodies whose name contains
/// it. <c>NETGEN_NO_COLUMNS=1</c> keeps the column dx off on the new side (the full convolution with the shared border
/// alone); <c>NETGEN_CHECK_IN_PARTS=1</c> puts the pool's check in its parts on the new side
/// (<see cref="MaxPool2DReLU.CheckInParts"/>).
/// </summary>
internal static class ConvDxAb
{
    private const int B = 64;

    private static void Set(bool on)
    {
        Conv2DBackward.WrapBorder = on;
        Conv2DBackward.ColumnsOnRegisters = on && Environment.GetEnvironmentVariable("NETGEN_NO_COLUMNS") != "1";
        Conv2DBackward.GatherRowsTogether = on;
        MaxPool2DReLU.OnePassCheck = on;
        MaxPool2DReLU.CheckInParts = on && Environment.GetEnvironmentVariable("NETGEN_CHECK_IN_PARTS") == "1";
    }

    public static unsafe int Run(string[] args)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        int rounds = args.Length > 1 ? int.Parse(args[1], inv) : 41;
        int reps = args.Length > 2 ? int.Parse(args[2], inv) : 5;
        string? filter = args.Length > 3 ? args[3] : null;
        var g2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var p1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var g1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        float[] dy2 = NetworkBenchmarks.Fill(B * g2.OutputLength, 6), w2 = NetworkBenchmarks.Fill(16 * 72, 4), dx2 = new float[B * g2.InputLength];
        float[] q1x = NetworkBenchmarks.Fill(B * g2.InputLength, 9), dw2 = new float[16 * 72], db2 = new float[16];

        // The first pool's inputs as a real forward leaves them (argmax, pooled), and a gradient of its output.
        float[] x = NetworkBenchmarks.Fill(B * 784, 1), w1 = NetworkBenchmarks.Fill(72, 2), b1 = NetworkBenchmarks.Fill(8, 3);
        float[] y1 = new float[B * g1.OutputLength], q1 = new float[B * p1.OutputLength], dq1 = NetworkBenchmarks.Fill(q1.Length, 7);
        float[] dr1 = new float[y1.Length];
        int[] i1 = new int[q1.Length];
        Conv2D.Forward<float>(x, w1, b1, y1, B, g1, fuseReLU: true);
        MaxPool2D.Forward<float>(y1, q1, i1, B, p1);
        var gL = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0); // LeNet's conv2
        float[] dyL = NetworkBenchmarks.Fill(B * gL.OutputLength, 13), xL = NetworkBenchmarks.Fill(B * gL.InputLength, 14);
        float[] wL = NetworkBenchmarks.Fill(gL.WeightLength, 15), dxL = new float[B * gL.InputLength], dwL = new float[gL.WeightLength], dbL = new float[50];
        var net = new BenchCnn(1);
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();

        void Dx()
        {
            fixed (float* pdy = dy2)
            fixed (float* pw = w2)
            fixed (float* pdx = dx2)
            {
                Conv2DBackward.DirectInputGradient(pdy, pw, pdx, 0, B, g2);
            }
        }

        void DxGroups()
        {
            // As Conv2D.Backward calls it: once per group of 8 samples.
            fixed (float* pdy = dy2)
            fixed (float* pw = w2)
            fixed (float* pdx = dx2)
            {
                for (int s = 0; s < B; s += 8)
                {
                    Conv2DBackward.DirectInputGradient(pdy, pw, pdx, s, s + 8, g2);
                }
            }
        }

        // col2im alone: the gather of ADR 0052 against the one by flat taps (GatherRowsTogether), per sample as the kernels call it.
        int margin = Conv2DBackward.Col2ImMargin;
        float[] dcol2 = NetworkBenchmarks.Fill((g2.ColumnRows * g2.OutHeight * g2.OutWidth) + (2 * margin), 16);
        float[] dcolL = NetworkBenchmarks.Fill((gL.ColumnRows * gL.OutHeight * gL.OutWidth) + (2 * margin), 17);
        void Gather(float[] dcol, float[] dx, in Conv2DGeometry g)
        {
            fixed (float* pc = dcol)
            fixed (float* pdx = dx)
            {
                for (int s = 0; s < B; s++)
                {
                    Conv2DBackward.Col2ImGather(pc + margin, pdx + ((nint)s * g.InputLength), g);
                }
            }
        }

        var bodies = new (string Name, int Threads, Action Body)[]
        {
            ("conv2 col2im gather (64 samples)", 1, () => Gather(dcol2, dx2, g2)),
            ("LeNet conv2 col2im gather (64 samples)", 1, () => Gather(dcolL, dxL, gL)),
            ("conv2 dx (DirectInputGradient, 64 samples)", 1, Dx),
            ("conv2 dx (DirectInputGradient, 8 calls of 8)", 1, DxGroups),
            ("conv2 backward (dx, dW, db)", 1, () => Conv2D.Backward<float>(dy2, q1x, w2, dx2, dw2, db2, B, g2)),
            ("conv2 backward (dx, dW, db)", 2, () => Conv2D.Backward<float>(dy2, q1x, w2, dx2, dw2, db2, B, g2)),
            ("LeNet conv2 backward (dx, dW, db)", 1, () => Conv2D.Backward<float>(dyL, xL, wL, dxL, dwL, dbL, B, gL)),
            ("LeNet conv2 backward (dW, db only)", 1, () => Conv2D.Backward<float>(dyL, xL, wL, default, dwL, dbL, B, gL)),
            ("LeNet conv2 backward (dx, dW, db)", 2, () => Conv2D.Backward<float>(dyL, xL, wL, dxL, dwL, dbL, B, gL)),
            ("pool1+relu backward", 1, () => MaxPool2DReLU.Backward<float>(dq1, i1, q1, y1, dr1, B, p1)),
            ("pool1+relu backward", 2, () => MaxPool2DReLU.Backward<float>(dq1, i1, q1, y1, dr1, B, p1)),
            ("BenchCnn.TrainStep", 1, () => net.TrainStep(x, labels)),
            ("BenchCnn.TrainStep", 2, () => net.TrainStep(x, labels)),
        };
        Console.WriteLine($"{rounds} rounds of {reps} calls per side; Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        foreach ((string name, int threads, Action body) in bodies)
        {
            if (filter is not null && !name.Contains(filter, StringComparison.Ordinal))
            {
                continue;
            }
            Threads(threads);
            foreach (bool on in new[] { false, true })
            {
                Set(on);
                for (int i = 0; i < 10; i++)
                {
                    body();
                }
            }
            var ratio = new double[rounds];
            var a = new double[rounds];
            var b = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                for (int side = 0; side < 2; side++)
                {
                    bool old = (side == 0) == (r % 2 == 0);
                    Set(!old);
                    body();
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < reps; i++)
                    {
                        body();
                    }
                    double t = Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
                    (old ? a : b)[r] = t;
                }
                ratio[r] = a[r] / b[r];
            }
            Set(true);
            Array.Sort(ratio);
            Array.Sort(a);
            Array.Sort(b);
            Console.WriteLine(FormattableString.Invariant(
                $"{name,-44} {threads} thr  old/new {ratio[rounds / 2]:F3} [{ratio[rounds / 4]:F3}, {ratio[3 * rounds / 4]:F3}]  medians {a[rounds / 2] * 1e6,8:F1} / {b[rounds / 2] * 1e6,8:F1} us  fastest {a[0] * 1e6,8:F1} / {b[0] * 1e6,8:F1} us = {a[0] / b[0]:F3}"));
        }
        return 0;
    }

    /// <summary>One thread: the workers held, every kernel on the caller; two: the workers released.</summary>
    private static void Threads(int threads)
    {
        if (threads == 1)
        {
            BenchThreads.One();
        }
        else
        {
            BenchThreads.Cores(threads);
        }
    }
}
