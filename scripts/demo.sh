#!/usr/bin/env bash
# The main job: 25 digits from the shipped generator (models/gen.onnx) with tract,
# pure Rust, no native library and no setup. Extra arguments go to `infer`
# (try --seed 7, -n 64 --scale 2, --backend ort after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --release --locked --quiet -p dcgan-infer --bin infer -- --onnx models/gen.onnx -n 25 --out samples.png "$@"
