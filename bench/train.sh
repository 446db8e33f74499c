#!/usr/bin/env bash
# Training benchmark: images/s of `train` and of a PyTorch eager script of the same
# model and step (bench/train_torch.py), same batch size, threads and device, in one
# run. Both time steps 101-200 of an epoch over the first 20000 MNIST images; each is
# run 3 times alternately and the median is reported.
# usage: bench/train.sh [THREADS] [DEVICE]     (MNIST_DIR must point at MNIST)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
threads=${1:-2}
device=${2:-cpu}
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
scripts/setup.sh
py=.native/venv/bin/python
cargo build --release --locked -p dcgan-train --bin train 2>/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads $threads; device $device; $(date -u +%F)"
ours=() theirs=()
for i in 1 2 3; do
    target/release/train --limit 20000 --epochs 1 --threads "$threads" --device "$device" --sample-every 1 \
        --seed "$i" --out "$out/run$i" >/dev/null 2>&1
    ours+=("$(sed -n 3p "$out/run$i/losses.csv" | cut -d, -f8)")
    theirs+=("$("$py" bench/train_torch.py "$MNIST_DIR" 20000 "$threads" "$device" | cut -d' ' -f2)")
done
"$py" - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
ours = [float(v) for v in sys.argv[1].split()]
theirs = [float(v) for v in sys.argv[2].split()]
o, t = statistics.median(ours), statistics.median(theirs)
print("| trainer | images/s (median of 3) | runs |")
print("|---|---:|---|")
print(f"| train (tch) | {o:,.0f} | {', '.join(f'{v:.0f}' for v in ours)} |")
print(f"| PyTorch eager | {t:,.0f} | {', '.join(f'{v:.0f}' for v in theirs)} |")
print(f"\nratio train / PyTorch: {o / t:.2f}")
PY
