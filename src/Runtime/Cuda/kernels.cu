// NetGen's CUDA kernels (float32, row-major). Compiled to PTX by build-ptx.sh with prelude.h; the PTX (kernels.ptx) is
// committed and embedded in NetGen.Runtime, and the driver JIT-compiles it for the GPU it runs on. The same file compiles
// for the host with tests/cuda-host/emulate.h (g++), where tests compare every kernel with the CPU kernels.
//
// Conventions: every kernel is extern "C" (its PTX .entry name is its C name); sizes are int; pointers are device
// addresses (CUdeviceptr); element-wise kernels use a grid-stride loop, so any grid covers any length. The CPU rounds
// every multiplication and addition on its own (never fused): build-ptx.sh passes -ffp-contract=off so the GPU does too.

#define NG_KERNEL extern "C" __global__ void

// ---------------------------------------------------------------------------------------------------- counter RNG
// The same SplitMix64 counter RNG as src/Runtime/CounterRng.cs (all arithmetic modulo 2^64):
//   mix(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^ (z >> 31)
//   Derive(a, b) = mix(a + 0x9E3779B97F4A7C15 · (b + 1)); Bits(key, i) = Derive(key, i)
//   Uniform(key, i) = (Bits(key, i) >> 40) · 2^-24, a float in [0, 1)

typedef unsigned long long ng_u64;

__device__ static inline ng_u64 ng_mix(ng_u64 z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__device__ static inline ng_u64 ng_derive(ng_u64 a, ng_u64 b) { return ng_mix(a + 0x9E3779B97F4A7C15ull * (b + 1)); }

__device__ static inline float ng_uniform(ng_u64 key, ng_u64 i)
{
    return (float)(ng_derive(key, i) >> 40) * (1.0f / 16777216.0f);
}

// out[i] = Uniform(key, i): the RNG on its own, for the parity checks.
NG_KERNEL ng_rng_uniform(float* out, int n, ng_u64 key)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        out[i] = ng_uniform(key, (ng_u64)i);
}

// ---------------------------------------------------------------------------------------------------- math
// e^x = 2^(x·log2 e), ln x = log2 x · ln 2 (prelude.h: ex2/lg2). tanh and e^x − 1 near 0 use their Taylor series,
// where 1 − 2/(e^2x + 1) and e^x − 1 would cancel.

__device__ static inline float ng_exp(float x) { return ng_exp2(x * 1.4426950408889634f); }
__device__ static inline float ng_log(float x) { return ng_log2(x) * 0.6931471805599453f; }

__device__ static inline float ng_expm1(float x)
{
    if (x > -0.5f && x < 0.5f)
    {
        // x + x²/2! + … + x⁹/9!; the first omitted term is below 2.7e-10 for |x| < 0.5.
        float p = 1.0f / 362880.0f;
        p = p * x + 1.0f / 40320.0f;
        p = p * x + 1.0f / 5040.0f;
        p = p * x + 1.0f / 720.0f;
        p = p * x + 1.0f / 120.0f;
        p = p * x + 1.0f / 24.0f;
        p = p * x + 1.0f / 6.0f;
        p = p * x + 0.5f;
        p = p * x + 1.0f;
        return p * x;
    }
    return ng_exp(x) - 1.0f;
}

__device__ static inline float ng_tanh(float x)
{
    float a = x < 0.0f ? -x : x;
    if (a < 0.55f)
    {
        // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 − 1382x¹¹/155925 + 21844x¹³/6081075 − 929569x¹⁵/638512875
        float x2 = x * x;
        float p = -929569.0f / 638512875.0f;
        p = p * x2 + 21844.0f / 6081075.0f;
        p = p * x2 - 1382.0f / 155925.0f;
        p = p * x2 + 62.0f / 2835.0f;
        p = p * x2 - 17.0f / 315.0f;
        p = p * x2 + 2.0f / 15.0f;
        p = p * x2 - 1.0f / 3.0f;
        return x + x * x2 * p;
    }
    float t = 1.0f - 2.0f / (ng_exp(2.0f * a) + 1.0f);
    return x < 0.0f ? -t : t;
}

__device__ static inline float ng_sigmoid(float x) { return 1.0f / (1.0f + ng_exp(-x)); }

// ---------------------------------------------------------------------------------------------------- activations
// Codes of the fused epilogue (NgActivation in CudaKernels.cs): 0 identity, 1 ReLU, 2 LeakyReLU/PReLU (slope α),
// 3 Sigmoid, 4 Tanh, 5 ELU (α).

__device__ static inline float ng_activate(float x, int act, float alpha)
{
    switch (act)
    {
        case 1: return x > 0.0f ? x : 0.0f;
        case 2: return x > 0.0f ? x : alpha * x;
        case 3: return ng_sigmoid(x);
        case 4: return ng_tanh(x);
        case 5: return x > 0.0f ? x : alpha * ng_expm1(x);
        default: return x;
    }
}

// y = relu(x) = max(0, x)
NG_KERNEL ng_relu_forward(const float* x, float* y, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// dx = y > 0 ? dy : 0
NG_KERNEL ng_relu_backward(const float* dy, const float* y, float* dx, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

// y = x > 0 ? x : slope · x
NG_KERNEL ng_leaky_relu_forward(const float* x, float* y, int n, float slope)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

// dx = x > 0 ? dy : slope · dy
NG_KERNEL ng_leaky_relu_backward(const float* dy, const float* x, float* dx, int n, float slope)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i];
}

// y = x > 0 ? x : a · x, the slope a read from device memory (a learned parameter).
NG_KERNEL ng_prelu_forward(const float* x, float* y, int n, const float* a)
{
    float s = a[0];
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = x[i] > 0.0f ? x[i] : s * x[i];
}

#define NG_REDUCE_THREADS 256

// dx = x > 0 ? dy : a · dy; da[0] += Σ dy · x · 1(x ≤ 0). Launch with ONE block of NG_REDUCE_THREADS threads: the sum is
// a fixed tree over the block (deterministic), not atomics.
NG_KERNEL ng_prelu_backward(const float* dy, const float* x, float* dx, int n, const float* a, float* da)
{
    __shared__ float partial[NG_REDUCE_THREADS];
    float s = a[0];
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        float g = dy[i], v = x[i];
        if (v > 0.0f)
            dx[i] = g;
        else
        {
            sum += g * v;
            dx[i] = g * s;
        }
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = NG_REDUCE_THREADS / 2; stride > 0; stride /= 2)
    {
        if ((int)threadIdx.x < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        da[0] += partial[0];
}

// y = 1 / (1 + e^(−x))
NG_KERNEL ng_sigmoid_forward(const float* x, float* y, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = ng_sigmoid(x[i]);
}

// dx = dy · (1 − y) · y
NG_KERNEL ng_sigmoid_backward(const float* dy, const float* y, float* dx, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = dy[i] * (1.0f - y[i]) * y[i];
}

// y = tanh(x)
NG_KERNEL ng_tanh_forward(const float* x, float* y, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = ng_tanh(x[i]);
}

// dx = dy · (1 − y²)
NG_KERNEL ng_tanh_backward(const float* dy, const float* y, float* dx, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

// y = x > 0 ? x : α · (e^x − 1)
NG_KERNEL ng_elu_forward(const float* x, float* y, int n, float alpha)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = x[i] > 0.0f ? x[i] : alpha * ng_expm1(x[i]);
}

// dx = x > 0 ? dy : dy · (y + α)
NG_KERNEL ng_elu_backward(const float* dy, const float* x, const float* y, float* dx, int n, float alpha)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + alpha);
}

// y[r, c] = act(y[r, c] + bias[c]) (bias may be null): the epilogue of an unfused GEMM.
NG_KERNEL ng_bias_activation(float* y, const float* bias, int rows, int cols, int act, float alpha)
{
    int n = rows * cols;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float v = y[i];
        if (bias)
            v += bias[i % cols];
        y[i] = ng_activate(v, act, alpha);
    }
}

// out = a ⊙ b (the dropout backward pass: dx = dy ⊙ mask)
NG_KERNEL ng_multiply(const float* a, const float* b, float* out, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        out[i] = a[i] * b[i];
}

// ---------------------------------------------------------------------------------------------------- GEMM
// C[M,N] = op(A)[M,K] · op(B)[K,N] (+ beta · C), then + bias[n] and the activation (bias null = none; act 0 = identity).
// Row-major: op(A)(m,k) = transA ? A[k·lda + m] : A[m·lda + k]; op(B)(k,n) = transB ? B[n·ldb + k] : B[k·ldb + n].
// Dense forward y = x·Wᵀ + b: transB = 1. Backward dx = dy·W: no transpose; dW = dyᵀ·x: transA = 1.
// Tiles of NG_TILE × NG_TILE through shared memory; block (NG_TILE, NG_TILE), grid (⌈N/NG_TILE⌉, ⌈M/NG_TILE⌉). beta = 0
// never reads C (it may hold anything). Each output sums k in order 0..K−1.

#define NG_TILE 16

NG_KERNEL ng_sgemm(int transA, int transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                   float* C, int ldc, float beta, const float* bias, int act, float alpha)
{
    __shared__ float As[NG_TILE][NG_TILE];
    __shared__ float Bs[NG_TILE][NG_TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * NG_TILE + ty;
    int col = blockIdx.x * NG_TILE + tx;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += NG_TILE)
    {
        int ka = k0 + tx; // A tile: row `row`, column ka
        As[ty][tx] = row < M && ka < K ? (transA ? A[ka * lda + row] : A[row * lda + ka]) : 0.0f;
        int kb = k0 + ty; // B tile: row kb, column `col`
        Bs[ty][tx] = kb < K && col < N ? (transB ? B[col * ldb + kb] : B[kb * ldb + col]) : 0.0f;
        __syncthreads();
        int kn = K - k0 < NG_TILE ? K - k0 : NG_TILE;
        for (int k = 0; k < kn; k++)
            acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N)
    {
        float v = beta != 0.0f ? acc + beta * C[row * ldc + col] : acc;
        if (bias)
            v += bias[col];
        C[row * ldc + col] = ng_activate(v, act, alpha);
    }
}

// ---------------------------------------------------------------------------------------------------- reductions
// db[c] (+)= Σ_r dy[r, c]: the bias gradient of Dense, one thread per column, rows in order (deterministic).
NG_KERNEL ng_column_sums(const float* dy, float* db, int rows, int cols, int accumulate)
{
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x)
    {
        float s = 0.0f;
        for (int r = 0; r < rows; r++)
            s += dy[r * cols + c];
        db[c] = accumulate ? db[c] + s : s;
    }
}

// out[0] = Σ x (double), ONE block of NG_REDUCE_THREADS threads, a fixed tree (deterministic): the loss total.
NG_KERNEL ng_reduce_sum_f64(const double* x, int n, double* out)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    double sum = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        sum += x[i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = NG_REDUCE_THREADS / 2; stride > 0; stride /= 2)
    {
        if ((int)threadIdx.x < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        out[0] = partial[0];
}

// ---------------------------------------------------------------------------------------------------- losses
// Softmax cross-entropy, one thread per row r (labels y_r in [0, C)):
//   loss[r] = ln Σ_j e^(f_j − max f) − (f_y − max f)   (double; the mean loss is Σ_r loss[r] / B)
//   d[r, j] = e^(f_j − max f) · ((1/B) / Σ) − (j == y ? 1/B : 0)
// dlogits may be logits itself (each row is read before it is written).
NG_KERNEL ng_softmax_cross_entropy(const float* logits, const int* labels, float* dlogits, double* loss, int batch,
                                   int classes)
{
    float invBatch = 1.0f / (float)batch;
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < batch; r += gridDim.x * blockDim.x)
    {
        const float* f = logits + (long)r * classes;
        float* d = dlogits + (long)r * classes;
        int y = labels[r];
        float max = f[0];
        for (int j = 1; j < classes; j++)
            max = f[j] > max ? f[j] : max;
        float fy = f[y];
        float sum = 0.0f;
        for (int j = 0; j < classes; j++)
        {
            float e = ng_exp(f[j] - max);
            d[j] = e;
            sum += e;
        }
        float scale = invBatch / sum;
        for (int j = 0; j < classes; j++)
            d[j] = d[j] * scale;
        d[y] -= invBatch;
        loss[r] = (double)ng_log(sum) - (double)(fy - max);
    }
}

// Mean squared error over n = B·O elements: dpred = (p − t) · scale with scale = 2/n (rounded once, in float);
// sq[i] = (p − t)² in double (the loss is Σ sq / n).
NG_KERNEL ng_mse(const float* pred, const float* target, float* dpred, double* sq, int n, float scale)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float p = pred[i], t = target[i];
        double d = (double)p - (double)t;
        sq[i] = d * d;
        dpred[i] = (p - t) * scale;
    }
}

// ---------------------------------------------------------------------------------------------------- dropout
// mask[i] = Uniform(key, i) ≥ p ? keep : 0 with keep = 1/(1 − p) (float, from the host); y = x ⊙ mask. The uniform is
// compared with p in double, as on the CPU: a seed gives the same mask on both.
NG_KERNEL ng_dropout_forward(const float* x, float* y, float* mask, int n, ng_u64 key, double p, float keep)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float m = (double)ng_uniform(key, (ng_u64)i) >= p ? keep : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

// ---------------------------------------------------------------------------------------------------- optimizers
// In place, one element per thread, the CPU's operations in the CPU's order (src/Runtime/Kernels/Optimizers.cs); the
// host computes the scalar coefficients in double, as the CPU does, and passes them rounded to float.

// p += (−lr) · g
NG_KERNEL ng_sgd(float* p, const float* g, int n, float negLr)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        p[i] = g[i] * negLr + p[i];
}

// v = μ·v + g; p += (−lr)·v
NG_KERNEL ng_momentum(float* p, const float* g, float* v, int n, float negLr, float mu)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float velocity = v[i] * mu + g[i];
        v[i] = velocity;
        p[i] = p[i] + negLr * velocity;
    }
}

// v = μ·v + g; p += (−lr)·(g + μ·v)
NG_KERNEL ng_nesterov(float* p, const float* g, float* v, int n, float negLr, float mu)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float velocity = v[i] * mu + gradient;
        v[i] = velocity;
        p[i] = p[i] + negLr * (gradient + mu * velocity);
    }
}

// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; p += (−step)·m / (√v / √(1−β2^t) + ε), step = lr/(1−β1^t)
NG_KERNEL ng_adam(float* p, const float* g, float* m, float* v, int n, float beta1, float beta2, float oneMinusBeta1,
                  float oneMinusBeta2, float negStep, float biasCorrection2Sqrt, float eps)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float m1 = m[i] * beta1 + oneMinusBeta1 * gradient;
        float v1 = v[i] * beta2 + oneMinusBeta2 * gradient * gradient;
        m[i] = m1;
        v[i] = v1;
        p[i] = p[i] + negStep * m1 / (ng_sqrt(v1) / biasCorrection2Sqrt + eps);
    }
}

// s = s + g·g; p += (−lr)·(g / (√s + ε))
NG_KERNEL ng_adagrad(float* p, const float* g, float* s, int n, float negLr, float eps)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float sum = s[i] + gradient * gradient;
        s[i] = sum;
        p[i] = p[i] + negLr * (gradient / (ng_sqrt(sum) + eps));
    }
}

// a = α·a + (1−α)·g·g; p += (−lr)·(g / (√a + ε))
NG_KERNEL ng_rmsprop(float* p, const float* g, float* a, int n, float negLr, float alpha, float oneMinusAlpha, float eps)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float average = a[i] * alpha + oneMinusAlpha * gradient * gradient;
        a[i] = average;
        p[i] = p[i] + negLr * (gradient / (ng_sqrt(average) + eps));
    }
}

// ---------------------------------------------------------------------------------------------------- convolution
// PyTorch's nn.Conv2d in NCHW (src/Runtime/Kernels/Conv2D.cs and Conv2DGeneral.cs): x [B, C, H, W], W [O, C/G, Kh, Kw],
// y [B, O, Ho, Wo] with Ho = (H + 2·Ph − Dh·(Kh − 1) − 1)/Sh + 1 (likewise Wo, computed by the host). Group g of G owns
// the output channels [g·O/G, (g + 1)·O/G) and reads the input channels [g·C/G, (g + 1)·C/G). Every kernel takes the
// geometry in one order: batch, C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, Ho, Wo.
//
// Implicit GEMM: the im2col matrix of a group, col[k, n] with k = (c·Kh + u)·Kw + v over the group's C/G channels and
// n = b·Ho·Wo + ho·Wo + wo over the whole batch, is never stored; a tile loader reads
//   col[k, n] = x[b, g·C/G + c, ho·Sh − Ph + u·Dh, wo·Sw − Pw + v·Dw]   (0 in the padding)
// straight from x. The forward is y_g = W_g[O/G, K] · col[K, B·Ho·Wo] and dW_g = dy_g[O/G, B·Ho·Wo] · colᵀ, both tiled
// NG_TILE × NG_TILE through shared memory like ng_sgemm, each output summing its depth in order (deterministic). The
// groups are stacked along grid.y: block row blockIdx.y covers group blockIdx.y / ⌈(O/G)/NG_TILE⌉.

#define NG_CONV_GEOMETRY int batch, int C, int H, int W, int O, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, \
                         int Dw, int G, int Ho, int Wo

// col[k, n] of group grp (see above): the input element under tap k of output position n, or 0 in the padding.
__device__ static inline float ng_conv_col(const float* x, int k, int n, int grp, int C, int H, int W, int Kh, int Kw,
                                           int Sh, int Sw, int Ph, int Pw, int Dh, int Dw, int G, int Ho, int Wo)
{
    int plane = Ho * Wo, taps = Kh * Kw;
    int b = n / plane, p = n - b * plane, ho = p / Wo, wo = p - ho * Wo;
    int c = k / taps, t = k - c * taps, u = t / Kw, v = t - u * Kw;
    int ih = ho * Sh - Ph + u * Dh, iw = wo * Sw - Pw + v * Dw;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W)
        return 0.0f;
    return x[(((long)b * C + (long)grp * (C / G) + c) * H + ih) * W + iw];
}

// y[b, o, ho, wo] = act(Σ_k W[o, k]·col[k, n] + bias[o]) (bias may be null; act as ng_activate). Block (NG_TILE,
// NG_TILE), grid (⌈B·Ho·Wo/NG_TILE⌉, G·⌈(O/G)/NG_TILE⌉).
NG_KERNEL ng_conv2d_forward(const float* x, const float* w, const float* bias, float* y, NG_CONV_GEOMETRY, int act,
                            float alpha)
{
    __shared__ float As[NG_TILE][NG_TILE];
    __shared__ float Bs[NG_TILE][NG_TILE + 1];
    int og = O / G, K = (C / G) * Kh * Kw, plane = Ho * Wo, N = batch * plane;
    int tilesM = (og + NG_TILE - 1) / NG_TILE;
    int grp = blockIdx.y / tilesM;
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = (blockIdx.y - grp * tilesM) * NG_TILE + ty; // output channel within the group
    int col = blockIdx.x * NG_TILE + tx;                  // n
    const float* wg = w + (long)grp * og * K;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += NG_TILE)
    {
        int ka = k0 + tx;
        As[ty][tx] = row < og && ka < K ? wg[(long)row * K + ka] : 0.0f;
        int kb = k0 + ty;
        Bs[ty][tx] = kb < K && col < N ? ng_conv_col(x, kb, col, grp, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, Ho, Wo) : 0.0f;
        __syncthreads();
        int kn = K - k0 < NG_TILE ? K - k0 : NG_TILE;
        for (int k = 0; k < kn; k++)
            acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < og && col < N)
    {
        int o = grp * og + row, b = col / plane, p = col - b * plane;
        float v = bias ? acc + bias[o] : acc;
        y[((long)b * O + o) * plane + p] = ng_activate(v, act, alpha);
    }
}

// dW[o, k] (+)= Σ_n dy[b, o, ho, wo]·col[k, n], n over the batch in order (sample by sample). Block (NG_TILE, NG_TILE),
// grid (⌈K/NG_TILE⌉, G·⌈(O/G)/NG_TILE⌉) with K = (C/G)·Kh·Kw.
NG_KERNEL ng_conv2d_weight_grad(const float* dy, const float* x, float* dw, NG_CONV_GEOMETRY, int accumulate)
{
    __shared__ float As[NG_TILE][NG_TILE];
    __shared__ float Bs[NG_TILE][NG_TILE + 1];
    int og = O / G, K = (C / G) * Kh * Kw, plane = Ho * Wo, N = batch * plane;
    int tilesM = (og + NG_TILE - 1) / NG_TILE;
    int grp = blockIdx.y / tilesM;
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = (blockIdx.y - grp * tilesM) * NG_TILE + ty; // output channel within the group
    int col = blockIdx.x * NG_TILE + tx;                  // k
    float acc = 0.0f;
    for (int n0 = 0; n0 < N; n0 += NG_TILE)
    {
        int na = n0 + tx; // dy tile: channel `row`, position na
        if (row < og && na < N)
        {
            int b = na / plane, p = na - b * plane;
            As[ty][tx] = dy[((long)b * O + grp * og + row) * plane + p];
        }
        else
            As[ty][tx] = 0.0f;
        int nb = n0 + ty; // col tile: position nb, tap `col`
        Bs[ty][tx] = nb < N && col < K ? ng_conv_col(x, col, nb, grp, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, Ho, Wo) : 0.0f;
        __syncthreads();
        int nn = N - n0 < NG_TILE ? N - n0 : NG_TILE;
        for (int q = 0; q < nn; q++)
            acc += As[ty][q] * Bs[q][tx];
        __syncthreads();
    }
    if (row < og && col < K)
    {
        long i = (long)(grp * og + row) * K + col;
        dw[i] = accumulate ? dw[i] + acc : acc;
    }
}

// dx[b, c, ih, iw] = Σ_{u,v} (Σ_{o in the group} W[o, c, u, v]·dy[b, o, ho, wo]) over the taps (u, v) whose output
// position ih = ho·Sh − Ph + u·Dh, iw = wo·Sw − Pw + v·Dw exists: col2im of dcol = W_gᵀ·dy_g as a gather, one thread per
// input element, the taps in the CPU's row order (no atomics). Grid-stride over B·C·H·W.
NG_KERNEL ng_conv2d_input_grad(const float* dy, const float* w, float* dx, NG_CONV_GEOMETRY)
{
    int cg = C / G, og = O / G, taps = Kh * Kw, plane = Ho * Wo;
    int n = batch * C * H * W;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int iw = i % W, ih = (i / W) % H, ci = (i / (W * H)) % C, b = i / (W * H * C);
        int grp = ci / cg, c = ci - grp * cg;
        const float* dyg = dy + ((long)b * O + (long)grp * og) * plane;
        const float* wg = w + ((long)grp * og * cg + c) * taps;
        float sum = 0.0f;
        for (int u = 0; u < Kh; u++)
        {
            int th = ih + Ph - u * Dh;
            if (th < 0 || th % Sh != 0 || th / Sh >= Ho)
                continue;
            int ho = th / Sh;
            for (int v = 0; v < Kw; v++)
            {
                int tw = iw + Pw - v * Dw;
                if (tw < 0 || tw % Sw != 0 || tw / Sw >= Wo)
                    continue;
                int p = ho * Wo + tw / Sw;
                float s = 0.0f;
                for (int o = 0; o < og; o++)
                    s += wg[(long)o * cg * taps + u * Kw + v] * dyg[(long)o * plane + p];
                sum += s;
            }
        }
        dx[i] = sum;
    }
}

// db[c] (+)= Σ_b Σ_p dy[b, c, p] over `plane` positions: the bias gradient of a convolution (and any per-channel sum of an
// NCHW tensor). One block of NG_REDUCE_THREADS threads per channel (grid = channels): thread t sums the elements t,
// t + NG_REDUCE_THREADS, … of the channel's batch·plane values in order, then a fixed tree (deterministic).
NG_KERNEL ng_channel_sums(const float* dy, float* db, int batch, int channels, int plane, int accumulate)
{
    __shared__ float partial[NG_REDUCE_THREADS];
    int c = blockIdx.x;
    int n = batch * plane;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        int b = i / plane, p = i - b * plane;
        sum += dy[((long)b * channels + c) * plane + p];
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = NG_REDUCE_THREADS / 2; stride > 0; stride /= 2)
    {
        if ((int)threadIdx.x < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        db[c] = accumulate ? db[c] + partial[0] : partial[0];
}

// ---------------------------------------------------------------------------------------------------- pooling
// nn.MaxPool2d / nn.AvgPool2d in NCHW (src/Runtime/Kernels/MaxPool2D.cs, AvgPool2D.cs): x [B, C, H, W], y [B, C, Ho, Wo];
// the window of output (ho, wo) is rows [ho·Sh − Ph, … + Kh) and columns [wo·Sw − Pw, … + Kw), clipped to the input.
// Geometry order: batch, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw, Ho, Wo. Forward: one thread per output, the window in
// row-major order. Backward: one thread per input element gathering, in output row-major order, what the CPU scatters in
// that order (no atomics; the same sums, so the same bits).

#define NG_POOL_GEOMETRY int batch, int C, int H, int W, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Ho, int Wo

// The outputs [lo, hi] along one axis whose window holds input index i: o·S − P ≤ i < o·S − P + K.
__device__ static inline void ng_pool_outputs(int i, int K, int S, int P, int outSize, int* lo, int* hi)
{
    int t = i + P - K + 1; // o·S ≥ t
    *lo = t <= 0 ? 0 : (t + S - 1) / S;
    int h = (i + P) / S;   // o·S ≤ i + P
    *hi = h < outSize - 1 ? h : outSize - 1;
}

// y = max over the window (NaN wins: taken when v > max or v ≠ v); argmax[b, c, ho, wo] = ih·W + iw of the winner in
// its input plane, the window's first element when nothing beats −∞ (argmax may be null: inference).
NG_KERNEL ng_maxpool2d_forward(const float* x, float* y, int* argmax, NG_POOL_GEOMETRY)
{
    int n = batch * C * Ho * Wo;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int wo = i % Wo, ho = (i / Wo) % Ho, bc = i / (Wo * Ho);
        const float* xp = x + (long)bc * H * W;
        int h0 = ho * Sh - Ph, w0 = wo * Sw - Pw;
        int h1 = h0 + Kh < H ? h0 + Kh : H, w1 = w0 + Kw < W ? w0 + Kw : W;
        h0 = h0 > 0 ? h0 : 0;
        w0 = w0 > 0 ? w0 : 0;
        float max = -__builtin_huge_valf();
        int best = h0 * W + w0;
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++)
            {
                float v = xp[ih * W + iw];
                if (v > max || v != v)
                {
                    max = v;
                    best = ih * W + iw;
                }
            }
        y[i] = max;
        if (argmax)
            argmax[i] = best;
    }
}

// dx[b, c, ih, iw] = Σ dy[b, c, ho, wo] over the outputs (in row-major order) whose argmax is (ih, iw).
NG_KERNEL ng_maxpool2d_backward(const float* dy, const int* argmax, float* dx, NG_POOL_GEOMETRY)
{
    int n = batch * C * H * W;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int iw = i % W, ih = (i / W) % H, bc = i / (W * H);
        int oh0, oh1, ow0, ow1;
        ng_pool_outputs(ih, Kh, Sh, Ph, Ho, &oh0, &oh1);
        ng_pool_outputs(iw, Kw, Sw, Pw, Wo, &ow0, &ow1);
        long base = (long)bc * Ho * Wo;
        int at = ih * W + iw;
        float sum = 0.0f;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
            {
                long o = base + oh * Wo + ow;
                if (argmax[o] == at)
                    sum += dy[o];
            }
        dx[i] = sum;
    }
}

// y = (Σ of the window's real elements, row-major) / divisor, divisor = Kh·Kw when countIncludePad (PyTorch's default:
// the zero padding counts), else the number of real elements. A window the size of the plane is global average pooling.
NG_KERNEL ng_avgpool2d_forward(const float* x, float* y, NG_POOL_GEOMETRY, int countIncludePad)
{
    int n = batch * C * Ho * Wo;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int wo = i % Wo, ho = (i / Wo) % Ho, bc = i / (Wo * Ho);
        const float* xp = x + (long)bc * H * W;
        int h0 = ho * Sh - Ph, w0 = wo * Sw - Pw;
        int h1 = h0 + Kh < H ? h0 + Kh : H, w1 = w0 + Kw < W ? w0 + Kw : W;
        h0 = h0 > 0 ? h0 : 0;
        w0 = w0 > 0 ? w0 : 0;
        float sum = 0.0f;
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++)
                sum += xp[ih * W + iw];
        float divisor = (float)(countIncludePad ? Kh * Kw : (h1 - h0) * (w1 - w0));
        y[i] = sum / divisor;
    }
}

// dx[b, c, ih, iw] = Σ dy[b, c, ho, wo]/divisor(ho, wo) over the outputs (in row-major order) whose window holds (ih, iw).
NG_KERNEL ng_avgpool2d_backward(const float* dy, float* dx, NG_POOL_GEOMETRY, int countIncludePad)
{
    int n = batch * C * H * W;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int iw = i % W, ih = (i / W) % H, bc = i / (W * H);
        int oh0, oh1, ow0, ow1;
        ng_pool_outputs(ih, Kh, Sh, Ph, Ho, &oh0, &oh1);
        ng_pool_outputs(iw, Kw, Sw, Pw, Wo, &ow0, &ow1);
        long base = (long)bc * Ho * Wo;
        float sum = 0.0f;
        for (int oh = oh0; oh <= oh1; oh++)
        {
            int h0 = oh * Sh - Ph, h1 = h0 + Kh < H ? h0 + Kh : H;
            h0 = h0 > 0 ? h0 : 0;
            for (int ow = ow0; ow <= ow1; ow++)
            {
                int w0 = ow * Sw - Pw, w1 = w0 + Kw < W ? w0 + Kw : W;
                w0 = w0 > 0 ? w0 : 0;
                float divisor = (float)(countIncludePad ? Kh * Kw : (h1 - h0) * (w1 - w0));
                sum += dy[base + oh * Wo + ow] / divisor;
            }
        }
        dx[i] = sum;
    }
}

// ---------------------------------------------------------------------------------------------------- normalisation
// Statistics in double, as on the CPU (src/Runtime/Kernels/BatchNorm.cs, LayerNorm.cs): each sum is taken by ONE block of
// NG_REDUCE_THREADS threads (thread t adds the elements t, t + NG_REDUCE_THREADS, … in order, then a fixed tree), so it is
// deterministic; per-element results are computed in float with the CPU's operations in the CPU's order.

// √x in double, correctly rounded: sqrt.rn.f64 on the GPU, the host's sqrt under the emulation.
#if defined(__CUDA_ARCH__)
__device__ static inline double ng_sqrt_f64(double x) { return __nvvm_sqrt_rn_d(x); }
#else
static inline double ng_sqrt_f64(double x) { return __builtin_sqrt(x); }
#endif

// Σ over the block of each thread's v (fixed tree over partial[NG_REDUCE_THREADS]); every thread gets the total.
__device__ static inline double ng_block_sum_f64(double v, double* partial)
{
    partial[threadIdx.x] = v;
    __syncthreads();
    for (int stride = NG_REDUCE_THREADS / 2; stride > 0; stride /= 2)
    {
        if ((int)threadIdx.x < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    double total = partial[0];
    __syncthreads();
    return total;
}

// Batch norm, training (nn.BatchNorm1d/2d over x viewed as [B, C, S]), ONE block of NG_REDUCE_THREADS threads per channel
// (grid = C), n = B·S ≥ 2 values per channel:
//   μ = Σx/n, q = Σ(x − μ)² (double); invStd = 1/√(q/n + ε); mean[c] = μ, invStd[c] = invStd (float caches)
//   running_mean = (1 − m)·running_mean + m·μ; running_var = (1 − m)·running_var + m·q/(n − 1)   (double, then float)
//   y = (x − mean[c])·scale + β with scale = (float)(γ·invStd) in double (γ, β null: affine=False)
NG_KERNEL ng_batchnorm_forward_training(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                        float* invStd, float* runningMean, float* runningVar, int batch, int channels,
                                        int spatial, double momentum, double epsilon)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    __shared__ float coefficients[3];
    int c = blockIdx.x, count = batch * spatial;
    double n = (double)batch * spatial;
    double sum = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int b = i / spatial, s = i - b * spatial;
        sum += (double)x[((long)b * channels + c) * spatial + s];
    }
    double mu = ng_block_sum_f64(sum, partial) / n;
    double squares = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int b = i / spatial, s = i - b * spatial;
        double d = (double)x[((long)b * channels + c) * spatial + s] - mu;
        squares += d * d;
    }
    squares = ng_block_sum_f64(squares, partial);
    if (threadIdx.x == 0)
    {
        double inv = 1.0 / ng_sqrt_f64(squares / n + epsilon);
        mean[c] = (float)mu;
        invStd[c] = (float)inv;
        runningMean[c] = (float)((1.0 - momentum) * (double)runningMean[c] + momentum * mu);
        runningVar[c] = (float)((1.0 - momentum) * (double)runningVar[c] + momentum * (squares / (n - 1.0)));
        coefficients[0] = (float)mu;
        coefficients[1] = (float)(gamma ? (double)gamma[c] * inv : inv);
        coefficients[2] = beta ? beta[c] : 0.0f;
    }
    __syncthreads();
    float shift = coefficients[0], scale = coefficients[1], offset = coefficients[2];
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int b = i / spatial, s = i - b * spatial;
        long at = ((long)b * channels + c) * spatial + s;
        y[at] = (x[at] - shift) * scale + offset;
    }
}

// Batch norm, evaluation: y = (x − running_mean)·scale + β with scale = (float)(γ/√(running_var + ε)) in double. One
// block per channel (grid = C); y may be x.
NG_KERNEL ng_batchnorm_forward_inference(const float* x, const float* gamma, const float* beta, const float* runningMean,
                                         const float* runningVar, float* y, int batch, int channels, int spatial,
                                         double epsilon)
{
    int c = blockIdx.x, count = batch * spatial;
    double inv = 1.0 / ng_sqrt_f64((double)runningVar[c] + epsilon);
    float shift = runningMean[c];
    float scale = (float)(gamma ? (double)gamma[c] * inv : inv);
    float offset = beta ? beta[c] : 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int b = i / spatial, s = i - b * spatial;
        long at = ((long)b * channels + c) * spatial + s;
        y[at] = (x[at] - shift) * scale + offset;
    }
}

// Batch norm backward (PyTorch's CPU formula), one block of NG_REDUCE_THREADS threads per channel (grid = C):
//   Σdy and p = Σdy·(x − μ) in double; dβ = Σdy; dγ = p·invStd (dgamma/dbeta null: not computed)
//   dx = ((dy − Σdy/n) − (x − μ)·(p·invStd²/n))·(γ·invStd), the three coefficients rounded to float.
// dx may be dy or x (each element is read before it is written).
NG_KERNEL ng_batchnorm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                const float* invStd, float* dx, float* dgamma, float* dbeta, int batch, int channels,
                                int spatial)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    int c = blockIdx.x, count = batch * spatial;
    double n = (double)batch * spatial, mu = (double)mean[c];
    double s = 0.0, p = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int b = i / spatial, k = i - b * spatial;
        long at = ((long)b * channels + c) * spatial + k;
        double g = (double)dy[at];
        s += g;
        p += g * ((double)x[at] - mu);
    }
    s = ng_block_sum_f64(s, partial);
    p = ng_block_sum_f64(p, partial);
    double inv = (double)invStd[c];
    double gm = gamma ? (double)gamma[c] : 1.0;
    if (threadIdx.x == 0)
    {
        if (dgamma)
            dgamma[c] = (float)(p * inv);
        if (dbeta)
            dbeta[c] = (float)s;
    }
    float shift = mean[c], gradMean = (float)(s / n), projection = (float)(p * inv * inv / n), weight = (float)(gm * inv);
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int b = i / spatial, k = i - b * spatial;
        long at = ((long)b * channels + c) * spatial + k;
        float centred = (x[at] - shift) * projection;
        dx[at] = ((dy[at] - gradMean) - centred) * weight;
    }
}

// Layer norm over the last n features of x [B, n], ONE block of NG_REDUCE_THREADS threads per row (grid = B):
//   μ = Σx/n, q = Σ(x − μ)² (double); m = (float)μ, s = (float)(1/√(q/n + ε)); y = ((x − m)·s)·γ + β (γ, β null: absent)
// mean/invStd [B] are the backward's caches (both null: not stored).
NG_KERNEL ng_layernorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                               float* invStd, int batch, int features, double epsilon)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    int r = blockIdx.x;
    const float* xr = x + (long)r * features;
    float* yr = y + (long)r * features;
    double sum = 0.0;
    for (int i = threadIdx.x; i < features; i += blockDim.x)
        sum += (double)xr[i];
    double mu = ng_block_sum_f64(sum, partial) / features;
    double squares = 0.0;
    for (int i = threadIdx.x; i < features; i += blockDim.x)
    {
        double d = (double)xr[i] - mu;
        squares += d * d;
    }
    squares = ng_block_sum_f64(squares, partial);
    float m = (float)mu, s = (float)(1.0 / ng_sqrt_f64(squares / features + epsilon));
    if (threadIdx.x == 0 && mean)
    {
        mean[r] = m;
        invStd[r] = s;
    }
    for (int i = threadIdx.x; i < features; i += blockDim.x)
    {
        float v = (xr[i] - m) * s;
        if (gamma)
            v = v * gamma[i];
        if (beta)
            v = v + beta[i];
        yr[i] = v;
    }
}

// Layer norm input gradient, one block per row (grid = B): g = dy·γ (dy without γ), x̂ = (x − m)·s;
//   dx = ((g − (float)(Σg/n)) − x̂·(float)(Σg·x̂/n))·s, the sums in double. dx may be dy or x.
NG_KERNEL ng_layernorm_input_grad(const float* dy, const float* x, const float* gamma, const float* mean,
                                  const float* invStd, float* dx, int batch, int features)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    int r = blockIdx.x;
    long row = (long)r * features;
    float m = mean[r], s = invStd[r];
    double sumG = 0.0, sumGx = 0.0;
    for (int i = threadIdx.x; i < features; i += blockDim.x)
    {
        float g = gamma ? dy[row + i] * gamma[i] : dy[row + i];
        sumG += (double)g;
        sumGx += (double)g * (double)((x[row + i] - m) * s);
    }
    sumG = ng_block_sum_f64(sumG, partial);
    sumGx = ng_block_sum_f64(sumGx, partial);
    float meanG = (float)(sumG / features), meanGx = (float)(sumGx / features);
    for (int i = threadIdx.x; i < features; i += blockDim.x)
    {
        float g = gamma ? dy[row + i] * gamma[i] : dy[row + i];
        float xhat = (x[row + i] - m) * s;
        dx[row + i] = (g - meanG - xhat * meanGx) * s;
    }
}

// Layer norm parameter gradients, one thread per feature j, rows in order (the CPU's order: the same bits):
//   dγ[j] = Σ_b dy[b, j]·(float)((x[b, j] − m_b)·s_b), dβ[j] = Σ_b dy[b, j] (double sums; either output may be null).
NG_KERNEL ng_layernorm_param_grad(const float* dy, const float* x, const float* mean, const float* invStd, float* dgamma,
                                  float* dbeta, int batch, int features)
{
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < features; j += gridDim.x * blockDim.x)
    {
        double dg = 0.0, db = 0.0;
        for (int b = 0; b < batch; b++)
        {
            long at = (long)b * features + j;
            double g = (double)dy[at];
            dg += g * (double)((x[at] - mean[b]) * invStd[b]);
            db += g;
        }
        if (dgamma)
            dgamma[j] = (float)dg;
        if (dbeta)
            dbeta[j] = (float)db;
    }
}

// ---------------------------------------------------------------------------------------------------- more losses
// src/Runtime/Kernels/Losses.cs, element by element: each kernel writes the gradient and the per-element (or per-row)
// loss terms in double; ng_reduce_sum_f64 sums the terms (one block, deterministic). The CPU's return value Σ_i L_i is
// that sum divided by O (`outputs`) for MAE, Huber and BCE, the sum itself for the hinges. scale = 1/(B·O) and
// invBatch = 1/B are rounded to float once by the host, as the CPU rounds them.

// ln(1 + z) for z in [0, 1], to float precision without ln: 2·atanh(s), s = z/(2 + z) ≤ 1/3, by its series
// 2·(s + s³/3 + … + s¹⁵/15) (the first omitted term is below 3e-9 of the result).
__device__ static inline float ng_log1p_unit(float z)
{
    float s = z / (2.0f + z), s2 = s * s;
    float p = 1.0f / 15.0f;
    p = p * s2 + 1.0f / 13.0f;
    p = p * s2 + 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return 2.0f * s * p;
}

// Mean absolute error: term[i] = |p − t| (double); dpred = p > t ? scale : p < t ? −scale : 0.
NG_KERNEL ng_mae(const float* pred, const float* target, float* dpred, double* term, int n, float scale)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float p = pred[i], t = target[i];
        float e = p - t;
        double d = (double)p - (double)t;
        term[i] = d < 0.0 ? -d : d;
        dpred[i] = e > 0.0f ? scale : e < 0.0f ? -scale : 0.0f;
    }
}

// Huber (δ): e = p − t; term[i] = |e| ≤ δ ? ½e² : δ·(|e| − ½δ) (double); dpred = clamp(e, −δ, δ)·scale (float δ).
NG_KERNEL ng_huber(const float* pred, const float* target, float* dpred, double* term, int n, float scale, double delta)
{
    float df = (float)delta;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float p = pred[i], t = target[i];
        float e = p - t;
        double ed = (double)p - (double)t;
        double a = ed < 0.0 ? -ed : ed;
        term[i] = a <= delta ? 0.5 * ed * ed : delta * (a - 0.5 * delta);
        float c = e < -df ? -df : e > df ? df : e;
        dpred[i] = c * scale;
    }
}

// Binary cross-entropy with logits: z = e^(−|f|); term[i] = max(f, 0) − f·t + ln(1 + z) (double, ln(1 + z) from
// ng_log1p_unit); σ = f ≥ 0 ? 1/(1 + z) : z/(1 + z); dlogits = (σ − t)·scale. dlogits may be logits.
NG_KERNEL ng_bce_with_logits(const float* logits, const float* target, float* dlogits, double* term, int n, float scale)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float f = logits[i], t = target[i];
        float z = ng_exp(f < 0.0f ? f : -f);
        double fd = (double)f;
        term[i] = (fd > 0.0 ? fd : 0.0) - fd * (double)t + (double)ng_log1p_unit(z);
        float sigma = f >= 0.0f ? 1.0f / (1.0f + z) : z / (1.0f + z);
        dlogits[i] = (sigma - t) * scale;
    }
}

// Binary hinge (margin Δ), targets in {0, 1}: y = 2t − 1, m = Δ − y·f; m > 0: term[i] = m, dlogits = −y·invBatch; else 0.
NG_KERNEL ng_binary_hinge(const float* logits, const float* target, float* dlogits, double* term, int n, float invBatch,
                          float margin)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float y = 2.0f * target[i] - 1.0f;
        float m = margin - y * logits[i];
        if (m > 0.0f)
        {
            term[i] = (double)m;
            dlogits[i] = -y * invBatch;
        }
        else
        {
            term[i] = 0.0;
            dlogits[i] = 0.0f;
        }
    }
}

// Multiclass (Weston–Watkins) hinge, one thread per row r with label y: m_j = f_j − f_y + Δ;
//   squared = 0: loss[r] = Σ_{j≠y, m_j>0} m_j, d_j = invBatch, d_y = −(count)·invBatch
//   squared = 1: loss[r] = Σ m_j², d_j = m_j·(2·invBatch), d_y = −Σ d_j   (the other d_j = 0; dlogits may be logits)
NG_KERNEL ng_multiclass_hinge(const float* logits, const int* labels, float* dlogits, double* loss, int batch,
                              int classes, float invBatch, float margin, int squared)
{
    float twoOverBatch = 2.0f * invBatch;
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < batch; r += gridDim.x * blockDim.x)
    {
        const float* f = logits + (long)r * classes;
        float* d = dlogits + (long)r * classes;
        int y = labels[r];
        float fy = f[y];
        float dy = 0.0f;
        int violated = 0;
        double sum = 0.0;
        for (int j = 0; j < classes; j++)
        {
            float m = f[j] - fy + margin;
            if (j != y && m > 0.0f)
            {
                double md = (double)m;
                sum += squared ? md * md : md;
                float g = squared ? m * twoOverBatch : invBatch;
                d[j] = g;
                dy -= g;
                violated++;
            }
            else
                d[j] = 0.0f;
        }
        d[y] = squared ? dy : -(float)violated * invBatch;
        loss[r] = sum;
    }
}

// ---------------------------------------------------------------------------------------------------- more optimizers
// As above: in place, one element per thread, the CPU's operations in its order (Optimizers.Step), coefficients from the
// host computed in double as the CPU computes them.

// p = p·factor: AdamW's decoupled weight decay, factor = (float)(1 − lr·λ) (before the Adam step, as PyTorch).
NG_KERNEL ng_scale(float* p, int n, float factor)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        p[i] = p[i] * factor;
}

// Adam with amsgrad: Adam's m and v, then v̂ = max(v̂, v); p += ((−step)·m) / (√v̂ / √(1−β2^t) + ε).
NG_KERNEL ng_amsgrad(float* p, const float* g, float* m, float* v, float* vMax, int n, float beta1, float beta2,
                     float oneMinusBeta1, float oneMinusBeta2, float negStep, float biasCorrection2Sqrt, float eps)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float m1 = m[i] * beta1 + oneMinusBeta1 * gradient;
        float v1 = v[i] * beta2 + oneMinusBeta2 * gradient * gradient;
        float w = vMax[i];
        float top = w != w ? w : (w > v1 ? w : v1); // max, NaN propagating
        m[i] = m1;
        v[i] = v1;
        vMax[i] = top;
        p[i] = p[i] + negStep * m1 / (ng_sqrt(top) / biasCorrection2Sqrt + eps);
    }
}

// RMSProp with momentum and/or centered (PyTorch's RMSprop): a = α·a + (1−α)·g·g;
//   centered (gradAvg not null): ḡ = α·ḡ + (1−α)·g; a' = a + (−1·ḡ)·ḡ, else a' = a; d = √a' + ε
//   momentum (buffer not null): b = μ·b + g/d; p += (−lr)·b, else p += (−lr)·(g/d)
NG_KERNEL ng_rmsprop_general(float* p, const float* g, float* squareAvg, float* buffer, float* gradAvg, int n,
                             float negLr, float alpha, float oneMinusAlpha, float eps, float mu)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float average = squareAvg[i] * alpha + oneMinusAlpha * gradient * gradient;
        squareAvg[i] = average;
        if (gradAvg)
        {
            float ga = gradAvg[i] * alpha + oneMinusAlpha * gradient;
            gradAvg[i] = ga;
            average = average + -1.0f * ga * ga;
        }
        float denominator = ng_sqrt(average) + eps;
        float update;
        if (buffer)
        {
            float b = buffer[i] * mu + gradient / denominator;
            buffer[i] = b;
            update = negLr * b;
        }
        else
            update = negLr * (gradient / denominator);
        p[i] = p[i] + update;
    }
}

// AdaDelta: s = ρ·s + (1−ρ)·g·g; d = (√(u + ε) / √(s + ε))·g; u = ρ·u + (1−ρ)·d·d; p += (−lr)·d.
NG_KERNEL ng_adadelta(float* p, const float* g, float* squareAvg, float* accDelta, int n, float negLr, float rho,
                      float oneMinusRho, float eps)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float gradient = g[i];
        float average = squareAvg[i] * rho + oneMinusRho * gradient * gradient;
        squareAvg[i] = average;
        float accumulated = accDelta[i];
        float delta = ng_sqrt(accumulated + eps) / ng_sqrt(average + eps) * gradient;
        accDelta[i] = accumulated * rho + oneMinusRho * delta * delta;
        p[i] = p[i] + negLr * delta;
    }
}

// ---------------------------------------------------------------------------------------------------- residual
// out = a + b: a residual connection's forward (branch + shortcut) and, with out = a, the backward's gradient sum of a
// tensor read by two consumers (src/Runtime/Kernels/Residual.cs: Add, Accumulate). The backward of y = a + b itself is
// dy to both inputs: no kernel.
NG_KERNEL ng_add(const float* a, const float* b, float* out, int n)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        out[i] = a[i] + b[i];
}

// ---------------------------------------------------------------------------------------------------- regularisation
// src/Runtime/Kernels/Regularization.cs and Clipping.cs. Sums in double, one block of NG_REDUCE_THREADS threads (fixed
// tree); a norm-dependent factor is computed on the device from the sum, so a training step needs no copy to the host.

// out[0] = Σ x² (double; squares exact in double): the L2 penalty ½λΣw², a global gradient norm, Ω(W) = ½‖W‖².
NG_KERNEL ng_sum_squares_f64(const float* x, int n, double* out)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    double sum = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        double v = (double)x[i];
        sum += v * v;
    }
    sum = ng_block_sum_f64(sum, partial);
    if (threadIdx.x == 0)
        out[0] = sum;
}

// out[0] = Σ |x| (double): the L1 penalty λΣ|w|.
NG_KERNEL ng_sum_abs_f64(const float* x, int n, double* out)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    double sum = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        double v = (double)x[i];
        sum += v < 0.0 ? -v : v;
    }
    sum = ng_block_sum_f64(sum, partial);
    if (threadIdx.x == 0)
        out[0] = sum;
}

// dw = w·λ + dw: the L2 (weight-decay) gradient, and the explicit constraint's α·W (λ = α).
NG_KERNEL ng_add_l2_gradient(const float* w, float* dw, int n, float lambda)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dw[i] = w[i] * lambda + dw[i];
}

// dw += λ·sign(w), sign(0) = 0.
NG_KERNEL ng_add_l1_gradient(const float* w, float* dw, int n, float lambda)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float v = w[i];
        if (v > 0.0f)
            dw[i] = dw[i] + lambda;
        else if (v < 0.0f)
            dw[i] = dw[i] - lambda;
    }
}

// g = max(min(g, c), −c) (clip_grad_value_; NaN stays NaN).
NG_KERNEL ng_clip_by_value(float* g, int n, float limit)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float v = g[i];
        if (v == v)
        {
            v = v < limit ? v : limit;
            v = v > -limit ? v : -limit;
        }
        g[i] = v;
    }
}

// clip_grad_norm_ after ng_sum_squares_f64: norm = √sumSquares[0]; factor = maxNorm/(norm + 1e-6) in double; when it is
// below 1, g = g·(float)factor, else g is left alone.
NG_KERNEL ng_clip_by_norm(float* g, int n, const double* sumSquares, double maxNorm)
{
    double factor = maxNorm / (ng_sqrt_f64(sumSquares[0]) + 1e-6);
    if (!(factor < 1.0))
        return;
    float f = (float)factor;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        g[i] = g[i] * f;
}

// Max-norm constraint (torch.renorm(w, 2, 0, c)), one block per row u of w [units, fanIn] (grid = units): n = ‖w_u‖₂ in
// double; when n > c, w_u = w_u·(float)(c/(n + 1e-7)).
NG_KERNEL ng_max_norm(float* w, int units, int fanIn, double maxNorm)
{
    __shared__ double partial[NG_REDUCE_THREADS];
    float* row = w + (long)blockIdx.x * fanIn;
    double sum = 0.0;
    for (int i = threadIdx.x; i < fanIn; i += blockDim.x)
    {
        double v = (double)row[i];
        sum += v * v;
    }
    double norm = ng_sqrt_f64(ng_block_sum_f64(sum, partial));
    if (!(norm > maxNorm))
        return;
    float f = (float)(maxNorm / (norm + 1e-7));
    for (int i = threadIdx.x; i < fanIn; i += blockDim.x)
        row[i] = row[i] * f;
}

// ---------------------------------------------------------------------------------------------------- soft targets
// Cross-entropy against a smoothed target row, one thread per row (Losses.SoftTargets): q_j = keep·onehot(y)_j + spread
// from labels, or q_j = keep·t_j + spread from probabilities t (labels null), keep = 1 − ε, spread = ε/C;
//   lse = max f + ln Σ e^(f − max f); loss[r] = s·lse − Σ q_j f_j with s = Σ q_j (double);
//   d_j = (s·e^(f_j − lse) − q_j)·(1/B).
// The exponentials and the logarithm are the float ex2/lg2 ones (the CPU's are double): within 1e-5, not bit for bit.
// dlogits may be logits.
NG_KERNEL ng_softmax_cross_entropy_soft(const float* logits, const int* labels, const float* probabilities,
                                        float* dlogits, double* loss, int batch, int classes, double keep, double spread,
                                        double invBatch)
{
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < batch; r += gridDim.x * blockDim.x)
    {
        const float* f = logits + (long)r * classes;
        float* d = dlogits + (long)r * classes;
        const float* t = probabilities ? probabilities + (long)r * classes : probabilities;
        int y = labels ? labels[r] : -1;
        float max = f[0];
        for (int j = 1; j < classes; j++)
            max = f[j] > max ? f[j] : max;
        double sumExp = 0.0, s = 0.0, qf = 0.0;
        for (int j = 0; j < classes; j++)
        {
            double q = t ? keep * (double)t[j] + spread : (j == y ? keep : 0.0) + spread;
            sumExp += (double)ng_exp(f[j] - max);
            s += q;
            qf += q * (double)f[j];
        }
        double lse = (double)max + (double)ng_log((float)sumExp);
        loss[r] = s * lse - qf;
        for (int j = 0; j < classes; j++)
        {
            double q = t ? keep * (double)t[j] + spread : (j == y ? keep : 0.0) + spread;
            d[j] = (float)((s * (double)ng_exp((float)((double)f[j] - lse)) - q) * invBatch);
        }
    }
}

// ---------------------------------------------------------------------------------------------------- more layers
// Channel PReLU (nn.PReLU(C)) over x [rows, C, inner]: y = x > 0 ? x : a[c]·x with c = (i / inner) mod C.
NG_KERNEL ng_channel_prelu_forward(const float* x, const float* a, float* y, int n, int channels, int inner)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float v = x[i];
        y[i] = v > 0.0f ? v : a[(i / inner) % channels] * v;
    }
}

// Channel PReLU backward, ONE block of NG_REDUCE_THREADS threads per channel (grid = C): dx = x > 0 ? dy : a[c]·dy;
// da[c] = Σ dy·x over x ≤ 0 (overwritten; a fixed tree, deterministic).
NG_KERNEL ng_channel_prelu_backward(const float* dy, const float* x, const float* a, float* dx, float* da, int rows,
                                    int channels, int inner)
{
    __shared__ float partial[NG_REDUCE_THREADS];
    int c = blockIdx.x, count = rows * inner;
    float s = a[c], sum = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        int r = i / inner, k = i - r * inner;
        long at = ((long)r * channels + c) * inner + k;
        float g = dy[at], v = x[at];
        if (v > 0.0f)
            dx[at] = g;
        else
        {
            sum += g * v;
            dx[at] = g * s;
        }
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = NG_REDUCE_THREADS / 2; stride > 0; stride /= 2)
    {
        if ((int)threadIdx.x < stride)
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        da[c] = partial[0];
}

// Maxout over groups of k consecutive channels, x [rows, units·k, inner] → y [rows, units, inner]:
// y = x_0, then x_j replaces it when x_j > y (j = 1 … k−1: the first maximum wins a tie).
NG_KERNEL ng_maxout_forward(const float* x, float* y, int n, int pieces, int inner)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int g = i / inner, p = i - g * inner;
        const float* group = x + (long)g * pieces * inner + p;
        float best = group[0];
        for (int j = 1; j < pieces; j++)
            best = group[(long)j * inner] > best ? group[(long)j * inner] : best;
        y[i] = best;
    }
}

// Maxout backward, one thread per input element: dx = dy of its output when it is that output's (first) maximum, else 0.
NG_KERNEL ng_maxout_backward(const float* dy, const float* x, float* dx, int n, int pieces, int inner)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int p = i % inner, g = i / (pieces * inner);
        const float* group = x + (long)g * pieces * inner + p;
        int best = 0;
        for (int j = 1; j < pieces; j++)
            best = group[(long)j * inner] > group[(long)best * inner] ? j : best;
        int j = (i / inner) % pieces;
        dx[i] = j == best ? dy[(long)g * inner + p] : 0.0f;
    }
}

// One mask value per row of `inner` values (stochastic depth: rows = samples; Dropout2d: rows = sample·channel planes):
// mask[r] = Uniform(key, r) ≥ p ? keep : 0 (compared in double, as the CPU); y = x·mask[r].
NG_KERNEL ng_row_dropout_forward(const float* x, float* y, float* mask, int rows, int inner, ng_u64 key, double p,
                                 float keep)
{
    int n = rows * inner;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int r = i / inner;
        float m = (double)ng_uniform(key, (ng_u64)r) >= p ? keep : 0.0f;
        if (i - r * inner == 0)
            mask[r] = m;
        y[i] = x[i] * m;
    }
}

// dx = dy·mask[i / inner]: the backward of ng_row_dropout_forward.
NG_KERNEL ng_row_scale(const float* dy, const float* mask, float* dx, int n, int inner)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        dx[i] = dy[i] * mask[i / inner];
}

// y = x·factor (out of place): vanilla dropout's inference, y = (1 − p)·x.
NG_KERNEL ng_scale_copy(const float* x, float* y, int n, float factor)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = x[i] * factor;
}

// ---------------------------------------------------------------------------------------------------- local response norm
// nn.LocalResponseNorm(n, α, β, k) across the channels of x [B, C, plane] (src/Runtime/Kernels/LocalResponseNorm.cs):
//   s_c = k + (α/n)·Σ_{c' ∈ W(c)} x_{c'}² (channels in order), W(c) = [c − ⌊n/2⌋, c + ⌊(n − 1)/2⌋] ∩ [0, C)
//   y_c = x_c·s_c^(−β), the power as 2^(−β·log2 s) (the CPU's is correctly rounded: within 1e-5, not bit for bit).

__device__ static inline float ng_lrn_scale(const float* xs, int c, int channels, int plane, int size, float scale, float k)
{
    int first = c - size / 2, last = c + (size - 1) / 2;
    first = first > 0 ? first : 0;
    last = last < channels - 1 ? last : channels - 1;
    float sum = 0.0f;
    for (int n = first; n <= last; n++)
        sum += xs[(long)n * plane] * xs[(long)n * plane];
    return k + scale * sum;
}

// y = x·s^(−β), one thread per element.
NG_KERNEL ng_lrn_forward(const float* x, float* y, int batch, int channels, int plane, int size, float alpha, float beta,
                         float k)
{
    float scale = alpha / (float)size;
    int n = batch * channels * plane;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int p = i % plane, c = (i / plane) % channels, b = i / (plane * channels);
        const float* xs = x + (long)b * channels * plane + p; // channel 0 at this position
        float s = ng_lrn_scale(xs, c, channels, plane, size, scale, k);
        y[i] = x[i] * ng_exp2(-beta * ng_log2(s));
    }
}

// dx_j = dy_j·s_j^(−β) + (−2αβ/n)·x_j·Σ_{c : j ∈ W(c)} dy_c·x_c·s_c^(−β)/s_c, one thread per element (s recomputed).
NG_KERNEL ng_lrn_backward(const float* dy, const float* x, float* dx, int batch, int channels, int plane, int size,
                          float alpha, float beta, float k)
{
    float scale = alpha / (float)size;
    float coefficient = -(2.0f * scale * beta);
    int before = size / 2, after = (size - 1) / 2;
    int n = batch * channels * plane;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int p = i % plane, j = (i / plane) % channels, b = i / (plane * channels);
        long base = (long)b * channels * plane + p;
        const float* xs = x + base;
        const float* dys = dy + base;
        float own = dy[i] * ng_exp2(-beta * ng_log2(ng_lrn_scale(xs, j, channels, plane, size, scale, k)));
        int first = j - after > 0 ? j - after : 0, last = j + before < channels - 1 ? j + before : channels - 1;
        float sum = 0.0f;
        for (int c = first; c <= last; c++)
        {
            float s = ng_lrn_scale(xs, c, channels, plane, size, scale, k);
            float powered = ng_exp2(-beta * ng_log2(s));
            sum += dys[(long)c * plane] * xs[(long)c * plane] * powered / s;
        }
        dx[i] = own + coefficient * x[i] * sum;
    }
}

// ---------------------------------------------------------------------------------------------------- dropout variants
// Gaussian dropout, standout and DropConnect (and double-precision e^x, ln x, cos x for their noise) in a file of their own.
#include "kernels_dropout.cu"

// ---------------------------------------------------------------------------------------------------- fractional max pooling
#include "kernels_fmp.cu"

// ---------------------------------------------------------------------------------------------------- hierarchical softmax
#include "kernels_hsm.cu"
