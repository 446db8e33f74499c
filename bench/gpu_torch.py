"""The generator of a run on a device, in PyTorch, for scripts/gpu-check.sh.

usage: gpu_torch.py RUN_DIR DEVICE
Prints `key<TAB>value` lines:
- max |Δ| of G on DEVICE (TF32 off, eval mode) against the run's CPU float32 probe
  (what the exporter self-checks against);
- images/s at batch 256 and 4096 (G eval on DEVICE, TF32 off).
ONNX Runtime on the device is measured by the Rust library itself (ort-device-check).
"""
import sys
import time

import numpy as np
import torch

from dcgan_torch import G, load_into, read_safetensors

run, device = sys.argv[1], sys.argv[2]
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

weights, _ = read_safetensors(f"{run}/generator.safetensors")
probe, _ = read_safetensors(f"{run}/probe_generator.safetensors")
g = G()
load_into(g, weights)
g = g.to(device).eval()
with torch.no_grad():
    got = g(torch.from_numpy(probe["z"]).to(device)).cpu().numpy()
print(f"PyTorch G on {device} vs the CPU probe, max |Δ|\t{float(np.abs(got - probe['image']).max()):.3e}")


def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def rate(fn, batch, seconds=2.0):
    for _ in range(3):
        fn()
    sync()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        fn()
        n += batch
    sync()
    return n / (time.perf_counter() - start)


for batch in (256, 4096):
    z = torch.rand(batch, 100, device=device) * 2 - 1
    with torch.no_grad():
        print(f"PyTorch G on {device}, batch {batch}, images/s\t{rate(lambda: g(z), batch):.0f}")
