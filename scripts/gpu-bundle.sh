#!/usr/bin/env bash
# Everything a GPU machine needs for scripts/gpu-check.sh that the working tree does
# not carry, packed into parts that each travel in one device call beside the tree
# (../shared/GPU.md, "What travels, and how"):
#   bin/    release train, eval, export, infer (with ort) and ort-device-check
#   ort/    ONNX Runtime 1.31.1 from onnxruntime-gpu: libonnxruntime.so.1.31.1,
#           libonnxruntime_providers_shared.so and the CUDA provider with only the sm_90
#           kernels (H100/H200) kept by ../shared/tools/cuda-lib-for-arch.py
#   mnist/  the four MNIST files
# as one tar.xz cut into parts; OUT/partN/ is carried by call N, and on the device
# scripts/gpu-unpack.sh joins and unpacks them.
#
# usage: scripts/gpu-bundle.sh [OUT]        OUT: a git-ignored folder [.gpu]
# env:   MNIST_DIR   MNIST [../shared/data/mnist]
#        GPU_ARCH    the SM architecture to keep [90]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ORT_VERSION=1.31.1
out=${1:-.gpu}
arch=${GPU_ARCH:-90}
mnist=${MNIST_DIR:-../shared/data/mnist}
shrink=../shared/tools/cuda-lib-for-arch.py
wheels=${DCGAN_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dcgan-native}/wheels
# A call carries the working tree and its parts in 64 MiB; keep 2 MiB of room.
tree_bytes=$(git ls-files -z | xargs -0 du -cb | tail -n 1 | cut -f1)
part_bytes=$((62 * 1024 * 1024 - tree_bytes))
say() { echo "gpu-bundle: $*" >&2; }

git check-ignore -q "$out" || { say "$out is not git-ignored: the parts would travel twice"; exit 2; }
[ -f "$shrink" ] || { say "$shrink is missing (the shared tools folder beside the repository)"; exit 2; }
[ -f "$mnist/train-images-idx3-ubyte.gz" ] || { say "no MNIST in $mnist: set MNIST_DIR"; exit 2; }

say "building the release binaries"
scripts/setup.sh
cargo build --release --locked -p dcgan-train --bins -p dcgan-export -p dcgan-infer --features dcgan-infer/cli,dcgan-infer/ort --bin infer \
    -p dcgan-tests --bin ort-device-check

wheel=$(ls "$wheels"/onnxruntime_gpu-$ORT_VERSION-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    say "downloading onnxruntime-gpu==$ORT_VERSION (about 300 MB, once) into $wheels"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
        --platform manylinux_2_28_x86_64 "onnxruntime-gpu==$ORT_VERSION" -d "$wheels"
    wheel=$(ls "$wheels"/onnxruntime_gpu-$ORT_VERSION-*.whl | head -n 1)
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/ort" "$stage/mnist"
cp target/release/{train,eval,export,infer,ort-device-check} "$stage/bin/"
cp "$mnist"/*-ubyte.gz "$stage/mnist/"
python3 - "$wheel" "$stage/ort" <<'EOF'
import os, sys, zipfile
wheel, dest = sys.argv[1:]
wanted = ("libonnxruntime.so.", "libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if "/capi/" in name and base.startswith(wanted):
            with z.open(name) as src, open(os.path.join(dest, base), "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
EOF
say "keeping only the sm_$arch kernels of the CUDA provider"
python3 "$shrink" "$stage/ort/libonnxruntime_providers_cuda.so" "$stage/ort/cuda.so" "$arch" >&2
mv "$stage/ort/cuda.so" "$stage/ort/libonnxruntime_providers_cuda.so"

say "compressing (xz -9, a few minutes)"
rm -rf "$out" && mkdir -p "$out"
tar -C "$stage" -cf - bin ort mnist | xz -9 -T2 >"$stage/bundle.tar.xz"
split -b "$part_bytes" -d -a 1 "$stage/bundle.tar.xz" "$stage/bundle.tar.xz."
parts=0
for piece in "$stage"/bundle.tar.xz.[0-9]; do
    parts=$((parts + 1))
    mkdir -p "$out/part$parts"
    mv "$piece" "$out/part$parts/"
done
(cd "$stage" && sha256sum bundle.tar.xz) >"$out/part$parts/bundle.sha256"

say "$parts parts of at most $((part_bytes / 1048576)) MiB beside a $((tree_bytes / 1048576)) MiB tree:"
du -sh "$out"/part* >&2
echo "Device calls, back to back (the machine stays warm 30 s after each):"
for i in $(seq 1 "$parts"); do
    if [ "$i" -lt "$parts" ]; then
        echo "  run carry=[\"$out/part$i\"] command: mkdir -p /tmp/dcgan-gpu && cp $out/part$i/* /tmp/dcgan-gpu/"
    else
        echo "  run carry=[\"$out/part$i\"] command: mkdir -p /tmp/dcgan-gpu && cp $out/part$i/* /tmp/dcgan-gpu/ && scripts/gpu-unpack.sh /tmp/dcgan-gpu && DCGAN_BUNDLE=/tmp/dcgan-gpu DCGAN_PYTHON=/opt/torch/.venv/bin/python3 scripts/gpu-check.sh cuda \$OUT/check"
    fi
done
