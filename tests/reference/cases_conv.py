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
"""
import torch
from torch import nn


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
]
