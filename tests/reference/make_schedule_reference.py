#!/usr/bin/python3
"""PyTorch reference values for NetGen's learning-rate schedules and gradient clipping.

Run from the repository root (needs PyTorch; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_schedule_reference.py

Writes tests/NetGen.Tests/Reference/schedules.json: for each case, the scheduler and its arguments, the base
learning rate, and "lr": the learning rate the optimizer uses at each of the first N steps (lr[0] before any
scheduler.step(), then one scheduler.step() after each optimizer.step(), as in PyTorch's training loop). For
ReduceLROnPlateau the case also holds "metrics", the value passed to scheduler.step(metric) after each step.
The optimizer is plain SGD on one parameter; only the learning rates are recorded (as repr floats, exact float64).

It also writes two training trajectories in the layout of make_reference.py's cases (x, labels, seed, param_order,
params, steps[{step, total_loss, params}], all float64, initial values generated in float32 as there):
  clip_cosine_momentum.json  Linear(5,6)-ReLU-Linear(6,3), SGD momentum 0.9, lr 0.1, weight_decay 1e-3 (on the Linear
                             weights only, as NetGen's WeightDecay), torch.nn.utils.clip_grad_norm_(max_norm=0.3) after
                             backward, then optimizer.step(), then CosineAnnealingLR(T_max=10, eta_min=0.001).step(),
                             10 steps; "lr_per_step" and "grad_norm_per_step" (the norm before clipping) recorded.
  clip_value_adam.json       Linear(5,6)-Tanh-Linear(6,3), Adam lr 0.01, torch.nn.utils.clip_grad_value_(0.05), 5 steps.
total_loss is the data loss plus 0.5·wd·Σ W² over the Linear weights (NetGen's convention); the weight-decay gradient is
added by the optimizer after clipping, as PyTorch's weight_decay does.
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


def trajectory(name, build, seed_torch, opt_make, sched_make, clip, steps, wd):
    torch.manual_seed(seed_torch)
    model = build()
    x = torch.randn(8, 5)
    labels = torch.randint(0, 3, (8,))
    model = model.double()
    xd = x.double()
    decayed = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    others = [p for n, p in model.named_parameters() if not any(p is d for d in decayed)]
    opt = opt_make([dict(params=decayed, weight_decay=wd), dict(params=others, weight_decay=0.0)])
    sched = sched_make(opt) if sched_make else None
    keys = [k for k, _ in model.named_parameters()]

    def snapshot():
        return {k: dict(shape=list(p.shape), data=p.detach().reshape(-1).tolist()) for k, p in model.named_parameters()}

    initial = snapshot()
    out_steps, lrs, norms = [], [], []
    for step in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        data_loss = torch.nn.functional.cross_entropy(model(xd), labels)
        total = data_loss + 0.5 * wd * sum((w * w).sum() for w in decayed)
        data_loss.backward()
        norms.append(torch.norm(torch.stack([p.grad.norm(2) for p in model.parameters()]), 2).item())
        clip(model.parameters())
        opt.step()
        if sched:
            sched.step()
        out_steps.append(dict(step=step, data_loss=data_loss.item(), total_loss=total.item(), params=snapshot()))
    return dict(case=name, torch_version=torch.__version__, seed=42, batch=8, input_size=5, input_shape=[5], classes=3,
                x=x.double().reshape(-1).tolist(), labels=labels.tolist(), param_order=keys, params=initial,
                lr_per_step=lrs, grad_norm_per_step=norms, steps=out_steps)


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

    torch.set_default_dtype(torch.float32)
    clip_norm = trajectory(
        "clip_cosine_momentum", lambda: torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3)), 11,
        lambda groups: torch.optim.SGD(groups, lr=0.1, momentum=0.9),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        lambda ps: torch.nn.utils.clip_grad_norm_(ps, max_norm=0.3), 10, 1e-3)
    norms = clip_norm["grad_norm_per_step"]
    assert any(n > 0.3 for n in norms) and any(n < 0.3 for n in norms), "the norm clip must bite in some steps, not all"
    clip_value = trajectory(
        "clip_value_adam", lambda: torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)), 12,
        lambda groups: torch.optim.Adam(groups, lr=0.01),
        None, lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.05), 5, 0.0)
    for doc in (clip_norm, clip_value):
        path = OUT.parent / (doc["case"] + ".json")
        path.write_text(json.dumps(doc, indent=1) + "\n")
        print(path)


if __name__ == "__main__":
    main()
