using System;
using System.Collections.Generic;
using NetGen.Kernels;

namespace NetGen.Cuda;

/// <summary>Activation codes of the fused GEMM epilogue (<c>ng_activate</c> in kernels.cu).</summary>
public enum CudaActivation
{
    /// <summary>y = x.</summary>
    Identity = 0,

    /// <summary>y = max(0, x).</summary>
    ReLU = 1,

    /// <summary>y = x &gt; 0 ? x : α·x (LeakyReLU, and PReLU with its slope).</summary>
    LeakyReLU = 2,

    /// <summary>y = 1 / (1 + e^(−x)).</summary>
    Sigmoid = 3,

    /// <summary>y = tanh x.</summary>
    Tanh = 4,

    /// <summary>y = x &gt; 0 ? x : α·(e^x − 1).</summary>
    Elu = 5,
}

/// <summary>
/// NetGen's CUDA kernels (src/Runtime/Cuda/kernels.cu), loaded from the embedded PTX, with one typed launch method per
/// kernel: the launch configuration and the argument order live here, once. Launches are asynchronous on
/// <see cref="Stream"/>; a copy back to the host (<see cref="DeviceView{T}.CopyTo"/>) waits for them.
/// </summary>
public sealed class CudaKernels : IDisposable
{
    /// <summary>Threads per block of the element-wise kernels.</summary>
    public const int Threads = 256;

    /// <summary>Threads of the one-block deterministic reductions (NG_REDUCE_THREADS).</summary>
    public const int ReduceThreads = 256;

    /// <summary>The GEMM tile (NG_TILE): blocks of Tile × Tile threads.</summary>
    public const int Tile = 16;

    /// <summary>Every kernel and its PTX parameter types in order (u64 = pointer or 64-bit integer, u32 = int, f32 = float,
    /// f64 = double): what the launches below pass. A test checks the embedded PTX against this table.</summary>
    public static IReadOnlyList<(string Name, string Parameters)> Signatures { get; } =
    [
        ("ng_rng_uniform", "u64 u32 u64"),
        ("ng_relu_forward", "u64 u64 u32"),
        ("ng_relu_backward", "u64 u64 u64 u32"),
        ("ng_leaky_relu_forward", "u64 u64 u32 f32"),
        ("ng_leaky_relu_backward", "u64 u64 u64 u32 f32"),
        ("ng_prelu_forward", "u64 u64 u32 u64"),
        ("ng_prelu_backward", "u64 u64 u64 u32 u64 u64"),
        ("ng_sigmoid_forward", "u64 u64 u32"),
        ("ng_sigmoid_backward", "u64 u64 u64 u32"),
        ("ng_tanh_forward", "u64 u64 u32"),
        ("ng_tanh_backward", "u64 u64 u64 u32"),
        ("ng_elu_forward", "u64 u64 u32 f32"),
        ("ng_elu_backward", "u64 u64 u64 u64 u32 f32"),
        ("ng_bias_activation", "u64 u64 u32 u32 u32 f32"),
        ("ng_multiply", "u64 u64 u64 u32"),
        ("ng_sgemm", "u32 u32 u32 u32 u32 u64 u32 u64 u32 u64 u32 f32 u64 u32 f32"),
        ("ng_column_sums", "u64 u64 u32 u32 u32"),
        ("ng_reduce_sum_f64", "u64 u32 u64"),
        ("ng_softmax_cross_entropy", "u64 u64 u64 u64 u32 u32"),
        ("ng_mse", "u64 u64 u64 u64 u32 f32"),
        ("ng_dropout_forward", "u64 u64 u64 u32 u64 f64 f32"),
        ("ng_sgd", "u64 u64 u32 f32"),
        ("ng_momentum", "u64 u64 u64 u32 f32 f32"),
        ("ng_nesterov", "u64 u64 u64 u32 f32 f32"),
        ("ng_adam", "u64 u64 u64 u64 u32 f32 f32 f32 f32 f32 f32 f32"),
        ("ng_adagrad", "u64 u64 u64 u32 f32 f32"),
        ("ng_rmsprop", "u64 u64 u64 u32 f32 f32 f32 f32"),
        ("ng_conv2d_forward", "u64 u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 f32"),
        ("ng_conv2d_weight_grad", "u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"),
        ("ng_conv2d_input_grad", "u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"),
        ("ng_channel_sums", "u64 u64 u32 u32 u32 u32"),
        ("ng_maxpool2d_forward", "u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"),
        ("ng_maxpool2d_backward", "u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"),
        ("ng_avgpool2d_forward", "u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"),
        ("ng_avgpool2d_backward", "u64 u64 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32"),
        ("ng_batchnorm_forward_training", "u64 u64 u64 u64 u64 u64 u64 u64 u32 u32 u32 f64 f64"),
        ("ng_batchnorm_forward_inference", "u64 u64 u64 u64 u64 u64 u32 u32 u32 f64"),
        ("ng_batchnorm_backward", "u64 u64 u64 u64 u64 u64 u64 u64 u32 u32 u32"),
        ("ng_layernorm_forward", "u64 u64 u64 u64 u64 u64 u32 u32 f64"),
        ("ng_layernorm_input_grad", "u64 u64 u64 u64 u64 u64 u32 u32"),
        ("ng_layernorm_param_grad", "u64 u64 u64 u64 u64 u64 u32 u32"),
        ("ng_mae", "u64 u64 u64 u64 u32 f32"),
        ("ng_huber", "u64 u64 u64 u64 u32 f32 f64"),
        ("ng_bce_with_logits", "u64 u64 u64 u64 u32 f32"),
        ("ng_binary_hinge", "u64 u64 u64 u64 u32 f32 f32"),
        ("ng_multiclass_hinge", "u64 u64 u64 u64 u32 u32 f32 f32 u32"),
        ("ng_scale", "u64 u32 f32"),
        ("ng_amsgrad", "u64 u64 u64 u64 u64 u32 f32 f32 f32 f32 f32 f32 f32"),
        ("ng_rmsprop_general", "u64 u64 u64 u64 u64 u32 f32 f32 f32 f32 f32"),
        ("ng_adadelta", "u64 u64 u64 u64 u32 f32 f32 f32 f32"),
        ("ng_add", "u64 u64 u64 u32"),
        ("ng_sum_squares_f64", "u64 u32 u64"),
        ("ng_sum_abs_f64", "u64 u32 u64"),
        ("ng_add_l2_gradient", "u64 u64 u32 f32"),
        ("ng_add_l1_gradient", "u64 u64 u32 f32"),
        ("ng_clip_by_value", "u64 u32 f32"),
        ("ng_clip_by_norm", "u64 u32 u64 f64"),
        ("ng_max_norm", "u64 u32 u32 f64"),
        ("ng_softmax_cross_entropy_soft", "u64 u64 u64 u64 u64 u32 u32 f64 f64 f64"),
        ("ng_channel_prelu_forward", "u64 u64 u64 u32 u32 u32"),
        ("ng_channel_prelu_backward", "u64 u64 u64 u64 u64 u32 u32 u32"),
        ("ng_maxout_forward", "u64 u64 u32 u32 u32"),
        ("ng_maxout_backward", "u64 u64 u64 u32 u32 u32"),
        ("ng_row_dropout_forward", "u64 u64 u64 u32 u32 u64 f64 f32"),
        ("ng_row_scale", "u64 u64 u64 u32 u32"),
        ("ng_scale_copy", "u64 u64 u32 f32"),
        ("ng_lrn_forward", "u64 u64 u32 u32 u32 u32 f32 f32 f32"),
        ("ng_lrn_backward", "u64 u64 u64 u32 u32 u32 u32 f32 f32 f32"),
        .. DropoutVariantSignatures,
        // fractional max pooling (kernels_fmp.cu)
        ("ng_fractional_maxpool2d_forward", "u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u64 u32"),
        ("ng_fractional_maxpool2d_backward", "u64 u64 u64 u32 u32 u32 u32 u32 u32 u32 u64 u32"),
        // hierarchical softmax (kernels_hsm.cu)
        ("ng_hsm_loss", "u64 u64 u64 u64 u64 u64 u64 u64 u32 u32 u32 u32 f32"),
        ("ng_hsm_node_gradients", "u64 u64 u64 u64 u64 u64 u32 u32 u32 u32"),
        ("ng_hsm_probabilities", "u64 u64 u64 u64 u64 u32 u32 u32"),
        ("ng_hsm_greedy", "u64 u64 u64 u64 u64 u32 u32 u32"),
    ];

    private readonly CudaModule _module;
    private readonly Dictionary<string, CudaFunction> _functions = [];

    /// <summary>Loads the kernels on <paramref name="device"/>.</summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">The stream the launches go to (null = the default stream).</param>
    public CudaKernels(CudaDevice device, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        _module = device.LoadKernels();
        foreach ((string name, _) in Signatures)
        {
            _functions[name] = _module.GetFunction(name);
        }
        Stream = stream;
    }

    /// <summary>The stream the launches go to (null = the default stream).</summary>
    public CudaStream? Stream { get; set; }

    /// <summary>out[i] = CounterRng.Uniform(key, i).</summary>
    /// <param name="output">n floats.</param>
    /// <param name="key">The key.</param>
    public void Uniform(DeviceView<float> output, ulong key) =>
        ElementWise("ng_rng_uniform", output.Length, output, output.Length, key);

    /// <summary>An element-wise activation forward: y = f(x) (ReLU, Sigmoid, Tanh: no α; LeakyReLU, ELU: α).</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="alpha">Slope (LeakyReLU) or α (ELU); ignored otherwise.</param>
    public void ActivationForward(CudaActivation activation, DeviceView<float> x, DeviceView<float> y, float alpha = 0)
    {
        int n = x.Length;
        switch (activation)
        {
            case CudaActivation.ReLU: ElementWise("ng_relu_forward", n, x, y, n); break;
            case CudaActivation.LeakyReLU: ElementWise("ng_leaky_relu_forward", n, x, y, n, alpha); break;
            case CudaActivation.Sigmoid: ElementWise("ng_sigmoid_forward", n, x, y, n); break;
            case CudaActivation.Tanh: ElementWise("ng_tanh_forward", n, x, y, n); break;
            case CudaActivation.Elu: ElementWise("ng_elu_forward", n, x, y, n, alpha); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>An element-wise activation backward. ReLU, Sigmoid, Tanh read the forward output <paramref name="y"/>;
    /// LeakyReLU reads the input <paramref name="x"/>; ELU reads both.</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Forward input.</param>
    /// <param name="y">Forward output.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="alpha">Slope (LeakyReLU) or α (ELU).</param>
    public void ActivationBackward(CudaActivation activation, DeviceView<float> dy, DeviceView<float> x, DeviceView<float> y, DeviceView<float> dx, float alpha = 0)
    {
        int n = dy.Length;
        switch (activation)
        {
            case CudaActivation.ReLU: ElementWise("ng_relu_backward", n, dy, y, dx, n); break;
            case CudaActivation.LeakyReLU: ElementWise("ng_leaky_relu_backward", n, dy, x, dx, n, alpha); break;
            case CudaActivation.Sigmoid: ElementWise("ng_sigmoid_backward", n, dy, y, dx, n); break;
            case CudaActivation.Tanh: ElementWise("ng_tanh_backward", n, dy, y, dx, n); break;
            case CudaActivation.Elu: ElementWise("ng_elu_backward", n, dy, x, y, dx, n, alpha); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>y = x &gt; 0 ? x : a·x with the learned slope a = <paramref name="a"/>[0].</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="a">The slope (one element).</param>
    public void PReLUForward(DeviceView<float> x, DeviceView<float> y, DeviceView<float> a) =>
        ElementWise("ng_prelu_forward", x.Length, x, y, x.Length, a);

    /// <summary>dx = x &gt; 0 ? dy : a·dy; da[0] += Σ dy·x·1(x ≤ 0) (one block, deterministic).</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Forward input.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="a">The slope (one element).</param>
    /// <param name="da">Gradient of the slope (one element, accumulated).</param>
    public void PReLUBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> dx, DeviceView<float> a, DeviceView<float> da) =>
        Function("ng_prelu_backward").Launch((1, 1), (ReduceThreads, 1), Stream, dy, x, dx, dy.Length, a, da);

    /// <summary>y[r, c] = act(y[r, c] + bias[c]).</summary>
    /// <param name="y">[rows, cols], in place.</param>
    /// <param name="bias">[cols], or null for none.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="activation">The activation.</param>
    /// <param name="alpha">Its α.</param>
    public void BiasActivation(DeviceView<float> y, DeviceView<float>? bias, int rows, int cols, CudaActivation activation, float alpha = 0) =>
        ElementWise("ng_bias_activation", rows * cols, y, bias?.Pointer ?? 0UL, rows, cols, (int)activation, alpha);

    /// <summary>out = a ⊙ b.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="output">Product.</param>
    public void Multiply(DeviceView<float> a, DeviceView<float> b, DeviceView<float> output) =>
        ElementWise("ng_multiply", a.Length, a, b, output, a.Length);

    /// <summary>C[M,N] = op(A)·op(B) (+ β·C) (+ bias[n]), then the activation; row-major with leading dimensions.</summary>
    /// <param name="transA">op(A) = Aᵀ.</param>
    /// <param name="transB">op(B) = Bᵀ.</param>
    /// <param name="m">M.</param>
    /// <param name="n">N.</param>
    /// <param name="k">K.</param>
    /// <param name="a">A.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="c">C.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="beta">β (0 = overwrite, C not read).</param>
    /// <param name="bias">[N] or null.</param>
    /// <param name="activation">The epilogue's activation.</param>
    /// <param name="alpha">Its α.</param>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, DeviceView<float> a, int lda, DeviceView<float> b, int ldb,
        DeviceView<float> c, int ldc, float beta = 0, DeviceView<float>? bias = null, CudaActivation activation = CudaActivation.Identity, float alpha = 0)
    {
        var grid = ((uint)((n + Tile - 1) / Tile), (uint)((m + Tile - 1) / Tile));
        if (grid.Item1 == 0 || grid.Item2 == 0)
        {
            return;
        }
        Function("ng_sgemm").Launch(grid, (Tile, Tile), Stream, transA ? 1 : 0, transB ? 1 : 0, m, n, k, a, lda, b, ldb, c, ldc, beta,
            bias?.Pointer ?? 0UL, (int)activation, alpha);
    }

    /// <summary>db[c] (+)= Σ_r dy[r, c].</summary>
    /// <param name="dy">[rows, cols].</param>
    /// <param name="db">[cols].</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="accumulate">Add to db (true) or overwrite it.</param>
    public void ColumnSums(DeviceView<float> dy, DeviceView<float> db, int rows, int cols, bool accumulate) =>
        ElementWise("ng_column_sums", cols, dy, db, rows, cols, accumulate ? 1 : 0);

    /// <summary>output[0] = Σ x (one block, deterministic).</summary>
    /// <param name="x">The values.</param>
    /// <param name="count">How many of them.</param>
    /// <param name="output">One double.</param>
    public void Sum(DeviceView<double> x, int count, DeviceView<double> output) =>
        Function("ng_reduce_sum_f64").Launch((1, 1), (ReduceThreads, 1), Stream, x, count, output);

    /// <summary>Softmax cross-entropy: loss[r] per row (double), dlogits = (softmax − onehot)/B.</summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="labels">[batch].</param>
    /// <param name="dlogits">[batch, classes] (may be <paramref name="logits"/>).</param>
    /// <param name="loss">[batch] doubles.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    public void SoftmaxCrossEntropy(DeviceView<float> logits, DeviceView<int> labels, DeviceView<float> dlogits, DeviceView<double> loss, int batch, int classes) =>
        ElementWise("ng_softmax_cross_entropy", batch, logits, labels, dlogits, loss, batch, classes);

    /// <summary>Mean squared error: dpred = (p − t)·(2/n); sq[i] = (p − t)² (double).</summary>
    /// <param name="predictions">n values.</param>
    /// <param name="targets">n values.</param>
    /// <param name="dpredictions">n values (overwritten).</param>
    /// <param name="squares">n doubles.</param>
    public void MeanSquaredError(DeviceView<float> predictions, DeviceView<float> targets, DeviceView<float> dpredictions, DeviceView<double> squares)
    {
        int n = predictions.Length;
        ElementWise("ng_mse", n, predictions, targets, dpredictions, squares, n, (float)(2.0 / n));
    }

    /// <summary>Dropout: mask[i] = Uniform(key, i) ≥ p ? 1/(1−p) : 0; y = x ⊙ mask (the CPU's masks for the same key).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="mask">The mask (overwritten).</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="key">CounterRng.Key(seed, DropoutStream, layer, step).</param>
    public void DropoutForward(DeviceView<float> x, DeviceView<float> y, DeviceView<float> mask, double p, ulong key)
    {
        float keep = p < 1.0 ? 1f / (float)(1.0 - p) : 0f;
        ElementWise("ng_dropout_forward", x.Length, x, y, mask, x.Length, key, p, keep);
    }

    /// <summary>p += (−lr)·g.</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="lr">Learning rate.</param>
    public void Sgd(DeviceView<float> p, DeviceView<float> g, float lr) => ElementWise("ng_sgd", p.Length, p, g, p.Length, -lr);

    /// <summary>v = μ·v + g; p += (−lr)·v (<paramref name="nesterov"/>: p += (−lr)·(g + μ·v)).</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="v">Velocity.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="mu">Momentum.</param>
    /// <param name="nesterov">Nesterov's variant.</param>
    public void Momentum(DeviceView<float> p, DeviceView<float> g, DeviceView<float> v, float lr, float mu, bool nesterov) =>
        ElementWise(nesterov ? "ng_nesterov" : "ng_momentum", p.Length, p, g, v, p.Length, -lr, mu);

    /// <summary>Adam step <paramref name="step"/> (1-based), coefficients computed in double as on the CPU.</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="m">First moment.</param>
    /// <param name="v">Second moment.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="eps">ε.</param>
    /// <param name="step">t ≥ 1.</param>
    public void Adam(DeviceView<float> p, DeviceView<float> g, DeviceView<float> m, DeviceView<float> v, float lr, float beta1, float beta2, float eps, long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        double b1 = beta1, b2 = beta2;
        float negStep = (float)(-(lr / (1.0 - Math.Pow(b1, step))));
        float bc2 = (float)Math.Sqrt(1.0 - Math.Pow(b2, step));
        ElementWise("ng_adam", p.Length, p, g, m, v, p.Length, beta1, beta2, (float)(1.0 - b1), (float)(1.0 - b2), negStep, bc2, eps);
    }

    /// <summary>AdaGrad: s += g²; p += (−lr)·g/(√s + ε).</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="sum">Sum of squares.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="eps">ε.</param>
    public void AdaGrad(DeviceView<float> p, DeviceView<float> g, DeviceView<float> sum, float lr, float eps) =>
        ElementWise("ng_adagrad", p.Length, p, g, sum, p.Length, -lr, eps);

    /// <summary>RMSProp: a = α·a + (1−α)·g²; p += (−lr)·g/(√a + ε).</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="squareAvg">Running average of squares.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">α.</param>
    /// <param name="eps">ε.</param>
    public void RmsProp(DeviceView<float> p, DeviceView<float> g, DeviceView<float> squareAvg, float lr, float alpha, float eps) =>
        ElementWise("ng_rmsprop", p.Length, p, g, squareAvg, p.Length, -lr, alpha, (float)(1.0 - (double)alpha), eps);

    /// <summary>Convolution forward, PyTorch's nn.Conv2d in NCHW with groups and dilation (implicit GEMM, no im2col
    /// buffer): y[b, o, ho, wo] = act(Σ_{c,u,v} W[o, c, u, v]·x[b, g·C/G + c, ho·Sh − Ph + u·Dh, wo·Sw − Pw + v·Dw] + bias[o]).</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C/G, Kh, Kw].</param>
    /// <param name="bias">Bias, [O], or null for none.</param>
    /// <param name="y">Output, [batch, O, Ho, Wo] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample (checked by its constructor).</param>
    /// <param name="activation">The epilogue's activation.</param>
    /// <param name="alpha">Its α.</param>
    public void Conv2DForward(DeviceView<float> x, DeviceView<float> w, DeviceView<float>? bias, DeviceView<float> y, int batch,
        in Conv2DGeneralGeometry g, CudaActivation activation = CudaActivation.Identity, float alpha = 0)
    {
        RequireConv(x, w, bias, y, batch, g);
        int og = g.OutChannels / g.Groups, plane = g.OutHeight * g.OutWidth;
        if (batch == 0 || plane == 0)
        {
            return;
        }
        Span<KernelArg> args = stackalloc KernelArg[22];
        args[0] = x;
        args[1] = w;
        args[2] = bias?.Pointer ?? 0UL;
        args[3] = y;
        ConvGeometry(args.Slice(4), batch, g);
        args[20] = (int)activation;
        args[21] = alpha;
        var grid = ((uint)(((long)batch * plane + Tile - 1) / Tile), (uint)(((og + Tile - 1) / Tile) * g.Groups));
        Function("ng_conv2d_forward").Launch(grid, (Tile, Tile), Stream, args);
    }

    /// <summary>Convolution forward with groups 1 and dilation 1 (the CPU's <see cref="Conv2D"/>).</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="w">Weight, [O, C, Kh, Kw].</param>
    /// <param name="bias">Bias, [O], or null for none.</param>
    /// <param name="y">Output, [batch, O, Ho, Wo] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="activation">The epilogue's activation.</param>
    /// <param name="alpha">Its α.</param>
    public void Conv2DForward(DeviceView<float> x, DeviceView<float> w, DeviceView<float>? bias, DeviceView<float> y, int batch,
        in Conv2DGeometry g, CudaActivation activation = CudaActivation.Identity, float alpha = 0) =>
        Conv2DForward(x, w, bias, y, batch, General(g), activation, alpha);

    /// <summary>Convolution weight gradient: dW[o, c, u, v] (+)= Σ_{b,ho,wo} dy[b, o, ho, wo]·x[b, g·C/G + c, ho·Sh − Ph + u·Dh,
    /// wo·Sw − Pw + v·Dw], samples in order (deterministic).</summary>
    /// <param name="dy">Gradient of the output, [batch, O, Ho, Wo].</param>
    /// <param name="x">Input saved by the forward, [batch, C, H, W].</param>
    /// <param name="dw">Gradient of the weight, [O, C/G, Kh, Kw].</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="accumulate">Add to dW (true) or overwrite it.</param>
    public void Conv2DWeightGradient(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> dw, int batch, in Conv2DGeneralGeometry g, bool accumulate = false)
    {
        RequireConv(x, dw, null, dy, batch, g);
        int og = g.OutChannels / g.Groups, k = g.WeightLength / g.OutChannels;
        Span<KernelArg> args = stackalloc KernelArg[20];
        args[0] = dy;
        args[1] = x;
        args[2] = dw;
        ConvGeometry(args.Slice(3), batch, g);
        args[19] = accumulate ? 1 : 0;
        var grid = ((uint)((k + Tile - 1) / Tile), (uint)(((og + Tile - 1) / Tile) * g.Groups));
        Function("ng_conv2d_weight_grad").Launch(grid, (Tile, Tile), Stream, args);
    }

    /// <inheritdoc cref="Conv2DWeightGradient(DeviceView{float}, DeviceView{float}, DeviceView{float}, int, in Conv2DGeneralGeometry, bool)"/>
    public void Conv2DWeightGradient(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> dw, int batch, in Conv2DGeometry g, bool accumulate = false) =>
        Conv2DWeightGradient(dy, x, dw, batch, General(g), accumulate);

    /// <summary>Convolution input gradient: dx = col2im(W_gᵀ·dy_g) per group, computed as a gather (one thread per input
    /// element, no atomics); overwritten.</summary>
    /// <param name="dy">Gradient of the output, [batch, O, Ho, Wo].</param>
    /// <param name="w">Weight, [O, C/G, Kh, Kw].</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    public void Conv2DInputGradient(DeviceView<float> dy, DeviceView<float> w, DeviceView<float> dx, int batch, in Conv2DGeneralGeometry g)
    {
        RequireConv(dx, w, null, dy, batch, g);
        Span<KernelArg> args = stackalloc KernelArg[19];
        args[0] = dy;
        args[1] = w;
        args[2] = dx;
        ConvGeometry(args.Slice(3), batch, g);
        ElementWise("ng_conv2d_input_grad", batch * g.InputLength, args);
    }

    /// <inheritdoc cref="Conv2DInputGradient(DeviceView{float}, DeviceView{float}, DeviceView{float}, int, in Conv2DGeneralGeometry)"/>
    public void Conv2DInputGradient(DeviceView<float> dy, DeviceView<float> w, DeviceView<float> dx, int batch, in Conv2DGeometry g) =>
        Conv2DInputGradient(dy, w, dx, batch, General(g));

    /// <summary>db[c] (+)= Σ_b Σ_p dy[b, c, p]: per-channel sums of an NCHW tensor (a convolution's bias gradient), one
    /// block per channel with a fixed tree (deterministic).</summary>
    /// <param name="dy">[batch, channels, plane].</param>
    /// <param name="db">[channels].</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">Elements per channel and sample (H·W).</param>
    /// <param name="accumulate">Add to db (true) or overwrite it.</param>
    public void ChannelSums(DeviceView<float> dy, DeviceView<float> db, int batch, int channels, int plane, bool accumulate)
    {
        RequireLength(dy, (long)batch * channels * plane, nameof(dy));
        RequireLength(db, channels, nameof(db));
        if (channels == 0)
        {
            return;
        }
        Function("ng_channel_sums").Launch(((uint)channels, 1), (ReduceThreads, 1), Stream, dy, db, batch, channels, plane, accumulate ? 1 : 0);
    }

    /// <summary>Max pooling forward: y = the window's maximum (NaN wins), argmax = its position h·W + w in the input plane
    /// (the CPU's <see cref="MaxPool2D"/>, bit for bit).</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">Winner positions, [batch, C, Ho, Wo], or null (inference).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    public void MaxPool2DForward(DeviceView<float> x, DeviceView<float> y, DeviceView<int>? argmax, int batch, in Pool2DGeometry g)
    {
        RequirePool(x, y, batch, g);
        if (argmax is not null)
        {
            RequireLength(argmax, (long)batch * g.OutputLength, nameof(argmax));
        }
        Span<KernelArg> args = stackalloc KernelArg[15];
        args[0] = x;
        args[1] = y;
        args[2] = argmax?.Pointer ?? 0UL;
        PoolGeometry(args.Slice(3), batch, g);
        ElementWise("ng_maxpool2d_forward", batch * g.OutputLength, args);
    }

    /// <summary>Max pooling backward: dx[argmax] = Σ dy over the outputs that chose it (overwritten; a gather, bit for bit
    /// the CPU's scatter-add).</summary>
    /// <param name="dy">Gradient of the output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">The forward's winner positions.</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    public void MaxPool2DBackward(DeviceView<float> dy, DeviceView<int> argmax, DeviceView<float> dx, int batch, in Pool2DGeometry g)
    {
        RequirePool(dx, dy, batch, g);
        RequireLength(argmax, (long)batch * g.OutputLength, nameof(argmax));
        Span<KernelArg> args = stackalloc KernelArg[15];
        args[0] = dy;
        args[1] = argmax;
        args[2] = dx;
        PoolGeometry(args.Slice(3), batch, g);
        ElementWise("ng_maxpool2d_backward", batch * g.InputLength, args);
    }

    /// <summary>Average pooling forward: y = Σ window / divisor, the divisor Kh·Kw (<paramref name="countIncludePad"/>,
    /// PyTorch's default and the CPU's <see cref="AvgPool2D"/>) or the number of real elements in the window.</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C, Ho, Wo].</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="countIncludePad">Whether the zero padding counts in the divisor.</param>
    public void AvgPool2DForward(DeviceView<float> x, DeviceView<float> y, int batch, in Pool2DGeometry g, bool countIncludePad = true)
    {
        RequirePool(x, y, batch, g);
        Span<KernelArg> args = stackalloc KernelArg[15];
        args[0] = x;
        args[1] = y;
        PoolGeometry(args.Slice(2), batch, g);
        args[14] = countIncludePad ? 1 : 0;
        ElementWise("ng_avgpool2d_forward", batch * g.OutputLength, args);
    }

    /// <summary>Average pooling backward: dx = Σ dy/divisor over the windows that hold each input (overwritten).</summary>
    /// <param name="dy">Gradient of the output, [batch, C, Ho, Wo].</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten; must not overlap dy).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="countIncludePad">As the forward.</param>
    public void AvgPool2DBackward(DeviceView<float> dy, DeviceView<float> dx, int batch, in Pool2DGeometry g, bool countIncludePad = true)
    {
        RequirePool(dx, dy, batch, g);
        Span<KernelArg> args = stackalloc KernelArg[15];
        args[0] = dy;
        args[1] = dx;
        PoolGeometry(args.Slice(2), batch, g);
        args[14] = countIncludePad ? 1 : 0;
        ElementWise("ng_avgpool2d_backward", batch * g.InputLength, args);
    }

    /// <summary>Global average pooling (nn.AdaptiveAvgPool2d(1)): y[b, c] = Σ_{h,w} x[b, c, h, w] / (H·W), row-major
    /// (average pooling with the window the size of the plane, as on the CPU).</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C].</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    public void GlobalAvgPoolForward(DeviceView<float> x, DeviceView<float> y, int batch, int channels, int height, int width) =>
        AvgPool2DForward(x, y, batch, new Pool2DGeometry(channels, height, width, height, width, 1, 1, 0, 0));

    /// <summary>Global average pooling backward: dx[b, c, h, w] = dy[b, c] / (H·W).</summary>
    /// <param name="dy">Gradient of the output, [batch, C].</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    public void GlobalAvgPoolBackward(DeviceView<float> dy, DeviceView<float> dx, int batch, int channels, int height, int width) =>
        AvgPool2DBackward(dy, dx, batch, new Pool2DGeometry(channels, height, width, height, width, 1, 1, 0, 0));

    /// <summary>Batch norm, training (nn.BatchNorm1d/2d over x viewed as [B, C, S]): per channel μ and the biased variance
    /// over n = B·S ≥ 2 values (double, one block per channel, deterministic); y = (x − μ)·(γ/√(σ² + ε)) + β; the caches
    /// μ and 1/√(σ² + ε); running_mean and running_var (unbiased) moved by <paramref name="momentum"/>.</summary>
    /// <param name="x">Input, [batch, channels, spatial].</param>
    /// <param name="gamma">γ, [channels], or null (affine=False, with <paramref name="beta"/> null).</param>
    /// <param name="beta">β, [channels], or null.</param>
    /// <param name="y">Output (must not be <paramref name="x"/>: the backward needs it).</param>
    /// <param name="mean">Cache μ, [channels] (overwritten).</param>
    /// <param name="invStd">Cache 1/√(σ² + ε), [channels] (overwritten).</param>
    /// <param name="runningMean">[channels], updated.</param>
    /// <param name="runningVar">[channels], updated.</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S (H·W; 1 for BatchNorm1d).</param>
    /// <param name="momentum">PyTorch's momentum (0.1).</param>
    /// <param name="epsilon">ε (1e-5).</param>
    public void BatchNormForwardTraining(DeviceView<float> x, DeviceView<float>? gamma, DeviceView<float>? beta, DeviceView<float> y,
        DeviceView<float> mean, DeviceView<float> invStd, DeviceView<float> runningMean, DeviceView<float> runningVar,
        int batch, int channels, int spatial, float momentum, float epsilon)
    {
        RequireNorm(x, y, gamma, beta, batch, channels, spatial, "channels", nameof(gamma), nameof(beta));
        if ((long)batch * spatial < 2)
        {
            throw new ArgumentException($"Batch norm in training needs more than 1 value per channel; B·S is {(long)batch * spatial}.", nameof(batch));
        }
        RequireLength(mean, channels, nameof(mean));
        RequireLength(invStd, channels, nameof(invStd));
        RequireLength(runningMean, channels, nameof(runningMean));
        RequireLength(runningVar, channels, nameof(runningVar));
        Function("ng_batchnorm_forward_training").Launch(((uint)channels, 1), (ReduceThreads, 1), Stream, x, gamma?.Pointer ?? 0UL,
            beta?.Pointer ?? 0UL, y, mean, invStd, runningMean, runningVar, batch, channels, spatial, (double)momentum, (double)epsilon);
    }

    /// <summary>Batch norm, evaluation: y = (x − running_mean)·(γ/√(running_var + ε)) + β (y may be x).</summary>
    /// <param name="x">Input, [batch, channels, spatial].</param>
    /// <param name="gamma">γ, or null (affine=False).</param>
    /// <param name="beta">β, or null.</param>
    /// <param name="runningMean">[channels].</param>
    /// <param name="runningVar">[channels].</param>
    /// <param name="y">Output.</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="epsilon">ε.</param>
    public void BatchNormForwardInference(DeviceView<float> x, DeviceView<float>? gamma, DeviceView<float>? beta, DeviceView<float> runningMean,
        DeviceView<float> runningVar, DeviceView<float> y, int batch, int channels, int spatial, float epsilon)
    {
        RequireNorm(x, y, gamma, beta, batch, channels, spatial, "channels", nameof(gamma), nameof(beta));
        RequireLength(runningMean, channels, nameof(runningMean));
        RequireLength(runningVar, channels, nameof(runningVar));
        Function("ng_batchnorm_forward_inference").Launch(((uint)channels, 1), (ReduceThreads, 1), Stream, x, gamma?.Pointer ?? 0UL,
            beta?.Pointer ?? 0UL, runningMean, runningVar, y, batch, channels, spatial, (double)epsilon);
    }

    /// <summary>Batch norm backward (PyTorch's formula): dβ = Σdy, dγ = Σdy·x̂, dx = (γ·invStd)·(dy − Σdy/n − x̂·Σdy·x̂/n),
    /// the sums in double per channel (one block each, deterministic).</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Input of the training forward.</param>
    /// <param name="gamma">γ, or null (affine=False).</param>
    /// <param name="mean">The forward's cache μ.</param>
    /// <param name="invStd">The forward's cache 1/√(σ² + ε).</param>
    /// <param name="dx">Gradient of the input (overwritten; may be dy or x).</param>
    /// <param name="dgamma">∂L/∂γ (overwritten), or null.</param>
    /// <param name="dbeta">∂L/∂β (overwritten), or null.</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    public void BatchNormBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float>? gamma, DeviceView<float> mean, DeviceView<float> invStd,
        DeviceView<float> dx, DeviceView<float>? dgamma, DeviceView<float>? dbeta, int batch, int channels, int spatial)
    {
        RequireNorm(dy, dx, gamma, dgamma, batch, channels, spatial, "channels", nameof(gamma), nameof(dgamma));
        RequireLength(x, (long)batch * channels * spatial, nameof(x));
        RequireLength(mean, channels, nameof(mean));
        RequireLength(invStd, channels, nameof(invStd));
        if (dbeta is not null)
        {
            RequireLength(dbeta, channels, nameof(dbeta));
        }
        Function("ng_batchnorm_backward").Launch(((uint)channels, 1), (ReduceThreads, 1), Stream, dy, x, gamma?.Pointer ?? 0UL, mean, invStd, dx,
            dgamma?.Pointer ?? 0UL, dbeta?.Pointer ?? 0UL, batch, channels, spatial);
    }

    /// <summary>Layer norm over the last <paramref name="features"/> values of each row: y = ((x − μ)·invStd)·γ + β, the
    /// statistics in double (one block per row, deterministic); caches μ and invStd per row.</summary>
    /// <param name="x">Input, [batch, features].</param>
    /// <param name="gamma">γ, [features], or null.</param>
    /// <param name="beta">β, [features], or null.</param>
    /// <param name="y">Output.</param>
    /// <param name="mean">Cache μ, [batch], or null (with <paramref name="invStd"/>: not stored).</param>
    /// <param name="invStd">Cache 1/√(σ² + ε), [batch], or null.</param>
    /// <param name="batch">B.</param>
    /// <param name="features">n.</param>
    /// <param name="epsilon">ε.</param>
    public void LayerNormForward(DeviceView<float> x, DeviceView<float>? gamma, DeviceView<float>? beta, DeviceView<float> y,
        DeviceView<float>? mean, DeviceView<float>? invStd, int batch, int features, float epsilon)
    {
        RequireNorm(x, y, gamma, beta, batch, features, 1, "features", nameof(gamma), nameof(beta));
        if ((mean is null) != (invStd is null))
        {
            throw new ArgumentException("'mean' and 'invStd' are both given or both null.", nameof(invStd));
        }
        if (mean is not null)
        {
            RequireLength(mean, batch, nameof(mean));
            RequireLength(invStd!, batch, nameof(invStd));
        }
        if (batch == 0)
        {
            return;
        }
        Function("ng_layernorm_forward").Launch(((uint)batch, 1), (ReduceThreads, 1), Stream, x, gamma?.Pointer ?? 0UL, beta?.Pointer ?? 0UL, y,
            mean?.Pointer ?? 0UL, invStd?.Pointer ?? 0UL, batch, features, (double)epsilon);
    }

    /// <summary>Layer norm backward: dx = invStd·(g − Σg/n − x̂·Σg·x̂/n) per row with g = dy·γ (one block per row), then
    /// dγ = Σ_B dy·x̂ and dβ = Σ_B dy (one thread per feature, rows in order: the CPU's bits).</summary>
    /// <param name="dy">Gradient of the output, [batch, features].</param>
    /// <param name="x">Input of the forward.</param>
    /// <param name="gamma">γ, or null.</param>
    /// <param name="mean">The forward's cache μ, [batch].</param>
    /// <param name="invStd">The forward's cache, [batch].</param>
    /// <param name="dx">Gradient of the input (overwritten; may be dy or x only when no parameter gradient is asked for).</param>
    /// <param name="dgamma">∂L/∂γ, [features] (overwritten), or null.</param>
    /// <param name="dbeta">∂L/∂β, [features] (overwritten), or null.</param>
    /// <param name="batch">B.</param>
    /// <param name="features">n.</param>
    public void LayerNormBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float>? gamma, DeviceView<float> mean, DeviceView<float> invStd,
        DeviceView<float> dx, DeviceView<float>? dgamma, DeviceView<float>? dbeta, int batch, int features)
    {
        RequireNorm(dy, dx, gamma, dgamma, batch, features, 1, "features", nameof(gamma), nameof(dgamma));
        RequireLength(x, (long)batch * features, nameof(x));
        RequireLength(mean, batch, nameof(mean));
        RequireLength(invStd, batch, nameof(invStd));
        if (dbeta is not null)
        {
            RequireLength(dbeta, features, nameof(dbeta));
        }
        if (dgamma is not null || dbeta is not null)
        {
            // First: it reads dy and x, which the input gradient may overwrite.
            ElementWise("ng_layernorm_param_grad", features, dy, x, mean, invStd, dgamma?.Pointer ?? 0UL, dbeta?.Pointer ?? 0UL, batch, features);
        }
        if (batch > 0)
        {
            Function("ng_layernorm_input_grad").Launch(((uint)batch, 1), (ReduceThreads, 1), Stream, dy, x, gamma?.Pointer ?? 0UL, mean, invStd, dx, batch, features);
        }
    }

    /// <summary>Mean absolute error over n = B·O elements: terms[i] = |p − t| (double; Σ terms / O is the CPU's Σ_i L_i);
    /// dpred = sign(p − t)/n (0 where p = t).</summary>
    /// <param name="predictions">n values.</param>
    /// <param name="targets">n values.</param>
    /// <param name="dpredictions">n values (overwritten).</param>
    /// <param name="terms">n doubles (overwritten), summed by <see cref="Sum"/>.</param>
    public void MeanAbsoluteError(DeviceView<float> predictions, DeviceView<float> targets, DeviceView<float> dpredictions, DeviceView<double> terms)
    {
        int n = predictions.Length;
        ElementWise("ng_mae", n, predictions, targets, dpredictions, terms, n, (float)(1.0 / n));
    }

    /// <summary>Huber loss (δ) over n = B·O elements: terms[i] = ½e² for |e| ≤ δ, else δ(|e| − ½δ) (double);
    /// dpred = clamp(e, −δ, δ)/n.</summary>
    /// <param name="predictions">n values.</param>
    /// <param name="targets">n values.</param>
    /// <param name="dpredictions">n values (overwritten).</param>
    /// <param name="terms">n doubles (overwritten).</param>
    /// <param name="delta">δ &gt; 0.</param>
    public void Huber(DeviceView<float> predictions, DeviceView<float> targets, DeviceView<float> dpredictions, DeviceView<double> terms, double delta)
    {
        if (!(delta > 0) || double.IsInfinity(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber δ must be finite and > 0.");
        }
        int n = predictions.Length;
        ElementWise("ng_huber", n, predictions, targets, dpredictions, terms, n, (float)(1.0 / n), delta);
    }

    /// <summary>Binary cross-entropy with logits over n = B·O elements: terms[i] = max(f, 0) − f·t + ln(1 + e^(−|f|))
    /// (double); dlogits = (σ(f) − t)/n (may be logits).</summary>
    /// <param name="logits">n values.</param>
    /// <param name="targets">n probabilities.</param>
    /// <param name="dlogits">n values (overwritten).</param>
    /// <param name="terms">n doubles (overwritten).</param>
    public void BinaryCrossEntropyWithLogits(DeviceView<float> logits, DeviceView<float> targets, DeviceView<float> dlogits, DeviceView<double> terms)
    {
        int n = logits.Length;
        ElementWise("ng_bce_with_logits", n, logits, targets, dlogits, terms, n, (float)(1.0 / n));
    }

    /// <summary>Binary hinge (margin Δ), targets in {0, 1}: y = 2t − 1; terms[i] = max(0, Δ − y·f) (double; their sum
    /// is the CPU's Σ_i L_i); dlogits = −y/B where the margin is violated, else 0.</summary>
    /// <param name="logits">B·O values.</param>
    /// <param name="targets">B·O values in {0, 1}.</param>
    /// <param name="dlogits">B·O values (overwritten; may be logits).</param>
    /// <param name="terms">B·O doubles (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="margin">Δ &gt; 0.</param>
    public void BinaryHinge(DeviceView<float> logits, DeviceView<float> targets, DeviceView<float> dlogits, DeviceView<double> terms, int batch, double margin)
    {
        RequireMargin(margin);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ElementWise("ng_binary_hinge", logits.Length, logits, targets, dlogits, terms, logits.Length, 1f / batch, (float)margin);
    }

    /// <summary>Multiclass (Weston–Watkins) hinge, one thread per row: loss[r] = Σ_{j≠y} max(0, f_j − f_y + Δ) (squared:
    /// its square), in double; dlogits as the CPU's <see cref="Losses.MulticlassHinge{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, int, double)"/>
    /// and <see cref="Losses.MulticlassSquaredHinge{T}"/> (may be logits). Labels are not validated here.</summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="labels">[batch].</param>
    /// <param name="dlogits">[batch, classes] (overwritten).</param>
    /// <param name="loss">[batch] doubles.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="margin">Δ &gt; 0.</param>
    /// <param name="squared">The squared hinge (L2-SVM).</param>
    public void MulticlassHinge(DeviceView<float> logits, DeviceView<int> labels, DeviceView<float> dlogits, DeviceView<double> loss, int batch, int classes, double margin, bool squared)
    {
        RequireMargin(margin);
        if (batch == 0)
        {
            return;
        }
        ElementWise("ng_multiclass_hinge", batch, logits, labels, dlogits, loss, batch, classes, 1f / batch, (float)margin, squared ? 1 : 0);
    }

    /// <summary>AdamW's decoupled weight decay: p = p·(1 − lr·λ), the factor computed in double and rounded once (call it
    /// before <see cref="Adam"/> or <see cref="AmsGrad"/>, as PyTorch's AdamW).</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="lambda">λ, the decay.</param>
    public void DecoupledWeightDecay(DeviceView<float> p, double lr, double lambda) =>
        ElementWise("ng_scale", p.Length, p, p.Length, (float)(1.0 - (lr * lambda)));

    /// <summary>p = p·factor (ng_scale): a gradient clipped to a global norm.</summary>
    /// <param name="p">The values, in place.</param>
    /// <param name="factor">The factor.</param>
    public void Scale(DeviceView<float> p, float factor) =>
        ElementWise("ng_scale", p.Length, p, p.Length, factor);

    /// <summary>Adam with amsgrad: Adam's moments, v̂ = max(v̂, v), p += (−lr/(1−β1^t))·m / (√v̂/√(1−β2^t) + ε).</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="m">First moment.</param>
    /// <param name="v">Second moment.</param>
    /// <param name="vMax">Running maximum of the second moment.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="eps">ε.</param>
    /// <param name="step">t ≥ 1.</param>
    public void AmsGrad(DeviceView<float> p, DeviceView<float> g, DeviceView<float> m, DeviceView<float> v, DeviceView<float> vMax, float lr, float beta1, float beta2, float eps, long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        double b1 = beta1, b2 = beta2;
        float negStep = (float)(-(lr / (1.0 - Math.Pow(b1, step))));
        float bc2 = (float)Math.Sqrt(1.0 - Math.Pow(b2, step));
        ElementWise("ng_amsgrad", p.Length, p, g, m, v, vMax, p.Length, beta1, beta2, (float)(1.0 - b1), (float)(1.0 - b2), negStep, bc2, eps);
    }

    /// <summary>RMSProp with momentum and/or centered (PyTorch's RMSprop): a = α·a + (1−α)·g²; centered: ḡ = α·ḡ + (1−α)·g,
    /// a' = a − ḡ²; d = √a' + ε; momentum: b = μ·b + g/d, p += (−lr)·b; else p += (−lr)·g/d.</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="squareAvg">Running average of squares.</param>
    /// <param name="momentumBuffer">b, or null for momentum 0.</param>
    /// <param name="gradAvg">ḡ, or null when not centered.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">α.</param>
    /// <param name="eps">ε.</param>
    /// <param name="momentum">μ (0 without a buffer).</param>
    public void RmsProp(DeviceView<float> p, DeviceView<float> g, DeviceView<float> squareAvg, DeviceView<float>? momentumBuffer, DeviceView<float>? gradAvg,
        float lr, float alpha, float eps, float momentum)
    {
        if (momentumBuffer is null && momentum != 0)
        {
            throw new ArgumentException($"RMSProp with momentum {momentum} needs a momentum buffer; it is null.", nameof(momentumBuffer));
        }
        ElementWise("ng_rmsprop_general", p.Length, p, g, squareAvg, momentumBuffer?.Pointer ?? 0UL, gradAvg?.Pointer ?? 0UL, p.Length, -lr, alpha,
            (float)(1.0 - (double)alpha), eps, momentum);
    }

    /// <summary>AdaDelta: s = ρ·s + (1−ρ)·g²; d = √(u + ε)/√(s + ε)·g; u = ρ·u + (1−ρ)·d²; p += (−lr)·d.</summary>
    /// <param name="p">Parameters.</param>
    /// <param name="g">Gradient.</param>
    /// <param name="squareAvg">s.</param>
    /// <param name="accDelta">u.</param>
    /// <param name="lr">Learning rate (1 in Zeiler's method).</param>
    /// <param name="rho">ρ.</param>
    /// <param name="eps">ε.</param>
    public void AdaDelta(DeviceView<float> p, DeviceView<float> g, DeviceView<float> squareAvg, DeviceView<float> accDelta, float lr, float rho, float eps) =>
        ElementWise("ng_adadelta", p.Length, p, g, squareAvg, accDelta, p.Length, -lr, rho, (float)(1.0 - (double)rho), eps);

    /// <summary>out = a + b (a residual connection: branch plus shortcut).</summary>
    /// <param name="a">First term.</param>
    /// <param name="b">Second term.</param>
    /// <param name="output">Sum (may be a or b).</param>
    public void Add(DeviceView<float> a, DeviceView<float> b, DeviceView<float> output) =>
        ElementWise("ng_add", a.Length, a, b, output, a.Length);

    /// <summary>sum += contribution: the gradient of a tensor read by two consumers (a residual's shortcut).</summary>
    /// <param name="sum">The gradient so far, in place.</param>
    /// <param name="contribution">The other consumer's gradient.</param>
    public void Accumulate(DeviceView<float> sum, DeviceView<float> contribution) =>
        ElementWise("ng_add", sum.Length, sum, contribution, sum, sum.Length);

    /// <summary>output[0] = Σ x² in double (one block, deterministic): the L2 penalty's ‖w‖², a global gradient norm's square.</summary>
    /// <param name="x">The values.</param>
    /// <param name="output">One double.</param>
    public void SumOfSquares(DeviceView<float> x, DeviceView<double> output) =>
        Function("ng_sum_squares_f64").Launch((1, 1), (ReduceThreads, 1), Stream, x, x.Length, output);

    /// <summary>output[0] = Σ |x| in double (one block, deterministic): the L1 penalty's ‖w‖₁.</summary>
    /// <param name="x">The values.</param>
    /// <param name="output">One double.</param>
    public void SumOfAbsolutes(DeviceView<float> x, DeviceView<double> output) =>
        Function("ng_sum_abs_f64").Launch((1, 1), (ReduceThreads, 1), Stream, x, x.Length, output);

    /// <summary>dw = w·λ + dw: the L2 (weight-decay) gradient.</summary>
    /// <param name="w">Weights.</param>
    /// <param name="dw">Their gradient, added to.</param>
    /// <param name="lambda">λ.</param>
    public void AddL2Gradient(DeviceView<float> w, DeviceView<float> dw, float lambda) =>
        ElementWise("ng_add_l2_gradient", w.Length, w, dw, w.Length, lambda);

    /// <summary>dw += λ·sign(w), sign(0) = 0: the L1 gradient.</summary>
    /// <param name="w">Weights.</param>
    /// <param name="dw">Their gradient, added to.</param>
    /// <param name="lambda">λ₁.</param>
    public void AddL1Gradient(DeviceView<float> w, DeviceView<float> dw, float lambda) =>
        ElementWise("ng_add_l1_gradient", w.Length, w, dw, w.Length, lambda);

    /// <summary>g = clamp(g, −c, c) (PyTorch's clip_grad_value_).</summary>
    /// <param name="gradients">The gradient arena, in place.</param>
    /// <param name="clipValue">c &gt; 0.</param>
    public void ClipByValue(DeviceView<float> gradients, double clipValue)
    {
        if (!(clipValue > 0) || double.IsInfinity(clipValue))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "The clip value must be a finite value > 0.");
        }
        ElementWise("ng_clip_by_value", gradients.Length, gradients, gradients.Length, (float)clipValue);
    }

    /// <summary>PyTorch's clip_grad_norm_ on the device: sumSquares[0] = ‖g‖² (double), then g = g·(max/(‖g‖ + 1e-6)) when
    /// that factor is below 1. No copy to the host; the norm before clipping is √sumSquares[0].</summary>
    /// <param name="gradients">The gradient arena, in place.</param>
    /// <param name="maxNorm">The largest norm kept.</param>
    /// <param name="sumSquares">One double of scratch (receives ‖g‖²).</param>
    public void ClipByGlobalNorm(DeviceView<float> gradients, double maxNorm, DeviceView<double> sumSquares)
    {
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be a finite value > 0.");
        }
        SumOfSquares(gradients, sumSquares);
        ElementWise("ng_clip_by_norm", gradients.Length, gradients, gradients.Length, sumSquares, maxNorm);
    }

    /// <summary>The scaling half of clip_grad_norm_ for one tensor of several (ng_clip_by_norm): g = g·(max/(‖g‖ + 1e-6)) when
    /// that factor is below 1, ‖g‖² being <paramref name="sumSquares"/>[0], the global sum over every gradient tensor summed on
    /// the device before. No copy to the host: it may run inside a CUDA graph.</summary>
    /// <param name="gradients">One gradient tensor, in place.</param>
    /// <param name="maxNorm">The largest norm kept.</param>
    /// <param name="sumSquares">‖g‖² over every gradient tensor (one double).</param>
    public void ScaleToNorm(DeviceView<float> gradients, double maxNorm, DeviceView<double> sumSquares)
    {
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be a finite value > 0.");
        }
        ElementWise("ng_clip_by_norm", gradients.Length, gradients, gradients.Length, sumSquares, maxNorm);
    }

    /// <summary>The max-norm constraint (torch.renorm(w, 2, 0, c)): each row w_u of w [units, fanIn] with ‖w_u‖₂ &gt; c is
    /// scaled by c/(‖w_u‖₂ + 1e-7), the norm in double (one block per row).</summary>
    /// <param name="w">Weights, in place.</param>
    /// <param name="units">Rows.</param>
    /// <param name="maxNorm">c &gt; 0.</param>
    public void MaxNorm(DeviceView<float> w, int units, double maxNorm)
    {
        if (units <= 0 || w.Length % units != 0)
        {
            throw new ArgumentException($"{w.Length} weights do not split into {units} rows.", nameof(units));
        }
        if (!(maxNorm > 0) || double.IsInfinity(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The max-norm c must be finite and > 0.");
        }
        Function("ng_max_norm").Launch(((uint)units, 1), (ReduceThreads, 1), Stream, w, units, w.Length / units, maxNorm);
    }

    /// <summary>Softmax cross-entropy with label smoothing ε: q = (1 − ε)·onehot(y) + ε/C; loss[r] (double) and
    /// dlogits = (softmax − q)/B. ε = 0 is <see cref="SoftmaxCrossEntropy(DeviceView{float}, DeviceView{int}, DeviceView{float}, DeviceView{double}, int, int)"/>.</summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="labels">[batch].</param>
    /// <param name="dlogits">[batch, classes] (may be logits).</param>
    /// <param name="loss">[batch] doubles.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="labelSmoothing">ε in [0, 1).</param>
    public void SoftmaxCrossEntropy(DeviceView<float> logits, DeviceView<int> labels, DeviceView<float> dlogits, DeviceView<double> loss, int batch, int classes, double labelSmoothing)
    {
        RequireLabelSmoothing(labelSmoothing);
        if (labelSmoothing == 0)
        {
            SoftmaxCrossEntropy(logits, labels, dlogits, loss, batch, classes);
            return;
        }
        SoftTargets(logits, labels.Pointer, 0UL, dlogits, loss, batch, classes, labelSmoothing);
    }

    /// <summary>Softmax cross-entropy against probability rows t (used as given, not renormalised, as PyTorch), smoothed
    /// by ε: q = (1 − ε)·t + ε/C; loss[r] = s·lse − Σq·f with s = Σq (double); dlogits = (s·softmax − q)/B.</summary>
    /// <param name="logits">[batch, classes].</param>
    /// <param name="targetProbabilities">[batch, classes].</param>
    /// <param name="dlogits">[batch, classes] (may be logits).</param>
    /// <param name="loss">[batch] doubles.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C.</param>
    /// <param name="labelSmoothing">ε in [0, 1).</param>
    public void SoftmaxCrossEntropy(DeviceView<float> logits, DeviceView<float> targetProbabilities, DeviceView<float> dlogits, DeviceView<double> loss, int batch, int classes, double labelSmoothing = 0)
    {
        RequireLabelSmoothing(labelSmoothing);
        SoftTargets(logits, 0UL, targetProbabilities.Pointer, dlogits, loss, batch, classes, labelSmoothing);
    }

    /// <summary>PReLU with one slope per channel (nn.PReLU(C)) over x [rows, C, inner]: y = x &gt; 0 ? x : a[c]·x.</summary>
    /// <param name="x">Input.</param>
    /// <param name="a">Slopes, [C].</param>
    /// <param name="y">Output.</param>
    /// <param name="channels">C.</param>
    /// <param name="inner">Values per channel and row (H·W; 1 for vectors).</param>
    public void ChannelPReLUForward(DeviceView<float> x, DeviceView<float> a, DeviceView<float> y, int channels, int inner)
    {
        RequireRows(x.Length, channels, inner);
        ElementWise("ng_channel_prelu_forward", x.Length, x, a, y, x.Length, channels, inner);
    }

    /// <summary>Channel PReLU backward: dx = x &gt; 0 ? dy : a[c]·dy; da[c] = Σ dy·x over x ≤ 0 (overwritten; one block per
    /// channel, deterministic).</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Forward input.</param>
    /// <param name="a">Slopes, [C].</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="da">Gradient of the slopes, [C] (overwritten).</param>
    /// <param name="channels">C.</param>
    /// <param name="inner">Values per channel and row.</param>
    public void ChannelPReLUBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> a, DeviceView<float> dx, DeviceView<float> da, int channels, int inner)
    {
        int rows = RequireRows(x.Length, channels, inner);
        Function("ng_channel_prelu_backward").Launch(((uint)channels, 1), (ReduceThreads, 1), Stream, dy, x, a, dx, da, rows, channels, inner);
    }

    /// <summary>Maxout over groups of k consecutive channels: y[r, u, p] = max_j x[r, u·k + j, p] (the first maximum wins).</summary>
    /// <param name="x">[rows, units·k, inner].</param>
    /// <param name="y">[rows, units, inner].</param>
    /// <param name="pieces">k.</param>
    /// <param name="inner">Values per channel and row.</param>
    public void MaxoutForward(DeviceView<float> x, DeviceView<float> y, int pieces, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieces, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inner, 1);
        ElementWise("ng_maxout_forward", x.Length / pieces, x, y, x.Length / pieces, pieces, inner);
    }

    /// <summary>Maxout backward: dx = dy at each group's (first) maximum, 0 elsewhere (overwritten); x is the forward's input.</summary>
    /// <param name="dy">[rows, units, inner].</param>
    /// <param name="x">[rows, units·k, inner].</param>
    /// <param name="dx">[rows, units·k, inner] (overwritten).</param>
    /// <param name="pieces">k.</param>
    /// <param name="inner">Values per channel and row.</param>
    public void MaxoutBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> dx, int pieces, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieces, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inner, 1);
        ElementWise("ng_maxout_backward", x.Length, dy, x, dx, x.Length, pieces, inner);
    }

    /// <summary>One mask value per row of <paramref name="inner"/> values: mask[r] = Uniform(key, r) ≥ p ? 1/(1 − p) : 0,
    /// y = x·mask[r]: stochastic depth (rows = samples) and Dropout2d (rows = sample·channel planes), the CPU's masks.</summary>
    /// <param name="x">Input, [rows, inner].</param>
    /// <param name="y">Output.</param>
    /// <param name="mask">[rows] (overwritten).</param>
    /// <param name="inner">Values per row.</param>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <param name="key">The layer's counter-RNG key.</param>
    public void RowDropoutForward(DeviceView<float> x, DeviceView<float> y, DeviceView<float> mask, int inner, double p, ulong key)
    {
        if (!(p >= 0.0 && p < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The drop probability must be in [0, 1).");
        }
        int rows = mask.Length;
        if ((long)rows * inner != x.Length)
        {
            throw new ArgumentException($"x has {x.Length} values, not {rows} rows of {inner}.", nameof(x));
        }
        ElementWise("ng_row_dropout_forward", x.Length, x, y, mask, rows, inner, key, p, 1f / (float)(1.0 - p));
    }

    /// <summary>dx = dy·mask[row]: the backward of <see cref="RowDropoutForward"/>.</summary>
    /// <param name="dy">Gradient of the output, [rows, inner].</param>
    /// <param name="mask">[rows].</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="inner">Values per row.</param>
    public void RowDropoutBackward(DeviceView<float> dy, DeviceView<float> mask, DeviceView<float> dx, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inner, 1);
        ElementWise("ng_row_scale", dy.Length, dy, mask, dx, dy.Length, inner);
    }

    /// <summary>Vanilla dropout (Srivastava et al.): mask[i] = Uniform(key, i) ≥ p ? 1 : 0, y = x ⊙ mask (no scaling; the
    /// backward is <see cref="Multiply"/>, the inference <see cref="VanillaDropoutInference"/>).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="mask">The mask (overwritten).</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="key">The layer's counter-RNG key.</param>
    public void VanillaDropoutForward(DeviceView<float> x, DeviceView<float> y, DeviceView<float> mask, double p, ulong key) =>
        ElementWise("ng_dropout_forward", x.Length, x, y, mask, x.Length, key, p, 1f);

    /// <summary>Vanilla dropout's inference: y = (1 − p)·x, the factor rounded once.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="p">Drop probability.</param>
    public void VanillaDropoutInference(DeviceView<float> x, DeviceView<float> y, double p) =>
        ElementWise("ng_scale_copy", x.Length, x, y, x.Length, (float)(1.0 - p));

    /// <summary>Local response normalisation across channels (nn.LocalResponseNorm(n, α, β, k)) over x [B, C, plane]:
    /// y_c = x_c·(k + (α/n)·Σ_{c' ∈ W(c)} x_{c'}²)^(−β).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">H·W.</param>
    /// <param name="size">n, the window of channels.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β.</param>
    /// <param name="k">k.</param>
    public void LocalResponseNormForward(DeviceView<float> x, DeviceView<float> y, int batch, int channels, int plane, int size, float alpha, float beta, float k)
    {
        RequireLrn(x, y, batch, channels, plane, size);
        ElementWise("ng_lrn_forward", x.Length, x, y, batch, channels, plane, size, alpha, beta, k);
    }

    /// <summary>Local response normalisation backward (s recomputed from x, nothing cached): dx_j = dy_j·s_j^(−β) −
    /// (2αβ/n)·x_j·Σ_{c : j ∈ W(c)} dy_c·x_c·s_c^(−β−1).</summary>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="x">Forward input.</param>
    /// <param name="dx">Gradient of the input (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="plane">H·W.</param>
    /// <param name="size">n.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β.</param>
    /// <param name="k">k.</param>
    public void LocalResponseNormBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> dx, int batch, int channels, int plane, int size, float alpha, float beta, float k)
    {
        RequireLrn(x, dx, batch, channels, plane, size);
        ElementWise("ng_lrn_backward", x.Length, dy, x, dx, batch, channels, plane, size, alpha, beta, k);
    }

    /// <summary>Sets every byte of <paramref name="x"/> to zero on <see cref="Stream"/> (cuMemsetD8Async), in order with the
    /// launches: a memset node when the stream is being captured into a graph.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="x">The memory.</param>
    public void Clear<T>(DeviceView<T> x)
        where T : unmanaged
    {
        if (x.Length == 0 || CudaGraph.InterceptMemset(x.Pointer, x.Bytes))
        {
            return;
        }
        int result = CudaDriver.cuMemsetD8Async(x.Pointer, 0, x.Bytes, Stream is null ? 0 : Stream.DangerousGetHandle());
        if (result != 0)
        {
            CudaDriver.ThrowIfFailed(result, $"cuMemsetD8Async({x.Bytes} bytes)");
        }
    }

    /// <summary>Unloads the module.</summary>
    public void Dispose() => _module.Dispose();

    private static void RequireLrn(DeviceView<float> x, DeviceView<float> y, int batch, int channels, int plane, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(plane, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        long count = (long)batch * channels * plane;
        RequireLength(x, count, nameof(x));
        RequireLength(y, count, nameof(y));
    }

    /// <summary>Rows of a [rows, channels, inner] tensor of <paramref name="length"/> values.</summary>
    private static int RequireRows(int length, int channels, int inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inner, 1);
        long plane = (long)channels * inner;
        if (length % plane != 0)
        {
            throw new ArgumentException($"The input holds {length} values, not a whole number of rows of {channels}×{inner}.", "x");
        }
        return (int)(length / plane);
    }

    private void SoftTargets(DeviceView<float> logits, ulong labels, ulong probabilities, DeviceView<float> dlogits, DeviceView<double> loss, int batch, int classes, double epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (batch <= 0)
        {
            return;
        }
        ElementWise("ng_softmax_cross_entropy_soft", batch, logits, labels, probabilities, dlogits, loss, batch, classes, 1.0 - epsilon, epsilon / classes, 1.0 / batch);
    }

    private static void RequireLabelSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing ε must lie in [0, 1).");
        }
    }

    private static void RequireMargin(double margin)
    {
        if (!(margin > 0) || double.IsInfinity(margin))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The hinge margin must be finite and > 0.");
        }
    }

    private static Conv2DGeneralGeometry General(in Conv2DGeometry g) =>
        g.OutChannels == 0
            ? throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g))
            : new(g.Channels, g.Height, g.Width, g.OutChannels, g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, g.PaddingHeight, g.PaddingWidth, 1, 1, 1);

    /// <summary>batch, C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, Ho, Wo: NG_CONV_GEOMETRY's order.</summary>
    private static void ConvGeometry(Span<KernelArg> a, int batch, in Conv2DGeneralGeometry g)
    {
        a[0] = batch; a[1] = g.Channels; a[2] = g.Height; a[3] = g.Width; a[4] = g.OutChannels; a[5] = g.KernelHeight;
        a[6] = g.KernelWidth; a[7] = g.StrideHeight; a[8] = g.StrideWidth; a[9] = g.PaddingHeight; a[10] = g.PaddingWidth;
        a[11] = g.DilationHeight; a[12] = g.DilationWidth; a[13] = g.Groups; a[14] = g.OutHeight; a[15] = g.OutWidth;
    }

    /// <summary>batch, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw, Ho, Wo: NG_POOL_GEOMETRY's order.</summary>
    private static void PoolGeometry(Span<KernelArg> a, int batch, in Pool2DGeometry g)
    {
        a[0] = batch; a[1] = g.Channels; a[2] = g.Height; a[3] = g.Width; a[4] = g.KernelHeight; a[5] = g.KernelWidth;
        a[6] = g.StrideHeight; a[7] = g.StrideWidth; a[8] = g.PaddingHeight; a[9] = g.PaddingWidth; a[10] = g.OutHeight; a[11] = g.OutWidth;
    }

    /// <summary>A geometry built by its constructor, a non-negative batch, and buffers of the lengths it implies.</summary>
    private static void RequireConv(DeviceView<float> x, DeviceView<float> w, DeviceView<float>? bias, DeviceView<float> y, int batch, in Conv2DGeneralGeometry g)
    {
        if (g.OutChannels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        RequireLength(x, (long)batch * g.InputLength, nameof(x));
        RequireLength(w, g.WeightLength, nameof(w));
        if (bias is not null)
        {
            RequireLength(bias, g.OutChannels, nameof(bias));
        }
        RequireLength(y, (long)batch * g.OutputLength, nameof(y));
        if ((long)batch * Math.Max(g.InputLength, g.OutputLength) > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"A batch of {batch} makes a tensor of more than {int.MaxValue} elements.");
        }
    }

    private static void RequirePool(DeviceView<float> x, DeviceView<float> y, int batch, in Pool2DGeometry g)
    {
        if (g.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        RequireLength(x, (long)batch * g.InputLength, nameof(x));
        RequireLength(y, (long)batch * g.OutputLength, nameof(y));
        if ((long)batch * Math.Max(g.InputLength, g.OutputLength) > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"A batch of {batch} makes a tensor of more than {int.MaxValue} elements.");
        }
    }

    /// <summary>Checks a normalisation's sizes: x and y of B·C·S elements, the two optional per-channel buffers of C.</summary>
    private static void RequireNorm(DeviceView<float> x, DeviceView<float> y, DeviceView<float>? perChannel1, DeviceView<float>? perChannel2,
        int batch, int channels, int spatial, string channelsName, string name1, string name2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (channels < 1)
        {
            throw new ArgumentOutOfRangeException(channelsName, channels, $"'{channelsName}' must be at least 1.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(spatial, 1);
        long count = (long)batch * channels * spatial;
        if (count > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"B·C·S = {count} is more than {int.MaxValue} elements.");
        }
        RequireLength(x, count, nameof(x));
        RequireLength(y, count, nameof(y));
        if (perChannel1 is not null)
        {
            RequireLength(perChannel1, channels, name1);
        }
        if (perChannel2 is not null)
        {
            RequireLength(perChannel2, channels, name2);
        }
    }

    /// <summary>A buffer holding at least <paramref name="length"/> elements (the kernels read and write that many).</summary>
    private static void RequireLength<T>(DeviceView<T> buffer, long length, string name)
        where T : unmanaged
    {
        if (buffer.Length < length)
        {
            throw new ArgumentException($"'{name}' holds {buffer.Length} elements but the kernel needs {length}.", name);
        }
    }

    /// <summary>An optional buffer: absent (null, or a null address), or holding at least <paramref name="length"/> elements.</summary>
    private static void RequireLength<T>(DeviceView<T>? buffer, long length, string name)
        where T : unmanaged
    {
        if (buffer is { Pointer: not 0 } b)
        {
            RequireLength(b, length, name);
        }
    }

    private CudaFunction Function(string name) => _functions[name];

    // ── Fractional max pooling (kernels_fmp.cu) ──────────────────────────────────────────────────────────────────────────

    /// <summary>Fractional max pooling forward (Graham, 2014; the CPU's <see cref="FractionalMaxPool2D.Forward{T}"/> bit for
    /// bit): the window starts ⌊(i + u)·α⌋ − ⌊u·α⌋ computed on the device in double from the uniforms of the counter RNG
    /// (u_W = Uniform(key, 2q), u_H = Uniform(key, 2q + 1) of plane q), then y = the window's maximum (NaN wins) and argmax
    /// = its position h·W + w in the input plane.</summary>
    /// <param name="x">Input, [batch, C, H, W].</param>
    /// <param name="y">Output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">Winner positions, [batch, C, Ho, Wo], or null (inference).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="key">The key of the uniforms: the layer's dropout-stream key of the step (training) or of
    /// <see cref="FractionalMaxPool2D.InferenceStep"/>.</param>
    /// <param name="samplePerRow">true: plane q = b·C + c draws its own region (training); false: q = c (inference).</param>
    public void FractionalMaxPool2DForward(DeviceView<float> x, DeviceView<float> y, DeviceView<int>? argmax, int batch, in FractionalPool2DGeometry g, ulong key, bool samplePerRow)
    {
        RequireFractionalPool(x, y, batch, g, nameof(x), nameof(y));
        if (argmax is not null)
        {
            RequireLength(argmax, (long)batch * g.OutputLength, nameof(argmax));
        }
        ElementWise("ng_fractional_maxpool2d_forward", batch * g.OutputLength, x, y, argmax?.Pointer ?? 0UL, batch, g.Channels, g.Height, g.Width, g.Kernel, g.OutHeight, g.OutWidth, key, samplePerRow ? 1 : 0);
    }

    /// <summary>Fractional max pooling backward: dx[h, w] = Σ dy over the outputs, in row-major order, whose argmax is (h, w)
    /// (overwritten; a gather over the windows holding each input, recomputed from the same key: the CPU's scatter-add bit
    /// for bit, no atomics, although the windows overlap).</summary>
    /// <param name="dy">Gradient of the output, [batch, C, Ho, Wo].</param>
    /// <param name="argmax">The forward's winner positions.</param>
    /// <param name="dx">Gradient of the input, [batch, C, H, W] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="g">The shape of one sample.</param>
    /// <param name="key">The forward's key.</param>
    /// <param name="samplePerRow">The forward's choice.</param>
    public void FractionalMaxPool2DBackward(DeviceView<float> dy, DeviceView<int> argmax, DeviceView<float> dx, int batch, in FractionalPool2DGeometry g, ulong key, bool samplePerRow)
    {
        RequireFractionalPool(dx, dy, batch, g, nameof(dx), nameof(dy));
        RequireLength(argmax, (long)batch * g.OutputLength, nameof(argmax));
        ElementWise("ng_fractional_maxpool2d_backward", batch * g.InputLength, dy, argmax, dx, batch, g.Channels, g.Height, g.Width, g.Kernel, g.OutHeight, g.OutWidth, key, samplePerRow ? 1 : 0);
    }

    private static void RequireFractionalPool(DeviceView<float> x, DeviceView<float> y, int batch, in FractionalPool2DGeometry g, string xName, string yName)
    {
        if (g.Channels == 0)
        {
            throw new ArgumentException("The geometry is the default value; build it with its constructor.", nameof(g));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        RequireLength(x, (long)batch * g.InputLength, xName);
        RequireLength(y, (long)batch * g.OutputLength, yName);
        if ((long)batch * Math.Max(g.InputLength, g.OutputLength) > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"A batch of {batch} makes a tensor of more than {int.MaxValue} elements.");
        }
    }

    /// <summary>A grid-stride kernel over <paramref name="count"/> items: enough blocks of <see cref="Threads"/> for one
    /// item per thread, at most 65535.</summary>
    private void ElementWise(string name, int count, params ReadOnlySpan<KernelArg> args)
    {
        if (count <= 0)
        {
            return;
        }
        uint blocks = (uint)Math.Min(65535, (count + Threads - 1) / Threads);
        Function(name).Launch((blocks, 1), (Threads, 1), Stream, args);
    }

    // ── The dropout variants (kernels_dropout.cu): Gaussian dropout, standout, DropConnect. Their noise comes from the CPU's
    // counter RNG and key; the double e^x, ln x and cos x of the kernels differ from .NET's by round-off only (docs/cuda.md).

    /// <summary>The kernels of kernels_dropout.cu and their PTX parameter types (part of <see cref="Signatures"/>).</summary>
    private static (string Name, string Parameters)[] DropoutVariantSignatures =>
    [
        ("ng_rng_normal", "u64 u32 u64"),
        ("ng_gaussian_dropout_forward", "u64 u64 u64 u32 u64 f64"),
        ("ng_standout_forward", "u64 u64 u64 u32 u64 f64 f64"),
        ("ng_standout_inference", "u64 u64 u32 f64 f64"),
        ("ng_dropconnect_forward", "u64 u64 u64 u64 u32 u32 u32 u64 f64 f32"),
        ("ng_dropconnect_weight_grad", "u64 u64 u64 u32 u32 u32 u64 f64 f32"),
        ("ng_dropconnect_input_grad", "u64 u64 u64 u32 u32 u32 u64 f64 f32"),
        ("ng_dropconnect_moment_matching_relu", "u64 u64 u64 u64 u32 u32 u32 f64 u32 u64"),
    ];

    /// <summary>out[i] = (float)CounterRng.Normal(key, i): the device's Box–Muller on its own, for the parity checks.</summary>
    /// <param name="output">n floats.</param>
    /// <param name="key">The key.</param>
    public void Normal(DeviceView<float> output, ulong key) =>
        ElementWise("ng_rng_normal", output.Length, output, output.Length, key);

    /// <summary>Gaussian dropout (Srivastava et al. 2014, §10): mask[i] = 1 + σ·Normal(key, i) with σ = √(p/(1 − p)),
    /// y = x ⊙ mask (the backward is <see cref="Multiply"/>; the inference a copy).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="mask">The mask (overwritten).</param>
    /// <param name="p">The drop rate whose variance the noise matches, in [0, 1).</param>
    /// <param name="key">The layer's counter-RNG key.</param>
    public void GaussianDropoutForward(DeviceView<float> x, DeviceView<float> y, DeviceView<float> mask, double p, ulong key)
    {
        if (!(p >= 0.0 && p < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Gaussian dropout's rate must be in [0, 1).");
        }
        RequireLength(y, x.Length, nameof(y));
        RequireLength(mask, x.Length, nameof(mask));
        ElementWise("ng_gaussian_dropout_forward", x.Length, x, y, mask, x.Length, key, Math.Sqrt(p / (1.0 - p)));
    }

    /// <summary>Standout (Ba and Frey 2013): π = σ(α·z + β) in double, mask[i] = Uniform(key, i) &lt; π ? 1 : 0, y = z ⊙ mask
    /// (the backward is <see cref="Multiply"/>: no gradient through π, as on the CPU).</summary>
    /// <param name="x">Input: the pre-activation z.</param>
    /// <param name="y">Output.</param>
    /// <param name="mask">The mask (overwritten).</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β.</param>
    /// <param name="key">The layer's counter-RNG key.</param>
    public void StandoutForward(DeviceView<float> x, DeviceView<float> y, DeviceView<float> mask, double alpha, double beta, ulong key)
    {
        RequireLength(y, x.Length, nameof(y));
        RequireLength(mask, x.Length, nameof(mask));
        ElementWise("ng_standout_forward", x.Length, x, y, mask, x.Length, key, alpha, beta);
    }

    /// <summary>Standout's inference: y = z·σ(α·z + β), in double, rounded once.</summary>
    /// <param name="x">Input: the pre-activation z.</param>
    /// <param name="y">Output.</param>
    /// <param name="alpha">α.</param>
    /// <param name="beta">β.</param>
    public void StandoutInference(DeviceView<float> x, DeviceView<float> y, double alpha, double beta)
    {
        RequireLength(y, x.Length, nameof(y));
        ElementWise("ng_standout_inference", x.Length, x, y, x.Length, alpha, beta);
    }

    /// <summary>DropConnect (Wan et al. 2013) in training: y_b = (W ⊙ M_b)·x_b + bias with the per-sample weight masks
    /// M_b[o, i] = 1(Uniform(key, (b·O + o)·I + i) ≥ p)/(1 − p), drawn where they are used, never stored.</summary>
    /// <param name="x">Input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="bias">[outputs], or null.</param>
    /// <param name="y">Output [batch, outputs].</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="p">Probability of dropping a weight, in [0, 1).</param>
    /// <param name="key">The masks' key.</param>
    public void DropConnectForward(DeviceView<float> x, DeviceView<float> weight, DeviceView<float>? bias, DeviceView<float> y, int batch, int inputs, int outputs, double p, ulong key)
    {
        float keep = RequireDropConnect(x, weight, y, batch, inputs, outputs, p, nameof(y));
        RequireLength(bias, outputs, nameof(bias));
        ElementWise("ng_dropconnect_forward", batch * outputs, x, weight, bias?.Pointer ?? 0UL, y, batch, inputs, outputs, key, p, keep);
    }

    /// <summary>DropConnect's backward with the forward's masks (the same key): dW = Σ_b (dy_b·x_bᵀ) ⊙ M_b,
    /// dx_b = (W ⊙ M_b)ᵀ·dy_b (when <paramref name="dx"/> is given), db = Σ_B dy (when <paramref name="db"/> is given); each
    /// overwritten, each sum in the CPU's order.</summary>
    /// <param name="dy">Gradient of the output [batch, outputs].</param>
    /// <param name="x">Forward input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="dx">Gradient of the input, or null.</param>
    /// <param name="dWeight">Gradient of W.</param>
    /// <param name="db">Gradient of the bias, or null.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="p">The forward's drop probability.</param>
    /// <param name="key">The forward's key.</param>
    public void DropConnectBackward(DeviceView<float> dy, DeviceView<float> x, DeviceView<float> weight, DeviceView<float>? dx, DeviceView<float> dWeight, DeviceView<float>? db,
        int batch, int inputs, int outputs, double p, ulong key)
    {
        float keep = RequireDropConnect(x, weight, dy, batch, inputs, outputs, p, nameof(dy));
        RequireLength(dWeight, (long)outputs * inputs, nameof(dWeight));
        ElementWise("ng_dropconnect_weight_grad", outputs * inputs, dy, x, dWeight, batch, inputs, outputs, key, p, keep);
        if (dx is { } input)
        {
            RequireLength(input, (long)batch * inputs, nameof(dx));
            ElementWise("ng_dropconnect_input_grad", batch * inputs, dy, weight, input, batch, inputs, outputs, key, p, keep);
        }
        if (db is { } bias)
        {
            RequireLength(bias, outputs, nameof(db));
            ColumnSums(dy, bias, batch, outputs, accumulate: false);
        }
    }

    /// <summary>Wan et al.'s moment-matching inference fused with the following ReLU: per (b, o), μ = W·x + b and
    /// σ² = p/(1 − p)·Σ_i (W·x)² in double, y = (1/Z)·Σ_z max(0, μ + σ·Normal(key, o·Z + z)).</summary>
    /// <param name="x">Input [batch, inputs].</param>
    /// <param name="weight">W [outputs, inputs].</param>
    /// <param name="bias">[outputs], or null.</param>
    /// <param name="y">Output [batch, outputs].</param>
    /// <param name="batch">B.</param>
    /// <param name="inputs">I.</param>
    /// <param name="outputs">O.</param>
    /// <param name="p">Probability of dropping a weight, in [0, 1).</param>
    /// <param name="samples">Z ≥ 1.</param>
    /// <param name="key">The samples' key.</param>
    public void DropConnectMomentMatchingReLU(DeviceView<float> x, DeviceView<float> weight, DeviceView<float>? bias, DeviceView<float> y, int batch, int inputs, int outputs, double p, int samples, ulong key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        RequireDropConnect(x, weight, y, batch, inputs, outputs, p, nameof(y));
        RequireLength(bias, outputs, nameof(bias));
        ElementWise("ng_dropconnect_moment_matching_relu", batch * outputs, x, weight, bias?.Pointer ?? 0UL, y, batch, inputs, outputs, p / (1.0 - p), samples, key);
    }

    /// <summary>DropConnect's shapes and p; the kept weights' factor 1/(1 − p), rounded to float as the CPU's.</summary>
    private static float RequireDropConnect(DeviceView<float> x, DeviceView<float> weight, DeviceView<float> rows, int batch, int inputs, int outputs, double p, string rowsName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (!(p >= 0.0 && p < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "DropConnect probability must be in [0, 1).");
        }
        RequireLength(x, (long)batch * inputs, nameof(x));
        RequireLength(weight, (long)outputs * inputs, nameof(weight));
        RequireLength(rows, (long)batch * outputs, rowsName);
        return 1f / (float)(1.0 - p);
    }

    // ── Hierarchical softmax (kernels_hsm.cu) ────────────────────────────────────────────────────────────────────────────

    /// <summary>The tree of a hierarchical softmax as the one int table the kernels read: each class's path start (C + 1),
    /// the inner node and the code (±1) of every path step, each inner node's depth (the step at which it stands on every
    /// path through it), then each inner node's left and right child (an inner node, or ~class). Built once per network
    /// and copied to the device.</summary>
    /// <param name="tree">The tree.</param>
    /// <returns>The table: C + 1 + 2P + 3(C − 1) ints for P path steps in all.</returns>
    public static int[] HierarchicalSoftmaxTable(HierarchicalSoftmaxTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        int classes = tree.Classes, inner = tree.Nodes, steps = 0;
        for (int c = 0; c < classes; c++)
        {
            steps += tree.PathNodes(c).Length;
        }

        int[] table = new int[classes + 1 + (2 * steps) + (3 * inner)];
        int nodes = classes + 1, codes = nodes + steps, depths = codes + steps, left = depths + inner, right = left + inner;
        int at = 0;
        for (int c = 0; c < classes; c++)
        {
            table[c] = at;
            ReadOnlySpan<int> path = tree.PathNodes(c);
            ReadOnlySpan<sbyte> code = tree.PathCodes(c);
            for (int k = 0; k < path.Length; k++, at++)
            {
                table[nodes + at] = path[k];
                table[codes + at] = code[k];
                table[depths + path[k]] = k;
            }
        }

        table[classes] = at;
        for (int n = 0; n < inner; n++)
        {
            table[left + n] = tree.Left(n);
            table[right + n] = tree.Right(n);
        }

        return table;
    }

    /// <summary>The hierarchical softmax's loss and ∂L/∂h over each row's path (the CPU's <see cref="HierarchicalSoftmax.Loss{T}"/>,
    /// one thread per row): term[r] = −Σ_path log σ(s·z) in double, step[r, k] = −s·σ(−s·z)/B (∂L/∂z of step k, kept for
    /// <see cref="HierarchicalSoftmaxNodeGradients"/>), dh[r] = Σ_k step[r, k]·v_{n_k}.</summary>
    /// <param name="h">Features, [batch, features].</param>
    /// <param name="labels">Classes, [batch].</param>
    /// <param name="nodeWeight">V, [C − 1, features].</param>
    /// <param name="nodeBias">b, [C − 1].</param>
    /// <param name="tree">The table of <see cref="HierarchicalSoftmaxTable"/>.</param>
    /// <param name="dh">∂L/∂h, [batch, features] (overwritten).</param>
    /// <param name="steps">∂L/∂z of each path step, [batch, depth] (overwritten).</param>
    /// <param name="terms">Loss terms, [batch] doubles (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="features">H.</param>
    /// <param name="classes">C.</param>
    /// <param name="depth">The longest path (<see cref="HierarchicalSoftmaxTree.MaxDepth"/>).</param>
    public void HierarchicalSoftmaxLoss(DeviceView<float> h, DeviceView<int> labels, DeviceView<float> nodeWeight, DeviceView<float> nodeBias, DeviceView<int> tree,
        DeviceView<float> dh, DeviceView<float> steps, DeviceView<double> terms, int batch, int features, int classes, int depth)
    {
        RequireHierarchicalSoftmax(h, nodeWeight, nodeBias, batch, features, classes);
        RequireLength(labels, batch, nameof(labels));
        RequireLength(dh, (long)batch * features, nameof(dh));
        RequireLength(steps, (long)batch * depth, nameof(steps));
        RequireLength(terms, batch, nameof(terms));
        ElementWise("ng_hsm_loss", batch, h, labels, nodeWeight, nodeBias, tree, dh, steps, terms, batch, features, classes, depth, 1f / batch);
    }

    /// <summary>The node gradients of the hierarchical softmax, a gather in row order (no atomics; the CPU's sums bit for bit
    /// from the same step gradients): dV[n] = Σ_r step[r, depth(n)]·h[r] and db[n] = Σ_r step[r, depth(n)] over the rows
    /// whose path passes node n; every node written.</summary>
    /// <param name="h">Features, [batch, features].</param>
    /// <param name="labels">Classes, [batch].</param>
    /// <param name="steps">The step gradients of <see cref="HierarchicalSoftmaxLoss"/>.</param>
    /// <param name="tree">The table of <see cref="HierarchicalSoftmaxTable"/>.</param>
    /// <param name="dNodeWeight">∂L/∂V, [C − 1, features] (overwritten).</param>
    /// <param name="dNodeBias">∂L/∂b, [C − 1] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="features">H.</param>
    /// <param name="classes">C.</param>
    /// <param name="depth">The row stride of <paramref name="steps"/>.</param>
    public void HierarchicalSoftmaxNodeGradients(DeviceView<float> h, DeviceView<int> labels, DeviceView<float> steps, DeviceView<int> tree,
        DeviceView<float> dNodeWeight, DeviceView<float> dNodeBias, int batch, int features, int classes, int depth)
    {
        RequireHierarchicalSoftmax(h, dNodeWeight, dNodeBias, batch, features, classes);
        RequireLength(steps, (long)batch * depth, nameof(steps));
        ElementWise("ng_hsm_node_gradients", (classes - 1) * (features + 1), h, labels, steps, tree, dNodeWeight, dNodeBias, batch, features, classes, depth);
    }

    /// <summary>p(c | h) = Π_path σ(s·z) for every class, one thread per (row, class): the log-probabilities summed in double
    /// along the path, then exponentiated (the CPU's <see cref="HierarchicalSoftmax.Probabilities{T}"/>).</summary>
    /// <param name="h">Features, [batch, features].</param>
    /// <param name="nodeWeight">V, [C − 1, features].</param>
    /// <param name="nodeBias">b, [C − 1].</param>
    /// <param name="tree">The table of <see cref="HierarchicalSoftmaxTable"/>.</param>
    /// <param name="probabilities">[batch, C] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="features">H.</param>
    /// <param name="classes">C.</param>
    public void HierarchicalSoftmaxProbabilities(DeviceView<float> h, DeviceView<float> nodeWeight, DeviceView<float> nodeBias, DeviceView<int> tree,
        DeviceView<float> probabilities, int batch, int features, int classes)
    {
        RequireHierarchicalSoftmax(h, nodeWeight, nodeBias, batch, features, classes);
        RequireLength(probabilities, (long)batch * classes, nameof(probabilities));
        ElementWise("ng_hsm_probabilities", batch * classes, h, nodeWeight, nodeBias, tree, probabilities, batch, features, classes);
    }

    /// <summary>Greedy descent of the tree, one thread per row: from the root, left while h·v_n + b_n ≥ 0, else right, to a
    /// leaf (the CPU's <see cref="HierarchicalSoftmax.GreedyClasses{T}"/>, the same scores bit for bit).</summary>
    /// <param name="h">Features, [batch, features].</param>
    /// <param name="nodeWeight">V, [C − 1, features].</param>
    /// <param name="nodeBias">b, [C − 1].</param>
    /// <param name="tree">The table of <see cref="HierarchicalSoftmaxTable"/>.</param>
    /// <param name="output">The class of each row, [batch] (overwritten).</param>
    /// <param name="batch">B.</param>
    /// <param name="features">H.</param>
    /// <param name="classes">C.</param>
    public void HierarchicalSoftmaxGreedy(DeviceView<float> h, DeviceView<float> nodeWeight, DeviceView<float> nodeBias, DeviceView<int> tree,
        DeviceView<int> output, int batch, int features, int classes)
    {
        RequireHierarchicalSoftmax(h, nodeWeight, nodeBias, batch, features, classes);
        RequireLength(output, batch, nameof(output));
        ElementWise("ng_hsm_greedy", batch, h, nodeWeight, nodeBias, tree, output, batch, features, classes);
    }

    private static void RequireHierarchicalSoftmax(DeviceView<float> h, DeviceView<float> nodeWeight, DeviceView<float> nodeBias, int batch, int features, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        RequireLength(h, (long)batch * features, nameof(h));
        RequireLength(nodeWeight, (long)(classes - 1) * features, nameof(nodeWeight));
        RequireLength(nodeBias, classes - 1, nameof(nodeBias));
    }
}
