#!/usr/bin/env bash
# Training benchmark: `train` against a PyTorch eager script of the same model and step
# (bench/train_torch.py), same batch size, threads and device, in one run:
# - per recipe (tutorial, improved), images/s over steps 101-200 of an epoch over the
#   first 20000 MNIST images, 3 alternating runs each, medians; for the tutorial recipe
#   also PyTorch with the allocator settings `train` makes (torch_ops::keep_freed_memory,
#   here through glibc's environment variables), to show what that setting buys;
# - the whole process, start to exit, of one epoch over 6000 images (60 steps, tutorial
#   recipe): `train` with everything it writes (samples, checkpoint, plots) against the
#   script's import, load and 60 steps; 3 alternating runs, medians;
# - on the CPU, the limits (bench/train_limit.py): the tutorial step's floating-point work
#   against the rate of a large matrix product and against the cores' peak
#   multiply-add rate (the physical limit), and each trainer's share of both.
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
# The values of train/torch-ops/src/allocator.rs (MMAP_THRESHOLD, TRIM_THRESHOLD).
kept=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824)

ours() { # RECIPE LIMIT RUN -> images/s of the epoch's second losses.csv row
    target/release/train --recipe "$1" --limit "$2" --epochs 1 --threads "$threads" --device "$device" \
        --sample-every 1 --seed "$3" --out "$out/$1-$2-$3" >/dev/null 2>"$out/$1-$2-$3.log" ||
        { echo "train failed: $(tail -3 "$out/$1-$2-$3.log")" >&2; return 1; }
    sed -n 3p "$out/$1-$2-$3/losses.csv" | cut -d, -f8
}
theirs() { # RECIPE LIMIT [ENV...] -> images/s
    env "${@:3}" "$py" bench/train_torch.py "$MNIST_DIR" "$2" "$threads" "$device" eager "$1" | cut -d' ' -f2
}
millis() { # COMMAND... -> wall milliseconds
    local start; start=$(date +%s%N)
    "$@" >/dev/null || return 1
    echo $((($(date +%s%N) - start) / 1000000))
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads $threads; device $device; $(date -u +%F)"
rows=()
for recipe in tutorial improved; do
    a=() b=() c=()
    for i in 1 2 3; do
        a+=("$(ours "$recipe" 20000 "$i")")
        b+=("$(theirs "$recipe" 20000)")
        [ "$recipe" = tutorial ] && c+=("$(theirs "$recipe" 20000 "${kept[@]}")")
    done
    rows+=("$recipe|${a[*]}|${b[*]}|${c[*]:-}")
done
wall_ours=() wall_theirs=()
for i in 1 2 3; do
    wall_ours+=("$(millis ours tutorial 6000 "$i")")
    wall_theirs+=("$(millis theirs tutorial 6000)")
done
limits="0 0" # images/s at the matrix-product rate and at the peak rate (0: not measured)
[ "$device" = cpu ] && limits=$("$py" bench/train_limit.py "$threads" | awk '{print $6, $10}')
"$py" - "$limits" "${rows[@]}" "wall|${wall_ours[*]}|${wall_theirs[*]}|" <<'PY'
import statistics, sys

limit, peak = (0.0 if v == "n/a" else float(v) for v in sys.argv.pop(1).split())

def runs(field):
    return [float(v) for v in field.split()]

def show(values, unit=""):
    return f"{statistics.median(values):,.0f}{unit} ({', '.join(f'{v:.0f}' for v in values)})"

print("| recipe | train images/s | PyTorch eager images/s | ratio | PyTorch with train's allocator settings | ratio |")
print("|---|---:|---:|---:|---:|---:|")
for row in sys.argv[1:-1]:
    recipe, ours, theirs, kept = row.split("|")
    o, t = runs(ours), runs(theirs)
    ratio = statistics.median(o) / statistics.median(t)
    extra = "| — | — |"
    if kept.strip():
        k = runs(kept)
        extra = f"| {show(k)} | {statistics.median(o) / statistics.median(k):.2f} |"
    print(f"| {recipe} | {show(o)} | {show(t)} | **{ratio:.2f}** {extra}")
    if recipe == "tutorial":
        tutorial = (statistics.median(o), statistics.median(t))
_, ours, theirs, _ = sys.argv[-1].split("|")
o, t = [v / 1000 for v in runs(ours)], [v / 1000 for v in runs(theirs)]
print()
print("| whole process, 6000 images, tutorial | seconds (median of 3) | runs |")
print("|---|---:|---|")
print(f"| train | {statistics.median(o):.1f} | {', '.join(f'{v:.1f}' for v in o)} |")
print(f"| PyTorch eager | {statistics.median(t):.1f} | {', '.join(f'{v:.1f}' for v in t)} |")
print(f"\nwhole-process ratio (PyTorch seconds / train seconds): {statistics.median(t) / statistics.median(o):.2f}")
for name, rate in (("matrix-product limit", limit), ("physical limit (peak multiply-adds)", peak)):
    if rate:
        print(f"{name} {rate:.0f} images/s (bench/train_limit.py); tutorial step: train at "
              f"{tutorial[0] / rate:.0%} of it, PyTorch eager at {tutorial[1] / rate:.0%}")
PY
