"""Images/s of Python onnxruntime on a generator, same cases as infer's throughput bench.

usage: infer_ort.py MODEL.onnx SECONDS  -> lines `python-ort BATCH IMAGES_PER_S`
"""
import sys
import time

import numpy as np
import onnxruntime as ort

model, seconds = sys.argv[1], float(sys.argv[2])
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(1)
for batch in (1, 25, 64, 256):
    z = rng.uniform(-1, 1, size=(batch, 100)).astype(np.float32)
    for _ in range(3):
        session.run(["image"], {"z": z})
    start, images = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        session.run(["image"], {"z": z})
        images += batch
    print(f"python-ort {batch} {images / (time.perf_counter() - start):.1f}")
