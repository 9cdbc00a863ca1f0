using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --convfuse-ab [ROUNDS] [REPS]</c>, ADR 0059): the backward of a first
/// convolution with its ReLU → MaxPool2D, as two kernels (<see cref="MaxPool2DReLU.Backward{T}"/> into the whole dy, then
/// <see cref="Conv2D.Backward{T}"/>'s dW and db) against <see cref="ConvPoolBackward"/>, for the bench CNN's first layer
/// and LeNet's, batch 64, on the same inputs (a real forward's pooled output and argmax). Each round runs REPS calls of
/// one side then REPS of the other, the order alternating from round to round; prints per side the median time of a
/// call and the median of the per-round ratios two kernels / fused with its quartiles, on one thread (the workers held)
/// and then on both cores.</summary>
internal static class ConvFuseAb
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 41;
        int reps = args.Length > 2 ? int.Parse(args[2]) : 5;
        const int B = 64;
        var bodies = new (string Name, Conv2DGeometry G, Pool2DGeometry P)[]
        {
            ("bench CNN conv1 (1×28×28 → 8×26×26 → 8×13×13)", new Conv2DGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0), new Pool2DGeometry(8, 26, 26, 2, 2, 2, 2, 0, 0)),
            ("LeNet conv1 (1×28×28 → 20×24×24 → 20×12×12)", new Conv2DGeometry(1, 28, 28, 20, 5, 5, 1, 1, 0, 0), new Pool2DGeometry(20, 24, 24, 2, 2, 2, 2, 0, 0)),
        };
        foreach (bool oneThread in new[] { true, false })
        {
            BenchThreads.Set(oneThread);
            foreach ((string name, Conv2DGeometry g, Pool2DGeometry p) in bodies)
            {
                float[] x = NetworkBenchmarks.Fill(B * g.InputLength, 1), w = NetworkBenchmarks.Fill(g.WeightLength, 2), bias = NetworkBenchmarks.Fill(g.OutChannels, 3);
                float[] y = new float[B * g.OutputLength], pooled = new float[B * p.OutputLength], dPooled = NetworkBenchmarks.Fill(pooled.Length, 4);
                int[] argmax = new int[pooled.Length];
                ConvPool.Forward<float>(x, w, bias, y, pooled, argmax, B, g, p, fuseReLU: true);
                float[] dy = new float[y.Length], dw = new float[w.Length], db = new float[bias.Length];
                void Two()
                {
                    MaxPool2DReLU.Backward<float>(dPooled, argmax, pooled, y, dy, B, p);
                    Conv2D.Backward<float>(dy, x, w, default, dw, db, B, g);
                }
                void Fused() => ConvPoolBackward.Backward<float>(dPooled, argmax, pooled, y, x, w, dy, dw, db, B, g, p);
                for (int i = 0; i < 50; i++)
                {
                    Two();
                    Fused();
                }
                var times = new[] { new List<double>(), new List<double>() };
                var ratios = new List<double>();
                for (int r = 0; r < rounds; r++)
                {
                    var round = new double[2];
                    for (int k = 0; k < 2; k++)
                    {
                        int side = (k + r) % 2;
                        for (int i = 0; i < reps; i++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            if (side == 0)
                            {
                                Two();
                            }
                            else
                            {
                                Fused();
                            }
                            double us = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
                            times[side].Add(us);
                            round[side] += us;
                        }
                    }
                    ratios.Add(round[0] / round[1]);
                }
                times[0].Sort();
                times[1].Sort();
                ratios.Sort();
                Console.WriteLine(FormattableString.Invariant(
                    $"{(oneThread ? "1 thread " : "2 threads")}  {name,-50} two kernels {times[0][times[0].Count / 2],8:F1} us   fused {times[1][times[1].Count / 2],8:F1} us   ratio {ratios[ratios.Count / 2]:F2} [{ratios[ratios.Count / 4]:F2}, {ratios[3 * ratios.Count / 4]:F2}]"));
            }
        }
        BenchThreads.Cores();
        return 0;
    }
}
