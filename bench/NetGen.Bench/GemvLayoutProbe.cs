using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Bench;

/// <summary>
/// <c>--gemv-layout-probe [--reps N]</c>: why the batch-1 GEMV reads its weights at half the speed of a plain sum. One
/// core, raw Vector512 (AVX-512 machines only), the benchmark MLP's first layer (256×784) and one core's half of it
/// (128×784), bodies taking turns: the 8-row kernel over W as stored (8 concurrent streams, each 49 lines long), the
/// same with software prefetch, the same arithmetic over W interleaved per 8-row block (one sequential stream), and the
/// plain sum of the same bytes. Timing only; the library's kernels carry the bit-exact versions.
/// </summary>
internal static class GemvLayoutProbe
{
    public static unsafe int Run(string[] args)
    {
        int reps = 41;
        for (int i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == "--reps")
            {
                reps = int.Parse(args[++i]);
            }
        }

        if (!Vector512.IsHardwareAccelerated)
        {
            Console.WriteLine("Vector512 is not accelerated here: nothing to probe.");
            return 0;
        }

        foreach (int outputs in new[] { 256, 128 })
        {
            const int inputs = 784;
            float[] w = NetworkBenchmarks.Fill(outputs * inputs, 3), x = NetworkBenchmarks.Fill(inputs, 4), y = new float[outputs];
            float[] packed = Interleave(w, outputs, inputs);
            float sink = 0;
            var bodies = new Action<int>[]
            {
                n => { for (int i = 0; i < n; i++) { AsStored(w, x, y, outputs, inputs, prefetch: false); } },
                n => { for (int i = 0; i < n; i++) { AsStored(w, x, y, outputs, inputs, prefetch: true); } },
                n => { for (int i = 0; i < n; i++) { Interleaved(packed, x, y, outputs, inputs); } },
                n => { for (int i = 0; i < n; i++) { sink += Sum(packed); } },
            };
            double[][] t = Compare.TimeInterleaved(reps, bodies);
            string[] names = ["as stored", "as stored + prefetch", "interleaved", "plain sum"];
            double bytes = outputs * inputs * 4.0;
            Console.WriteLine($"{outputs}x{inputs} ({bytes / 1e6:F2} MB), one core, median [best] µs, GB/s, paired ratio vs as stored:{(sink == 1 ? " " : "")}");
            for (int b = 0; b < bodies.Length; b++)
            {
                double med = Compare.Median(t[b]);
                Console.WriteLine($"  {names[b],-22} {med * 1e6,7:F2} [{t[b].Min() * 1e6,7:F2}]  {bytes / med / 1e9,6:F1} GB/s  {Compare.Median(t[0].Zip(t[b], (a, c) => a / c)):F2}x");
            }
        }

        return 0;
    }

    /// <summary>Block of 8 rows: for each 16-float step p, the 8 rows' 16 floats one after another.</summary>
    private static float[] Interleave(float[] w, int outputs, int inputs)
    {
        var packed = new float[w.Length];
        int kv = inputs / 16 * 16, o = 0;
        for (int r = 0; r < outputs; r += 8)
        {
            for (int p = 0; p < kv; p += 16)
            {
                for (int c = 0; c < 8; c++)
                {
                    Array.Copy(w, ((r + c) * inputs) + p, packed, o, 16);
                    o += 16;
                }
            }
        }

        return packed;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AsStored(float[] wa, float[] xa, float[] ya, int outputs, int k, bool prefetch)
    {
        fixed (float* pw = wa, px = xa, py = ya)
        {
            int kv = k / 16 * 16;
            for (int r = 0; r < outputs; r += 8)
            {
                float* w0 = pw + ((nint)r * k);
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
                for (int p = 0; p < kv; p += 16)
                {
                    if (prefetch)
                    {
                        float* next = w0 + (8 * k) + p; // the next block's rows, same column
                        Sse.Prefetch0(next);
                        Sse.Prefetch0(next + k);
                        Sse.Prefetch0(next + (2 * k));
                        Sse.Prefetch0(next + (3 * k));
                        Sse.Prefetch0(next + (4 * k));
                        Sse.Prefetch0(next + (5 * k));
                        Sse.Prefetch0(next + (6 * k));
                        Sse.Prefetch0(next + (7 * k));
                    }

                    var v = Vector512.Load(px + p);
                    s0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + p), s0);
                    s1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + k + p), s1);
                    s2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + (2 * k) + p), s2);
                    s3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + (3 * k) + p), s3);
                    s4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + (4 * k) + p), s4);
                    s5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + (5 * k) + p), s5);
                    s6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + (6 * k) + p), s6);
                    s7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w0 + (7 * k) + p), s7);
                }

                py[r] = Vector512.Sum(s0); py[r + 1] = Vector512.Sum(s1); py[r + 2] = Vector512.Sum(s2); py[r + 3] = Vector512.Sum(s3);
                py[r + 4] = Vector512.Sum(s4); py[r + 5] = Vector512.Sum(s5); py[r + 6] = Vector512.Sum(s6); py[r + 7] = Vector512.Sum(s7);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Interleaved(float[] wa, float[] xa, float[] ya, int outputs, int k)
    {
        fixed (float* pw = wa, px = xa, py = ya)
        {
            int kv = k / 16 * 16;
            float* w = pw;
            for (int r = 0; r < outputs; r += 8)
            {
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
                for (int p = 0; p < kv; p += 16, w += 128)
                {
                    var v = Vector512.Load(px + p);
                    s0 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w), s0);
                    s1 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 16), s1);
                    s2 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 32), s2);
                    s3 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 48), s3);
                    s4 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 64), s4);
                    s5 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 80), s5);
                    s6 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 96), s6);
                    s7 = Avx512F.FusedMultiplyAdd(v, Vector512.Load(w + 112), s7);
                }

                py[r] = Vector512.Sum(s0); py[r + 1] = Vector512.Sum(s1); py[r + 2] = Vector512.Sum(s2); py[r + 3] = Vector512.Sum(s3);
                py[r + 4] = Vector512.Sum(s4); py[r + 5] = Vector512.Sum(s5); py[r + 6] = Vector512.Sum(s6); py[r + 7] = Vector512.Sum(s7);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Sum(float[] data)
    {
        ref float p = ref data[0];
        int n = data.Length, i = 0;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (; i <= n - 128; i += 128)
        {
            a0 += Vector512.LoadUnsafe(ref p, (nuint)i);
            a1 += Vector512.LoadUnsafe(ref p, (nuint)(i + 16));
            a2 += Vector512.LoadUnsafe(ref p, (nuint)(i + 32));
            a3 += Vector512.LoadUnsafe(ref p, (nuint)(i + 48));
            a4 += Vector512.LoadUnsafe(ref p, (nuint)(i + 64));
            a5 += Vector512.LoadUnsafe(ref p, (nuint)(i + 80));
            a6 += Vector512.LoadUnsafe(ref p, (nuint)(i + 96));
            a7 += Vector512.LoadUnsafe(ref p, (nuint)(i + 112));
        }

        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
    }
}
