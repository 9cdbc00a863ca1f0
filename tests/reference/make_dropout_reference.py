#!/usr/bin/python3
"""Reference values for NetGen's dropout variants (VanillaDropout, GaussianDropout, Dropout2D, Standout, DropConnect)
at the kernel level: forward in training and inference, and the input (and weight) gradients.

Run from the repository root (needs PyTorch 1.13; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_dropout_reference.py

Writes tests/NetGen.Runtime.Tests/Reference/dropout_variants.json. PyTorch's generator differs from NetGen's, so the
masks are NetGen's (NetGen.CounterRng, re-implemented in make_reference.py) and are fed into the PyTorch computation,
as make_reference.py does for nn.Dropout:

  key            = Key(SEED, DropoutStream = 1, LAYER, STEP), u_i = Uniform(key, i), z_i = Normal(key, i)
  Dropout2D      mask[b, c] = 1/(1 - p) if u_{b*C + c} >= p else 0; y = x * mask[:, :, None, None]. The script first
                 checks on PyTorch's own draws that F.dropout2d (nn.Dropout2d) zeroes whole channels and scales the
                 others by 1/(1 - p), so this is nn.Dropout2d with NetGen's mask.
  VanillaDropout mask_i = 1 if u_i >= p else 0; y = x * mask (training), y = (1 - p) * x (inference). PyTorch has no
                 such module (nn.Dropout is the inverted form).
  GaussianDropout mask_i = 1 + sqrt(p / (1 - p)) * z_i; y = x * mask (training), y = x (inference). No PyTorch module.
  Standout       pi_i = sigmoid(alpha * x_i + beta) in float64, mask_i = 1 if u_i < pi_i else 0; y = x * mask
                 (training), y = x * pi (inference). No PyTorch module (Ba and Frey 2013).
  DropConnect    per-sample weight masks M[b, o, i] = 1/(1 - p) if u_{(b*O + o)*I + i} >= p else 0;
                 y[b] = F.linear(x[b], W * M[b], bias) (training), F.linear(x, W, bias) (inference): nn.Linear's
                 functional form with NetGen's masks (Wan et al. 2013; PyTorch has no DropConnect module). Gradients
                 of x, W and bias from torch.autograd.
Every gradient is torch.autograd's in float64 for the given dy (the mask is a constant, as in NetGen's backward).
x and dy are float32 values from torch.manual_seed(SEED), written as float64. Deterministic.
"""

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reference import DROPOUT_STREAM, rng_key, rng_normal, rng_uniform  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Runtime.Tests" / "Reference" / "dropout_variants.json"
SEED, LAYER, STEP = 42, 3, 1


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def inputs(shape, salt):
    torch.manual_seed(SEED + salt)
    x = torch.randn(*shape, dtype=torch.float32).to(torch.float64)
    dy = torch.randn(*shape, dtype=torch.float32).to(torch.float64)
    return x, dy


def backward(fn, x, dy):
    x = x.clone().requires_grad_(True)
    y = fn(x)
    y.backward(dy)
    return y, x.grad


def check_dropout2d_semantics(p):
    """nn.Dropout2d on PyTorch's own draws: each (sample, channel) plane is all 0 or all x / (1 - p)."""
    torch.manual_seed(0)
    x = torch.rand(4, 6, 3, 5, dtype=torch.float64) + 1.0
    y = F.dropout2d(x, p, training=True)
    ratio = (y / x).reshape(4, 6, -1)
    for plane in ratio.reshape(-1, 15):
        assert torch.allclose(plane, torch.full_like(plane, 0.0)) or torch.allclose(plane, torch.full_like(plane, 1 / (1 - p)))
    assert torch.equal(F.dropout2d(x, p, training=False), x)


def dropout2d_case():
    p, shape = 0.4, (3, 5, 2, 3)
    check_dropout2d_semantics(p)
    key = rng_key(SEED, DROPOUT_STREAM, LAYER, STEP)
    b, c = shape[0], shape[1]
    mask = torch.tensor([1 / (1 - p) if rng_uniform(key, n) >= p else 0.0 for n in range(b * c)], dtype=torch.float64)
    x, dy = inputs(shape, 1)
    y, dx = backward(lambda t: t * mask.view(b, c, 1, 1), x, dy)
    return {"p": p, "shape": list(shape), "x": flat(x), "dy": flat(dy), "mask": flat(mask),
            "y_train": flat(y), "y_eval": flat(x), "dx": flat(dx)}


def vanilla_case():
    p, shape = 0.3, (4, 7)
    key = rng_key(SEED, DROPOUT_STREAM, LAYER, STEP)
    n = math.prod(shape)
    mask = torch.tensor([1.0 if rng_uniform(key, i) >= p else 0.0 for i in range(n)], dtype=torch.float64).view(shape)
    x, dy = inputs(shape, 2)
    y, dx = backward(lambda t: t * mask, x, dy)
    return {"p": p, "shape": list(shape), "x": flat(x), "dy": flat(dy), "mask": flat(mask),
            "y_train": flat(y), "y_eval": flat((1 - p) * x), "dx": flat(dx)}


def gaussian_case():
    p, shape = 0.25, (4, 7)
    key = rng_key(SEED, DROPOUT_STREAM, LAYER, STEP)
    n = math.prod(shape)
    sigma = math.sqrt(p / (1 - p))
    mask = torch.tensor([1.0 + sigma * rng_normal(key, i) for i in range(n)], dtype=torch.float64).view(shape)
    x, dy = inputs(shape, 3)
    y, dx = backward(lambda t: t * mask, x, dy)
    return {"p": p, "shape": list(shape), "x": flat(x), "dy": flat(dy), "mask": flat(mask),
            "y_train": flat(y), "y_eval": flat(x), "dx": flat(dx)}


def standout_case():
    alpha, beta, shape = 2.0, -0.5, (4, 7)
    key = rng_key(SEED, DROPOUT_STREAM, LAYER, STEP)
    x, dy = inputs(shape, 4)
    pi = torch.sigmoid(alpha * x + beta)
    flat_pi = pi.reshape(-1).tolist()
    mask = torch.tensor([1.0 if rng_uniform(key, i) < flat_pi[i] else 0.0 for i in range(len(flat_pi))],
                        dtype=torch.float64).view(shape)
    y, dx = backward(lambda t: t * mask, x, dy)
    return {"alpha": alpha, "beta": beta, "shape": list(shape), "x": flat(x), "dy": flat(dy), "keep_probability": flat(pi),
            "mask": flat(mask), "y_train": flat(y), "y_eval": flat(x * pi), "dx": flat(dx)}


def dropconnect_case():
    p, batch, inputs_, outputs = 0.4, 3, 5, 4
    key = rng_key(SEED, DROPOUT_STREAM, LAYER, STEP)
    n = batch * outputs * inputs_
    mask = torch.tensor([1 / (1 - p) if rng_uniform(key, j) >= p else 0.0 for j in range(n)],
                        dtype=torch.float64).view(batch, outputs, inputs_)
    torch.manual_seed(SEED + 5)
    linear = torch.nn.Linear(inputs_, outputs)
    w = linear.weight.detach().to(torch.float64).clone().requires_grad_(True)
    b = linear.bias.detach().to(torch.float64).clone().requires_grad_(True)
    x = torch.randn(batch, inputs_, dtype=torch.float32).to(torch.float64).requires_grad_(True)
    dy = torch.randn(batch, outputs, dtype=torch.float32).to(torch.float64)
    y = torch.stack([F.linear(x[r], w * mask[r], b) for r in range(batch)])
    y.backward(dy)
    return {"p": p, "batch": batch, "inputs": inputs_, "outputs": outputs, "x": flat(x), "weight": flat(w),
            "bias": flat(b), "dy": flat(dy), "mask": flat(mask), "y_train": flat(y),
            "y_eval": flat(F.linear(x, w, b)), "dx": flat(x.grad), "dweight": flat(w.grad), "dbias": flat(b.grad)}


def main():
    out = {
        "description": "NetGen's masks (CounterRng) fed into PyTorch float64 computations; see make_dropout_reference.py",
        "torch_version": torch.__version__,
        "seed": SEED, "layer": LAYER, "step": STEP,
        "dropout2d": dropout2d_case(),
        "vanilla_dropout": vanilla_case(),
        "gaussian_dropout": gaussian_case(),
        "standout": standout_case(),
        "dropconnect": dropconnect_case(),
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
