#!/usr/bin/python3
"""PyTorch reference values for NetGen's stochastic depth, fractional max pooling and BatchNorm folding.

Run from the repository root (needs PyTorch; the tests only read the committed outputs):

    /usr/bin/python3 tests/reference/make_depth_reference.py            # write every case of this file
    /usr/bin/python3 tests/reference/make_depth_reference.py --only stochastic_depth_momentum

The cases use make_reference.py's machinery and JSON layout unchanged (same conventions: float64 reference, float32
initial values, state_dict keys, 3 optimizer steps, buffers); see that file's docstring. What this file adds:

Stochastic depth (stochastic_depth_momentum)
    NetGen's [Residual(typeof(B), DropProbability = p)], or the network's StochasticDepth = p_L linear rule
    (block l of L: p_l = l/L * p_L), is the module ResidualSD below: y = shortcut(x) + drop_path(branch(x)).
    drop_path is torchvision.ops.StochasticDepth(p, mode="row") (copied here: torchvision is not needed) with the
    Bernoulli noise replaced by NetGen's:
        keep_b = 1 if Uniform(key, b) >= p else 0, noise_b = keep_b / (1 - p)    (b = sample of the batch)
        key    = Key(seed, DropoutStream = 1, node, step)
        node   = the ordinal of NetGen's stochastic-depth node in its plan: every module of the Sequential is one
                 node in execution order; a Residual is its branch's nodes, then the stochastic-depth node (only when
                 p > 0), then the shortcut's nodes, then the addition (netgen_node_ordinals below).
    Train mode multiplies each sample's branch by noise_b, eval mode is the identity (torchvision's convention; Huang
    et al. scale the branch by 1 - p at test time instead: the same expected output). "stochastic_depth" lists, per
    block, its state_dict prefix, p, the node ordinal, and the per-sample noise of every step.

Fractional max pooling (fractional_pool_momentum)
    NetGen's [FractionalMaxPool2D(k, OutputRatio = r)] / [FractionalMaxPool2D(k, OutputSize = n)] is
    F.fractional_max_pool2d(x, k, output_ratio=r or output_size=n, _random_samples=S) (nn.FractionalMaxPool2d's
    function) with NetGen's samples S [B, C, 2] (S[..., 0] for the width, S[..., 1] for the height, PyTorch's order):
        training: S[b, c, d] = Uniform(Key(seed, 1, node, step), 2*(b*C + c) + d)
        eval:     S[b, c, d] = Uniform(Key(seed, 1, node, 2^64 - 1), 2*c + d)   (the same for every row b)
    node is the layer's index in the Sequential (no residual blocks here). PyTorch's module draws fresh samples in eval
    mode too; NetGen fixes them from the seed, so the eval reference passes them explicitly. The script checks
    PyTorch's window starts against floor((i + u)*alpha) - floor(u*alpha), alpha = (N - k)/(n - 1), last N - k, in
    float64 (fractional_samples_check). "fractional_samples" lists, per layer, the node and the samples of every
    training step and of eval.

BatchNorm folding (bn_adam_folded.json, netgen_folded_roundtrip.json)
    bn_adam (make_reference.py) after its 3 steps, rebuilt in float64 from bn_adam.json, in eval mode; its
    Conv2d(3,4,3,bias=False) and BatchNorm2d(4) are fused by torch.nn.utils.fusion.fuse_conv_bn_eval into a
    Conv2d with bias, the BatchNorm replaced by nn.Identity() (so the other indices, and keys, stay). The file holds
    the folded model's state_dict ("keys" in order, "state_dict" as make_reference's buffer_dict) and its eval output
    on bn_adam's x, which the script asserts equals the unfolded eval output.
    --check-netgen-folded FILE loads a NetGen-written SaveInference file into the float32 folded model with
    load_state_dict(strict=True) and compares its eval output with the folded reference (netgen_folded_roundtrip.json).
"""

import argparse
import hashlib
import json
import os
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_reference as mr  # noqa: E402


def torchvision_stochastic_depth(x, p, mode, training, keep):
    """torchvision.ops.stochastic_depth (0.14), with the Bernoulli draw `noise.bernoulli_(survival_rate)` replaced by
    the given 0/1 `keep` tensor of the noise's shape."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return x
    survival_rate = 1.0 - p
    size = [x.shape[0]] + [1] * (x.ndim - 1) if mode == "row" else [1] * x.ndim
    noise = keep.to(x.dtype).reshape(size).clone()
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return x * noise


class NetGenStochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth(p, "row") whose noise is NetGen's (set per step by set_masks)."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.node = None
        self.keep = None

    def forward(self, x):
        if self.training and self.p > 0:
            assert self.keep is not None and self.keep.shape == (x.shape[0],), "keep not set for this batch"
        return torchvision_stochastic_depth(x, self.p, "row", self.training, self.keep)


class ResidualSD(mr.Residual):
    """make_reference.Residual with stochastic depth on the branch: y = shortcut(x) + drop_path(branch(x))."""

    def __init__(self, block, layers, in_shape, p):
        super().__init__(block, layers, in_shape)
        self.drop_path = NetGenStochasticDepth(p)
        for m in self.branch.modules():  # the shape probe in Residual.__init__ ran the branch once in train mode
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()

    def forward(self, x):
        y = self.drop_path(self.branch(x))
        s = x if self.shortcut is None else self.shortcut(x)
        assert s.shape == y.shape, (s.shape, y.shape)
        return y + s


def netgen_node_ordinals(model):
    """Assigns each NetGenStochasticDepth its node ordinal in NetGen's plan (see the module docstring)."""
    counter = 0

    def walk(seq):
        nonlocal counter
        for m in seq:
            if isinstance(m, ResidualSD):
                walk(m.branch)
                if m.drop_path.p > 0:
                    m.drop_path.node = counter
                    counter += 1
                if m.shortcut is not None:
                    walk(m.shortcut)
                counter += 1  # the addition
            elif isinstance(m, mr.Residual):
                walk(m.branch)
                if m.shortcut is not None:
                    walk(m.shortcut)
                counter += 1
            else:
                counter += 1

    walk(model)
    return counter


def stochastic_depth_modules(model):
    return [(name, m) for name, m in model.named_modules() if isinstance(m, NetGenStochasticDepth) and m.p > 0]


def netgen_keep(seed, node, step, batch, p):
    key = mr.rng_key(seed, mr.DROPOUT_STREAM, node, step)
    return [1.0 if mr.rng_uniform(key, b) >= p else 0.0 for b in range(batch)]


def build_stochastic_depth():
    """Three residual blocks; the network's StochasticDepth = 0.5 gives blocks 1 and 3 (of 3) p = 1/6 and 1/2, block 2
    writes its own 0.3."""
    sd = 0.5

    def block4():
        return [nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1)]

    down8 = [nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1)]
    m = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
        ResidualSD("SdBlock4", block4(), [4, 6, 6], 1 / 3 * sd), nn.ReLU(),
        ResidualSD("SdBlock4", block4(), [4, 6, 6], 0.3), nn.ReLU(),
        ResidualSD("DownBlock8", down8, [4, 6, 6], 3 / 3 * sd), nn.ReLU(),
        nn.Flatten(), nn.Linear(72, 3),
    )
    with torch.no_grad():  # non-trivial BatchNorm affine parameters, as make_reference.build_bn
        for i in (2, 4):
            bn = m[i].branch[1]
            bn.weight.copy_(1.0 + 0.1 * torch.randn(4, dtype=torch.float32))
            bn.bias.copy_(0.1 * torch.randn(4, dtype=torch.float32))
    assert netgen_node_ordinals(m) == 25
    return m


INFERENCE_STEP = 2 ** 64 - 1


def netgen_fractional_samples(seed, node, step, batch, channels, per_row):
    """[batch, channels, 2] float64: NetGen.Kernels.FractionalMaxPool2D's uniforms (see the module docstring)."""
    key = mr.rng_key(seed, mr.DROPOUT_STREAM, node, step)
    return torch.tensor([[[mr.rng_uniform(key, 2 * ((b * channels + c) if per_row else c) + d) for d in range(2)]
                          for c in range(channels)] for b in range(batch)], dtype=torch.float64)


class NetGenFractionalMaxPool2d(nn.Module):
    """nn.FractionalMaxPool2d(k, output_ratio or output_size) with NetGen's samples: set per step in training
    (set_masks), derived from the seed in eval."""

    def __init__(self, kernel, node, seed, channels, output_ratio=None, output_size=None):
        super().__init__()
        self.kernel, self.node, self.seed, self.channels = kernel, node, seed, channels
        self.output_ratio, self.output_size = output_ratio, output_size
        self.samples = None

    def forward(self, x):
        if self.training:
            samples = self.samples
            assert samples is not None and samples.shape == (x.shape[0], x.shape[1], 2), "samples not set"
        else:
            samples = netgen_fractional_samples(self.seed, self.node, INFERENCE_STEP, x.shape[0], x.shape[1], False)
        return F.fractional_max_pool2d(x, self.kernel, output_size=self.output_size, output_ratio=self.output_ratio,
                                       _random_samples=samples.to(x.dtype))


def intervals(u, n_in, n_out, k):
    """PyTorch's fractional_max_pool2d_generate_intervals in float64."""
    seq = [0] * n_out
    if n_out > 1:
        alpha = float(n_in - k) / float(n_out - 1)
        for i in range(n_out - 1):
            seq[i] = int((i + u) * alpha) - int(u * alpha)
    seq[n_out - 1] = n_in - k
    return seq


def fractional_samples_check():
    """The windows PyTorch takes for given samples are those of intervals(): sample 0 for the width, 1 for the height."""
    torch.manual_seed(0)
    x = torch.randn(2, 3, 9, 8, dtype=torch.float64)
    s = torch.rand(2, 3, 2, dtype=torch.float64)
    y, idx = F.fractional_max_pool2d(x, 2, output_size=(5, 4), _random_samples=s, return_indices=True)
    for b in range(2):
        for c in range(3):
            rows = intervals(s[b, c, 1].item(), 9, 5, 2)
            cols = intervals(s[b, c, 0].item(), 8, 4, 2)
            for i in range(5):
                for j in range(4):
                    win = x[b, c, rows[i]:rows[i] + 2, cols[j]:cols[j] + 2]
                    assert y[b, c, i, j].item() == win.max().item()
                    h, w = divmod(idx[b, c, i, j].item(), 8)
                    assert rows[i] <= h < rows[i] + 2 and cols[j] <= w < cols[j] + 2


def build_fractional_pool():
    seed = 42
    m = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
        NetGenFractionalMaxPool2d(2, 2, seed, 4, output_ratio=0.7),
        nn.Conv2d(4, 6, 3), nn.Tanh(),
        NetGenFractionalMaxPool2d(2, 5, seed, 6, output_size=2),
        nn.Flatten(), nn.Linear(24, 3),
    )
    assert [i for i, mod in enumerate(m) if isinstance(mod, NetGenFractionalMaxPool2d)] == [2, 5]
    return m


CASES = [
    dict(case="stochastic_depth_momentum", build=build_stochastic_depth, torch_seed=19, input_shape=[2, 6, 6],
         input_size=72, classes=3, batch=8, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.05, momentum=0.9),
         description="Conv2d(2,4,3,padding=1)-ReLU-ResidualSD(SdBlock4, p=1/6)-ReLU-ResidualSD(SdBlock4, p=0.3)-ReLU-"
                     "ResidualSD(DownBlock8, p=0.5)-ReLU-Flatten-Linear(72,3) on [2,6,6] inputs: NetGen's "
                     "[Network(StochasticDepth = 0.5)] with the second block's own DropProbability = 0.3. "
                     "SdBlock4 = Conv2d(4,4,3,padding=1,bias=False)-BatchNorm2d(4)-ReLU-Conv2d(4,4,3,padding=1) "
                     "(identity shortcut, gamma = 1 + 0.1*randn, beta = 0.1*randn); DownBlock8 as in resnet_sgd "
                     "(projection shortcut). ResidualSD: y = shortcut(x) + StochasticDepth(p, 'row')(branch(x)) with "
                     "NetGen's per-sample noise (see make_depth_reference.py); eval mode: identity. Softmax "
                     "cross-entropy, L2 weight decay 1e-3 on Conv2d and Linear weights, SGD momentum 0.9 lr 0.05, "
                     "batch 8; torch.manual_seed(19)."),
    dict(case="fractional_pool_momentum", build=build_fractional_pool, torch_seed=20, input_shape=[2, 8, 8],
         input_size=128, classes=3, batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.05, momentum=0.9),
         description="Conv2d(2,4,3,padding=1)-ReLU-FractionalMaxPool2d(2, output_ratio=0.7)-Conv2d(4,6,3)-Tanh-"
                     "FractionalMaxPool2d(2, output_size=2)-Flatten-Linear(24,3) on [2,8,8] inputs ([4,8,8] -> "
                     "[4,5,5] -> [6,3,3] -> [6,2,2]); F.fractional_max_pool2d with NetGen's _random_samples (per "
                     "sample and channel from (seed, layer, step) in training, per channel from (seed, layer) in "
                     "eval; see make_depth_reference.py). Softmax cross-entropy, L2 weight decay 1e-3 on Conv2d and "
                     "Linear weights, SGD momentum 0.9 lr 0.05; torch.manual_seed(20)."),
]


def bn_folded_model(out_dir, dtype):
    """bn_adam's model after its 3 reference steps (float64 values from bn_adam.json), folded, in eval mode; also the
    unfolded one and x."""
    data = json.loads((out_dir / "bn_adam.json").read_text(encoding="utf-8"))
    final = {**data["steps"][-1]["params"], **data["steps"][-1]["buffers"]}
    model = mr.build_bn().to(torch.float64)
    sd = {}
    for key, t in final.items():
        if t.get("dtype") == "I64":
            sd[key] = torch.tensor(t["data"][0], dtype=torch.int64)
        else:
            sd[key] = torch.tensor(t["data"], dtype=torch.float64).reshape(t["shape"])
    model.load_state_dict(sd, strict=True)
    model.eval()
    fused = torch.nn.utils.fusion.fuse_conv_bn_eval(model[0], model[1])
    folded = nn.Sequential(fused, nn.Identity(), *[m for m in list(model)[2:]])
    x = torch.tensor(data["x"], dtype=torch.float64).reshape(data["batch"], *data["input_shape"])
    return model.to(dtype), folded.to(dtype).eval(), x.to(dtype), data


def write_bn_folded(out_dir):
    model, folded, x, data = bn_folded_model(out_dir, torch.float64)
    with torch.no_grad():
        y = model(x)
        yf = folded(x)
    mr.assert_close(y.reshape(-1), torch.tensor(data["eval_output_after_steps"], dtype=torch.float64), "unfolded eval")
    mr.assert_close(yf, y, "folded vs unfolded eval", rtol=1e-10, atol=1e-12)
    state = folded.state_dict()
    assert "0.bias" in state and not any(k.startswith("1.") for k in state), list(state)
    return mr.write_json(out_dir / "bn_adam_folded.json", {
        "description": "bn_adam after its 3 reference steps (float64, bn_adam.json), eval mode, with Conv2d(3,4,3,bias=False) "
                       "and BatchNorm2d(4) fused by torch.nn.utils.fusion.fuse_conv_bn_eval (W' = W*gamma/sqrt(var+eps), "
                       "b' = (b - mean)*gamma/sqrt(var+eps) + beta) and nn.Identity() at index 1: the folded state_dict "
                       "and its eval output on bn_adam's x (equal to the unfolded eval output).",
        "torch_version": torch.__version__,
        "keys": list(state),
        "state_dict": mr.buffer_dict(state),
        "folded_eval_output": mr.flat(yf),
    })


def check_netgen_folded(file, out_dir):
    _, folded64, x64, _ = bn_folded_model(out_dir, torch.float64)
    with torch.no_grad():
        reference = folded64(x64).reshape(-1)
    raw = Path(file).read_bytes()
    result = {"file": os.path.basename(file), "sha256": hashlib.sha256(raw).hexdigest(), "strict_load": False,
              "error": None, "max_abs_diff_vs_folded_reference": None, "torch_version": torch.__version__}
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.Identity(), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(16, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    try:
        tensors, _ = mr.read_safetensors(raw)
        model.load_state_dict(tensors, strict=True)
        result["strict_load"] = True
    except Exception as e:  # noqa: BLE001
        result["error"] = f"{type(e).__name__}: {e}"
    if result["strict_load"]:
        model.eval()
        with torch.no_grad():
            y = model(x64.float()).double().reshape(-1)
        result["max_abs_diff_vs_folded_reference"] = (y - reference).abs().max().item()
    return mr.write_json(out_dir / "netgen_folded_roundtrip.json", result), result


def run(case):
    """make_reference.run_case with NetGen's stochastic-depth noise set before every training forward."""
    record = []

    def set_masks(model, seed, step, batch):
        netgen_node_ordinals(model)
        entry = {}
        for name, m in model.named_modules():
            if isinstance(m, NetGenFractionalMaxPool2d):
                m.samples = netgen_fractional_samples(seed, m.node, step, batch, m.channels, True)
                entry[name] = m.samples.reshape(-1).tolist()
        for name, m in stochastic_depth_modules(model):
            keep = netgen_keep(seed, m.node, step, batch, m.p)
            m.keep = torch.tensor(keep, dtype=torch.float64)
            entry[name] = keep
        record.append(entry)
        return {}  # no dropout layers

    original = mr.set_masks
    mr.set_masks = set_masks
    try:
        data, model32, x32 = mr.run_case(case)
    finally:
        mr.set_masks = original

    probe, _, _ = mr.make_case_data(case)
    netgen_node_ordinals(probe)
    pools = [{"module": name, "node": m.node, "samples_per_step": [step[name] for step in record],
              "eval_samples": netgen_fractional_samples(case["seed"], m.node, INFERENCE_STEP, 1, m.channels, False)
              .reshape(-1).tolist()}
             for name, m in probe.named_modules() if isinstance(m, NetGenFractionalMaxPool2d)]
    blocks = []
    for name, m in stochastic_depth_modules(probe):
        keeps = [step[name] for step in record]
        flat_keeps = [k for step in keeps for k in step]
        assert 0.0 in flat_keeps and 1.0 in flat_keeps, f"{name}: the steps never drop or never keep a branch"
        blocks.append({"module": name.rsplit(".", 1)[0], "p": m.p, "node": m.node,
                       "noise_per_step": [[k / (1.0 - m.p) for k in step] for step in keeps]})
    # the reference's eval forward ignores the noise: identity (checked, not assumed)
    model = probe.double().eval()
    for _, m in stochastic_depth_modules(model):
        m.keep = torch.zeros(case["batch"], dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(model(x32.double()).reshape(-1), torch.tensor(data["inference_output"], dtype=torch.float64))
    if blocks:
        data["stochastic_depth"] = blocks
    if pools:
        data["fractional_samples"] = pools
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=mr.DEFAULT_OUT)
    ap.add_argument("--only", metavar="NAME[,NAME]", help="cases of this file, or bn_adam_folded")
    ap.add_argument("--check-netgen-folded", metavar="FILE",
                    help="load a NetGen SaveInference file of bn_adam into the folded PyTorch model")
    args = ap.parse_args(argv)
    only = None if not args.only else {n.strip() for n in args.only.split(",") if n.strip()}
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    fractional_samples_check()
    if args.check_netgen_folded:
        path, result = check_netgen_folded(args.check_netgen_folded, args.out_dir)
        print(f"{path}: {json.dumps(result)}")
        return 0 if result["strict_load"] else 1
    if only is None or "bn_adam_folded" in only:
        path = write_bn_folded(args.out_dir)
        print(f"{path.stat().st_size:8d}  {path}")
    for case in CASES:
        if only is not None and case["case"] not in only:
            continue
        path = mr.write_json(args.out_dir / f"{case['case']}.json", run(case))
        print(f"{path.stat().st_size:8d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
