using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;

namespace NetGen.Bench;

/// <summary>
/// ONNX Runtime as the inference peer (the engine a .NET developer would deploy a trained model with), measured in the
/// same process as NetGen: the benchmark MLP is exported with <c>ExportOnnx</c>, loaded by ONNX Runtime 1.31.1 with
/// ORT_ENABLE_ALL and 1, then 2, intra-op threads (best kept), and checked against <c>Predict</c> before anything is
/// timed. Two workloads: batch-1 latency and batch-64 inference throughput. Ratios are NetGen's advantage (&gt; 1: NetGen
/// faster); each is the ratio of the medians, NetGen and the ORT configuration taking turns repetition by repetition.
/// </summary>
internal static class OnnxRuntimePeer
{
    private static readonly int[] ThreadCounts = { 1, 2 };

    public static JsonObject Run(BenchMlp mlp, float[] x64, int reps, Func<int, Action<int>[], double[][]> timeInterleaved)
    {
        byte[] model;
        using (var stream = new MemoryStream())
        {
            mlp.ExportOnnx(stream);
            model = stream.ToArray();
        }

        var result = new JsonObject { ["version"] = "Microsoft.ML.OnnxRuntime 1.31.1", ["graph_optimization"] = "ORT_ENABLE_ALL", ["model_bytes"] = model.Length };
        foreach ((string workload, int rows) in new[] { ("mlp_latency_b1", 1), ("mlp_infer_b64", 64) })
        {
            float[] x = x64.AsSpan(0, rows * BenchMlp.InputSize).ToArray();
            float[] netgenY = new float[rows * BenchMlp.OutputSize];
            var row = new JsonObject { ["rows"] = rows };
            double bestOrt = double.MaxValue, netgenTime = double.NaN;
            foreach (int threads in ThreadCounts)
            {
                using var options = new SessionOptions
                {
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    IntraOpNumThreads = threads,
                    InterOpNumThreads = 1,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                };
                using var session = new InferenceSession(model, options);
                float[] ortY = new float[rows * BenchMlp.OutputSize];
                using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { rows, BenchMlp.InputSize });
                using var output = OrtValue.CreateTensorValueFromMemory(ortY, new long[] { rows, BenchMlp.OutputSize });
                using var runOptions = new RunOptions();
                string[] inputNames = { "input" }, outputNames = { "output" };
                OrtValue[] inputs = { input }, outputs = { output };
                void Ort() => session.Run(runOptions, inputNames, inputs, outputNames, outputs);
                void NetGen() => mlp.Predict(x, netgenY);

                // Correctness before timing: the same scores within 1e-4 of their scale.
                Ort();
                NetGen();
                double scale = netgenY.Max(Math.Abs), worst = netgenY.Zip(ortY, (a, b) => Math.Abs(a - b)).Max();
                if (worst > 1e-4 * Math.Max(scale, 1e-6))
                {
                    throw new InvalidOperationException($"ONNX Runtime ({threads} threads) disagrees with NetGen on {workload}: max error {worst:E3}, scale {scale:E3}.");
                }

                double[][] samples = timeInterleaved(reps, new Action<int>[] { inner => Repeat(inner, NetGen), inner => Repeat(inner, Ort) });
                double ng = Median(samples[0]), ort = Median(samples[1]);
                netgenTime = double.IsNaN(netgenTime) ? ng : Math.Min(netgenTime, ng);
                row[$"ort_{threads}t_us"] = Math.Round(ort * 1e6, 3);
                bestOrt = Math.Min(bestOrt, ort);
                Console.WriteLine($"  {workload} ONNX Runtime {threads} intra-op thread{(threads == 1 ? string.Empty : "s")}: {ort * 1e6:F2} us/call; NetGen {ng * 1e6:F2} us/call");
            }

            row["netgen_us"] = Math.Round(netgenTime * 1e6, 3);
            row["ort_best_us"] = Math.Round(bestOrt * 1e6, 3);
            row["ratio_vs_ort"] = Math.Round(bestOrt / netgenTime, 3);
            if (rows > 1)
            {
                row["netgen_samples_per_s"] = Math.Round(rows / netgenTime, 1);
                row["ort_samples_per_s"] = Math.Round(rows / bestOrt, 1);
            }

            result[workload] = row;
        }

        return result;
    }

    private static void Repeat(int count, Action body)
    {
        for (int i = 0; i < count; i++)
        {
            body();
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
