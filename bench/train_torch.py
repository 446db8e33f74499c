"""The same DCGAN and training step in PyTorch eager, for bench/train.sh.

usage: train_torch.py MNIST_DIR IMAGES THREADS DEVICE  -> prints `pytorch IMAGES_PER_S`
Times steps 101-200 of an epoch over the first IMAGES training images (batch 100),
the same window `train` reports as its second losses.csv row.
"""
import gzip
import sys
import time

import numpy as np
import torch
from torch import nn

from dcgan_torch import D, G, init

mnist, limit, threads, device = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
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
opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.1, 0.999))
bce = nn.BCEWithLogitsLoss()
batch = 100
ones = torch.ones(batch, 1, device=device)
zeros = torch.zeros(batch, 1, device=device)
order = torch.randperm(data.shape[0], device=device)
stats = torch.zeros(4, device=device)


def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()


for step in range(200):
    if step == 100:
        sync()
        start = time.perf_counter()
    x = data[order[step * batch:(step + 1) * batch]]
    z = torch.rand(batch, 100, device=device) * 2 - 1
    with torch.no_grad():
        fake = g(z)
    d_real, d_fake = d(x), d(fake)
    loss_d = bce(d_real, ones) + bce(d_fake, zeros)
    l2 = 0.5 * (d.c2.weight.square().sum() + d.c3.weight.square().sum())
    opt_d.zero_grad(set_to_none=True)
    (loss_d + 1e-3 * l2).backward()
    opt_d.step()
    for p in d.parameters():
        p.requires_grad_(False)
    z = torch.rand(batch, 100, device=device) * 2 - 1
    loss_g = bce(d(g(z)), ones)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    for p in d.parameters():
        p.requires_grad_(True)
    with torch.no_grad():
        stats += torch.stack([loss_d, loss_g, torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()])
sync()
print(f"pytorch {100 * batch / (time.perf_counter() - start):.1f}")
