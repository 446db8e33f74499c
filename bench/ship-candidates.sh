#!/usr/bin/env bash
# The runs that may replace the shipped generators (issue "Quality"): the best recipes
# so far, trained long, a few at once on one device so that each keeps most of its
# speed (bench/ablation.sh runs many short ones), stopped by SIGTERM at a deadline (a
# run keeps its last whole epoch and best/). Then, for each run, what a device call can
# bring back through $OUT, a few MB: best/ (generator, probe, config, best.json),
# losses.csv, losses.png, config.json and samples/progress.gif, copied into KEEPDIR/NAME;
# the run folders themselves (checkpoints, tens of MB each) stay in WORKDIR. Prints
# bench/ablation_report.py's table of the runs last.
#
# usage: bench/ship-candidates.sh DEVICE WORKDIR KEEPDIR SECONDS [EPOCHS]
# env:   DCGAN_BUNDLE (an unpacked scripts/gpu-bundle.sh bundle, on the GPU machine),
#        DCGAN_PYTHON (a Python with torch, for the bundle's libraries) [.native/venv/bin/python],
#        DCGAN_BIN (folder with `train`) [target/release], MNIST_DIR (required),
#        DCGAN_TRAIN_FLAGS (added to every run, e.g. "--limit 500" for a dry run)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
device=${1:?usage: bench/ship-candidates.sh DEVICE WORKDIR KEEPDIR SECONDS [EPOCHS]}
work=${2:?WORKDIR} keep=${3:?KEEPDIR} seconds=${4:?SECONDS} epochs=${5:-100}
py=${DCGAN_PYTHON:-.native/venv/bin/python}
# shellcheck source=scripts/gpu-env.sh
source scripts/gpu-env.sh
bin=${DCGAN_BIN:-target/release}
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
mkdir -p "$work" "$keep"

# name | flags. The first is the recipe of the CPU run that beat the shipped generator on
# ten seeds at epoch 72 (BENCHMARKS.md, "Sample quality from seed to seed").
runs=(
    "improved-decay99|--recipe improved --lr-decay 0.99"
    "improved-decay99-seed1|--recipe improved --lr-decay 0.99 --seed 1"
    "improved-decay99-translation|--recipe improved --lr-decay 0.99 --augment translation"
    "cond-decay99|--recipe improved --loss bce --conditional projection --lr-decay 0.99"
)
pids=()
for spec in "${runs[@]}"; do
    IFS='|' read -r name flags <<<"$spec"
    # shellcheck disable=SC2086 # flags are words
    "$bin/train" --device "$device" --threads 1 --epochs "$epochs" --keep-best --data "$MNIST_DIR" \
        --out "$work/$name" $flags ${DCGAN_TRAIN_FLAGS:-} >"$work/$name.log" 2>&1 &
    pids+=($!)
done
echo "ship-candidates: ${#runs[@]} runs on $device, deadline in $seconds s" >&2
deadline=$((SECONDS + seconds))
alive() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
while [ $SECONDS -lt $deadline ] && alive; do sleep 2; done
kill -TERM "${pids[@]}" 2>/dev/null
wait
for spec in "${runs[@]}"; do
    name=${spec%%|*}
    echo "$name: $(tail -n 1 "$work/$name.log")" >&2
    mkdir -p "$keep/$name"
    cp -r "$work/$name/best" "$keep/$name/" 2>/dev/null
    for f in losses.csv losses.png config.json samples/progress.gif; do
        cp "$work/$name/$f" "$keep/$name/" 2>/dev/null
    done
    cp "$work/$name.log" "$keep/" 2>/dev/null
done
"$py" bench/ablation_report.py "$work"
