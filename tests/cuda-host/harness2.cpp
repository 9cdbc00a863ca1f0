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

// Batch norm over [B, C, S] (training forward, backward, evaluation forward), with γ, β (affine) or without.
static void batchnorm(int index, int B, int C, int S, bool affine)
{
    int n = B * C * S;
    vec x = input(80 + index, n, 2), dy = input(85 + index, n, 1), gamma = input(90 + index, C, 1), beta = input(95 + index, C, 1);
    for (float& v : x)
        v = v + 1.5f;
    vec rm = input(100 + index, C, 1), rv = input(105 + index, C, 1), y(n), mean(C), inv(C), dx(n), dg(C), db(C);
    for (float& v : rv)
        v = v + 2.0f;
    const float* g = affine ? gamma.data() : nullptr;
    const float* b = affine ? beta.data() : nullptr;
    std::string p = "bn" + std::to_string(index) + "_";
    ng_dim3 grid{(unsigned)C, 1, 1};
    ng_launch(grid, RT, ng_batchnorm_forward_training, (const float*)x.data(), g, b, y.data(), mean.data(), inv.data(), rm.data(), rv.data(), B, C, S, (double)0.1f, (double)1e-5f);
    print(p + "y", y); print(p + "mean", mean); print(p + "invstd", inv); print(p + "running_mean", rm); print(p + "running_var", rv);
    ng_launch(grid, RT, ng_batchnorm_backward, (const float*)dy.data(), (const float*)x.data(), g, (const float*)mean.data(), (const float*)inv.data(),
              dx.data(), affine ? dg.data() : nullptr, affine ? db.data() : nullptr, B, C, S);
    print(p + "dx", dx);
    if (affine)
    {
        print(p + "dgamma", dg);
        print(p + "dbeta", db);
    }
    ng_launch(grid, RT, ng_batchnorm_forward_inference, (const float*)x.data(), g, b, (const float*)rm.data(), (const float*)rv.data(), y.data(), B, C, S, (double)1e-5f);
    print(p + "eval_y", y);
}

// Layer norm over [B, n] (forward, input and parameter gradients), with γ, β or without.
static void layernorm(int index, int B, int F, bool affine)
{
    int n = B * F;
    vec x = input(110 + index, n, 2), dy = input(115 + index, n, 1), gamma = input(120 + index, F, 1), beta = input(125 + index, F, 1);
    for (float& v : x)
        v = v - 0.75f;
    vec y(n), mean(B), inv(B), dx(n), dg(F), db(F);
    const float* g = affine ? gamma.data() : nullptr;
    const float* b = affine ? beta.data() : nullptr;
    std::string p = "ln" + std::to_string(index) + "_";
    ng_launch(ng_dim3{(unsigned)B, 1, 1}, RT, ng_layernorm_forward, (const float*)x.data(), g, b, y.data(), mean.data(), inv.data(), B, F, (double)1e-5f);
    print(p + "y", y); print(p + "mean", mean); print(p + "invstd", inv);
    ng_launch(ng_dim3{(unsigned)B, 1, 1}, RT, ng_layernorm_input_grad, (const float*)dy.data(), (const float*)x.data(), g, (const float*)mean.data(), (const float*)inv.data(), dx.data(), B, F);
    print(p + "dx", dx);
    ng_launch(G, T, ng_layernorm_param_grad, (const float*)dy.data(), (const float*)x.data(), (const float*)mean.data(), (const float*)inv.data(), dg.data(), db.data(), B, F);
    print(p + "dgamma", dg); print(p + "dbeta", db);
}

// The dense-target losses over [7, 13] and the multiclass hinges over [9, 7].
static void losses()
{
    const int B = 7, O = 13, n = B * O;
    vec pred = input(130, n, 2), target = input(131, n, 1), d(n);
    std::vector<double> term(n), total(1);
    float scale = (float)(1.0 / n);
    ng_launch(G, T, ng_mae, (const float*)pred.data(), (const float*)target.data(), d.data(), term.data(), n, scale);
    ng_launch(R, RT, ng_reduce_sum_f64, (const double*)term.data(), n, total.data());
    print("mae_loss", total[0]); print("mae_d", d);
    ng_launch(G, T, ng_huber, (const float*)pred.data(), (const float*)target.data(), d.data(), term.data(), n, scale, 0.5);
    ng_launch(R, RT, ng_reduce_sum_f64, (const double*)term.data(), n, total.data());
    print("huber_loss", total[0]); print("huber_d", d);
    vec logits = input(132, n, 6), prob = input(133, n, 1);
    for (float& v : prob)
        v = v * 0.5f + 0.5f; // in [0, 1)
    ng_launch(G, T, ng_bce_with_logits, (const float*)logits.data(), (const float*)prob.data(), d.data(), term.data(), n, scale);
    ng_launch(R, RT, ng_reduce_sum_f64, (const double*)term.data(), n, total.data());
    print("bce_loss", total[0]); print("bce_d", d);
    vec bits = input(134, n, 1);
    for (float& v : bits)
        v = v > 0.0f ? 1.0f : 0.0f;
    vec scores = input(135, n, 2);
    ng_launch(G, T, ng_binary_hinge, (const float*)scores.data(), (const float*)bits.data(), d.data(), term.data(), n, 1.0f / (float)B, 1.0f);
    ng_launch(R, RT, ng_reduce_sum_f64, (const double*)term.data(), n, total.data());
    print("binary_hinge_loss", total[0]); print("binary_hinge_d", d);

    const int Bm = 9, C = 7;
    vec f = input(136, Bm * C, 1), dm(Bm * C);
    std::vector<int> labels(Bm);
    ng_u64 k = key(11, 137, 0, 0);
    for (int r = 0; r < Bm; r++)
        labels[r] = (int)(ng_derive(k, (ng_u64)r) % (ng_u64)C);
    std::vector<double> rows(Bm);
    for (int squared = 0; squared <= 1; squared++)
    {
        std::string p = squared ? "squared_hinge_" : "multiclass_hinge_";
        ng_launch(G, T, ng_multiclass_hinge, (const float*)f.data(), (const int*)labels.data(), dm.data(), rows.data(), Bm, C, 1.0f / (float)Bm, 1.0f, squared);
        ng_launch(R, RT, ng_reduce_sum_f64, (const double*)rows.data(), Bm, total.data());
        print(p + "loss", total[0]); print(p + "d", dm);
    }
}

// AdamW, AMSGrad, RMSProp with momentum / centered / both, AdaDelta: three steps from p = input(140), g_t = input(140 + t).
static void optimizers()
{
    const int n = 1000;
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, alpha = 0.99f, mu = 0.9f, rho = 0.9f;
    vec p[6], s1[6], s2[6], s3[6];
    for (int o = 0; o < 6; o++)
    {
        p[o] = input(140, n, 1);
        s1[o] = vec(n, 0.0f);
        s2[o] = vec(n, 0.0f);
        s3[o] = vec(n, 0.0f);
    }
    for (int t = 1; t <= 3; t++)
    {
        vec g = input(140 + t, n, 1);
        const float* cg = g.data();
        double db1 = b1, db2 = b2;
        float negStep = (float)(-(lr / (1.0 - std::pow(db1, t))));
        float bc2 = (float)std::sqrt(1.0 - std::pow(db2, t));
        ng_launch(G, T, ng_scale, p[0].data(), n, (float)(1.0 - 0.01 * 0.01));
        ng_launch(G, T, ng_adam, p[0].data(), cg, s1[0].data(), s2[0].data(), n, b1, b2, (float)(1.0 - db1), (float)(1.0 - db2), negStep, bc2, eps);
        ng_launch(G, T, ng_amsgrad, p[1].data(), cg, s1[1].data(), s2[1].data(), s3[1].data(), n, b1, b2, (float)(1.0 - db1), (float)(1.0 - db2), negStep, bc2, eps);
        float oma = (float)(1.0 - (double)alpha);
        ng_launch(G, T, ng_rmsprop_general, p[2].data(), cg, s1[2].data(), s2[2].data(), (float*)nullptr, n, -lr, alpha, oma, eps, mu);
        ng_launch(G, T, ng_rmsprop_general, p[3].data(), cg, s1[3].data(), (float*)nullptr, s3[3].data(), n, -lr, alpha, oma, eps, 0.0f);
        ng_launch(G, T, ng_rmsprop_general, p[4].data(), cg, s1[4].data(), s2[4].data(), s3[4].data(), n, -lr, alpha, oma, eps, mu);
        ng_launch(G, T, ng_adadelta, p[5].data(), cg, s1[5].data(), s2[5].data(), n, -1.0f, rho, (float)(1.0 - (double)rho), 1e-6f);
    }
    print("adamw_p", p[0]); print("amsgrad_p", p[1]); print("amsgrad_vmax", s3[1]);
    print("rmsprop_momentum_p", p[2]); print("rmsprop_centered_p", p[3]); print("rmsprop_centered_momentum_p", p[4]);
    print("adadelta_p", p[5]); print("adadelta_u", s2[5]);
}

// L1/L2 penalties and gradients, clipping by value and by global norm, the max-norm constraint.
static void regularisation()
{
    const int n = 500;
    vec w = input(160, n, 1), dw = input(161, n, 1);
    for (int i = 0; i < 10; i++)
        w[i * 37] = 0.0f; // sign(0) = 0
    std::vector<double> total(1);
    ng_launch(R, RT, ng_sum_squares_f64, (const float*)w.data(), n, total.data()); print("sum_squares", total[0]);
    ng_launch(R, RT, ng_sum_abs_f64, (const float*)w.data(), n, total.data()); print("sum_abs", total[0]);
    vec l2 = dw, l1 = dw;
    ng_launch(G, T, ng_add_l2_gradient, (const float*)w.data(), l2.data(), n, 0.01f); print("l2_dw", l2);
    ng_launch(G, T, ng_add_l1_gradient, (const float*)w.data(), l1.data(), n, 0.001f); print("l1_dw", l1);
    vec byValue = dw;
    ng_launch(G, T, ng_clip_by_value, byValue.data(), n, 0.5f); print("clip_value", byValue);
    for (int c = 0; c < 2; c++)
    {
        vec g = dw;
        ng_launch(R, RT, ng_sum_squares_f64, (const float*)g.data(), n, total.data());
        ng_launch(G, T, ng_clip_by_norm, g.data(), n, (const double*)total.data(), c == 0 ? 1.0 : 100.0);
        print(c == 0 ? "clip_norm_1" : "clip_norm_100", g);
    }
    const int units = 7, fanIn = 45;
    vec m = input(162, units * fanIn, 1);
    for (int u = 0; u < units; u++)
        for (int i = 0; i < fanIn; i++)
            m[u * fanIn + i] = m[u * fanIn + i] * ((float)(u + 1) * 0.25f);
    ng_launch(ng_dim3{units, 1, 1}, RT, ng_max_norm, m.data(), units, fanIn, 3.0);
    print("max_norm", m);
}

// Cross-entropy with label smoothing (labels) and with probability targets, [9, 7].
static void softTargets()
{
    const int B = 9, C = 7;
    vec f = input(170, B * C, 3), t = input(171, B * C, 1), d(B * C);
    for (float& v : t)
        v = v * 0.5f + 0.5f;
    std::vector<int> labels(B);
    ng_u64 k = key(11, 172, 0, 0);
    for (int r = 0; r < B; r++)
        labels[r] = (int)(ng_derive(k, (ng_u64)r) % (ng_u64)C);
    std::vector<double> rows(B), total(1);
    ng_launch(G, T, ng_softmax_cross_entropy_soft, (const float*)f.data(), (const int*)labels.data(), (const float*)nullptr, d.data(), rows.data(), B, C, 1.0 - 0.1, 0.1 / C, 1.0 / B);
    ng_launch(R, RT, ng_reduce_sum_f64, (const double*)rows.data(), B, total.data());
    print("smoothed_loss", total[0]); print("smoothed_d", d);
    ng_launch(G, T, ng_softmax_cross_entropy_soft, (const float*)f.data(), (const int*)nullptr, (const float*)t.data(), d.data(), rows.data(), B, C, 1.0 - 0.2, 0.2 / C, 1.0 / B);
    ng_launch(R, RT, ng_reduce_sum_f64, (const double*)rows.data(), B, total.data());
    print("soft_loss", total[0]); print("soft_d", d);
}

// Channel PReLU [5, 6, 23], Maxout [4, 3·3, 11], stochastic depth and Dropout2d row masks, vanilla dropout.
static void moreLayers()
{
    const int rows = 5, C = 6, inner = 23, n = rows * C * inner;
    vec x = input(180, n, 2), dy = input(181, n, 1), a = input(182, C, 0.5f), y(n), dx(n), da(C);
    ng_launch(G, T, ng_channel_prelu_forward, (const float*)x.data(), (const float*)a.data(), y.data(), n, C, inner);
    print("channel_prelu_y", y);
    ng_launch(ng_dim3{(unsigned)C, 1, 1}, RT, ng_channel_prelu_backward, (const float*)dy.data(), (const float*)x.data(), (const float*)a.data(), dx.data(), da.data(), rows, C, inner);
    print("channel_prelu_dx", dx); print("channel_prelu_da", da);

    const int units = 3, pieces = 3, mi = 11, mrows = 4, nx = mrows * units * pieces * mi, ny = mrows * units * mi;
    vec mx = input(183, nx, 2), mdy = input(184, ny, 1), my(ny), mdx(nx);
    for (float& v : mx)
        v = std::floor(v); // ties
    ng_launch(G, T, ng_maxout_forward, (const float*)mx.data(), my.data(), ny, pieces, mi);
    print("maxout_y", my);
    ng_launch(G, T, ng_maxout_backward, (const float*)mdy.data(), (const float*)mx.data(), mdx.data(), nx, pieces, mi);
    print("maxout_dx", mdx);

    const int samples = 40, per = 7;
    vec sx = input(185, samples * per, 1), sdy = input(186, samples * per, 1), sy(samples * per), smask(samples), sdx(samples * per);
    double p = 0.3;
    ng_launch(G, T, ng_row_dropout_forward, (const float*)sx.data(), sy.data(), smask.data(), samples, per, key(5, 1, 8, 2), p, 1.0f / (float)(1.0 - p));
    print("row_mask", smask); print("row_y", sy);
    ng_launch(G, T, ng_row_scale, (const float*)sdy.data(), (const float*)smask.data(), sdx.data(), samples * per, per);
    print("row_dx", sdx);
    vec vmask(n);
    ng_launch(G, T, ng_dropout_forward, (const float*)x.data(), y.data(), vmask.data(), n, key(5, 1, 8, 3), 0.25, 1.0f);
    print("vanilla_mask", vmask); print("vanilla_y", y);
    ng_launch(G, T, ng_scale_copy, (const float*)x.data(), y.data(), n, (float)(1.0 - 0.25));
    print("vanilla_inference", y);
}

// Local response norm [3, 7, 5·4], n = 3 (and n = 4: the asymmetric window), α = 1e-2, β = 0.75, k = 2.
static void lrn()
{
    const int B = 3, C = 7, plane = 20, n = B * C * plane;
    vec x = input(190, n, 3), dy = input(191, n, 1), y(n), dx(n);
    for (int size = 3; size <= 4; size++)
    {
        std::string p = "lrn" + std::to_string(size) + "_";
        ng_launch(G, T, ng_lrn_forward, (const float*)x.data(), y.data(), B, C, plane, size, 0.01f, 0.75f, 2.0f);
        print(p + "y", y);
        ng_launch(G, T, ng_lrn_backward, (const float*)dy.data(), (const float*)x.data(), dx.data(), B, C, plane, size, 0.01f, 0.75f, 2.0f);
        print(p + "dx", dx);
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

    // Normalisation: BatchNorm2d [3, 5, 6·7] affine; BatchNorm1d [9, 11] without γ, β; LayerNorm [5, 300] affine
    // (more features than threads) and [3, 17] without.
    batchnorm(0, 3, 5, 42, true);
    batchnorm(1, 9, 11, 1, false);
    layernorm(0, 5, 300, true);
    layernorm(1, 3, 17, false);

    losses();
    optimizers();
    regularisation();
    softTargets();
    moreLayers();
    lrn();

    {   // residual: y = a + b, then sum += contribution in place
        const int n = 300;
        vec a = input(150, n, 1), b = input(151, n, 1), y(n);
        ng_launch(G, T, ng_add, (const float*)a.data(), (const float*)b.data(), y.data(), n);
        print("residual_y", y);
        ng_launch(G, T, ng_add, (const float*)y.data(), (const float*)a.data(), y.data(), n);
        print("residual_accumulated", y);
    }
    return 0;
}
