"""The same DCGAN and training step in PyTorch, for bench/train.sh and scripts/gpu-check.sh.

usage: train_torch.py MNIST_DIR IMAGES THREADS DEVICE [eager|graph] [tutorial|improved]
       -> prints `pytorch IMAGES_PER_S`
Times steps 101-200 of an epoch over the first IMAGES training images (batch 100),
the same window `train` reports as its second losses.csv row (with fewer than 20000
images, the second half of the epoch's steps). `graph` (CUDA only)
captures the whole step (D step, G step, both Adams with capturable=True, the
statistics) once with torch.cuda.graph and replays it, copying each batch into static
inputs first: PyTorch's own answer to launch-bound steps.
`improved` is `train --recipe improved`'s step: hinge loss, R1 (gamma 1) on D's real
images, D at 4e-4 and G at 1e-4, and an EMA of G (decay 0.999 with train's warm-up)
updated after every step; `tutorial` (the default) is the tutorial's.
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

from dcgan_torch import D, G, init

def usage():
    print(__doc__.split("\n")[2], file=sys.stderr)
    sys.exit(2)


if len(sys.argv) < 5:
    usage()
mnist, limit, threads, device = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
mode = sys.argv[5] if len(sys.argv) > 5 else "eager"
recipe = sys.argv[6] if len(sys.argv) > 6 else "tutorial"
if mode not in ("eager", "graph") or recipe not in ("tutorial", "improved"):
    usage()
graphed, improved = mode == "graph", recipe == "improved"
if graphed and not device.startswith("cuda"):
    sys.exit("train_torch.py: graph needs a CUDA device")
torch.set_num_threads(threads)
torch.manual_seed(0)
if device.startswith("cuda"):
    torch.backends.cudnn.benchmark = True


with gzip.open(f"{mnist}/train-images-idx3-ubyte.gz") as f:
    pixels = np.frombuffer(f.read(), np.uint8, offset=16)[: limit * 784]
data = torch.from_numpy(pixels.astype(np.float32) / 255.0 * 2.0 - 1.0).view(-1, 1, 28, 28).to(device)
g, d = G().to(device), D().to(device)
init(g)
init(d)
lr_d, lr_g = (4e-4, 1e-4) if improved else (2e-4, 2e-4)
opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=(0.5, 0.999), capturable=graphed)
opt_d = torch.optim.Adam(d.parameters(), lr=lr_d, betas=(0.1, 0.999), capturable=graphed)
ema = [p.detach().clone() for p in g.parameters()] if improved else None
ema_step = torch.zeros((), dtype=torch.float64, device=device)
bce = nn.BCEWithLogitsLoss()
batch = 100
ones = torch.ones(batch, 1, device=device)
zeros = torch.zeros(batch, 1, device=device)
order = torch.randperm(data.shape[0], device=device)
stats = torch.zeros(4, device=device)


def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def step(x):
    z = torch.rand(batch, 100, device=device) * 2 - 1
    with torch.no_grad():
        fake = g(z)
    if improved:
        x = x.detach().requires_grad_(True)
    d_real, d_fake = d(x), d(fake)
    if improved:
        loss_d = torch.relu(1 - d_real).mean() + torch.relu(1 + d_fake).mean()
    else:
        loss_d = bce(d_real, ones) + bce(d_fake, zeros)
    l2 = 0.5 * (d.c2.weight.square().sum() + d.c3.weight.square().sum())
    total = loss_d + 1e-3 * l2
    if improved:
        (grad,) = torch.autograd.grad(d_real.sum(), x, create_graph=True)
        total = total + 0.5 * grad.square().sum(dim=(1, 2, 3)).mean()
    opt_d.zero_grad(set_to_none=not graphed)
    total.backward()
    opt_d.step()
    for p in d.parameters():
        p.requires_grad_(False)
    z = torch.rand(batch, 100, device=device) * 2 - 1
    logits = d(g(z))
    loss_g = -logits.mean() if improved else bce(logits, ones)
    opt_g.zero_grad(set_to_none=not graphed)
    loss_g.backward()
    opt_g.step()
    if improved:
        with torch.no_grad():
            ema_step.add_(1)
            weight = (1 - torch.clamp((ema_step + 1) / (ema_step + 10), max=0.999)).float()
            for avg, p in zip(ema, g.parameters()):
                avg.lerp_(p, weight)
    for p in d.parameters():
        p.requires_grad_(True)
    with torch.no_grad():
        stats.add_(torch.stack([loss_d, loss_g, torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()]))


def batch_at(step):
    return data[order[step * batch:(step + 1) * batch]]


if graphed:
    # Warm up on a side stream (autograd and cuDNN allocate on first use), then capture.
    static_x = batch_at(0).clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step(static_x)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step(static_x)

steps = min(200, data.shape[0] // batch)
for i in range(steps):
    if i == steps // 2:
        sync()
        start = time.perf_counter()
    if graphed:
        static_x.copy_(batch_at(i))
        graph.replay()
    else:
        step(batch_at(i))
sync()
print(f"pytorch {(steps - steps // 2) * batch / (time.perf_counter() - start):.1f}")
