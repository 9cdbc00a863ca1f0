#!/usr/bin/python3
"""PyTorch reference values for NetGen's learning-rate schedules (NetGen.Schedules).

Run from the repository root (needs PyTorch; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_schedule_reference.py

Writes tests/NetGen.Tests/Reference/schedules.json: for each case, the scheduler and its arguments, the base
learning rate, and "lr": the learning rate the optimizer uses at each of the first N steps (lr[0] before any
scheduler.step(), then one scheduler.step() after each optimizer.step(), as in PyTorch's training loop). For
ReduceLROnPlateau the case also holds "metrics", the value passed to scheduler.step(metric) after each step.
The optimizer is plain SGD on one parameter; only the learning rates are recorded (as repr floats, exact float64).
"""

import json
import math
import sys
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Tests" / "Reference" / "schedules.json"
STEPS = 40


def run(make, base_lr, metrics=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for i in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return lrs


def plateau_metrics():
    # A validation loss that falls, stalls (within and beyond the threshold), rises and falls again.
    values = []
    for i in range(STEPS):
        if i < 8:
            values.append(1.0 - 0.05 * i)
        elif i < 20:
            values.append(0.65 + 0.00001 * (i % 3))  # stalls: changes below the relative threshold 1e-4
        elif i < 26:
            values.append(0.5 - 0.01 * (i - 20))
        else:
            values.append(0.7)
    return values


def main():
    cases = []
    lr0 = 0.1
    cases.append(dict(name="exponential", kind="ExponentialLR", args=dict(gamma=0.9), base_lr=lr0,
                      lr=run(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9), lr0)))
    cases.append(dict(name="step", kind="StepLR", args=dict(step_size=7, gamma=0.3), base_lr=lr0,
                      lr=run(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3), lr0)))
    cases.append(dict(name="cosine", kind="CosineAnnealingLR", args=dict(T_max=12, eta_min=0.001), base_lr=lr0,
                      lr=run(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=0.001), lr0)))
    cases.append(dict(name="cosine_zero_min", kind="CosineAnnealingLR", args=dict(T_max=10, eta_min=0.0), base_lr=0.05,
                      lr=run(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10), 0.05)))
    cases.append(dict(name="linear_warmup", kind="LinearLR", args=dict(start_factor=0.25, end_factor=1.0, total_iters=6),
                      base_lr=lr0,
                      lr=run(lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=6), lr0)))
    k = 0.5
    cases.append(dict(name="inverse_time", kind="LambdaLR", args=dict(k=k, formula="1 / (1 + k*t)"), base_lr=lr0,
                      lr=run(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1.0 / (1.0 + k * t)), lr0)))
    m = plateau_metrics()
    cases.append(dict(name="plateau", kind="ReduceLROnPlateau",
                      args=dict(mode="min", factor=0.5, patience=3, threshold=1e-4, threshold_mode="rel", cooldown=2,
                                min_lr=0.01, eps=1e-8),
                      base_lr=lr0, metrics=m,
                      lr=run(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=3,
                                                                                  threshold=1e-4, threshold_mode="rel",
                                                                                  cooldown=2, min_lr=0.01), lr0, m)))
    m2 = [1.0 / (1 + i) if i < 10 else 0.2 for i in range(STEPS)]
    cases.append(dict(name="plateau_abs", kind="ReduceLROnPlateau",
                      args=dict(mode="min", factor=0.1, patience=2, threshold=0.05, threshold_mode="abs", cooldown=0,
                                min_lr=0.0, eps=1e-8),
                      base_lr=lr0, metrics=m2,
                      lr=run(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.1, patience=2,
                                                                                  threshold=0.05, threshold_mode="abs"), lr0, m2)))
    doc = dict(description=__doc__.strip().splitlines()[0], torch_version=torch.__version__, steps=STEPS, cases=cases)
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(OUT)


if __name__ == "__main__":
    main()
