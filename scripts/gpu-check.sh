#!/usr/bin/env bash
# The GPU check (issue "GPU, the day a device is lent"), one script for a CUDA machine:
#   1. ONNX Runtime on the device against the trainer, every shipped generator, N = 1, 7,
#      64, TF32 off, no CPU fallback (ort-device-check), and proof that a missing CUDA
#      provider is refused rather than replaced by the CPU;
#   2. images/s of the generator at batch 256 and 4096: ONNX Runtime against PyTorch's G
#      on the same device in the same call;
#   3. the training step: `train` (eager, and with --cuda-graphs where it is built)
#      against PyTorch eager and PyTorch with the whole step in one CUDA graph, batch
#      100, steps 101-200, medians of 2 runs each; graphs against eager, also for the
#      conditional recipe with class terms that join at epoch 2 (the graph is captured again);
#   4. one full MNIST epoch, wall time.
# It prints one table last (markdown) and keeps every log in OUTDIR.
#
# usage: scripts/gpu-check.sh [DEVICE] [OUTDIR]      DEVICE: cuda (default) or cpu (dry run)
# env:   DCGAN_BUNDLE   an unpacked scripts/gpu-bundle.sh bundle: sets DCGAN_BIN, MNIST_DIR,
#                       ORT_DYLIB_PATH and LD_LIBRARY_PATH (libtorch, the nvidia wheels,
#                       ONNX Runtime) from it (scripts/gpu-env.sh)
#        DCGAN_BIN      folder with train, export, infer, ort-device-check [target/release]
#        DCGAN_PYTHON   a Python with torch and numpy              [.native/venv/bin/python]
#        MNIST_DIR      MNIST (required)
#        ORT_DYLIB_PATH the ONNX Runtime to test (with its CUDA provider beside it on a GPU)
#        GPU_CHECK_LIMIT train on this many images instead of 60000/20000 (CPU dry runs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
device=${1:-cuda}
out=${2:-$(mktemp -d)}
py=${DCGAN_PYTHON:-.native/venv/bin/python}
# shellcheck source=scripts/gpu-env.sh
source scripts/gpu-env.sh
bin=${DCGAN_BIN:-target/release}
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
mkdir -p "$out"
rows=()
row() { rows+=("| ${1//|/\\|} | ${2//|/\\|} |"); echo "gpu-check: $1: $2" >&2; }
rows_from() { while IFS=$'\t' read -r key value; do row "$key" "$value"; done <"$1"; }
now() { date +%s.%N; }
calc() { "$py" -c "print(f'{$1:.1f}')"; }
median_ratio() {
    "$py" -c "import statistics as s,sys; o=[float(v) for v in sys.argv[1].split()]; t=[float(v) for v in sys.argv[2].split()]; print(f'{s.median(o):.0f} vs {s.median(t):.0f} images/s: ratio {s.median(o)/s.median(t):.2f} (runs: {sys.argv[1]} / {sys.argv[2]})')" "$1" "$2"
}
failed=0

if [ "$device" != cpu ]; then
    command -v nvidia-smi >/dev/null && row "GPU" "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
fi

# 1-2. ONNX Runtime on the device against the trainer, then its speed beside PyTorch's G.
# TF32 off for the whole process: the agreement figures are float32 (DESIGN.md §2).
code=0
NVIDIA_TF32_OVERRIDE=0 "$bin/ort-device-check" "$device" models >"$out/ort.tsv" 2>"$out/ort.log" || code=$?
rows_from "$out/ort.tsv"
if [ "$code" != 0 ]; then
    row "ort-device-check" "FAILED (exit $code): $(tail -n 3 "$out/ort.log" | tr '\n' ' ')"
    failed=1
fi
# A CPU-only ONNX Runtime must make `--device cuda` fail (exit 2), never run on the CPU.
cpu_ort=$("$py" -c 'import onnxruntime,glob,os; print(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__),"capi","libonnxruntime.so*"))[0])' 2>/dev/null || true)
if [ -n "$cpu_ort" ] && [ ! -e "$(dirname "$cpu_ort")/libonnxruntime_providers_cuda.so" ]; then
    code=0
    ORT_DYLIB_PATH=$cpu_ort "$bin/infer" --device cuda -n 1 --raw "$out/fallback.npy" >"$out/fallback.log" 2>&1 || code=$?
    [ "$code" = 2 ] || failed=1
    row "--device cuda with a CPU-only ONNX Runtime" "exit $code: $(head -c 160 "$out/fallback.log" | tr '\n' ' ')"
fi
if NVIDIA_TF32_OVERRIDE=0 "$py" bench/gpu_torch.py models "$device" >"$out/torch.tsv" 2>"$out/torch.log"; then
    rows_from "$out/torch.tsv"
else
    row "bench/gpu_torch.py" "FAILED: $(tail -n 1 "$out/torch.log")"
fi

# 3. The training step, same device, same call: steps 101-200 over 20000 images (the
#    second half of the steps with GPU_CHECK_LIMIT).
limit=${GPU_CHECK_LIMIT:-}
graphs=(eager graphs)
if [ "$device" = cpu ]; then
    # The CPU has no graphs: they must be refused with exit 2 before any work.
    graphs=(eager)
    code=0
    "$bin/train" --device cpu --cuda-graphs --limit 100 --epochs 1 --out "$out/no-graphs" >"$out/no-graphs.log" 2>&1 || code=$?
    [ "$code" = 2 ] && [ ! -e "$out/no-graphs" ] || failed=1
    row "train --cuda-graphs on the CPU" "exit $code: $(head -c 160 "$out/no-graphs.log" | tr '\n' ' ')"
fi
declare -A speeds=()
for i in 1 2; do
    for mode in "${graphs[@]}"; do
        flag=()
        [ "$mode" = graphs ] && flag=(--cuda-graphs)
        if "$bin/train" --device "$device" --limit "${limit:-20000}" --epochs 1 --threads 1 --seed "$i" "${flag[@]}" \
            --out "$out/speed-$mode-$i" >"$out/speed-$mode-$i.log" 2>&1; then
            speeds[train-$mode]+="$(tail -n 1 "$out/speed-$mode-$i/losses.csv" | cut -d, -f8) "
        else
            row "train ($mode) on $device" "FAILED: $(tail -n 1 "$out/speed-$mode-$i.log")"
        fi
    done
    for mode in eager graph; do
        [ "$mode" = graph ] && [ "$device" = cpu ] && continue
        speeds[torch-$mode]+="$("$py" bench/train_torch.py "$MNIST_DIR" "${limit:-20000}" 1 "$device" "$mode" | cut -d' ' -f2) "
    done
done
for ours in "${!speeds[@]}"; do
    [[ $ours == train-* ]] || continue
    for theirs in torch-eager torch-graph; do
        [ -n "${speeds[$theirs]:-}" ] && [ -n "${speeds[$ours]}" ] || continue
        row "$ours / PyTorch ${theirs#torch-}, $device, batch 100" "$(median_ratio "${speeds[$ours]}" "${speeds[$theirs]}")"
    done
done

# Graphs against eager with the same seed (the same draws): the losses of each
# losses.csv row may differ only by floating-point order; and a graphed run that stops
# after epoch 1 and resumes ends with the same weights as one that ran through.
losses_delta() {
    "$py" - "$1" "$2" <<'EOF'
import csv, sys
a, b = ([r for r in csv.DictReader(open(p))] for p in sys.argv[1:])
rel = max(abs(float(x[k]) - float(y[k])) / max(abs(float(x[k])), 1e-12) for x, y in zip(a, b) for k in ("loss_d", "loss_g"))
print(f"max relative |Δ| of loss_d, loss_g over {min(len(a), len(b))} rows: {rel:.2e} (goal ≤ 1e-5)")
EOF
}
if [ "${#graphs[@]}" = 2 ]; then
    row "train --cuda-graphs vs eager, seed 1, losses.csv rows" \
        "$(losses_delta "$out/speed-eager-1/losses.csv" "$out/speed-graphs-1/losses.csv")"
    # The conditional recipe with the class terms joining at epoch 2, where the step gains
    # them and the graph is captured again, and a rate halved at epoch 2, which the
    # captured Adam must read from its device tensor.
    cond=(--recipe improved --loss bce --conditional projection --class-loss 0.1 --class-loss-g 0.1 --class-loss-from 2
        --lr-decay 0.5)
    cond_row="train --cuda-graphs vs eager, conditional, class terms and a halved rate from epoch 2, losses.csv rows"
    if "$bin/train" --device "$device" --limit 10000 --epochs 2 --seed 1 "${cond[@]}" --out "$out/cond-eager" \
        >"$out/cond-eager.log" 2>&1 &&
        "$bin/train" --device "$device" --limit 10000 --epochs 2 --seed 1 "${cond[@]}" --cuda-graphs \
            --out "$out/cond-graphs" >"$out/cond-graphs.log" 2>&1; then
        row "$cond_row" "$(losses_delta "$out/cond-eager/losses.csv" "$out/cond-graphs/losses.csv")"
    else
        row "$cond_row" "FAILED: $(tail -q -n 1 "$out/cond-eager.log" "$out/cond-graphs.log" 2>/dev/null | tr '\n' ' ')"
    fi
    small=${limit:-2000}
    resume_row="train --cuda-graphs: 2 epochs straight vs 1 + --resume 1"
    if "$bin/train" --device "$device" --limit "$small" --epochs 2 --cuda-graphs --out "$out/straight" >"$out/straight.log" 2>&1 &&
        "$bin/train" --device "$device" --limit "$small" --epochs 1 --cuda-graphs --out "$out/resumed" >"$out/resumed.log" 2>&1 &&
        "$bin/train" --device "$device" --epochs 2 --cuda-graphs --resume --out "$out/resumed" >>"$out/resumed.log" 2>&1; then
        if cmp -s "$out/straight/generator.safetensors" "$out/resumed/generator.safetensors"; then
            row "$resume_row" "generator.safetensors identical"
        else
            row "$resume_row" "generator.safetensors DIFFERS"
        fi
    else
        row "$resume_row" "FAILED: $(tail -q -n 1 "$out/straight.log" "$out/resumed.log" 2>/dev/null | tr '\n' ' ')"
    fi
fi

# 4. One full epoch on the device, with graphs where they are built.
for mode in "${graphs[@]}"; do
    flag=()
    [ "$mode" = graphs ] && flag=(--cuda-graphs)
    start=$(now)
    if "$bin/train" --device "$device" --epochs 1 --threads 1 ${limit:+--limit "$limit"} "${flag[@]}" \
        --out "$out/epoch-$mode" >"$out/epoch-$mode.log" 2>&1; then
        row "train ($mode): 1 epoch, ${limit:-60000} images, $device" \
            "$(calc "$(now) - $start") s wall, process included ($(tail -n 1 "$out/epoch-$mode.log" | grep -o '[0-9]* images/s'))"
    else
        row "train ($mode): 1 epoch" "FAILED: $(tail -n 1 "$out/epoch-$mode.log")"
        failed=1
    fi
done

echo
echo "## GPU check, $(date -u +%F), device $device"
echo
echo "| what | measured |"
echo "|---|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
