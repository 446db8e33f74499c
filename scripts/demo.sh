#!/usr/bin/env bash
# The main job: 25 digits from the shipped generator (models/gen.onnx, compiled into
# `infer`) with tract, pure Rust, no native library and no setup. The grid goes to
# samples.png in the folder you run this from, and the line printed at the end gives its
# full path. Seed 0 unless you give one, so the picture is the README's. Extra arguments
# go to `infer` (try --seed 7, or -n 64 --scale 2; paths in them are relative to the
# repository root).
set -euo pipefail
out="$(pwd)/samples.png"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seed=(--seed 0)
for arg in "$@"; do
    [[ $arg == --seed || $arg == --seed=* ]] && seed=()
done
if [[ ! -x target/demo/infer ]]; then
    echo "demo: the first build compiles tract, the pure-Rust ONNX runtime (about 2 minutes on 2 cores); later runs start at once" >&2
fi
# The `demo` profile (Cargo.toml): release, with tract's graph code unoptimised.
exec cargo run --profile demo --locked -p dcgan-infer --features cli --bin infer -- -n 25 "${seed[@]}" --out "$out" "$@"
