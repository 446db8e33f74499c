#!/usr/bin/env bash
# The GPU check (issue "hardening"), one script for the day a CUDA machine is lent:
# trains one epoch on the device, times `train` against bench/train_torch.py on the same
# device in the same call, exports the run, measures the generator's agreement on the
# device with TF32 off (PyTorch, and ONNX Runtime's CUDA provider where installed)
# and images/s at batch 256 and 4096, and prints one table last.
#
# usage: scripts/gpu-check.sh [DEVICE] [OUTDIR]      DEVICE: cuda (default) or cpu (dry run)
# env:   DCGAN_BIN     folder with train, export, infer   [target/release]
#        DCGAN_PYTHON  a Python with torch and numpy      [.native/venv/bin/python]
#        MNIST_DIR     MNIST (required)
#        ORT_DYLIB_PATH an ONNX Runtime for `infer --backend ort` [the Python's onnxruntime]
#        GPU_CHECK_LIMIT train on this many images instead of 60000/20000 (CPU dry runs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
device=${1:-cuda}
out=${2:-$(mktemp -d)}
bin=${DCGAN_BIN:-target/release}
py=${DCGAN_PYTHON:-.native/venv/bin/python}
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
mkdir -p "$out"
rows=()
row() { rows+=("| $1 | ${2//|/\\|} |"); echo "gpu-check: $1: $2" >&2; }
now() { date +%s.%N; }
calc() { "$py" -c "print(f'{$1:.1f}')"; }

if [ "$device" != cpu ]; then
    command -v nvidia-smi >/dev/null && row "GPU" "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
    # tch sees CUDA only when libtorch_cuda is linked and loadable: a one-batch run says.
    "$bin/train" --device "$device" --limit 100 --epochs 1 --batch-size 100 --out "$out/sanity" >"$out/sanity.log" 2>&1 \
        || { cat "$out/sanity.log" >&2; echo "gpu-check: train cannot use $device" >&2; exit 1; }
    row "train sees" "$(grep -o 'training on [^:]*' "$out/sanity.log")"
fi

# 1. One full epoch on the device.
start=$(now)
limit=${GPU_CHECK_LIMIT:-}
"$bin/train" --device "$device" --epochs 1 --threads 1 ${limit:+--limit "$limit"} --out "$out/epoch" >"$out/epoch.log" 2>&1
row "train: 1 epoch, ${limit:-60000} images, $device" "$(calc "$(now) - $start") s wall ($(tail -n 1 "$out/epoch.log" | grep -o '[0-9]* images/s'))"

# 2. train vs PyTorch eager, same device, same call: steps 101-200 over 20000 images.
ours=() theirs=()
for i in 1 2; do
    "$bin/train" --device "$device" --limit "${limit:-20000}" --epochs 1 --threads 1 --seed "$i" --out "$out/speed$i" >/dev/null 2>&1
    ours+=("$(sed -n 3p "$out/speed$i/losses.csv" | cut -d, -f8)")
    theirs+=("$("$py" bench/train_torch.py "$MNIST_DIR" "${limit:-20000}" 1 "$device" | cut -d' ' -f2)")
done
ratio=$("$py" -c "import statistics as s,sys; o=[float(v) for v in sys.argv[1].split()]; t=[float(v) for v in sys.argv[2].split()]; print(f'{s.median(o):.0f} vs {s.median(t):.0f} images/s: ratio {s.median(o)/s.median(t):.2f} (runs: {sys.argv[1]} / {sys.argv[2]})')" "${ours[*]}" "${theirs[*]}")
row "train / PyTorch eager, $device, batch 100" "$ratio"

# 3. Export, then the generator on the device against the run's CPU probe.
"$bin/export" --run "$out/epoch" --out "$out/gen.onnx" >"$out/export.log" 2>&1
row "export self-check (tract vs trainer, CPU)" "$(grep -o 'max |tract - trainer| = [0-9.e+-]*' "$out/export.log")"
"$py" bench/gpu_torch.py "$out/epoch" "$device" "$out/gen.onnx" >"$out/gpu_torch.txt"
while read -r key value; do row "$key" "$value"; done <"$out/gpu_torch.txt"

# 4. The Rust runtimes on this machine's CPU, at batch 256 and 4096.
ort_lib=${ORT_DYLIB_PATH:-$("$py" -c 'import onnxruntime,glob,os; print(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__),"capi","libonnxruntime.so*"))[0])' 2>/dev/null || true)}
for backend in tract ort; do
    for batch in 256 4096; do
        if [ "$backend" = ort ] && [ -z "$ort_lib" ]; then continue; fi
        t0=$(now)
        ORT_DYLIB_PATH=$ort_lib "$bin/infer" --onnx "$out/gen.onnx" --backend "$backend" -n 8192 --batch-size "$batch" \
            --seed 1 --raw "$out/x.npy" >"$out/infer.log" 2>&1 || { row "infer $backend" "failed: $(tail -n 1 "$out/infer.log")"; continue; }
        row "infer --backend $backend (CPU), batch $batch" "$(calc "8192 / ($(now) - $t0)") images/s (process start included)"
    done
done
[ -n "$ort_lib" ] && row "ONNX Runtime loaded by ort" "$ort_lib"

echo
echo "## GPU check, $(date -u +%F), device $device"
echo
echo "| what | measured |"
echo "|---|---|"
printf '%s\n' "${rows[@]}"
