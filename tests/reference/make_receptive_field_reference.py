#!/usr/bin/python3
"""Receptive fields measured in PyTorch, for the receptive-field column of NetGen's generated Summary.

Run from the repository root (needs PyTorch; the tests only read the committed output):

    /usr/bin/python3 tests/reference/make_receptive_field_reference.py

Writes tests/NetGen.Tests/Reference/receptive_field.json. The network is ReceptiveFieldNet of
tests/NetGen.Tests/Networks.ConvFeat.cs, module for module (strides, per-axis dilation, square and rectangular
pooling, a residual block). Nothing here uses the recurrence r_out = r_in + (k - 1)*d*j_in, j_out = j_in*s that NetGen
implements: the fields are *measured*, by backpropagation.

Method
    Every weight is 1/fan-in and every bias 0, the input is all ones, so every activation is positive (and about 1)
    and every path from an input position to an output carries a positive gradient (ReLU passes it, Tanh's
    derivative is positive). MaxPool2d
    sends its gradient to one winner per window, which would hide the rest of the window, so it is measured as the
    AvgPool2d of the same kernel, stride and padding: the same window. For the output of module m, take an output
    position (i, j) in the middle of its map and the gradient of that one value with respect to the input: the input
    positions with a non-zero gradient are its receptive field, and its size on an axis is last - first + 1 (a dilated
    field has holes inside; its size is its extent, as the recurrence counts it). The jump (effective stride) is how
    far the first row (column) of the field moves between output (i, j) and (i + 1, j) ((i, j + 1)). The input is
    made large (256 x 256) so that the fields lie inside it, away from the border: a field's size and jump do not
    depend on the input's size, only on the layers. Global average pooling's field depends on the map it averages and
    is not in this file (the test derives it).

Output: {"layers": [{"index": m, "module": "...", "field": [rh, rw], "jump": [jh, jw]}, ...]}, m the index of the
module in the nn.Sequential, which is NetGen's layer label.
"""
import json
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "NetGen.Tests" / "Reference" / "receptive_field.json"


class Residual(nn.Module):
    """y = branch(x) + x (NetGen's Residual with an identity shortcut)."""

    def __init__(self, *branch):
        super().__init__()
        self.branch = nn.Sequential(*branch)

    def forward(self, x):
        return self.branch(x) + x


def build(measure):
    """ReceptiveFieldNet's convolutional part; with measure=True the MaxPool2d is its window's AvgPool2d."""
    pool = nn.AvgPool2d(2) if measure else nn.MaxPool2d(2)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.ReLU(),
        pool,
        nn.Conv2d(2, 2, 3, padding=(2, 3), dilation=(2, 3)), nn.ReLU(),
        nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 0)),
        nn.Conv2d(2, 2, (5, 3), stride=(2, 1), padding=(2, 1)), nn.Tanh(),
        Residual(nn.Conv2d(2, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 2, 3, padding=2, dilation=2)), nn.ReLU(),
    )


def field(model, upto, i, j, size):
    """The first row, last row, first column and last column of the receptive field of output (i, j), channel 0,
    of module `upto`."""
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = model[: upto + 1](x)
    y[0, 0, i, j].backward()
    nz = (x.grad[0, 0] != 0).nonzero()
    return int(nz[:, 0].min()), int(nz[:, 0].max()), int(nz[:, 1].min()), int(nz[:, 1].max())


def main():
    model = build(measure=True).double()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0 / p[0].numel() if p.dim() > 1 else 0.0)  # 1/fan-in: activations stay near 1, Tanh unsaturated
    size = 256
    layers = []
    for m in range(len(model)):
        with torch.no_grad():
            shape = model[: m + 1](torch.ones(1, 1, size, size, dtype=torch.float64)).shape
        i, j = shape[2] // 2, shape[3] // 2
        top, bottom, left, right = field(model, m, i, j, size)
        below = field(model, m, i + 1, j, size)
        beside = field(model, m, i, j + 1, size)
        assert 0 < top and bottom < size - 1 and 0 < left and right < size - 1, "the field touches the border"
        layers.append({"index": m, "module": type(build(measure=False)[m]).__name__,
                       "field": [bottom - top + 1, right - left + 1], "jump": [below[0] - top, beside[2] - left]})
    OUT.write_text(json.dumps({"network": "ReceptiveFieldNet", "layers": layers}, indent=1) + "\n", encoding="utf-8")
    for layer in layers:
        print(layer)


if __name__ == "__main__":
    main()
