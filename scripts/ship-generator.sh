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
# Whether to ship is decided before, on ten seeds against the shipped file:
# `target/release/eval --onnx FILE --seeds 10 --out FILE.json` of each, then
# `python3 bench/compare_seeds.py SHIPPED.json CANDIDATE.json`. RUN is a run folder or
# what bench/ship-candidates.sh keeps of one. Everything it needs is checked before
# anything is written. What it cannot do is printed last: the figures in models/MODEL_CARD.md and README.md (`cargo test -p
# dcgan-train --test stated_figures` names each stale one) and the rebuild that compiles
# the new files into the binaries (`scripts/test.sh` does it).
#
# usage: scripts/ship-generator.sh RUN
# env:   DCGAN_BIN        folder with export, eval, infer [target/release]
#        MNIST_DIR        MNIST, for eval (required)
#        DCGAN_SHIP_ROOT  write into DIR/models instead of this repository's (tests)
# exit:  0 shipped, 2 the run or the environment cannot ship (nothing written), 1 a
#        step failed (models/ may then hold a part of the new files: git checkout models)
set -euo pipefail
refuse() { echo "ship-generator: $*" >&2; exit 2; }
say() { echo "ship-generator: $*" >&2; }
[ $# -eq 1 ] || refuse "usage: scripts/ship-generator.sh RUN"
run=$(realpath -e "$1" 2>/dev/null) || refuse "$1: no such folder"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/run-folder.sh
source "$root/scripts/run-folder.sh"
bin=$(realpath -e "${DCGAN_BIN:-$root/target/release}" 2>/dev/null) || refuse "no binaries in ${DCGAN_BIN:-target/release}: cargo build --release"
for b in export eval infer; do
    [ -x "$bin/$b" ] || refuse "$bin/$b is not built (cargo build --release --workspace)"
done
mnist=$(realpath -e "${MNIST_DIR:-}" 2>/dev/null) || refuse "set MNIST_DIR to the MNIST folder"
config=$run/best/config.json
for f in best/generator.safetensors best/probe_generator.safetensors best/config.json best/best.json losses.png samples/progress.gif; do
    [ -f "$run/$f" ] || refuse "$run/$f is missing: RUN must be a train --keep-best run folder"
done
grep -q '"dataset": *"mnist"' "$config" || refuse "$run was not trained on MNIST"
grep -q '"limit": *null' "$config" || refuse "$run trained on a part of MNIST (--limit): not a generator to ship"
epoch=$(best_epoch "$run")
[ -n "$epoch" ] || refuse "no epoch in $run/best/best.json"
grid=$run/$(epoch_grid "$epoch")
# Paths as the repository's own files name them (eval.json records the ONNX file's).
cd "${DCGAN_SHIP_ROOT:-$root}"
if grep -q '"conditional": *"' "$config"; then
    dest=models/cond onnx=models/gen-cond.onnx
else
    dest=models onnx=models/gen.onnx
    [ -f "$grid" ] || refuse "$grid is missing: the grid of the kept epoch (train --sample-every 1)"
fi

say "epoch $epoch of $run → $dest"
mkdir -p "$dest"
cp "$run/best/generator.safetensors" "$run/best/probe_generator.safetensors" "$config" "$dest/"
cp "$run/losses.png" "$run/samples/progress.gif" "$dest/"
"$bin/export" --run "$dest" --out "$onnx"
"$bin/eval" --onnx "$onnx" --data "$mnist" --out "$dest/eval.json" >/dev/null
if [ "$dest" = models ]; then
    "$bin/export" --run "$dest" --precision int8 --out models/gen.int8.onnx
    "$bin/infer" --onnx "$onnx" -n 25 --seed 0 --out models/samples.png >&2
    cp "$grid" models/samples_8x8.png
else
    "$bin/infer" --onnx "$onnx" --digits all -n 10 --seed 0 --out models/samples-cond.png >&2
fi
say "done. By hand: the figures of models/MODEL_CARD.md and README.md (eval.json, the"
say "epochs, the int8 bytes and pixel differences; cargo test -p dcgan-train --test"
say "stated_figures names each stale one), then scripts/test.sh (it rebuilds the binaries"
say "that compile models/ in, and checks every pinned file)."
