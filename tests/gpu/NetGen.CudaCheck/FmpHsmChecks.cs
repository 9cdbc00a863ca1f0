using NetGen.Cuda;
using NetGen.Kernels;

namespace NetGen.CudaCheck;

/// <summary>Fractional max pooling on the GPU (kernels_fmp.cu): the kernels against the CPU kernel bit for bit (output,
/// argmax and input gradient, training and inference regions), then a generated network with it end to end against
/// Backend.Cpu (NetworkChecks).</summary>
internal static class FmpHsmChecks
{
    /// <summary>Runs the checks; <paramref name="report"/> prints one PASS/FAIL line and counts a failure.</summary>
    public static void Run(CudaDevice device, CudaKernels k, Action<string, bool, string> report)
    {
        FractionalPooling(device, k, report);
        NetworkChecks.Check("fractional max pooling, Adam", (s, b) => new FractionalPoolAdam(s, b), n => n.CopyFromDevice(), report);
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
