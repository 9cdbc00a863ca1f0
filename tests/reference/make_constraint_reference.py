#!/usr/bin/python3
"""PyTorch reference values for NetGen's explicit norm constraint (Dense NormBound), trained through the generalised
Lagrangian with dual ascent on its multiplier (Goodfellow, Bengio & Courville, Deep Learning, section 7.2).

Run from the repository root (needs PyTorch 1.13; the tests only read the committed JSON):

    /usr/bin/python3 tests/reference/make_constraint_reference.py

Writes tests/NetGen.Tests/Reference/normbound_sgd.json with the layout of make_reference.py (x, labels, param_order,
params, inference_output, data_loss, total_loss, grads, steps[{step, data_loss, total_loss, params}]) plus, per step,
"alpha" (the multiplier after the step's dual update), "alpha_before" (the one the step's loss and gradients used) and
"grads" (the gradients of that step's total loss). Weights and inputs are generated in float32 (PyTorch's default
nn.Linear init), every value computed in float64, 3 SGD steps.

The update rule, for the constrained weight W of layer 0 with bound k and dual rate rho:
    Omega(W) = 0.5 * sum(W^2)                    (the same 1/2 as NetGen's L2 term 0.5*l2*sum(w^2))
    L(theta, alpha) = data_loss + alpha * (Omega(W) - k)
    theta <- theta - lr * grad_theta L            (autograd; alpha is a constant there: its term's gradient is alpha*W)
    alpha <- max(0, alpha + rho * (Omega(W_new) - k)),   alpha starting at 0
"""

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
CASE = dict(case="normbound_sgd", torch_seed=31, input_size=4, classes=3, batch=6, lr=0.1, key="0.weight",
            bound=0.5, rate=1.0)


def main():
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(CASE["torch_seed"])
    model32 = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
    x32 = torch.randn(CASE["batch"], CASE["input_size"], dtype=torch.float32)
    labels = torch.randint(0, CASE["classes"], (CASE["batch"],), dtype=torch.int64)
    model = copy.deepcopy(model32).double()
    x = x32.double()
    names = [n for n, _ in model.named_parameters()]
    params0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    with torch.no_grad():
        inference = model(x)
    k, rho, key = CASE["bound"], CASE["rate"], CASE["key"]
    optimizer = torch.optim.SGD(model.parameters(), lr=CASE["lr"])
    alpha = torch.zeros((), dtype=torch.float64)
    out = {
        "case": CASE["case"],
        "description": "Linear(4,6)-Tanh-Linear(6,3), softmax cross-entropy, SGD lr 0.1; layer 0's weight constrained "
                       "to 0.5*||W||_F^2 <= k = 0.5 by the Lagrangian data_loss + alpha*(0.5*||W||^2 - k), alpha "
                       "updated after each step by alpha <- max(0, alpha + 1.0*(0.5*||W||^2 - k)); "
                       "torch.manual_seed(31).",
        "torch_version": torch.__version__,
        "input_size": CASE["input_size"], "input_shape": [CASE["input_size"]], "classes": CASE["classes"],
        "batch": CASE["batch"], "seed": 42, "loss": "softmax_cross_entropy",
        "optimizer": {"kind": "sgd", "lr": CASE["lr"]},
        "constraint": {"key": key, "bound": k, "dual_rate": rho},
        "architecture": architecture(model),
        "x": flat(x), "labels": labels.tolist(), "param_order": names, "params": tensor_dict(params0),
        "inference_output": flat(inference),
    }
    steps = []
    for step in range(NUM_STEPS):
        optimizer.zero_grad(set_to_none=True)
        w = dict(model.named_parameters())[key]
        data = F.cross_entropy(model(x), labels)
        total = data + alpha * (0.5 * (w * w).sum() - k)
        total.backward()
        # The Lagrangian term's gradient is alpha*W: autograd's gradient minus the data loss's.
        grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
        if step == 0:
            out["data_loss"], out["total_loss"], out["grads"] = data.item(), total.item(), tensor_dict(grads)
        alpha_before = alpha.item()
        optimizer.step()
        with torch.no_grad():
            omega = 0.5 * (w * w).sum()
            alpha = torch.clamp(alpha + rho * (omega - k), min=0.0)
        steps.append({"step": step, "data_loss": data.item(), "total_loss": total.item(), "alpha_before": alpha_before,
                      "alpha": alpha.item(), "omega": omega.item(), "grads": tensor_dict(grads),
                      "params": tensor_dict({n: p.detach() for n, p in model.named_parameters()})})
    # The case exercises the multiplier: it is positive from step 1 on, so steps 1 and 2 carry the alpha*W term.
    assert steps[0]["alpha"] > 0 and steps[1]["alpha_before"] > 0, steps
    out["alphas"] = [s["alpha"] for s in steps]
    out["steps"] = steps
    print("wrote", write_json(DEFAULT_OUT / f"{CASE['case']}.json", out))
    print("omega/alpha per step:", [(s["omega"], s["alpha"]) for s in steps])


if __name__ == "__main__":
    main()
