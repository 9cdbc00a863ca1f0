#!/usr/bin/python3
"""PyTorch reference values for NetGen's label smoothing, soft (probability) targets, L1 / elastic-net / per-layer
regularisation, the max-norm constraint and the binary (per-attribute) hinge loss.

Run from the repository root (needs PyTorch 1.13; the tests only read the committed JSON):

    /usr/bin/python3 tests/reference/make_loss_reference.py            # every case
    /usr/bin/python3 tests/reference/make_loss_reference.py --only ls_sgd

Writes tests/NetGen.Tests/Reference/<case>.json with the layout of make_reference.py (x, labels or targets,
param_order, params, inference_output, data_loss, total_loss, grads, steps[{step, data_loss, total_loss, params}]);
it reuses that script's JSON writer and conventions: float32-generated weights and inputs (PyTorch's default
nn.Linear / nn.Conv2d init), every value computed in float64, 3 steps, "grads" the gradients of total_loss at step 0,
"params" of a step the values after its update.

Conventions of these cases
--------------------------
total_loss = data_loss + sum over the regularised tensors of 0.5*l2*sum(w^2) + l1*sum(|w|)
    Each case lists its tensors and strengths in "regularization": {key: {l2, l1, max_norm}}. The gradient is that of
    total_loss by autograd; |w|'s derivative at 0 is 0 (torch.sign), NetGen's sign(0) = 0. The script asserts that
    the L2 part equals torch.optim's weight_decay (an SGD step with weight_decay=l2 on those tensors and the loss
    without the L2 term moves the parameters identically).
label smoothing: F.cross_entropy(f, y, label_smoothing=eps) (field "label_smoothing"), i.e. targets
    (1 - eps)*onehot + eps/C; with probability targets t, F.cross_entropy(f, t, label_smoothing=eps), targets
    (1 - eps)*t + eps/C, rows used as given (not renormalised). soft_momentum's "targets" are probability rows
    (softmax of randn), except row 2, scaled to sum 0.8, and row 4, one-hot: PyTorch accepts both.
max-norm (field max_norm per tensor): after optimizer.step(), w.copy_(torch.renorm(w, 2, 0, c)) for each weight
    with c > 0: every slice along dim 0 (a row of a Linear weight, one filter of a Conv2d weight) with L2 norm > c
    is multiplied by c / (norm + 1e-7) (torch.renorm's guard). "rescaled_rows" lists per step how many rows each
    constrained tensor had rescaled (the case is chosen so that some are and some are not).
binary_hinge (loss "binary_hinge", field "margin"):
    mean over the batch of sum_j max(0, margin - (2 t_j - 1) f_j), t in {0, 1} (targets drawn bernoulli(0.5));
    relu's derivative at 0 is 0. Asserted against the explicit per-element loop.
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


def build_ls():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4))


def build_elastic():
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))


def build_maxnorm():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 3))


def build_binary_hinge():
    m = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4))
    with torch.no_grad():  # scores spread beyond the margin, so some terms are inactive
        m[2].weight.mul_(3.0)
    return m


def binary_hinge(f, t, margin=1.0):
    loss = F.relu(margin - (2.0 * t - 1.0) * f).sum(dim=1).mean()
    explicit = sum(max(0.0, margin - (2.0 * t[i, j].item() - 1.0) * f[i, j].item())
                   for i in range(f.shape[0]) for j in range(f.shape[1])) / f.shape[0]
    assert abs(loss.item() - explicit) <= 1e-12 * max(1.0, abs(explicit)), (loss.item(), explicit)
    return loss


CASES = [
    dict(case="ls_sgd", build=build_ls, torch_seed=20, input_shape=[5], classes=4, batch=6, targets="labels",
         label_smoothing=0.1, opt=dict(kind="sgd", lr=0.1),
         regularization={"0.weight": dict(l2=1e-3), "2.weight": dict(l2=1e-3)},
         description="Linear(5,8)-Tanh-Linear(8,4), F.cross_entropy(label_smoothing=0.1), L2 1e-3 on both weights "
                     "(WeightDecay = 1e-3), SGD lr 0.1; torch.manual_seed(20)."),
    dict(case="soft_momentum", build=build_ls, torch_seed=21, input_shape=[5], classes=4, batch=6,
         targets="probabilities", label_smoothing=0.05, opt=dict(kind="momentum", lr=0.1, momentum=0.9),
         regularization={},
         description="Linear(5,8)-Tanh-Linear(8,4), F.cross_entropy with probability targets (softmax of randn; "
                     "row 2 scaled to sum 0.8, row 4 one-hot) and label_smoothing=0.05, no regularisation, SGD "
                     "momentum 0.9 lr 0.1; torch.manual_seed(21)."),
    dict(case="elastic_sgd", build=build_elastic, torch_seed=22, input_shape=[4], classes=3, batch=8, targets="labels",
         label_smoothing=0.0, opt=dict(kind="momentum", lr=0.1, momentum=0.9),
         regularization={"0.weight": dict(l2=1e-2, l1=2e-2), "0.bias": dict(l2=1e-2, l1=2e-2),
                         "2.weight": dict(l2=5e-2, l1=0.0)},
         description="Linear(4,6)-ReLU-Linear(6,3), softmax cross-entropy; network WeightDecay 1e-2 and L1 2e-2 "
                     "(elastic net) with RegularizeBias on layer 0 (its bias gets both terms), layer 2 overriding "
                     "WeightDecay = 5e-2 and L1 = 0; SGD momentum 0.9 lr 0.1; torch.manual_seed(22)."),
    dict(case="maxnorm_sgd", build=build_maxnorm, torch_seed=23, input_shape=[2, 6, 6], classes=3, batch=4,
         targets="labels", label_smoothing=0.0, opt=dict(kind="sgd", lr=0.2),
         regularization={"0.weight": dict(l2=1e-3, l1=1e-3, max_norm=0.57), "4.weight": dict(l2=1e-3, max_norm=0.6)},
         description="Conv2d(2,4,3,padding=1)-ReLU-MaxPool2d(2)-Flatten-Linear(36,3) on [2,6,6]; network WeightDecay "
                     "1e-3 and MaxNorm 0.6, the Conv2d overriding L1 = 1e-3 and MaxNorm = 0.57 (per filter); "
                     "softmax cross-entropy, SGD lr 0.2, torch.renorm(w, 2, 0, c) after every step; "
                     "torch.manual_seed(23)."),
    dict(case="binary_hinge_sgd", build=build_binary_hinge, torch_seed=24, input_shape=[5], classes=4, batch=6,
         targets="bernoulli", loss="binary_hinge", margin=1.0, opt=dict(kind="sgd", lr=0.1),
         regularization={"0.weight": dict(l2=1e-3), "2.weight": dict(l2=1e-3)},
         description="Linear(5,7)-Tanh-Linear(7,4) (last weight x3), binary hinge mean_b sum_j max(0, 1 - (2t-1) f) "
                     "with 0/1 targets bernoulli(0.5), L2 1e-3 on both weights, SGD lr 0.1; torch.manual_seed(24)."),
]


def make_data(case):
    torch.manual_seed(case["torch_seed"])
    model32 = case["build"]()
    x32 = torch.randn(case["batch"], *case["input_shape"], dtype=torch.float32)
    b, c = case["batch"], case["classes"]
    kind = case["targets"]
    if kind == "labels":
        return model32, x32, torch.randint(0, c, (b,), dtype=torch.int64)
    if kind == "bernoulli":
        return model32, x32, torch.bernoulli(torch.full((b, c), 0.5, dtype=torch.float32))
    t = torch.softmax(torch.randn(b, c, dtype=torch.float32), dim=1)
    t[2] *= 0.8
    t[4] = F.one_hot(torch.tensor(1), c).to(torch.float32)
    return model32, x32, t


def data_loss(case, f, target):
    if case.get("loss") == "binary_hinge":
        return binary_hinge(f, target, case["margin"])
    return F.cross_entropy(f, target, label_smoothing=case["label_smoothing"])


def penalty(case, params):
    total = 0.0
    for key, r in case["regularization"].items():
        w = params[key]
        total = total + 0.5 * r.get("l2", 0.0) * (w * w).sum() + r.get("l1", 0.0) * w.abs().sum()
    return total


def make_optimizer(case, params):
    o = case["opt"]
    if o["kind"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"])
    return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"], dampening=0)


def run(case):
    model32, x32, t32 = make_data(case)
    model = copy.deepcopy(model32).double()
    x = x32.double()
    target = t32 if case["targets"] == "labels" else t32.double()
    names = [n for n, _ in model.named_parameters()]
    params0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    for n, v in params0.items():
        assert torch.equal(v.float().double(), v), n
    model.eval()
    with torch.no_grad():
        inference = model(x)

    # The L2 part equals torch.optim's weight_decay: one SGD step both ways from the same start.
    check = copy.deepcopy(model)
    l2_keys = {k for k, r in case["regularization"].items() if r.get("l2", 0.0) > 0}
    for via_weight_decay in (False, True):
        m = copy.deepcopy(check)
        groups = []
        for n, p in m.named_parameters():
            wd = case["regularization"][n].get("l2", 0.0) if (via_weight_decay and n in l2_keys) else 0.0
            groups.append({"params": [p], "weight_decay": wd})
        opt = torch.optim.SGD(groups, lr=0.1)
        opt.zero_grad()
        sd = dict(m.named_parameters())
        reg = case_penalty_without_l2(case, sd) if via_weight_decay else penalty(case, sd)
        (data_loss(case, m(x), target) + reg).backward()
        opt.step()
        if via_weight_decay:
            for n, p in m.named_parameters():
                assert torch.allclose(p, explicit_after[n], rtol=1e-13, atol=1e-15), n
        else:
            explicit_after = {n: p.detach().clone() for n, p in m.named_parameters()}

    optimizer = make_optimizer(case, list(model.parameters()))
    max_norms = {k: r["max_norm"] for k, r in case["regularization"].items() if r.get("max_norm", 0.0) > 0}
    out = {
        "case": case["case"],
        "description": case["description"],
        "torch_version": torch.__version__,
        "input_size": math.prod(case["input_shape"]),
        "input_shape": case["input_shape"],
        "classes": case["classes"],
        "batch": case["batch"],
        "seed": 42,
        "loss": case.get("loss", "softmax_cross_entropy"),
    }
    if "margin" in case:
        out["margin"] = case["margin"]
    else:
        out["label_smoothing"] = case["label_smoothing"]
    out["optimizer"] = case["opt"]
    out["regularization"] = {k: {"l2": r.get("l2", 0.0), "l1": r.get("l1", 0.0), "max_norm": r.get("max_norm", 0.0)}
                             for k, r in case["regularization"].items()}
    out["architecture"] = architecture(model)
    out["x"] = flat(x)
    if case["targets"] == "labels":
        out["labels"] = target.tolist()
    else:
        out["targets"] = flat(target)
    out["param_order"] = names
    out["params"] = tensor_dict(params0)
    out["inference_output"] = flat(inference)
    steps, rescaled = [], []
    for step in range(NUM_STEPS):
        model.train()
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        data = data_loss(case, logits, target)
        sd = dict(model.named_parameters())
        total = data + penalty(case, sd)
        total.backward()
        if step == 0:
            out["train_output"] = flat(logits)
            out["data_loss"] = data.item()
            out["total_loss"] = total.item()
            out["grads"] = tensor_dict({n: p.grad for n, p in model.named_parameters()})
        optimizer.step()
        counts = {}
        with torch.no_grad():
            for key, c in max_norms.items():
                w = sd[key]
                norms = w.reshape(w.shape[0], -1).norm(dim=1)
                counts[key] = int((norms > c).sum())
                w.copy_(torch.renorm(w, 2, 0, c))
                assert bool((w.reshape(w.shape[0], -1).norm(dim=1) <= c).all()), key
        rescaled.append(counts)
        steps.append({"step": step, "data_loss": data.item(), "total_loss": total.item(),
                      "params": tensor_dict({n: p.detach() for n, p in model.named_parameters()})})
    if max_norms:
        for key, c in max_norms.items():
            per_step = [r[key] for r in rescaled]
            rows = sd[key].shape[0]
            assert any(0 < n < rows for n in per_step), (key, per_step, "want some rows rescaled and some not")
        out["rescaled_rows"] = rescaled
    out["steps"] = steps
    return out


def case_penalty_without_l2(case, params):
    total = 0.0
    for key, r in case["regularization"].items():
        total = total + r.get("l1", 0.0) * params[key].abs().sum()
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", metavar="NAME[,NAME]")
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    torch.set_default_dtype(torch.float32)
    for case in CASES:
        if only is not None and case["case"] not in only:
            continue
        path = write_json(args.out_dir / f"{case['case']}.json", run(case))
        print("wrote", path)


if __name__ == "__main__":
    main()
