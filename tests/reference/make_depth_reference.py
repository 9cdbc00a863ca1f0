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
"""

import argparse
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn

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
]


def run(case):
    """make_reference.run_case with NetGen's stochastic-depth noise set before every training forward."""
    record = []

    def set_masks(model, seed, step, batch):
        netgen_node_ordinals(model)
        entry = {}
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
    data["stochastic_depth"] = blocks
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=mr.DEFAULT_OUT)
    ap.add_argument("--only", metavar="NAME[,NAME]")
    args = ap.parse_args(argv)
    only = None if not args.only else {n.strip() for n in args.only.split(",") if n.strip()}
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        if only is not None and case["case"] not in only:
            continue
        path = mr.write_json(args.out_dir / f"{case['case']}.json", run(case))
        print(f"{path.stat().st_size:8d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
