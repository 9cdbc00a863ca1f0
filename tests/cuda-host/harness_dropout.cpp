// harness_dropout.cpp: the kernels of kernels_dropout.cu (Gaussian dropout, standout, DropConnect) and their double e^x,
// ln x, cos x and Box–Muller, run under emulate.h on inputs drawn from the counter RNG; prints each result as "name count"
// and then the values (%.17g: doubles and floats round-trip). CudaDropoutEmulationTests computes the same cases with the
// C# CPU kernels (and .NET's Math) and compares.
// Build: g++ -std=c++20 -O1 -ffp-contract=off -pthread -include emulate.h harness_dropout.cpp -o harness_dropout
#include "../../src/Runtime/Cuda/kernels.cu"
#include <cstdio>
#include <string>
#include <vector>

typedef std::vector<float> vec;

static ng_u64 key(ng_u64 seed, ng_u64 stream, ng_u64 a, ng_u64 b) { return ng_derive(ng_derive(ng_derive(seed, stream), a), b); }

// (Uniform(Key(11, stream, 0, 0), i) · 2 − 1) · scale: the test inputs (CudaHarness.Input).
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
static void print(const std::string& name, const std::vector<double>& v)
{
    std::printf("%s %d\n", name.c_str(), (int)v.size());
    for (double d : v)
        std::printf("%.17g\n", d);
}

static const ng_dim3 G{3, 1, 1}, T{64, 1, 1};

int main()
{
    // The double functions on their own, over the ranges the kernels use them on (CudaDropoutEmulationTests.MathCases).
    {
        const int n = 2001;
        std::vector<double> ex(n), lg(n), cs(n), nm(n);
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / (n - 1);
            ex[i] = ng_exp_f64(-740.0 + 1449.0 * t);         // e^x over [−740, 709]
            lg[i] = ng_log_f64(1.0 - t * (1.0 - 1.0 / 9007199254740992.0)); // ln x over (0, 1]
            cs[i] = ng_cos_f64(2.0 * 3.14159265358979323846 * t * 0.9999); // cos over [0, 2π)
            nm[i] = ng_normal_f64(key(5, 1, 3, 4), (ng_u64)i);
        }
        print("exp", ex);
        print("log", lg);
        print("cos", cs);
        print("normal", nm);
        std::vector<double> edge = {ng_exp_f64(0.0), ng_exp_f64(709.78), std::isinf(ng_exp_f64(710.0)) ? 1.0 : 0.0, ng_exp_f64(-746.0), ng_exp_f64(-1e-300),
                                    ng_log_f64(1.0), ng_log_f64(1.0 / 9007199254740992.0), ng_cos_f64(0.0)};
        print("edges", edge);
        vec normals(777);
        ng_launch(G, T, ng_rng_normal, normals.data(), 777, key(5, 1, 3, 4));
        print("rng_normal", normals);
    }

    // Gaussian dropout over [5, 7·23] with p = 0.3 (σ = √(0.3/0.7)), and p = 0 (σ = 0: the mask is 1).
    {
        const int n = 5 * 161;
        vec x = input(200, n, 2), y(n), mask(n);
        ng_launch(G, T, ng_gaussian_dropout_forward, (const float*)x.data(), y.data(), mask.data(), n, key(5, 1, 2, 7), std::sqrt(0.3 / 0.7));
        print("gaussian_mask", mask); print("gaussian_y", y);
        ng_launch(G, T, ng_gaussian_dropout_forward, (const float*)x.data(), y.data(), mask.data(), n, key(5, 1, 2, 8), 0.0);
        print("gaussian0_mask", mask); print("gaussian0_y", y);
    }

    // Standout over [6, 50] with α = 1.5, β = −0.5 (inputs up to ±4: π from 0.001 to 0.996), and α = 60 (π saturates).
    {
        const int n = 300;
        vec x = input(201, n, 4), y(n), mask(n);
        ng_launch(G, T, ng_standout_forward, (const float*)x.data(), y.data(), mask.data(), n, key(5, 1, 4, 1), 1.5, -0.5);
        print("standout_mask", mask); print("standout_y", y);
        ng_launch(G, T, ng_standout_inference, (const float*)x.data(), y.data(), n, 1.5, -0.5);
        print("standout_inference", y);
        ng_launch(G, T, ng_standout_forward, (const float*)x.data(), y.data(), mask.data(), n, key(5, 1, 4, 2), 60.0, 0.25);
        print("standout60_mask", mask);
        ng_launch(G, T, ng_standout_inference, (const float*)x.data(), y.data(), n, 60.0, 0.25);
        print("standout60_inference", y);
    }

    // DropConnect [B = 5, I = 19, O = 7], p = 0.4, with and without bias; moment matching with Z = 300.
    {
        const int B = 5, I = 19, O = 7;
        const double p = 0.4;
        float keep = 1.0f / (float)(1.0 - p);
        vec x = input(202, B * I, 1), w = input(203, O * I, 0.5f), b = input(204, O, 0.5f), dy = input(205, B * O, 1);
        vec y(B * O), dw(O * I), dx(B * I);
        ng_u64 k = key(5, 1, 6, 3);
        for (int bias = 1; bias >= 0; bias--)
        {
            std::string s = bias ? "dc_" : "dc_nobias_";
            ng_launch(G, T, ng_dropconnect_forward, (const float*)x.data(), (const float*)w.data(), bias ? (const float*)b.data() : (const float*)nullptr, y.data(), B, I, O, k, p, keep);
            print(s + "y", y);
        }
        dy[3] = 0.0f; // a zero gradient is skipped, as on the CPU
        ng_launch(G, T, ng_dropconnect_weight_grad, (const float*)dy.data(), (const float*)x.data(), dw.data(), B, I, O, k, p, keep);
        print("dc_dw", dw);
        ng_launch(G, T, ng_dropconnect_input_grad, (const float*)dy.data(), (const float*)w.data(), dx.data(), B, I, O, k, p, keep);
        print("dc_dx", dx);
        ng_launch(G, T, ng_dropconnect_moment_matching_relu, (const float*)x.data(), (const float*)w.data(), (const float*)b.data(), y.data(), B, I, O, p / (1.0 - p), 300, key(5, 1, 6, ~0ull));
        print("dc_mm_y", y);
    }
    return 0;
}
