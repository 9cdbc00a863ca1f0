using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>
/// Development aid for the training kernels of ADR 0052 (<see cref="BenchCnn"/>'s <c>cnn_train</c> step and
/// <see cref="BenchLeNet"/>'s <c>lenet_epoch</c> step), old against new in one process.
/// <list type="bullet">
/// <item><c>--train-ab [ROUNDS] [REPS] [SWITCH|all] [FILTER]</c>: ROUNDS rounds; in each, every body runs REPS times with the kernels of
/// before ADR 0052 ("old": every switch below off) and REPS times with the new ones, the order alternating from round to
/// round, each side timed as a block after one untimed call. Prints the median of the per-round ratios old/new with its
/// quartiles, and the median time per call of each side. SWITCH (optional) names the one change to measure alone; the
/// others stay on on both sides. FILTER (optional) keeps the bodies whose name contains it.</item>
/// <item><c>--train-profile [CALLS]</c>: the fastest of CALLS calls of each LeNet kernel and of both whole steps, on the
/// new kernels (the BenchCnn kernels: <c>--conv-profile</c>).</item>
/// <item><c>--one-thread</c> (either mode): every kernel on the calling thread.</item>
/// </list>
/// Both sides run in this process on the same inputs, so a loaded machine slows both alike; only the ratios count.
/// </summary>
internal static class TrainAb
{
    private const int B = 64;

    /// <summary>The switches of ADR 0052, each <see langword="true"/> for the new kernel.</summary>
    private static readonly (string Name, Action<bool> Set)[] Switches =
    {
        ("pool-relu", on => MaxPool2DReLU.Fused = on),
        ("rows", on => Conv2DBackward.RowsOnRegisters = on),
        ("lanes", on => Conv2DBackward.LanesTogether = on),
    };

    public static int Run(string[] args)
    {
        if (args.Contains("--one-thread"))
        {
            BenchThreads.One(); // every kernel on the calling thread: the loaded machine's second core left out
            args = args.Where(a => a != "--one-thread").ToArray();
        }
        (string Name, Action Body)[] bodies = Bodies();
        foreach ((_, Action body) in bodies)
        {
            foreach (bool on in new[] { false, true })
            {
                Set(on, null);
                for (int i = 0; i < 10; i++)
                {
                    body();
                }
            }
        }
        Set(true, null);
        if (args[0] == "--train-profile")
        {
            int calls = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200;
            var best = new double[bodies.Length];
            Array.Fill(best, double.MaxValue);
            for (int i = 0; i < calls; i++)
            {
                for (int b = 0; b < bodies.Length; b++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    bodies[b].Body();
                    best[b] = Math.Min(best[b], Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
            }
            for (int b = 0; b < bodies.Length; b++)
            {
                Console.WriteLine(FormattableString.Invariant($"{bodies[b].Name,-40} {best[b] * 1e6,10:F1} us (fastest of {calls})"));
            }
            return 0;
        }

        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 41;
        int reps = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
        string? only = args.Length > 3 && args[3] != "all" ? args[3] : null;
        string? filter = args.Length > 4 ? args[4] : null;
        if (filter is not null)
        {
            bodies = bodies.Where(b => b.Name.Contains(filter, StringComparison.Ordinal)).ToArray();
        }
        Console.WriteLine($"--train-ab: {rounds} rounds of {reps} calls per side; switch: {only ?? "all"}; Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; load average {LoadAverage()}");
        foreach ((string name, Action body) in bodies)
        {
            var ratio = new double[rounds];
            var a = new double[rounds];
            var b = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                for (int side = 0; side < 2; side++)
                {
                    bool old = (side == 0) == (r % 2 == 0);
                    Set(!old, only);
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
            Set(true, null);
            Array.Sort(ratio);
            Array.Sort(a);
            Array.Sort(b);
            Console.WriteLine(FormattableString.Invariant(
                $"{name,-40} old/new median {ratio[rounds / 2]:F3} (quartiles {ratio[rounds / 4]:F3} .. {ratio[3 * rounds / 4]:F3}); medians {a[rounds / 2] * 1e6:F1} / {b[rounds / 2] * 1e6:F1} us"));
        }
        Console.WriteLine($"load average {LoadAverage()}");
        return 0;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>Every switch on (<paramref name="on"/>) or off; with <paramref name="only"/>, that switch alone moves and
    /// the others stay on.</summary>
    private static void Set(bool on, string? only)
    {
        foreach ((string name, Action<bool> set) in Switches)
        {
            set(only is null || only == name ? on : true);
        }
    }

    /// <summary>dcol[K, Ho·Wo] = W[O, K]ᵀ · dy_0[O, Ho·Wo] on the packed GEMM, one thread: the first half of the GEMM path's dx.</summary>
    private static unsafe void LeNetDxGemm(float[] w, float[] dy, float[] dcol, Conv2DGeometry g)
    {
        fixed (float* pw = w)
        fixed (float* pdy = dy)
        fixed (float* pc = dcol)
        {
            var o = new PackedGemm.Operands<float>
            {
                A = pw, Ars = 1, Acs = g.ColumnRows,
                B = pdy, Brs = g.OutPlane, Bcs = 1,
                C = pc + Conv2DBackward.Col2ImMargin, Ldc = g.OutPlane,
                M = g.ColumnRows, N = g.OutPlane, K = g.OutChannels,
            };
            PackedGemm.Run(o, parallel: false);
        }
    }

    /// <summary>col2im of one sample: the second half of the GEMM path's dx.</summary>
    private static unsafe void LeNetCol2Im(float[] dcol, float[] dx, Conv2DGeometry g)
    {
        fixed (float* pc = dcol)
        fixed (float* pdx = dx)
        {
            Conv2D.Col2ImRows(pc + Conv2DBackward.Col2ImMargin, pdx, g);
        }
    }

    private static (string Name, Action Body)[] Bodies()
    {
        // BenchCnn's ReLU → pool backward pairs and convolution backward, at batch 64.
        var c1 = new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0);
        var q1 = new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0);
        var c2 = new Conv2DGeometry(8, 13, 13, 16, 3, 3, 1, 1, 0, 0);
        var q2 = new Pool2DGeometry(16, 11, 11, 2, 2, 2, 2, 1, 1);
        float[] x = NetworkBenchmarks.Fill(B * 784, 1);
        float[] w1 = NetworkBenchmarks.Fill(72, 2), b1 = NetworkBenchmarks.Fill(8, 3), w2 = NetworkBenchmarks.Fill(16 * 72, 4), b2 = NetworkBenchmarks.Fill(16, 5);
        float[] y1 = new float[B * c1.OutputLength], p1 = new float[B * q1.OutputLength], y2 = new float[B * c2.OutputLength], p2 = new float[B * q2.OutputLength];
        int[] i1 = new int[p1.Length], i2 = new int[p2.Length];
        ConvPool.Forward<float>(x, w1, b1, y1, p1, i1, B, c1, q1, fuseReLU: true);
        ConvPool.Forward<float>(p1, w2, b2, y2, p2, i2, B, c2, q2, fuseReLU: true);
        float[] dp1 = NetworkBenchmarks.Fill(p1.Length, 6), dp2 = NetworkBenchmarks.Fill(p2.Length, 7);
        float[] dy1 = new float[y1.Length], dy2 = NetworkBenchmarks.Fill(y2.Length, 8), dx2 = new float[p1.Length];
        float[] dw1 = new float[72], db1 = new float[8], dw2 = new float[16 * 72], db2 = new float[16];

        // BenchLeNet's convolutions: 1×28×28 → 5×5 ×20 → pool → 20×12×12 → 5×5 ×50 → pool → 50×4×4.
        var l1 = new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0);
        var m1 = new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0);
        var l2 = new Conv2DGeometry(20, 12, 12, 50, 5, 5, 1, 1, 0, 0);
        var m2 = new Pool2DGeometry(50, 8, 8, 2, 2, 2, 2, 0, 0);
        float[] lw1 = NetworkBenchmarks.Fill(500, 9), lb1 = NetworkBenchmarks.Fill(20, 10), lw2 = NetworkBenchmarks.Fill(50 * 500, 11), lb2 = NetworkBenchmarks.Fill(50, 12);
        float[] ly1 = new float[B * l1.OutputLength], lp1 = new float[B * m1.OutputLength], ly2 = new float[B * l2.OutputLength], lp2 = new float[B * m2.OutputLength];
        int[] li1 = new int[lp1.Length], li2 = new int[lp2.Length];
        ConvPool.Forward<float>(x, lw1, lb1, ly1, lp1, li1, B, l1, m1, fuseReLU: true);
        Conv2D.Forward<float>(lp1, lw2, lb2, ly2, B, l2, fuseReLU: true);
        MaxPool2D.Forward<float>(ly2, lp2, li2, B, m2);
        float[] ldp1 = NetworkBenchmarks.Fill(lp1.Length, 13), ldp2 = NetworkBenchmarks.Fill(lp2.Length, 14);
        float[] ldy1 = new float[ly1.Length], ldy2 = NetworkBenchmarks.Fill(ly2.Length, 15), ldx2 = new float[lp1.Length];
        float[] ldw1 = new float[500], ldb1 = new float[20], ldw2 = new float[50 * 500], ldb2 = new float[50];

        float[] dcol = new float[(l2.ColumnRows * l2.OutPlane) + (2 * Conv2DBackward.Col2ImMargin)];

        var cnn = new BenchCnn(1);
        var lenet = new BenchLeNet(1);
        int[] labels = Enumerable.Range(0, B).Select(i => i % 10).ToArray();
        return new (string, Action)[]
        {
            ("cnn relu1+pool1 backward", () => MaxPool2DReLU.Backward<float>(dp1, i1, p1, y1, dy1, B, q1)),
            ("cnn relu2+pool2 backward", () => MaxPool2DReLU.Backward<float>(dp2, i2, p2, y2, dy2, B, q2)),
            ("cnn conv2 backward (dx, dW, db)", () => Conv2D.Backward<float>(dy2, p1, w2, dx2, dw2, db2, B, c2)),
            ("cnn conv1 backward (dW, db)", () => Conv2D.Backward<float>(dy1, x, w1, default, dw1, db1, B, c1)),
            ("BenchCnn.TrainStep", () => cnn.TrainStep(x, labels)),
            ("lenet relu1+pool1 backward", () => MaxPool2DReLU.Backward<float>(ldp1, li1, lp1, ly1, ldy1, B, m1)),
            ("lenet relu2+pool2 backward", () => MaxPool2DReLU.Backward<float>(ldp2, li2, lp2, ly2, ldy2, B, m2)),
            ("lenet conv2 backward (dx, dW, db)", () => Conv2D.Backward<float>(ldy2, lp1, lw2, ldx2, ldw2, ldb2, B, l2)),
            ("lenet conv2 backward (dW, db only)", () => Conv2D.Backward<float>(ldy2, lp1, lw2, default, ldw2, ldb2, B, l2)),
            ("lenet conv2 dx: Wᵀ·dy, 1 sample", () => LeNetDxGemm(lw2, ldy2, dcol, l2)),
            ("lenet conv2 dx: col2im, 1 sample", () => LeNetCol2Im(dcol, ldx2, l2)),
            ("lenet conv1 backward (dW, db)", () => Conv2D.Backward<float>(ldy1, x, lw1, default, ldw1, ldb1, B, l1)),
            ("lenet conv1+pool1 forward", () => ConvPool.Forward<float>(x, lw1, lb1, ly1, lp1, li1, B, l1, m1, fuseReLU: true)),
            ("lenet conv2 forward", () => Conv2D.Forward<float>(lp1, lw2, lb2, ly2, B, l2, fuseReLU: true)),
            ("BenchLeNet.TrainStep", () => lenet.TrainStep(x, labels)),
        };
    }
}
