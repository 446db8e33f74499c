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

mnist, limit, threads, device = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
torch.manual_seed(0)
if device.startswith("cuda"):
    torch.backends.cudnn.benchmark = True


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(100, 4096)
        self.ct1 = nn.ConvTranspose2d(256, 128, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(128)
        self.ct2 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(64)
        self.ct3 = nn.ConvTranspose2d(64, 1, 4, 2, 1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, z):
        h = torch.relu(self.fc(z)).view(-1, 256, 4, 4)
        h = self.act(self.bn1(self.ct1(h)[:, :, :7, :7]))
        h = self.act(self.bn2(self.ct2(h)))
        return torch.tanh(self.ct3(h))


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 64, 4, 2, 1)
        self.c2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.c3 = nn.Conv2d(128, 256, 4, 2, 0)
        self.fc = nn.Linear(4096, 1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        h = self.act(self.c1(x))
        h = self.act(self.c2(h))
        h = self.act(self.c3(nn.functional.pad(h, (1, 2, 1, 2))))
        return self.fc(h.flatten(1))


def init(m):
    for p in m.parameters():
        nn.init.normal_(p, 0.0, 0.02)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)


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
