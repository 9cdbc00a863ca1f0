#!/usr/bin/python3
"""PyTorch reference values for NetGen's training-time augmentation (NetGen.Data.Augmentation).

Run from the repository root (needs PyTorch 1.13 and NumPy; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_augmentation_reference.py

Writes tests/NetGen.Runtime.Tests/Reference/augmentation.json. For each case it recomputes NetGen's counter-based draws
(the SplitMix64 CounterRng, as in make_reference.py) for a batch (seed, epoch, step): per row r the flip
(Uniform(key, 3r) < p) and the crop offsets (Bits(key, 3r + 1) mod (2P + 1), Bits(key, 3r + 2) mod (2P + 1)), and
Mixup's lambda ~ Beta(alpha, alpha) by the same Marsaglia-Tsang Gamma sampler NetGen.Data.RandomVariates uses. The
transforms themselves are PyTorch's, written as torchvision writes them:

    padded = F.pad(x, (P, P, P, P))                  # RandomCrop(H, padding=P): zeros on every side
    y = padded[:, dy:dy + H, dx:dx + W]              #   the window at (dy, dx)
    y = torch.flip(y, dims=[2]) if flip else y       # RandomHorizontalFlip(p)
    mixed = lam * y + (1 - lam) * y.flip(0)          # Mixup, timm's batch mode (row r with row B - 1 - r)
    targets = lam * one_hot(labels) + (1 - lam) * one_hot(labels).flip(0)

The images are float32; the script is deterministic (fixed seeds); values are written as repr floats.
"""

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Runtime.Tests" / "Reference" / "augmentation.json"

# ---------------------------------------------------------------------------------------------------- NetGen.CounterRng
M64 = 0xFFFFFFFFFFFFFFFF
GOLDEN = 0x9E3779B97F4A7C15
GEOMETRY_STREAM = 0x4E4741554700  # Augmentation.GeometryStream
MIXUP_STREAM = 0x4E4741554701  # Augmentation.MixupStream


def rng_mix(z):
    z &= M64
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & M64
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def rng_derive(a, b):
    return rng_mix((a + GOLDEN * (b + 1)) & M64)


def rng_key(seed, stream, a, b):
    return rng_derive(rng_derive(rng_derive(seed, stream), a), b)


def rng_bits(key, i):
    return rng_derive(key, i)


def rng_uniform(key, i):
    return (rng_bits(key, i) >> 40) * 2.0 ** -24


def rng_uniform_double(key, i):
    return (rng_bits(key, i) >> 11) * 2.0 ** -53


def rng_normal(key, i):
    u1 = rng_uniform_double(key, 2 * i)
    u2 = rng_uniform_double(key, 2 * i + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


assert rng_derive(0, 0) == 0xE220A8397B1DCDAF  # plain SplitMix64 seeded with 0

# ---------------------------------------------------------------------------------------------------- RandomVariates


def marsaglia_tsang(shape, key):
    """Gamma(shape >= 1): Marsaglia and Tsang (2000); attempt t takes normal t of Derive(key, 0), uniform t of Derive(key, 1)."""
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    normals, uniforms = rng_derive(key, 0), rng_derive(key, 1)
    t = 0
    while True:
        z = rng_normal(normals, t)
        v = 1.0 + c * z
        if v > 0:
            v = v * v * v
            u = 1.0 - rng_uniform_double(uniforms, t)
            z2 = z * z
            if u < 1.0 - 0.0331 * z2 * z2 or math.log(u) < 0.5 * z2 + d * (1.0 - v + math.log(v)):
                return d * v
        t += 1


def log_gamma(shape, key):
    if shape >= 1:
        return math.log(marsaglia_tsang(shape, key))
    u = 1.0 - rng_uniform_double(rng_derive(key, 1), 0)
    return math.log(marsaglia_tsang(shape + 1, rng_derive(key, 0))) + math.log(u) / shape


def beta(a, b, key):
    log_x = log_gamma(a, rng_derive(key, 0))
    log_y = log_gamma(b, rng_derive(key, 1))
    return 1.0 / (1.0 + math.exp(log_y - log_x))


# ---------------------------------------------------------------------------------------------------- cases


def case(name, seed, epoch, step, shape, rows, classes, padding, flip_p, alpha, data_seed):
    c, h, w = shape
    rng = np.random.default_rng(data_seed)
    images = rng.uniform(0.0, 1.0, size=(rows, c, h, w)).astype(np.float32)
    labels = rng.integers(0, classes, size=rows)

    key = rng_key(seed, GEOMETRY_STREAM, epoch, step)
    span = 2 * padding + 1
    flips, offsets_y, offsets_x, augmented = [], [], [], []
    x = torch.from_numpy(images)
    for r in range(rows):
        flip = flip_p > 0 and rng_uniform(key, 3 * r) < flip_p
        dy = rng_bits(key, 3 * r + 1) % span
        dx = rng_bits(key, 3 * r + 2) % span
        y = F.pad(x[r], (padding, padding, padding, padding))[:, dy:dy + h, dx:dx + w]
        if flip:
            y = torch.flip(y, dims=[2])
        flips.append(bool(flip))
        offsets_y.append(dy)
        offsets_x.append(dx)
        augmented.append(y)
    augmented = torch.stack(augmented)

    lam = beta(alpha, alpha, rng_key(seed, MIXUP_STREAM, epoch, step)) if alpha > 0 else 1.0
    one_hot = F.one_hot(torch.from_numpy(labels), classes).to(torch.float64)
    targets = lam * one_hot + (1.0 - lam) * one_hot.flip(0)
    mixed = (lam * augmented.to(torch.float64) + (1.0 - lam) * augmented.to(torch.float64).flip(0)).to(torch.float32)
    assert torch.allclose(targets.sum(1), torch.ones(rows, dtype=torch.float64))

    return name, {
        "seed": seed,
        "epoch": epoch,
        "step": step,
        "shape": [c, h, w],
        "rows": rows,
        "classes": classes,
        "padding": padding,
        "flip_probability": flip_p,
        "alpha": alpha,
        "images": [float(v) for v in images.reshape(-1)],
        "labels": [int(v) for v in labels],
        "flips": flips,
        "offsets_y": offsets_y,
        "offsets_x": offsets_x,
        "augmented": [float(v) for v in augmented.reshape(-1).tolist()],
        "lambda": lam,
        "mixed": [float(v) for v in mixed.reshape(-1).tolist()],
        "targets": [float(v) for v in targets.reshape(-1).tolist()],
    }


def main():
    cases = dict([
        # CIFAR-like: pad 4, flips, Mixup alpha 1 (Beta(1, 1), the Gamma(k >= 1) branch); a non-square image.
        case("cifar_like", seed=42, epoch=3, step=12, shape=(3, 6, 9), rows=7, classes=10, padding=4, flip_p=0.5, alpha=1.0, data_seed=1),
        # Digit-like: pad 2, no flip, Mixup alpha 0.2 (the boosted Gamma(k < 1) branch).
        case("digits_like", seed=7, epoch=0, step=2, shape=(1, 8, 8), rows=6, classes=10, padding=2, flip_p=0.0, alpha=0.2, data_seed=2),
    ])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(cases, f)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
