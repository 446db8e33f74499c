#!/usr/bin/env bash
# The main job: 25 digits from the shipped generator (models/gen.onnx) with tract,
# pure Rust, no native library and no setup. The grid goes to samples.png in the folder
# you run this from, and the line printed at the end gives its full path. Extra arguments
# go to `infer` (try --seed 7, or -n 64 --scale 2; paths in them are relative to the
# repository root).
set -euo pipefail
out="$(pwd)/samples.png"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --release --locked --quiet -p dcgan-infer --bin infer -- --onnx models/gen.onnx -n 25 --out "$out" "$@"
