// harness2.cpp: the convolution, pooling, normalisation, loss and optimizer kernels of kernels.cu (harness.cpp has the
// rest) on inputs drawn from the counter RNG, run under emulate.h; prints each result as "name count" and then the values
// (%.9g: floats round-trip). CudaHostEmulation2Tests computes the same cases with the C# CPU kernels and compares.
// Build: g++ -std=c++20 -O1 -ffp-contract=off -pthread -include emulate.h harness2.cpp -o harness2
#include "../../src/Runtime/Cuda/kernels.cu"
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

typedef std::vector<float> vec;

static ng_u64 key(ng_u64 seed, ng_u64 stream, ng_u64 a, ng_u64 b) { return ng_derive(ng_derive(ng_derive(seed, stream), a), b); }

// (Uniform(Key(11, stream, 0, 0), i) · 2 − 1) · scale: the test inputs (CudaHostEmulation2Tests.Input).
static vec input(ng_u64 stream, int n, float scale)
{
    vec v(n);
    ng_u64 k = key(11, stream, 0, 0);
    for (int i = 0; i < n; i++)
        v[i] = (ng_uniform(k, (ng_u64)i) * 2.0f - 1.0f) * scale;
    return v;
}

static void print(const std::string& name, const float* v, int n)
{
    std::printf("%s %d\n", name.c_str(), n);
    for (int i = 0; i < n; i++)
        std::printf("%.9g\n", v[i]);
}
static void print(const std::string& name, const vec& v) { print(name, v.data(), (int)v.size()); }
static void print(const std::string& name, const std::vector<int>& v)
{
    std::printf("%s %d\n", name.c_str(), (int)v.size());
    for (int x : v)
        std::printf("%d\n", x);
}
static void print(const std::string& name, double d) { std::printf("%s 1\n%.17g\n", name.c_str(), d); }

static const ng_dim3 G{3, 1, 1}, T{64, 1, 1}, R{1, 1, 1}, RT{NG_REDUCE_THREADS, 1, 1};

// One convolution: B, C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, bias, act (CudaHostEmulation2Tests.ConvCases).
struct Conv
{
    int B, C, H, W, O, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, Groups, bias, act;
};

static void conv(int index, const Conv& c)
{
    int Ho = (c.H + 2 * c.Ph - c.Dh * (c.Kh - 1) - 1) / c.Sh + 1, Wo = (c.W + 2 * c.Pw - c.Dw * (c.Kw - 1) - 1) / c.Sw + 1;
    int K = c.C / c.Groups * c.Kh * c.Kw, og = c.O / c.Groups, plane = Ho * Wo;
    int nx = c.B * c.C * c.H * c.W, nw = c.O * K, ny = c.B * c.O * plane;
    vec x = input(20 + index, nx, 1), w = input(30 + index, nw, 0.5f), b = input(40 + index, c.O, 0.5f), dy = input(50 + index, ny, 1);
    vec y(ny), dx(nx), dw(nw, 0.0f), db(c.O);
    std::string p = "conv" + std::to_string(index) + "_";
    ng_dim3 block{NG_TILE, NG_TILE, 1};
    unsigned tilesM = (unsigned)((og + NG_TILE - 1) / NG_TILE);
    ng_dim3 fgrid{(unsigned)((c.B * plane + NG_TILE - 1) / NG_TILE), tilesM * c.Groups, 1};
    ng_launch(fgrid, block, ng_conv2d_forward, (const float*)x.data(), (const float*)w.data(), c.bias ? (const float*)b.data() : (const float*)nullptr,
              y.data(), c.B, c.C, c.H, c.W, c.O, c.Kh, c.Kw, c.Sh, c.Sw, c.Ph, c.Pw, c.Dh, c.Dw, c.Groups, Ho, Wo, c.act, 0.0f);
    print(p + "y", y);
    ng_dim3 wgrid{(unsigned)((K + NG_TILE - 1) / NG_TILE), tilesM * c.Groups, 1};
    ng_launch(wgrid, block, ng_conv2d_weight_grad, (const float*)dy.data(), (const float*)x.data(), dw.data(),
              c.B, c.C, c.H, c.W, c.O, c.Kh, c.Kw, c.Sh, c.Sw, c.Ph, c.Pw, c.Dh, c.Dw, c.Groups, Ho, Wo, 0);
    print(p + "dw", dw);
    ng_launch(G, T, ng_conv2d_input_grad, (const float*)dy.data(), (const float*)w.data(), dx.data(),
              c.B, c.C, c.H, c.W, c.O, c.Kh, c.Kw, c.Sh, c.Sw, c.Ph, c.Pw, c.Dh, c.Dw, c.Groups, Ho, Wo);
    print(p + "dx", dx);
    ng_launch(ng_dim3{(unsigned)c.O, 1, 1}, RT, ng_channel_sums, (const float*)dy.data(), db.data(), c.B, c.O, plane, 0);
    print(p + "db", db);
}

// One pooling: B, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw (CudaHostEmulation2Tests.PoolCases).
struct Pool
{
    int B, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw;
};

static void pool(int index, const Pool& q)
{
    int Ho = (q.H + 2 * q.Ph - q.Kh) / q.Sh + 1, Wo = (q.W + 2 * q.Pw - q.Kw) / q.Sw + 1;
    int nx = q.B * q.C * q.H * q.W, ny = q.B * q.C * Ho * Wo;
    vec x = input(60 + index, nx, 3), dy = input(70 + index, ny, 1), y(ny), dx(nx);
    for (float& v : x)
        v = std::floor(v); // few distinct values: ties in the windows
    std::vector<int> argmax(ny);
    std::string p = "pool" + std::to_string(index) + "_";
    ng_launch(G, T, ng_maxpool2d_forward, (const float*)x.data(), y.data(), argmax.data(), q.B, q.C, q.H, q.W, q.Kh, q.Kw, q.Sh, q.Sw, q.Ph, q.Pw, Ho, Wo);
    print(p + "max_y", y);
    print(p + "max_argmax", argmax);
    ng_launch(G, T, ng_maxpool2d_backward, (const float*)dy.data(), (const int*)argmax.data(), dx.data(), q.B, q.C, q.H, q.W, q.Kh, q.Kw, q.Sh, q.Sw, q.Ph, q.Pw, Ho, Wo);
    print(p + "max_dx", dx);
    vec xs = input(60 + index, nx, 3);
    for (int include = 1; include >= 0; include--)
    {
        std::string a = p + (include ? "avg_" : "avg_exclude_");
        ng_launch(G, T, ng_avgpool2d_forward, (const float*)xs.data(), y.data(), q.B, q.C, q.H, q.W, q.Kh, q.Kw, q.Sh, q.Sw, q.Ph, q.Pw, Ho, Wo, include);
        print(a + "y", y);
        ng_launch(G, T, ng_avgpool2d_backward, (const float*)dy.data(), dx.data(), q.B, q.C, q.H, q.W, q.Kh, q.Kw, q.Sh, q.Sw, q.Ph, q.Pw, Ho, Wo, include);
        print(a + "dx", dx);
    }
}

int main()
{
    // Convolutions: plain with stride and padding (bias, ReLU); stride 1 without padding (the CPU's direct path; no bias);
    // grouped and dilated (bias, identity); depthwise with a multiplier of 2 (bias, ReLU); pointwise 1×1.
    const Conv convs[] = {
        {3, 3, 11, 9, 5, 3, 3, 2, 1, 1, 2, 1, 1, 1, 1, 1},
        {2, 2, 10, 12, 7, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0},
        {2, 4, 9, 10, 6, 3, 2, 1, 2, 2, 1, 2, 1, 2, 1, 0},
        {2, 3, 7, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3, 1, 1},
        {2, 5, 6, 7, 17, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0},
    };
    for (int i = 0; i < (int)(sizeof(convs) / sizeof(convs[0])); i++)
        conv(i, convs[i]);

    // Pooling: 2×2 stride 2; 3×3 stride 2 padding 1; 3×2 stride (1, 2) padding (1, 0); global (the whole 5×7 plane).
    const Pool pools[] = {
        {2, 3, 8, 10, 2, 2, 2, 2, 0, 0},
        {2, 2, 9, 7, 3, 3, 2, 2, 1, 1},
        {1, 3, 6, 9, 3, 2, 1, 2, 1, 0},
        {3, 4, 5, 7, 5, 7, 1, 1, 0, 0},
    };
    for (int i = 0; i < (int)(sizeof(pools) / sizeof(pools[0])); i++)
        pool(i, pools[i]);
    return 0;
}
