using System.Diagnostics;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Development aid (<c>NetGen.Bench --mlp-train-ab [ROUNDS] [SWITCH]</c>): <see cref="BenchMlp"/>'s training step
/// (<c>mlp_train</c>) with one kernel switch off (A) and on (B), in rounds that alternate AB, BA; prints the median time
/// per step of each side and the median of the per-round ratios A/B. SWITCH: <c>eight</c> (PackedGemm.EightRowPanels,
/// ADR 0062), <c>align</c> (Gemv.AlignPanels, ADR 0061).</summary>
internal static class MlpTrainAb
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 21;
        string which = args.Length > 2 ? args[2] : "eight";
        Action<bool> set = which switch
        {
            "eight" => on => PackedGemm.EightRowPanels = on,
            "align" => on => Gemv.AlignPanels = on,
            _ => throw new ArgumentException($"unknown switch '{which}'"),
        };
        var net = new BenchMlp(1);
        float[] x = NetworkBenchmarks.Fill(64 * 784, 1);
        int[] labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        double Block(bool on)
        {
            set(on);
            net.TrainStep(x, labels);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < 200; i++)
            {
                net.TrainStep(x, labels);
            }
            return (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency / 200;
        }
        for (int i = 0; i < 3; i++)
        {
            Block(false);
            Block(true);
        }
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
        set(true);
        static double Median(List<double> l)
        {
            l.Sort();
            return l[l.Count / 2];
        }
        Console.WriteLine(FormattableString.Invariant($"mlp_train step, switch {which}: off {Median(a):F1} us, on {Median(b):F1} us, median ratio off/on {Median(r):F3} ({rounds} rounds of 200 steps)"));
        return 0;
    }
}
