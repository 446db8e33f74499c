#!/usr/bin/env bash
# Inference benchmark, all in one run on one machine: images/s of ort-CPU, tract and
# Python onnxruntime on the same ONNX file at batch 1, 25, 64, 256 (each also on one
# thread; ort also as single-threaded sessions side by side, tract as it ran before its
# chunks ran side by side); the wall time of
# `infer -n 25` end to end (process start included); peak RSS of a 100000-image run;
# a per-node profile of tract.
# usage: bench/infer.sh [MODEL.onnx] [SECONDS_PER_CASE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model=$(realpath "${1:-models/gen.onnx}")
seconds=${2:-3}
scripts/setup.sh
py=.native/venv/bin/python
cargo build --release --locked -p dcgan-infer --features cli,ort --bin infer 2>/dev/null
cargo bench --locked -p dcgan-infer --features ort --bench throughput --no-run 2>/dev/null

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
{
    cargo bench --locked -q -p dcgan-infer --features ort --bench throughput -- "$model" "$seconds"
    "$py" bench/infer_ort.py "$model" "$seconds"
} > bench/out.infer.txt
"$py" bench/infer_report.py "$model" bench/out.infer.txt target/release/infer
# Where tract's time goes, per node, one thread against tract's multithreaded products.
cargo bench --locked -q -p dcgan-infer --features ort --bench profile -- "$model" 300
