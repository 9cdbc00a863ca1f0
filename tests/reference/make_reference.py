#!/usr/bin/python3
"""PyTorch reference values for NetGen's tests.

Run from the repository root (needs PyTorch; CI never runs this, it only reads
the committed outputs):

    /usr/bin/python3 tests/reference/make_reference.py            # write everything
    /usr/bin/python3 tests/reference/make_reference.py --only bn_adam,mse_sgd   # just these cases
    /usr/bin/python3 tests/reference/make_reference.py --check-netgen FILE.safetensors

Outputs go to tests/NetGen.Tests/Reference/ (or --out-dir DIR). The script is
deterministic: two runs with the same PyTorch and BLAS give byte-identical
files. Another BLAS changes the last digit of some float64 values (about 1e-16
relative); the committed files were written with PyTorch 1.13 on OpenBLAS
0.3.21 (libopenblas0-pthread).

Conventions (NetGen's; the C# tests rely on them)
-------------------------------------------------

Precision
    Every reference value is computed in float64. Initial weights and inputs
    are nevertheless *generated* in float32 (PyTorch default nn.Linear /
    nn.Conv2d init, PReLU init 0.25, BatchNorm gamma = 1 + 0.1*randn and
    beta = 0.1*randn in float32, inputs and regression targets torch.randn in
    float32) and only then converted to float64, so the float32 safetensors
    files and the float64 JSON hold identical initial values. All JSON numbers
    are written with repr(float), i.e. the shortest string that round-trips
    the float64 exactly.

Layout
    All tensors are flattened row-major ("x" is [batch, *input_shape], i.e.
    [batch, input_size] for vectors and NCHW [batch, C, H, W] for images;
    outputs are [batch, classes], "weight" is [out, in] for nn.Linear and
    [out_channels, in_channels, kh, kw] for nn.Conv2d, as in PyTorch).
    nn.Flatten flattens C*H*W in that (row-major) order. MaxPool2d's stride
    is its kernel size. Parameter keys are PyTorch state_dict keys
    ("<module index>.weight" / ".bias"; nested ones such as
    "2.branch.0.weight" for Residual blocks) in named_parameters order (=
    state_dict order without the buffers), also listed in "param_order".
    Buffers (BatchNorm running_mean, running_var, num_batches_tracked) are
    never in "params"; they have their own "buffer_order" / "buffers".

Residual (resnet_sgd)
    NetGen's Residual(typeof(Block)) is the module Residual below:
    y = branch(x) + shortcut(x), branch = nn.Sequential of the block's
    layers, shortcut = identity (no attribute, no parameters) when the branch
    keeps the per-example shape, else nn.Sequential(nn.Conv2d(C_in, C_out, 1,
    stride=s, bias=False)) with s = product of the branch's conv strides
    (torchvision's downsample without BatchNorm). Keys: "<i>.branch.<j>.*",
    then "<i>.shortcut.0.weight". The activation after the sum is a separate
    layer of the outer Sequential.

BatchNorm (bn_adam)
    nn.BatchNorm1d / nn.BatchNorm2d defaults: eps 1e-5, momentum 0.1, affine,
    track_running_stats. Train mode normalises with the batch mean and the
    BIASED batch variance (over batch for 1d, over batch*H*W per channel for
    2d) and updates running_mean = 0.9*running_mean + 0.1*mean, running_var
    = 0.9*running_var + 0.1*UNBIASED variance (n/(n-1)), num_batches_tracked
    += 1; eval mode uses the running statistics. Initial buffers are
    PyTorch's (0, 1, 0). The script re-derives the train-mode output and both
    running-statistic updates by hand at every step. gamma/beta are
    parameters (trained, never weight-decayed).
    bn_adam's Linear before BatchNorm1d has no bias (BatchNorm cancels any
    batch-uniform shift, so that bias would have an identically zero
    gradient, which Adam turns into float32 rounding noise of up to lr per
    step). torch seed 17 was chosen
    so that no other parameter has a vanishing gradient in the 3 steps.

Loss
    total_loss = mean over the batch of the per-example data loss
                 + 0.5 * weight_decay * sum of squares of every nn.Linear
                   and nn.Conv2d *weight*, at any depth (not biases, not
                   PReLU, not BatchNorm gamma/beta).
    "grads" are the gradients of total_loss.
    softmax_cross_entropy = F.cross_entropy (mean reduction).
    multiclass_hinge (Weston-Watkins, margin 1)
        = mean over batch of sum_{j != y} max(0, f_j - f_y + 1).
      This is NOT nn.MultiMarginLoss, which additionally divides by the class
      count C; the script asserts loss == MultiMarginLoss * C. The max is
      taken with relu, so the derivative at a margin of exactly 0 is 0, as in
      NetGen's kernel (1(margin > 0)).
    mean_squared_error = nn.MSELoss() (mean over ALL batch*outputs
      elements, no factor 1/2), so the "mean over the batch" above is here a
      mean over batch and outputs; the script asserts it equals
      sum((y - t)^2) / numel. These cases have "targets" instead of "labels".
    multiclass_squared_hinge (L2-SVM, field "margin")
        = mean over batch of sum_{j != y} max(0, f_j - f_y + margin)^2
        = nn.MultiMarginLoss(p=2, margin) * C (asserted).
    l1 = nn.L1Loss(); huber = nn.HuberLoss(delta) (field "delta");
    bce_with_logits = nn.BCEWithLogitsLoss(), targets 0/1 (bernoulli) and,
      in the last column, probabilities. All three are means over ALL
      elements, asserted against their explicit formulas, with "targets".

Optimizers
    torch.optim: SGD; SGD(momentum=0.9, dampening=0); SGD(momentum=0.9,
    nesterov=True); Adam(betas=(0.9, 0.999), eps=1e-8); Adagrad(eps=1e-10,
    lr_decay=0, initial_accumulator_value=0); RMSprop(alpha=0.99, eps=1e-8,
    momentum=0, centered=False). Steps use two param
    groups: nn.Linear/nn.Conv2d weights with weight_decay=wd, everything else with
    weight_decay=0, and the loss *without* the explicit regularisation term.
    The script asserts that this gives the same gradient as the explicit
    0.5*wd*sum(W^2) term (both conventions agree), and it also checks every
    torch.optim update against a direct implementation of the update formulas
    in docs/internals.md (NetGen.Kernels.Optimizers).

Dropout and NetGen's CounterRng
    Dropout is NOT PyTorch's random dropout. The mask is NetGen's:
        mask[i] = 1/(1-p) if Uniform(key, i) >= p else 0
        i runs over the flattened row-major [batch, features] activation of
          the dropout layer,
        key = Key(seed, DropoutStream = 1, layer_index, step)
            = Derive(Derive(Derive(seed, 1), layer_index), step),
        layer_index = the Dropout module's index in the nn.Sequential,
        step = 0 for the first training step, 1 for the second, ...
    with CounterRng (SplitMix64 finaliser, all arithmetic mod 2^64):
        mix(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
                 z *= 0x94D049BB133111EB; z ^ (z >> 31)
        Derive(a, b)   = mix(a + 0x9E3779B97F4A7C15 * (b + 1))
        Bits(key, i)   = Derive(key, i)
        Uniform(key,i) = (Bits(key, i) >> 40) * 2^-24
    The dropout module stays at its index in the nn.Sequential (so state_dict
    keys match NetGen's) but is a subclass of nn.Dropout whose forward is
    x * mask in train mode and the identity in eval mode.
    rng_vectors.json holds Key(42, 1, 14, 0), Bits and Uniform for cross-checks.

One training step
    forward in train mode (dropout mask for that step), loss, backward,
    optimizer.step(). In "steps", total_loss is the loss computed in that step
    before the update, params are the values AFTER that step's update.
    "Inference" is eval mode (dropout = identity).
    "train_output", "data_loss", "total_loss", "grads" are those of step 0.
    NUM_STEPS = 3 steps, except where a case sets num_steps (steplr_momentum:
    10).

Learning-rate schedule (steplr_momentum)
    torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma), with
    scheduler.step() called after every optimizer.step(): step k (0-based)
    uses lr = base_lr * gamma ** (k // step_size). "lr_per_step" lists the lr
    each step used (read from the optimizer before the step; asserted equal to
    that formula); the momentum buffer is NOT rescaled when the lr changes
    (p -= lr_k * v_k, v_k = mu * v_{k-1} + g_k).

Files written
    acts_sgd.json, acts_momentum.json, acts_nesterov.json, acts_adam.json,
    acts_adagrad.json, acts_rmsprop.json,
    hinge_sgd.json, mlp_ce_adam.json, spiral_sgd.json,
    cnn_momentum.json, bn_adam.json, resnet_sgd.json, mse_sgd.json,
    mse_multi_adam.json, steplr_momentum.json, squared_hinge_sgd.json,
    l1_sgd.json, huber_adam.json, bce_momentum.json,
    avgpool_momentum.json, layernorm_adam.json      one per case (layout below)
    acts.pytorch.safetensors                  case A initial state_dict, F32
    acts.pytorch.f32.json                     case A eval output of the float32 model
    bn.pytorch.safetensors                    bn_adam's float32 model after 3 float32
                                              training steps: full state_dict
                                              (parameters AND buffers, state_dict
                                              order), F32 + I64 num_batches_tracked
    bn.pytorch.f32.json                       that model's eval output on x (and x,
                                              labels, float32 losses, its distance
                                              from the float64 reference)
    dilation_pool.pytorch.safetensors, .f32.json   the same for dilation_pool_adam
                                              (cases_convfeat.py; parameters only)
    rng_vectors.json                          CounterRng test vectors
  --only NAME[,NAME] writes only those cases (with their .pytorch.* files when
  they have any; "rng_vectors" is also a name), so new cases can be written
  without touching the others.
  --check-netgen FILE writes netgen_roundtrip.json: FILE (written by NetGen,
  same network as case A) loaded into the float32 model with
  load_state_dict(strict=True), eval-mode forward on case A's x, compared with
  the float64 reference inference_output.

Case JSON layout: case, description, torch_version, input_size, classes,
batch, seed, loss, optimizer {kind, lr, momentum, dampening, nesterov, beta1,
beta2, eps, alpha} (null where not applicable), weight_decay, architecture, x, labels,
param_order, params {key: {shape, data}}, inference_output, train_output,
data_loss, total_loss, grads, dropout_masks (only with dropout; one flattened
mask per step), steps [{step, data_loss, total_loss, params}].

The cases with an input shape (cnn_momentum, bn_adam, resnet_sgd, mse_sgd,
mse_multi_adam, steplr_momentum) use the same layout (same key order) with:
  input_shape   per-example shape, e.g. [2, 8, 8] or [4]; input_size is its
                product. Written right after input_size.
  classes       the output width (for MSE cases: number of regression outputs).
  targets       (MSE cases, instead of labels) flattened [batch, classes]
                float32-generated randn values as float64; loss is
                "mean_squared_error".
  architecture  entries also for Conv2d {in_channels, out_channels,
                kernel_size [kh,kw], stride, padding, bias}, MaxPool2d
                {kernel_size, stride, padding}, BatchNorm1d/BatchNorm2d
                {num_features, eps, momentum, affine, track_running_stats},
                Flatten {start_dim, end_dim}, Residual {block, branch [...],
                shortcut [...] or null}; every entry (nested ones too) has
                output_shape, the per-example shape after that module.
  schedule      {kind: "StepLR", step_size, gamma} (after optimizer; only with a
                schedule); optimizer.lr is then the base lr.
  buffer_order  (only with buffers, after params) named_buffers order, e.g.
                "1.running_mean", "1.running_var", "1.num_batches_tracked",
                "6.running_mean", ...
  buffers       {key: {shape, dtype, data}} initial values; dtype "F32" for
                running_mean/var (values of the float64 reference; NetGen
                stores them in float32), "I64" for num_batches_tracked (shape
                [], data a list with one integer).
  lr_per_step   (only with a schedule, before steps) the lr each step used.
  steps[i].buffers  (only with buffers) every buffer after step i, same
                layout as buffers (num_batches_tracked = i + 1).
  eval_output_after_steps  (only with buffers, last field) eval-mode forward
                on x after the last step (running statistics), flattened
                [batch, classes].
safetensors: dtypes F32, F64 and I64 (little-endian int64; 0-d tensors have
shape [] and 8 bytes); header keys in state_dict order, then __metadata__.
"""

import argparse
import copy
import hashlib
import json
import math
import os
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "tests" / "NetGen.Tests" / "Reference"
NUM_STEPS = 3

# ---------------------------------------------------------------------------
# NetGen.CounterRng
# ---------------------------------------------------------------------------
M64 = 0xFFFFFFFFFFFFFFFF
GOLDEN = 0x9E3779B97F4A7C15
INIT_STREAM, DROPOUT_STREAM, SHUFFLE_STREAM = 0, 1, 2


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


# Plain SplitMix64 seeded with 0 yields 0xE220A8397B1DCDAF first.
assert rng_derive(0, 0) == 0xE220A8397B1DCDAF


def netgen_dropout_mask(seed, layer_index, step, numel, p):
    """Flattened float64 mask, NetGen.Kernels.Dropout.Forward."""
    key = rng_key(seed, DROPOUT_STREAM, layer_index, step)
    keep = 1.0 / (1.0 - p)
    return [keep if rng_uniform(key, i) >= p else 0.0 for i in range(numel)]


class NetGenDropout(nn.Dropout):
    """nn.Dropout (same place in the Sequential, no parameters) whose train-mode
    forward multiplies by the externally set NetGen mask."""

    def __init__(self, p):
        super().__init__(p)
        self.mask = None

    def forward(self, x):
        if not self.training:
            return x
        if self.mask is None or self.mask.shape != x.shape:
            raise RuntimeError("NetGenDropout: mask not set for this input shape")
        return x * self.mask.to(x.dtype)


# ---------------------------------------------------------------------------
# safetensors (own implementation; no safetensors package needed)
# ---------------------------------------------------------------------------
_ST_DTYPES = {"F32": ("<f4", torch.float32), "F64": ("<f8", torch.float64), "I64": ("<i8", torch.int64)}


def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> torch tensor (float32/float64/int64; 0-d tensors have shape [])."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.float32:
            dtype, npdt = "F32", "<f4"
        elif t.dtype == torch.float64:
            dtype, npdt = "F64", "<f8"
        elif t.dtype == torch.int64:
            dtype, npdt = "I64", "<i8"
        else:
            raise ValueError(f"unsupported dtype {t.dtype}")
        raw = t.numpy().astype(npdt, copy=False).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = dict(metadata)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((-len(hbytes)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def read_safetensors(data):
    """bytes -> (ordered dict name -> torch tensor, metadata). Validates strictly."""
    if len(data) < 8:
        raise ValueError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"header length {n} exceeds file size {len(data)}")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"header is not UTF-8 JSON: {e}") from e
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    body = data[8 + n:]
    metadata = header.pop("__metadata__", None)
    tensors = {}
    spans = []
    for name, info in header.items():
        dtype = info.get("dtype")
        shape = info.get("shape")
        offs = info.get("data_offsets")
        if dtype not in _ST_DTYPES:
            raise ValueError(f"{name}: unsupported dtype {dtype!r}")
        if (not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape)):
            raise ValueError(f"{name}: bad shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) for o in offs)
                or not 0 <= offs[0] <= offs[1] <= len(body)):
            raise ValueError(f"{name}: bad data_offsets {offs!r}")
        npdt, tdt = _ST_DTYPES[dtype]
        count = math.prod(shape)
        if offs[1] - offs[0] != count * np.dtype(npdt).itemsize:
            raise ValueError(f"{name}: data_offsets size does not match shape {shape} {dtype}")
        arr = np.frombuffer(body, dtype=npdt, count=count, offset=offs[0]).astype(npdt.replace("<", "="))
        tensors[name] = torch.from_numpy(arr.copy()).reshape(shape).to(tdt)
        spans.append((offs[0], offs[1], name))
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b != pos:
            raise ValueError(f"{name}: data section has a gap or overlap at byte {pos}")
        pos = e
    if pos != len(body):
        raise ValueError(f"data section has {len(body) - pos} trailing bytes")
    return tensors, metadata


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------
def softmax_cross_entropy(logits, labels):
    return F.cross_entropy(logits, labels)


def multiclass_hinge(logits, labels):
    """Weston-Watkins, margin 1: mean_b sum_{j != y} max(0, f_j - f_y + 1)."""
    fy = logits.gather(1, labels.view(-1, 1))
    not_y = 1.0 - F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    per_example = (F.relu(logits - fy + 1.0) * not_y).sum(dim=1)
    loss = per_example.mean()
    ref = nn.MultiMarginLoss(p=1, margin=1.0)(logits, labels) * logits.shape[1]
    assert torch.allclose(loss, ref, rtol=1e-14, atol=1e-15), (loss.item(), ref.item())
    return loss


def mean_squared_error(outputs, targets):
    """nn.MSELoss(): mean over ALL elements (batch * outputs), no factor 1/2."""
    loss = nn.MSELoss()(outputs, targets)
    explicit = ((outputs - targets) ** 2).sum() / outputs.numel()
    tol = 1e-14 if outputs.dtype == torch.float64 else 1e-6
    assert torch.allclose(loss, explicit, rtol=tol, atol=0.0), (loss.item(), explicit.item())
    return loss


def multiclass_squared_hinge(logits, labels, margin=1.0):
    """L2-SVM: mean_b sum_{j != y} max(0, f_j - f_y + margin)^2 = C * nn.MultiMarginLoss(p=2, margin)."""
    fy = logits.gather(1, labels.view(-1, 1))
    not_y = 1.0 - F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    loss = ((F.relu(logits - fy + margin) ** 2) * not_y).sum(dim=1).mean()
    ref = nn.MultiMarginLoss(p=2, margin=margin)(logits, labels) * logits.shape[1]
    assert torch.allclose(loss, ref, rtol=1e-14, atol=1e-15), (loss.item(), ref.item())
    return loss


def l1(outputs, targets):
    """nn.L1Loss(): mean over ALL elements of |y - t|."""
    loss = nn.L1Loss()(outputs, targets)
    assert torch.allclose(loss, (outputs - targets).abs().sum() / outputs.numel(), rtol=1e-14, atol=0.0)
    return loss


def huber(outputs, targets, delta=1.0):
    """nn.HuberLoss(delta): mean over ALL elements of 0.5 e^2 (|e| <= delta) or delta (|e| - 0.5 delta)."""
    loss = nn.HuberLoss(delta=delta)(outputs, targets)
    e = (outputs - targets).abs()
    explicit = torch.where(e <= delta, 0.5 * e * e, delta * (e - 0.5 * delta)).sum() / outputs.numel()
    assert torch.allclose(loss, explicit, rtol=1e-14, atol=0.0), (loss.item(), explicit.item())
    return loss


def bce_with_logits(outputs, targets):
    """nn.BCEWithLogitsLoss(): mean over ALL elements of max(f, 0) - f t + log(1 + e^-|f|)."""
    loss = nn.BCEWithLogitsLoss()(outputs, targets)
    explicit = (outputs.clamp(min=0) - outputs * targets + torch.log1p(torch.exp(-outputs.abs()))).sum() / outputs.numel()
    assert torch.allclose(loss, explicit, rtol=1e-13, atol=0.0), (loss.item(), explicit.item())
    return loss


LOSSES = {"softmax_cross_entropy": softmax_cross_entropy, "multiclass_hinge": multiclass_hinge,
          "mean_squared_error": mean_squared_error, "multiclass_squared_hinge": multiclass_squared_hinge,
          "l1": l1, "huber": huber, "bce_with_logits": bce_with_logits}
REGRESSION_LOSSES = {"mean_squared_error", "l1", "huber", "bce_with_logits"}


# ---------------------------------------------------------------------------
# Models and cases
# ---------------------------------------------------------------------------
def build_acts():
    return nn.Sequential(
        nn.Linear(5, 6), nn.ReLU(),
        nn.Linear(6, 6), nn.LeakyReLU(0.01),
        nn.Linear(6, 6), nn.PReLU(),
        nn.Linear(6, 6), nn.Sigmoid(),
        nn.Linear(6, 6), nn.Tanh(),
        nn.Linear(6, 6), nn.ELU(1.0),
        nn.Linear(6, 6), nn.Identity(),
        NetGenDropout(0.25),
        nn.Linear(6, 3),
    )


def build_hinge():
    m = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4, bias=False))
    # Scale the default init by powers of two (exact in float32) so the scores spread beyond the margin of 1:
    # then some hinge terms are inactive (margin <= 0) and both branches of the derivative are exercised.
    with torch.no_grad():
        m[0].weight.mul_(4.0)
        m[2].weight.mul_(8.0)
    return m


def build_mlp():
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))


def build_spiral():
    return nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))


class Residual(nn.Module):
    """NetGen's Residual(typeof(Block)): y = branch(x) + shortcut(x).

    branch is an nn.Sequential of the block's layers. shortcut is the identity (no attribute, no parameters)
    when the branch keeps the per-example shape, else an nn.Sequential holding one projection
    nn.Conv2d(C_in, C_out, 1, stride=s, bias=False), s = product of the branch's conv strides (torchvision's
    downsample without BatchNorm). Keys: "<i>.branch.<j>.weight", ..., "<i>.shortcut.0.weight"."""

    def __init__(self, block, layers, in_shape):
        super().__init__()
        self.block = block
        self.branch = nn.Sequential(*layers)
        with torch.no_grad():  # no RNG draws, no parameter change (the branch has no BatchNorm here)
            out_shape = list(self.branch(torch.zeros(1, *in_shape)).shape[1:])
        if out_shape != list(in_shape):
            stride = math.prod(m.stride[0] for m in self.branch if isinstance(m, nn.Conv2d))
            self.shortcut = nn.Sequential(nn.Conv2d(in_shape[0], out_shape[0], 1, stride=stride, bias=False))
            with torch.no_grad():
                proj_shape = list(self.shortcut(torch.zeros(1, *in_shape)).shape[1:])
            assert proj_shape == out_shape, (proj_shape, out_shape)
        else:
            self.shortcut = None

    def forward(self, x):
        y = self.branch(x)
        s = x if self.shortcut is None else self.shortcut(x)
        assert s.shape == y.shape, (s.shape, y.shape)
        return y + s


def build_cnn():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 2, stride=2), nn.Tanh(),
        nn.Flatten(), nn.Linear(24, 3),
    )


def build_bn():
    m = nn.Sequential(
        nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3),
    )
    # Non-trivial affine parameters, generated in float32 right after the default init (gamma then beta, layer 1
    # then layer 6). The buffers keep PyTorch's initial values (running_mean 0, running_var 1, num_batches_tracked 0).
    with torch.no_grad():
        for i in (1, 6):
            bn = m[i]
            bn.weight.copy_(1.0 + 0.1 * torch.randn(bn.num_features, dtype=torch.float32))
            bn.bias.copy_(0.1 * torch.randn(bn.num_features, dtype=torch.float32))
    return m


def build_resnet():
    basic_block4 = [nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1)]
    down_block8 = [nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1)]
    conv = nn.Conv2d(2, 4, 3, padding=1)
    relu1 = nn.ReLU()
    res1 = Residual("BasicBlock4", basic_block4, [4, 6, 6])
    relu2 = nn.ReLU()
    res2 = Residual("DownBlock8", down_block8, [4, 6, 6])
    assert res1.shortcut is None and res2.shortcut is not None
    return nn.Sequential(conv, relu1, res1, relu2, res2, nn.ReLU(), nn.Flatten(), nn.Linear(72, 3))


class GlobalAvgPool(nn.Module):
    """NetGen's GlobalAvgPool2D: nn.AdaptiveAvgPool2d(1) then nn.Flatten(), [C, H, W] -> [C], as one module so that
    the state_dict indices of the modules after it stay NetGen's layer indices (two modules in the nn.Sequential
    would shift them by one). No parameters, no buffers."""

    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(self.pool(x))


def build_avgpool():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(3, stride=1, padding=1),
        GlobalAvgPool(), nn.Linear(6, 3),
    )


def build_layernorm():
    m = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.LayerNorm([4, 6, 6]), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(36, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3),
    )
    # Non-trivial affine parameters, generated in float32 right after the default init (weight then bias, layer 1
    # then layer 6), as for BatchNorm in build_bn.
    with torch.no_grad():
        for i in (1, 6):
            ln = m[i]
            ln.weight.copy_(1.0 + 0.1 * torch.randn(ln.normalized_shape, dtype=torch.float32))
            ln.bias.copy_(0.1 * torch.randn(ln.normalized_shape, dtype=torch.float32))
    return m


def build_mse_1():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def build_mse_3():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def build_squared_hinge():
    m = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4))
    # As build_hinge: scores spread beyond the margin, so some terms are inactive.
    with torch.no_grad():
        m[0].weight.mul_(4.0)
        m[2].weight.mul_(4.0)
    return m


def build_l1():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def build_huber():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def build_bce():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4))


def build_steplr():
    return nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))


ACTS_DESC = ("Every activation NetGen supports (ReLU, LeakyReLU 0.01, PReLU, Sigmoid, Tanh, ELU 1.0, "
             "Identity) plus Dropout(0.25) at index 14 with NetGen's CounterRng mask; softmax cross-entropy, "
             "L2 weight decay 1e-3 on Linear weights; weights/inputs from torch.manual_seed(0). ")

CASES = [
    dict(case="acts_sgd", build=build_acts, torch_seed=0, input_size=5, classes=3, batch=4, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3, opt=dict(kind="sgd", lr=0.1),
         description=ACTS_DESC + "Optimizer: plain SGD lr 0.1."),
    dict(case="acts_momentum", build=build_acts, torch_seed=0, input_size=5, classes=3, batch=4, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3, opt=dict(kind="momentum", lr=0.1, momentum=0.9),
         description=ACTS_DESC + "Optimizer: SGD momentum 0.9 (dampening 0) lr 0.1."),
    dict(case="acts_nesterov", build=build_acts, torch_seed=0, input_size=5, classes=3, batch=4, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3, opt=dict(kind="nesterov", lr=0.1, momentum=0.9),
         description=ACTS_DESC + "Optimizer: SGD Nesterov momentum 0.9 lr 0.1."),
    dict(case="acts_adam", build=build_acts, torch_seed=0, input_size=5, classes=3, batch=4, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description=ACTS_DESC + "Optimizer: Adam lr 0.01 betas (0.9, 0.999) eps 1e-8 (L2 folded into the gradient)."),
    dict(case="acts_adagrad", build=build_acts, torch_seed=0, input_size=5, classes=3, batch=4, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3, opt=dict(kind="adagrad", lr=0.05, eps=1e-10),
         description=ACTS_DESC + "Optimizer: Adagrad lr 0.05 eps 1e-10 (PyTorch's default), lr_decay 0, "
                                 "initial accumulator 0 (L2 folded into the gradient)."),
    dict(case="acts_rmsprop", build=build_acts, torch_seed=0, input_size=5, classes=3, batch=4, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3, opt=dict(kind="rmsprop", lr=0.01, alpha=0.9, eps=1e-8),
         description=ACTS_DESC + "Optimizer: RMSprop lr 0.01 alpha 0.9 eps 1e-8, not centered, no momentum "
                                 "(L2 folded into the gradient)."),
    dict(case="hinge_sgd", build=build_hinge, torch_seed=1, input_size=5, classes=4, batch=6, seed=42,
         loss="multiclass_hinge", weight_decay=0.0, opt=dict(kind="sgd", lr=0.1),
         description="Linear(5,7)-ReLU-Linear(7,4,bias=False), multiclass hinge (Weston-Watkins, margin 1, "
                     "mean over batch, not divided by the class count), no weight decay, SGD lr 0.1; "
                     "torch.manual_seed(1)."),
    dict(case="mlp_ce_adam", build=build_mlp, torch_seed=2, input_size=8, classes=4, batch=5, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-2,
         opt=dict(kind="adam", lr=0.005, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Linear(8,16)-Tanh-Linear(16,16)-ReLU-Linear(16,4), softmax cross-entropy, L2 weight "
                     "decay 1e-2 on Linear weights, Adam lr 0.005; no dropout (seed unused); "
                     "torch.manual_seed(2)."),
    dict(case="spiral_sgd", build=build_spiral, torch_seed=3, input_size=2, classes=3, batch=300, seed=42,
         loss="softmax_cross_entropy", weight_decay=1e-3, opt=dict(kind="sgd", lr=1.0),
         description="The CS231n spiral shape, Linear(2,100)-ReLU-Linear(100,3), which NetGen runs as one fused "
                     "narrow-pair kernel per direction (hidden activations recomputed, never stored); softmax "
                     "cross-entropy, L2 weight decay 1e-3 on Linear weights, SGD lr 1.0, batch 300; "
                     "torch.manual_seed(3)."),
    # ---- cases with input_shape (the fields input_shape, targets, buffers, schedule, ... may appear) ----
    dict(case="cnn_momentum", build=build_cnn, torch_seed=4, input_shape=[2, 8, 8], input_size=128, classes=3,
         batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.05, momentum=0.9),
         description="Conv2d(2,4,3,padding=1)-ReLU-MaxPool2d(2)-Conv2d(4,6,2,stride=2)-Tanh-Flatten-Linear(24,3) "
                     "on [2,8,8] inputs (NCHW), softmax cross-entropy, L2 weight decay 1e-3 on Conv2d and Linear "
                     "weights (not biases), SGD momentum 0.9 (dampening 0) lr 0.05; torch.manual_seed(4)."),
    dict(case="bn_adam", build=build_bn, torch_seed=17, input_shape=[3, 6, 6], input_size=108, classes=3,
         batch=5, seed=42, loss="softmax_cross_entropy", weight_decay=0.0,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8), f32_artefacts="bn",
         description="Conv2d(3,4,3,bias=False)-BatchNorm2d(4)-ReLU-MaxPool2d(2)-Flatten-Linear(16,8)-"
                     "BatchNorm1d(8)-ReLU-Linear(8,3) on [3,6,6] inputs; BatchNorm defaults (momentum 0.1, eps "
                     "1e-5, affine, running stats tracked; train mode normalises with the biased batch variance, "
                     "running_var is updated with the unbiased one), gamma = 1 + 0.1*randn, beta = 0.1*randn "
                     "(float32), initial buffers PyTorch's (mean 0, var 1, num_batches_tracked 0); softmax "
                     "cross-entropy, no weight decay, Adam lr 0.01; torch.manual_seed(17). The Linear before BatchNorm1d has no bias: BatchNorm removes any batch-uniform "
                     "shift, so a bias there would have an identically zero gradient that Adam turns into float32 noise. "
                     "Seed 17 was chosen so that no parameter has a vanishing gradient in the 3 steps."),
    dict(case="resnet_sgd", build=build_resnet, torch_seed=6, input_shape=[2, 6, 6], input_size=72, classes=3,
         batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=0.0, opt=dict(kind="sgd", lr=0.05),
         description="Conv2d(2,4,3,padding=1)-ReLU-Residual(BasicBlock4)-ReLU-Residual(DownBlock8)-ReLU-Flatten-"
                     "Linear(72,3) on [2,6,6] inputs. Residual: y = branch(x) + shortcut(x); BasicBlock4 = "
                     "Conv2d(4,4,3,padding=1)-ReLU-Conv2d(4,4,3,padding=1) with identity shortcut; DownBlock8 = "
                     "Conv2d(4,8,3,stride=2,padding=1)-ReLU-Conv2d(8,8,3,padding=1) with projection shortcut "
                     "Conv2d(4,8,1,stride=2,bias=False). Softmax cross-entropy, no weight decay, SGD lr 0.05; "
                     "torch.manual_seed(6)."),
    dict(case="mse_sgd", build=build_mse_1, torch_seed=7, input_shape=[4], input_size=4, classes=1, batch=8,
         seed=42, loss="mean_squared_error", weight_decay=0.0, opt=dict(kind="sgd", lr=0.05),
         description="Linear(4,8)-Tanh-Linear(8,1), nn.MSELoss() (mean over batch*outputs), targets = "
                     "randn(8,1) float32, no weight decay, SGD lr 0.05; torch.manual_seed(7)."),
    dict(case="mse_multi_adam", build=build_mse_3, torch_seed=8, input_shape=[4], input_size=4, classes=3,
         batch=8, seed=42, loss="mean_squared_error", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Linear(4,8)-ReLU-Linear(8,3), nn.MSELoss() (mean over all 24 elements), targets = "
                     "randn(8,3) float32, L2 weight decay 1e-3 on Linear weights, Adam lr 0.01 betas (0.9, 0.999) "
                     "eps 1e-8 (L2 folded into the gradient); torch.manual_seed(8)."),
    dict(case="steplr_momentum", build=build_steplr, torch_seed=9, input_shape=[5], input_size=5, classes=3,
         batch=8, seed=42, loss="softmax_cross_entropy", weight_decay=0.0,
         opt=dict(kind="momentum", lr=0.1, momentum=0.9), num_steps=10,
         schedule=dict(kind="StepLR", step_size=3, gamma=0.5),
         description="Linear(5,6)-ReLU-Linear(6,3), softmax cross-entropy, no weight decay, SGD momentum 0.9 "
                     "(dampening 0) with base lr 0.1 and torch.optim.lr_scheduler.StepLR(step_size=3, gamma=0.5), "
                     "scheduler.step() after every optimizer.step(); 10 steps (lr 0.1 x3, 0.05 x3, 0.025 x3, "
                     "0.0125); torch.manual_seed(9)."),
    # ---- more losses (loss_args become JSON fields after "loss"; bernoulli targets for binary cross-entropy) ----
    dict(case="squared_hinge_sgd", build=build_squared_hinge, torch_seed=10, input_shape=[5], input_size=5, classes=4,
         batch=6, seed=42, loss="multiclass_squared_hinge", loss_args=dict(margin=2.0), weight_decay=1e-3,
         opt=dict(kind="sgd", lr=0.02),
         description="Linear(5,7)-ReLU-Linear(7,4) (weights x4), squared multiclass hinge (L2-SVM) with margin 2: "
                     "mean over batch of sum_{j != y} max(0, f_j - f_y + 2)^2 = 4 * nn.MultiMarginLoss(p=2, margin=2), "
                     "L2 weight decay 1e-3, SGD lr 0.02; torch.manual_seed(10)."),
    dict(case="l1_sgd", build=build_l1, torch_seed=11, input_shape=[4], input_size=4, classes=2, batch=8,
         seed=42, loss="l1", weight_decay=0.0, opt=dict(kind="sgd", lr=0.05),
         description="Linear(4,8)-Tanh-Linear(8,2), nn.L1Loss() (mean over all 16 elements), targets = randn(8,2) "
                     "float32, no weight decay, SGD lr 0.05; torch.manual_seed(11)."),
    dict(case="huber_adam", build=build_huber, torch_seed=12, input_shape=[4], input_size=4, classes=3, batch=8,
         seed=42, loss="huber", loss_args=dict(delta=0.5), weight_decay=0.0,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Linear(4,8)-ReLU-Linear(8,3), nn.HuberLoss(delta=0.5) (mean over all 24 elements, errors on "
                     "both sides of delta), targets = randn(8,3) float32, no weight decay, Adam lr 0.01; "
                     "torch.manual_seed(12)."),
    dict(case="bce_momentum", build=build_bce, torch_seed=13, input_shape=[5], input_size=5, classes=4, batch=6,
         seed=42, loss="bce_with_logits", targets="bernoulli", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.1, momentum=0.9),
         description="Linear(5,8)-Tanh-Linear(8,4), nn.BCEWithLogitsLoss() (mean over all 24 elements), multi-label "
                     "targets: bernoulli(0.5) 0/1 in the first 3 columns and a probability rand() in the last, "
                     "L2 weight decay 1e-3, SGD momentum 0.9 lr 0.1; torch.manual_seed(13)."),
    dict(case="avgpool_momentum", build=build_avgpool, torch_seed=10, input_shape=[2, 8, 8], input_size=128,
         classes=3, batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.05, momentum=0.9),
         description="Conv2d(2,4,3,padding=1)-ReLU-AvgPool2d(2)-Conv2d(4,6,3,padding=1)-Tanh-"
                     "AvgPool2d(3,stride=1,padding=1)-GlobalAvgPool-Linear(6,3) on [2,8,8] inputs; AvgPool2d with "
                     "PyTorch's defaults (count_include_pad=True: the zero padding counts in the divisor, "
                     "ceil_mode=False); GlobalAvgPool = AdaptiveAvgPool2d(1) then Flatten as one module (index 6), "
                     "so the Linear is 7.weight as in NetGen; softmax cross-entropy, L2 weight decay 1e-3 on "
                     "Conv2d and Linear weights, SGD momentum 0.9 (dampening 0) lr 0.05; torch.manual_seed(10)."),
    dict(case="layernorm_adam", build=build_layernorm, torch_seed=11, input_shape=[2, 6, 6], input_size=72,
         classes=3, batch=5, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Conv2d(2,4,3,padding=1)-LayerNorm([4,6,6])-ReLU-MaxPool2d(2)-Flatten-Linear(36,8)-LayerNorm(8)-"
                     "Tanh-Linear(8,3) on [2,6,6] inputs; LayerNorm over each sample's whole shape, eps 1e-5, "
                     "elementwise affine with weight = 1 + 0.1*randn and bias = 0.1*randn (float32, of the "
                     "normalized shape), no buffers, the same in train and eval mode; softmax cross-entropy, L2 "
                     "weight decay 1e-3 on Conv2d and Linear weights (not LayerNorm's), Adam lr 0.01 betas "
                     "(0.9, 0.999) eps 1e-8 (L2 folded into the gradient); torch.manual_seed(11)."),
]

CASES += __import__("cases_conv").CASES  # convolution completeness: tests/reference/cases_conv.py
CASES += __import__("cases_convfeat").CASES  # per-axis dilation, rectangular pooling: tests/reference/cases_convfeat.py
CASES += __import__("cases_lnshape").CASES  # LayerNorm over the last dimensions: tests/reference/cases_lnshape.py
CASES += __import__("cases_c2bwd").CASES  # conv → ReLU → pool backward fused (ADR 0064): tests/reference/cases_c2bwd.py


def make_case_data(case):
    """Float32 model + float32 inputs from the case's torch seed (model first, then x, then labels or targets).

    x is [batch, *input_shape] (input_shape defaults to [input_size]). Regression losses draw float32
    targets = randn(batch, classes) instead of labels."""
    torch.manual_seed(case["torch_seed"])
    model32 = case["build"]()
    shape = case.get("input_shape", [case["input_size"]])
    assert math.prod(shape) == case["input_size"], case["case"]
    x32 = torch.randn(case["batch"], *shape, dtype=torch.float32)
    if case.get("targets") == "bernoulli":
        t = torch.bernoulli(torch.full((case["batch"], case["classes"]), 0.5, dtype=torch.float32))
        t[:, -1] = torch.rand(case["batch"], dtype=torch.float32)
        return model32, x32, t
    if case["loss"] in REGRESSION_LOSSES:
        return model32, x32, torch.randn(case["batch"], case["classes"], dtype=torch.float32)
    labels = torch.randint(0, case["classes"], (case["batch"],), dtype=torch.int64)
    while bool((labels == labels[0]).all()):  # deterministic redraw, never taken for the shipped cases
        labels = torch.randint(0, case["classes"], (case["batch"],), dtype=torch.int64)
    return model32, x32, labels


def dropout_modules(model):
    return [(i, m) for i, m in enumerate(model) if isinstance(m, NetGenDropout)]


def set_masks(model, seed, step, batch):
    """Sets each dropout layer's mask for `step`; returns {layer_index: flattened mask}."""
    masks = {}
    for idx, m in dropout_modules(model):
        feats = _features_before(model, idx)
        flat = netgen_dropout_mask(seed, idx, step, batch * feats, m.p)
        m.mask = torch.tensor(flat, dtype=torch.float64).view(batch, feats)
        masks[idx] = flat
    return masks


def _features_before(model, idx):
    for j in range(idx - 1, -1, -1):
        if isinstance(model[j], nn.Linear):
            return model[j].out_features
    raise ValueError("no Linear before dropout")


def decayed_weight_names(model):
    """The weights that weight decay applies to: every nn.Linear and nn.Conv2d *weight*, at any depth (not
    biases, not PReLU, not BatchNorm gamma/beta), in named_parameters order."""
    return [f"{n}.weight" for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def _pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def architecture(model, shapes=None):
    """One entry per module of the nn.Sequential. With shapes (module -> per-example output shape, from forward
    hooks; only for the input_shape cases) every entry also gets "output_shape"."""
    out = []
    for i, m in enumerate(model):
        if isinstance(m, nn.Conv2d):
            out.append({"index": i, "type": "Conv2d", "in_channels": m.in_channels, "out_channels": m.out_channels,
                        "kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride),
                        "padding": m.padding if isinstance(m.padding, str) else _pair(m.padding),
                        "bias": m.bias is not None,
                        **({"dilation": _pair(m.dilation)} if _pair(m.dilation) != [1, 1] else {}),
                        **({"groups": m.groups} if m.groups != 1 else {})})
        elif isinstance(m, nn.MaxPool2d):
            out.append({"index": i, "type": "MaxPool2d", "kernel_size": _pair(m.kernel_size),
                        "stride": _pair(m.stride), "padding": _pair(m.padding)})
        elif isinstance(m, nn.AvgPool2d):
            out.append({"index": i, "type": "AvgPool2d", "kernel_size": _pair(m.kernel_size),
                        "stride": _pair(m.stride), "padding": _pair(m.padding),
                        "count_include_pad": m.count_include_pad, "ceil_mode": m.ceil_mode})
        elif isinstance(m, GlobalAvgPool):
            out.append({"index": i, "type": "GlobalAvgPool", "modules": ["AdaptiveAvgPool2d(1)", "Flatten"]})
        elif isinstance(m, nn.LayerNorm):
            out.append({"index": i, "type": "LayerNorm", "normalized_shape": list(m.normalized_shape), "eps": m.eps,
                        "elementwise_affine": m.elementwise_affine})
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            out.append({"index": i, "type": type(m).__name__, "num_features": m.num_features, "eps": m.eps,
                        "momentum": m.momentum, "affine": m.affine,
                        "track_running_stats": m.track_running_stats})
        elif isinstance(m, nn.Flatten):
            out.append({"index": i, "type": "Flatten", "start_dim": m.start_dim, "end_dim": m.end_dim})
        elif isinstance(m, Residual):
            out.append({"index": i, "type": "Residual", "block": m.block,
                        "branch": architecture(m.branch, shapes),
                        "shortcut": None if m.shortcut is None else architecture(m.shortcut, shapes)})
        elif isinstance(m, nn.Linear):
            out.append({"index": i, "type": "Linear", "in": m.in_features, "out": m.out_features,
                        "bias": m.bias is not None})
        elif isinstance(m, nn.LeakyReLU):
            out.append({"index": i, "type": "LeakyReLU", "negative_slope": m.negative_slope})
        elif isinstance(m, nn.PReLU):
            out.append({"index": i, "type": "PReLU", "num_parameters": m.num_parameters, "init": 0.25})
        elif isinstance(m, nn.ELU):
            out.append({"index": i, "type": "ELU", "alpha": m.alpha})
        elif isinstance(m, nn.Dropout):
            out.append({"index": i, "type": "Dropout", "p": m.p})
        else:
            out.append({"index": i, "type": type(m).__name__})
        if shapes is not None:
            out[-1]["output_shape"] = shapes[m]
    return out


def flat(t):
    vals = t.detach().to(torch.float64).reshape(-1).tolist()
    for v in vals:
        assert math.isfinite(v)
    return vals


def tensor_dict(named):
    return {k: {"shape": list(v.shape), "data": flat(v)} for k, v in named.items()}


def total_loss_of(model, logits, labels, loss_name, wd, loss_args=None):
    data = LOSSES[loss_name](logits, labels, **(loss_args or {}))
    sd = dict(model.named_parameters())
    reg = sum((sd[n] * sd[n]).sum() for n in decayed_weight_names(model))
    return data, data + 0.5 * wd * reg


class ManualOptimizer:
    """docs/internals.md NetGen.Kernels.Optimizers formulas, used only to check torch.optim."""

    def __init__(self, opt):
        self.o = opt
        self.state = {}
        self.t = 0

    def step(self, params, grads, lr=None):
        self.t += 1
        o = dict(self.o) if lr is not None else self.o
        if lr is not None:
            o["lr"] = lr
        new = {}
        for name, p in params.items():
            g = grads[name]
            if o["kind"] == "sgd":
                new[name] = p - o["lr"] * g
            elif o["kind"] in ("momentum", "nesterov"):
                v = self.state.get(name, torch.zeros_like(p))
                v = o["momentum"] * v + g
                self.state[name] = v
                upd = v if o["kind"] == "momentum" else g + o["momentum"] * v
                new[name] = p - o["lr"] * upd
            elif o["kind"] == "adagrad":
                s = self.state.get(name, torch.zeros_like(p)) + g * g
                self.state[name] = s
                new[name] = p - o["lr"] * g / (s.sqrt() + o["eps"])
            elif o["kind"] == "rmsprop":
                a = o["alpha"] * self.state.get(name, torch.zeros_like(p)) + (1 - o["alpha"]) * g * g
                self.state[name] = a
                new[name] = p - o["lr"] * g / (a.sqrt() + o["eps"])
            else:
                m, v = self.state.get(name, (torch.zeros_like(p), torch.zeros_like(p)))
                b1, b2, eps, t = o["beta1"], o["beta2"], o["eps"], self.t
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                self.state[name] = (m, v)
                new[name] = p - (o["lr"] / (1 - b1 ** t)) * m / (v.sqrt() / math.sqrt(1 - b2 ** t) + eps)
        return new


def make_optimizer(model, opt, wd):
    wnames = set(decayed_weight_names(model))
    decay = [p for n, p in model.named_parameters() if n in wnames]
    rest = [p for n, p in model.named_parameters() if n not in wnames]
    groups = [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]
    if opt["kind"] == "sgd":
        return torch.optim.SGD(groups, lr=opt["lr"])
    if opt["kind"] == "momentum":
        return torch.optim.SGD(groups, lr=opt["lr"], momentum=opt["momentum"], dampening=0)
    if opt["kind"] == "nesterov":
        return torch.optim.SGD(groups, lr=opt["lr"], momentum=opt["momentum"], dampening=0, nesterov=True)
    if opt["kind"] == "adam":
        return torch.optim.Adam(groups, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"])
    if opt["kind"] == "adagrad":
        return torch.optim.Adagrad(groups, lr=opt["lr"], eps=opt["eps"], lr_decay=0, initial_accumulator_value=0)
    if opt["kind"] == "rmsprop":
        return torch.optim.RMSprop(groups, lr=opt["lr"], alpha=opt["alpha"], eps=opt["eps"], momentum=0, centered=False)
    raise ValueError(opt["kind"])


def optimizer_json(opt):
    kind = opt["kind"]
    sgd_family = kind in ("sgd", "momentum", "nesterov")
    result = {
        "kind": kind,
        "lr": opt["lr"],
        "momentum": opt.get("momentum", 0.0) if sgd_family else None,
        "dampening": 0.0 if sgd_family else None,
        "nesterov": kind == "nesterov",
        "beta1": opt.get("beta1"),
        "beta2": opt.get("beta2"),
        "eps": opt.get("eps"),
    }
    if kind == "rmsprop":
        result["alpha"] = opt["alpha"]  # only here, so the files of the other cases stay as they were
    return result


def assert_close(a, b, what, rtol=1e-12, atol=1e-15):
    if not torch.allclose(a, b, rtol=rtol, atol=atol):
        raise AssertionError(f"{what}: max abs diff {(a - b).abs().max().item()}")


def buffer_dict(named):
    """{key: {shape, dtype, data}}: float buffers as "F32" (NetGen stores them in float32; the values here are the
    float64 reference's), integer buffers (num_batches_tracked, 0-d) as "I64" with an integer data list."""
    out = {}
    for k, v in named.items():
        if v.dtype == torch.int64:
            out[k] = {"shape": list(v.shape), "dtype": "I64", "data": [int(e) for e in v.reshape(-1).tolist()]}
        else:
            out[k] = {"shape": list(v.shape), "dtype": "F32", "data": flat(v)}
    return out


def _batchnorm_hooks(model, captured):
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            def hook(mod, inputs, output, name=name):
                captured[name] = (inputs[0].detach().clone(), output.detach().clone())
            handles.append(m.register_forward_hook(hook))
    return handles


def check_batchnorm_step(model, captured, before, what):
    """Recomputes one train-mode BatchNorm forward by hand: output uses the biased batch variance, running_mean
    and running_var move by momentum 0.1 towards the batch mean and the UNBIASED batch variance."""
    modules = dict(model.named_modules())
    for name, (inp, outp) in captured.items():
        m = modules[name]
        dims = (0,) if inp.dim() == 2 else (0, 2, 3)
        view = (1, -1) if inp.dim() == 2 else (1, -1, 1, 1)
        n = inp.numel() // inp.shape[1]
        mean = inp.mean(dim=dims)
        var_biased = ((inp - mean.view(view)) ** 2).sum(dim=dims) / n
        var_unbiased = ((inp - mean.view(view)) ** 2).sum(dim=dims) / (n - 1)
        assert not torch.allclose(var_biased, var_unbiased, rtol=1e-6), "biased/unbiased check is vacuous"
        y = (inp - mean.view(view)) / torch.sqrt(var_biased.view(view) + m.eps)
        y = y * m.weight.detach().view(view) + m.bias.detach().view(view)
        assert_close(outp, y, f"{what} {name}: train-mode output (biased variance)", rtol=1e-10, atol=1e-12)
        mom = m.momentum
        rm = (1 - mom) * before[f"{name}.running_mean"] + mom * mean
        rv = (1 - mom) * before[f"{name}.running_var"] + mom * var_unbiased
        assert_close(m.running_mean, rm, f"{what} {name}: running_mean")
        assert_close(m.running_var, rv, f"{what} {name}: running_var (unbiased)")
        rv_wrong = (1 - mom) * before[f"{name}.running_var"] + mom * var_biased
        assert not torch.allclose(m.running_var, rv_wrong, rtol=1e-9), f"{what} {name}: running_var is biased?"
        assert int(m.num_batches_tracked) == int(before[f"{name}.num_batches_tracked"]) + 1


def make_scheduler(optimizer, schedule):
    if schedule is None:
        return None
    if schedule["kind"] == "StepLR":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=schedule["step_size"], gamma=schedule["gamma"])
    raise ValueError(schedule["kind"])


def run_case(case):
    model32, x32, target32 = make_case_data(case)
    for k, v in model32.state_dict().items():
        assert v.dtype == (torch.int64 if k.endswith("num_batches_tracked") else torch.float32), k
    model = copy.deepcopy(model32).double()
    x = x32.double()
    wd, loss_name, seed, batch = case["weight_decay"], case["loss"], case["seed"], case["batch"]
    regression = loss_name in REGRESSION_LOSSES
    target = target32.double() if regression else target32
    extended = "input_shape" in case  # the newer cases; the older files keep exactly their original fields
    num_steps = case.get("num_steps", NUM_STEPS)
    schedule = case.get("schedule")

    names = [n for n, _ in model.named_parameters()]
    buffer_names = [n for n, _ in model.named_buffers()]
    params0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    buffers0 = {n: b.clone() for n, b in model.named_buffers()}
    sd_keys = list(model.state_dict().keys())
    assert [k for k in sd_keys if k in params0] == names, "named_parameters order differs from state_dict"
    assert [k for k in sd_keys if k in buffers0] == buffer_names, "named_buffers order differs from state_dict"
    assert sorted(sd_keys) == sorted(names + buffer_names)
    assert extended or not buffer_names, "buffers need the extended layout"
    for k, v in {**params0, **buffers0}.items():
        if v.dtype == torch.float64:
            assert torch.equal(v.float().double(), v), k  # exactly float32 values
    for k, v in buffers0.items():  # PyTorch's initial BatchNorm buffers
        expected = 0 if k.endswith(("running_mean", "num_batches_tracked")) else 1
        assert bool((v == expected).all()), k

    shapes = {}
    hooks = []
    if extended:
        for m in model.modules():
            hooks.append(m.register_forward_hook(
                lambda mod, inp, outp: shapes.__setitem__(mod, list(outp.shape[1:]))))
    model.eval()
    with torch.no_grad():
        inference = model(x)
    for h in hooks:
        h.remove()
    assert {n: b for n, b in model.named_buffers()}.keys() == buffers0.keys()
    assert all(torch.equal(b, buffers0[n]) for n, b in model.named_buffers()), "eval forward changed buffers"

    has_dropout = bool(dropout_modules(model))
    optimizer = make_optimizer(model, case["opt"], wd)
    scheduler = make_scheduler(optimizer, schedule)
    manual = ManualOptimizer(case["opt"])
    wnames = set(decayed_weight_names(model))

    out = {
        "case": case["case"],
        "description": case["description"],
        "torch_version": torch.__version__,
        "input_size": case["input_size"],
    }
    if extended:
        out["input_shape"] = list(case["input_shape"])
    out.update({
        "classes": case["classes"],
        "batch": batch,
        "seed": seed,
        "loss": loss_name,
        **case.get("loss_args", {}),
        "optimizer": optimizer_json(case["opt"]),
    })
    if schedule is not None:
        out["schedule"] = dict(schedule)
    out.update({
        "weight_decay": wd,
        "architecture": architecture(model, shapes if extended else None),
        "x": flat(x),
    })
    if regression:
        out["targets"] = flat(target)
    else:
        out["labels"] = target.tolist()
    out["param_order"] = names
    out["params"] = tensor_dict(params0)
    if buffer_names:
        out["buffer_order"] = buffer_names
        out["buffers"] = buffer_dict(buffers0)
    out["inference_output"] = flat(inference)

    masks_per_step = []
    steps = []
    lrs = []
    for step in range(num_steps):
        masks = set_masks(model, seed, step, batch)
        if has_dropout:
            assert len(masks) == 1
            masks_per_step.append(next(iter(masks.values())))
        lr = optimizer.param_groups[0]["lr"]
        assert all(g["lr"] == lr for g in optimizer.param_groups)
        if schedule is not None:
            assert lr == case["opt"]["lr"] * schedule["gamma"] ** (step // schedule["step_size"]), (step, lr)
        lrs.append(lr)
        model.train()
        optimizer.zero_grad(set_to_none=True)
        buffers_before = {n: b.clone() for n, b in model.named_buffers()}
        captured = {}
        bn_hooks = _batchnorm_hooks(model, captured)
        logits = model(x)
        for h in bn_hooks:
            h.remove()
        check_batchnorm_step(model, captured, buffers_before, f"{case['case']} step {step}")
        data, total = total_loss_of(model, logits, target, loss_name, wd, case.get("loss_args"))
        params = [p for _, p in model.named_parameters()]
        explicit = dict(zip(names, torch.autograd.grad(total, params, retain_graph=True)))
        data.backward()  # loss WITHOUT the reg term; torch.optim adds wd*W for the decay group
        for n, p in model.named_parameters():
            folded = p.grad + (wd * p.detach() if n in wnames else 0.0)
            assert_close(folded, explicit[n], f"{case['case']} step {step} {n}: param-group wd vs explicit reg")
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        expected = manual.step(before, explicit, lr=lr if schedule is not None else None)
        buffers_mid = {n: b.clone() for n, b in model.named_buffers()}
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        after = {n: p.detach().clone() for n, p in model.named_parameters()}
        after_buffers = {n: b.clone() for n, b in model.named_buffers()}
        assert all(torch.equal(after_buffers[n], buffers_mid[n]) for n in buffer_names), "optimizer moved a buffer"
        for n in names:
            assert_close(after[n], expected[n], f"{case['case']} step {step} {n}: torch.optim vs formula")
        if step == 0:
            out["train_output"] = flat(logits)
            out["data_loss"] = data.item()
            out["total_loss"] = total.item()
            out["grads"] = tensor_dict(explicit)
        entry = {"step": step, "data_loss": data.item(), "total_loss": total.item(), "params": tensor_dict(after)}
        if buffer_names:
            entry["buffers"] = buffer_dict(after_buffers)
        steps.append(entry)
    if has_dropout:
        out["dropout_masks"] = masks_per_step
    if schedule is not None:
        out["lr_per_step"] = lrs
    out["steps"] = steps
    if buffer_names or case.get("f32_artefacts"):
        model.eval()
        with torch.no_grad():
            out["eval_output_after_steps"] = flat(model(x))
    return out, model32, x32


def train_f32(case, model32, x32, target32, num_steps):
    """Trains a copy of the float32 model num_steps in float32, train mode, same data/optimizer as run_case."""
    m = copy.deepcopy(model32)
    optimizer = make_optimizer(m, case["opt"], case["weight_decay"])
    scheduler = make_scheduler(optimizer, case.get("schedule"))
    losses = []
    for _ in range(num_steps):
        m.train()
        optimizer.zero_grad(set_to_none=True)
        loss = LOSSES[case["loss"]](m(x32), target32, **case.get("loss_args", {}))
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return m, losses


# ---------------------------------------------------------------------------
# JSON writer: objects indented, lists of scalars on one line; repr(float)
# ---------------------------------------------------------------------------
def _scalar(v):
    if isinstance(v, float):
        assert math.isfinite(v)
    return json.dumps(v)


def to_json(obj, indent=0):
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {to_json(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return "[" + ", ".join(_scalar(v) for v in obj) + "]"
        items = [f"{pad}  {to_json(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return _scalar(obj)


def write_json(path, obj):
    text = to_json(obj) + "\n"
    assert json.loads(text) == obj
    Path(path).write_text(text, encoding="utf-8", newline="\n")
    return path


def rng_vectors():
    seed, stream, layer, step = 42, DROPOUT_STREAM, 14, 0
    d1 = rng_derive(seed, stream)
    d2 = rng_derive(d1, layer)
    key = rng_derive(d2, step)
    assert key == rng_key(seed, stream, layer, step)
    idx = [0, 1, 2, 3]
    bits = [rng_bits(key, i) for i in idx]
    return {
        "description": "NetGen.CounterRng test vectors (docs/internals.md). u64 values as exact JSON integers "
                       "and as hex strings. key = Key(seed, stream, layer_index, step) = "
                       "Derive(Derive(Derive(seed, stream), layer_index), step). uniform = (bits >> 40) * 2^-24, "
                       "uniform_double = (bits >> 11) * 2^-53 (both exact); normal uses libm log/cos, compare "
                       "with a ~1e-15 relative tolerance.",
        "splitmix64_derive_0_0": rng_derive(0, 0),
        "splitmix64_derive_0_0_hex": f"0x{rng_derive(0, 0):016x}",
        "seed": seed, "stream": stream, "layer_index": layer, "step": step,
        "derive_seed_stream": d1, "derive_seed_stream_hex": f"0x{d1:016x}",
        "derive_seed_stream_layer": d2, "derive_seed_stream_layer_hex": f"0x{d2:016x}",
        "key": key, "key_hex": f"0x{key:016x}",
        "indices": idx,
        "bits": bits, "bits_hex": [f"0x{b:016x}" for b in bits],
        "uniform": [rng_uniform(key, i) for i in idx],
        "uniform_double": [rng_uniform_double(key, i) for i in idx],
        "normal": [rng_normal(key, i) for i in idx],
        "dropout_keys_steps_0_1_2": [rng_key(seed, stream, layer, s) for s in range(3)],
        "dropout_keys_steps_0_1_2_hex": [f"0x{rng_key(seed, stream, layer, s):016x}" for s in range(3)],
    }


def write_bn_artefacts(case, data, out_dir):
    """<prefix>.pytorch.safetensors: the float32 model's full state_dict (parameters and buffers, state_dict
    order) after training it in float32; <prefix>.pytorch.f32.json: its eval-mode output on x."""
    prefix = case["f32_artefacts"]
    model32, x32, target32 = make_case_data(case)
    num_steps = case.get("num_steps", NUM_STEPS)
    trained, losses = train_f32(case, model32, x32, target32, num_steps)
    sd32 = trained.state_dict()
    for k, v in sd32.items():
        assert v.dtype == (torch.int64 if k.endswith("num_batches_tracked") else torch.float32), k
        if k.endswith("num_batches_tracked"):
            assert v.shape == () and int(v) == num_steps, (k, v)
    written = []
    p = out_dir / f"{prefix}.pytorch.safetensors"
    write_safetensors(p, sd32, metadata={"format": "pt"})
    written.append(p)
    back, _ = read_safetensors(p.read_bytes())
    assert list(back) == list(sd32)
    assert all(back[k].dtype == sd32[k].dtype and back[k].shape == sd32[k].shape and torch.equal(back[k], sd32[k])
               for k in sd32)
    # the float32 weights before training are exactly the JSON's initial params
    init = model32.state_dict()
    assert all(init[k].double().reshape(-1).tolist() == data["params"][k]["data"] for k in data["param_order"])
    trained.eval()
    with torch.no_grad():
        y32 = trained(x32)
    ref = torch.tensor(data["eval_output_after_steps"], dtype=torch.float64)
    diff = (y32.double().reshape(-1) - ref).abs().max().item()
    final = {**data["steps"][-1]["params"], **data["steps"][-1].get("buffers", {})}
    key_diffs = {k: (sd32[k].double().reshape(-1) - torch.tensor(final[k]["data"], dtype=torch.float64))
                 .abs().max().item() for k in sd32}
    assert all(v < 1e-4 for v in key_diffs.values()), key_diffs
    assert diff < 1e-4, f"{prefix}: float32 training drifted from the float64 reference by {diff}"
    written.append(write_json(out_dir / f"{prefix}.pytorch.f32.json", {
        "description": f"Case {case['case']}: the float32 model after {num_steps} float32 training steps in train "
                       f"mode (same x, labels and optimizer as {case['case']}.json), i.e. exactly the state_dict in "
                       f"{prefix}.pytorch.safetensors, evaluated in eval mode (running statistics) on x; "
                       "flattened [batch, classes]. data_loss_f32 are the float32 training losses per step. "
                       "The last two fields compare with the float64 reference (eval_output_after_steps and the "
                       "last step's params/buffers).",
        "torch_version": torch.__version__,
        "case": case["case"],
        "num_steps": num_steps,
        "input_shape": list(case["input_shape"]),
        "batch": case["batch"],
        "x": flat(x32),
        "labels": target32.tolist(),
        "data_loss_f32": losses,
        "eval_output_after_steps_f32": flat(y32),
        "max_abs_diff_vs_float64_reference": diff,
        "state_dict_max_abs_diff_vs_float64": key_diffs,
    }))
    return written


def generate(out_dir, only=None):
    """Writes every file, or with only (a set of case names, plus "rng_vectors") just those cases and their
    float32 artefacts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    acts_params = None
    for case in CASES:
        if only is not None and case["case"] not in only:
            continue
        data, model32, x32 = run_case(case)
        if case["case"].startswith("acts_"):
            if acts_params is None:
                acts_params = (data["params"], data["x"], data["labels"], data["inference_output"])
                # float32 artefacts for case A
                sd32 = model32.state_dict()
                p = out_dir / "acts.pytorch.safetensors"
                write_safetensors(p, sd32, metadata={"format": "pt"})
                written.append(p)
                back, _ = read_safetensors(p.read_bytes())
                assert list(back) == list(sd32) and all(torch.equal(back[k], sd32[k]) for k in sd32)
                assert all(back[k].double().reshape(-1).tolist() == data["params"][k]["data"] for k in sd32)
                model32.eval()
                with torch.no_grad():
                    y32 = model32(x32)
                written.append(write_json(out_dir / "acts.pytorch.f32.json", {
                    "description": "Case A (acts_*) initial float32 model (acts.pytorch.safetensors) in eval "
                                   "mode on the float32 x of acts_sgd.json; flattened [batch, classes].",
                    "torch_version": torch.__version__,
                    "inference_output_f32": flat(y32),
                }))
            else:
                # all acts_* cases share weights, inputs, labels and inference output
                assert acts_params == (data["params"], data["x"], data["labels"], data["inference_output"])
        written.append(write_json(out_dir / f"{case['case']}.json", data))
        if case.get("f32_artefacts"):
            written.extend(write_bn_artefacts(case, data, out_dir))
    if only is None or "rng_vectors" in only:
        written.append(write_json(out_dir / "rng_vectors.json", rng_vectors()))
    return written


def check_netgen(file, out_dir):
    case = CASES[0]
    ref, _, x32 = run_case(case)
    raw = Path(file).read_bytes()
    result = {
        "file": os.path.basename(file),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "strict_load": False,
        "error": None,
        "max_abs_diff_vs_reference": None,
        "max_abs_diff_vs_pytorch_f32": None,
        "torch_version": torch.__version__,
    }
    torch.manual_seed(case["torch_seed"])
    model = build_acts()
    try:
        tensors, _ = read_safetensors(raw)
        for k, v in tensors.items():
            if v.dtype != torch.float32:
                raise ValueError(f"{k}: expected F32, got {v.dtype}")
        model.load_state_dict(tensors, strict=True)
        result["strict_load"] = True
    except Exception as e:  # noqa: BLE001
        result["error"] = f"{type(e).__name__}: {e}"
    if result["strict_load"]:
        model.eval()
        with torch.no_grad():
            y = model(x32).double().reshape(-1)
        ref64 = torch.tensor(ref["inference_output"], dtype=torch.float64)
        result["max_abs_diff_vs_reference"] = (y - ref64).abs().max().item()
        torch.manual_seed(case["torch_seed"])
        m32 = build_acts().eval()
        with torch.no_grad():
            y32 = m32(x32).double().reshape(-1)
        result["max_abs_diff_vs_pytorch_f32"] = (y - y32).abs().max().item()
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_json(out_dir / "netgen_roundtrip.json", result), result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check-netgen", metavar="FILE",
                    help="load a NetGen-written safetensors (case A network) and write netgen_roundtrip.json")
    ap.add_argument("--only", metavar="NAME[,NAME]",
                    help="write only these cases (and their float32 artefacts); rng_vectors is also a name")
    args = ap.parse_args(argv)
    only = None
    if args.only:
        only = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = only - {c["case"] for c in CASES} - {"rng_vectors"}
        if unknown:
            ap.error(f"unknown names {sorted(unknown)}; known: {[c['case'] for c in CASES] + ['rng_vectors']}")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    if args.check_netgen:
        path, result = check_netgen(args.check_netgen, args.out_dir)
        print(f"{path}: {json.dumps(result)}")
        return 0 if result["strict_load"] else 1
    for p in generate(args.out_dir, only):
        print(f"{p.stat().st_size:8d}  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
