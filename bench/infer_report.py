"""Tabulates bench/infer.sh's throughput lines and times `infer` end to end.

usage: infer_report.py MODEL THROUGHPUT_FILE INFER_BINARY
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

model, results, binary = sys.argv[1], sys.argv[2], sys.argv[3]
rate = {}
for line in open(results):
    name, batch, value = line.split()
    rate[(name, int(batch))] = float(value)

print("\n| batch | ort-CPU img/s | ort, 1 thread | ort, 1-thread sessions side by side | tract img/s | tract, 1 thread "
      "| tract before (one chunk at a time, 2-thread products) | Python onnxruntime img/s | ort / Python "
      "| sessions / ort | tract / ort | tract before / ort |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for batch in (1, 25, 64, 256):
    o, t, p = rate[("ort-cpu", batch)], rate[("tract", batch)], rate[("python-ort", batch)]
    o1, os_ = rate[("ort-1thread", batch)], rate[("ort-sessions", batch)]
    t1, mm = rate[("tract-1thread", batch)], rate[("tract-mm", batch)]
    print(f"| {batch} | {o:,.0f} | {o1:,.0f} | {os_:,.0f} | {t:,.0f} | {t1:,.0f} | {mm:,.0f} | {p:,.0f} "
          f"| {o / p:.2f} | {os_ / o:.2f} | {t / o:.2f} | {mm / o:.2f} |")

with tempfile.TemporaryDirectory() as tmp:
    print("\n| `infer -n 25` end to end (process start included) | median of 20 | min |")
    print("|---|---:|---:|")
    for backend in ("tract", "ort"):
        walls = []
        for i in range(20):
            start = time.perf_counter()
            subprocess.run([binary, "--onnx", model, "-n", "25", "--seed", str(i), "--backend", backend,
                            "--out", os.path.join(tmp, "s.png")], check=True, capture_output=True)
            walls.append((time.perf_counter() - start) * 1e3)
        print(f"| --backend {backend} | {statistics.median(walls):.0f} ms | {min(walls):.0f} ms |")

    start = time.perf_counter()
    subprocess.run([binary, "--onnx", model, "-n", "100000", "--seed", "1", "--raw", os.path.join(tmp, "x.npy")],
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = os.path.getsize(os.path.join(tmp, "x.npy")) / 2**20
    print(f"\n`infer -n 100000 --raw` (tract): {wall:.1f} s, peak RSS of any child {rss:.0f} MB, output {size:.0f} MB")
