using NetGen.Cuda;
using NetGen.Kernels;

namespace NetGen.CudaCheck;

/// <summary>Fractional max pooling and the hierarchical softmax on the GPU (kernels_fmp.cu, kernels_hsm.cu): the kernels
/// against the CPU kernels (fractional pooling bit for bit: output, argmax and input gradient, training and inference
/// regions; the hierarchical softmax's loss, gradients and distribution within 1e-5, its greedy classes equal), then a
/// generated network with each end to end against Backend.Cpu (NetworkChecks).</summary>
internal static class FmpHsmChecks
{
    /// <summary>Runs the checks; <paramref name="report"/> prints one PASS/FAIL line and counts a failure.</summary>
    public static void Run(CudaDevice device, CudaKernels k, Action<string, bool, string> report)
    {
        FractionalPooling(device, k, report);
        HierarchicalSoftmaxKernels(device, k, report);
        NetworkChecks.Check("fractional max pooling, Adam", (s, b) => new FractionalPoolAdam(s, b), n => n.CopyFromDevice(), report);
        NetworkChecks.Check("hierarchical softmax over 10 classes, Adam", (s, b) => new HierarchicalSoftmaxAdam(s, b), n => n.CopyFromDevice(), report);
    }

    private static void HierarchicalSoftmaxKernels(CudaDevice device, CudaKernels k, Action<string, bool, string> report)
    {
        // 1,000 classes (paths of 9 and 10 steps), 64 rows of 32 features: every class's path on the device.
        HierarchicalSoftmaxTree tree = HierarchicalSoftmaxTree.Balanced(1000);
        const int B = 64, H = 32;
        float[] h = Random(310, B * H, 1), v = Random(311, tree.Nodes * H, 0.3f), b = Random(312, tree.Nodes, 0.3f);
        int[] labels = Enumerable.Range(0, B).Select(i => (i * 331 + 7) % tree.Classes).ToArray();
        float[] dh = new float[h.Length], dv = new float[v.Length], db = new float[b.Length], p = new float[B * tree.Classes];
        int[] greedy = new int[B];
        double loss = HierarchicalSoftmax.Loss<float>(h, labels, dh, B, H, v, b, dv, db, tree);
        HierarchicalSoftmax.Probabilities<float>(h, B, H, v, b, p, tree);
        HierarchicalSoftmax.GreedyClasses<float>(h, B, H, v, b, greedy, tree);
        using DeviceBuffer<int> gt = device.Upload<int>(CudaKernels.HierarchicalSoftmaxTable(tree)), gl = device.Upload<int>(labels), gc = device.Allocate<int>(B);
        using DeviceBuffer<float> gh = device.Upload<float>(h), gv = device.Upload<float>(v), gb = device.Upload<float>(b);
        using DeviceBuffer<float> gdh = device.Allocate<float>(dh.Length), gdv = device.Allocate<float>(dv.Length), gdb = device.Allocate<float>(db.Length);
        using DeviceBuffer<float> steps = device.Allocate<float>(B * tree.MaxDepth), gp = device.Allocate<float>(p.Length);
        using DeviceBuffer<double> terms = device.Allocate<double>(B);
        k.HierarchicalSoftmaxLoss(gh, gl, gv, gb, gt, gdh, steps, terms, B, H, tree.Classes, tree.MaxDepth);
        k.HierarchicalSoftmaxNodeGradients(gh, gl, steps, gt, gdv, gdb, B, H, tree.Classes, tree.MaxDepth);
        k.HierarchicalSoftmaxProbabilities(gh, gv, gb, gt, gp, B, H, tree.Classes);
        k.HierarchicalSoftmaxGreedy(gh, gv, gb, gt, gc, B, H, tree.Classes);
        double total = terms.ToArray().Sum();
        report("hierarchical softmax loss", Math.Abs(total - loss) <= 1e-5 * loss, $"GPU {total:R}, CPU {loss:R}");
        Close("hierarchical softmax dh", gdh.ToArray(), dh, report);
        Close("hierarchical softmax dV (a gather in row order)", gdv.ToArray(), dv, report);
        Close("hierarchical softmax db", gdb.ToArray(), db, report);
        Close("hierarchical softmax distribution", gp.ToArray(), p, report);
        report("hierarchical softmax greedy classes (equal)", greedy.SequenceEqual(gc.ToArray()), $"{B} rows");
    }

    /// <summary>Largest difference over the tensor's largest magnitude (floored at 1e-3) ≤ 1e-5.</summary>
    private static void Close(string name, float[] gpu, float[] cpu, Action<string, bool, string> report)
    {
        double scale = 1e-3, worst = 0;
        bool ok = gpu.Length == cpu.Length;
        for (int i = 0; ok && i < cpu.Length; i++)
        {
            ok &= float.IsFinite(gpu[i]);
            scale = Math.Max(scale, Math.Abs(cpu[i]));
            worst = Math.Max(worst, Math.Abs((double)gpu[i] - cpu[i]));
        }

        report(name, ok && worst <= 1e-5 * scale, $"{cpu.Length} values, largest difference over largest magnitude {worst / scale:E2}");
    }

    private static void FractionalPooling(CudaDevice device, CudaKernels k, Action<string, bool, string> report)
    {
        // Graham's 2×2 windows at ratio ≈ 0.7 (overlapping) on a larger plane, and 3×3 windows at α = 1.
        foreach ((int b, int c, int h, int w, int kernel, int oh, int ow) in new[] { (8, 4, 32, 32, 2, 22, 22), (8, 4, 12, 10, 3, 10, 8) })
        {
            var g = new FractionalPool2DGeometry(c, h, w, kernel, oh, ow);
            string what = $"fractional max pooling {kernel}×{kernel} {h}×{w} → {oh}×{ow}";
            float[] x = Random(300, b * g.InputLength, 3).Select(MathF.Floor).ToArray(); // ties: the first in row-major order wins
            float[] dy = Random(301, b * g.OutputLength, 1);
            using DeviceBuffer<float> gx = device.Upload<float>(x), gdy = device.Upload<float>(dy);
            using DeviceBuffer<float> gy = device.Allocate<float>(dy.Length), gdx = device.Allocate<float>(x.Length);
            using DeviceBuffer<int> garg = device.Allocate<int>(dy.Length);
            float[] y = new float[dy.Length], dx = new float[x.Length];
            int[] argmax = new int[dy.Length];
            foreach ((ulong step, bool training) in new[] { (7UL, true), (FractionalMaxPool2D.InferenceStep, false) })
            {
                ulong key = CounterRng.Key(5, CounterRng.DropoutStream, 2, step);
                FractionalMaxPool2D.Forward<float>(x, y, argmax, b, g, key, training);
                FractionalMaxPool2D.Backward<float>(dy, argmax, dx, b, g);
                k.FractionalMaxPool2DForward(gx, gy, garg, b, g, key, training);
                k.FractionalMaxPool2DBackward(gdy, garg, gdx, b, g, key, training);
                string mode = training ? "training" : "inference";
                report($"{what}, {mode}: the CPU's regions (argmax bit for bit)", argmax.SequenceEqual(garg.ToArray()), $"{argmax.Length} windows");
                report($"{what}, {mode}: forward (bit for bit)", y.SequenceEqual(gy.ToArray()), $"{y.Length} values");
                report($"{what}, {mode}: backward gather over overlapping windows (bit for bit)", dx.SequenceEqual(gdx.ToArray()), $"{dx.Length} values");
            }
        }
    }

    private static float[] Random(ulong stream, int n, float scale)
    {
        ulong key = CounterRng.Key(2024, stream, 0, 0);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = ((CounterRng.Uniform(key, (ulong)i) * 2f) - 1f) * scale;
        }

        return v;
    }
}
