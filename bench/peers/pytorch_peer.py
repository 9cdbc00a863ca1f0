#!/usr/bin/python3
"""PyTorch peer of NetGen's compare mode (bench/NetGen.Bench/Compare.cs).

Run by bench/compare.sh as

    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/peers/pytorch_peer.py --out pytorch.json [--reps N]

Same workloads, same timing method as the C# side: warm up (>= 50 calls and >= 0.5 s), pick an inner count so one
repetition lasts >= 20 ms, report the median time per call over `reps` repetitions. One thread
(torch.set_num_threads(1)) first, its best configuration on this 2-core machine; then two threads for the two-core
GEMM workload (gemm_512x512x512_2t) and as extra "@2threads" configurations of mlp_train and spiral_step, because
NetGen's planned kernels split large GEMMs over both cores.

PyTorch is measured in several configurations per workload; every configuration's figure is written out and the
best one is what compare.sh compares against ("best" = most favourable to PyTorch). Each configuration is checked
against the plain eager result before it is timed, so a fast but wrong path cannot win.

Configurations
    GEMM, C[m,n] = A[m,k] . B[n,k]^T (the layout of nn.Linear and of NetGen's Gemm.MatMulNT):
        mm               torch.mm(a, b.t(), out=c)            -> the BLAS that libtorch is linked to
        onednn           torch._C._nn.mkldnn_linear on A, B already in oneDNN (mkldnn) layout; output stays
                         in oneDNN layout (conversions not timed: the kernel alone)
        onednn_dense_io  A converted to oneDNN and C back to dense inside the timed call, B pre-converted
    mlp_train / spiral_step (forward, loss, backward, optimizer step, zero_grad(set_to_none=True)):
        eager            nn.Sequential on dense tensors (Linear -> addmm -> BLAS)
        onednn           the input converted with x.to_mkldnn() inside the step, the logits back with
                         .to_dense(); Linear then dispatches to mkldnn_linear, forward and backward, and the
                         gradients come back dense, so the optimizer is unchanged
        +foreach         the optimizer with foreach=True (multi-tensor update)
    mlp_latency_b1 (model.eval(), one row in, 10 logits out):
        eager_no_grad, eager_inference_mode, trace_freeze, script_freeze (torch.jit.* + torch.jit.freeze),
        optimize_for_inference (torch.jit.optimize_for_inference), mkldnn_module
        (torch.utils.mkldnn.to_mkldnn), mkldnn_trace_freeze (that module traced and frozen)
"""

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.mkldnn

WARMUP_CALLS = 50
WARMUP_SECONDS = 0.5
REPETITION_SECONDS = 0.02


def timeit(body, reps):
    """Median seconds per call, measured like Compare.Time in the C# harness."""
    t0 = time.perf_counter()
    calls = 0
    while calls < WARMUP_CALLS or time.perf_counter() - t0 < WARMUP_SECONDS:
        body()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    inner = max(1, -(-int(REPETITION_SECONDS * 1e9) // max(1, int(per_call * 1e9))))
    samples = []
    for _ in range(reps):
        t = time.perf_counter_ns()
        for _ in range(inner):
            body()
        samples.append((time.perf_counter_ns() - t) / 1e9 / inner)
    return statistics.median(samples)


def blas_library():
    """The BLAS shared object actually mapped into this process (resolved through Debian's alternatives)."""
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if "blas" in name or "mkl_rt" in name or "blis" in name:
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def cpu_capability():
    """ATen's vectorised-kernel level ("AVX2", "AVX512", ...), from the build summary (1.13 has no API for it)."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return None


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def best_of(name, unit, configs, higher_is_better, what, extra=None):
    """configs: {config: value}. Returns the result row with the best configuration."""
    pick = max if higher_is_better else min
    best = pick(configs, key=configs.get)
    for c, v in configs.items():
        log(f"  {name:<18} {c:<28} {v:12.2f} {unit}{'   <- best' if c == best else ''}")
    row = {"workload": name, "unit": unit, "value": round(configs[best], 4), "config": best,
           "configs": {c: round(v, 4) for c, v in configs.items()}, "what": what}
    if extra:
        row.update(extra)
    return row


def gemm(m, k, n, reps):
    g = torch.Generator().manual_seed(3)
    a = torch.rand(m, k, generator=g)
    b = torch.rand(n, k, generator=g)
    c = torch.empty(m, n)
    ref = a.double() @ b.double().t()
    am, bm = a.to_mkldnn(), b.to_mkldnn()
    impls = {
        "mm": lambda: torch.mm(a, b.t(), out=c),
        "onednn": lambda: torch._C._nn.mkldnn_linear(am, bm, None),
        "onednn_dense_io": lambda: torch._C._nn.mkldnn_linear(a.to_mkldnn(), bm, None).to_dense(),
    }
    configs = {}
    for name, f in impls.items():
        out = f()
        out = out.to_dense() if out.is_mkldnn else out
        err = (out.double() - ref).abs().max().item() / ref.abs().max().item()
        assert err < 1e-5, f"gemm {name}: relative error {err}"
        configs[name] = 2.0 * m * n * k / timeit(f, reps) / 1e9
    return best_of(f"gemm_{m}x{k}x{n}", "GFLOP/s", configs, True,
                   f"C[{m},{n}] = A[{m},{k}]·B[{n},{k}]ᵀ, float32")


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def spiral():
    return nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))


def train_configs(make_model, make_opt, x, y, reps):
    """Seconds per training step for each configuration; every configuration starts from the same weights and must
    produce the same first-step loss and update as eager."""
    torch.manual_seed(1)
    base = make_model()
    results = {}
    reference = None
    for layout in ("eager", "onednn"):
        for foreach in (False, True):
            model = copy.deepcopy(base)
            opt = make_opt(model, foreach)
            if layout == "eager":
                def forward(model=model):
                    return model(x)
            else:
                def forward(model=model):
                    return model(x.to_mkldnn()).to_dense()

            def step(model=model, opt=opt, forward=forward):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(forward(), y)
                loss.backward()
                opt.step()
                return loss

            loss = step().item()
            params = torch.cat([p.detach().flatten() for p in model.parameters()])
            if reference is None:
                reference = (loss, params)
            else:
                assert abs(loss - reference[0]) < 1e-5, f"{layout}: loss {loss} vs {reference[0]}"
                assert (params - reference[1]).abs().max().item() < 1e-4, f"{layout}: update differs"
            results[layout + ("+foreach" if foreach else "")] = timeit(step, reps)
    return results


def mlp_train(reps):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(64, 784, generator=g)
    y = torch.arange(64) % 10
    secs = train_configs(mlp, lambda m, fe: torch.optim.Adam(m.parameters(), lr=1e-3, foreach=fe), x, y, reps)
    return best_of("mlp_train", "samples/s", {c: 64 / s for c, s in secs.items()}, True,
                   "MLP 784-256-128-10 ReLU, cross_entropy, Adam lr 1e-3, batch 64: zero_grad+forward+loss+backward+step")


def spiral_step(reps):
    g = torch.Generator().manual_seed(2)
    x = torch.rand(300, 2, generator=g)
    y = torch.arange(300) // 100

    def sgd(model, foreach):
        weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
        biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
        # L2 1e-3 on the weights only, as NetGen's WeightDecay (½·λ·ΣW² in the loss <=> λ·W in the gradient)
        return torch.optim.SGD([{"params": weights, "weight_decay": 1e-3}, {"params": biases, "weight_decay": 0.0}],
                               lr=1.0, foreach=foreach)

    secs = train_configs(spiral, sgd, x, y, reps)
    return best_of("spiral_step", "us", {c: s * 1e6 for c, s in secs.items()}, False,
                   "spiral 2-100-3 ReLU, cross_entropy, SGD lr 1, L2 1e-3 on weights, full batch of 300")


def mlp_latency_b1(reps):
    torch.manual_seed(1)
    model = mlp().eval()
    x1 = torch.rand(1, 784, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = model(x1)

    class ToFromMkldnn(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x.to_mkldnn()).to_dense()

    with torch.no_grad():
        trace_freeze = torch.jit.freeze(torch.jit.trace(copy.deepcopy(model), x1))
        script_freeze = torch.jit.freeze(torch.jit.script(copy.deepcopy(model)))
        opt_inf = torch.jit.optimize_for_inference(torch.jit.script(copy.deepcopy(model)))
        mk = ToFromMkldnn(torch.utils.mkldnn.to_mkldnn(copy.deepcopy(model))).eval()
        mk_trace = torch.jit.freeze(torch.jit.trace(mk, x1).eval())

    def no_grad(f):
        def run():
            with torch.no_grad():
                return f(x1)
        return run

    def inference_mode(f):
        def run():
            with torch.inference_mode():
                return f(x1)
        return run

    impls = {
        "eager_no_grad": no_grad(model),
        "eager_inference_mode": inference_mode(model),
        "trace_freeze": no_grad(trace_freeze),
        "trace_freeze_inference_mode": inference_mode(trace_freeze),
        "script_freeze": no_grad(script_freeze),
        "optimize_for_inference": no_grad(opt_inf),
        "mkldnn_module": no_grad(mk),
        "mkldnn_trace_freeze": no_grad(mk_trace),
    }
    configs = {}
    for name, f in impls.items():
        err = (f() - ref).abs().max().item()
        assert err < 1e-4, f"latency {name}: error {err}"
        configs[name] = timeit(f, reps) * 1e6
    return best_of("mlp_latency_b1", "us", configs, False,
                   "the same MLP in eval mode, one row in, 10 logits out")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="pytorch.json")
    ap.add_argument("--reps", type=int, default=31)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    log(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, BLAS: {blas_library()}")

    results = [gemm(m, k, n, args.reps) for (m, k, n) in [(64, 784, 256), (64, 256, 128), (512, 512, 512)]]
    results += [mlp_train(args.reps), mlp_latency_b1(args.reps), spiral_step(args.reps)]

    # NetGen splits large GEMMs over both cores, so PyTorch gets both cores too: the two-core GEMM is its own
    # workload, and the two-thread runs of the training steps join the configurations those rows pick from.
    torch.set_num_threads(2)
    log(f"now {torch.get_num_threads()} threads")
    two = gemm(512, 512, 512, args.reps)
    two["workload"] = "gemm_512x512x512_2t"
    results.append(two)
    for f in (mlp_train, spiral_step):
        extra = f(args.reps)
        row = next(r for r in results if r["workload"] == extra["workload"])
        for c, v in extra["configs"].items():
            row["configs"][c + "@2threads"] = v
        best = max(row["configs"], key=row["configs"].get) if row["unit"] != "us" else min(row["configs"], key=row["configs"].get)
        row.update({"config": best, "value": row["configs"][best]})
    torch.set_num_threads(1)

    doc = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "blas_library": blas_library(),
        "cpu_capability": cpu_capability(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "method": f"median of {args.reps} repetitions, each >= {REPETITION_SECONDS * 1e3:g} ms of back-to-back "
                  f"calls, after >= {WARMUP_CALLS} calls and {WARMUP_SECONDS} s of warm-up",
        "results": results,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
