"""Replay `train --trace-steps K` in PyTorch and compare, step by step.

usage: trainer_vs_torch.py TRACE.safetensors [--mistakes NAME,NAME,...]

The trace (train/src/trace.rs) holds the initial weights, each step's real batch, labels
and latents, and the trainer's losses and weights after each step. This script builds the
same model (bench/dcgan_torch.py, with the run's conditional head) from the same initial
weights and takes the same steps with PyTorch's own pieces, for whatever recipe the run's
config.json names: torch.optim.Adam (both betas, D's and G's learning rates),
BCEWithLogitsLoss (with label smoothing) or the hinge loss, the L2 term
weight_decay·Σw²/2 on D's c2 and c3 weights only, R1 = γ/2·E‖∇ₓD(x)‖² through
torch.autograd.grad(create_graph=True), BatchNorm in train mode (running statistics with
momentum 0.1), the non-saturating or hinge G loss, the EMA of G with its warm-up
decay_t = min(decay, (1+t)/(10+t)), and the EMA's own BatchNorm statistics set as
torch.optim.swa_utils.update_bn sets them (a cumulative average over fixed batches), and
`--augment` as DiffAugment writes it (a shift gathered from a padded image, a cutout
masked), with the trace's per-image draws, on D's real batch and on the fakes of both
steps, and `--class-loss` / `--class-loss-g` (the cross-entropy of the projection
table's class scores, <table[c], h>, on the real batch in D's step / on the fakes in G's)
from the epoch `--class-loss-from` names, and `--lr-decay` from `--lr-decay-from` (each
step's epoch is in the trace, which crosses epochs when one has fewer steps: both rates
times decay^(epoch − from), set in Adam's param_groups as an LR scheduler sets them).

Checks, each printed in units of its tolerance (≤ 1 passes):
- losses: |Δ| ≤ LOSS_TOLERANCE·max(|loss|, 1), relative above 1 and absolute below (the
  hinge G loss is a mean of logits that passes through zero, where a relative error
  means nothing);
- trained tensors of G and D: the 99th percentile of |Δ| ≤ a quarter of one Adam update
  (at the run's base learning rates);
- BatchNorm running statistics: max |Δ| ≤ BUFFER_TOLERANCE of their largest value;
- the EMA as the trainer computed it from its own G: max |Δ| ≤ EMA_TOLERANCE (exact up
  to rounding, so the warm-up and decay are pinned down), and the EMA PyTorch's own G
  gives, under the trained-tensor tolerance;
- the EMA's refreshed BatchNorm statistics, from the trainer's EMA weights: as BN.
Both sides run libtorch 2.11 kernels in float32, but not the same sequence of ops (our
Adam is written with in-place lerp/addcmul, torch.optim.Adam with foreach kernels; our
G's one-channel image layer runs libtorch's native transposed convolution, not oneDNN's),
so values differ by float32 rounding. Adam divides each
gradient by its own running magnitude, so for the few elements whose gradient is near
Adam's ε rounding noise becomes a visible part of an update, and it compounds from step
to step: hence a percentile in units of an update rather than an elementwise bound, and
few steps (bench/rounding_floor.py: over 10 steps PyTorch in float32 drifts about as far
from itself in float64, within 1.6×, as the trainer from PyTorch). The
biases just before a BatchNorm (ct1, ct2) are left out: train-mode BN subtracts their
per-channel value, so their gradient is zero up to rounding and Adam's update of them is
normalised rounding noise.

--mistakes replays the same trace again with each named mistake (MISTAKES below) and
requires every one of them to land at least MISTAKE_FACTOR times outside the tolerance:
the comparison must be able to see an error in each term it claims to check.
Exit 0 when the faithful replay passes and every mistake is caught, 1 otherwise, 2 for a
mistake the trace's recipe does not exercise.
"""
import argparse
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from dcgan_torch import D, G, load_into, read_safetensors  # noqa: E402
from diffaugment import augment  # noqa: E402

LOSS_TOLERANCE = 1e-4
QUANTILE = 0.99
UPDATE_TOLERANCE = 0.25
BUFFER_TOLERANCE = 2e-3
EMA_TOLERANCE = 1e-6
MISTAKE_FACTOR = 10.0
NOISE_ONLY = {"g.ct1.bias", "g.ct2.bias", "ema.ct1.bias", "ema.ct2.bias"}

# name: (what it gets wrong, the config key the trace must exercise)
MISTAKES = {
    "beta1-d": ("D's Adam β1 0.5 instead of the run's", None),
    "no-l2": ("the L2 term on c2, c3 left out", "weight_decay"),
    "hinge-margin": ("hinge margin 0 instead of 1", "hinge"),
    "r1-sign": ("R1 subtracted instead of added", "r1"),
    "r1-gamma": ("R1 as γ·E‖∇‖² instead of γ/2", "r1"),
    "ema-decay": ("EMA decay 0.99 instead of the run's", "ema"),
    "ema-warmup": ("EMA without its warm-up", "ema"),
    "ema-bn": ("the EMA sampled with G's BatchNorm statistics", "ema"),
    "label-shift": ("every label shifted by one digit", "conditional"),
    "shift-sign": ("every shift the other way", "translation"),
    "cutout-fill": ("the cutout filled with 0 (mid-grey) instead of the background", "cutout"),
    "augment-g-step": ("G step's fakes shown to D unaugmented", "augment"),
    "class-d-off": ("the class loss left out of D's step", "class_loss"),
    "class-g-labels": ("G's class loss against the digits shifted by one", "class_loss_g"),
    "class-from": ("the class terms from the epoch before class_loss_from", "class_loss_from"),
    "decay-from": ("the learning-rate decay counted from the epoch before lr_decay_from", "lr_decay_from"),
}


def exercised(config, key):
    if key is None:
        return True
    if key == "hinge":
        return config.get("loss") == "hinge"
    if key in ("translation", "cutout"):
        return key in config.get("augment", [])
    return bool(config.get(key))


def replay(tensors, config, mistake=None, dtype=torch.float32, record=None):
    """Take the trace's steps in PyTorch; {check: worst figure in tolerance units}. With
    `dtype` float64 the same steps without float32's rounding; `record` (a dict) gets each
    step's losses and weights under the trace's names (bench/rounding_floor.py)."""
    t = lambda name: torch.from_numpy(tensors[name]).to(dtype)  # every traced array is float32
    steps = sorted({int(k.split(".")[0][1:]) for k in tensors if k.startswith("s") and k.endswith(".x")})
    head = config.get("conditional")
    label = lambda name: ((t(name).long() + (mistake == "label-shift")) % 10) if head else None
    g, d = G(classes=10 if head else 0, native_image_layer=True), D(head=head)
    load_into(g, tensors, "g0.")
    load_into(d, tensors, "d0.")
    g.to(dtype), d.to(dtype)
    g.train()
    d.train()
    lr_d = config.get("lr_d") or config["lr"]
    lr_g = config.get("lr_g") or config["lr"]
    beta1_d = 0.5 if mistake == "beta1-d" else config["beta1_d"]
    opt_d = torch.optim.Adam(d.parameters(), lr=lr_d, betas=(beta1_d, config["beta2"]), eps=1e-8)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=(config["beta1_g"], config["beta2"]), eps=1e-8)
    bce = nn.BCEWithLogitsLoss()
    hinge = config.get("loss") == "hinge"
    margin = 0.0 if mistake == "hinge-margin" else 1.0
    gamma = config.get("r1")
    r1_factor = {"r1-sign": -0.5, "r1-gamma": 1.0}.get(mistake, 0.5)
    weight_decay = 0.0 if mistake == "no-l2" else config["weight_decay"]
    smoothing = config.get("label_smoothing") or 0.0
    # Knobs that start at an epoch of their own: the step's epoch is in the trace.
    class_from = (config.get("class_loss_from") or 1) - (mistake == "class-from")
    class_weight = lambda epoch: (config.get("class_loss") or 0.0) if epoch >= class_from else 0.0
    lr_decay, decay_from = config.get("lr_decay"), (config.get("lr_decay_from") or 1) - (mistake == "decay-from")
    lr_factor = lambda epoch: lr_decay ** max(0, epoch - decay_from) if lr_decay else 1.0
    ce = nn.CrossEntropyLoss()
    scored = lambda x, labels, scores: d(x, labels, scores=True) if scores else (d(x, labels), None)
    decay = config.get("ema")
    if mistake == "ema-decay":
        decay = 0.99
    # The EMA twice: from the trainer's own G (pins the update rule) and from PyTorch's.
    ema_ours = {k: v.detach().clone() for k, v in trained(g).items()}
    ema_torch = {k: v.detach().clone() for k, v in trained(g).items()}

    worst = {}
    note = lambda check, value: worst.__setitem__(check, max(worst.get(check, 0.0), value))
    for s in steps:
        x, z_d, z_g = t(f"s{s}.x"), t(f"s{s}.z_d"), t(f"s{s}.z_g")
        epoch = int(tensors[f"s{s}.epoch"][0])
        rate_d, rate_g = lr_d * lr_factor(epoch), lr_g * lr_factor(epoch)
        for opt, rate in [(opt_d, rate_d), (opt_g, rate_g)]:
            for group in opt.param_groups:
                group["lr"] = rate
        class_d = 0.0 if mistake == "class-d-off" else class_weight(epoch)
        class_g = (config.get("class_loss_g") or 0.0) if class_weight(epoch) else 0.0
        y, l_d, l_g = (label(f"s{s}.{n}") for n in ("y", "label_d", "label_g"))
        draws = lambda part: (tensors.get(f"s{s}.shift_{part}"), tensors.get(f"s{s}.cut_{part}"))
        aug = lambda x, part: augment(x, *draws(part), -1 if mistake == "shift-sign" else 1, 0.0 if mistake == "cutout-fill" else -1.0)
        with torch.no_grad():
            fake = g(z_d, l_d)
        if gamma:
            x = x.clone().requires_grad_(True)
        d_real, real_scores = scored(aug(x, "real"), y, class_weight(epoch))
        d_fake = d(aug(fake, "fake_d"), l_d)
        if hinge:
            loss_d = torch.relu(margin - d_real).mean() + torch.relu(margin + d_fake).mean()
        else:
            loss_d = bce(d_real, torch.full_like(d_real, 1.0 - smoothing)) + bce(d_fake, torch.zeros_like(d_fake))
        total = loss_d + weight_decay * 0.5 * (d.c2.weight.square().sum() + d.c3.weight.square().sum())
        if class_d:
            total = total + class_d * ce(real_scores, y)
        if gamma:
            (grad,) = torch.autograd.grad(d_real.sum(), x, create_graph=True)
            total = total + r1_factor * gamma * grad.square().sum(dim=(1, 2, 3)).mean()
        opt_d.zero_grad()
        total.backward()
        opt_d.step()
        for p in d.parameters():
            p.requires_grad_(False)
        fake = g(z_g, l_g)
        logits, fake_scores = scored(fake if mistake == "augment-g-step" else aug(fake, "fake_g"), l_g, class_g)
        loss_g = -logits.mean() if hinge else bce(logits, torch.ones_like(logits))
        opt_g.zero_grad()
        if class_g:
            asked = (l_g + 1) % 10 if mistake == "class-g-labels" else l_g
            (loss_g + class_g * ce(fake_scores, asked)).backward()
        else:
            loss_g.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)

        line = []
        for name, value in [("loss_d", loss_d), ("loss_g", loss_g)]:
            theirs = float(tensors[f"s{s}.{name}"][0])
            rel = abs(float(value.detach()) - theirs) / max(abs(theirs), 1.0)
            note("losses", rel / LOSS_TOLERANCE)
            line.append(f"{name} trainer {theirs:.6f} torch {float(value.detach()):.6f} (error {rel:.1e})")
        # Units of the base rates, the largest so far (a decay only lowers them): the drift
        # a check measures built up over earlier steps, and a mistaken schedule must not
        # shrink its own unit.
        for prefix, net, lr in [("g", g, lr_g), ("d", d, lr_d)]:
            for name, value in net.state_dict().items():
                if not name.endswith("num_batches_tracked") and f"{prefix}.{name}" not in NOISE_ONLY:
                    check = "BN statistics" if "running" in name else "G and D"
                    note(check, figure(value, t(f"s{s}.{prefix}.{name}"), "running" in name, lr))
        if decay:
            rate = 1.0 - (decay if mistake == "ema-warmup" else min(decay, (1 + s) / (10 + s)))
            g_ours = {k: t(f"s{s}.g.{k}") for k in ema_ours}
            for name in ema_ours:
                ema_ours[name].lerp_(g_ours[name], rate)
                ema_torch[name].lerp_(trained(g)[name].detach(), rate)
                theirs = t(f"s{s}.ema.{name}")
                note("EMA (exact)", float((ema_ours[name] - theirs).abs().max()) / EMA_TOLERANCE)
                if f"ema.{name}" not in NOISE_ONLY:
                    note("EMA (PyTorch's G)", figure(ema_torch[name], theirs, False, lr_g))
        if record is not None:
            ours = {"loss_d": loss_d.reshape(1), "loss_g": loss_g.reshape(1)}
            ours.update({f"ema.{k}": v for k, v in ema_torch.items()} if decay else {})
            ours.update({f"{p}.{k}": v for p, net in [("g", g), ("d", d)] for k, v in net.state_dict().items()})
            record.update({f"s{s}.{k}": v.detach().numpy().copy() for k, v in ours.items()})
        if mistake is None:
            print(f"  step {s}: " + "; ".join(line))
    if decay:
        note("EMA BN statistics", ema_bn(tensors, head, g, mistake))
    return worst


def trained(net):
    return {k: p for k, p in net.named_parameters()}


def figure(ours, theirs, buffer, lr):
    """One tensor's difference in units of its tolerance."""
    diff = (ours.detach() - theirs).abs().flatten().double()
    if buffer:
        return float(diff.max()) / max(float(theirs.abs().max()), 1e-12) / BUFFER_TOLERANCE
    return float(torch.quantile(diff, QUANTILE)) / lr / UPDATE_TOLERANCE


def ema_bn(tensors, head, g_last, mistake):
    """The EMA's own BatchNorm statistics from the trainer's last EMA weights, as
    torch.optim.swa_utils.update_bn sets them: statistics reset, momentum None (a
    cumulative average), one train-mode pass per fixed batch of 100."""
    t = lambda name: torch.from_numpy(tensors[name])
    last = max(int(k.split(".")[0][1:]) for k in tensors if k.startswith("s") and k.endswith(".x"))
    ema = G(classes=10 if head else 0, native_image_layer=True)
    weights = {k.split(".ema.", 1)[1]: v for k, v in tensors.items() if k.startswith((f"s{last}.ema.", "bn.ema."))}
    load_into(ema, weights)
    bns = [m for m in ema.modules() if isinstance(m, nn.BatchNorm2d)]
    if mistake == "ema-bn":
        ema.load_state_dict({k: v for k, v in g_last.state_dict().items() if "running" in k}, strict=False)
    else:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        ema.train()
        z = t("bn.z")
        labels = t("bn.label").long() if head else None
        with torch.no_grad():
            for i in range(0, z.shape[0], 100):
                ema(z[i : i + 100], None if labels is None else labels[i : i + 100])
    return max(
        figure(value, t(f"bn.ema.{name}"), True, None) for name, value in ema.state_dict().items() if "running" in name
    )


def report(worst):
    return ", ".join(f"{check} {value:.2g}" for check, value in worst.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trace")
    parser.add_argument("--mistakes", default="", help="comma-separated names from MISTAKES")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tensors, meta = read_safetensors(args.trace)
    config = json.loads(meta["config"])
    mistakes = [m for m in args.mistakes.split(",") if m]
    for m in mistakes:
        if m not in MISTAKES or not exercised(config, MISTAKES[m][1]):
            print(f"trainer_vs_torch: mistake {m!r} is not one this trace's recipe exercises", file=sys.stderr)
            return 2
    knobs = ("loss", "lr_d", "lr_g", "r1", "ema", "label_smoothing", "conditional", "augment", "class_loss", "class_loss_g", "class_loss_from", "lr_decay", "lr_decay_from")
    recipe = {k: config.get(k) for k in knobs}
    print(f"replaying {args.trace}: {json.dumps({k: v for k, v in recipe.items() if v is not None})}")
    worst = replay(tensors, config)
    ok = max(worst.values()) <= 1.0
    print(
        f"trainer vs PyTorch: worst figures in units of their tolerance (≤ 1 passes): {report(worst)} "
        f"(tolerances: losses {LOSS_TOLERANCE:.0e}·max(|loss|, 1); {QUANTILE:.0%} of |Δ| ≤ {UPDATE_TOLERANCE} Adam "
        f"update; BN statistics {BUFFER_TOLERANCE:.0e} relative; EMA {EMA_TOLERANCE:.0e} absolute)"
    )
    for m in mistakes:
        caught = max(replay(tensors, config, m).values())
        ok &= caught >= MISTAKE_FACTOR
        verdict = "caught" if caught >= MISTAKE_FACTOR else f"NOT caught (needs ≥ {MISTAKE_FACTOR:.0f})"
        print(f"mistake {m} ({MISTAKES[m][0]}): {caught:.1f}× the tolerance, {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
