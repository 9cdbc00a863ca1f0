// kernels_dropout.cu: the dropout variants beyond Dropout and Dropout2D (src/Runtime/Kernels/DropoutVariants.cs and
// DropConnect.cs on the CPU): Gaussian dropout, standout and DropConnect. #included at the end of kernels.cu (its RNG
// helpers, NG_KERNEL); compiled with it to kernels.ptx and, for the host emulation, with tests/cuda-host/emulate.h.
// Vanilla dropout needs no kernel of its own: ng_dropout_forward with keep = 1, ng_scale_copy at inference.
//
// The CPU computes the noise and the keep probabilities in double with .NET's Math.Log, Math.Cos and Math.Exp. Without
// libdevice the GPU has no double transcendental functions, so they are written here with arithmetic alone (range
// reduction and polynomials, ≤ 2 ulp): the same uniform bits give the same double values up to that round-off. Gaussian
// dropout's mask, rounded to float, is then the CPU's or one float ulp from it (parity within 1e-6 relative); standout's
// mask compares a 24-bit uniform with a probability that differs by ~1e-16 at most, so it is the CPU's bit for bit
// unless a uniform falls within that distance of π.

// ---------------------------------------------------------------------------------------------------- double math

// (Bits(key, i) >> 11) · 2^-53, a double in [0, 1) with 53 random bits (CounterRng.UniformDouble).
__device__ static inline double ng_uniform_f64(ng_u64 key, ng_u64 i)
{
    return (double)(ng_derive(key, i) >> 11) * (1.0 / 9007199254740992.0);
}

// 2^k for -1022 ≤ k ≤ 1023, from its bits.
__device__ static inline double ng_pow2_f64(int k)
{
    union
    {
        ng_u64 u;
        double d;
    } v;
    v.u = (ng_u64)(k + 1023) << 52;
    return v.d;
}

// e^x: x = k·ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite: ln 2 in two parts, k·LN2_HI exact), e^r by its Taylor series to
// r^13/13! (the first omitted term is below 4e-18), times 2^k in two factors (k may reach −1075 or 1024).
__device__ static inline double ng_exp_f64(double x)
{
    if (!(x == x))
        return x;
    if (x > 709.782712893384)
        return __builtin_huge_val();
    if (x < -745.1332191019412)
        return 0.0;
    const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;
    double t = x * 1.4426950408889634;
    int k = (int)(t + (t >= 0.0 ? 0.5 : -0.5));
    double r = (x - (double)k * Ln2Hi) - (double)k * Ln2Lo;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    int k1 = k / 2;
    return p * ng_pow2_f64(k1) * ng_pow2_f64(k - k1);
}

// ln x for a positive normal x: x = 2^e·m with m ∈ [√½, √2), ln m = 2·atanh(s) = 2(s + s³/3 + … + s²³/23) with
// s = (m − 1)/(m + 1), |s| ≤ 0.1716 (the first omitted term is below 1e-18), plus e·ln 2 in two parts.
__device__ static inline double ng_log_f64(double x)
{
    union
    {
        double d;
        ng_u64 u;
    } v;
    v.d = x;
    int e = (int)((v.u >> 52) & 0x7ff) - 1023;
    v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m = v.d;
    if (m > 1.4142135623730951)
    {
        m = m * 0.5;
        e = e + 1;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double p = 1.0 / 23.0;
    p = p * s2 + 1.0 / 21.0;
    p = p * s2 + 1.0 / 19.0;
    p = p * s2 + 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;
    return (double)e * Ln2Hi + ((double)e * Ln2Lo + 2.0 * s * p);
}

// cos θ for 0 ≤ θ < 2π (the Box–Muller angle): θ = k·π/2 + r with |r| ≤ π/4 (π/2 in two parts, k·PIO2_HI exact for
// k ≤ 4), then ±cos r or ±sin r by their Taylor series (to r^16/16! and r^17/17!: the first omitted terms are below 3e-18).
__device__ static inline double ng_cos_f64(double theta)
{
    const double Pio2Hi = 1.57079632673412561417e+00, Pio2Lo = 6.07710050650619224932e-11;
    int k = (int)(theta * 0.63661977236758134308 + 0.5);
    double r = (theta - (double)k * Pio2Hi) - (double)k * Pio2Lo, r2 = r * r;
    double c = 1.0 / 20922789888000.0;
    c = c * r2 - 1.0 / 87178291200.0;
    c = c * r2 + 1.0 / 479001600.0;
    c = c * r2 - 1.0 / 3628800.0;
    c = c * r2 + 1.0 / 40320.0;
    c = c * r2 - 1.0 / 720.0;
    c = c * r2 + 1.0 / 24.0;
    c = c * r2 - 0.5;
    c = c * r2 + 1.0;
    double s = 1.0 / 355687428096000.0;
    s = s * r2 - 1.0 / 1307674368000.0;
    s = s * r2 + 1.0 / 6227020800.0;
    s = s * r2 - 1.0 / 39916800.0;
    s = s * r2 + 1.0 / 362880.0;
    s = s * r2 - 1.0 / 5040.0;
    s = s * r2 + 1.0 / 120.0;
    s = s * r2 - 1.0 / 6.0;
    s = r + r * r2 * s;
    switch (k & 3)
    {
    case 0: return c;
    case 1: return -s;
    case 2: return -c;
    default: return s;
    }
}

// CounterRng.Normal: √(−2 ln(1 − UniformDouble(key, 2i))) · cos(2π · UniformDouble(key, 2i + 1)) (Box–Muller, cosine
// branch; √ correctly rounded, sqrt.rn.f64, as the CPU's).
__device__ static inline double ng_normal_f64(ng_u64 key, ng_u64 i)
{
    ng_u64 j = 2 * i;
    double u1 = ng_uniform_f64(key, j), u2 = ng_uniform_f64(key, j + 1);
    return __builtin_sqrt(-2.0 * ng_log_f64(1.0 - u1)) * ng_cos_f64(2.0 * 3.14159265358979323846 * u2);
}

// out[i] = CounterRng.Normal(key, i) as a float: the normal draws on their own, for the parity checks.
NG_KERNEL ng_rng_normal(float* out, int n, ng_u64 key)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        out[i] = (float)ng_normal_f64(key, (ng_u64)i);
}

// ---------------------------------------------------------------------------------------------------- Gaussian dropout
// mask[i] = (float)(1 + σ·Normal(key, i)) with σ = √(p/(1 − p)) (double, from the host); y = x ⊙ mask.
NG_KERNEL ng_gaussian_dropout_forward(const float* x, float* y, float* mask, int n, ng_u64 key, double sigma)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float m = (float)(1.0 + sigma * ng_normal_f64(key, (ng_u64)i));
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

// ---------------------------------------------------------------------------------------------------- standout
// Ba & Frey's keep probability π = σ(α·z + β) = 1/(1 + e^(−(α·z + β))) in double, as Standout.KeepProbability.
__device__ static inline double ng_keep_probability(double z, double alpha, double beta)
{
    return 1.0 / (1.0 + ng_exp_f64(-(alpha * z + beta)));
}

// mask[i] = Uniform(key, i) < π_i ? 1 : 0 (compared in double, as the CPU); y = z ⊙ mask. The backward is ng_multiply:
// the sampled mask is a constant, no gradient flows through π (the CPU's definition).
NG_KERNEL ng_standout_forward(const float* x, float* y, float* mask, int n, ng_u64 key, double alpha, double beta)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        float z = x[i];
        float m = (double)ng_uniform(key, (ng_u64)i) < ng_keep_probability((double)z, alpha, beta) ? 1.0f : 0.0f;
        mask[i] = m;
        y[i] = z * m;
    }
}

// y = (float)(z·π) in double: the expectation of the training output.
NG_KERNEL ng_standout_inference(const float* x, float* y, int n, double alpha, double beta)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        double z = (double)x[i];
        y[i] = (float)(z * ng_keep_probability(z, alpha, beta));
    }
}

// ---------------------------------------------------------------------------------------------------- DropConnect
// Wan et al.'s per-sample weight masks M_b[o, i] = 1(Uniform(key, (b·O + o)·I + i) ≥ p)/(1 − p), never stored: each
// kernel draws the ones it needs. Every sum runs in the CPU's order (DropConnect.cs), so the results are the CPU's bits.

// y[b, o] = (Σ_i kept W[o, i]·x[b, i])·keep + bias[o], one thread per (b, o), i in order; bias may be null.
NG_KERNEL ng_dropconnect_forward(const float* x, const float* w, const float* bias, float* y, int batch, int inputs,
                                 int outputs, ng_u64 key, double p, float keep)
{
    int n = batch * outputs;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += gridDim.x * blockDim.x)
    {
        int b = t / outputs, o = t - b * outputs;
        const float* xb = x + (long)b * inputs;
        const float* wo = w + (long)o * inputs;
        ng_u64 first = (ng_u64)t * (ng_u64)inputs;
        float sum = 0.0f;
        for (int i = 0; i < inputs; i++)
            if ((double)ng_uniform(key, first + (ng_u64)i) >= p)
                sum += wo[i] * xb[i];
        y[t] = sum * keep + (bias ? bias[o] : 0.0f);
    }
}

// dW[o, i] = Σ_b kept (dy[b, o]·keep)·x[b, i], one thread per weight, b in order (overwritten).
NG_KERNEL ng_dropconnect_weight_grad(const float* dy, const float* x, float* dw, int batch, int inputs, int outputs,
                                     ng_u64 key, double p, float keep)
{
    int n = outputs * inputs;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += gridDim.x * blockDim.x)
    {
        int o = t / inputs, i = t - o * inputs;
        float sum = 0.0f;
        for (int b = 0; b < batch; b++)
        {
            float g = dy[(long)b * outputs + o] * keep;
            if (g == 0.0f)
                continue;
            ng_u64 index = ((ng_u64)b * (ng_u64)outputs + (ng_u64)o) * (ng_u64)inputs + (ng_u64)i;
            if ((double)ng_uniform(key, index) >= p)
                sum += g * x[(long)b * inputs + i];
        }
        dw[t] = sum;
    }
}

// dx[b, i] = Σ_o kept (dy[b, o]·keep)·W[o, i], one thread per input value, o in order (overwritten).
NG_KERNEL ng_dropconnect_input_grad(const float* dy, const float* w, float* dx, int batch, int inputs, int outputs,
                                    ng_u64 key, double p, float keep)
{
    int n = batch * inputs;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += gridDim.x * blockDim.x)
    {
        int b = t / inputs, i = t - b * inputs;
        float sum = 0.0f;
        for (int o = 0; o < outputs; o++)
        {
            float g = dy[(long)b * outputs + o] * keep;
            if (g == 0.0f)
                continue;
            ng_u64 index = ((ng_u64)b * (ng_u64)outputs + (ng_u64)o) * (ng_u64)inputs + (ng_u64)i;
            if ((double)ng_uniform(key, index) >= p)
                sum += g * w[(long)o * inputs + i];
        }
        dx[t] = sum;
    }
}

// Wan et al.'s moment-matching inference fused with the following ReLU (DropConnect.MomentMatchingReLU): per (b, o),
// μ = Σ_i W·x + bias and S = Σ_i (W·x)² in double (i in order), σ = √(ratio·S) with ratio = p/(1 − p) from the host, and
// y = (float)((1/Z)·Σ_z max(0, μ + σ·Normal(key, o·Z + z))). One thread per (b, o).
NG_KERNEL ng_dropconnect_moment_matching_relu(const float* x, const float* w, const float* bias, float* y, int batch,
                                              int inputs, int outputs, double ratio, int samples, ng_u64 key)
{
    int n = batch * outputs;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < n; t += gridDim.x * blockDim.x)
    {
        int b = t / outputs, o = t - b * outputs;
        const float* xb = x + (long)b * inputs;
        const float* wo = w + (long)o * inputs;
        double mu = bias ? (double)bias[o] : 0.0, squares = 0.0;
        for (int i = 0; i < inputs; i++)
        {
            double wx = (double)wo[i] * (double)xb[i];
            mu += wx;
            squares += wx * wx;
        }
        double sigma = __builtin_sqrt(ratio * squares);
        ng_u64 first = (ng_u64)o * (ng_u64)samples;
        double sum = 0.0;
        for (int z = 0; z < samples; z++)
        {
            double v = mu + sigma * ng_normal_f64(key, first + (ng_u64)z);
            sum += v < 0.0 ? 0.0 : v; // max(0, v), as Math.Max (NaN stays NaN)
        }
        y[t] = (float)(sum / samples);
    }
}
