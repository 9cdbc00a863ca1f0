#!/usr/bin/python3
"""PyTorch CUDA peer of NetGen's CUDA benchmark (`NetGen.CudaCheck --bench`, tests/gpu/NetGen.CudaCheck/Bench.cs).

Run on the GPU machine by tests/gpu/run-gpu-all.sh as

    python3 bench/peers/pytorch_cuda_peer.py --out pytorch-cuda.json [--reps N]

and rehearsed without a GPU (PyTorch 1.13 on the CPU, no torch.compile) as

    /usr/bin/python3 bench/peers/pytorch_cuda_peer.py --device cpu --no-compile --quick --out pytorch-cuda.json

(--identity-compile instead of --no-compile runs the compile configurations' code with torch.compile replaced by the
identity, to smoke-test it where PyTorch has no torch.compile.)

Networks (the same as tests/gpu/NetGen.CudaCheck/BenchNetworks.cs and the CPU benchmark's):
    mlp  784 -> Linear 256 -> ReLU -> Linear 128 -> ReLU -> Linear 10; cross_entropy, Adam lr 1e-3
    cnn  1x28x28 -> conv3x3(8) -> ReLU -> maxpool2 -> conv3x3(16) -> ReLU -> maxpool2 (padding 1) -> flatten 576
         -> Linear(10); cross_entropy, SGD lr 0.01 momentum 0.9

Workloads: mlp_train_b64, mlp_train_b4096, cnn_train_b64 (zero_grad(set_to_none=True) + forward + loss + backward +
step), mlp_latency_b1, cnn_latency_b1 (eval mode; one row copied from the host, the 10 scores copied back, as NetGen's
Predict does).

Configurations (each checked against the first, plain eager, before it is timed: training the losses of two steps
within 2e-4 and the parameters within 2e-2 of the largest, latency the scores within 1e-4; a configuration that fails
records its error and the others go on):
    training   eager              model and data on the device, the optimizer's default (foreach) implementation
               eager_fused        the same with the fused optimizer (fused=True)
               eager_host_data    inputs and labels copied from the host every step (what NetGen's TrainStep does)
               compile            torch.compile(mode="reduce-overhead") of model + loss (CUDA graphs through
                                  cudagraph trees), the fused optimizer (foreach where fused is refused)
               compile_step       the whole step function (zero_grad, forward, loss, backward, step) under
                                  torch.compile(mode="reduce-overhead")
    latency    eager_no_grad, eager_inference_mode, compile (reduce-overhead, under inference_mode)
bench/cuda_compare.py compares NetGen with the best "eager*" and the best "compile*" configuration of each workload
(best = most favourable to PyTorch).

Precision: float32 throughout, TF32 off (torch.backends.cuda.matmul.allow_tf32 = False,
torch.backends.cudnn.allow_tf32 = False): NetGen's kernels are float32 FMA. cudnn.benchmark is on.

Timing (the same as the NetGen side): the first call timed on its own (it compiles and captures), then warm-up
(>= 50 calls and >= 0.5 s), then the median, mean and minimum per call over `reps` repetitions of back-to-back calls,
each >= 20 ms and closed by torch.cuda.synchronize(), on the host's monotonic clock. A training step does not read its
loss back (PyTorch may run ahead; NetGen's TrainStep returns the loss, so it waits every step).

torch.compile fails soft: when it is missing (PyTorch < 2), refused (--no-compile) or raises, the configuration holds
{"error": "..."} and the run goes on. --compile-budget-s caps the seconds spent compiling (first calls) in all;
compile_step only starts while less than 40 % of it is spent. The JSON is rewritten after every workload, so a run
stopped by a timeout keeps the rows it finished ("complete": false).
"""

import argparse
import copy
import json
import platform
import statistics
import sys
import time
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

WARMUP_CALLS = 50
WARMUP_SECONDS = 0.5
REPETITION_SECONDS = 0.02


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2, padding=1),
                         nn.Flatten(), nn.Linear(576, 10))


class Timer:
    def __init__(self, device, reps, quick):
        self.device = device
        self.reps = reps
        self.warmup_calls = 1 if quick else WARMUP_CALLS
        self.warmup_seconds = 0.0 if quick else WARMUP_SECONDS
        self.repetition_seconds = 0.0 if quick else REPETITION_SECONDS

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def time(self, body, first_call_s, batch):
        """body() has been called once already (first_call_s); returns the row's statistics in microseconds."""
        t0 = time.perf_counter()
        calls = 0
        while calls < self.warmup_calls or time.perf_counter() - t0 < self.warmup_seconds:
            body()
            calls += 1
        self.sync()
        per_call = (time.perf_counter() - t0) / max(1, calls)
        inner = max(1, -(-int(self.repetition_seconds * 1e9) // max(1, int(per_call * 1e9))))
        samples = []
        for _ in range(self.reps):
            self.sync()
            t = time.perf_counter_ns()
            for _ in range(inner):
                body()
            self.sync()
            samples.append((time.perf_counter_ns() - t) / 1e3 / inner)
        median = statistics.median(samples)
        return {"median_us": round(median, 3), "mean_us": round(statistics.fmean(samples), 3),
                "min_us": round(min(samples), 3), "rows_per_s": round(batch / (median * 1e-6), 3),
                "first_call_us": round(first_call_s * 1e6, 3), "reps": self.reps, "inner": inner}


class Compiler:
    """torch.compile(mode="reduce-overhead"), failing soft, within a budget of compile seconds."""

    def __init__(self, enabled, budget_s):
        self.budget_s = budget_s
        self.spent_s = 0.0
        if not enabled:
            self.unavailable = "torch.compile not run (--no-compile)"
        elif not hasattr(torch, "compile"):
            self.unavailable = f"torch.compile unavailable in PyTorch {torch.__version__}"
        else:
            self.unavailable = None

    def refuse(self, config="compile"):
        """Why `config` is not to be started, or None. compile_step (the extra configuration) only starts while less
        than 40 % of the budget is spent, so it cannot crowd out a later row's plain compile configuration."""
        if self.unavailable:
            return self.unavailable
        share = 0.4 if config == "compile_step" else 1.0
        if self.spent_s > self.budget_s * share:
            return (f"skipped: {self.spent_s:.0f} s of compilation spent, over {share:.0%} of "
                    f"--compile-budget-s {self.budget_s:g}")
        return None

    def __call__(self, fn):
        return torch.compile(fn, mode="reduce-overhead")


def mark_step():
    """A new iteration for cudagraph trees (their outputs may be overwritten by the next replay)."""
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "cudagraph_mark_step_begin"):
        compiler.cudagraph_mark_step_begin()


def error_text(e):
    text = f"{type(e).__name__}: {e}".strip()
    return text if len(text) <= 600 else text[:600] + "..."


def flat(model):
    return torch.cat([p.detach().flatten().double().cpu() for p in model.parameters()])


def make_optimizer(kind, model, variant):
    """variant: "default" (foreach where PyTorch picks it), "fused" (fused=True; foreach if refused at construction)."""
    def build(**extra):
        if kind == "adam":
            return torch.optim.Adam(model.parameters(), lr=1e-3, **extra)
        return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, **extra)
    if variant == "fused":
        try:
            return build(fused=True), "fused"
        except (RuntimeError, TypeError, ValueError) as e:
            log(f"    fused {kind} refused ({error_text(e)}): foreach instead")
            return build(foreach=True), "foreach"
    return build(), "default"


def train_workload(name, what, make_model, optimizer, in_shape, batch, timer, compiler, device):
    torch.manual_seed(1)
    base = make_model().to(device)
    g = torch.Generator().manual_seed(1)
    x_host = torch.rand(batch, *in_shape, generator=g)
    y_host = torch.arange(batch) % 10
    x, y = x_host.to(device), y_host.to(device)

    class WithLoss(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, xs, ys):
            return F.cross_entropy(self.inner(xs), ys)

    def build(config, model):
        """Returns (step, notes): step() runs one training step and returns the loss tensor."""
        if config in ("eager", "eager_host_data"):
            opt, used = make_optimizer(optimizer, model, "default")
        else:
            opt, used = make_optimizer(optimizer, model, "fused")
        notes = {"optimizer": f"{type(opt).__name__} ({used})"}
        if config in ("eager", "eager_fused"):
            def step():
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                return loss
        elif config == "eager_host_data":
            def step():
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x_host.to(device)), y_host.to(device))
                loss.backward()
                opt.step()
                return loss
        elif config == "compile":
            loss_fn = compiler(WithLoss(model))

            def step():
                mark_step()
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(x, y)
                loss.backward()
                opt.step()
                return loss
        else:  # compile_step
            def whole():
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                return loss
            compiled = compiler(whole)

            def step():
                mark_step()
                return compiled()
        return step, notes

    configs = {}
    reference = None
    for config in ("eager", "eager_fused", "eager_host_data", "compile", "compile_step"):
        compiling = config.startswith("compile")
        if compiling and compiler.refuse(config):
            configs[config] = {"error": compiler.refuse(config)}
            log(f"  {name:<16} {config:<18} {configs[config]['error']}")
            continue
        t0, counted = time.perf_counter(), False
        try:
            model = copy.deepcopy(base)
            step, notes = build(config, model)
            t0 = time.perf_counter()
            losses = [step().item()]
            timer.sync()
            first = time.perf_counter() - t0
            if compiling:
                compiler.spent_s += first
                counted = True
            losses.append(step().item())  # the second loss shows the first update was applied
            params = flat(model)
            if reference is None:
                reference = (losses, params)
            else:
                # Adam's first update is about lr·sign(g): a gradient that is 0 up to round-off may flip its sign in
                # another summation order, so the parameters are compared loosely and the losses of both steps tightly.
                loss_error = max(abs(a - b) / max(abs(b), 1e-6) for a, b in zip(losses, reference[0]))
                param_error = (params - reference[1]).abs().max().item() / reference[1].abs().max().item()
                if loss_error > 2e-4 or param_error > 2e-2:
                    raise AssertionError(f"two steps differ from eager: losses {losses!r} vs {reference[0]!r}, "
                                         f"parameters {param_error:.2e} relative")
            stats = timer.time(step, first, batch)
            stats.update(notes)
            configs[config] = stats
            log(f"  {name:<16} {config:<18} median {stats['median_us']:10.1f} us  min {stats['min_us']:10.1f}"
                f"  first call {first * 1e3:8.1f} ms  {stats['rows_per_s']:12.0f} rows/s  ({notes['optimizer']})")
        except Exception as e:  # fail soft: record and go on
            if compiling and not counted:  # a compilation that failed still spent its time
                compiler.spent_s += time.perf_counter() - t0
            configs[config] = {"error": error_text(e)}
            log(f"  {name:<16} {config:<18} FAILED {configs[config]['error']}")
            if not isinstance(e, AssertionError):
                traceback.print_exc(limit=3, file=sys.stderr)
    return row(name, what, "samples/s", batch, configs)


def latency_workload(name, what, make_model, in_shape, timer, compiler, device):
    torch.manual_seed(1)
    model = make_model().to(device).eval()
    x1 = torch.rand(1, *in_shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = model(x1.to(device)).cpu()

    def eager(mode):
        def run():
            with mode():
                return model(x1.to(device)).cpu()
        return run

    configs = {}
    for config in ("eager_no_grad", "eager_inference_mode", "compile"):
        if config == "compile" and compiler.refuse():
            configs[config] = {"error": compiler.refuse()}
            log(f"  {name:<16} {config:<18} {configs[config]['error']}")
            continue
        t0, counted = time.perf_counter(), False
        try:
            if config == "compile":
                compiled = compiler(copy.deepcopy(model))

                def f():
                    with torch.inference_mode():
                        mark_step()
                        return compiled(x1.to(device)).cpu()
            else:
                f = eager(torch.no_grad if config == "eager_no_grad" else torch.inference_mode)
            t0 = time.perf_counter()
            out = f()
            first = time.perf_counter() - t0
            if config == "compile":
                compiler.spent_s += first
                counted = True
            err = (out - ref).abs().max().item() / max(ref.abs().max().item(), 1e-6)
            if err > 1e-4:
                raise AssertionError(f"output differs from eager by {err:.2e} relative")
            stats = timer.time(f, first, 1)
            configs[config] = stats
            log(f"  {name:<16} {config:<18} median {stats['median_us']:10.1f} us  min {stats['min_us']:10.1f}"
                f"  first call {first * 1e3:8.1f} ms")
        except Exception as e:
            if config == "compile" and not counted:
                compiler.spent_s += time.perf_counter() - t0
            configs[config] = {"error": error_text(e)}
            log(f"  {name:<16} {config:<18} FAILED {configs[config]['error']}")
            if not isinstance(e, AssertionError):
                traceback.print_exc(limit=3, file=sys.stderr)
    return row(name, what, "us", 1, configs)


def best(configs, prefix):
    timed = {c: v for c, v in configs.items() if c.startswith(prefix) and "median_us" in v}
    return min(timed, key=lambda c: timed[c]["median_us"]) if timed else None


def row(name, what, unit, batch, configs):
    return {"workload": name, "what": what, "unit": unit, "batch": batch, "configs": configs,
            "best_eager": best(configs, "eager"), "best_compile": best(configs, "compile")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="pytorch-cuda.json")
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu (the local smoke test)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per configuration (default 31; 3 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="rehearsal: a few calls per configuration, and the batch-4096 row at 256 rows")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile configurations")
    ap.add_argument("--identity-compile", action="store_true",
                    help="smoke test of the compile configurations' code where torch.compile is missing (PyTorch 1.13): "
                         "torch.compile replaced by the identity; their figures then mean nothing")
    ap.add_argument("--compile-budget-s", type=float, default=240.0,
                    help="stop starting torch.compile configurations after this many seconds of compilation")
    args = ap.parse_args()
    reps = args.reps if args.reps is not None else (3 if args.quick else 31)

    doc = {"side": "pytorch", "torch": torch.__version__, "python": platform.python_version(),
           "requested_device": args.device, "quick": args.quick}
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        doc.update({"skipped": f"torch.cuda.is_available() is False (PyTorch {torch.__version__})", "results": []})
        log(doc["skipped"])
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
        return
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
        props = torch.cuda.get_device_properties(device)
        doc.update({"device": torch.cuda.get_device_name(device), "compute_capability": f"{props.major}.{props.minor}",
                    "memory_mib": props.total_memory >> 20, "cuda": torch.version.cuda,
                    "cudnn": torch.backends.cudnn.version(), "tf32": False, "cudnn_benchmark": True})
    else:
        doc.update({"device": f"cpu ({platform.processor() or platform.machine()})", "threads": torch.get_num_threads()})
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")

    if args.identity_compile:
        torch.compile = lambda fn, mode=None: fn
        doc["identity_compile"] = True
    timer = Timer(device, reps, args.quick)
    compiler = Compiler(not args.no_compile, args.compile_budget_s)
    large = 256 if args.quick else 4096
    log(f"PyTorch {torch.__version__} on {doc['device']}, {reps} repetitions"
        + (f"; {compiler.unavailable}" if compiler.unavailable else ""))
    started = time.perf_counter()
    workloads = [
        lambda: train_workload("mlp_train_b64", "MLP 784-256-128-10, cross_entropy, Adam lr 1e-3, batch 64", mlp, "adam",
                       (784,), 64, timer, compiler, device),
        lambda: train_workload("mlp_train_b4096", "the same MLP at batch 4096", mlp, "adam", (784,), large, timer, compiler,
                       device),
        lambda: train_workload("cnn_train_b64", "the small CNN, cross_entropy, SGD lr 0.01 momentum 0.9, batch 64", cnn, "sgd",
                       (1, 28, 28), 64, timer, compiler, device),
        lambda: latency_workload("mlp_latency_b1", "the MLP in eval mode, one row from the host, 10 scores back", mlp, (784,),
                         timer, compiler, device),
        lambda: latency_workload("cnn_latency_b1", "the CNN in eval mode, one image from the host, 10 scores back", cnn,
                         (1, 28, 28), timer, compiler, device),
    ]
    results = []
    for workload in workloads:
        results.append(workload())
        doc.update({  # written after every workload: a run stopped by its timeout still leaves the rows it finished
            "compile": compiler.unavailable or "torch.compile(mode=\"reduce-overhead\")",
            "compile_seconds": round(compiler.spent_s, 1),
            "seconds": round(time.perf_counter() - started, 1),
            "complete": len(results) == len(workloads),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": f"per call: median, mean and min over {reps} repetitions of back-to-back calls (each >= "
                      f"{timer.repetition_seconds * 1e3:g} ms, closed by torch.cuda.synchronize, host monotonic "
                      f"clock), after >= {timer.warmup_calls} calls and {timer.warmup_seconds:g} s of warm-up; "
                      "first call apart",
            "results": results,
        })
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
    log(f"wrote {args.out} in {doc['seconds']} s")


if __name__ == "__main__":
    main()
