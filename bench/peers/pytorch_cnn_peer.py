#!/usr/bin/python3
"""PyTorch peer of NetGen's convolution rows (bench/NetGen.Bench/ConvCompare.cs).

Run by bench/compare.sh as

    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/peers/pytorch_cnn_peer.py --out pytorch-cnn.json [--reps N]

The timing method is the one of pytorch_peer.py (imported from it): warm up (>= 50 calls and >= 0.5 s), pick an
inner count so one repetition lasts >= 20 ms, report the median time per call over `reps` repetitions.

Networks (the same as bench/NetGen.Bench/ConvNetworks.cs):
    cnn    1x28x28 -> conv3x3(8) -> ReLU -> maxpool2 -> conv3x3(16) -> ReLU -> maxpool2 (padding 1) -> flatten 576
           -> Linear(10), valid padding in the convolutions; cross_entropy, SGD lr 0.01 momentum 0.9. The second pool
           pads by 1 (11x11 -> 6x6) because NetGen refuses a pooling window that leaves an input row unread (NG0105),
           which PyTorch's floor would drop (11x11 -> 5x5).
    lenet  1x28x28 -> conv5x5(20) -> ReLU -> maxpool2 -> conv5x5(50) -> ReLU -> maxpool2 -> 800 -> 500 ReLU -> 10;
           cross_entropy, Adam lr 1e-3 (samples/Mnist's MnistCnn)

Workloads and the configurations each is measured in; every configuration runs with 1 and with 2 threads
(torch.set_num_threads; the 2-thread ones are named "...@2threads"), is checked against plain eager first, and the
best one is what compare.sh compares against (best = most favourable to PyTorch):
    cnn_train, lenet_epoch (training step at batch 64: zero_grad + forward + loss + backward + step)
        eager            NCHW tensors; convolutions on oneDNN (mkldnn), PyTorch's default on this CPU
        channels_last    model and input in torch.channels_last (NHWC) memory format, oneDNN's preferred layout
        no_mkldnn        torch.backends.mkldnn disabled: ATen's own im2col + BLAS (OpenBLAS) convolution
        trace            the model torch.jit.trace'd (training through the traced graph)
    cnn_latency_b1 (one image) and cnn_infer_b64 (64 images), eval mode:
        eager_no_grad, eager_inference_mode, channels_last, no_mkldnn, trace_freeze (torch.jit.trace +
        torch.jit.freeze), trace_freeze_channels_last, optimize_for_inference (torch.jit.optimize_for_inference,
        which folds and converts convolutions to oneDNN's prepacked kind), mkldnn_module
        (torch.utils.mkldnn.to_mkldnn, input to_mkldnn and output to_dense inside the timed call)

lenet_epoch is reported as seconds per MNIST epoch: 60,000 samples at the median time of a batch-64 step
(937.5 steps; no data loading on either side).
"""

import argparse
import copy
import json
import os
import platform
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.mkldnn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_peer import best_of, blas_library, cpu_capability, log, timeit  # noqa: E402

EPOCH = 60000


def cnn():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2, padding=1),
                         nn.Flatten(), nn.Linear(576, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def batch(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 10


def train_configs(make_model, make_opt, x, y, reps, suffix):
    """Seconds per training step for each configuration, each from the same weights and checked against eager's first
    step (loss and updated parameters)."""
    torch.manual_seed(1)
    base = make_model()
    results = {}
    reference = None
    for name in ("eager", "channels_last", "no_mkldnn", "trace"):
        model = copy.deepcopy(base)
        xx = x
        if name == "channels_last":
            model = model.to(memory_format=torch.channels_last)
            xx = x.contiguous(memory_format=torch.channels_last)
        if name == "trace":
            model = torch.jit.trace(model, x)
        opt = make_opt(model)
        mkldnn = name != "no_mkldnn"

        def step(model=model, opt=opt, xx=xx, mkldnn=mkldnn):
            with torch.backends.mkldnn.flags(enabled=mkldnn):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(xx), y)
                loss.backward()
                opt.step()
            return loss

        loss = step().item()
        params = torch.cat([p.detach().flatten() for p in model.parameters()])
        if reference is None:
            reference = (loss, params)
        else:
            assert abs(loss - reference[0]) < 1e-4, f"{name}: loss {loss} vs {reference[0]}"
            assert (params - reference[1]).abs().max().item() < 1e-4, f"{name}: update differs"
        results[name + suffix] = timeit(step, reps)
    return results


def infer_configs(make_model, x, reps, suffix):
    """Seconds per inference call (eval mode) for each configuration, each checked against eager."""
    torch.manual_seed(1)
    model = make_model().eval()
    with torch.no_grad():
        ref = model(x)

    class ToFromMkldnn(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, t):
            return self.inner(t.to_mkldnn()).to_dense()

    # Linear layers in a to_mkldnn module need a 2-D dense input: only the convolutional part goes to oneDNN.
    mk_features = torch.utils.mkldnn.to_mkldnn(copy.deepcopy(model[:6]))
    mk_head = copy.deepcopy(model[6:])

    def mkldnn_module(t):
        return mk_head(ToFromMkldnn(mk_features)(t))

    xcl = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
        trace_freeze = torch.jit.freeze(torch.jit.trace(copy.deepcopy(model), x))
        trace_freeze_cl = torch.jit.freeze(torch.jit.trace(copy.deepcopy(cl), xcl))
        opt_inf = torch.jit.optimize_for_inference(torch.jit.trace(copy.deepcopy(model), x))

    def no_grad(f, t=x, mkldnn=True):
        def run():
            with torch.no_grad(), torch.backends.mkldnn.flags(enabled=mkldnn):
                return f(t)
        return run

    def inference_mode(f, t=x):
        def run():
            with torch.inference_mode():
                return f(t)
        return run

    impls = {
        "eager_no_grad": no_grad(model),
        "eager_inference_mode": inference_mode(model),
        "channels_last": no_grad(cl, xcl),
        "no_mkldnn": no_grad(model, mkldnn=False),
        "trace_freeze": no_grad(trace_freeze),
        "trace_freeze_channels_last": no_grad(trace_freeze_cl, xcl),
        "optimize_for_inference": no_grad(opt_inf),
        "mkldnn_module": no_grad(mkldnn_module),
    }
    configs = {}
    for name, f in impls.items():
        err = (f() - ref).abs().max().item()
        assert err < 1e-4, f"{name}: error {err}"
        configs[name + suffix] = timeit(f, reps)
    return configs


def sgd_momentum(model):
    return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3)


def measure(reps, suffix):
    x64, y64 = batch(64, 1)
    x1, _ = batch(1, 2)
    out = {}
    out["cnn_train"] = {c: 64 / s for c, s in train_configs(cnn, sgd_momentum, x64, y64, reps, suffix).items()}
    out["cnn_latency_b1"] = {c: s * 1e6 for c, s in infer_configs(cnn, x1, reps, suffix).items()}
    out["cnn_infer_b64"] = {c: 64 / s for c, s in infer_configs(cnn, x64, reps, suffix).items()}
    out["lenet_epoch"] = {c: s * EPOCH / 64 for c, s in train_configs(lenet, adam, x64, y64, reps, suffix).items()}
    return out


WHAT = {
    "cnn_train": ("samples/s", True, "conv3x3(8)-ReLU-maxpool2-conv3x3(16)-ReLU-maxpool2(pad 1)-Linear(10), 1x28x28, "
                  "valid convolutions, cross_entropy, SGD lr 0.01 momentum 0.9, batch 64: zero_grad+forward+loss+backward+step"),
    "cnn_latency_b1": ("us", False, "the same CNN in eval mode, one image in, 10 logits out"),
    "cnn_infer_b64": ("samples/s", True, "the same CNN in eval mode, 64 images per call"),
    "lenet_epoch": ("s", False, "LeNet-style CNN of samples/Mnist (conv5x5(20)-pool-conv5x5(50)-pool-500-10), Adam 1e-3: "
                    "one MNIST epoch (60,000 samples) at the median batch-64 step time"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="pytorch-cnn.json")
    ap.add_argument("--reps", type=int, default=31)
    args = ap.parse_args()

    torch.set_num_interop_threads(1)
    configs = {}
    for threads, suffix in ((1, ""), (2, "@2threads")):
        torch.set_num_threads(threads)
        log(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), CNN workloads, BLAS: {blas_library()}")
        for workload, values in measure(args.reps, suffix).items():
            configs.setdefault(workload, {}).update(values)
    torch.set_num_threads(1)

    results = [best_of(w, WHAT[w][0], configs[w], WHAT[w][1], WHAT[w][2]) for w in WHAT]
    doc = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": "1 and 2 (configurations named @2threads)",
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "blas_library": blas_library(),
        "cpu_capability": cpu_capability(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "results": results,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
