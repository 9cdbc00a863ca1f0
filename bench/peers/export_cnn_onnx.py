#!/usr/bin/python3
"""Exports the CNN of the convolution rows for the ONNX Runtime peer (bench/NetGen.Bench/ConvCompare.cs).

    /usr/bin/python3 bench/peers/export_cnn_onnx.py        # writes bench/models/cnn_b1.onnx, cnn_b64.onnx, cnn.weights.bin

The network is pytorch_cnn_peer.cnn() (conv3x3(8)-ReLU-maxpool2-conv3x3(16)-ReLU-maxpool2(pad 1)-Linear(10), 1x28x28),
initialised by PyTorch with seed 0 and exported in eval mode with torch.onnx.export (opset 13), once per batch size
with static shapes (batch 1 for cnn_latency_b1, batch 64 for cnn_infer_b64), so ONNX Runtime may specialise to
each. cnn.weights.bin holds the same parameters as raw little-endian float32 in state_dict order (conv1.weight,
conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias): NetGen loads them into BenchCnn.Parameters, whose arena has
that order, so both engines compute the same function and the harness checks their outputs against each other before
timing. The files are committed; rerun this script only when the network changes.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_cnn_peer import cnn  # noqa: E402


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = cnn().eval()
    for b in (1, 64):
        torch.onnx.export(model, torch.zeros(b, 1, 28, 28), os.path.join(out, f"cnn_b{b}.onnx"),
                          input_names=["input"], output_names=["output"], opset_version=13,
                          do_constant_folding=True)
    flat = torch.cat([p.detach().flatten() for p in model.state_dict().values()]).to(torch.float32)
    with open(os.path.join(out, "cnn.weights.bin"), "wb") as f:
        f.write(flat.numpy().astype("<f4").tobytes())
    print(f"wrote cnn_b1.onnx, cnn_b64.onnx and cnn.weights.bin ({flat.numel()} parameters) to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
