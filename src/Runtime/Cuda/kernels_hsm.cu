// Hierarchical softmax (Morin and Bengio, 2005; Mikolov et al., 2013), #included at the end of kernels.cu (its
// conventions, ng_exp, ng_log1p_unit); the CPU kernels are src/Runtime/Kernels/HierarchicalSoftmax.cs. Features h [B, H],
// node vectors V [C − 1, H] and biases b [C − 1]; at inner node n the left child has code s = +1 and probability
// σ(h·v_n + b_n), the right child s = −1. The tree is one int table built once by the host
// (CudaKernels.HierarchicalSoftmaxTable), P = table[C] path steps in all:
//   [0, C]            pathStart: class c's path is steps [pathStart[c], pathStart[c + 1])
//   [C + 1, +P)       the inner node of each step, root first
//   [C + 1 + P, +P)   the code of each step, +1 or −1
//   [C + 1 + 2P, +C−1)  depth[n]: the step at which node n stands on every path through it
//   then left[n], right[n] (C − 1 each): a child inner node (≥ 0) or ~class (< 0)
// Scores z = h·v_n + b_n are float dot products summed in order j = 0…H−1, as the CPU's: the same bits. No atomics: the
// node gradients are a gather over the rows, in row order.

__device__ static inline float ng_hsm_score(const float* h, const float* v, float bias, int features)
{
    float sum = 0.0f;
    for (int j = 0; j < features; j++)
        sum += h[j] * v[j];
    return sum + bias;
}

// Loss and ∂L/∂h along each row's path, one thread per row r with label y:
//   m_k = −s_k·z_k; term[r] = Σ_k (max(m_k, 0) + ln(1 + e^(−|m_k|))) (each step in float, summed in double)
//   g[r, k] = −s_k·σ(m_k)·invBatch (∂L/∂z_k; σ from the same e^(−|m|)), kept for the node gradients (depth per row)
//   dh[r, j] = Σ_k g[r, k]·v_{n_k}[j], the steps in order from 0
NG_KERNEL ng_hsm_loss(const float* h, const int* labels, const float* V, const float* b, const int* tree, float* dh,
                      float* g, double* term, int batch, int features, int classes, int depth, float invBatch)
{
    const int* start = tree;
    int steps = tree[classes];
    const int* nodes = tree + classes + 1;
    const int* codes = nodes + steps;
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < batch; r += gridDim.x * blockDim.x)
    {
        const float* hr = h + (long)r * features;
        float* gr = g + (long)r * depth;
        int y = labels[r], first = start[y], count = start[y + 1] - first;
        double loss = 0.0;
        for (int k = 0; k < count; k++)
        {
            int n = nodes[first + k];
            float s = (float)codes[first + k];
            float z = ng_hsm_score(hr, V + (long)n * features, b[n], features);
            float m = -s * z;
            float e = ng_exp(-(m < 0.0f ? -m : m));
            loss += (double)((m > 0.0f ? m : 0.0f) + ng_log1p_unit(e));
            float sigma = m >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
            gr[k] = -s * sigma * invBatch;
        }
        term[r] = loss;
        float* dhr = dh + (long)r * features;
        for (int j = 0; j < features; j++)
        {
            float sum = 0.0f;
            for (int k = 0; k < count; k++)
                sum += gr[k] * V[(long)nodes[first + k] * features + j];
            dhr[j] = sum;
        }
    }
}

// Node gradients, a gather: one thread per (n, j), j ≤ H (j = H is the bias): node n stands at step depth[n] of the paths
// through it, so row r contributes when its path has node n there:
//   dV[n, j] = Σ_r g[r, depth[n]]·h[r, j], db[n] = Σ_r g[r, depth[n]]   (rows in order from 0: the CPU's sums)
// Every node is written (0 where no row's path passes), as the CPU clears dV and db first.
NG_KERNEL ng_hsm_node_gradients(const float* h, const int* labels, const float* g, const int* tree, float* dV, float* db,
                                int batch, int features, int classes, int depth)
{
    const int* start = tree;
    int steps = tree[classes];
    const int* nodes = tree + classes + 1;
    const int* depths = nodes + 2 * steps;
    int n = (classes - 1) * (features + 1);
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int node = i / (features + 1), j = i % (features + 1), d = depths[node];
        float sum = 0.0f;
        for (int r = 0; r < batch; r++)
        {
            int y = labels[r], first = start[y];
            if (d < start[y + 1] - first && nodes[first + d] == node)
                sum += j < features ? g[(long)r * depth + d] * h[(long)r * features + j] : g[(long)r * depth + d];
        }
        if (j < features)
            dV[(long)node * features + j] = sum;
        else
            db[node] = sum;
    }
}

// p[r, c] = Π_{k ∈ path(c)} σ(s_k·z_k), one thread per (r, c): Σ_k log σ(s_k·z_k) in double (log σ(x) = −(max(−x, 0) +
// ln(1 + e^(−|x|))) in float, as the loss's terms), then e^Σ, so a long path does not underflow before its end.
NG_KERNEL ng_hsm_probabilities(const float* h, const float* V, const float* b, const int* tree, float* p, int batch,
                               int features, int classes)
{
    const int* start = tree;
    int steps = tree[classes];
    const int* nodes = tree + classes + 1;
    const int* codes = nodes + steps;
    int n = batch * classes;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    {
        int r = i / classes, c = i % classes;
        const float* hr = h + (long)r * features;
        double log = 0.0;
        for (int k = start[c]; k < start[c + 1]; k++)
        {
            int node = nodes[k];
            float x = (float)codes[k] * ng_hsm_score(hr, V + (long)node * features, b[node], features);
            float e = ng_exp(-(x < 0.0f ? -x : x));
            log -= (double)((x < 0.0f ? -x : 0.0f) + ng_log1p_unit(e));
        }
        p[i] = ng_exp((float)log);
    }
}

// Greedy descent, one thread per row: from the root, left while z_n ≥ 0 (σ ≥ ½), else right, to a leaf ~class.
NG_KERNEL ng_hsm_greedy(const float* h, const float* V, const float* b, const int* tree, int* out, int batch,
                        int features, int classes)
{
    int steps = tree[classes];
    const int* left = tree + classes + 1 + 2 * steps + (classes - 1);
    const int* right = left + (classes - 1);
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < batch; r += gridDim.x * blockDim.x)
    {
        const float* hr = h + (long)r * features;
        int node = 0;
        while (node >= 0)
        {
            float z = ng_hsm_score(hr, V + (long)node * features, b[node], features);
            node = z >= 0.0f ? left[node] : right[node];
        }
        out[r] = ~node;
    }
}
