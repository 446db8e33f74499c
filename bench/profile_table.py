"""Where a training process's CPU time goes, by kind of code, from `perf report`.

usage: profile_table.py HZ STEPS NAME=PERF_DATA...   (as bench/train_profile.sh writes them)
-> a markdown table: one row per kind, one column per recording: CPU milliseconds per
training step (samples / HZ / STEPS, all threads: a waiting OpenMP thread spins, so it
counts) and the share of the recording's samples.
"""
import subprocess
import sys

# (kind, test on the sample's shared object and symbol), first match wins.
KINDS = [
    ("convolutions: oneDNN's generated kernels", lambda dso, sym: dso.startswith("[JIT]") or "perf-" in dso),
    ("convolutions: oneDNN's other code", lambda dso, sym: "dnnl" in sym),
    ("matrix products (MKL)", lambda dso, sym: "mkl_" in sym or "gemm" in sym.lower()),
    ("LeakyReLU / PReLU", lambda dso, sym: "leaky_relu" in sym or "prelu" in sym),
    ("BatchNorm", lambda dso, sym: "batch_norm" in sym),
    ("copies, fills, other elementwise (ATen)", lambda dso, sym: "libtorch" in dso),
    ("OpenMP (waiting threads, fork/join)", lambda dso, sym: "libgomp" in dso or "libiomp" in dso),
    ("kernel (page faults, memory mapping)", lambda dso, sym: "kernel" in dso),
    ("C library (malloc, memcpy)", lambda dso, sym: dso.startswith("libc.")),
    ("Python interpreter", lambda dso, sym: "python" in dso),
]
OTHER = "everything else (trainer, libc10, loader)"


def shares(path):
    out = subprocess.run(
        ["perf", "report", "-i", path, "--stdio", "--no-children", "-g", "none", "--sort", "dso,sym",
         "--percent-limit", "0", "--field-separator", "|", "-n"],
        capture_output=True, text=True, check=True,
    ).stdout
    totals = {}
    for line in out.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 4 or not parts[0].endswith("%"):
            continue
        samples, dso, sym = int(parts[1]), parts[2], parts[3]
        kind = next((k for k, test in KINDS if test(dso, sym)), OTHER)
        totals[kind] = totals.get(kind, 0) + samples
    return totals


hz, steps = float(sys.argv[1]), float(sys.argv[2])
tables = [(name, shares(path)) for name, path in (arg.split("=", 1) for arg in sys.argv[3:])]
print("| CPU ms per step (share) | " + " | ".join(name for name, _ in tables) + " |")
print("|---|" + "---:|" * len(tables))


def cell(t, kind):
    ms = t.get(kind, 0) / hz / steps * 1e3
    return f"{ms:.1f} ({100 * t.get(kind, 0) / sum(t.values()):.0f}%)"


for kind in [k for k, _ in KINDS] + [OTHER]:
    print(f"| {kind} | " + " | ".join(cell(t, kind) for _, t in tables) + " |")
print("| **total** | " + " | ".join(f"**{sum(t.values()) / hz / steps * 1e3:.0f}**" for _, t in tables) + " |")
