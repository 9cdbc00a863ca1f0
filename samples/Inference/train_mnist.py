#!/usr/bin/env python3
"""Trains the Inference sample's model with PyTorch and writes it as safetensors with PyTorch's state_dict keys.

    /usr/bin/python3 samples/Inference/train_mnist.py [--data DIR] [--epochs 3] [--seed 0]
    /usr/bin/python3 samples/Inference/train_mnist.py --evaluate-only    (re-records mnist_mlp.json from the weights file)

The model is an MLP 784-128-10 (nn.Sequential(Linear, ReLU, Linear): keys 0.weight, 0.bias, 2.weight, 2.bias), trained
with Adam (lr 1e-3, batch 64) on the 60,000 MNIST training images, each pixel scaled to [0, 1] and standardised with
MNIST's usual mean 0.1307 and standard deviation 0.3081 (the same arithmetic as the C# sample, in float32). It writes,
beside this script:

- mnist_mlp.safetensors: the weights (float32, about 400 KB), loaded by the C# sample with Load();
- mnist_mlp.json: the test accuracy PyTorch measured with these weights on the 10,000 test images, which the C# test
  (tests/NetGen.Tests/InferenceSampleTests.cs) checks the sample reproduces exactly, and PyTorch's scores (logits) and
  probabilities for seven.pgm (draw_digit.py), which the test compares with the C# network's.

Data: --data DIR, else $NETGEN_MNIST_DIR, else data/mnist in or above this folder or in a folder beside one of those
(the way the C# tests find it). Needs only PyTorch (no torchvision, no safetensors package).
"""
import argparse
import gzip
import json
import os
import struct
import sys

import torch
from torch import nn

MEAN, STD = 0.1307, 0.3081
HERE = os.path.dirname(os.path.abspath(__file__))


def find_mnist(explicit):
    candidates = [explicit] if explicit else []
    if os.environ.get("NETGEN_MNIST_DIR"):
        candidates.append(os.environ["NETGEN_MNIST_DIR"])
    current = HERE
    while True:
        candidates.append(os.path.join(current, "data", "mnist"))
        parent = os.path.dirname(current)
        if parent == current:
            break
        for sibling in sorted(os.listdir(parent)) if os.path.dirname(parent) != parent else []:
            candidates.append(os.path.join(parent, sibling, "data", "mnist"))
        current = parent
    for c in candidates:
        if c and any(os.path.exists(os.path.join(c, "train-images-idx3-ubyte" + ext)) for ext in ("", ".gz")):
            return c
    sys.exit("MNIST not found: pass --data DIR (the four IDX files, gzip-compressed or not)")


def read_idx(directory, name):
    path = os.path.join(directory, name)
    opener = open
    if not os.path.exists(path):
        path, opener = path + ".gz", gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(count, rows * cols)
    if magic == 2049:
        return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()
    raise ValueError(f"{path}: bad magic {magic}")


def standardise(images):
    # byte / 255 in float32, then (x − mean) / std in float32: the C# sample's Digits.Standardise, operation for operation.
    x = images.float() / 255.0
    return (x - torch.tensor(MEAN, dtype=torch.float32)) / torch.tensor(STD, dtype=torch.float32)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: torch.frombuffer(bytearray(body[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=torch.float32).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


def read_pgm_p5(path):
    with open(path, "rb") as f:
        data = f.read()
    # The header of seven.pgm as draw_digit.py writes it: P5, one comment line, 28 28, 255, then the pixels.
    assert data.startswith(b"P5\n"), path
    return torch.frombuffer(bytearray(data[-784:]), dtype=torch.uint8).reshape(1, 784)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evaluate-only", action="store_true", help="load mnist_mlp.safetensors instead of training")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    directory = find_mnist(args.data)
    train_x = standardise(read_idx(directory, "train-images-idx3-ubyte"))
    train_y = read_idx(directory, "train-labels-idx1-ubyte")
    test_x = standardise(read_idx(directory, "t10k-images-idx3-ubyte"))
    test_y = read_idx(directory, "t10k-labels-idx1-ubyte")

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    if args.evaluate_only:
        model.load_state_dict(read_safetensors(os.path.join(HERE, "mnist_mlp.safetensors")))
    for epoch in range(0 if args.evaluate_only else args.epochs):
        order = torch.randperm(train_x.shape[0])
        model.train()
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}")

    model.eval()
    with torch.no_grad():
        predicted = model(test_x).argmax(dim=1)
        seven = model(standardise(read_pgm_p5(os.path.join(HERE, "seven.pgm"))))[0]
    correct = int((predicted == test_y).sum())
    accuracy = correct / len(test_y)
    print(f"test accuracy {accuracy:.4f} ({correct} of {len(test_y)})")

    state = model.state_dict()
    if not args.evaluate_only:
        write_safetensors(os.path.join(HERE, "mnist_mlp.safetensors"), state,
                          {"format": "pt", "source": "samples/Inference/train_mnist.py"})
    record = {
        "model": "nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))",
        "keys": list(state.keys()),
        "preprocessing": f"pixel / 255, then (x - {MEAN}) / {STD}, float32",
        "training": f"Adam lr 1e-3, batch 64, {args.epochs} epochs over the 60,000 training images, torch.manual_seed({args.seed})",
        "torch": torch.__version__,
        "test_images": len(test_y),
        "test_correct": correct,
        "test_accuracy": accuracy,
        "test_predictions_first_20": predicted[:20].tolist(),
        "seven_pgm_scores": [float(v) for v in seven],
        "seven_pgm_probabilities": [float(v) for v in torch.softmax(seven.double(), 0)],
    }
    with open(os.path.join(HERE, "mnist_mlp.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print("wrote " + ("" if args.evaluate_only else "mnist_mlp.safetensors and ") + "mnist_mlp.json")


if __name__ == "__main__":
    main()
