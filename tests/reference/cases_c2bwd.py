"""Reference case of the fused pool + convolution backward (ADR 0064), imported by make_reference.py (one line there).

poolconv_adam
    Two Conv2d-ReLU-MaxPool2d(2) stages then a Linear, shaped so that NetGen's generated step takes both fused
    backward kernels: the first convolution (no input gradient) its dW and db in pool 1's backward (ConvPoolBackward),
    the second (16 input channels, 3x3: C*kh*kw = 144 > 128; 8x8 = 64 output positions) its dx, dW and db in pool 2's
    backward over the pool's sparse gradient (PoolConvBackward). A batch of 9 splits the backward's samples into 8
    uneven groups. PyTorch's MaxPool2d backward routes each window's gradient to its argmax exactly as NetGen's does
    (the inputs are random floats: no ties except windows that the ReLU zeroed, whose gradient is masked anyway).
"""
from torch import nn


def build_poolconv():
    return nn.Sequential(
        nn.Conv2d(2, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 3),
    )


CASES = [
    dict(case="poolconv_adam", build=build_poolconv, torch_seed=64, input_shape=[2, 22, 22], input_size=968,
         classes=3, batch=9, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
         description="Conv2d(2,16,3)-ReLU-MaxPool2d(2)-Conv2d(16,8,3)-ReLU-MaxPool2d(2)-Flatten-Linear(128,3) on "
                     "[2,22,22] inputs (NCHW), batch 9; softmax cross-entropy, L2 weight decay 1e-3 on Conv2d and "
                     "Linear weights (not biases), Adam lr 0.01 betas (0.9, 0.999) eps 1e-8 (L2 folded into the "
                     "gradient); torch.manual_seed(64)."),
]
