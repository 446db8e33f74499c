"""The CPU's limit for a training step: its floating-point work and the machine's rate.

usage: train_limit.py THREADS
  -> prints `flops_per_image F gemm_gflops R limit_images_per_s L peak_gflops P peak_images_per_s Q`
F: floating-point operations of one tutorial step (D step and G step, forward and
backward, batch 100) per image, counted by PyTorch's FlopCounterMode (convolutions and
matrix products; the elementwise work is small beside them). R: the rate of a 4096x4096
single-precision matrix product with THREADS threads, the best of 5 (what a library
reaches on the densest work there is). L = R / F: images/s at 100% of that rate.
P: the cores' peak rate of fused multiply-adds (bench/peak_flops.c, built here with the
C compiler; oneDNN's convolutions run above R on some CPUs, and never above P in the
multiply-adds they really do); Q = P / F, the physical limit. P and Q are "n/a" where the C compiler or OpenMP is missing.
"""
import sys
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dcgan_torch import D, G, init
from peak import peak_gflops

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
g, d = G(), D()
init(g)
init(d)
bce = nn.BCEWithLogitsLoss()
batch = 100
x = torch.rand(batch, 1, 28, 28) * 2 - 1
ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
with FlopCounterMode(display=False) as counter:
    with torch.no_grad():
        fake = g(torch.rand(batch, 100) * 2 - 1)
    (bce(d(x), ones) + bce(d(fake), zeros)).backward()
    for p in d.parameters():
        p.requires_grad_(False)
    bce(d(g(torch.rand(batch, 100) * 2 - 1)), ones).backward()
flops = counter.get_total_flops() / batch

a, b = torch.randn(4096, 4096), torch.randn(4096, 4096)
a @ b
best = 0.0
for _ in range(5):
    start = time.perf_counter()
    a @ b
    best = max(best, 2 * 4096**3 / (time.perf_counter() - start))
peak = peak_gflops(int(sys.argv[1]))
physical = "peak_gflops n/a peak_images_per_s n/a"
if peak:
    physical = f"peak_gflops {peak:.1f} peak_images_per_s {peak * 1e9 / flops:.0f}"
print(f"flops_per_image {flops:.0f} gemm_gflops {best / 1e9:.1f} limit_images_per_s {best / flops:.0f} {physical}")
