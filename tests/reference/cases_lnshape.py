"""Reference case of LayerNorm over the last dimensions of a sample, imported by make_reference.py (one line there).

lnshape_adam
    nn.LayerNorm(normalized_shape) with normalized_shape only the last dimensions of the per-sample shape: over each
    group of values those dimensions span, mean and biased variance; weight and bias of the normalized shape, shared by
    the groups (NetGen's LayerNorm(NormalizedDims = d): the last d dimensions).
      Conv2d(2, 4, 3, padding=1, bias=False)   [2,6,4] -> [4,6,4] (no bias: the per-channel LayerNorm after it
                                          cancels any per-channel constant, so its gradient would be identically 0)
      LayerNorm([6, 4])                   per channel over H x W (weight, bias [6, 4])
      ReLU
      LayerNorm(4, eps=1e-3)              per row over W (weight, bias [4])
      MaxPool2d(2)                        -> [4,3,2]
      Flatten, Linear(24, 8)
      LayerNorm(8)                        the whole vector
      Tanh, Linear(8, 3)
    The LayerNorm weights and biases are 1 + 0.1*randn and 0.1*randn (float32, drawn after the default init, layer by
    layer, weight then bias), as build_layernorm does, so that a swapped or broadcast-wrong gamma shows.
"""
import torch
from torch import nn


def build_lnshape():
    m = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.LayerNorm([6, 4]), nn.ReLU(), nn.LayerNorm(4, eps=1e-3), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(24, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3),
    )
    with torch.no_grad():
        for i in (1, 3, 7):
            ln = m[i]
            ln.weight.copy_(1.0 + 0.1 * torch.randn(ln.normalized_shape, dtype=torch.float32))
            ln.bias.copy_(0.1 * torch.randn(ln.normalized_shape, dtype=torch.float32))
    return m


CASES = [
    dict(case="lnshape_adam", build=build_lnshape, torch_seed=48, input_shape=[2, 6, 4], input_size=48,
         classes=3, batch=5, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Conv2d(2,4,3,padding=1,bias=False)-LayerNorm([6,4])-ReLU-LayerNorm(4,eps=1e-3)-MaxPool2d(2)-Flatten-"
                     "Linear(24,8)-LayerNorm(8)-Tanh-Linear(8,3) on [2,6,4] inputs (NCHW); LayerNorm over the last "
                     "dimensions only (per channel over H x W, per row over W), weight = 1 + 0.1*randn and bias = "
                     "0.1*randn of the normalized shape (float32), no buffers, the same in train and eval mode; "
                     "softmax cross-entropy, L2 weight decay 1e-3 on Conv2d and Linear weights (not LayerNorm's), Adam "
                     "lr 0.01 betas (0.9, 0.999) eps 1e-8 (L2 folded into the gradient); torch.manual_seed(48)."),
]
