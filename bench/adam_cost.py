"""What Adam's update costs in a training step on the CPU, for issue 34's "fused Adam over
one flat buffer" lever: over the trainer's G and D parameters (20 tensors,
bench/dcgan_torch.py), the op sequence of `train`'s own Adam (train/src/adam.rs: ten
in-place ops per tensor), and PyTorch's Adam per tensor, with foreach kernels and fused
(one kernel over every tensor). Medians of 200 steps after 20 warm-up steps.

usage: adam_cost.py [THREADS]     (default 2)
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from dcgan_torch import D, G  # noqa: E402

STEPS, WARMUP = 200, 20


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    params = list(G().parameters()) + list(D().parameters())
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    print(f"G and D: {len(params)} tensors, {sum(p.numel() for p in params)} parameters, {torch.get_num_threads()} threads")
    for name, kind in [("per tensor", dict(foreach=False)), ("foreach", dict(foreach=True)), ("fused", dict(fused=True))]:
        time_steps(f"PyTorch's, {name}", torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999), **kind).step)
    time_steps("train's op sequence", TrainAdam(params).step)


class TrainAdam:
    """train/src/adam.rs's update, op for op (the gradients are kept here: the timing
    loop reuses them)."""

    def __init__(self, params, lr=2e-4, b1=0.5, b2=0.999):
        self.params, self.lr, self.b1, self.b2, self.t = params, lr, b1, b2, torch.zeros((), dtype=torch.float64)
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        b1, b2 = self.b1, self.b2
        t = self.t.add_(1.0)
        bc1 = 1.0 - torch.pow(b1, t)
        bc2_sqrt = (1.0 - torch.pow(b2, t)).sqrt()
        neg_inv_step_size = -(self.lr / bc1).reciprocal()
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.lerp_(g, 1.0 - b1)
            v.mul_(b2 / (1.0 - b2)).addcmul_(g, g).mul_(1.0 - b2)
            denom = v.sqrt()
            denom.div_(bc2_sqrt).add_(1e-8).mul_(neg_inv_step_size)
            p.addcdiv_(m, denom)
            g.mul_(1.0)  # stands in for zero_(), which would leave the next steps no gradient


def time_steps(name, step):
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(STEPS):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"Adam step of both networks, {name}: {times[STEPS // 2] * 1e3:.2f} ms (median of {STEPS})")


if __name__ == "__main__":
    main()
