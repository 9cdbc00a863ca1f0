"""Reference cases of the convolution-completeness work, imported by make_reference.py (one line there).

conv_general_adam
    Every Conv2d argument NetGen supports beyond the square kernel: a rectangular kernel with per-axis stride and
    padding, padding='same' on a depthwise convolution (groups = channels), a grouped and dilated convolution with
    padding='same' and no bias, a (3, 1) kernel with stride (2, 1). The ReLU after the depthwise convolution is fused
    into NetGen's general kernel (Conv2DGeneral); the ReLU after the first convolution into the fast one (Conv2D).
    Weight decay applies to every Conv2d and Linear weight, grouped or not.

chw_acts_momentum
    Every activation of the catalog on C x H x W tensors (after Conv2d): ReLU, LeakyReLU(0.01), PReLU with one slope
    per channel (num_parameters = C), PReLU with one shared slope, Sigmoid, Tanh, ELU(1.0), Identity; then, on
    vectors, PReLU with one slope per feature (num_parameters = features). PyTorch's PReLU applies weight[c] to
    channel c = dim 1 of the input, for images and for [B, features] alike.

lrn_momentum
    nn.LocalResponseNorm with PyTorch's defaults (size 5, alpha 1e-4, beta 0.75, k 1) after Conv2d-ReLU, and
    LocalResponseNorm(4, alpha=0.5, beta=0.6, k=2.0), an even window (PyTorch pads the channels with 2 zeros in front
    and 1 behind) and strong enough to move the values, after a Conv2d. No parameters, no buffers.

maxout_adam
    Maxout (Goodfellow et al., 2013) after a Conv2d and after a Linear: module Maxout(k) below is
    x.view(B, C // k, k, *rest).max(dim=2).values, so output unit (channel) u is the maximum of the layer's outputs
    u*k ... u*k + k - 1, and the gradient flows to that maximum only. No parameters: the state_dict is that of the
    Conv2d and Linear layers, under NetGen's indices.
"""
import torch
from torch import nn


class Maxout(nn.Module):
    """NetGen's [Maxout(k)]: the maximum over groups of k consecutive entries of dimension 1."""

    def __init__(self, pieces):
        super().__init__()
        self.pieces = pieces

    def forward(self, x):
        b, c = x.shape[0], x.shape[1]
        return x.view(b, c // self.pieces, self.pieces, *x.shape[2:]).max(dim=2).values


def build_conv_general():
    return nn.Sequential(
        nn.Conv2d(4, 8, (3, 2), stride=(1, 2), padding=(1, 0)), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding="same", groups=8), nn.ReLU(),
        nn.Conv2d(8, 4, 3, padding="same", dilation=2, groups=2, bias=False), nn.Tanh(),
        nn.Conv2d(4, 6, (3, 1), stride=(2, 1)), nn.ELU(),
        nn.Flatten(), nn.Linear(96, 3),
    )


def build_acts_chw():
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(),
        nn.Conv2d(3, 3, 3, padding=1), nn.LeakyReLU(0.01),
        nn.Conv2d(3, 3, 3, padding=1), nn.PReLU(num_parameters=3),
        nn.Conv2d(3, 3, 3, padding=1), nn.PReLU(),
        nn.Conv2d(3, 3, 3, padding=1), nn.Sigmoid(),
        nn.Conv2d(3, 3, 3, padding=1), nn.Tanh(),
        nn.Conv2d(3, 3, 3, padding=1), nn.ELU(1.0),
        nn.Conv2d(3, 3, 3, padding=1), nn.Identity(),
        nn.Flatten(), nn.Linear(48, 5), nn.PReLU(num_parameters=5), nn.Linear(5, 3),
    )


def build_lrn():
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.LocalResponseNorm(5),
        nn.Conv2d(6, 4, 3, padding=1), nn.LocalResponseNorm(4, alpha=0.5, beta=0.6, k=2.0), nn.Tanh(),
        nn.Flatten(), nn.Linear(100, 3),
    )


def build_maxout():
    return nn.Sequential(
        nn.Conv2d(2, 8, 3, padding=1), Maxout(2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(36, 18), Maxout(3), nn.Linear(6, 3),
    )


CASES = [
    dict(case="conv_general_adam", build=build_conv_general, torch_seed=21, input_shape=[4, 9, 8], input_size=288,
         classes=3, batch=3, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Conv2d(4,8,(3,2),stride=(1,2),padding=(1,0))-ReLU-Conv2d(8,8,3,padding='same',groups=8)-ReLU-"
                     "Conv2d(8,4,3,padding='same',dilation=2,groups=2,bias=False)-Tanh-Conv2d(4,6,(3,1),stride=(2,1))-"
                     "ELU-Flatten-Linear(96,3) on [4,9,8] inputs (NCHW); weights [O, C/groups, kh, kw]; softmax "
                     "cross-entropy, L2 weight decay 1e-3 on Conv2d and Linear weights (not biases), Adam lr 0.01 "
                     "betas (0.9, 0.999) eps 1e-8 (L2 folded into the gradient); torch.manual_seed(21)."),
    dict(case="chw_acts_momentum", build=build_acts_chw, torch_seed=22, input_shape=[2, 4, 4], input_size=32,
         classes=3, batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.1, momentum=0.9),
         description="Every activation on [3,4,4] tensors after Conv2d(·,3,3,padding=1): ReLU, LeakyReLU(0.01), "
                     "PReLU(num_parameters=3) (one slope per channel), PReLU() (one shared slope), Sigmoid, Tanh, "
                     "ELU(1.0), Identity; then Flatten-Linear(48,5)-PReLU(num_parameters=5) (one slope per "
                     "feature)-Linear(5,3); PReLU slopes start at 0.25 and are not weight-decayed; softmax "
                     "cross-entropy, L2 weight decay 1e-3 on Conv2d and Linear weights, SGD momentum 0.9 "
                     "(dampening 0) lr 0.1; torch.manual_seed(22)."),
    dict(case="lrn_momentum", build=build_lrn, torch_seed=23, input_shape=[3, 5, 5], input_size=75,
         classes=3, batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="momentum", lr=0.05, momentum=0.9),
         description="Conv2d(3,6,3,padding=1)-ReLU-LocalResponseNorm(5)-Conv2d(6,4,3,padding=1)-"
                     "LocalResponseNorm(4,alpha=0.5,beta=0.6,k=2.0)-Tanh-Flatten-Linear(100,3) on [3,5,5] inputs; "
                     "LocalResponseNorm: y_c = x_c / (k + alpha/n * sum of x^2 over channels c - n//2 ... "
                     "c + (n-1)//2, zeros outside)^beta; softmax cross-entropy, L2 weight decay 1e-3 on Conv2d and "
                     "Linear weights, SGD momentum 0.9 (dampening 0) lr 0.05; torch.manual_seed(23)."),
    dict(case="maxout_adam", build=build_maxout, torch_seed=24, input_shape=[2, 6, 6], input_size=72,
         classes=3, batch=4, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Conv2d(2,8,3,padding=1)-Maxout(2)-MaxPool2d(2)-Flatten-Linear(36,18)-Maxout(3)-Linear(6,3) "
                     "on [2,6,6] inputs; Maxout(k) = x.view(B, C//k, k, ...).max(dim=2).values (channels / features "
                     "u*k ... u*k+k-1 make unit u); softmax cross-entropy, L2 weight decay 1e-3 on Conv2d and Linear "
                     "weights, Adam lr 0.01 betas (0.9, 0.999) eps 1e-8; torch.manual_seed(24)."),
]
