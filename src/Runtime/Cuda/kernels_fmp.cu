// Fractional max pooling (Graham, 2014), #included at the end of kernels.cu (its conventions, its counter RNG); the CPU
// kernel is src/Runtime/Kernels/FractionalMaxPool2D.cs. x [B, C, H, W], y [B, C, Ho, Wo], k×k windows. Plane q of the
// batch draws u_W = Uniform(key, 2q) and u_H = Uniform(key, 2q + 1) from the counter RNG, q = b·C + c in training
// (samplePerRow = 1: a region per sample and channel) and q = c at inference (the same regions for every row). The window
// starts along a dimension of input N, output n are
//   start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋ (i < n − 1), start_{n−1} = N − k, α = (N − k)/(n − 1),
// in double with the CPU's operations in the CPU's order (an IEEE division, an addition, two multiplications and two
// truncations, none fused): the same starts bit for bit, computed on the device from the same key, so no region ever
// crosses the bus and a replayed CUDA graph draws the next step's regions from its rewritten key.
// Geometry order: batch, C, H, W, k, Ho, Wo.

#define NG_FMP_GEOMETRY int batch, int C, int H, int W, int k, int Ho, int Wo

// start_i of a dimension with input N, output n and uniform u (the CPU's FractionalMaxPool2D.Intervals).
__device__ static inline int ng_fmp_start(int i, double u, int N, int k, int n)
{
    if (i == n - 1)
        return N - k;
    double alpha = (double)(N - k) / (double)(n - 1);
    return (int)(((double)i + u) * alpha) - (int)(u * alpha);
}

// The outputs [*lo, *hi) along one dimension whose window holds input index t: start_i ≤ t < start_i + k. The starts are
// non-decreasing in i (each operation above is monotone, and start_{n−2} ≤ N − k), so the windows holding t are the
// contiguous run after the first start above t − k: a binary search for it, then a walk while start_i ≤ t.
__device__ static inline void ng_fmp_outputs(int t, double u, int N, int k, int n, int* lo, int* hi)
{
    int a = 0, b = n;
    while (a < b)
    {
        int mid = (a + b) / 2;
        if (ng_fmp_start(mid, u, N, k, n) > t - k)
            b = mid;
        else
            a = mid + 1;
    }
    int e = a;
    while (e < n && ng_fmp_start(e, u, N, k, n) <= t)
        e++;
    *lo = a;
    *hi = e;
}

// y[b, c, i, j] = max over rows start_H(i) + (0…k−1), columns start_W(j) + (0…k−1) (row-major scan; a larger value or a
// NaN replaces the running maximum); argmax = h·W + w in the plane (null: inference, not stored). One thread per output.
NG_KERNEL ng_fractional_maxpool2d_forward(const float* x, float* y, int* argmax, NG_FMP_GEOMETRY, ng_u64 key,
                                          int samplePerRow)
{
    int n = batch * C * Ho * Wo;
    for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < n; o += gridDim.x * blockDim.x)
    {
        int j = o % Wo, i = (o / Wo) % Ho, plane = o / (Wo * Ho);
        ng_u64 q = samplePerRow ? (ng_u64)plane : (ng_u64)(plane % C);
        double uw = (double)ng_uniform(key, 2 * q), uh = (double)ng_uniform(key, 2 * q + 1);
        int h0 = ng_fmp_start(i, uh, H, k, Ho), w0 = ng_fmp_start(j, uw, W, k, Wo);
        const float* xp = x + (long)plane * H * W;
        float max = -__builtin_huge_valf();
        int best = h0 * W + w0;
        for (int h = h0; h < h0 + k; h++)
            for (int w = w0; w < w0 + k; w++)
            {
                float v = xp[h * W + w];
                if (v > max || v != v)
                {
                    max = v;
                    best = h * W + w;
                }
            }
        y[o] = max;
        if (argmax)
            argmax[o] = best;
    }
}

// dx[b, c, h, w] = Σ dy[b, c, i, j] over the outputs, in row-major order, whose argmax is (h, w): a gather, one thread
// per input value, over the windows that hold (h, w) (regions recomputed from the training key). The windows overlap
// (α < k), so two outputs can share a winner; the CPU adds them in row-major order into a zeroed dx, and this sum starts
// at 0 and adds them in that order: the same bits, with no atomics.
NG_KERNEL ng_fractional_maxpool2d_backward(const float* dy, const int* argmax, float* dx, NG_FMP_GEOMETRY, ng_u64 key,
                                           int samplePerRow)
{
    int n = batch * C * H * W;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < n; e += gridDim.x * blockDim.x)
    {
        int w = e % W, h = (e / W) % H, plane = e / (W * H);
        ng_u64 q = samplePerRow ? (ng_u64)plane : (ng_u64)(plane % C);
        double uw = (double)ng_uniform(key, 2 * q), uh = (double)ng_uniform(key, 2 * q + 1);
        int i0, i1, j0, j1;
        ng_fmp_outputs(h, uh, H, k, Ho, &i0, &i1);
        ng_fmp_outputs(w, uw, W, k, Wo, &j0, &j1);
        long base = (long)plane * Ho * Wo;
        int at = h * W + w;
        float sum = 0.0f;
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++)
            {
                long o = base + i * Wo + j;
                if (argmax[o] == at)
                    sum += dy[o];
            }
        dx[e] = sum;
    }
}
