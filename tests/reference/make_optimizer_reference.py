#!/usr/bin/python3
"""PyTorch reference trajectories for every NetGen optimizer, and for warm-up schedules.

Run from the repository root (needs PyTorch; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_optimizer_reference.py

Every case trains the same small network, Linear(5,7)-Tanh-Linear(7,3) with softmax cross-entropy on 8 samples, in
float64 from float32 initial values (torch.manual_seed(SEED)), for 10 steps with one torch.optim optimizer, and writes
tests/NetGen.Tests/Reference/optim_<case>.json in the layout of make_reference.py's cases (x, labels, seed,
param_order, params, steps[{step, total_loss, params}]) plus
  "optimizer": the torch.optim call, "lr_per_step": the learning rate each step used, and
  "final_state": {parameter key: {state name: {shape, data}}} after the last step (PyTorch's state names: the keys of
  optimizer.state[p], without "step").
L2 WeightDecay (NetGen's term of the loss, on the Linear weights only) is PyTorch's weight_decay on a parameter group
holding the weights; AdamW's decoupled weight_decay is likewise given to the weight group only (NetGen decays Dense and
Conv2D weights, not biases). total_loss is the data loss plus 0.5·wd·Σ W² (NetGen's convention).

The warm-up cases add a scheduler stepped after each optimizer step (per batch) unless said otherwise:
  warmup_cosine_adamw   SequentialLR([LinearLR(start_factor=0.1, total_iters=4), CosineAnnealingLR(T_max=6)],
                        milestones=[4]) with AdamW and clip_grad_norm_(max_norm=0.5) after backward.
  warmup_step_momentum  SequentialLR([LinearLR(start_factor=0.25, total_iters=3), StepLR(step_size=2, gamma=0.5)],
                        milestones=[3]) with SGD momentum.
  warmup_epoch_adam     SequentialLR([LinearLR(start_factor=0.2, total_iters=2), ExponentialLR(gamma=0.7)],
                        milestones=[2]) with Adam, stepped per epoch: an epoch is two batches of 4 rows (x[0:4] then
                        x[4:8]), "batches_per_epoch": 2, so the rate changes every second optimizer step.
schedules_warmup.json holds learning-rate sequences over 30 scheduler steps (SGD on one parameter, only the rates
recorded, repr floats), for SequentialLR with LinearLR followed by each schedule, and for LinearLR and a second
scheduler both stepped (chained) in the same loop.
"""

import copy
import json
from pathlib import Path

import torch

REF = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Tests" / "Reference"
SEED = 42
STEPS = 10
LR_STEPS = 30

CASES = [
    # name, optimizer factory (param groups -> optimizer), L2 weight decay, lr
    ("sgd", lambda g: torch.optim.SGD(g, lr=0.1), 0.0),
    ("momentum", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9), 1e-3),
    ("nesterov", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, nesterov=True), 0.0),
    ("adam", lambda g: torch.optim.Adam(g, lr=0.01), 0.0),
    ("adam_amsgrad", lambda g: torch.optim.Adam(g, lr=0.05, betas=(0.9, 0.9), amsgrad=True), 0.0),
    ("adamw", lambda g: torch.optim.AdamW(g, lr=0.05), 0.0),  # decoupled λ per group, see decoupled below
    ("adamw_amsgrad", lambda g: torch.optim.AdamW(g, lr=0.05, betas=(0.9, 0.9), amsgrad=True), 0.0),
    ("adagrad", lambda g: torch.optim.Adagrad(g, lr=0.1), 0.0),
    ("rmsprop", lambda g: torch.optim.RMSprop(g, lr=0.01), 0.0),
    ("rmsprop_momentum", lambda g: torch.optim.RMSprop(g, lr=0.01, momentum=0.9), 0.0),
    ("rmsprop_centered", lambda g: torch.optim.RMSprop(g, lr=0.01, centered=True), 0.0),
    ("rmsprop_centered_momentum", lambda g: torch.optim.RMSprop(g, lr=0.01, momentum=0.5, centered=True), 1e-3),
    ("adadelta", lambda g: torch.optim.Adadelta(g), 0.0),
    ("adadelta_lr", lambda g: torch.optim.Adadelta(g, lr=0.5, rho=0.8, eps=1e-5), 0.0),
]

# AdamW's decoupled weight decay of the weight group (the bias group gets 0).
DECOUPLED = {"adamw": 0.1, "adamw_amsgrad": 0.01, "warmup_cosine_adamw": 0.01}

SOURCE = {
    "sgd": "SGD(lr=0.1)",
    "momentum": "SGD(lr=0.1, momentum=0.9, weight_decay=1e-3 on the weights)",
    "nesterov": "SGD(lr=0.1, momentum=0.9, nesterov=True)",
    "adam": "Adam(lr=0.01)",
    "adam_amsgrad": "Adam(lr=0.05, betas=(0.9, 0.9), amsgrad=True)",
    "adamw": "AdamW(lr=0.05, weight_decay=0.1 on the weights)",
    "adamw_amsgrad": "AdamW(lr=0.05, betas=(0.9, 0.9), amsgrad=True, weight_decay=0.01 on the weights)",
    "adagrad": "Adagrad(lr=0.1)",
    "rmsprop": "RMSprop(lr=0.01)",
    "rmsprop_momentum": "RMSprop(lr=0.01, momentum=0.9)",
    "rmsprop_centered": "RMSprop(lr=0.01, centered=True)",
    "rmsprop_centered_momentum": "RMSprop(lr=0.01, momentum=0.5, centered=True, weight_decay=1e-3 on the weights)",
    "adadelta": "Adadelta()",
    "adadelta_lr": "Adadelta(lr=0.5, rho=0.8, eps=1e-5)",
    "warmup_cosine_adamw": "AdamW(lr=0.05, weight_decay=0.01 on the weights), clip_grad_norm_(0.5), "
                           "SequentialLR([LinearLR(start_factor=0.1, total_iters=4), CosineAnnealingLR(T_max=6)], milestones=[4])",
    "warmup_step_momentum": "SGD(lr=0.1, momentum=0.9), "
                            "SequentialLR([LinearLR(start_factor=0.25, total_iters=3), StepLR(step_size=2, gamma=0.5)], milestones=[3])",
    "warmup_epoch_adam": "Adam(lr=0.05), SequentialLR([LinearLR(start_factor=0.2, total_iters=2), ExponentialLR(gamma=0.7)], "
                         "milestones=[2]) stepped once per epoch of two batches of 4 rows (x[0:4], then x[4:8])",
}


def build():
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    x = torch.randn(8, 5) * 2
    labels = torch.randint(0, 3, (8,))
    return model.double(), x.double(), labels


def trajectory(name, make_opt, wd, make_sched=None, clip=None, batches_per_epoch=1):
    model, x, labels = build()
    decayed = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    others = [p for p in model.parameters() if not any(p is d for d in decayed)]
    groups = [dict(params=decayed, weight_decay=DECOUPLED.get(name, wd)), dict(params=others, weight_decay=0.0)]
    opt = make_opt(groups)
    sched = make_sched(opt) if make_sched else None
    names = {id(p): k for k, p in model.named_parameters()}

    def snapshot():
        return {k: dict(shape=list(p.shape), data=p.detach().reshape(-1).tolist()) for k, p in model.named_parameters()}

    initial = snapshot()
    steps, lrs, norms, states = [], [], [], []
    for step in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        rows = x.shape[0] // batches_per_epoch
        first = (step % batches_per_epoch) * rows
        xb, yb = x[first:first + rows], labels[first:first + rows]
        data_loss = torch.nn.functional.cross_entropy(model(xb), yb)
        total = data_loss + 0.5 * wd * sum((w * w).sum() for w in decayed)
        data_loss.backward()
        norms.append(torch.norm(torch.stack([p.grad.norm(2) for p in model.parameters()]), 2).item())
        if clip:
            clip(model.parameters())
        opt.step()
        if sched and (step + 1) % batches_per_epoch == 0:
            sched.step()
        steps.append(dict(step=step, data_loss=data_loss.item(), total_loss=total.item(), params=snapshot()))
        states.append({names[id(p)]: {k: v.detach().clone() for k, v in s.items() if k != "step" and v is not None} for p, s in opt.state.items()})
    final = {key: {k: dict(shape=list(v.shape), data=v.reshape(-1).tolist()) for k, v in s.items()} for key, s in states[-1].items()}
    doc = dict(case=name, optimizer=SOURCE[name], torch_version=torch.__version__, seed=SEED, batch=8, input_size=5,
               input_shape=[5], classes=3, x=x.reshape(-1).tolist(), labels=labels.tolist(),
               param_order=[k for k, _ in model.named_parameters()], params=initial, lr_per_step=lrs,
               grad_norm_per_step=norms, batches_per_epoch=batches_per_epoch, steps=steps, final_state=final)
    return doc, states


def differs(a, b, rel=1e-4):
    """Whether two trajectories' final parameters differ by more than rel of the tensor's scale somewhere."""
    for key, p in a["steps"][-1]["params"].items():
        q = b["steps"][-1]["params"][key]["data"]
        scale = max(abs(v) for v in p["data"])
        if max(abs(u - v) for u, v in zip(p["data"], q)) > rel * scale:
            return True
    return False


def write(doc):
    path = REF / ("optim_" + doc["case"] + ".json")
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(path)


def lr_sequence(make, base_lr=0.1):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    scheds = make(opt)
    if not isinstance(scheds, list):
        scheds = [scheds]
    lrs = []
    for _ in range(LR_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        for s in scheds:
            s.step()
    return lrs


def main():
    torch.set_default_dtype(torch.float32)
    docs = {}
    for name, make_opt, wd in CASES:
        doc, states = trajectory(name, make_opt, wd)
        docs[name] = doc
        write(doc)

    # The variants must change the trajectory, or the tests could not tell them apart from the base optimizer.
    def plain(name, make_opt, wd=0.0):
        return trajectory(name, make_opt, wd)[0]

    assert differs(docs["adam_amsgrad"], plain("adam_amsgrad", lambda g: torch.optim.Adam(g, lr=0.05, betas=(0.9, 0.9)))), "amsgrad must bite"
    assert differs(docs["adamw_amsgrad"], plain("adamw_amsgrad", lambda g: torch.optim.AdamW(g, lr=0.05, betas=(0.9, 0.9)))), "amsgrad must bite"
    assert differs(docs["adamw"], plain("adam", lambda g: torch.optim.Adam(g, lr=0.05))), "the decoupled decay must bite"
    assert differs(docs["rmsprop_centered"], docs["rmsprop"]), "centering must bite"
    assert differs(docs["rmsprop_momentum"], docs["rmsprop"]), "momentum must bite"

    sched = torch.optim.lr_scheduler
    warm = [
        trajectory("warmup_cosine_adamw", lambda g: torch.optim.AdamW(g, lr=0.05), 0.0,
                   lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.1, total_iters=4),
                                                    sched.CosineAnnealingLR(o, T_max=6)], milestones=[4]),
                   lambda ps: torch.nn.utils.clip_grad_norm_(ps, max_norm=0.5))[0],
        trajectory("warmup_step_momentum", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9), 0.0,
                   lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.25, total_iters=3),
                                                    sched.StepLR(o, step_size=2, gamma=0.5)], milestones=[3]))[0],
        trajectory("warmup_epoch_adam", lambda g: torch.optim.Adam(g, lr=0.05), 0.0,
                   lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.2, total_iters=2),
                                                    sched.ExponentialLR(o, gamma=0.7)], milestones=[2]),
                   batches_per_epoch=2)[0],
    ]
    norms = warm[0]["grad_norm_per_step"]
    assert any(n > 0.5 for n in norms), "the norm clip must bite in some step"
    for doc in warm:
        write(doc)

    seqs = []

    def add(name, description, make):
        seqs.append(dict(name=name, torch=description, base_lr=0.1, lr=lr_sequence(make)))

    add("seq_linear_cosine", "SequentialLR([LinearLR(o, 0.1, total_iters=5), CosineAnnealingLR(o, T_max=20, eta_min=0.001)], [5])",
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.1, total_iters=5),
                                         sched.CosineAnnealingLR(o, T_max=20, eta_min=0.001)], milestones=[5]))
    add("seq_linear_step", "SequentialLR([LinearLR(o, 0.25, total_iters=4), StepLR(o, step_size=3, gamma=0.5)], [4])",
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.25, total_iters=4),
                                         sched.StepLR(o, step_size=3, gamma=0.5)], milestones=[4]))
    add("seq_linear_exponential", "SequentialLR([LinearLR(o, 0.5, total_iters=3), ExponentialLR(o, gamma=0.9)], [3])",
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.5, total_iters=3),
                                         sched.ExponentialLR(o, gamma=0.9)], milestones=[3]))
    add("seq_linear_inverse_time", "SequentialLR([LinearLR(o, 0.2, total_iters=5), LambdaLR(o, lambda t: 1/(1+0.5t))], [5])",
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.2, total_iters=5),
                                         sched.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.5 * t))], milestones=[5]))
    add("seq_linear_cosine_late", "SequentialLR([LinearLR(o, 0.1, total_iters=4), CosineAnnealingLR(o, T_max=10)], [6]) (milestone after the ramp)",
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.1, total_iters=4),
                                         sched.CosineAnnealingLR(o, T_max=10)], milestones=[6]))
    add("chained_linear_exponential", "LinearLR(o, 0.25, total_iters=4) and ExponentialLR(o, gamma=0.9), both stepped",
        lambda o: [sched.LinearLR(o, start_factor=0.25, total_iters=4), sched.ExponentialLR(o, gamma=0.9)])
    add("chained_linear_step", "LinearLR(o, 0.5, total_iters=6) and StepLR(o, step_size=4, gamma=0.3), both stepped",
        lambda o: [sched.LinearLR(o, start_factor=0.5, total_iters=6), sched.StepLR(o, step_size=4, gamma=0.3)])
    doc = dict(description="Warm-up schedules: the rate the optimizer uses at each step (make_optimizer_reference.py)",
               torch_version=torch.__version__, steps=LR_STEPS, cases=seqs)
    path = REF / "schedules_warmup.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(path)


if __name__ == "__main__":
    main()
