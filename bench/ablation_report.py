"""The ablation table of bench/ablation.sh's runs, for BENCHMARKS.md.

usage: ablation_report.py OUTDIR [EPOCH]
For each run: its flags (config.json beyond the tutorial's), the epochs it reached, its
training wall time, and at EPOCH (default: the largest epoch every ablation run reached)
the Fréchet distance to the report half of MNIST test, coverage and confidence; then the
epoch `best/` holds (chosen on the other half) with its report-half distance.
"""
import csv
import json
import os
import sys

out = sys.argv[1]
TUTORIAL = {"batch_size": 100, "lr": 0.0002, "beta1_d": 0.1, "beta1_g": 0.5, "beta2": 0.999, "weight_decay": 0.001}
SKIP = {"dataset", "dataset_sha256", "limit", "epochs", "latent_dim", "generator_arch", "discriminator_arch",
        "sample_every", "versions", "recipe"}


def flags(config):
    parts = []
    for k, v in config.items():
        if k in SKIP or TUTORIAL.get(k) == v or (k == "seed" and v == 0):
            continue
        parts.append(f"{k}={','.join(v) if isinstance(v, list) else v}")
    return ", ".join(parts) or "(tutorial)"


runs = {}
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    if not os.path.isfile(os.path.join(path, "losses.csv")):
        continue
    with open(os.path.join(path, "losses.csv")) as f:
        rows = [r for r in csv.DictReader(f)]
    evals = {int(r["epoch"]): r for r in rows if r.get("frechet")}
    config = json.load(open(os.path.join(path, "config.json")))
    best = None
    if os.path.isfile(os.path.join(path, "best", "best.json")):
        best = json.load(open(os.path.join(path, "best", "best.json")))
    runs[name] = dict(rows=rows, evals=evals, config=config, best=best)

ablation = [n for n in runs if not n.startswith("cond")]
common = min(max(r["evals"]) for n, r in runs.items() if n in ablation and r["evals"])
epoch = int(sys.argv[2]) if len(sys.argv) > 2 else common

print(f"| run | flags beyond the tutorial | epochs | train s | Fréchet @{epoch} (report half) | coverage @{epoch} | confidence @{epoch} | best epoch (chosen on even half) | its Fréchet (report half) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for name, r in runs.items():
    e = r["evals"].get(epoch)
    last = r["rows"][-1]
    at = lambda k, fmt: format(float(e[k]), fmt) if e and e.get(k) else "—"
    b = r["best"]
    print(
        f"| {name} | {flags(r['config'])} | {last['epoch']} | {float(last['seconds']):.0f} | {at('frechet_report', '.2f')} | "
        f"{at('coverage', '.4f')} | {at('confidence', '.4f')} | {b['epoch'] if b else '—'} | {format(b['frechet_report'], '.2f') if b else '—'} |"
    )
