#!/usr/bin/env bash
# The recipe ablation (issue "Quality"): every candidate change alone and together, each
# a `train` run with --keep-best (the Fréchet distance to the even half of MNIST test
# chooses the epoch, the odd half's is recorded for reporting), all in parallel on one
# device, stopped by SIGTERM at a deadline (a run keeps its last whole epoch and best/).
# Then bench/ablation_report.py makes the table for BENCHMARKS.md.
#
# usage: bench/ablation.sh DEVICE OUTDIR SECONDS [EPOCHS] [FINAL_EPOCHS]
# env:   DCGAN_BIN (folder with `train`, default target/release), MNIST_DIR (required),
#        DCGAN_CLASSIFIER (default models/classifier.safetensors),
#        DCGAN_TRAIN_FLAGS (added to every run, e.g. "--limit 500" for a dry run)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
device=$1 out=$2 seconds=$3 epochs=${4:-20} final=${5:-60}
bin=${DCGAN_BIN:-target/release}
classifier=${DCGAN_CLASSIFIER:-models/classifier.safetensors}
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
mkdir -p "$out"

combined="--ema 0.999 --lr-d 4e-4 --lr-g 1e-4 --r1 1"
# name | epochs | flags
runs=(
    "tutorial|$epochs|"
    "tutorial-seed1|$epochs|--seed 1"
    "ema|$epochs|--ema 0.999"
    "ttur|$epochs|--lr-d 4e-4 --lr-g 1e-4"
    "r1|$epochs|--r1 1"
    "hinge|$epochs|--loss hinge"
    "smoothing|$epochs|--label-smoothing 0.1"
    "beta1d-0.5|$epochs|--beta1-d 0.5"
    "lr-decay|$epochs|--lr-decay 0.95"
    "combined|$final|$combined"
    "combined-seed1|$epochs|$combined --seed 1"
    "combined-hinge|$final|$combined --loss hinge"
    "cond-projection|$final|$combined --conditional projection"
    "cond-embed|$final|$combined --conditional embed"
    "cond-class-loss|$final|$combined --conditional projection --class-loss 1"
    "cond-class-loss-g|$final|$combined --conditional projection --class-loss 1 --class-loss-g 0.1"
    "cond-class-late|$final|$combined --conditional projection --class-loss 0.02 --class-loss-from 20"
    "cond-decay-late|$final|$combined --conditional projection --lr-decay 0.7 --lr-decay-from 20"
    "improved-decay-late|$final|$combined --loss hinge --lr-decay 0.8 --lr-decay-from 30"
    "improved-translation|$final|$combined --loss hinge --augment translation"
    "improved-translation-cutout|$final|$combined --loss hinge --augment translation,cutout"
)
common=(--classifier "$classifier")
# shellcheck source=bench/train-in-parallel.sh
source bench/train-in-parallel.sh
train_in_parallel "$device" "$out" "$seconds" "${runs[@]}"
