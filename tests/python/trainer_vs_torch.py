"""Replay `train --trace-steps K` in PyTorch and compare, step by step.

usage: trainer_vs_torch.py TRACE.safetensors
The trace (train/src/trace.rs) holds the initial weights, each step's real batch and
latents, and the trainer's losses and weights after each step. This script builds the
same model (bench/dcgan_torch.py) from the same initial weights and takes the same steps
with PyTorch's own pieces: torch.optim.Adam (both betas), BCEWithLogitsLoss, the L2 term
1e-3·Σw²/2 on D's c2 and c3 weights only, BatchNorm in train mode (running statistics
with momentum 0.1), the non-saturating G loss. After each step it compares D's and G's
losses and every tensor of both networks (BN running statistics included).

Tolerances (named below; each figure printed is in units of its tolerance, ≤ 1 passes):
- losses: 1e-4 relative (measured: ~3e-6 after 5 steps);
- trained tensors: the 99th percentile of |Δ| at most a quarter of one Adam update (lr)
  (measured: ~0.1 update after 5 steps);
- BatchNorm running statistics: 2e-3 of their largest value (measured: ~6e-4).
Both sides run libtorch 2.11 kernels in float32, but not the same sequence of ops (our
Adam is written with in-place lerp/addcmul, torch.optim.Adam with foreach kernels;
LeakyReLU is PReLU on our side), so values differ by float32 rounding. Adam divides each
gradient by its own running magnitude, so for the few elements whose gradient is near
Adam's ε rounding noise becomes a visible part of an update, and it compounds from step
to step: hence a percentile in units of an update rather than an elementwise bound. Real
mistakes land far outside: a wrong β1 for D, or a missing L2 term, measured 30–40 times
the tolerance. The biases just before a BatchNorm (ct1, ct2) are left out: train-mode BN
subtracts their per-channel value, so their gradient is zero up to rounding and Adam's
update of them is normalised rounding noise.
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from dcgan_torch import D, G, load_into, read_safetensors  # noqa: E402

LOSS_TOLERANCE = 1e-4
NOISE_ONLY = {"g.ct1.bias", "g.ct2.bias"}
QUANTILE = 0.99
UPDATE_TOLERANCE = 0.25
BUFFER_TOLERANCE = 2e-3

tensors, meta = read_safetensors(sys.argv[1])
config = json.loads(meta["config"])
steps = sorted({int(k.split(".")[0][1:]) for k in tensors if k.startswith("s") and k.endswith(".x")})
torch.set_num_threads(1)

g, d = G(), D()
load_into(g, tensors, "g0.")
load_into(d, tensors, "d0.")
g.train()
d.train()
lr_d = config.get("lr_d") or config["lr"]
lr_g = config.get("lr_g") or config["lr"]
opt_d = torch.optim.Adam(d.parameters(), lr=lr_d, betas=(config["beta1_d"], config["beta2"]), eps=1e-8)
opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=(config["beta1_g"], config["beta2"]), eps=1e-8)
bce = nn.BCEWithLogitsLoss()
t = lambda name: torch.from_numpy(tensors[name])

worst_loss, worst_weights, worst_name = 0.0, 0.0, ""
for s in steps:
    x, z_d, z_g = t(f"s{s}.x"), t(f"s{s}.z_d"), t(f"s{s}.z_g")
    ones, zeros = torch.ones(x.shape[0], 1), torch.zeros(x.shape[0], 1)
    with torch.no_grad():
        fake = g(z_d)
    d_real, d_fake = d(x), d(fake)
    loss_d = bce(d_real, ones) + bce(d_fake, zeros)
    l2 = 0.5 * (d.c2.weight.square().sum() + d.c3.weight.square().sum())
    opt_d.zero_grad()
    (loss_d + config["weight_decay"] * l2).backward()
    opt_d.step()
    for p in d.parameters():
        p.requires_grad_(False)
    loss_g = bce(d(g(z_g)), ones)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    for p in d.parameters():
        p.requires_grad_(True)

    line = []
    for name, ours in [("loss_d", loss_d), ("loss_g", loss_g)]:
        theirs = float(tensors[f"s{s}.{name}"][0])
        rel = abs(float(ours.detach()) - theirs) / max(abs(theirs), 1e-12)
        worst_loss = max(worst_loss, rel)
        line.append(f"{name} trainer {theirs:.6f} torch {float(ours):.6f} (rel {rel:.1e})")
    for prefix, net in [("g", g), ("d", d)]:
        for name, value in net.state_dict().items():
            if name.endswith("num_batches_tracked") or f"{prefix}.{name}" in NOISE_ONLY:
                continue
            theirs = t(f"s{s}.{prefix}.{name}")
            diff = (value - theirs).abs().flatten().double()
            if "running" in name:
                # BatchNorm statistics: relative to their own size.
                rel = float(diff.max()) / max(float(theirs.abs().max()), 1e-12) / BUFFER_TOLERANCE
            else:
                # Trained tensors: the 99th percentile of |Δ| in units of one Adam update.
                lr = lr_g if prefix == "g" else lr_d
                rel = float(torch.quantile(diff, QUANTILE)) / lr / UPDATE_TOLERANCE
            if rel > worst_weights:
                worst_weights, worst_name = rel, f"{prefix}.{name}"
    print(f"step {s}: " + "; ".join(line) + f"; weights: worst so far {worst_weights:.2f} of the tolerance ({worst_name})")

print(
    f"trainer vs PyTorch over {len(steps)} steps: losses within {worst_loss:.2e} relative (tolerance {LOSS_TOLERANCE:.0e}); "
    f"weights within {worst_weights:.2f} of their tolerance (worst: {worst_name}; tolerances: {QUANTILE:.0%} of |Δ| ≤ "
    f"{UPDATE_TOLERANCE} Adam update, BN statistics ≤ {BUFFER_TOLERANCE:.0e} relative)"
)
sys.exit(0 if worst_loss <= LOSS_TOLERANCE and worst_weights <= 1.0 else 1)
