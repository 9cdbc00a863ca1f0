#!/usr/bin/python3
"""PyTorch reference values for NetGen's parameter averaging (AveragedParameters) and checkpoint ensembles.

Run from the repository root (needs PyTorch; CI never runs this, it only reads the output):

    /usr/bin/python3 tests/reference/make_averaging_reference.py

Averaging: torch.optim.swa_utils.AveragedModel (1.13) with its default avg_fn (the equal-weight Polyak / SWA average,
"polyak") and with avg_fn = lambda a, p, n: decay*a + (1-decay)*p (an exponential moving average, "ema"), each
update_parameters(model) called after every optimizer step of a 10-step run. Writes
tests/NetGen.Tests/Reference/averaging_<case>.json in make_reference.py's layout (x, labels, seed, param_order, params,
steps[{params}] = the trained model's parameters) plus
  "polyak"/"ema": {"steps": [{"params": ..., "buffers": ...}] (the averaged module after each update),
                   "eval_output": the averaged model's output on x in eval mode after the last update}, "decay".
  averaging_mlp  Linear(5,7)-Tanh-Linear(7,3), SGD(lr=0.1, momentum=0.9), use_buffers=False (no buffers), decay 0.9.
  averaging_bn   Linear(5,7, bias=False)-BatchNorm1d(7)-Tanh-Linear(7,3), Adam(lr=0.01), use_buffers=True (running_mean and
                 running_var averaged; num_batches_tracked, an integer, is not compared), decay 0.8.

Ensemble: ensemble.json: three checkpoints of the MLP (the parameters after steps 4, 7 and 10 of averaging_mlp's
run), a batch x, and the mean over the checkpoints of their outputs ("mean_scores") and of their softmax probabilities
("mean_probabilities").
"""

import json
from pathlib import Path

import torch

REF = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Tests" / "Reference"
SEED = 42
STEPS = 10


def build(bn):
    torch.manual_seed(SEED)
    # No bias before BatchNorm: its gradient is 0 up to rounding, and Adam would amplify the rounding noise.
    layers = [torch.nn.Linear(5, 7, bias=not bn)] + ([torch.nn.BatchNorm1d(7)] if bn else []) + [torch.nn.Tanh(), torch.nn.Linear(7, 3)]
    model = torch.nn.Sequential(*layers)
    x = torch.randn(8, 5) * 2
    labels = torch.randint(0, 3, (8,))
    return model.double(), x.double(), labels


def tensors(named):
    return {k: dict(shape=list(v.shape), data=v.detach().reshape(-1).tolist()) for k, v in named}


def run(name, bn, make_opt, decay, use_buffers):
    model, x, labels = build(bn)
    opt = make_opt(model.parameters())
    polyak = torch.optim.swa_utils.AveragedModel(model, use_buffers=use_buffers)
    ema = torch.optim.swa_utils.AveragedModel(model, avg_fn=lambda a, p, n: decay * a + (1 - decay) * p,
                                              use_buffers=use_buffers)
    initial = tensors(model.named_parameters())
    steps, avg_steps = [], {"polyak": [], "ema": []}
    checkpoints = []
    for step in range(STEPS):
        model.train()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        steps.append(dict(step=step, total_loss=loss.item(), params=tensors(model.named_parameters()),
                          buffers=tensors((k, v) for k, v in model.named_buffers() if v.dtype != torch.long)))
        if step + 1 in (4, 7, 10):
            checkpoints.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        for key, avg in (("polyak", polyak), ("ema", ema)):
            avg.update_parameters(model)
            avg_steps[key].append(dict(params=tensors(avg.module.named_parameters()),
                                       buffers=tensors((k, v) for k, v in avg.module.named_buffers() if v.dtype != torch.long)))
    doc = dict(case=name, torch_version=torch.__version__, seed=SEED, batch=8, input_size=5, input_shape=[5], classes=3,
               x=x.reshape(-1).tolist(), labels=labels.tolist(), param_order=[k for k, _ in model.named_parameters()],
               params=initial, steps=steps, decay=decay)
    for key, avg in (("polyak", polyak), ("ema", ema)):
        avg.eval()
        with torch.no_grad():
            out = avg(x)
        doc[key] = dict(steps=avg_steps[key], eval_output=out.reshape(-1).tolist())
    path = REF / ("averaging_" + name + ".json")
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(path)
    return model, checkpoints


def main():
    torch.set_default_dtype(torch.float32)
    model, checkpoints = run("mlp", False, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 0.9, False)
    run("bn", True, lambda ps: torch.optim.Adam(ps, lr=0.01), 0.8, True)

    torch.manual_seed(7)
    x = (torch.randn(6, 5) * 2).double()
    scores, probabilities = [], []
    with torch.no_grad():
        for state in checkpoints:
            model.load_state_dict(state)
            model.eval()
            s = model(x)
            scores.append(s)
            probabilities.append(torch.softmax(s, dim=1))
    doc = dict(description="Mean of the outputs and of the softmax probabilities of three checkpoints",
               torch_version=torch.__version__, x=x.reshape(-1).tolist(), rows=6,
               checkpoints=[tensors(state.items()) for state in checkpoints],
               member_scores=[s.reshape(-1).tolist() for s in scores],
               mean_scores=torch.stack(scores).mean(0).reshape(-1).tolist(),
               mean_probabilities=torch.stack(probabilities).mean(0).reshape(-1).tolist())
    path = REF / "ensemble.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(path)


if __name__ == "__main__":
    main()
