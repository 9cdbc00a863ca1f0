"""DropConnect's moment-matching inference (Wan et al. 2013, "Regularization of Neural Networks using DropConnect").

Writes tests/NetGen.Runtime.Tests/Reference/dropconnect_moment_matching.json with torch float64 values.

NetGen trains DropConnect with inverted masks M in {0, 1/(1 - p)} (E[M] = 1, Var[M] = p/(1 - p)), so for the
pre-activation u = (W * M) x + b of one unit:
    mu      = W x + b
    sigma^2 = p/(1 - p) * (W * W)(x * x)
(Wan et al.'s unscaled weights W' = W/(1 - p) give their (1 - p) W' x and p(1 - p) (W' * W')(x * x).)
The inference output of the layer fused with the following ReLU is the Monte-Carlo average (1/Z) sum_z relu(u_z),
u_z ~ N(mu, sigma^2). NetGen draws u_z from its own counter-based generator, which torch cannot reproduce, so the
reference is the exact expectation the average estimates,
    E[relu(u)] = mu Phi(mu/sigma) + sigma phi(mu/sigma),
and the test checks mu and sigma^2 at 1e-5 and the sampled average within a tolerance derived from Z (the standard
error sd[relu(u)]/sqrt(Z), also written here).

Run with /usr/bin/python3 (PyTorch 1.13).
"""
import json
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / "tests" / "NetGen.Runtime.Tests" / "Reference" / "dropconnect_moment_matching.json"


def case(p, batch, inputs, outputs, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, inputs, generator=g, dtype=torch.float64)
    w = torch.randn(outputs, inputs, generator=g, dtype=torch.float64) * 0.5
    b = torch.randn(outputs, generator=g, dtype=torch.float64) * 0.3
    mu = torch.nn.functional.linear(x, w, b)
    var = p / (1 - p) * torch.nn.functional.linear(x * x, w * w)
    sigma = var.sqrt()
    normal = torch.distributions.Normal(torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64))
    t = mu / sigma
    expectation = mu * normal.cdf(t) + sigma * normal.log_prob(t).exp()
    # E[relu(u)^2] = (mu^2 + sigma^2) Phi(t) + mu sigma phi(t): the standard deviation of one sample of relu(u).
    second = (mu * mu + var) * normal.cdf(t) + mu * sigma * normal.log_prob(t).exp()
    sd = (second - expectation * expectation).clamp_min(0).sqrt()
    flat = lambda v: [float(a) for a in v.reshape(-1)]
    return {"p": p, "batch": batch, "inputs": inputs, "outputs": outputs, "x": flat(x), "weight": flat(w), "bias": flat(b),
            "mean": flat(mu), "variance": flat(var), "expectation": flat(expectation), "sd": flat(sd)}


def main():
    data = {"p05": case(0.5, 3, 6, 4, 7), "p02": case(0.2, 2, 5, 3, 11)}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
