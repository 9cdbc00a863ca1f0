namespace NetGen.Bench;

/// <summary>
/// <c>--mlp-latency-probe [--reps N]</c>: why <c>compare.sh</c>'s <c>mlp_latency_b1</c> (4.9–5.1 µs in the slow state) reads
/// slower than <c>--mlp-pair-ab</c>'s generated <c>Predict</c> (3.5–3.6 µs) on the same host. The batch-1 <c>Predict</c> of
/// <see cref="BenchMlp"/> timed as <c>compare.sh</c> times it (<see cref="Compare.TimeInterleaved"/>, back-to-back calls),
/// on <c>--mlp-pair-ab</c>'s input and on <c>compare.sh</c>'s, on a fresh network, then after the training steps that
/// <c>compare.sh</c> times before it (<c>mlp_train</c>), and on a second fresh network after those.
/// </summary>
internal static class MlpLatencyProbe
{
    public static int Run(string[] args)
    {
        int reps = 11;
        int at = Array.IndexOf(args, "--reps");
        if (at > 0 && at + 1 < args.Length)
        {
            reps = int.Parse(args[at + 1]);
        }

        var mlp = new BenchMlp(1);
        float[] pairInput = NetworkBenchmarks.Fill(784, 7), compareX = NetworkBenchmarks.Fill(64 * 784, 1), scores = new float[10];
        int[] labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();

        void Measure(string what, BenchMlp net)
        {
            double[][] t = Compare.TimeInterleaved(reps,
                n => Compare.Repeat(n, () => net.Predict(pairInput, scores)),
                n => Compare.Repeat(n, () => net.Predict(compareX.AsSpan(0, 784), scores)));
            Console.WriteLine($"{what,-44} --mlp-pair-ab's x {Compare.Median(t[0]) * 1e6,6:F2} µs   compare.sh's x {Compare.Median(t[1]) * 1e6,6:F2} µs");
        }

        Measure("fresh network", mlp);
        double train = Compare.Median(Compare.TimeInterleaved(reps, n => Compare.Repeat(n, () => mlp.TrainStep(compareX, labels)))[0]);
        Console.WriteLine($"mlp_train as compare.sh times it: {64 / train:F0} samples/s");
        Measure("the same network after those training steps", mlp);
        Measure("a second fresh network", new BenchMlp(1));
        Measure("the trained network again", mlp);
        return 0;
    }
}
