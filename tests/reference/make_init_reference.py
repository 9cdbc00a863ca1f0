#!/usr/bin/python3
"""PyTorch reference values for NetGen's weight initialisations (Init.HeNormal/HeUniform with FanMode, LeCunNormal,
Orthogonal, Sparse).

Run from the repository root (needs PyTorch 1.13; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_init_reference.py

Writes tests/NetGen.Tests/Reference/init_reference.json. PyTorch's initialisers draw from PyTorch's generator, NetGen's
from its counter-based one (NetGen.CounterRng, re-implemented in make_reference.py), so the numbers cannot be compared
directly. Instead the script feeds NetGen's standard draws into PyTorch's own formulas:

  * normal schemes:  W = std · z, z[i] = Normal(Key(seed, 0, t, 0), i), with std computed by PyTorch
                     (torch.nn.init.calculate_gain and torch.nn.init._calculate_correct_fan, as kaiming_normal_ does);
  * uniform schemes: W = bound · (2u − 1), u[i] = UniformDouble(key, i), bound = √3 · std (kaiming_uniform_);
  * orthogonal:      torch.nn.init.orthogonal_'s algorithm (below, checked against orthogonal_ itself with PyTorch's
                     generator) applied to the matrix of NetGen normals: QR with torch.linalg.qr, sign fix, gain;
  * sparse:          PyTorch's sparse_ fixes a *fraction* of zeros per column, NetGen a count of non-zeros per row
                     (Martens 2010), so the script re-implements NetGen's definition (docs/attributes.md, Init.Sparse)
                     and asserts exactly `count` non-zeros per row.

t is the tensor's index in state_dict order (parameters only). Biases are 0 (BiasInit default). Tensors are
flattened row-major; values are the float64 results (NetGen stores them in float32).
"""

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reference import INIT_STREAM, rng_derive, rng_key, rng_normal, rng_uniform_double  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Tests" / "Reference" / "init_reference.json"
SEED = 42
SPARSE_SELECT = 0xFFFFFFFFFFFFFFFF


def normals(key, n):
    return torch.tensor([rng_normal(key, i) for i in range(n)], dtype=torch.float64)


def uniforms(key, n):
    return torch.tensor([rng_uniform_double(key, i) for i in range(n)], dtype=torch.float64)


def kaiming_std(w, mode, nonlinearity):
    fan = nn.init._calculate_correct_fan(w, mode)
    return nn.init.calculate_gain(nonlinearity) / math.sqrt(fan)


def orthogonal_from(flattened, gain):
    """torch.nn.init.orthogonal_ (PyTorch 1.13) after its `flattened = tensor.new(rows, cols).normal_(0, 1)`."""
    rows, cols = flattened.shape
    if rows < cols:
        flattened = flattened.t()
    q, r = torch.linalg.qr(flattened)
    d = torch.diag(r, 0)
    q = q * d.sign()
    if rows < cols:
        q = q.t()
    return q * gain


def check_orthogonal_copy():
    """The copy above equals orthogonal_ itself when both start from PyTorch's generator."""
    for shape, gain in [((5, 3), 1.0), ((3, 7), 2.0), ((4, 2, 3, 3), 0.5)]:
        torch.manual_seed(0)
        expected = torch.empty(shape, dtype=torch.float64)
        nn.init.orthogonal_(expected, gain)
        torch.manual_seed(0)
        flattened = torch.empty(shape[0], math.prod(shape[1:]), dtype=torch.float64).normal_(0, 1)
        got = orthogonal_from(flattened, gain).reshape(shape)
        assert torch.allclose(got, expected, rtol=0, atol=1e-12), shape


def sparse(key, rows, n, count, std):
    """NetGen.Initializers.Sparse: a partial Fisher-Yates shuffle per row picks min(count, n) columns."""
    w = torch.zeros(rows, n, dtype=torch.float64)
    select = rng_derive(key, SPARSE_SELECT)
    k = min(count, n)
    for r in range(rows):
        row_key = rng_derive(select, r)
        columns = list(range(n))
        for j in range(k):
            pick = j + int(rng_uniform_double(row_key, j) * (n - j))
            columns[j], columns[pick] = columns[pick], columns[j]
            i = r * n + columns[j]
            w[r, columns[j]] = std * rng_normal(key, i)
    assert all(int((w[r] != 0).sum()) == k for r in range(rows))
    return w


def build(model, inits):
    """inits: {module index: (rule name, function(weight, key) -> values)}; returns the JSON of the network."""
    params, order = {}, []
    for t, (name, p) in enumerate(model.named_parameters()):
        key = rng_key(SEED, INIT_STREAM, t, 0)
        index = int(name.split(".")[0])
        if name.endswith(".bias"):
            values, rule = torch.zeros_like(p, dtype=torch.float64), "constant 0"
        else:
            rule, fn = inits[index]
            values = fn(p, key).reshape(p.shape)
        order.append(name)
        params[name] = {"shape": list(p.shape), "rule": rule, "data": [float(v) for v in values.reshape(-1)]}
    return {"param_order": order, "params": params}


def he_normal_fan_out(w, key):
    return kaiming_std(w, "fan_out", "relu") * normals(key, w.numel())


def he_uniform_fan_out(w, key):
    bound = math.sqrt(3.0) * kaiming_std(w, "fan_out", "relu")
    return bound * (2.0 * uniforms(key, w.numel()) - 1.0)


def lecun_normal(w, key):
    return kaiming_std(w, "fan_in", "linear") * normals(key, w.numel())


def orthogonal(gain):
    def f(w, key):
        rows = w.shape[0]
        return orthogonal_from(normals(key, w.numel()).reshape(rows, -1), gain)
    return f


def sparse_init(count, std):
    def f(w, key):
        rows = w.shape[0]
        return sparse(key, rows, w.numel() // rows, count, std)
    return f


def main():
    check_orthogonal_copy()
    torch.manual_seed(0)
    dense = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4), nn.Tanh(),
                          nn.Linear(4, 6), nn.Linear(6, 3))
    conv = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Conv2d(3, 4, 2), nn.Flatten(), nn.Linear(16, 3))
    out = {
        "description": "NetGen's standard draws fed into PyTorch's initialisation formulas (kaiming_*, orthogonal_) and NetGen's sparse definition; see make_init_reference.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "networks": {
            "InitDenseReference": build(dense, {
                0: ("orthogonal gain 1.5 (wide: W·Wᵀ = 2.25·I)", orthogonal(1.5)),
                2: ("orthogonal gain 1 (tall: Wᵀ·W = I)", orthogonal(1.0)),
                4: ("kaiming_normal_(mode='fan_out', nonlinearity='relu')", he_normal_fan_out),
                6: ("sparse: 3 non-zeros per row ~ N(0, 0.01²)", sparse_init(3, 0.01)),
                7: ("kaiming_normal_(mode='fan_in', nonlinearity='linear') = N(0, 1/n_in)", lecun_normal),
            }),
            "InitConvReference": build(conv, {
                0: ("orthogonal gain 1 on the [3, 2·3·3] view", orthogonal(1.0)),
                2: ("kaiming_uniform_(mode='fan_out', nonlinearity='relu'), fan_out = 4·2·2", he_uniform_fan_out),
                4: ("sparse: 2 non-zeros per row ~ N(0, 0.05²)", sparse_init(2, 0.05)),
            }),
        },
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
