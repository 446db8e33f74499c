"""The DCGAN of dcgan/src/arch.rs in PyTorch eager, shared by the benchmark and check
scripts (bench/train_torch.py, bench/gpu_torch.py, tests/python/trainer_vs_torch.py).

G: z [N,100] -> relu(fc) [N,256,4,4] -> ct1 (pad 1, keep 7x7) -> BN -> LeakyReLU(0.2)
   -> ct2 -> BN -> LeakyReLU -> ct3 -> tanh [N,1,28,28].
D: x [N,1,28,28] -> c1 -> c2 -> pad(1,2) c3 -> fc [N,1], LeakyReLU(0.2) between.
Parameter names match the trainer's safetensors (fc.weight, ct1.weight, bn1.running_mean, ...).
"""
import json
import struct

import numpy as np
import torch
from torch import nn


class G(nn.Module):
    """`classes` > 0: the conditional G, which adds row `label` of a [classes,4096] table to
    fc's output (what one-hot labels concatenated with z compute). `native_image_layer`:
    ct3 computed on the CPU as `train` computes it (the replay of tests/python)."""

    def __init__(self, classes=0, native_image_layer=False):
        super().__init__()
        self.native_image_layer = native_image_layer
        self.fc = nn.Linear(100, 4096)
        self.ct1 = nn.ConvTranspose2d(256, 128, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(128)
        self.ct2 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(64)
        self.ct3 = nn.ConvTranspose2d(64, 1, 4, 2, 1)
        self.act = nn.LeakyReLU(0.2)
        if classes:
            self.label = nn.Embedding(classes, 4096)

    def forward(self, z, label=None):
        h = self.fc(z)
        if label is not None:
            h = h + self.label(label)
        h = torch.relu(h).view(-1, 256, 4, 4)
        h = self.act(self.bn1(self.ct1(h)[:, :, :7, :7]))
        h = self.act(self.bn2(self.ct2(h)))
        if self.native_image_layer and h.device.type == "cpu":
            # What `train` runs on the CPU (train/src/model.rs): libtorch's own transposed
            # convolution for the one-channel layer, not oneDNN's, so the same sums in the
            # same order.
            ct3 = self.ct3
            return torch.tanh(torch._C._nn.slow_conv_transpose2d(h, ct3.weight, ct3.kernel_size, ct3.bias, ct3.stride, ct3.padding))
        return torch.tanh(self.ct3(h))


class D(nn.Module):
    """`head`: None, "projection" (the logit gains <table[label], features> over fc's input)
    or "embed" (row `label` of a [classes,64*14*14] table added to c1's output)."""

    def __init__(self, head=None, classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 64, 4, 2, 1)
        self.c2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.c3 = nn.Conv2d(128, 256, 4, 2, 0)
        self.fc = nn.Linear(4096, 1)
        self.act = nn.LeakyReLU(0.2)
        self.head = head
        if head == "projection":
            self.label = nn.Embedding(classes, 4096)
        elif head == "embed":
            self.label = nn.Embedding(classes, 64 * 14 * 14)

    def forward(self, x, label=None, scores=False):
        """x [N,1,28,28] -> logits [N,1]; with `scores` (projection head), also the class
        scores [N,classes], <table[c], features> for every class c."""
        h = self.c1(x)
        if self.head == "embed":
            h = h + self.label(label).view(-1, 64, 14, 14)
        h = self.act(h)
        h = self.act(self.c2(h))
        h = self.act(self.c3(nn.functional.pad(h, (1, 2, 1, 2)))).flatten(1)
        out = self.fc(h)
        if self.head == "projection":
            out = out + (self.label(label) * h).sum(1, keepdim=True)
        if scores:
            assert self.head == "projection", "class scores come from the projection head's table"
            return out, h @ self.label.weight.t()
        return out


def init(m):
    """The tutorial's init: every weight and bias N(0, 0.02), BN scale 1 and offset 0."""
    for p in m.parameters():
        nn.init.normal_(p, 0.0, 0.02)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)


def read_safetensors(path):
    """{name: float32 numpy array} and the metadata of a safetensors file (F32 only)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype="<f4").reshape(info["shape"]).copy()
    return out, meta


def load_into(module, tensors, prefix=""):
    """Copy the trainer's named tensors into `module` (names as in the safetensors)."""
    state = {k: torch.from_numpy(tensors[prefix + k]) for k in module.state_dict() if prefix + k in tensors}
    missing = [k for k in module.state_dict() if k not in state and not k.endswith("num_batches_tracked")]
    assert not missing, missing
    module.load_state_dict(state, strict=False)
