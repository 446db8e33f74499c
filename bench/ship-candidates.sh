#!/usr/bin/env bash
# The runs that may replace the shipped generators (issue "Quality"): the best recipes
# so far, trained long, four at once on one device so that each keeps most of its speed
# (bench/ablation.sh runs many short ones), stopped by SIGTERM at a deadline. What a
# device call can bring back through $OUT, a few MB a run, is copied into KEEPDIR/NAME
# every minute and at the end, laid out as in the run folder, so that
# scripts/ship-generator.sh KEEPDIR/NAME ships it: best/ (generator, probe, config,
# best.json), losses.csv, losses.png, config.json, samples/progress.gif and the grid of
# the best epoch, samples/epoch_NNN.png; the log beside it. The run folders themselves
# (checkpoints, tens of MB each) stay in WORKDIR. Prints bench/ablation_report.py's
# table of the runs last; exits 1 if a run kept no best/.
#
# usage: bench/ship-candidates.sh DEVICE WORKDIR KEEPDIR SECONDS [EPOCHS]
#        (WORKDIR and KEEPDIR relative to the folder it is started from)
# env:   DCGAN_BUNDLE  an unpacked scripts/gpu-bundle.sh bundle (on the GPU machine)
#        DCGAN_PYTHON  a Python (with torch, for the bundle's libraries) [.native/venv/bin/python]
#        DCGAN_BIN     folder with `train` [target/release]
#        MNIST_DIR     MNIST (required)
#        DCGAN_TRAIN_FLAGS  added to every run, e.g. "--limit 500" for a dry run
set -uo pipefail
usage="usage: bench/ship-candidates.sh DEVICE WORKDIR KEEPDIR SECONDS [EPOCHS]"
device=${1:?$usage} work=$(realpath -m "${2:?$usage}") keep=$(realpath -m "${3:?$usage}")
seconds=${4:?$usage} epochs=${5:-100}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=${DCGAN_PYTHON:-.native/venv/bin/python}
# shellcheck source=scripts/gpu-env.sh
source scripts/gpu-env.sh
# shellcheck source=scripts/run-folder.sh
source scripts/run-folder.sh
bin=${DCGAN_BIN:-target/release}
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
mkdir -p "$work" "$keep"

# name | epochs | flags. The first is the recipe of the CPU run that beat the shipped
# generator on ten seeds at epoch 72 (BENCHMARKS.md, "Sample quality from seed to seed").
runs=(
    "improved-decay99|$epochs|--recipe improved --lr-decay 0.99"
    "improved-decay99-seed1|$epochs|--recipe improved --lr-decay 0.99 --seed 1"
    "improved-decay99-translation|$epochs|--recipe improved --lr-decay 0.99 --augment translation"
    "cond-decay99|$epochs|--recipe improved --loss bce --conditional projection --lr-decay 0.99"
)

# Copy what comes back; a run that has not finished an epoch yet has nothing to copy.
on_tick() {
    local spec name f epoch
    for spec in "${runs[@]}"; do
        name=${spec%%|*}
        mkdir -p "$keep/$name/samples"
        [ -d "$work/$name/best" ] && cp -r "$work/$name/best" "$keep/$name/"
        epoch=$(best_epoch "$keep/$name")
        for f in losses.csv losses.png config.json samples/progress.gif ${epoch:+$(epoch_grid "$epoch")}; do
            [ -f "$work/$name/$f" ] && cp "$work/$name/$f" "$keep/$name/$f"
        done
        cp "$work/$name.log" "$keep/"
    done
}

common=(--data "$MNIST_DIR")
# shellcheck source=bench/train-in-parallel.sh
source bench/train-in-parallel.sh
train_in_parallel "$device" "$work" "$seconds" "${runs[@]}"
on_tick
"$py" bench/ablation_report.py "$work"
status=0
for spec in "${runs[@]}"; do
    name=${spec%%|*}
    [ -f "$keep/$name/best/generator.safetensors" ] || { echo "ship-candidates: $name kept no best/ (see $keep/$name.log)" >&2; status=1; }
done
exit $status
