"""Reference cases of per-axis dilation and rectangular pooling, imported by make_reference.py (one line there).

dilation_pool_adam
    Conv2d with dilation=(dh, dw) (a different spacing of the kernel's taps on each axis) and rectangular pooling
    (kernel, stride and padding given as (h, w) pairs), as nn.Conv2d / nn.MaxPool2d / nn.AvgPool2d take them:
      Conv2d(2, 4, 3, padding=(2, 1), dilation=(2, 1))            [2,12,10] -> [4,12,10]   ReLU
      MaxPool2d((2, 3), stride=(2, 1), padding=(1, 1))             -> [4,7,10]   (-inf padding)
      Conv2d(4, 6, (2, 3), stride=(1, 2), padding=(0, 2), dilation=(3, 2))   -> [6,4,5]  Tanh
        (W: (10 + 4 - 5)/2 + 1 = 5 with floor: the dropped remainder lies in the trailing padding)
      AvgPool2d((3, 2), stride=(1, 2), padding=(1, 1))             -> [6,4,3]   (count_include_pad=True:
        the zero padding counts in the 3*2 divisor; ceil_mode=False)
      Conv2d(6, 6, 3, padding='same', dilation=(1, 2), groups=3)   -> [6,4,3]   ELU
        (padding 'same' pads dilation*(k-1)/2 per axis: 1 row, 2 columns)
      Flatten, Linear(72, 3)
    The first and third convolutions are ungrouped but dilated, so NetGen runs them on its general kernel
    (Conv2DGeneral), with the ReLU fused into the first.
    f32_artefacts: dilation_pool.pytorch.safetensors (the float32 model's state_dict after 3 float32 Adam steps, as
    PyTorch writes it) and dilation_pool.pytorch.f32.json (its eval output), which NetGen must load and reproduce.
"""
from torch import nn


def build_dilation_pool():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=(2, 1), dilation=(2, 1)), nn.ReLU(),
        nn.MaxPool2d((2, 3), stride=(2, 1), padding=(1, 1)),
        nn.Conv2d(4, 6, (2, 3), stride=(1, 2), padding=(0, 2), dilation=(3, 2)), nn.Tanh(),
        nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 1)),
        nn.Conv2d(6, 6, 3, padding="same", dilation=(1, 2), groups=3), nn.ELU(),
        nn.Flatten(), nn.Linear(72, 3),
    )


CASES = [
    dict(case="dilation_pool_adam", build=build_dilation_pool, torch_seed=41, input_shape=[2, 12, 10], input_size=240,
         classes=3, batch=3, seed=42, loss="softmax_cross_entropy", weight_decay=1e-3,
         opt=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8), f32_artefacts="dilation_pool",
         description="Conv2d(2,4,3,padding=(2,1),dilation=(2,1))-ReLU-MaxPool2d((2,3),stride=(2,1),padding=(1,1))-"
                     "Conv2d(4,6,(2,3),stride=(1,2),padding=(0,2),dilation=(3,2))-Tanh-"
                     "AvgPool2d((3,2),stride=(1,2),padding=(1,1))-"
                     "Conv2d(6,6,3,padding='same',dilation=(1,2),groups=3)-ELU-Flatten-Linear(72,3) on [2,12,10] "
                     "inputs (NCHW); AvgPool2d count_include_pad=True, ceil_mode=False; softmax cross-entropy, L2 "
                     "weight decay 1e-3 on Conv2d and Linear weights (not biases), Adam lr 0.01 betas (0.9, 0.999) "
                     "eps 1e-8 (L2 folded into the gradient); torch.manual_seed(41)."),
]
