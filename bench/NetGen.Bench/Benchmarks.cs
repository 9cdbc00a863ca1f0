using BenchmarkDotNet.Attributes;
using NetGen.Kernels;

namespace NetGen.Bench;

/// <summary>Training step and inference of generated networks (allocations measured too: they must be 0).</summary>
[MemoryDiagnoser]
public class NetworkBenchmarks
{
    private readonly BenchMlp _mlp = new(1);
    private readonly BenchSpiral _spiral = new(1);
    private float[] _mlpX = null!, _mlpScores = null!, _spiralX = null!;
    private int[] _mlpY = null!, _spiralY = null!;

    [GlobalSetup]
    public void Setup()
    {
        _mlpX = Fill(64 * 784, 1);
        _mlpY = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        _mlpScores = new float[64 * 10];
        _spiralX = Fill(300 * 2, 2);
        _spiralY = Enumerable.Range(0, 300).Select(i => i / 100).ToArray();
    }

    internal static float[] Fill(int n, ulong seed)
    {
        var a = new float[n];
        ulong key = CounterRng.Key(seed, 50, 0, 0);
        for (int i = 0; i < n; i++)
        {
            a[i] = CounterRng.Uniform(key, (ulong)i);
        }

        return a;
    }

    /// <summary>MLP 784-256-128-10 training step at batch 64 (forward, loss, backward, Adam).</summary>
    [Benchmark]
    public float MlpTrainStepBatch64() => _mlp.TrainStep(_mlpX, _mlpY);

    /// <summary>MLP inference latency at batch 1.</summary>
    [Benchmark]
    public void MlpPredictBatch1() => _mlp.Predict(_mlpX.AsSpan(0, 784), _mlpScores.AsSpan(0, 10));

    /// <summary>MLP inference of 64 rows, the weights unchanged since the last call: the pre-packed Wᵀ are reused.</summary>
    [Benchmark]
    public void MlpPredictBatch64() => _mlp.Predict(_mlpX, _mlpScores);

    /// <summary>The same after a (no-op) write access to the weights: every forward GEMM repacks Wᵀ first, which is what
    /// each call cost before pre-packing. The difference to <see cref="MlpPredictBatch64"/> is the packing saved.</summary>
    [Benchmark]
    public void MlpPredictBatch64AfterWeightAccess()
    {
        _ = _mlp.Parameters; // hands out a writable view: the packed copies are marked stale
        _mlp.Predict(_mlpX, _mlpScores);
    }

    /// <summary>Spiral 2-100-3 full-batch (300) training step.</summary>
    [Benchmark]
    public float SpiralTrainStep() => _spiral.TrainStep(_spiralX, _spiralY);
}

/// <summary>The GEMM shapes of the performance issue (X·Wᵀ, as the forward pass calls it).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = null!, _b = null!, _c = null!;

    [Params("64x784x256", "64x256x128", "512x512x512")]
    public string Shape { get; set; } = "64x784x256";

    /// <summary>Direct (unpacked), Packed (one core) or PackedParallel (every core).</summary>
    [Params(GemmMode.Direct, GemmMode.Packed, GemmMode.PackedParallel)]
    public GemmMode Mode { get; set; } = GemmMode.Packed;

    private int _m, _n, _k;

    [GlobalSetup]
    public void Setup()
    {
        int[] dims = Shape.Split('x').Select(int.Parse).ToArray();
        (_m, _k, _n) = (dims[0], dims[1], dims[2]);
        _a = NetworkBenchmarks.Fill(_m * _k, 3);
        _b = NetworkBenchmarks.Fill(_n * _k, 4);
        _c = new float[_m * _n];
    }

    /// <summary>C[m,n] = A[m,k]·B[n,k]ᵀ (2·m·n·k FLOPs).</summary>
    [Benchmark]
    public void MatMulNT() => Gemm.MatMulNT<float>(_a, _b, _c, _m, _n, _k, accumulate: false, Mode);
}
