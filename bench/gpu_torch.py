"""The generator of a run on a device, in PyTorch, for scripts/gpu-check.sh.

usage: gpu_torch.py RUN_DIR DEVICE [ONNX]
Prints `key value` lines:
- torch_max_abs_diff: G on DEVICE (TF32 off, eval mode) against the run's CPU float32
  probe (what the exporter self-checks against);
- torch_images_per_s_B for B in 256 and 4096 (G eval on DEVICE, TF32 off);
- ort_cuda_*: the same with ONNX Runtime's CUDA provider on ONNX when this Python's
  onnxruntime has one, else `ort_cuda unavailable`.
"""
import sys
import time

import numpy as np
import torch

from dcgan_torch import G, load_into, read_safetensors

run, device = sys.argv[1], sys.argv[2]
onnx_path = sys.argv[3] if len(sys.argv) > 3 else None
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

weights, _ = read_safetensors(f"{run}/generator.safetensors")
probe, _ = read_safetensors(f"{run}/probe_generator.safetensors")
g = G()
load_into(g, weights)
g = g.to(device).eval()
with torch.no_grad():
    got = g(torch.from_numpy(probe["z"]).to(device)).cpu().numpy()
print(f"torch_max_abs_diff {float(np.abs(got - probe['image']).max()):.3e}")


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
        print(f"torch_images_per_s_{batch} {rate(lambda: g(z), batch):.0f}")

if onnx_path:
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        print(f"ort_cuda unavailable (onnxruntime {ort.__version__} has {ort.get_available_providers()})")
    else:
        opts = [("CUDAExecutionProvider", {"use_tf32": 0}), "CPUExecutionProvider"]
        s = ort.InferenceSession(onnx_path, providers=opts)
        # The CPU is listed as ONNX Runtime's fallback: make sure CUDA really took the model.
        assert s.get_providers()[0] == "CUDAExecutionProvider", s.get_providers()
        (out,) = s.run(["image"], {"z": probe["z"]})
        print(f"ort_cuda_max_abs_diff {float(np.abs(out - probe['image']).max()):.3e}")
        for batch in (256, 4096):
            z = (np.random.rand(batch, 100).astype(np.float32) * 2 - 1)
            print(f"ort_cuda_images_per_s_{batch} {rate(lambda: s.run(['image'], {'z': z}), batch):.0f}")
