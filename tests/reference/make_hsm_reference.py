#!/usr/bin/env python3
"""Reference values for the hierarchical softmax (Loss.HierarchicalSoftmax), written with torch ops in float64.

PyTorch has no hierarchical-softmax module, so the loss is written here from its definition (Morin and Bengio, 2005;
Mikolov et al., 2013): the last Linear produces H features h; a binary tree over C classes has C - 1 inner nodes, each
with a vector v_n (row n of V[C-1, H], state_dict key "hsm.weight") and a bias b_n ("hsm.bias"); class c is the path
from the root (node 0) to its leaf, with code s = +1 for a step to the left child and -1 to the right child, and

    loss = mean over the batch of  -sum_{n in path(y)} log sigmoid(s_n * (h . v_n + b_n)).

Trees, exactly as NetGen.Kernels.HierarchicalSoftmaxTree builds them:
- balanced(C): classes [lo, hi) split into [lo, mid) (left) and [mid, hi) (right), mid = lo + ceil((hi - lo) / 2),
  inner nodes numbered in preorder (root 0);
- from_parents(p): 2C - 1 entries, inner nodes 0 .. C-2 (root 0, parent -1), then leaf C-1+c of class c; of two
  children of a node, the one with the smaller entry is the left one.

Each case writes: x, labels, the initial parameters (the Linear layers from torch.manual_seed, the node parameters
drawn randn * 0.5 so that no gradient is zero; NetGen itself starts them at 0), the eval-mode full distribution
p(c | x) [B, C] (what Predict returns) and its greedy classes, the loss and every gradient (node vectors included) of
the first step, then the loss and every parameter after each of 3 optimizer steps. The loss is asserted against an
explicit per-row loop, and every row of the distribution sums to 1.

Usage: /usr/bin/python3 tests/reference/make_hsm_reference.py [--only hsm_adam]
"""

import argparse
import copy
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reference import DEFAULT_OUT, architecture, flat, tensor_dict, write_json  # noqa: E402

NUM_STEPS = 3


def balanced(classes):
    left, right = [0] * (classes - 1), [0] * (classes - 1)
    counter = [0]

    def build(lo, hi):
        if hi - lo == 1:
            return ~lo
        node = counter[0]
        counter[0] += 1
        mid = lo + (hi - lo + 1) // 2
        left[node] = build(lo, mid)
        right[node] = build(mid, hi)
        return node

    build(0, classes)
    return left, right


def from_parents(parents):
    classes = (len(parents) + 1) // 2
    inner = classes - 1
    left, right = [None] * inner, [None] * inner
    assert parents[0] == -1
    for i in range(1, len(parents)):
        child = i if i < inner else ~(i - inner)
        p = parents[i]
        if left[p] is None:
            left[p] = child
        else:
            assert right[p] is None
            right[p] = child
    return left, right


def paths(left, right, classes):
    """Per class: (nodes, codes), root first."""
    out = [None] * classes

    def walk(node, prefix):
        for child, code in ((left[node], 1.0), (right[node], -1.0)):
            step = prefix + [(node, code)]
            if child >= 0:
                walk(child, step)
            else:
                out[~child] = step

    walk(0, [])
    return out


def hsm_loss(h, labels, V, b, tree_paths):
    terms = []
    for i in range(h.shape[0]):
        nodes = torch.tensor([n for n, _ in tree_paths[labels[i]]], dtype=torch.long)
        codes = torch.tensor([s for _, s in tree_paths[labels[i]]], dtype=h.dtype)
        z = V[nodes] @ h[i] + b[nodes]
        terms.append(-F.logsigmoid(codes * z).sum())
    loss = torch.stack(terms).mean()
    explicit = 0.0
    for i in range(h.shape[0]):
        for n, s in tree_paths[labels[i]]:
            z = float(V[n] @ h[i] + b[n])
            explicit -= math.log(1.0 / (1.0 + math.exp(-s * z)))
    explicit /= h.shape[0]
    assert abs(loss.item() - explicit) <= 1e-12 * max(1.0, abs(explicit)), (loss.item(), explicit)
    return loss


def distribution(h, V, b, tree_paths):
    log_left = F.logsigmoid(h @ V.T + b)       # [B, C-1]
    log_right = F.logsigmoid(-(h @ V.T + b))
    cols = []
    for path in tree_paths:
        total = torch.zeros(h.shape[0], dtype=h.dtype)
        for n, s in path:
            total = total + (log_left[:, n] if s > 0 else log_right[:, n])
        cols.append(total.exp())
    p = torch.stack(cols, dim=1)
    assert torch.allclose(p.sum(dim=1), torch.ones(h.shape[0], dtype=h.dtype), atol=1e-12)
    return p


def greedy(h, V, b, left, right):
    out = []
    for i in range(h.shape[0]):
        node = 0
        while node >= 0:
            z = float(V[node] @ h[i] + b[node])
            node = left[node] if z >= 0 else right[node]
        out.append(~node)
    return out


CASES = [
    dict(case="hsm_adam", torch_seed=30, inputs=6, hidden=8, features=5, classes=7, batch=6, tree=None,
         labels=[0, 6, 3, 4, 2, 6], weight_decay=1e-3, opt=dict(kind="adam", lr=0.01),
         description="Linear(6,8)-Tanh-Linear(8,5), hierarchical softmax over the balanced tree of 7 classes (paths of "
                     "2 and 3 nodes), WeightDecay 1e-3 on 0.weight, 2.weight and hsm.weight (L2 in the loss), Adam "
                     "lr 0.01; torch.manual_seed(30)."),
    dict(case="hsm_tree_momentum", torch_seed=31, inputs=4, hidden=6, features=3, classes=4, batch=5,
         tree=[-1, 0, 1, 0, 1, 2, 2], labels=[0, 1, 2, 3, 3], weight_decay=0.0,
         opt=dict(kind="momentum", lr=0.1, momentum=0.9),
         description="Linear(4,6)-ReLU-Linear(6,3), hierarchical softmax over the user-given chain tree "
                     "ClassTree = [-1, 0, 1, 0, 1, 2, 2] (class 0 at depth 1, class 1 at 2, classes 2 and 3 at 3), "
                     "SGD momentum 0.9 lr 0.1; torch.manual_seed(31)."),
]


class Model(nn.Module):
    def __init__(self, case):
        super().__init__()
        act = nn.Tanh() if case["case"] == "hsm_adam" else nn.ReLU()
        self.body = nn.Sequential(nn.Linear(case["inputs"], case["hidden"]), act, nn.Linear(case["hidden"], case["features"]))
        self.V = nn.Parameter(torch.randn(case["classes"] - 1, case["features"]) * 0.5)
        self.b = nn.Parameter(torch.randn(case["classes"] - 1) * 0.5)

    def named(self):
        """Parameters under NetGen's keys: the layers by their index, then the loss's "hsm.weight" and "hsm.bias"."""
        d = {k: v for k, v in self.body.named_parameters()}
        d["hsm.weight"] = self.V
        d["hsm.bias"] = self.b
        return d


def run(case):
    torch.manual_seed(case["torch_seed"])
    model32 = Model(case)
    x32 = torch.randn(case["batch"], case["inputs"], dtype=torch.float32)
    model = copy.deepcopy(model32).double()
    x = x32.double()
    labels = case["labels"]
    c = case["classes"]
    left, right = from_parents(case["tree"]) if case["tree"] else balanced(c)
    tree_paths = paths(left, right, c)
    params = model.named()
    names = list(params.keys())
    for n, v in params.items():
        assert torch.equal(v.detach().float().double(), v.detach()), n
    params0 = {n: p.detach().clone() for n, p in params.items()}
    decayed = ["0.weight", "2.weight", "hsm.weight"]

    with torch.no_grad():
        h = model.body(x)
        probabilities = distribution(h, model.V, model.b, tree_paths)
        greedy_classes = greedy(h, model.V, model.b, left, right)

    o = case["opt"]
    plist = [params[n] for n in names]
    if o["kind"] == "adam":
        optimizer = torch.optim.Adam(plist, lr=o["lr"])
    else:
        optimizer = torch.optim.SGD(plist, lr=o["lr"], momentum=o["momentum"], dampening=0)

    out = {
        "case": case["case"],
        "description": case["description"],
        "torch_version": torch.__version__,
        "input_size": case["inputs"],
        "input_shape": [case["inputs"]],
        "classes": c,
        "features": case["features"],
        "class_tree": case["tree"],
        "paths": [{"nodes": [n for n, _ in p], "codes": [int(s) for _, s in p]} for p in tree_paths],
        "batch": case["batch"],
        "seed": 42,
        "loss": "hierarchical_softmax",
        "weight_decay": case["weight_decay"],
        "optimizer": o,
        "architecture": architecture(model.body),
        "x": flat(x),
        "labels": labels,
        "param_order": names,
        "params": tensor_dict(params0),
        "inference_output": flat(probabilities),
        "greedy_classes": greedy_classes,
    }
    steps = []
    for step in range(NUM_STEPS):
        optimizer.zero_grad(set_to_none=True)
        h = model.body(x)
        data = hsm_loss(h, labels, model.V, model.b, tree_paths)
        total = data + 0.5 * case["weight_decay"] * sum((params[n] * params[n]).sum() for n in decayed)
        total.backward()
        if step == 0:
            out["data_loss"] = data.item()
            out["total_loss"] = total.item()
            out["grads"] = tensor_dict({n: params[n].grad for n in names})
            for n in names:
                assert params[n].grad.abs().max() > 0, n
        optimizer.step()
        steps.append({"step": step, "data_loss": data.item(), "total_loss": total.item(),
                      "params": tensor_dict({n: params[n].detach() for n in names})})
    out["steps"] = steps
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", metavar="NAME[,NAME]")
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    torch.set_default_dtype(torch.float32)
    for case in CASES:
        if only and case["case"] not in only:
            continue
        path = write_json(args.out_dir / f"{case['case']}.json", run(case))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
