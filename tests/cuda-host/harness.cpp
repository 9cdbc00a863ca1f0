// harness.cpp: every kernel of kernels.cu on inputs drawn from the counter RNG (the same values the C# test draws with
// CounterRng), run under emulate.h; prints each result as "name count" and then the values (%.9g: floats round-trip).
// Build: g++ -std=c++20 -O1 -ffp-contract=off -pthread -include emulate.h harness.cpp -o harness
#include "../../src/Runtime/Cuda/kernels.cu"
#include <cstdio>
#include <vector>

typedef std::vector<float> vec;

static ng_u64 key(ng_u64 seed, ng_u64 stream, ng_u64 a, ng_u64 b) { return ng_derive(ng_derive(ng_derive(seed, stream), a), b); }

// (Uniform(Key(11, stream, 0, 0), i) · 2 − 1) · scale: the test inputs (CudaHostEmulationTests.Input).
static vec input(ng_u64 stream, int n, float scale)
{
    vec v(n);
    ng_u64 k = key(11, stream, 0, 0);
    for (int i = 0; i < n; i++)
        v[i] = (ng_uniform(k, (ng_u64)i) * 2.0f - 1.0f) * scale;
    return v;
}

static void print(const char* name, const float* v, int n)
{
    std::printf("%s %d\n", name, n);
    for (int i = 0; i < n; i++)
        std::printf("%.9g\n", v[i]);
}
static void print(const char* name, const vec& v) { print(name, v.data(), (int)v.size()); }
static void print(const char* name, double d) { std::printf("%s 1\n%.17g\n", name, d); }

static const ng_dim3 G{2, 1, 1}, T{64, 1, 1}, R{1, 1, 1}, RT{NG_REDUCE_THREADS, 1, 1};

int main()
{
    const int n = 1000;
    {   // RNG and dropout
        vec u(n);
        ng_launch(G, T, ng_rng_uniform, u.data(), n, key(7, 1, 2, 3));
        print("uniform", u);
        vec x = input(1, n, 3), y(n), mask(n);
        double p = 0.3;
        ng_launch(G, T, ng_dropout_forward, (const float*)x.data(), y.data(), mask.data(), n, key(5, 1, 4, 9), p, 1.0f / (float)(1.0 - p));
        print("dropout_mask", mask);
        print("dropout_y", y);
        vec dx(n), dy = input(2, n, 1);
        ng_launch(G, T, ng_multiply, (const float*)dy.data(), (const float*)mask.data(), dx.data(), n);
        print("dropout_dx", dx);
    }
    {   // activations: forward from x, backward from dy and the forward's own output
        vec x = input(1, n, 3), dy = input(2, n, 1), y(n), dx(n);
        const float* cx = x.data(); const float* cdy = dy.data(); const float* cy = y.data();
        ng_launch(G, T, ng_relu_forward, cx, y.data(), n); print("relu_y", y);
        ng_launch(G, T, ng_relu_backward, cdy, cy, dx.data(), n); print("relu_dx", dx);
        ng_launch(G, T, ng_leaky_relu_forward, cx, y.data(), n, 0.01f); print("leaky_relu_y", y);
        ng_launch(G, T, ng_leaky_relu_backward, cdy, cx, dx.data(), n, 0.01f); print("leaky_relu_dx", dx);
        vec a{0.25f}, da{0.0f};
        ng_launch(G, T, ng_prelu_forward, cx, y.data(), n, (const float*)a.data()); print("prelu_y", y);
        ng_launch(R, RT, ng_prelu_backward, cdy, cx, dx.data(), n, (const float*)a.data(), da.data());
        print("prelu_dx", dx); print("prelu_da", da);
        ng_launch(G, T, ng_sigmoid_forward, cx, y.data(), n); print("sigmoid_y", y);
        ng_launch(G, T, ng_sigmoid_backward, cdy, cy, dx.data(), n); print("sigmoid_dx", dx);
        ng_launch(G, T, ng_tanh_forward, cx, y.data(), n); print("tanh_y", y);
        ng_launch(G, T, ng_tanh_backward, cdy, cy, dx.data(), n); print("tanh_dx", dx);
        ng_launch(G, T, ng_elu_forward, cx, y.data(), n, 1.0f); print("elu_y", y);
        ng_launch(G, T, ng_elu_backward, cdy, cx, cy, dx.data(), n, 1.0f); print("elu_dx", dx);
        // the epilogue: y = act(x + b) over [40, 25], every activation
        const char* names[] = {"bias_identity", "bias_relu", "bias_leaky_relu", "bias_sigmoid", "bias_tanh", "bias_elu"};
        float alphas[] = {0, 0, 0.01f, 0, 0, 1.0f};
        vec b = input(5, 25, 1);
        for (int act = 0; act < 6; act++)
        {
            vec z(x.begin(), x.end());
            ng_launch(G, T, ng_bias_activation, z.data(), (const float*)b.data(), 40, 25, act, alphas[act]);
            print(names[act], z);
        }
    }
    {   // Dense through the tiled GEMM, sizes that are not multiples of the tile
        const int B = 37, I = 53, O = 19;
        vec x = input(3, B * I, 1), w = input(4, O * I, 1), b = input(5, O, 1), dy = input(6, B * O, 1);
        vec y(B * O), dx(B * I), dw(O * I), db(O);
        ng_dim3 block{NG_TILE, NG_TILE, 1};
        auto grid = [](int rows, int cols) { return ng_dim3{(unsigned)((cols + NG_TILE - 1) / NG_TILE), (unsigned)((rows + NG_TILE - 1) / NG_TILE), 1}; };
        // y = relu(x·Wᵀ + b)
        ng_launch(grid(B, O), block, ng_sgemm, 0, 1, B, O, I, (const float*)x.data(), I, (const float*)w.data(), I, y.data(), O, 0.0f, (const float*)b.data(), 1, 0.0f);
        print("dense_y", y);
        // dx = dy·W; dW = dyᵀ·x; db = Σ_B dy
        ng_launch(grid(B, I), block, ng_sgemm, 0, 0, B, I, O, (const float*)dy.data(), O, (const float*)w.data(), I, dx.data(), I, 0.0f, (const float*)nullptr, 0, 0.0f);
        print("dense_dx", dx);
        ng_launch(grid(O, I), block, ng_sgemm, 1, 0, O, I, B, (const float*)dy.data(), O, (const float*)x.data(), I, dw.data(), I, 0.0f, (const float*)nullptr, 0, 0.0f);
        print("dense_dw", dw);
        ng_launch(G, T, ng_column_sums, (const float*)dy.data(), db.data(), B, O, 0);
        print("dense_db", db);
    }
    {   // softmax cross-entropy, B = 9, C = 7; MSE over 60 values
        const int B = 9, C = 7;
        vec logits = input(12, B * C, 3), d(B * C);
        std::vector<int> labels(B);
        ng_u64 k = key(11, 13, 0, 0);
        for (int r = 0; r < B; r++)
            labels[r] = (int)(ng_derive(k, (ng_u64)r) % (ng_u64)C);
        std::vector<double> loss(B), total(1);
        ng_launch(G, T, ng_softmax_cross_entropy, (const float*)logits.data(), (const int*)labels.data(), d.data(), loss.data(), B, C);
        ng_launch(R, RT, ng_reduce_sum_f64, (const double*)loss.data(), B, total.data());
        print("xent_loss", total[0]);
        print("xent_d", d);
        const int m = 60;
        vec pred = input(14, m, 1), target = input(15, m, 1), dp(m);
        std::vector<double> sq(m);
        ng_launch(G, T, ng_mse, (const float*)pred.data(), (const float*)target.data(), dp.data(), sq.data(), m, (float)(2.0 / m));
        ng_launch(R, RT, ng_reduce_sum_f64, (const double*)sq.data(), m, total.data());
        print("mse_loss", total[0]);
        print("mse_d", dp);
    }
    {   // optimizers: three steps from p = input(7), g_t = input(8 + t)
        const float lr = 0.01f, mu = 0.9f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, alpha = 0.99f;
        vec p[6], s1[6], s2[6];
        for (int o = 0; o < 6; o++)
        {
            p[o] = input(7, n, 1);
            s1[o] = vec(n, 0.0f);
            s2[o] = vec(n, 0.0f);
        }
        for (int t = 1; t <= 3; t++)
        {
            vec g = input(7 + t, n, 1);
            const float* cg = g.data();
            ng_launch(G, T, ng_sgd, p[0].data(), cg, n, -lr);
            ng_launch(G, T, ng_momentum, p[1].data(), cg, s1[1].data(), n, -lr, mu);
            ng_launch(G, T, ng_nesterov, p[2].data(), cg, s1[2].data(), n, -lr, mu);
            double db1 = b1, db2 = b2;
            float negStep = (float)(-(lr / (1.0 - std::pow(db1, t))));
            float bc2 = (float)std::sqrt(1.0 - std::pow(db2, t));
            ng_launch(G, T, ng_adam, p[3].data(), cg, s1[3].data(), s2[3].data(), n, b1, b2, (float)(1.0 - db1), (float)(1.0 - db2), negStep, bc2, eps);
            ng_launch(G, T, ng_adagrad, p[4].data(), cg, s1[4].data(), n, -lr, 1e-10f);
            ng_launch(G, T, ng_rmsprop, p[5].data(), cg, s1[5].data(), n, -lr, alpha, (float)(1.0 - (double)alpha), eps);
        }
        print("sgd_p", p[0]); print("momentum_p", p[1]); print("nesterov_p", p[2]);
        print("adam_p", p[3]); print("adagrad_p", p[4]); print("rmsprop_p", p[5]);
    }
    return 0;
}
