#!/usr/bin/env bash
# Where a training step's CPU time goes: `perf record` (cpu-clock, 499 Hz, all threads)
# of `train` and of PyTorch eager (bench/train_torch.py), each over one epoch of the first
# 20000 MNIST images (200 steps, batch 100, tutorial recipe), then one table of CPU
# milliseconds per step by kind of code (bench/profile_table.py). Process start, data
# loading and `train`'s end-of-epoch work are in the recording too (a few percent).
# Each extra NAME=BINARY is another `train` build profiled beside this checkout's (an
# older commit's, for a before/after table).
# usage: bench/train_profile.sh [NAME=BINARY...]     (MNIST_DIR must point at MNIST)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
scripts/setup.sh
py=.native/venv/bin/python
if ! command -v perf >/dev/null; then
    echo "train_profile: installing Debian's linux-perf" >&2
    apt-get install -y -qq linux-perf >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
fi
cargo build --release --locked -p dcgan-train --bin train 2>/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
record() {
    perf record -q -e cpu-clock -F 499 -o "$out/$1.data" -- "${@:2}" >/dev/null 2>"$out/$1.log" ||
        { echo "train_profile: $1 failed: $(tail -3 "$out/$1.log")" >&2; exit 1; }
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; 2 threads; $(date -u +%F)"
tables=()
for pair in "train=target/release/train" "$@"; do
    name=${pair%%=*}
    record "$name" "${pair#*=}" --data "$MNIST_DIR" --limit 20000 --epochs 1 --threads 2 --device cpu \
        --sample-every 1 --seed 1 --out "$out/run-$name"
    tables+=("$name=$out/$name.data")
done
record pytorch "$py" bench/train_torch.py "$MNIST_DIR" 20000 2 cpu
"$py" bench/profile_table.py 499 200 "${tables[@]}" "pytorch=$out/pytorch.data"
