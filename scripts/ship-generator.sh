#!/usr/bin/env bash
# Ship a trained generator (issue "Quality"): the epoch a `train --keep-best` run kept in
# RUN/best/ becomes the one in models/ (an unconditional run) or models/cond/ (a
# conditional one), with every file made from it that the repository keeps:
#   unconditional: models/{generator.safetensors, probe_generator.safetensors,
#     config.json, gen.onnx, gen.int8.onnx, eval.json, samples.png (the README's 25
#     digits, seed 0), samples_8x8.png (the kept epoch's grid), progress.gif, losses.png}
#   conditional:   models/cond/{generator.safetensors, probe_generator.safetensors,
#     config.json, eval.json, progress.gif, losses.png}, models/gen-cond.onnx and
#     models/samples-cond.png (the 10×10 grid, seed 0)
# What it cannot do is printed last: the figures in models/MODEL_CARD.md and README.md
# (`cargo test -p dcgan-train --test stated_figures` names each stale one) and the
# rebuild that compiles the new files into the binaries (`scripts/test.sh` does it).
#
# usage: scripts/ship-generator.sh RUN
# env:   DCGAN_BIN   folder with export, eval, infer [target/release]
#        MNIST_DIR   MNIST, for eval (required)
#        DCGAN_SHIP_ROOT  write into DIR/models instead of this repository's (tests)
#        DCGAN_EVAL_FLAGS added to eval (tests: "--samples 200")
set -euo pipefail
run=$(realpath "${1:?usage: scripts/ship-generator.sh RUN}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$(realpath "${DCGAN_BIN:-$root/target/release}")
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
mnist=$(realpath "$MNIST_DIR")
for f in generator.safetensors probe_generator.safetensors config.json best.json; do
    [ -f "$run/best/$f" ] || { echo "ship-generator: $run/best/$f is missing: RUN must be a train --keep-best run folder" >&2; exit 2; }
done
epoch=$(sed -n 's/.*"epoch": *\([0-9]*\).*/\1/p' "$run/best/best.json")
[ -n "$epoch" ] || { echo "ship-generator: no epoch in $run/best/best.json" >&2; exit 2; }
# Paths as the repository's own files name them (eval.json records the ONNX file's).
cd "${DCGAN_SHIP_ROOT:-$root}"
if grep -q '"conditional"' "$run/best/config.json"; then
    dest=models/cond onnx=models/gen-cond.onnx
else
    dest=models onnx=models/gen.onnx
fi
say() { echo "ship-generator: $*" >&2; }
mkdir -p "$dest"
cp "$run/best/generator.safetensors" "$run/best/probe_generator.safetensors" "$run/best/config.json" "$dest/"
cp "$run/losses.png" "$run/samples/progress.gif" "$dest/"
say "epoch $epoch of $run → $dest"
"$bin/export" --run "$dest" --out "$onnx"
# shellcheck disable=SC2086 # flags are words
"$bin/eval" --onnx "$onnx" --data "$mnist" --out "$dest/eval.json" ${DCGAN_EVAL_FLAGS:-} >/dev/null
if [ "$dest" = models ]; then
    "$bin/export" --run "$dest" --precision int8 --out models/gen.int8.onnx
    "$bin/infer" --onnx "$onnx" -n 25 --seed 0 --out models/samples.png >&2
    cp "$(printf '%s/samples/epoch_%03d.png' "$run" "$epoch")" models/samples_8x8.png
else
    "$bin/infer" --onnx "$onnx" --digits all -n 10 --seed 0 --out models/samples-cond.png >&2
fi
say "done. By hand: the figures of models/MODEL_CARD.md and README.md (eval.json, the"
say "epochs, the int8 bytes and pixel differences; cargo test -p dcgan-train --test"
say "stated_figures names each stale one), then scripts/test.sh (it rebuilds the binaries"
say "that compile models/ in, and checks every pinned file)."
